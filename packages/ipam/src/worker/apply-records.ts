import { type IpamInstanceMessage, IpamInstanceMessageSchema } from '@reflex/events';
import { describeError, describeIssues } from '@reflex/manifest';
import { type ApplyResult, applyMessages } from '../apply';
import type { Db } from '../db';
import { silentLog, type WorkerLog } from './log';

/** One queued message body: an SQS record in Lambda, or a message the worker received. */
export interface QueueRecord {
  /** The SQS message id (Lambda's `itemIdentifier` in a partial batch response). */
  readonly id: string;
  readonly body: string;
  /** How many times the queue has delivered it (`ApproximateReceiveCount`), for the logs. */
  readonly receiveCount?: number;
}

/** What was done with one record that was applied: `applied`, `duplicate` or `stale`. */
export interface RecordResult extends ApplyResult {
  readonly id: string;
}

/** What `applyRecords` did with a batch: every record is in exactly one of the two lists. */
export interface BatchOutcome {
  readonly results: RecordResult[];
  /** Records to leave on the queue for redelivery (and, after `maxReceiveCount`, the DLQ). */
  readonly failures: { id: string; reason: string }[];
}

type Parsed = { record: QueueRecord; message: IpamInstanceMessage } | { record: QueueRecord; reason: string };

/**
 * Parses and applies a batch of queued `IpamInstanceMessage` bodies. A malformed record or a failed write
 * fails alone, with a reason; it never throws for one bad record. Idempotent and order-safe through
 * `applyMessage`, so redelivered and out-of-order records are harmless.
 *
 * @example
 * const { failures } = await applyRecords(db, event.Records.map((r) => ({ id: r.messageId, body: r.body })));
 * return { batchItemFailures: failures.map((f) => ({ itemIdentifier: f.id })) };
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export async function applyRecords(
  db: Db,
  records: readonly QueueRecord[],
  options: { log?: WorkerLog } = {},
): Promise<BatchOutcome> {
  const parsed = records.map(parse);
  const valid = parsed.filter((p) => 'message' in p);
  // One transaction for the batch; a message that fails fails alone (one outcome per message, in order).
  const outcomes = await applyMessages(db, valid.map((p) => p.message));

  const results: RecordResult[] = [];
  const failures: BatchOutcome['failures'] = [];
  for (const p of parsed) if ('reason' in p) failures.push({ id: p.record.id, reason: p.reason });
  for (const [i, outcome] of outcomes.entries()) {
    const { record } = valid[i]!;
    if (outcome.outcome === 'failed') failures.push({ id: record.id, reason: `apply failed: ${describeError(outcome.error, { names: false })}` });
    else results.push({ id: record.id, ...outcome });
  }
  logFailures(options.log ?? silentLog, records, failures);
  return { results, failures };
}

/** Logs each failure as a warning, with the record's receive count. */
export function logFailures(log: WorkerLog, records: readonly QueueRecord[], failures: BatchOutcome['failures']): void {
  for (const f of failures) {
    const receiveCount = records.find((r) => r.id === f.id)?.receiveCount;
    log.warn('IPAM message not applied; left on the queue for redelivery', { messageId: f.id, receiveCount, reason: f.reason });
  }
}

function parse(record: QueueRecord): Parsed {
  let json: unknown;
  try {
    json = JSON.parse(record.body);
  } catch (error) {
    return { record, reason: `body is not JSON: ${describeError(error, { names: false })}` };
  }
  const result = IpamInstanceMessageSchema.safeParse(json);
  if (result.success) return { record, message: result.data };
  return { record, reason: `not an IPAM instance message: ${describeIssues(result.error)}` };
}
