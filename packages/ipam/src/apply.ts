import type { IpamInstanceMessage } from '@reflex/events';
import type { Db, Queryable } from './db';

/** What `applyMessage` did with a message. */
export interface ApplyResult {
  readonly instanceId: string;
  readonly version: number;
  /** `applied`: the store changed; `duplicate`: this version was already applied; `stale`: a newer one was. */
  readonly outcome: 'applied' | 'duplicate' | 'stale';
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
export function applyMessage(db: Db, message: IpamInstanceMessage): Promise<ApplyResult> {
  return db.transaction((tx) => applyIn(tx, message));
}

async function applyIn(tx: Queryable, m: IpamInstanceMessage): Promise<ApplyResult> {
  const result = (outcome: ApplyResult['outcome']): ApplyResult => ({ instanceId: m.instanceId, version: m.version, outcome });
  // Serialises writers of one instance (two workers, two messages) without a row to lock yet.
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [m.instanceId]);

  await upsertNetworks(tx, m);

  const [stored] = await tx.query<{ version: number; state: string }>(
    'SELECT version::float8 AS version, state FROM devices WHERE instance_id = $1',
    [m.instanceId],
  );
  if (stored && stored.version === m.version) return result('duplicate');
  if (stored && stored.version > m.version) {
    await tx.query(
      `INSERT INTO history (instance_id, version, outcome, change)
       VALUES ($1, $2, 'ignored', $3::jsonb) ON CONFLICT (instance_id, version) DO NOTHING`,
      [m.instanceId, m.version, JSON.stringify({ reason: 'older than stored', storedVersion: stored.version, state: m.state })],
    );
    return result('stale');
  }

  await upsertDevice(tx, m);
  await upsertInterfaces(tx, m);
  const { added, released } = await syncAddresses(tx, m);

  const change = {
    state: { from: stored?.state ?? null, to: m.state },
    added,
    released,
    ...(m.state === 'terminated' ? { decommissioned: true } : {}),
  };
  await tx.query(
    `INSERT INTO history (instance_id, version, outcome, change)
     VALUES ($1, $2, 'applied', $3::jsonb) ON CONFLICT (instance_id, version) DO NOTHING`,
    [m.instanceId, m.version, JSON.stringify(change)],
  );
  return result('applied');
}

async function upsertNetworks(tx: Queryable, m: IpamInstanceMessage): Promise<void> {
  // first_seen/last_seen only move outward, so replaying or reordering messages leaves them as they are.
  const upsert = `
    INSERT INTO networks (kind, resource_id, vpc_id, cidr, parent_id, account, region, first_seen, last_seen)
    VALUES ($1, $2, $3, $4::cidr, $5, $6, $7, $8, $8)
    ON CONFLICT (resource_id, cidr) DO UPDATE SET
      parent_id  = COALESCE(EXCLUDED.parent_id, networks.parent_id),
      first_seen = LEAST(networks.first_seen, EXCLUDED.first_seen),
      last_seen  = GREATEST(networks.last_seen, EXCLUDED.last_seen)`;
  for (const vpc of m.vpcs) {
    for (const cidr of vpc.cidrs) {
      await tx.query(upsert, ['vpc', vpc.vpcId, vpc.vpcId, cidr, null, m.account, m.region, m.eventTime]);
    }
  }
  for (const subnet of m.subnets) {
    for (const cidr of [subnet.cidr, ...subnet.ipv6Cidrs]) {
      // The parent is the VPC block that contains the subnet block (none known yet for IPv6).
      const [parent] = await tx.query<{ id: number }>(
        `SELECT id::float8 AS id FROM networks
         WHERE kind = 'vpc' AND resource_id = $1 AND cidr >>= $2::cidr
         ORDER BY masklen(cidr) DESC LIMIT 1`,
        [subnet.vpcId, cidr],
      );
      await tx.query(upsert, ['subnet', subnet.subnetId, subnet.vpcId, cidr, parent?.id ?? null, m.account, m.region, m.eventTime]);
    }
  }
}

