import { type Db, IpamError, timeOf } from './db';

/** A VPC or subnet block; `deletedAt` is set once reconciliation found it gone from EC2. */
export interface NetworkRecord {
  kind: 'vpc' | 'subnet';
  resourceId: string;
  vpcId: string;
  cidr: string;
  parentCidr: string | null;
  account: string;
  region: string;
  deletedAt: string | null;
}

/** An instance, live or decommissioned. */
export interface DeviceRecord {
  instanceId: string;
  account: string;
  region: string;
  state: string;
  name: string | null;
  instanceType: string | null;
  architecture: string | null;
  cpuCores: number | null;
  availabilityZone: string | null;
  launchTime: string | null;
  tags: Record<string, string>;
  firstSeen: string;
  lastSeen: string;
  decommissionedAt: string | null;
  version: number;
}

/** An address on an interface; `releasedAt` is set once it is no longer held. */
export interface AddressRecord {
  address: string;
  kind: 'private' | 'public' | 'ipv6';
  instanceId: string;
  interfaceId: string;
  subnetId: string;
  vpcId: string;
  assignedAt: string;
  releasedAt: string | null;
}

/** One entry of a device's history. */
export interface HistoryRecord {
  version: number;
  outcome: 'applied' | 'ignored';
  change: Record<string, unknown>;
}

/** What the store knows about an IP, a CIDR or an instance. */
export interface ShowResult {
  query: string;
  kind: 'ip' | 'cidr' | 'instance';
  devices: DeviceRecord[];
  addresses: AddressRecord[];
  networks: NetworkRecord[];
  history: HistoryRecord[];
}

/** Used and total addresses of one live IPv4 subnet. */
export interface SubnetUsage {
  subnetId: string;
  vpcId: string;
  cidr: string;
  account: string;
  region: string;
  /** Live private addresses on interfaces in the subnet. */
  used: number;
  /** Every address in the block. */
  total: number;
  /** `total` less the 5 AWS reserves in every subnet. */
  usable: number;
}

/** Two live VPC blocks, in different VPCs, that share addresses. */
export interface Overlap {
  a: NetworkRecord;
  b: NetworkRecord;
}

const iso = (v: unknown): string | null => (v == null ? null : new Date(timeOf(v)).toISOString());

const NETWORK_COLUMNS = `n.kind, n.resource_id, n.vpc_id, n.cidr::text AS cidr, p.cidr::text AS parent_cidr, n.account, n.region,
  n.deleted_at`;
const toNetwork = (r: Record<string, unknown>, prefix = ''): NetworkRecord => ({
  kind: r[`${prefix}kind`] as NetworkRecord['kind'],
  resourceId: r[`${prefix}resource_id`] as string,
  vpcId: r[`${prefix}vpc_id`] as string,
  cidr: r[`${prefix}cidr`] as string,
  parentCidr: (r[`${prefix}parent_cidr`] as string | null) ?? null,
  account: r[`${prefix}account`] as string,
  region: r[`${prefix}region`] as string,
  deletedAt: iso(r[`${prefix}deleted_at`]),
});

const DEVICE_COLUMNS = `d.instance_id, d.account, d.region, d.state, d.name, d.instance_type, d.architecture, d.cpu_cores,
  d.availability_zone, d.launch_time, d.tags, d.first_seen, d.last_seen, d.decommissioned_at, d.version::float8 AS version`;
const toDevice = (r: Record<string, unknown>): DeviceRecord => ({
  instanceId: r.instance_id as string,
  account: r.account as string,
  region: r.region as string,
  state: r.state as string,
  name: (r.name as string | null) ?? null,
  instanceType: (r.instance_type as string | null) ?? null,
  architecture: (r.architecture as string | null) ?? null,
  cpuCores: (r.cpu_cores as number | null) ?? null,
  availabilityZone: (r.availability_zone as string | null) ?? null,
  launchTime: iso(r.launch_time),
  tags: (r.tags as Record<string, string>) ?? {},
  firstSeen: iso(r.first_seen)!,
  lastSeen: iso(r.last_seen)!,
  decommissionedAt: iso(r.decommissioned_at),
  version: Number(r.version),
});

const ADDRESS_COLUMNS = `host(a.address) AS address, a.kind, a.instance_id, a.interface_id, i.subnet_id, i.vpc_id, a.assigned_at, a.released_at`;
const toAddress = (r: Record<string, unknown>): AddressRecord => ({
  address: r.address as string,
  kind: r.kind as AddressRecord['kind'],
  instanceId: r.instance_id as string,
  interfaceId: r.interface_id as string,
  subnetId: r.subnet_id as string,
  vpcId: r.vpc_id as string,
  assignedAt: iso(r.assigned_at)!,
  releasedAt: iso(r.released_at),
});

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

