import type { IpamInstanceMessage } from '@reflex/events';
import { normalizeCidr, normalizeIp } from '@reflex/ip';
import { applyMessages, upsertNetworks } from '../apply';
import { type Db, describeError } from '../db';
import type { Ec2Snapshot } from './inventory';

/** What kind of difference between the store and EC2. */
export type DriftKind = 'instance-missing' | 'instance-changed' | 'instance-gone' | 'network-missing' | 'network-deleted';

/** One instance or network that differs between the store and EC2. */
export interface DriftItem {
  readonly kind: DriftKind;
  /** The instance, VPC or subnet id. */
  readonly id: string;
  /** What differed, one line each: `state running → stopped`, `private 10.0.1.5 on eni-… added`. */
  readonly differences: string[];
  /**
   * `corrected`: the store now matches EC2; `pending`: a dry run found it; `skipped`: the store holds a newer
   * event than the snapshot, which must not overwrite it; `failed`: the correction was not written.
   */
  readonly action: 'corrected' | 'pending' | 'skipped' | 'failed';
  /** Why it failed, when it did. */
  readonly error?: string;
}

/** What `reconcile` found and did. */
export interface DriftReport {
  readonly account: string;
  readonly region: string;
  readonly observedAt: string;
  readonly dryRun: boolean;
  /** How many instances and network blocks were compared. */
  readonly checked: { readonly instances: number; readonly networks: number };
  readonly items: DriftItem[];
  /** Items per kind. */
  readonly counts: Record<DriftKind, number>;
  readonly corrected: number;
  readonly skipped: number;
  readonly failed: number;
}

interface StoredDevice {
  instance_id: string;
  account: string;
  region: string;
  state: string;
  version: number;
  instance_type: string | null;
  architecture: string | null;
  cpu_cores: number | null;
  availability_zone: string | null;
  launch_time: unknown;
  name: string | null;
  tags: Record<string, string>;
}

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

const CHUNK = 500;

/**
 * Compares the store with an EC2 snapshot of one account and region and corrects the drift: instances
 * missing from the store or different in state, interfaces, addresses or metadata (written as the
 * snapshot's message); instances the store holds as live but EC2 no longer lists (decommissioned);
 * networks missing (recorded, even without instances) or gone from EC2 (marked deleted). Corrections go
 * through `applyMessages`, so a stored event newer than the snapshot wins and the item is `skipped`.
 * Reconciling again right after finds no drift.
 *
 * @example
 * const report = await reconcile(db, await new Ec2Inventory(ec2).snapshot({ account, region }), { dryRun: true });
 * console.log(formatDriftReport(report));
 */
export async function reconcile(
  db: Db,
  snapshot: Ec2Snapshot,
  options: {
    /** Report without writing. @default false */
    dryRun?: boolean;
    onProgress?: (progress: { done: number; total: number }) => void;
  } = {},
): Promise<DriftReport> {
  const dryRun = options.dryRun ?? false;
  const observedAt = Date.parse(snapshot.observedAt);
  const items: DriftItem[] = [];

  const networks = await networkDrift(db, snapshot, dryRun);
  items.push(...networks.items);

  const store = await loadDevices(db, snapshot);
  const listed = new Set(snapshot.messages.map((m) => m.instanceId));
  const gone: IpamInstanceMessage[] = [...store.devices.values()]
    .filter((d) => d.account === snapshot.account && d.region === snapshot.region && d.state !== 'terminated')
    .filter((d) => !listed.has(d.instance_id))
    .map((d) => ({
      schemaVersion: 1,
      account: d.account,
      region: d.region,
      eventTime: snapshot.observedAt,
      instanceId: d.instance_id,
      state: 'terminated',
      version: observedAt,
      interfaces: [],
      subnets: [],
      vpcs: [],
    }));
  const candidates = [...snapshot.messages, ...gone];
  const total = candidates.length;
  options.onProgress?.({ done: 0, total });
  for (let start = 0; start < total; start += CHUNK) {
    const drifted: { message: IpamInstanceMessage; item: Omit<DriftItem, 'action'>; newer: boolean }[] = [];
    for (const message of candidates.slice(start, start + CHUNK)) {
      const stored = store.devices.get(message.instanceId);
      const kind: DriftKind = !stored ? 'instance-missing' : listed.has(message.instanceId) ? 'instance-changed' : 'instance-gone';
      const differences = stored ? compare(stored, store, message) : summary(message);
      if (differences.length === 0) continue;
      const newer = !!stored && stored.version >= message.version;
      drifted.push({ message, item: { kind, id: message.instanceId, differences }, newer });
    }
    const toWrite = dryRun ? [] : drifted.filter((d) => !d.newer);
    const outcomes = new Map((await applyMessages(db, toWrite.map((d) => d.message))).map((o, i) => [toWrite[i]!, o]));
    for (const d of drifted) {
      const outcome = outcomes.get(d);
      // A stale or duplicate outcome: a worker applied a newer event since the store was read.
      const raced = outcome && outcome.outcome !== 'applied' && outcome.outcome !== 'failed';
      if (d.newer || raced) items.push({ ...d.item, action: 'skipped' });
      else if (!outcome) items.push({ ...d.item, action: 'pending' });
      else if (outcome.outcome === 'failed') items.push({ ...d.item, action: 'failed', error: describeError(outcome.error) });
      else items.push({ ...d.item, action: 'corrected' });
    }
    options.onProgress?.({ done: Math.min(total, start + CHUNK), total });
  }

  const counts = { 'instance-missing': 0, 'instance-changed': 0, 'instance-gone': 0, 'network-missing': 0, 'network-deleted': 0 };
  for (const item of items) counts[item.kind]++;
  const count = (action: DriftItem['action']) => items.filter((i) => i.action === action).length;
  return {
    account: snapshot.account,
    region: snapshot.region,
    observedAt: snapshot.observedAt,
    dryRun,
    checked: { instances: total, networks: networks.checked },
    items,
    counts,
    corrected: count('corrected'),
    skipped: count('skipped'),
    failed: count('failed'),
  };
}

