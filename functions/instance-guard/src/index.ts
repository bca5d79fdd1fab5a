export { manifest, GuardConfigSchema, type GuardConfig } from './manifest';
export { guard, intendedStop, recentRestarts, type GuardDeps, type GuardEvent } from './core';
export type { InstancesPort, InstanceView, StartResult } from './ports';