/**
 * Everything the store knows about an IP address (who holds or held it, which networks contain it),
 * a CIDR (the networks that overlap it and the addresses in it) or an instance id (the device, its
 * addresses, its networks, its history).
 *
 * @example
 * const { devices, addresses } = await show(db, '10.0.1.10');
 * @throws IpamError when `query` is none of the three.
 */
export async function show(db: Db, query: string): Promise<ShowResult> {
  const q = query.trim();
  if (INSTANCE_ID.test(q)) return showInstance(db, q);
  const isCidr = q.includes('/');
  // `network()` accepts a block written with host bits (10.0.1.5/24 means 10.0.1.0/24).
  const [parsed] = await db
    .query<{ value: string }>(isCidr ? 'SELECT network($1::inet)::text AS value' : 'SELECT host($1::inet) AS value', [q])
    .catch((cause: unknown) => {
      throw new IpamError(`not an IP address, a CIDR or an instance id: ${JSON.stringify(query)}`, { cause });
    });
  return isCidr ? showCidr(db, q, parsed!.value) : showIp(db, q, parsed!.value);
}

async function showInstance(db: Db, instanceId: string): Promise<ShowResult> {
  const devices = (await db.query(`SELECT ${DEVICE_COLUMNS} FROM devices d WHERE d.instance_id = $1`, [instanceId])).map(toDevice);
  const addresses = (
    await db.query(
      `SELECT ${ADDRESS_COLUMNS} FROM addresses a JOIN interfaces i USING (interface_id)
       WHERE a.instance_id = $1 ORDER BY a.released_at NULLS FIRST, a.kind, a.address`,
      [instanceId],
    )
  ).map(toAddress);
  const networks = (
    await db.query(
      `SELECT ${NETWORK_COLUMNS} FROM networks n LEFT JOIN networks p ON p.id = n.parent_id
       WHERE n.resource_id IN (SELECT subnet_id FROM interfaces WHERE instance_id = $1
                               UNION SELECT vpc_id FROM interfaces WHERE instance_id = $1)
       ORDER BY n.kind DESC, n.deleted_at NULLS FIRST, n.cidr`,
      [instanceId],
    )
  ).map((r) => toNetwork(r));
  const history = (
    await db.query<{ version: number; outcome: HistoryRecord['outcome']; change: Record<string, unknown> }>(
      'SELECT version::float8 AS version, outcome, change FROM history WHERE instance_id = $1 ORDER BY version',
      [instanceId],
    )
  ).map((r) => ({ version: Number(r.version), outcome: r.outcome, change: r.change }));
  return { query: instanceId, kind: 'instance', devices, addresses, networks, history };
}

async function showIp(db: Db, query: string, ip: string): Promise<ShowResult> {
  const addresses = (
    await db.query(
      `SELECT ${ADDRESS_COLUMNS} FROM addresses a JOIN interfaces i USING (interface_id)
       WHERE a.address = $1::inet ORDER BY a.released_at DESC NULLS FIRST`,
      [ip],
    )
  ).map(toAddress);
  const devices = await devicesOf(db, addresses);
  const networks = (
    await db.query(
      `SELECT ${NETWORK_COLUMNS} FROM networks n LEFT JOIN networks p ON p.id = n.parent_id
       WHERE n.cidr >>= $1::inet ORDER BY n.deleted_at NULLS FIRST, masklen(n.cidr) DESC, n.account, n.vpc_id`,
      [ip],
    )
  ).map((r) => toNetwork(r));
  return { query, kind: 'ip', devices, addresses, networks, history: [] };
}

async function showCidr(db: Db, query: string, cidr: string): Promise<ShowResult> {
  const networks = (
    await db.query(
      `SELECT ${NETWORK_COLUMNS} FROM networks n LEFT JOIN networks p ON p.id = n.parent_id
       WHERE n.cidr && $1::cidr ORDER BY n.deleted_at NULLS FIRST, masklen(n.cidr), n.account, n.vpc_id, n.resource_id`,
      [cidr],
    )
  ).map((r) => toNetwork(r));
  const addresses = (
    await db.query(
      `SELECT ${ADDRESS_COLUMNS} FROM addresses a JOIN interfaces i USING (interface_id)
       WHERE a.address <<= $1::cidr AND a.released_at IS NULL ORDER BY a.address`,
      [cidr],
    )
  ).map(toAddress);
  const devices = await devicesOf(db, addresses);
  return { query, kind: 'cidr', devices, addresses, networks, history: [] };
}

async function devicesOf(db: Db, addresses: AddressRecord[]): Promise<DeviceRecord[]> {
  const ids = [...new Set(addresses.map((a) => a.instanceId))];
  if (ids.length === 0) return [];
  return (
    await db.query(
      `SELECT ${DEVICE_COLUMNS} FROM devices d
       WHERE d.instance_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY d.instance_id`,
      [JSON.stringify(ids)],
    )
  ).map(toDevice);
}

