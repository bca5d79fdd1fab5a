export { type Db, type Queryable, IpamError } from './db';
export { openPglite } from './adapters/pglite';
export { openPostgres } from './adapters/postgres';
export { migrate } from './migrate';
export { MIGRATIONS, type Migration } from './migrations/index';
export { applyMessage, type ApplyResult } from './apply';
export {
  show,
  subnetUsage,
  overlaps,
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
