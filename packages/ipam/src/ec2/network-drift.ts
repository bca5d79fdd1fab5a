import { normalizeCidr } from '@reflex/ip';
import { upsertNetworks } from '../apply';
import { type Db, timeOf } from '../db';
import type { Ec2Snapshot } from './inventory';
import type { DriftItem, DriftKind } from './report';

interface StoredBlock {
  kind: 'vpc' | 'subnet';
  resource_id: string;
  cidr: string;
  account: string;
  region: string;
  last_seen: unknown;
  deleted_at: unknown;
}

interface Block {
  kind: 'vpc' | 'subnet';
  resourceId: string;
  cidr: string;
}

/** Network blocks missing from the store (recorded) and live in the store but not in EC2 (marked deleted). */
export async function networkDrift(db: Db, snapshot: Ec2Snapshot, dryRun: boolean): Promise<{ items: DriftItem[]; checked: number }> {
  const observedAt = Date.parse(snapshot.observedAt);
  const seen = new Map<string, Block>();
  for (const v of snapshot.vpcs) for (const cidr of v.cidrs) seen.set(key(v.vpcId, cidr), { kind: 'vpc', resourceId: v.vpcId, cidr });
  for (const s of snapshot.subnets) {
    for (const cidr of [s.cidr, ...s.ipv6Cidrs]) seen.set(key(s.subnetId, cidr), { kind: 'subnet', resourceId: s.subnetId, cidr });
  }
  // This account's and region's blocks, and those of the listed networks wherever the store put them (a
  // shared VPC may be recorded under its owner's account).
  const stored = new Map(
    (
      await db.query<StoredBlock>(
        `SELECT kind, resource_id, cidr::text AS cidr, account, region, last_seen, deleted_at FROM networks
         WHERE (account = $1 AND region = $2) OR resource_id = ANY ($3::text[])`,
        [snapshot.account, snapshot.region, [...new Set([...seen.values()].map((b) => b.resourceId))]],
      )
    ).map((b) => [key(b.resource_id, b.cidr), b]),
  );

  const missing: (Block & { newer: boolean })[] = [];
  for (const [k, block] of seen) {
    const s = stored.get(k);
    // Deleted after the snapshot was taken: the snapshot is the stale one.
    if (!s) missing.push({ ...block, newer: false });
    else if (s.deleted_at != null) missing.push({ ...block, newer: timeOf(s.deleted_at) >= observedAt });
  }
  const deleted = [...stored.values()]
    .filter((s) => s.account === snapshot.account && s.region === snapshot.region && s.deleted_at == null)
    .filter((s) => !seen.has(key(s.resource_id, s.cidr)))
    // Seen by an event after the snapshot was taken: it may be new, not gone.
    .map((s) => ({ kind: s.kind, resourceId: s.resource_id, cidr: s.cidr, newer: timeOf(s.last_seen) > observedAt }));

  if (!dryRun && missing.some((b) => !b.newer)) {
    const ids = new Set(missing.filter((b) => !b.newer).map((b) => b.resourceId));
    await db.transaction((tx) =>
      upsertNetworks(tx, [
        {
          account: snapshot.account,
          region: snapshot.region,
          seenAt: snapshot.observedAt,
          vpcs: snapshot.vpcs.filter((v) => ids.has(v.vpcId)),
          subnets: snapshot.subnets.filter((s) => ids.has(s.subnetId)),
        },
      ]),
    );
  }
  const toDelete = deleted.filter((b) => !b.newer);
  if (!dryRun && toDelete.length > 0) {
    await db.query(
      `UPDATE networks n SET deleted_at = $2
       FROM jsonb_to_recordset($1::jsonb) AS d (resource_id text, cidr cidr)
       WHERE n.resource_id = d.resource_id AND n.cidr = d.cidr AND n.deleted_at IS NULL AND n.last_seen <= $2`,
      [JSON.stringify(toDelete.map((b) => ({ resource_id: b.resourceId, cidr: b.cidr }))), snapshot.observedAt],
    );
  }

  const items = [
    ...grouped('network-missing', missing, dryRun),
    ...grouped('network-deleted', deleted, dryRun),
  ];
  return { items, checked: new Set([...seen.keys(), ...stored.keys()]).size };
}

/** One item per network and action, listing its blocks. */
function grouped(kind: DriftKind, blocks: readonly (Block & { newer: boolean })[], dryRun: boolean): DriftItem[] {
  const byId = new Map<string, DriftItem & { differences: string[] }>();
  for (const b of blocks) {
    const action = b.newer ? 'skipped' : dryRun ? 'pending' : 'corrected';
    const k = `${b.resourceId} ${action}`;
    if (!byId.has(k)) byId.set(k, { kind, id: b.resourceId, differences: [], action });
    byId.get(k)!.differences.push(`${b.kind} block ${b.cidr} ${kind === 'network-missing' ? 'not in the store' : 'no longer in EC2'}`);
  }
  return [...byId.values()].sort((x, y) => x.id.localeCompare(y.id));
}

// One spelling per block: the store's and EC2's may differ in zeros and case.
const key = (resourceId: string, cidr: string) => `${resourceId} ${normalizeCidr(cidr) ?? cidr}`;