async function upsertDevice(tx: Queryable, m: IpamInstanceMessage): Promise<void> {
  const i = m.instance;
  const terminated = m.state === 'terminated';
  // Without `instance` details (a terminated instance), keep the metadata we already have.
  await tx.query(
    `INSERT INTO devices (instance_id, account, region, state, instance_type, architecture, cpu_cores,
                          availability_zone, launch_time, name, tags, first_seen, last_seen, decommissioned_at, version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, COALESCE($11::jsonb, '{}'::jsonb), $12, $12, $13, $14)
     ON CONFLICT (instance_id) DO UPDATE SET
       state             = EXCLUDED.state,
       instance_type     = COALESCE(EXCLUDED.instance_type, devices.instance_type),
       architecture      = COALESCE(EXCLUDED.architecture, devices.architecture),
       cpu_cores         = COALESCE(EXCLUDED.cpu_cores, devices.cpu_cores),
       availability_zone = COALESCE(EXCLUDED.availability_zone, devices.availability_zone),
       launch_time       = COALESCE(EXCLUDED.launch_time, devices.launch_time),
       name              = CASE WHEN $11::jsonb IS NULL THEN devices.name ELSE EXCLUDED.name END,
       tags              = COALESCE($11::jsonb, devices.tags),
       first_seen        = LEAST(devices.first_seen, EXCLUDED.first_seen),
       last_seen         = GREATEST(devices.last_seen, EXCLUDED.last_seen),
       decommissioned_at = CASE WHEN $4 = 'terminated' THEN COALESCE(devices.decommissioned_at, EXCLUDED.decommissioned_at) END,
       version           = EXCLUDED.version`,
    [
      m.instanceId,
      m.account,
      m.region,
      m.state,
      i?.instanceType ?? null,
      i?.architecture ?? null,
      i?.cpuCores ?? null,
      i?.availabilityZone ?? null,
      i?.launchTime ?? null,
      i?.name ?? null,
      i ? JSON.stringify(i.tags) : null,
      m.eventTime,
      terminated ? m.eventTime : null,
      m.version,
    ],
  );
}

async function upsertInterfaces(tx: Queryable, m: IpamInstanceMessage): Promise<void> {
  for (const eni of m.interfaces) {
    await tx.query(
      `INSERT INTO interfaces (interface_id, instance_id, subnet_id, vpc_id, network_id, mac_address, first_seen)
       VALUES ($1, $2, $3, $4,
               (SELECT id FROM networks WHERE resource_id = $3 AND family(cidr) = 4 LIMIT 1), $5, $6)
       ON CONFLICT (interface_id) DO UPDATE SET
         instance_id = EXCLUDED.instance_id,
         subnet_id   = EXCLUDED.subnet_id,
         vpc_id      = EXCLUDED.vpc_id,
         network_id  = COALESCE(EXCLUDED.network_id, interfaces.network_id),
         mac_address = COALESCE(EXCLUDED.mac_address, interfaces.mac_address),
         detached_at = NULL`,
      [eni.interfaceId, m.instanceId, eni.subnetId, eni.vpcId, eni.macAddress ?? null, m.eventTime],
    );
  }
  await tx.query(
    `UPDATE interfaces SET detached_at = $2
     WHERE instance_id = $1 AND detached_at IS NULL
       AND NOT (interface_id = ANY (SELECT jsonb_array_elements_text($3::jsonb)))`,
    [m.instanceId, m.eventTime, JSON.stringify(m.interfaces.map((e) => e.interfaceId))],
  );
}

async function syncAddresses(tx: Queryable, m: IpamInstanceMessage): Promise<{ added: LiveAddress[]; released: LiveAddress[] }> {
  const wanted: LiveAddress[] = m.interfaces.flatMap((eni) => [
    ...eni.privateIps.map((address) => ({ interface_id: eni.interfaceId, address, kind: 'private' as const })),
    ...eni.publicIps.map((address) => ({ interface_id: eni.interfaceId, address, kind: 'public' as const })),
    ...eni.ipv6.map((address) => ({ interface_id: eni.interfaceId, address, kind: 'ipv6' as const })),
  ]);
  const released = await tx.query<LiveAddress>(
    `UPDATE addresses a SET released_at = $2
     WHERE a.instance_id = $1 AND a.released_at IS NULL
       AND NOT EXISTS (
         SELECT 1 FROM jsonb_to_recordset($3::jsonb) AS w (interface_id text, address text, kind text)
         WHERE w.interface_id = a.interface_id AND w.address::inet = a.address AND w.kind = a.kind)
     RETURNING a.interface_id, host(a.address) AS address, a.kind`,
    [m.instanceId, m.eventTime, JSON.stringify(wanted)],
  );
  const added = await tx.query<LiveAddress>(
    `INSERT INTO addresses (address, kind, interface_id, instance_id, assigned_at)
     SELECT w.address::inet, w.kind, w.interface_id, $1, $2
     FROM jsonb_to_recordset($3::jsonb) AS w (interface_id text, address text, kind text)
     ON CONFLICT (interface_id, address, kind) WHERE released_at IS NULL DO NOTHING
     RETURNING interface_id, host(address) AS address, kind`,
    [m.instanceId, m.eventTime, JSON.stringify(wanted)],
  );
  return { added, released };
}
