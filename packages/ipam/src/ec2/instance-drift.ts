import type { IpamInstanceMessage } from '@reflex/events';
import { normalizeIp } from '@reflex/ip';
import { describeError, plural } from '@reflex/manifest';
import { applyMessages } from '../apply';
import { type Db, timeOf } from '../db';
import type { Ec2Snapshot } from './inventory';
import type { DriftItem, DriftKind } from './report';

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

const CHUNK = 500;

/**
 * Instances missing from the store or different in state, interfaces, addresses or metadata (corrected with
 * the snapshot's message), and instances the store holds as live that EC2 no longer lists (decommissioned at
 * `observedAt`). Written in chunks through `applyMessages`, so that a stored event newer than the snapshot wins.
 */
export async function instanceDrift(
  db: Db,
  snapshot: Ec2Snapshot,
  options: { dryRun: boolean; onProgress?: (progress: { done: number; total: number }) => void },
): Promise<{ items: DriftItem[]; checked: number }> {
  const { dryRun } = options;
  const observedAt = Date.parse(snapshot.observedAt);
  const items: DriftItem[] = [];
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
      else if (outcome.outcome === 'failed') items.push({ ...d.item, action: 'failed', error: describeError(outcome.error, { names: false }) });
      else items.push({ ...d.item, action: 'corrected' });
    }
    options.onProgress?.({ done: Math.min(total, start + CHUNK), total });
  }
  return { items, checked: total };
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
    field('launchTime', d.launch_time == null ? null : new Date(timeOf(d.launch_time)).toISOString(), new Date(i.launchTime).toISOString());
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

function groupBy<T>(items: readonly T[], by: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = by(item);
    if (!out.has(k)) out.set(k, []);
    out.get(k)!.push(item);
  }
  return out;
}