/** Network blocks missing from the store (recorded) and live in the store but not in EC2 (marked deleted). */
async function networkDrift(db: Db, snapshot: Ec2Snapshot, dryRun: boolean): Promise<{ items: DriftItem[]; checked: number }> {
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
    else if (s.deleted_at != null) missing.push({ ...block, newer: time(s.deleted_at) >= observedAt });
  }
  const deleted = [...stored.values()]
    .filter((s) => s.account === snapshot.account && s.region === snapshot.region && s.deleted_at == null)
    .filter((s) => !seen.has(key(s.resource_id, s.cidr)))
    // Seen by an event after the snapshot was taken: it may be new, not gone.
    .map((s) => ({ kind: s.kind, resourceId: s.resource_id, cidr: s.cidr, newer: time(s.last_seen) > observedAt }));

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

interface StoredInterface {
  interface_id: string;
  subnet_id: string;
  vpc_id: string;
  mac_address: string | null;
}

interface StoreView {
  devices: Map<string, StoredDevice>;
  interfaces: Map<string, StoredInterface[]>;
  addresses: Map<string, { interface_id: string; address: string; kind: string }[]>;
}

/** Devices of this account and region, or listed in the snapshot, with their live interfaces and addresses. */
async function loadDevices(db: Db, snapshot: Ec2Snapshot): Promise<StoreView> {
  const params = [snapshot.account, snapshot.region, snapshot.messages.map((m) => m.instanceId)];
  const scope = `SELECT instance_id FROM devices WHERE (account = $1 AND region = $2) OR instance_id = ANY ($3::text[])`;
  const devices = await db.query<StoredDevice>(
      `SELECT instance_id, account, region, state, version::float8 AS version, instance_type, architecture, cpu_cores,
              availability_zone, launch_time, name, tags
       FROM devices WHERE (account = $1 AND region = $2) OR instance_id = ANY ($3::text[])`,
      params,
  );
  const interfaces = await db.query<{ instance_id: string } & StoredInterface>(
      `SELECT instance_id, interface_id, subnet_id, vpc_id, mac_address FROM interfaces
       WHERE detached_at IS NULL AND instance_id IN (${scope})`,
      params,
  );
  const addresses = await db.query<{ instance_id: string; interface_id: string; address: string; kind: string }>(
      `SELECT instance_id, interface_id, host(address) AS address, kind FROM addresses
       WHERE released_at IS NULL AND instance_id IN (${scope})`,
      params,
  );
  return {
    devices: new Map(devices.map((d) => [d.instance_id, { ...d, version: Number(d.version) }])),
    interfaces: groupBy(interfaces, (i) => i.instance_id),
    addresses: groupBy(addresses, (a) => a.instance_id),
  };
}

