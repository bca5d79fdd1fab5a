import type { QueueRecord } from '@reflex/ipam';
import type { RecordFailure } from '@reflex/lambda-kit';
import type { SQSRecord } from 'aws-lambda';
import type { GoldenRecordsPort } from './ports';

/** What a batch needs: the golden records to apply it to. */
export interface SyncDeps {
  readonly records: GoldenRecordsPort;
}

/** An SQS record as the sync reads it: its id, its body and how often the queue delivered it. */
export function toQueueRecord(record: Pick<SQSRecord, 'messageId' | 'body' | 'attributes'>): QueueRecord {
  return { id: record.messageId, body: record.body, receiveCount: Number(record.attributes.ApproximateReceiveCount) };
}

/**
 * Applies one batch of `IpamInstanceMessage` records to the golden records and names the ones to leave on the
 * queue (malformed, or not written), each with its reason. Throws when the store cannot be reached: then the
 * whole batch stays on the queue, losing nothing.
 */
export async function syncBatch(records: readonly Pick<SQSRecord, 'messageId' | 'body' | 'attributes'>[], deps: SyncDeps): Promise<readonly RecordFailure[]> {
  const outcome = await deps.records.apply(records.map(toQueueRecord));
  return outcome.failures;
}
