import { applyRecords, type BatchOutcome, type Db, openStore, type QueueRecord, type StoreLocation, storeOnFirstUse, type WorkerLog } from '@reflex/ipam';
import type { GoldenRecordsPort } from '../ports';

/**
 * The golden records in the IPAM store (`@reflex/ipam`): connected and migrated on the first batch, once per
 * cold start; a failed connect is retried on the next batch.
 */
export class IpamStoreRecords implements GoldenRecordsPort {
  private readonly store: () => Promise<Db>;

  constructor(
    location: StoreLocation,
    private readonly log: WorkerLog,
    open: (location: StoreLocation) => Promise<Db> = openStore,
  ) {
    this.store = storeOnFirstUse(location, open);
  }

  async apply(records: readonly QueueRecord[]): Promise<BatchOutcome> {
    return applyRecords(await this.store(), records, { log: this.log });
  }
}