/** What differs between the stored device and the message, one line each; none when they agree. */
function compare(d: StoredDevice, store: StoreView, m: IpamInstanceMessage): string[] {
  const out: string[] = [];
  if (d.state !== m.state) out.push(`state ${d.state} → ${m.state}`);
  const i = m.instance;
  if (i) {
    const field = (name: string, stored: unknown, wanted: unknown) => {
      if ((stored ?? null) !== (wanted ?? null)) out.push(`${name} ${stored ?? '(none)'} → ${wanted ?? '(none)'}`);
    };
    field('instanceType', d.instance_type, i.instanceType);
    field('architecture', d.architecture, i.architecture);
    field('cpuCores', d.cpu_cores, i.cpuCores);
    field('availabilityZone', d.availability_zone, i.availabilityZone);
    field('launchTime', d.launch_time == null ? null : new Date(time(d.launch_time)).toISOString(), new Date(i.launchTime).toISOString());
    field('name', d.name, i.name);
    for (const k of new Set([...Object.keys(d.tags ?? {}), ...Object.keys(i.tags)])) {
      const [was, is] = [d.tags?.[k], i.tags[k]];
      if (was === is) continue;
      out.push(was === undefined ? `tag ${k}=${is} added` : is === undefined ? `tag ${k} removed` : `tag ${k} ${was} → ${is}`);
    }
  }
  const storedEnis = new Map((store.interfaces.get(d.instance_id) ?? []).map((e) => [e.interface_id, e]));
  for (const eni of m.interfaces) {
    const s = storedEnis.get(eni.interfaceId);
    if (!s) out.push(`interface ${eni.interfaceId} attached`);
    else {
      if (s.subnet_id !== eni.subnetId) out.push(`interface ${eni.interfaceId} subnet ${s.subnet_id} → ${eni.subnetId}`);
      if (eni.macAddress && s.mac_address !== eni.macAddress) {
        out.push(`interface ${eni.interfaceId} MAC ${s.mac_address ?? '(none)'} → ${eni.macAddress}`);
      }
    }
  }
  const listedEnis = new Set(m.interfaces.map((e) => e.interfaceId));
  for (const id of storedEnis.keys()) if (!listedEnis.has(id)) out.push(`interface ${id} detached`);

  const addressKey = (kind: string, address: string, eni: string) => `${kind} ${normalizeIp(address) ?? address} on ${eni}`;
  const storedAddresses = new Set((store.addresses.get(d.instance_id) ?? []).map((a) => addressKey(a.kind, a.address, a.interface_id)));
  const wanted = new Set(
    m.interfaces.flatMap((e) => [
      ...e.privateIps.map((a) => addressKey('private', a, e.interfaceId)),
      ...e.publicIps.map((a) => addressKey('public', a, e.interfaceId)),
      ...e.ipv6.map((a) => addressKey('ipv6', a, e.interfaceId)),
    ]),
  );
  for (const a of wanted) if (!storedAddresses.has(a)) out.push(`${a} added`);
  for (const a of storedAddresses) if (!wanted.has(a)) out.push(`${a} released`);
  return out;
}

/** An instance the store does not have, in a line or two. */
function summary(m: IpamInstanceMessage): string[] {
  const addresses = m.interfaces.flatMap((e) => [...e.privateIps, ...e.publicIps, ...e.ipv6]);
  return [
    `not in the store: ${m.state}${m.instance?.name ? ` (${m.instance.name})` : ''}, ` +
      `${plural(m.interfaces.length, 'interface')}, ${plural(addresses.length, 'address', 'addresses')}`,
  ];
}

/**
 * The drift report as plain text for a terminal: a summary line, then each item with what differed.
 *
 * @example
 * console.log(formatDriftReport(await reconcile(db, snapshot, { dryRun: true })));
 */
export function formatDriftReport(report: DriftReport): string {
  const where = `${report.account}/${report.region} at ${report.observedAt}${report.dryRun ? ' (dry run)' : ''}`;
  const checked = `${plural(report.checked.instances, 'instance')} and ${plural(report.checked.networks, 'network block')} checked`;
  if (report.items.length === 0) return `No drift in ${where}: ${checked}.`;
  const kinds = (Object.entries(report.counts) as [DriftKind, number][]).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`);
  const actions = [
    report.dryRun ? `${report.items.length - report.skipped} to correct` : `${report.corrected} corrected`,
    ...(report.skipped ? [`${report.skipped} skipped (the store holds a newer event)`] : []),
    ...(report.failed ? [`${report.failed} failed`] : []),
  ];
  const found = `${plural(report.items.length, 'difference')} (${kinds.join(', ')})`;
  const lines = [`Drift in ${where}: ${checked}; ${found}: ${actions.join(', ')}.`];
  const width = Math.max(...report.items.map((i) => i.kind.length));
  for (const item of report.items) {
    lines.push(`  ${item.kind.padEnd(width)}  ${item.id}  [${item.action}]${item.error ? ` ${item.error}` : ''}`);
    for (const d of item.differences) lines.push(`    ${d}`);
  }
  return lines.join('\n');
}

// One spelling per address and block: the store's and EC2's may differ in zeros and case.
const key = (resourceId: string, cidr: string) => `${resourceId} ${normalizeCidr(cidr) ?? cidr}`;

const time = (v: unknown): number => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function groupBy<T>(items: readonly T[], by: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(item);
  }
  return out;
}

