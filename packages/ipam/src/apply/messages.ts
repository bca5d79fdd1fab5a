import type { IpamInstanceMessage } from '@reflex/events';
import { type Db, IpamError } from '../db';
import { type ApplyResult, applyBatch } from './plan';

/** A message of an `applyMessages` batch that could not be applied; the others were. */
export interface ApplyFailure {
  readonly instanceId: string;
  readonly version: number;
  readonly outcome: 'failed';
  readonly error: IpamError;
}

/**
 * Applies one enricher message to the golden records in one transaction. Idempotent: the same message
 * twice changes nothing. Order-safe: a message older than the device's stored version is recorded in
 * history as `ignored` and changes nothing else. A terminated instance releases its addresses and stays
 * as a decommissioned device.
 *
 * @example
 * await applyMessage(db, IpamInstanceMessageSchema.parse(JSON.parse(record.body)));
 * // { instanceId: 'i-0abc…', version: 1772359200000, outcome: 'applied' }
 */
export async function applyMessage(db: Db, message: IpamInstanceMessage): Promise<ApplyResult> {
  const [result] = await db.transaction((tx) => applyBatch(tx, [message], db.kind));
  return result!;
}

/**
 * Applies a batch of messages in one transaction, with the guarantees of `applyMessage` applied in the
 * given order (several messages for one instance included), and returns one outcome per message, in
 * order. When the batch fails, each message is applied on its own so that only the bad ones fail.
 *
 * @example
 * const outcomes = await applyMessages(db, records.map((r) => IpamInstanceMessageSchema.parse(JSON.parse(r.body))));
 * const failed = outcomes.filter((o) => o.outcome === 'failed');
 */
export async function applyMessages(
  db: Db,
  messages: readonly IpamInstanceMessage[],
): Promise<(ApplyResult | ApplyFailure)[]> {
  if (messages.length === 0) return [];
  try {
    return await db.transaction((tx) => applyBatch(tx, messages, db.kind));
  } catch {
    const outcomes: (ApplyResult | ApplyFailure)[] = [];
    for (const m of messages) {
      try {
        outcomes.push(await applyMessage(db, m));
      } catch (cause) {
        const error = new IpamError(`cannot apply ${m.instanceId} version ${m.version}`, { cause });
        outcomes.push({ instanceId: m.instanceId, version: m.version, outcome: 'failed', error });
      }
    }
    return outcomes;
  }
}
