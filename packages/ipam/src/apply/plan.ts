import type { IpamInstanceMessage } from '@reflex/events';
import type { Db, Queryable } from '../db';
import { type LiveAddress, writeDevices } from './devices';
import { upsertNetworks } from './networks';

/** What `applyMessage` did with a message. */
export interface ApplyResult {
  readonly instanceId: string;
  readonly version: number;
  /** `applied`: the store changed; `duplicate`: this version was already applied; `stale`: a newer one was. */
  readonly outcome: 'applied' | 'duplicate' | 'stale';
}

/**
 * Applies a batch inside the transaction `tx`; one result per message, in order. Set-wise, in rounds: a round
 * holds at most one message per instance and per interface, so one statement per table gives the same result
 * as applying its messages one by one; a later message for the same instance or interface goes to a later
 * round.
 */
export async function applyBatch(tx: Queryable, messages: readonly IpamInstanceMessage[], kind: Db['kind']): Promise<ApplyResult[]> {
  const ids = [...new Set(messages.map((m) => m.instanceId))];
  // Serialises writers of one instance (two workers, two batches) on a server without a row to lock yet;
  // in hash order, so two batches sharing instances cannot deadlock. PGlite is one connection whose
  // transactions run one at a time: nothing to serialise.
  if (kind === 'postgres') {
    await tx.query(
      'SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtext(id) AS h FROM unnest($1::text[]) AS id ORDER BY h) AS ordered',
      [ids],
    );
  }
  await upsertNetworks(
    tx,
    messages.map((m) => ({ account: m.account, region: m.region, seenAt: m.eventTime, vpcs: m.vpcs, subnets: m.subnets })),
  );
  const stored = new Map(
    (
      await tx.query<{ instance_id: string; version: number; state: string }>(
        'SELECT instance_id, version::float8 AS version, state FROM devices WHERE instance_id = ANY ($1::text[])',
        [ids],
      )
    ).map((r) => [r.instance_id, { version: Number(r.version), state: r.state }]),
  );

  const results: ApplyResult[] = new Array(messages.length);
  for (const round of rounds(messages)) {
    const applied: { m: IpamInstanceMessage; from: string | null }[] = [];
    const ignored: { m: IpamInstanceMessage; storedVersion: number }[] = [];
    for (const i of round) {
      const m = messages[i]!;
      const before = stored.get(m.instanceId);
      const outcome = !before || before.version < m.version ? 'applied' : before.version === m.version ? 'duplicate' : 'stale';
      results[i] = { instanceId: m.instanceId, version: m.version, outcome };
      if (outcome === 'stale') ignored.push({ m, storedVersion: before!.version });
      if (outcome !== 'applied') continue;
      applied.push({ m, from: before?.state ?? null });
      stored.set(m.instanceId, { version: m.version, state: m.state });
    }
    await applyRound(tx, applied, ignored);
  }
  return results;
}

function rounds(messages: readonly IpamInstanceMessage[]): number[][] {
  const out: number[][] = [];
  const lastRound = new Map<string, number>();
  for (const [i, m] of messages.entries()) {
    const keys = [m.instanceId, ...m.interfaces.map((e) => e.interfaceId)];
    const round = Math.max(-1, ...keys.map((k) => lastRound.get(k) ?? -1)) + 1;
    for (const k of keys) lastRound.set(k, round);
    (out[round] ??= []).push(i);
  }
  return out;
}

async function applyRound(
  tx: Queryable,
  applied: readonly { m: IpamInstanceMessage; from: string | null }[],
  ignored: readonly { m: IpamInstanceMessage; storedVersion: number }[],
): Promise<void> {
  type HistoryRow = { instance_id: string; version: number; outcome: 'applied' | 'ignored'; change: object };
  const history: HistoryRow[] = ignored.map(({ m, storedVersion }) => ({
    instance_id: m.instanceId,
    version: m.version,
    outcome: 'ignored' as const,
    change: { reason: 'older than stored', storedVersion, state: m.state },
  }));
  if (applied.length > 0) {
    const known = applied.filter(({ from }) => from !== null).map(({ m }) => m.instanceId);
    const { added, released } = await writeDevices(tx, applied.map(({ m }) => m), known);
    const of = (rows: (LiveAddress & { instance_id: string })[], id: string): LiveAddress[] =>
      rows.filter((r) => r.instance_id === id).map(({ interface_id, address, kind }) => ({ interface_id, address, kind }));
    for (const { m, from } of applied) {
      const change = {
        state: { from, to: m.state },
        added: of(added, m.instanceId),
        released: of(released, m.instanceId),
        ...(m.state === 'terminated' ? { decommissioned: true } : {}),
      };
      history.push({ instance_id: m.instanceId, version: m.version, outcome: 'applied', change });
    }
  }
  if (history.length === 0) return;
  await tx.query(
    `INSERT INTO history (instance_id, version, outcome, change)
     SELECT instance_id, version, outcome, change
     FROM jsonb_to_recordset($1::jsonb) AS h (instance_id text, version bigint, outcome text, change jsonb)
     ON CONFLICT (instance_id, version) DO NOTHING`,
    [JSON.stringify(history)],
  );
}
