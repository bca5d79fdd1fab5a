import type { IpamSubnet, IpamVpc } from '@reflex/events';
import type { Queryable } from '../db';

/** The networks one source saw at one time: a message's, or a snapshot's. */
export interface NetworkSighting {
  readonly account: string;
  readonly region: string;
  /** ISO time they were seen. */
  readonly seenAt: string;
  readonly vpcs: readonly IpamVpc[];
  readonly subnets: readonly IpamSubnet[];
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
