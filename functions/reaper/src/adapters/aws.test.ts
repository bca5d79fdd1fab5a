// The adapters against moto server: EC2 resources of every kind the reaper looks at, an elbv2 load balancer,
// CloudWatch metrics put at chosen hours, and a DynamoDB table shaped as the stacks build it (partition key pk,
// sort key sk). Then the reaper itself over these adapters at simulated times: warnings sent once, an
// extension, snapshot before delete, never-touch, an idle mark and a lab VPC's teardown. What moto cannot
// produce — a pending snapshot, a refused delete of a load balancer — the core's tests cover.
import { describe, expect, it } from '@jest/globals';
import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNatGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteTableCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateSubnetCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  CreateVpcCommand,
  CreateVpcEndpointCommand,
  DescribeInstancesCommand,
  DescribeSnapshotsCommand,
  DescribeVpcsCommand,
  type EC2Client,
  type ResourceType,
} from '@aws-sdk/client-ec2';
import { CreateLoadBalancerCommand, type ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ScheduledEventSchema } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import { instanceStates, launchInstances } from '@reflex/local-aws';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { HOUR, reaper } from '../core';
import { ReaperConfigSchema, type ReaperScope } from '../manifest';
import { AwsResources } from './aws';
import { CloudWatchMetrics, type LoadCloudWatch } from './cloudwatch';
import { DynamoReaperState, type LoadDynamo } from './dynamodb';
import { Ec2Resources, type LoadEc2 } from './ec2';
import { Elbv2Resources, type LoadElb } from './elbv2';

let ec2: EC2Client;
let elb: ElasticLoadBalancingV2Client;
let cloudwatch: CloudWatchClient;
let loadEc2: LoadEc2;
let loadElb: LoadElb;
let loadCloudWatch: LoadCloudWatch;
let loadDynamo: LoadDynamo;
let tables = 0;

useMoto(async (aws) => {
  const ec2s = await localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
  const elbs = await localLoader(aws.endpoint, () => import('@aws-sdk/client-elastic-load-balancing-v2'), (sdk, config) => new sdk.ElasticLoadBalancingV2Client(config));
  const cws = await localLoader(aws.endpoint, () => import('@aws-sdk/client-cloudwatch'), (sdk, config) => new sdk.CloudWatchClient(config));
  const dynamos = await localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config));
  [ec2, elb, cloudwatch] = [ec2s.client, elbs.client, cws.client];
  [loadEc2, loadElb, loadCloudWatch, loadDynamo] = [ec2s.loader, elbs.loader, cws.loader, dynamos.loader];
  return { destroy: () => [ec2s, elbs, cws, dynamos].forEach((c) => c.destroy()) };
});

const ALL: ReaperScope = { instances: true, volumes: true, snapshots: true, addresses: true, natGateways: true, loadBalancers: true, labVpcs: true };
const EVERYTHING_TAGGED = { allInstances: false, allSnapshots: false };
const aws = (dryRun = false) => new AwsResources(new Ec2Resources(dryRun, loadEc2), new Elbv2Resources(dryRun, loadElb));
const tagSpec = (ResourceType: ResourceType, tags: Record<string, string>) =>
  Object.keys(tags).length ? { TagSpecifications: [{ ResourceType, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }] } : {};
const tag = (id: string, tags: Record<string, string>) => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));

let octet = 0;
/** A VPC with one subnet, in its own /16. */
async function vpc(tags: Record<string, string> = {}) {
  const n = ++octet;
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${100 + n}.0.0/16`, ...tagSpec('vpc', tags) }))).Vpc!.VpcId!;
  const subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${100 + n}.1.0/24`, AvailabilityZone: 'us-east-1a' }))).Subnet!.SubnetId!;
  return { vpcId, subnetId };
}
const volume = async (tags: Record<string, string>) => (await ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, ...tagSpec('volume', tags) }))).VolumeId!;
const address = async (tags: Record<string, string>) => (await ec2.send(new AllocateAddressCommand({ Domain: 'vpc', ...tagSpec('elastic-ip', tags) }))).AllocationId!;
async function natGateway(subnetId: string, tags: Record<string, string>) {
  const allocationId = await address({});
  const id = (await ec2.send(new CreateNatGatewayCommand({ SubnetId: subnetId, AllocationId: allocationId, ...tagSpec('natgateway', tags) }))).NatGateway!.NatGatewayId!;
  return { id, allocationId };
}
const tagsOf = async (instanceId: string) =>
  Object.fromEntries(((await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }))).Reservations?.[0]?.Instances?.[0]?.Tags ?? []).map((t) => [t.Key!, t.Value!]));

