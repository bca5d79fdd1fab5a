import type { IpamInstanceMessage } from '@reflex/events';
import { normalizeIp } from '@reflex/ip';
import type { Queryable } from '../db';

/** A live address of an interface, as the history records it. */
export interface LiveAddress {
  interface_id: string;
  address: string;
  kind: 'private' | 'public' | 'ipv6';
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
export async function writeDevices(
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