/**
 * Used and total addresses of every live IPv4 subnet (not marked deleted), fullest first.
 *
 * @example
 * for (const s of await subnetUsage(db)) console.log(s.subnetId, `${s.used}/${s.usable}`);
 */
export async function subnetUsage(db: Db): Promise<SubnetUsage[]> {
  const rows = await db.query<Record<string, unknown>>(
    `SELECT n.resource_id, n.vpc_id, n.cidr::text AS cidr, n.account, n.region,
            power(2, 32 - masklen(n.cidr))::float8 AS total,
            (SELECT count(DISTINCT a.address)::int FROM addresses a JOIN interfaces i USING (interface_id)
              WHERE i.subnet_id = n.resource_id AND a.kind = 'private' AND a.released_at IS NULL
                AND a.address <<= n.cidr) AS used
     FROM networks n
     WHERE n.kind = 'subnet' AND family(n.cidr) = 4 AND n.deleted_at IS NULL`,
  );
  return rows
    .map((r) => {
      const total = Number(r.total);
      return {
        subnetId: r.resource_id as string,
        vpcId: r.vpc_id as string,
        cidr: r.cidr as string,
        account: r.account as string,
        region: r.region as string,
        used: Number(r.used),
        total,
        usable: Math.max(0, total - 5),
      };
    })
    .sort((x, y) => y.used / y.total - x.used / x.total || x.subnetId.localeCompare(y.subnetId));
}

/**
 * Pairs of live VPC blocks in different VPCs (in any accounts and regions) whose CIDRs overlap: the ones
 * that cannot be peered or routed to each other as they are. Blocks marked deleted are left out.
 *
 * @example
 * for (const { a, b } of await overlaps(db)) console.log(`${a.vpcId} ${a.cidr} ∩ ${b.vpcId} ${b.cidr}`);
 */
export async function overlaps(db: Db): Promise<Overlap[]> {
  const cols = (alias: string) =>
    `${alias}.kind AS ${alias}_kind, ${alias}.resource_id AS ${alias}_resource_id, ${alias}.vpc_id AS ${alias}_vpc_id,
     ${alias}.cidr::text AS ${alias}_cidr, NULL::text AS ${alias}_parent_cidr, ${alias}.account AS ${alias}_account,
     ${alias}.region AS ${alias}_region, ${alias}.deleted_at AS ${alias}_deleted_at`;
  const rows = await db.query<Record<string, unknown>>(
    `SELECT ${cols('a')}, ${cols('b')}
     FROM networks a JOIN networks b
       ON a.cidr && b.cidr AND a.vpc_id <> b.vpc_id AND (a.account, a.region, a.vpc_id) < (b.account, b.region, b.vpc_id)
     WHERE a.kind = 'vpc' AND b.kind = 'vpc' AND a.deleted_at IS NULL AND b.deleted_at IS NULL
     ORDER BY a.cidr, a.account, a.vpc_id, b.account, b.vpc_id`,
  );
  return rows.map((r) => ({ a: toNetwork(r, 'a_'), b: toNetwork(r, 'b_') }));
}

/** A live VPC block of the IPAM that overlaps a CIDR asked about. */
export interface BlockOverlap {
  /** The CIDR asked about. */
  readonly cidr: string;
  readonly block: NetworkRecord;
}

/**
 * The live VPC blocks (any account, any Region) that overlap — contain or lie in — each of `cidrs`: where a
 * route towards on-prem for that CIDR would take a VPC's own addresses. Blocks marked deleted are left out.
 *
 * @example
 * for (const { cidr, block } of await vpcBlocksOverlapping(db, ['10.20.0.0/16'])) console.log(`${cidr} ∩ ${block.vpcId} ${block.cidr}`);
 */
export async function vpcBlocksOverlapping(db: Db, cidrs: readonly string[]): Promise<BlockOverlap[]> {
  if (cidrs.length === 0) return [];
  const rows = await db.query<Record<string, unknown>>(
    `SELECT q.cidr::text AS query, n.kind, n.resource_id, n.vpc_id, n.cidr::text AS cidr, NULL::text AS parent_cidr, n.account, n.region, n.deleted_at
     FROM unnest($1::cidr[]) AS q(cidr) JOIN networks n ON n.cidr && q.cidr
     WHERE n.kind = 'vpc' AND n.deleted_at IS NULL
     ORDER BY q.cidr, n.cidr, n.account, n.vpc_id`,
    [cidrs],
  );
  return rows.map((r) => ({ cidr: r.query as string, block: toNetwork(r) }));
}