const expiring = { 'reflex:expires-at': '2026-12-10T12:00:00Z', owner: 'alice' };
const only = <T extends { id: string }>(ids: string[], listed: T[]) => listed.filter((r) => ids.includes(r.id));

describe('Ec2Resources against moto', () => {
  it('lists what carries an expiry, of every kind in scope, with state, creation and holder', async () => {
    const { vpcId, subnetId } = await vpc({ ...expiring, 'reflex:lab': 'true' });
    const [tagged, untagged] = await launchInstances(ec2, [expiring, {}]) as [string, string];
    const vol = await volume(expiring);
    const snap = (await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume({}), ...tagSpec('snapshot', expiring) }))).SnapshotId!;
    const eip = await address(expiring);
    const nat = await natGateway(subnetId, expiring);

    const listed = await aws().list(ALL, EVERYTHING_TAGGED);
    const ids = [vpcId, tagged, untagged, vol, snap, eip, nat.id];

    expect(only(ids, listed).map((r) => [r.kind, r.id, r.state]).sort()).toEqual(
      [
        ['address', eip, 'unassociated'],
        ['instance', tagged, 'running'],
        ['nat-gateway', nat.id, 'available'],
        ['snapshot', snap, 'completed'],
        ['volume', vol, 'available'],
        ['vpc', vpcId, 'available'],
      ].sort(),
    );
    expect(listed.find((r) => r.id === tagged)).toMatchObject({ tags: expiring, createdAt: expect.any(Date), vpcId: expect.stringMatching(/^vpc-/) });
    expect(listed.find((r) => r.id === vpcId)).toMatchObject({ isDefault: false });
    expect(listed.find((r) => r.id === nat.id)).toMatchObject({ vpcId });
  });

  it('lists every instance that is not terminated when idle detection needs them, and leaves out the kinds switched off', async () => {
    const [untagged] = await launchInstances(ec2, [{}]) as [string];
    const vol = await volume(expiring);

    const listed = await aws().list({ ...ALL, volumes: false }, { allInstances: true, allSnapshots: false });

    expect(listed.map((r) => r.id)).toContain(untagged);
    expect(listed.map((r) => r.id)).not.toContain(vol);
  });

  it('finds one resource by id whatever its tags, and nothing for an unknown id', async () => {
    const [id] = await launchInstances(ec2, [{ Name: 'web' }]) as [string];
    const eip = await address({});
    const resources = aws();

    expect(await resources.find(id)).toMatchObject({ kind: 'instance', id, tags: { Name: 'web' } });
    expect(await resources.find(eip)).toMatchObject({ kind: 'address', id: eip, state: 'unassociated' });
    expect(await resources.find('i-0123456789abcdef0')).toBeUndefined();
    expect(await resources.find('vol-0123456789abcdef0')).toBeUndefined();
  });

  it('writes tags and stops; in dry-run EC2 checks each call (DryRun) and nothing changes', async () => {
    const [id] = await launchInstances(ec2, [expiring]) as [string];
    const instance = (await aws().find(id))!;

    expect(await aws(true).tag([instance], { 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' })).toEqual({ status: 'dry-run' });
    expect(await aws(true).stop(instance)).toEqual({ status: 'dry-run' });
    expect(await aws(true).remove(instance)).toEqual({ status: 'dry-run' });
    expect((await tagsOf(id))['reflex:expiry-warned']).toBeUndefined();
    expect((await instanceStates(ec2, [id])).get(id)).toBe('running');

    expect(await aws().tag([instance], { 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' })).toEqual({ status: 'done' });
    expect(await aws().stop(instance)).toEqual({ status: 'done' });
    expect((await tagsOf(id))['reflex:expiry-warned']).toBe('72h@2026-12-10T12:00:00Z');
    expect((await instanceStates(ec2, [id])).get(id)).toBe('stopped');
    expect(await aws().remove(instance)).toEqual({ status: 'done' });
    expect((await instanceStates(ec2, [id])).get(id)).toBe('terminated');
  });

  it('snapshots a volume with the tags given (moto completes it at once), then deletes the volume', async () => {
    const vol = (await aws().find(await volume(expiring)))!;

    const started = await aws().createSnapshot(vol, { 'reflex:snapshot-of': vol.id, owner: 'alice' });

    expect(started).toEqual({ status: 'done', snapshotId: expect.stringMatching(/^snap-/) });
    const snapshot = (await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [started.snapshotId!] }))).Snapshots![0]!;
    expect(snapshot.Tags).toEqual(expect.arrayContaining([{ Key: 'reflex:snapshot-of', Value: vol.id }]));
    expect(await aws().snapshotState(started.snapshotId!)).toBe('completed');
    expect(await aws().remove(vol)).toEqual({ status: 'done' });
    expect(await aws().find(vol.id)).toBeUndefined();
    expect(await aws().snapshotState('snap-0123456789abcdef0')).toBe('missing');
  });

  it('releases an address, deletes a NAT gateway and a snapshot; what is gone already is "gone"', async () => {
    const { subnetId } = await vpc();
    const eip = (await aws().find(await address(expiring)))!;
    const nat = (await aws().find((await natGateway(subnetId, expiring)).id))!;
    const snap = (await aws().find((await ec2.send(new CreateSnapshotCommand({ VolumeId: await volume({}) }))).SnapshotId!))!;

    expect(await aws().remove(eip)).toEqual({ status: 'done' });
    expect(await aws().remove(nat)).toEqual({ status: 'done' });
    expect(await aws().remove(snap)).toEqual({ status: 'done' });
    expect(await aws().remove(eip)).toEqual({ status: 'gone' });
    expect((await aws().find(nat.id))?.state).toBe('deleted');
  });

  it('refuses (DependencyViolation) to delete a VPC that still has a subnet, with EC2\'s error', async () => {
    const { vpcId } = await vpc(expiring);

    const result = await aws().remove((await aws().find(vpcId))!);

    expect(result).toEqual({ status: 'refused', error: expect.stringContaining('DependencyViolation') });
  });

  // moto gives a NAT gateway's interface the type "interface", lists no NatGatewayAddresses, and keeps both the
  // interface and the address's association when the gateway is deleted: a NAT gateway in a lab is covered by
  // the core's tests.
  it('reads a VPC\'s contents by teardown stage, and network interfaces that belong to none', async () => {
    const { vpcId, subnetId } = await vpc();
    const [instanceId] = await launchInstances(ec2, [{}], { subnetId }) as [string];
    const eip = await address({});
    await ec2.send(new AssociateAddressCommand({ AllocationId: eip, InstanceId: instanceId }));
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const rtb = (await ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await ec2.send(new AssociateRouteTableCommand({ RouteTableId: rtb, SubnetId: subnetId }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'lab', Description: 'lab' }))).GroupId!;
    const vpce = (await ec2.send(new CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: 'com.amazonaws.us-east-1.s3', RouteTableIds: [rtb] }))).VpcEndpoint!.VpcEndpointId!;
    const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetId, Description: 'someone else\'s' }))).NetworkInterface!.NetworkInterfaceId!;

    const contents = await aws().vpcContents(vpcId);

    expect(contents.instances.map((r) => r.id)).toEqual([instanceId]);
    expect(contents.addresses).toEqual([expect.objectContaining({ id: eip, attachedTo: instanceId })]);
    expect(contents.endpoints.map((r) => r.id)).toEqual([vpce]);
    expect(contents.subnets.map((r) => r.id)).toEqual([subnetId]);
    expect(contents.routeTables.filter((r) => !r.goesWithVpc).map((r) => r.id)).toEqual([rtb]);
    expect(contents.routeTables.filter((r) => r.goesWithVpc)).toHaveLength(1);
    expect(contents.internetGateways).toEqual([expect.objectContaining({ id: igw, vpcId })]);
    expect(contents.securityGroups.filter((r) => !r.goesWithVpc).map((r) => r.id)).toEqual([sg]);
    expect(contents.otherInterfaces).toEqual([{ id: eni, type: 'interface', description: 'someone else\'s' }]);
  }, 30_000);
});

