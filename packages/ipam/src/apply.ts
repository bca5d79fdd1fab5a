import type { IpamInstanceMessage, IpamSubnet, IpamVpc } from '@reflex/events';
import { normalizeIp } from '@reflex/ip';
import { type Db, IpamError, type Queryable } from './db';

/** What `applyMessage` did with a message. */
export interface ApplyResult {
  readonly instanceId: string;
  readonly version: number;
  /** `applied`: the store changed; `duplicate`: this version was already applied; `stale`: a newer one was. */
  readonly outcome: 'applied' | 'duplicate' | 'stale';
}

/** A message of an `applyMessages` batch that could not be applied; the others were. */
export interface ApplyFailure {
  readonly instanceId: string;
  readonly version: number;
  readonly outcome: 'failed';
  readonly error: IpamError;
}

/** The networks one source saw at one time: a message's, or a snapshot's. */
export interface NetworkSighting {
  readonly account: string;
  readonly region: string;
  /** ISO time they were seen. */
  readonly seenAt: string;
  readonly vpcs: readonly IpamVpc[];
  readonly subnets: readonly IpamSubnet[];
}

interface LiveAddress {
  interface_id: string;
  address: string;
  kind: 'private' | 'public' | 'ipv6';
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
  const [result] = await db.transaction((tx) => applyIn(tx, [message], db.kind));
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
    return await db.transaction((tx) => applyIn(tx, messages, db.kind));
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

// A batch is applied set-wise in rounds: a round holds at most one message per instance and per interface,
// so one statement per table gives the same result as applying its messages one by one; a later message
// for the same instance or interface goes to a later round.
async function applyIn(tx: Queryable, messages: readonly IpamInstanceMessage[], kind: Db['kind']): Promise<ApplyResult[]> {
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

/**
 * Records networks as seen: inserts new VPC and subnet blocks (a subnet's parent is the VPC block that
 * contains it) and widens `first_seen`/`last_seen` of known ones, which only move outward so replays and
 * reordering leave them as they are. A block seen after it was marked deleted is live again.
 *
 * @example
 * await db.transaction((tx) => upsertNetworks(tx, [{ account, region, seenAt, vpcs: message.vpcs, subnets: message.subnets }]));
 */
export async function upsertNetworks(tx: Queryable, sightings: readonly NetworkSighting[]): Promise<void> {
  // One row per block, seen from the earliest to the latest sighting.
  type Row = { kind: string; resource_id: string; vpc_id: string; cidr: string; account: string; region: string };
  const blocks = new Map<string, Row & { first_seen: string; last_seen: string }>();
  const see = (s: NetworkSighting, kind: string, resourceId: string, vpcId: string, cidr: string) => {
    const key = `${resourceId} ${cidr}`;
    const b = blocks.get(key);
    if (!b) {
      const row = { kind, resource_id: resourceId, vpc_id: vpcId, cidr, account: s.account, region: s.region };
      blocks.set(key, { ...row, first_seen: s.seenAt, last_seen: s.seenAt });
    } else {
      if (Date.parse(s.seenAt) < Date.parse(b.first_seen)) b.first_seen = s.seenAt;
      if (Date.parse(s.seenAt) > Date.parse(b.last_seen)) b.last_seen = s.seenAt;
    }
  };
  for (const s of sightings) {
    for (const v of s.vpcs) for (const cidr of v.cidrs) see(s, 'vpc', v.vpcId, v.vpcId, cidr);
    for (const n of s.subnets) for (const cidr of [n.cidr, ...n.ipv6Cidrs]) see(s, 'subnet', n.subnetId, n.vpcId, cidr);
  }
  if (blocks.size === 0) return;
  // GROUP BY the cidr value too: two spellings of one IPv6 block must not be two rows of one statement.
  const BLOCKS = `SELECT kind, resource_id, min(vpc_id) AS vpc_id, cidr, min(account) AS account, min(region) AS region,
                         min(first_seen) AS first_seen, max(last_seen) AS last_seen
                  FROM jsonb_to_recordset($1::jsonb) AS b (kind text, resource_id text, vpc_id text, cidr cidr,
                                                           account text, region text, first_seen timestamptz,
                                                           last_seen timestamptz)
                  GROUP BY kind, resource_id, cidr`;
  // A subnet block's parent is the VPC block that contains it (none for IPv6: the message has no VPC IPv6
  // blocks). The blocks of one VPC never overlap, so a parent once found never changes: look only for
  // blocks that have none yet.
  const parentOf = (b: string) => `(SELECT p.id FROM networks p WHERE ${b}.kind = 'subnet' AND p.kind = 'vpc'
                                      AND p.resource_id = ${b}.vpc_id AND p.cidr >>= ${b}.cidr
                                    ORDER BY masklen(p.cidr) DESC LIMIT 1)`;
  // Known blocks first, widened in place (most batches only move their last_seen); the statement returns the
  // blocks not stored yet, and the IPv4 subnet blocks stored without a parent (their VPC block was unknown
  // then), for the inserts below. `= ANY ($2)` lets the planner look the blocks up by index rather than join
  // every network (it cannot count the rows of jsonb_to_recordset). The update's join needs no order: both
  // sides are read in one order by every writer, so concurrent writers lock the rows in the same order.
  const missing = await tx.query<Record<string, unknown>>(
    `WITH b AS (${BLOCKS}),
     widened AS (
       UPDATE networks n SET
         first_seen = LEAST(n.first_seen, b.first_seen),
         last_seen  = GREATEST(n.last_seen, b.last_seen),
         deleted_at = CASE WHEN b.last_seen > n.deleted_at THEN NULL ELSE n.deleted_at END
       FROM b
       WHERE n.resource_id = ANY ($2::text[]) AND n.resource_id = b.resource_id AND n.cidr = b.cidr
         AND (b.first_seen < n.first_seen OR b.last_seen > n.last_seen)
     )
     SELECT b.kind, b.resource_id, b.vpc_id, b.cidr::text AS cidr, b.account, b.region, b.first_seen, b.last_seen
     FROM b WHERE NOT EXISTS (SELECT 1 FROM networks n
                              WHERE n.resource_id = ANY ($2::text[]) AND n.resource_id = b.resource_id AND n.cidr = b.cidr
                                AND (n.parent_id IS NOT NULL OR b.kind = 'vpc' OR family(b.cidr) = 6))`,
    [JSON.stringify([...blocks.values()]), [...new Set([...blocks.values()].map((b) => b.resource_id))]],
  );
  if (missing.length === 0) return;
  // New blocks, VPCs before subnets (a subnet's parent must be there), and parents for stored subnets.
  // ON CONFLICT for those and for a writer that inserted the same block meanwhile; rows in key order, so that
  // concurrent writers lock them in one order.
  const insert = (parent: string) => `
    INSERT INTO networks (kind, resource_id, vpc_id, cidr, parent_id, account, region, first_seen, last_seen)
    SELECT b.kind, b.resource_id, b.vpc_id, b.cidr, ${parent}, b.account, b.region, b.first_seen, b.last_seen
    FROM (${BLOCKS}) AS b
    ORDER BY b.resource_id, b.cidr
    ON CONFLICT (resource_id, cidr) DO UPDATE SET
      parent_id  = COALESCE(networks.parent_id, EXCLUDED.parent_id),
      first_seen = LEAST(networks.first_seen, EXCLUDED.first_seen),
      last_seen  = GREATEST(networks.last_seen, EXCLUDED.last_seen),
      deleted_at = CASE WHEN EXCLUDED.last_seen > networks.deleted_at THEN NULL ELSE networks.deleted_at END
    WHERE EXCLUDED.first_seen < networks.first_seen OR EXCLUDED.last_seen > networks.last_seen
       OR (networks.parent_id IS NULL AND EXCLUDED.parent_id IS NOT NULL)`;
  const vpcs = missing.filter((b) => b.kind === 'vpc');
  const subnets = missing.filter((b) => b.kind === 'subnet');
  if (vpcs.length > 0) await tx.query(insert('NULL::bigint'), [JSON.stringify(vpcs)]);
  if (subnets.length > 0) await tx.query(insert(parentOf('b')), [JSON.stringify(subnets)]);
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

type Returned = LiveAddress & { instance_id: string };

/** The addresses a round's messages list (parameter $2). */
const WANTED = `jsonb_to_recordset($2::jsonb)
    AS w (instance_id text, interface_id text, address inet, kind text, event_time timestamptz)`;
/** The round's devices (parameter $1), as the CTE `m`. */
const M = `m AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS m (
         instance_id text, account text, region text, state text, instance_type text, architecture text,
         cpu_cores integer, availability_zone text, launch_time timestamptz, name text, tags jsonb,
         event_time timestamptz, version bigint, enis jsonb)
     )`;
/** Inserts or updates the devices of `m`; stored metadata stays where a message has none (terminated). */
const UPSERT_DEVICES = `INSERT INTO devices (instance_id, account, region, state, instance_type, architecture, cpu_cores,
                            availability_zone, launch_time, name, tags, first_seen, last_seen, decommissioned_at, version)
       SELECT instance_id, account, region, state, instance_type, architecture, cpu_cores, availability_zone,
              launch_time, name, COALESCE(tags, '{}'::jsonb), event_time, event_time,
              CASE WHEN state = 'terminated' THEN event_time END, version
       FROM m ORDER BY instance_id
       ON CONFLICT (instance_id) DO UPDATE SET
         state             = EXCLUDED.state,
         instance_type     = COALESCE(EXCLUDED.instance_type, devices.instance_type),
         architecture      = COALESCE(EXCLUDED.architecture, devices.architecture),
         cpu_cores         = COALESCE(EXCLUDED.cpu_cores, devices.cpu_cores),
         availability_zone = COALESCE(EXCLUDED.availability_zone, devices.availability_zone),
         launch_time       = COALESCE(EXCLUDED.launch_time, devices.launch_time),
         name              = CASE WHEN EXCLUDED.instance_type IS NULL THEN devices.name ELSE EXCLUDED.name END,
         tags              = CASE WHEN EXCLUDED.instance_type IS NULL THEN devices.tags ELSE EXCLUDED.tags END,
         first_seen        = LEAST(devices.first_seen, EXCLUDED.first_seen),
         last_seen         = GREATEST(devices.last_seen, EXCLUDED.last_seen),
         decommissioned_at = CASE WHEN EXCLUDED.state = 'terminated'
                                  THEN COALESCE(devices.decommissioned_at, EXCLUDED.decommissioned_at) END,
         version           = EXCLUDED.version`;

/**
 * Devices, interfaces and addresses of one round: at most one message per instance and per interface.
 * `known`: the instances that have a device row already (only they can have interfaces or addresses to
 * detach or release).
 */
async function writeDevices(
  tx: Queryable,
  messages: readonly IpamInstanceMessage[],
  known: readonly string[],
): Promise<{ added: Returned[]; released: Returned[] }> {
  const devices = messages.map((m) => {
    const i = m.instance;
    return {
      instance_id: m.instanceId,
      account: m.account,
      region: m.region,
      state: m.state,
      // Without `instance` details (a terminated instance) these stay null and the stored metadata is kept.
      instance_type: i?.instanceType ?? null,
      architecture: i?.architecture ?? null,
      cpu_cores: i?.cpuCores ?? null,
      availability_zone: i?.availabilityZone ?? null,
      launch_time: i?.launchTime ?? null,
      name: i?.name ?? null,
      tags: i?.tags ?? null,
      event_time: m.eventTime,
      version: m.version,
      enis: m.interfaces.map((e) => e.interfaceId),
    };
  });
  const interfaces = messages.flatMap((m) =>
    m.interfaces.map((e) => ({
      interface_id: e.interfaceId,
      instance_id: m.instanceId,
      subnet_id: e.subnetId,
      vpc_id: e.vpcId,
      mac_address: e.macAddress ?? null,
      event_time: m.eventTime,
    })),
  );
  const wanted = messages.flatMap((m) =>
    m.interfaces.flatMap((e) => {
      const row = (address: string, kind: LiveAddress['kind']) => ({
        instance_id: m.instanceId,
        interface_id: e.interfaceId,
        address,
        kind,
        event_time: m.eventTime,
      });
      return [
        ...e.privateIps.map((a) => row(a, 'private')),
        ...e.publicIps.map((a) => row(a, 'public')),
        ...e.ipv6.map((a) => row(a, 'ipv6')),
      ];
    }),
  );

  // The devices; then, for those already stored, the interfaces and addresses their messages no longer
  // list (detached, released) — before the interfaces and addresses they list are upserted, so an
  // interface or address that moved to another instance of the same round ends up on that instance.
  // `= ANY ($3)` on the stored rows lets the planner use the instance indexes instead of joining whole
  // tables. A round of new instances only (launches) has nothing to detach or release.
  const wantedJson = JSON.stringify(wanted); // both statements of a known round read it
  let released: Returned[] = [];
  // Whether no interface of the round is stored yet: then none has a live address, and every address the
  // round lists is added (see below).
  let fresh = false;
  if (known.length === 0) {
    const stored = await tx.query(
      `WITH ${M}, device AS (${UPSERT_DEVICES}) SELECT interface_id FROM interfaces WHERE interface_id = ANY ($2::text[])`,
      [JSON.stringify(devices), interfaces.map((i) => i.interface_id)],
    );
    fresh = stored.length === 0;
  } else {
    released = await tx.query<Returned>(
      `WITH ${M},
       w AS (SELECT * FROM ${WANTED}),
       device AS (${UPSERT_DEVICES}),
       detached AS (
         UPDATE interfaces i SET detached_at = m.event_time FROM m
         WHERE i.instance_id = ANY ($3::text[]) AND i.instance_id = m.instance_id AND i.detached_at IS NULL
           AND NOT (m.enis ? i.interface_id)
       )
       UPDATE addresses a SET released_at = m.event_time FROM m
       WHERE a.instance_id = ANY ($3::text[]) AND a.instance_id = m.instance_id AND a.released_at IS NULL
         AND NOT EXISTS (SELECT 1 FROM w WHERE w.instance_id = a.instance_id AND w.interface_id = a.interface_id
                                            AND w.address = a.address AND w.kind = a.kind)
       RETURNING a.instance_id, a.interface_id, host(a.address) AS address, a.kind`,
      [JSON.stringify(devices), wantedJson, known],
    );
  }
  if (interfaces.length === 0) return { added: [], released };

  // The addresses added are those the statement inserts. On fresh interfaces that is every listed address,
  // first of its (interface, address, kind), as PostgreSQL spells it: known here, so the statement need not
  // return them (RETURNING cost a batch of new instances a twentieth of its time).
  const addedHere = fresh ? addedToFresh(wanted) : undefined;
  const added = await tx.query<Returned>(
    `WITH e AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS e (
         interface_id text, instance_id text, subnet_id text, vpc_id text, mac_address text, event_time timestamptz)
     ),
     upserted AS (
       INSERT INTO interfaces (interface_id, instance_id, subnet_id, vpc_id, network_id, mac_address, first_seen)
       SELECT e.interface_id, e.instance_id, e.subnet_id, e.vpc_id,
              (SELECT n.id FROM networks n WHERE n.resource_id = e.subnet_id AND family(n.cidr) = 4
               ORDER BY n.deleted_at NULLS FIRST LIMIT 1),
              e.mac_address, e.event_time
       FROM e ORDER BY e.interface_id
       ON CONFLICT (interface_id) DO UPDATE SET
         instance_id = EXCLUDED.instance_id,
         subnet_id   = EXCLUDED.subnet_id,
         vpc_id      = EXCLUDED.vpc_id,
         network_id  = COALESCE(EXCLUDED.network_id, interfaces.network_id),
         mac_address = COALESCE(EXCLUDED.mac_address, interfaces.mac_address),
         detached_at = NULL
       WHERE (interfaces.instance_id, interfaces.subnet_id, interfaces.vpc_id, interfaces.detached_at)
               IS DISTINCT FROM (EXCLUDED.instance_id, EXCLUDED.subnet_id, EXCLUDED.vpc_id, NULL)
          OR (interfaces.network_id IS NULL AND EXCLUDED.network_id IS NOT NULL)
          OR (EXCLUDED.mac_address IS NOT NULL AND interfaces.mac_address IS DISTINCT FROM EXCLUDED.mac_address)
     )
     INSERT INTO addresses (address, kind, interface_id, instance_id, assigned_at)
     SELECT w.address, w.kind, w.interface_id, w.instance_id, w.event_time FROM ${WANTED}
     ON CONFLICT (interface_id, address, kind) WHERE released_at IS NULL DO NOTHING
     ${addedHere ? '' : 'RETURNING instance_id, interface_id, host(address) AS address, kind'}`,
    [JSON.stringify(interfaces), wantedJson],
  );
  return { added: addedHere ?? added, released };
}

/**
 * The rows that inserting `wanted` into interfaces without live addresses adds: the first of each
 * (interface, address, kind), with the address as PostgreSQL's `host()` prints it (`normalizeIp`); undefined
 * when an address is in a form `normalizeIp` does not read (the statement then returns what it added).
 */
function addedToFresh(wanted: readonly (Returned & { event_time: string })[]): Returned[] | undefined {
  const out = new Map<string, Returned>();
  for (const w of wanted) {
    const address = normalizeIp(w.address);
    if (address === undefined) return undefined;
    const key = `${w.interface_id} ${address} ${w.kind}`;
    if (!out.has(key)) out.set(key, { instance_id: w.instance_id, interface_id: w.interface_id, address, kind: w.kind });
  }
  return [...out.values()];
}
