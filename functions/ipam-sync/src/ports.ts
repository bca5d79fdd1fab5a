import type { BatchOutcome, QueueRecord } from '@reflex/ipam';

/**
 * Port: the IPAM's golden records, to which a batch of queued messages is applied in one write:
 * idempotently and order-safely, each malformed or failed record reported alone.
 */
export interface GoldenRecordsPort {
  apply(records: readonly QueueRecord[]): Promise<BatchOutcome>;
}

/** Port: the structured log the store writes its warnings to (the kit's logger fits). */
export type { WorkerLog } from '@reflex/ipam';
