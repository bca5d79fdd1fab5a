export { manifest, EnricherConfigSchema, type EnricherConfig } from './manifest';
export { enrich, type EnricherDeps } from './core';
export type { InstanceChange, InstanceDescriber, MessageSink } from './ports';
