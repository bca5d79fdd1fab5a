export { manifest, SyncConfigSchema, type SyncConfig } from './manifest';
export { syncBatch, toQueueRecord, type SyncDeps } from './core';
export type { GoldenRecordsPort } from './ports';
