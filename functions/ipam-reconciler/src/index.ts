export { manifest, ReconcilerConfigSchema } from './manifest';
export { reconcileOnSchedule } from './core';
export type { ReconcilerDeps, ReconcilePort, SnapshotPort, Where } from './ports';