describe('Elbv2Resources against moto', () => {
  it('lists load balancers that carry an expiry, with their tags; tags and deletes one; dry-run sends nothing', async () => {
    const { vpcId, subnetId } = await vpc();
    const second = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${100 + octet}.2.0/24`, AvailabilityZone: 'us-east-1b' }))).Subnet!.SubnetId!;
    const create = async (name: string, tags: Record<string, string>) =>
      (await elb.send(new CreateLoadBalancerCommand({ Name: name, Subnets: [subnetId, second], Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }))).LoadBalancers![0]!.LoadBalancerArn!;
    const expiringLb = await create('lab-expiring', expiring);
    const other = await create('lab-other', { owner: 'bob' });

    const listed = (await aws().list(ALL, EVERYTHING_TAGGED)).filter((r) => r.kind === 'load-balancer');

    expect(listed.map((r) => r.id)).toContain(expiringLb);
    expect(listed.map((r) => r.id)).not.toContain(other);
    const lb = listed.find((r) => r.id === expiringLb)!;
    expect(lb).toMatchObject({ tags: expiring, vpcId });
    expect(await aws().tag([lb], { 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' })).toEqual({ status: 'done' });
    expect((await aws().find(expiringLb))!.tags['reflex:expiry-warned']).toBe('72h@2026-12-10T12:00:00Z');
    expect(await aws(true).remove(lb)).toEqual({ status: 'dry-run' });
    expect(await aws().find(expiringLb)).toBeDefined();
    expect(await aws().remove(lb)).toEqual({ status: 'done' });
    expect(await aws().find(expiringLb)).toBeUndefined();
  });
});

/** Hourly AWS/EC2 datapoints for an instance at the hours given. */
async function putHourly(instanceId: string, hours: readonly Date[], values: { cpu: number; networkIn: number; networkOut: number }) {
  const metric = (MetricName: string, Value: number, Timestamp: Date) => ({ MetricName, Value, Timestamp, Dimensions: [{ Name: 'InstanceId', Value: instanceId }] });
  for (const at of hours) {
    await cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/EC2',
        MetricData: [metric('CPUUtilization', values.cpu, at), metric('NetworkIn', values.networkIn, at), metric('NetworkOut', values.networkOut, at)],
      }),
    );
  }
}
const hoursFrom = (from: Date, count: number, skip: (i: number) => boolean = () => false) =>
  Array.from({ length: count }, (_, i) => new Date(from.getTime() + i * HOUR + 5 * 60_000)).filter((_, i) => !skip(i));

describe('CloudWatchMetrics against moto', () => {
  it('reads an instance\'s hourly CPU average and network sums, and nothing for hours without data', async () => {
    const from = new Date('2026-12-01T00:00:00Z');
    await putHourly('i-0aaaaaaaaaaaaaaa1', hoursFrom(from, 4, (i) => i === 2), { cpu: 1.5, networkIn: 1000, networkOut: 2000 });

    const metrics = await new CloudWatchMetrics(loadCloudWatch).hourly('i-0aaaaaaaaaaaaaaa1', from, new Date(from.getTime() + 4 * HOUR));

    expect(metrics.cpuAverage.map((p) => p.value)).toEqual([1.5, 1.5, 1.5]);
    expect(metrics.networkIn.map((p) => p.value)).toEqual([1000, 1000, 1000]);
    expect(metrics.networkOut.map((p) => [p.at.toISOString().slice(0, 13), p.value])).toEqual([
      ['2026-12-01T00', 2000],
      ['2026-12-01T01', 2000],
      ['2026-12-01T03', 2000],
    ]);
  });
});

describe('DynamoReaperState against moto', () => {
  const stateTable = async () => new DynamoReaperState(await createStateTable((await loadDynamo()).client as DynamoDBClient, `reflex-test-reaper-${++tables}`), loadDynamo);

  it('keeps pending snapshots, dry-run tags, a lab\'s addresses and run summaries', async () => {
    const state = await stateTable();

    await state.putPendingSnapshot({ volumeId: 'vol-1', snapshotId: 'snap-1', startedAt: '2026-12-10T13:00:00.000Z' });
    await state.putDryRunTags('i-1', { 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' });
    await state.putLabAddresses('vpc-1', ['eipalloc-1']);
    await state.putRun({ at: '2026-12-10T12:00:00.000Z', dryRun: true, resources: 2, counts: { warned: 1 } });
    await state.putRun({ at: '2026-12-10T13:00:00.000Z', dryRun: true, resources: 2, counts: { waiting: 2 } });

    expect(await state.pendingSnapshot('vol-1')).toEqual({ volumeId: 'vol-1', snapshotId: 'snap-1', startedAt: '2026-12-10T13:00:00.000Z' });
    expect(await state.dryRunTags()).toEqual(new Map([['i-1', { 'reflex:expiry-warned': '72h@2026-12-10T12:00:00Z' }]]));
    expect(await state.labAddresses('vpc-1')).toEqual(['eipalloc-1']);
    expect(await state.lastRun()).toEqual({ at: '2026-12-10T13:00:00.000Z', dryRun: true, resources: 2, counts: { waiting: 2 } });
    // Each account's turns of the timer are kept apart: a member's newer run is not the hub's last.
    await state.putRun({ at: '2026-12-10T14:00:00.000Z', account: '123456789012', dryRun: true, resources: 1, counts: { warned: 1 } });
    await state.putRun({ at: '2026-12-10T14:00:00.000Z', account: '210987654321', dryRun: true, resources: 5, counts: { stopped: 2 } });
    expect(await state.lastRun('123456789012')).toEqual(expect.objectContaining({ account: '123456789012', resources: 1 }));
    expect(await state.lastRun('210987654321')).toEqual(expect.objectContaining({ account: '210987654321', resources: 5 }));
    await state.clearPendingSnapshot('vol-1');
    expect(await state.pendingSnapshot('vol-1')).toBeUndefined();
  });

  it('holds one run lease at a time', async () => {
    const state = await stateTable();
    const now = new Date();
    const until = new Date(now.getTime() + 60_000);

    expect(await state.lease('run', 'a', until, now)).toBe(true);
    expect(await state.lease('run', 'b', until, now)).toBe(false);
    await state.release('run', 'a');
    expect(await state.lease('run', 'b', until, now)).toBe(true);
  });
});

// ------------------------------------------------------------------------------------------ end to end

const sample = fixture('scheduled/scheduled-event.json');
const event = (time: Date) => ScheduledEventSchema.parse({ ...structuredClone(sample), time: time.toISOString() });

/** The reaper over the moto adapters, run at simulated times (the schedule's and the wall clock's). */
async function reaperOverMoto(config: Record<string, unknown> = {}) {
  const state = new DynamoReaperState(await createStateTable((await loadDynamo()).client as DynamoDBClient, `reflex-test-reaper-${++tables}`), loadDynamo);
  const resources = aws();
  const parsed = ReaperConfigSchema.parse({ dryRun: false, ...config });
  return {
    state,
    at: (time: Date) =>
      reaper(event(time), {
        inventory: resources,
        actions: resources,
        metrics: new CloudWatchMetrics(loadCloudWatch),
        state,
        config: parsed,
        log: { info: () => {} },
        dryRun: false,
        holder: 'e2e',
        leaseMs: 300_000,
        clock: () => time,
      }),
  };
}

describe('the reaper against moto, over simulated times', () => {
  const E = new Date('2027-03-10T12:00:00Z');
  const at = (hours: number) => new Date(E.getTime() + hours * HOUR);
  const expiresAtE = { 'reflex:expires-at': '2027-03-10T12:00:00Z', owner: 'alice' };
  const mine = (ids: string[]) => (reports: { action: string; targets: { id: string }[] }[]) =>
    reports.filter((r) => r.targets.some((t) => ids.includes(t.id))).map((r) => `${r.action} ${r.targets.map((t) => t.id).join(',')}`);

  it('warns once per lead time, is re-armed by an extension, stops, snapshots before deleting, and never touches a stack\'s instance', async () => {
    const [instanceId, stackInstance] = await launchInstances(ec2, [expiresAtE, { ...expiresAtE, 'aws:cloudformation:stack-name': 'db' }]) as [string, string];
    const vol = await volume(expiresAtE);
    const ours = mine([instanceId, stackInstance, vol]);
    const { at: run } = await reaperOverMoto();

    expect(ours(await run(at(-71)))).toEqual([`reaper:Warn ${instanceId}`, `reaper:Warn ${vol}`]);
    expect(ours(await run(at(-70)))).toEqual([]);
    expect((await tagsOf(instanceId))['reflex:expiry-warned']).toBe('72h@2027-03-10T12:00:00Z');

    // The owner extends the instance by two days (as `reflex ttl extend` writes it): its warnings re-arm.
    await tag(instanceId, { 'reflex:expires-at': '2027-03-12T12:00:00Z' });
    expect(ours(await run(at(-23)))).toEqual([`reaper:Warn ${instanceId}`, `reaper:Warn ${vol}`]);
    expect((await tagsOf(instanceId))['reflex:expiry-warned']).toBe('72h@2027-03-12T12:00:00Z');
    expect(ours(await run(at(1)))).toEqual([`ec2:CreateSnapshot ${vol}`]);
    expect(ours(await run(at(2)))).toEqual([`ec2:DeleteVolume ${vol}`]);
    expect(await aws().find(vol)).toBeUndefined();
    const finals = (await ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'tag:reflex:snapshot-of', Values: [vol] }] }))).Snapshots ?? [];
    expect(finals).toHaveLength(1);

    expect(ours(await run(at(25)))).toEqual([`reaper:Warn ${instanceId}`]);
    expect(ours(await run(at(48.5)))).toEqual([`ec2:StopInstances ${instanceId}`]);
    expect((await instanceStates(ec2, [instanceId])).get(instanceId)).toBe('stopped');
    expect((await tagsOf(instanceId))['reflex:stop-intent']).toBe('reaper@2027-03-12T12:30:00.000Z');
    expect(ours(await run(at(73)))).toEqual([`ec2:TerminateInstances ${instanceId}`]);

    expect((await instanceStates(ec2, [stackInstance])).get(stackInstance)).toBe('running');
    expect(Object.keys(await tagsOf(stackInstance)).sort()).toEqual(['aws:cloudformation:stack-name', 'owner', 'reflex:expires-at']);
  }, 60_000);

  it('marks an instance idle from its CloudWatch datapoints, and not one with too few', async () => {
    const now = new Date(Date.now() - (Date.now() % HOUR) + 10 * 60_000);
    const from = new Date(now.getTime() - (now.getTime() % HOUR) - 72 * HOUR);
    const [idle, sparse] = await launchInstances(ec2, [{ owner: 'bob' }, { owner: 'carol' }]) as [string, string];
    // moto launches at the wall clock: the window must lie after the launch, so the run is 73 h later.
    const later = new Date(now.getTime() + 73 * HOUR);
    const window = new Date(from.getTime() + 73 * HOUR);
    await putHourly(idle, hoursFrom(window, 72), { cpu: 0.5, networkIn: 100_000, networkOut: 200_000 });
    await putHourly(sparse, hoursFrom(window, 72, (i) => i % 5 === 0), { cpu: 0.5, networkIn: 100_000, networkOut: 200_000 });
    const { at: run } = await reaperOverMoto({ idle: { instances: {} } });

    const reports = mine([idle, sparse])(await run(later));

    expect(reports).toEqual([`reaper:MarkExpiry ${idle}`]);
    expect(await tagsOf(idle)).toMatchObject({ 'reflex:expires-at': expect.any(String), 'reflex:idle-marked': expect.stringMatching(/^reaper@/), 'reflex:expiry-warned': expect.stringMatching(/^72h@/) });
    expect((await tagsOf(sparse))['reflex:expires-at']).toBeUndefined();
  }, 60_000);

  // moto keeps a terminated instance's Elastic IP associated (and its primary interface): a lab's addresses
  // are covered by the core's tests, and an interface attached to a terminated instance counts as the instance's.
  it('tears a lab VPC down across runs — instance, subnet, gateway, group — then deletes it; a default VPC stays', async () => {
    const { vpcId, subnetId } = await vpc({ ...expiresAtE, 'reflex:lab': 'true' });
    const [instanceId] = await launchInstances(ec2, [{}], { subnetId }) as [string];
    const igw = (await ec2.send(new CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ VpcId: vpcId, GroupName: 'lab', Description: 'lab' }))).GroupId!;
    const defaultVpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
    await tag(defaultVpc, { ...expiresAtE, 'reflex:lab': 'true' });
    const ours = mine([vpcId, instanceId, subnetId, igw, sg, defaultVpc]);
    const { at: run } = await reaperOverMoto();
    const runs: string[][] = [];

    for (const hours of [1, 2, 3]) runs.push(ours(await run(at(hours))));

    expect(runs).toEqual([
      [`ec2:CreateTags ${instanceId},${subnetId},${igw},${sg}`, `ec2:TerminateInstances ${instanceId}`],
      [`ec2:DeleteSubnet ${subnetId}`, `ec2:DeleteInternetGateway ${igw}`, `ec2:DeleteSecurityGroup ${sg}`, `ec2:DeleteVpc ${vpcId}`],
      [],
    ]);
    expect(await aws().find(vpcId)).toBeUndefined();
    expect(await aws().find(defaultVpc)).toMatchObject({ isDefault: true });
  }, 60_000);
});
