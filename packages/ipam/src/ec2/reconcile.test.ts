import { afterAll, describe, expect, it } from '@jest/globals';
import { CreateSubnetCommand, CreateVpcCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type IpamInstanceMessage, IpamInstanceMessageSchema, type IpamSubnet, type IpamVpc } from '@reflex/events';
import { launchInstances, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { applyMessage } from '../apply';
import type { Db } from '../db';
import { openNewPglite } from '../test-cluster';
import { migrate } from '../migrate';
import { overlaps, show, subnetUsage } from '../queries';
import { running } from '../test-messages';
import { backends, useStore } from '../test-store';
import { Ec2Inventory, type Ec2Snapshot } from './inventory';
import { reconcile } from './reconcile';
import { useMoto } from '@reflex/local-aws/testing';

const T0 = Date.parse(running.eventTime);
const ENI = running.interfaces[0]!.interfaceId;

/** The fixture message, `seconds` after its event, changed. */
function at(seconds: number, change: (m: IpamInstanceMessage) => void = () => {}): IpamInstanceMessage {
  const m = structuredClone(running);
  m.eventTime = new Date(T0 + seconds * 1000).toISOString();
  m.version = T0 + seconds * 1000;
  change(m);
  return IpamInstanceMessageSchema.parse(m);
}

/** Another instance (`n` from 2 to 9) in the fixture's subnet, with its own interface and address. */
function another(n: number, seconds = 0): IpamInstanceMessage {
  return at(seconds, (m) => {
    m.instanceId = `i-0${String(n).repeat(16)}`;
    const interfaceId = `eni-0${String(n).repeat(16)}`;
    m.interfaces = [{ ...m.interfaces[0]!, interfaceId, privateIps: [`10.0.1.${20 + n}`], publicIps: [], ipv6: [] }];
    m.instance!.name = `web-${n}`;
    m.instance!.tags = { Name: `web-${n}` };
  });
}

/** What EC2 lists `seconds` after the fixture's event: these instances (as messages), and their networks plus `extra`. */
function snapshotAt(
  seconds: number,
  messages: IpamInstanceMessage[],
  extra: { vpcs?: IpamVpc[]; subnets?: IpamSubnet[] } = {},
): Ec2Snapshot {
  const observedAt = new Date(T0 + seconds * 1000).toISOString();
  const byId = <T>(items: T[], id: (t: T) => string) => [...new Map(items.map((t) => [id(t), t])).values()];
  return {
    account: running.account,
    region: running.region,
    observedAt,
    vpcs: byId([...messages.flatMap((m) => m.vpcs), ...(extra.vpcs ?? [])], (v) => v.vpcId),
    subnets: byId([...messages.flatMap((m) => m.subnets), ...(extra.subnets ?? [])], (s) => s.subnetId),
    messages: messages.map((m) => ({ ...structuredClone(m), eventTime: observedAt, version: Date.parse(observedAt) })),
  };
}

const emptyVpc: IpamVpc = { vpcId: 'vpc-0eeeeeeeeeeeeeee5', cidrs: ['10.9.0.0/16'] };
const emptySubnet: IpamSubnet = { subnetId: 'subnet-0eeeeeeeeeeeeeee5', vpcId: emptyVpc.vpcId, cidr: '10.9.1.0/24', ipv6Cidrs: [] };

/** Every row of every table, as text: equal dumps mean nothing was written. */
async function dump(db: Db): Promise<string> {
  const out: string[] = [];
  for (const table of ['networks', 'devices', 'interfaces', 'addresses', 'history']) {
    const [row] = await db.query<{ rows: string | null }>(
      `SELECT jsonb_agg(to_jsonb(t) - 'at' ORDER BY to_jsonb(t)::text)::text AS rows FROM ${table} t`,
    );
    out.push(row?.rows ?? '[]');
  }
  return out.join('\n');
}

describe.each(backends())('reconcile on $name', (backend) => {
  let db: Db;

  useStore(backend, (opened) => (db = opened));

  it('records the instances and networks the store is missing, a VPC without instances included', async () => {
    const snapshot = snapshotAt(60, [running], { vpcs: [emptyVpc], subnets: [emptySubnet] });

    const report = await reconcile(db, snapshot);

    expect(report.counts).toEqual(expect.objectContaining({ 'instance-missing': 1, 'network-missing': 4 }));
    expect(report.items.every((i) => i.action === 'corrected')).toBe(true);
    const seen = await show(db, running.instanceId);
    expect(seen.devices[0]).toMatchObject({ state: 'running', name: 'web-1', version: T0 + 60_000 });
    expect(seen.addresses.map((a) => a.address)).toEqual(['2001:db8:0:1::10', '10.0.1.10', '203.0.113.10']);
    expect((await show(db, '10.9.0.0/16')).networks.map((n) => [n.kind, n.resourceId, n.cidr, n.parentCidr])).toEqual([
      ['vpc', emptyVpc.vpcId, '10.9.0.0/16', null],
      ['subnet', emptySubnet.subnetId, '10.9.1.0/24', '10.9.0.0/16'],
    ]);
  });

  it('corrects an instance whose state and addresses differ', async () => {
    await applyMessage(db, running);
    const stopped = at(0, (m) => {
      m.state = 'stopped';
      m.interfaces[0]!.publicIps = [];
    });

    const report = await reconcile(db, snapshotAt(60, [stopped]));

    expect(report.items).toEqual([
      {
        kind: 'instance-changed',
        id: running.instanceId,
        differences: ['state running → stopped', `public 203.0.113.10 on ${ENI} released`],
        action: 'corrected',
      },
    ]);
    const seen = await show(db, running.instanceId);
    expect(seen.devices[0]?.state).toBe('stopped');
    expect(seen.addresses.find((a) => a.kind === 'public')?.releasedAt).toBe(new Date(T0 + 60_000).toISOString());
  });

  it('corrects an instance whose metadata and interfaces differ', async () => {
    await applyMessage(db, running);
    const changed = at(0, (m) => {
      m.instance!.tags = { Name: 'web-1', team: 'ops' };
      m.instance!.instanceType = 't3.small';
      m.interfaces.push({
        interfaceId: 'eni-0aaaaaaaaaaaaaaa2',
        subnetId: m.interfaces[0]!.subnetId,
        vpcId: m.interfaces[0]!.vpcId,
        privateIps: ['10.0.1.11'],
        publicIps: [],
        ipv6: [],
      });
    });

    const report = await reconcile(db, snapshotAt(60, [changed]));

    expect(report.items[0]?.differences).toEqual([
      'instanceType t3.micro → t3.small',
      'tag team net → ops',
      'interface eni-0aaaaaaaaaaaaaaa2 attached',
      'private 10.0.1.11 on eni-0aaaaaaaaaaaaaaa2 added',
    ]);
    const seen = await show(db, running.instanceId);
    expect(seen.devices[0]).toMatchObject({ instanceType: 't3.small', tags: { Name: 'web-1', team: 'ops' } });
    expect(seen.addresses.filter((a) => a.releasedAt === null).map((a) => a.address)).toContain('10.0.1.11');
  });

  it('decommissions an instance the store holds as live but EC2 no longer lists', async () => {
    await applyMessage(db, running);

    const report = await reconcile(db, snapshotAt(60, [], { vpcs: running.vpcs, subnets: running.subnets }));

    expect(report.items).toEqual([
      expect.objectContaining({ kind: 'instance-gone', id: running.instanceId, action: 'corrected' }),
    ]);
    expect(report.items[0]?.differences[0]).toBe('state running → terminated');
    const seen = await show(db, running.instanceId);
    expect(seen.devices[0]).toMatchObject({ state: 'terminated', decommissionedAt: new Date(T0 + 60_000).toISOString(), name: 'web-1' });
    expect(seen.addresses.every((a) => a.releasedAt !== null)).toBe(true);
  });

  it('marks the networks EC2 no longer has as deleted, and usage and overlaps leave them out', async () => {
    await applyMessage(db, running);
    const other = at(0, (m) => {
      m.instanceId = 'i-0bbbbbbbbbbbbbbb2';
      m.interfaces = [];
      m.state = 'terminated';
      delete m.instance;
      m.vpcs = [{ vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidrs: ['10.0.128.0/17'] }];
      m.subnets = [{ subnetId: 'subnet-0bbbbbbbbbbbbbbb2', vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidr: '10.0.200.0/24', ipv6Cidrs: [] }];
    });
    await applyMessage(db, other);
    expect(await overlaps(db)).toHaveLength(1);

    const report = await reconcile(db, snapshotAt(60, [running]));

    expect(report.items.map((i) => [i.kind, i.id, i.differences])).toEqual([
      ['network-deleted', 'subnet-0bbbbbbbbbbbbbbb2', ['subnet block 10.0.200.0/24 no longer in EC2']],
      ['network-deleted', 'vpc-0bbbbbbbbbbbbbbb2', ['vpc block 10.0.128.0/17 no longer in EC2']],
    ]);
    expect(await overlaps(db)).toEqual([]);
    expect((await subnetUsage(db)).map((s) => s.subnetId)).toEqual([running.subnets[0]!.subnetId]);
    expect((await show(db, '10.0.200.0/24')).networks.find((n) => n.kind === 'subnet')?.deletedAt).toBe(
      new Date(T0 + 60_000).toISOString(),
    );
  });

  it('revives a network marked deleted when a later message sees it again', async () => {
    await applyMessage(db, running);
    await reconcile(db, snapshotAt(60, [], {}));

    await applyMessage(db, at(120));

    expect((await show(db, '10.0.1.10')).networks.map((n) => n.deletedAt)).toEqual([null, null]);
  });

  it('writes nothing on a dry run, and reports what it would correct', async () => {
    await applyMessage(db, running);
    const before = await dump(db);
    const snapshot = snapshotAt(60, [at(0, (m) => (m.state = 'stopped'))], { vpcs: [emptyVpc] });

    const report = await reconcile(db, snapshot, { dryRun: true });

    expect(await dump(db)).toBe(before);
    expect(report.dryRun).toBe(true);
    expect(report.items.map((i) => [i.kind, i.action])).toEqual([
      ['network-missing', 'pending'],
      ['instance-changed', 'pending'],
    ]);
    expect(report.corrected).toBe(0);
  });

  it('finds no drift when run again right after', async () => {
    await applyMessage(db, running);
    await applyMessage(db, another(4, 5));
    const instances = [at(0, (m) => (m.state = 'stopped')), another(3)];
    const extra = { vpcs: [emptyVpc], subnets: [emptySubnet] };
    const first = await reconcile(db, snapshotAt(60, instances, extra));
    expect(first.items.map((i) => i.kind).sort()).toEqual([
      'instance-changed',
      'instance-gone',
      'instance-missing',
      'network-missing',
      'network-missing',
    ]);

    const again = await reconcile(db, snapshotAt(60, instances, extra));
    const later = await reconcile(db, snapshotAt(90, instances, extra));

    expect(again.items).toEqual([]);
    expect(later.items).toEqual([]);
  });

  it('does not overwrite a stored event newer than the snapshot, and reports it as skipped', async () => {
    const stopped = at(120, (m) => {
      m.state = 'stopped';
      m.interfaces[0]!.publicIps = [];
    });
    await applyMessage(db, stopped);
    const launchedLater = at(120, (m) => {
      m.instanceId = 'i-0eeeeeeeeeeeeeee6';
      m.interfaces = [];
      m.subnets = [];
      m.vpcs = [{ vpcId: 'vpc-0fffffffffffffff7', cidrs: ['10.7.0.0/16'] }];
    });
    await applyMessage(db, launchedLater);

    const report = await reconcile(db, snapshotAt(60, [running]));

    expect(report.items.map((i) => [i.kind, i.id, i.action])).toEqual([
      ['network-deleted', 'vpc-0fffffffffffffff7', 'skipped'],
      ['instance-changed', running.instanceId, 'skipped'],
      ['instance-gone', launchedLater.instanceId, 'skipped'],
    ]);
    expect(report.skipped).toBe(3);
    const seen = await show(db, running.instanceId);
    expect(seen.devices[0]).toMatchObject({ state: 'stopped', version: stopped.version });
    expect((await show(db, '10.7.0.0/16')).networks[0]?.deletedAt).toBeNull();
  });

  it('reports progress over the instances it compares', async () => {
    const progress: { done: number; total: number }[] = [];

    await reconcile(db, snapshotAt(60, [running]), { onProgress: (p) => progress.push(p) });

    expect(progress).toEqual([
      { done: 0, total: 1 },
      { done: 1, total: 1 },
    ]);
  });
});

describe('reconcile with a moto snapshot', () => {
  let aws: LocalAws;
  let ec2: EC2Client;
  let db: Db;

  useMoto(async (started) => {
    aws = started;
    ec2 = new EC2Client(localClientConfig(aws.endpoint));
    db = await openNewPglite();
    await migrate(db);
    return ec2;
  });

  afterAll(async () => {
    await db?.close();
  });

  it('fills an empty store with what EC2 lists, VPCs without instances included, then finds no drift', async () => {
    const vpc = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.40.0.0/16' }))).Vpc!;
    await ec2.send(new CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: '10.40.1.0/24' }));
    const ids = await launchInstances(ec2, [{ Name: 'web-1' }, { Name: 'web-2' }]);
    const inventory = new Ec2Inventory(ec2);
    const where = { account: '123456789012', region: 'us-east-1' };

    const first = await reconcile(db, await inventory.snapshot(where));
    const second = await reconcile(db, await inventory.snapshot(where));

    expect(first.counts['instance-missing']).toBe(2);
    expect(first.items).toContainEqual(expect.objectContaining({ kind: 'network-missing', id: vpc.VpcId }));
    expect((await show(db, ids[0]!)).devices[0]).toMatchObject({ state: 'running', name: 'web-1' });
    expect(second.items).toEqual([]);
  }, 30_000);
});
