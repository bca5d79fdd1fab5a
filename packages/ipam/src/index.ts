export { type Db, type Queryable, IpamError } from './db';
export { openPglite, maintainTables, type PgliteOptions, type Maintenance } from './adapters/pglite';
export { openPostgres } from './adapters/postgres';
export { migrate } from './migrate';
export { StoreConfigSchema, type StoreConfig } from './config';
export { MIGRATIONS, type Migration } from './migrations/index';
export { applyMessage, applyMessages, type ApplyResult, type ApplyFailure } from './apply';
export {
  show,
  subnetUsage,
  overlaps,
  vpcBlocksOverlapping,
  type BlockOverlap,
  type ShowResult,
  type DeviceRecord,
  type AddressRecord,
  type NetworkRecord,
  type HistoryRecord,
  type SubnetUsage,
  type Overlap,
} from './queries';
export * from './ec2/index';
export * from './worker/index';
export {
  openStore,
  storeOnFirstUse,
  storeLocation,
  describeLocation,
  idleClosingStore,
  DEFAULT_DATA_DIR,
  SHORT_OPEN_SHARED_BUFFERS,
  type StoreLocation,
  type OpenStoreOptions,
} from './adapters/store';
