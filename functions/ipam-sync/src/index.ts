export { manifest, SyncConfigSchema, type SyncConfig } from './manifest';
