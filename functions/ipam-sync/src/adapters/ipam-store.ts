import { applyRecords, type BatchOutcome, type Db, openStore, type QueueRecord, type StoreLocation, type WorkerLog } from '@reflex/ipam';
import type { GoldenRecordsPort } from '../ports';

/**
 * The golden records in the IPAM store (`@reflex/ipam`): connected and migrated on the first batch, once per
 * cold start; a failed connect is retried on the next batch.
 */
export class IpamStoreRecords implements GoldenRecordsPort {
  private db: Promise<Db> | undefined;

  constructor(
    private readonly location: StoreLocation,
    private readonly log: WorkerLog,
    private readonly open: (location: StoreLocation) => Promise<Db> = openStore,
  ) {}

  async apply(records: readonly QueueRecord[]): Promise<BatchOutcome> {
    this.db ??= this.open(this.location).catch((error: unknown) => {
      this.db = undefined;
      throw error;
    });
    return applyRecords(await this.db, records, { log: this.log });
  }
}
