import type { EC2Client, Filter } from '@aws-sdk/client-ec2';
import { REFLEX_TAGS } from '@reflex/events';
import { accountSdk, awsErrorName, describeError, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { ReaperScope } from '../manifest';
import type { Resource, ResourceKind, VpcContents, WriteResult } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));

/** EC2's answers that mean "not now, because of its state or what depends on it": reported, retried at the next run. */
const REFUSALS = new Set([
  'DependencyViolation',
  'IncorrectState',
  'IncorrectInstanceState',
  'InvalidSnapshot.InUse',
  'VolumeInUse',
  'InvalidIPAddress.InUse',
  'UnsupportedOperation',
  'OperationNotPermitted',
  'InvalidParameterValue',
]);
const THROTTLED = new Set(['RequestLimitExceeded', 'Throttling', 'ThrottlingException']);

/**
 * A write's result from its error: DryRun's answer, a resource that is gone, a refusal, a failure. Throttling
 * past the SDK's retries fails the run, so that the queue delivers it again.
 */
export function resultOf(error: unknown, what: string): WriteResult {
  const name = awsErrorName(error) ?? '';
  if (name === 'DryRunOperation') return { status: 'dry-run' };
  if (/NotFound/.test(name)) return { status: 'gone' };
  if (THROTTLED.has(name)) throw new ReflexError(`${what}: AWS throttled the reaper`, { cause: error });
  if (REFUSALS.has(name)) return { status: 'refused', error: describeError(error) };
  return { status: 'failed', error: describeError(error) };
}

const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];
const byTagKey = (key: string): Filter => ({ Name: 'tag-key', Values: [key] });
const inVpc = (vpcId: string, name = 'vpc-id'): Filter => ({ Name: name, Values: [vpcId] });

/** EC2's describe answers as the reaper's resources. */
const as = {
  instance: (i: import('@aws-sdk/client-ec2').Instance): Resource => ({
    kind: 'instance',
    id: i.InstanceId!,
    tags: tagRecord(i.Tags),
    state: i.State?.Name ?? 'unknown',
    ...(i.LaunchTime ? { createdAt: i.LaunchTime } : {}),
    ...(i.VpcId ? { vpcId: i.VpcId } : {}),
  }),
  volume: (v: import('@aws-sdk/client-ec2').Volume): Resource => {
    const attached = (v.Attachments ?? []).find((a) => a.State === 'attached' || a.State === 'attaching');
    return {
      kind: 'volume',
      id: v.VolumeId!,
      tags: tagRecord(v.Tags),
      state: v.State ?? 'unknown',
      ...(v.CreateTime ? { createdAt: v.CreateTime } : {}),
      ...(attached?.InstanceId ? { attachedTo: attached.InstanceId } : {}),
    };
  },
  snapshot: (s: import('@aws-sdk/client-ec2').Snapshot): Resource => ({
    kind: 'snapshot',
    id: s.SnapshotId!,
    tags: tagRecord(s.Tags),
    state: s.State ?? 'unknown',
    ...(s.StartTime ? { createdAt: s.StartTime } : {}),
    ...(s.VolumeId ? { volumeId: s.VolumeId } : {}),
  }),
  address: (a: import('@aws-sdk/client-ec2').Address): Resource => {
    const holder = a.InstanceId || a.NetworkInterfaceId || a.AssociationId;
    return { kind: 'address', id: a.AllocationId!, tags: tagRecord(a.Tags), state: holder ? 'associated' : 'unassociated', ...(holder ? { attachedTo: holder } : {}) };
  },
  nat: (n: import('@aws-sdk/client-ec2').NatGateway): Resource => ({
    kind: 'nat-gateway',
    id: n.NatGatewayId!,
    tags: tagRecord(n.Tags),
    state: n.State ?? 'unknown',
    ...(n.CreateTime ? { createdAt: n.CreateTime } : {}),
    ...(n.VpcId ? { vpcId: n.VpcId } : {}),
  }),
  vpc: (v: import('@aws-sdk/client-ec2').Vpc): Resource => ({ kind: 'vpc', id: v.VpcId!, tags: tagRecord(v.Tags), state: v.State ?? 'unknown', isDefault: v.IsDefault === true }),
  subnet: (s: import('@aws-sdk/client-ec2').Subnet): Resource => ({
    kind: 'subnet',
    id: s.SubnetId!,
    tags: tagRecord(s.Tags),
    state: s.State ?? 'unknown',
    isDefault: s.DefaultForAz === true,
    ...(s.VpcId ? { vpcId: s.VpcId } : {}),
  }),
  routeTable: (t: import('@aws-sdk/client-ec2').RouteTable): Resource => ({
    kind: 'route-table',
    id: t.RouteTableId!,
    tags: tagRecord(t.Tags),
    state: 'active',
    goesWithVpc: (t.Associations ?? []).some((a) => a.Main),
    ...(t.VpcId ? { vpcId: t.VpcId } : {}),
  }),
  internetGateway: (g: import('@aws-sdk/client-ec2').InternetGateway): Resource => {
    const vpcId = (g.Attachments ?? [])[0]?.VpcId;
    return { kind: 'internet-gateway', id: g.InternetGatewayId!, tags: tagRecord(g.Tags), state: 'active', ...(vpcId ? { vpcId } : {}) };
  },
  securityGroup: (g: import('@aws-sdk/client-ec2').SecurityGroup): Resource => ({
    kind: 'security-group',
    id: g.GroupId!,
    tags: tagRecord(g.Tags),
    state: 'active',
    goesWithVpc: g.GroupName === 'default',
    ...(g.VpcId ? { vpcId: g.VpcId } : {}),
  }),
  endpoint: (e: import('@aws-sdk/client-ec2').VpcEndpoint): Resource => ({
    kind: 'vpc-endpoint',
    id: e.VpcEndpointId!,
    tags: tagRecord(e.Tags),
    state: (e.State ?? 'unknown').toLowerCase(),
    ...(e.CreationTimestamp ? { createdAt: e.CreationTimestamp } : {}),
    ...(e.VpcId ? { vpcId: e.VpcId } : {}),
  }),
};

/** Interface types that belong to a lab stage: a NAT gateway's, an endpoint's. An instance's is matched by its attachment. */
const STAGE_INTERFACES = new Set(['nat_gateway', 'vpc_endpoint', 'gateway_load_balancer_endpoint']);

/**
 * EC2 resources through the AWS SDK: lists what carries an expiry (or every instance, every own snapshot),
 * reads a VPC's contents, and writes. With `dryRun`, every write that has EC2's `DryRun` is sent with it and
 * answers `dry-run`; nothing changes.
 *
 * @example
 * const ec2 = new Ec2Resources(false);
 * const expiring = await ec2.list(scope, { allInstances: false, allSnapshots: false });
 */
export class Ec2Resources {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  /** Sends a read; a failure names the call. */
  private async read<T>(call: string, send: (sdk: Ec2Sdk, client: EC2Client) => Promise<T>): Promise<T> {
    const { sdk, client } = await this.ec2();
    try {
      return await send(sdk, client);
    } catch (error) {
      throw new ReflexError(`${call} failed`, { cause: error });
    }
  }

  /** Every page of a paginated describe call, mapped. */
  private async pages<P, R>(call: string, paginate: (sdk: Ec2Sdk, client: EC2Client) => AsyncIterable<P>, pick: (page: P) => R[]): Promise<R[]> {
    return this.read(call, async (sdk, client) => {
      const all: R[] = [];
      for await (const page of paginate(sdk, client)) all.push(...pick(page));
      return all;
    });
  }

  private instances(filters: Filter[], ids?: string[]): Promise<Resource[]> {
    return this.pages(
      'DescribeInstances',
      (sdk, client) => sdk.paginateDescribeInstances({ client }, { Filters: filters, ...(ids ? { InstanceIds: ids } : {}) }),
      (p) => (p.Reservations ?? []).flatMap((r) => r.Instances ?? []).map(as.instance),
    );
  }

  private volumes(filters: Filter[]): Promise<Resource[]> {
    return this.pages('DescribeVolumes', (sdk, client) => sdk.paginateDescribeVolumes({ client }, { Filters: filters }), (p) => (p.Volumes ?? []).map(as.volume));
  }

  private snapshots(filters: Filter[], ids?: string[]): Promise<Resource[]> {
    return this.pages(
      'DescribeSnapshots',
      (sdk, client) => sdk.paginateDescribeSnapshots({ client }, { OwnerIds: ['self'], Filters: filters, ...(ids ? { SnapshotIds: ids } : {}) }),
      (p) => (p.Snapshots ?? []).map(as.snapshot),
    );
  }

  private async addresses(filters: Filter[]): Promise<import('@aws-sdk/client-ec2').Address[]> {
    return this.read('DescribeAddresses', async (sdk, client) => (await client.send(new sdk.DescribeAddressesCommand({ Filters: filters }))).Addresses ?? []);
  }

  private nats(filters: Filter[]): Promise<import('@aws-sdk/client-ec2').NatGateway[]> {
    return this.pages('DescribeNatGateways', (sdk, client) => sdk.paginateDescribeNatGateways({ client }, { Filter: filters }), (p) => p.NatGateways ?? []);
  }

  private vpcs(filters: Filter[]): Promise<Resource[]> {
    return this.pages('DescribeVpcs', (sdk, client) => sdk.paginateDescribeVpcs({ client }, { Filters: filters }), (p) => (p.Vpcs ?? []).map(as.vpc));
  }

  /** The EC2 resources of the kinds in scope that carry an expiry; every instance and own snapshot when asked. */
  async list(scope: ReaperScope, options: { readonly allInstances: boolean; readonly allSnapshots: boolean }): Promise<Resource[]> {
    const expiring = [byTagKey(REFLEX_TAGS.expiresAt)];
    const lists = await Promise.all([
      scope.instances ? this.instances([{ Name: 'instance-state-name', Values: NOT_TERMINATED }, ...(options.allInstances ? [] : expiring)]) : [],
      scope.volumes ? this.volumes(expiring) : [],
      scope.snapshots ? this.snapshots(options.allSnapshots ? [] : expiring) : [],
      scope.addresses ? this.addresses(expiring).then((all) => all.map(as.address)) : [],
      scope.natGateways ? this.nats(expiring).then((all) => all.map(as.nat)) : [],
      scope.labVpcs ? this.vpcs(expiring) : [],
    ]);
    return lists.flat();
  }

  /** What a VPC holds, by teardown stage, and the network interfaces of none of them. */
  async vpcContents(vpcId: string): Promise<VpcContents> {
    const vpc = [inVpc(vpcId)];
    const [instances, nats, endpoints, subnets, routeTables, internetGateways, securityGroups, interfaces, addresses] = await Promise.all([
      // Terminated ones too: an interface still attached to one goes with it (EC2 deletes it shortly after).
      this.instances(vpc),
      this.nats(vpc),
      this.pages('DescribeVpcEndpoints', (sdk, client) => sdk.paginateDescribeVpcEndpoints({ client }, { Filters: vpc }), (p) => p.VpcEndpoints ?? []),
      this.pages('DescribeSubnets', (sdk, client) => sdk.paginateDescribeSubnets({ client }, { Filters: vpc }), (p) => (p.Subnets ?? []).map(as.subnet)),
      this.pages('DescribeRouteTables', (sdk, client) => sdk.paginateDescribeRouteTables({ client }, { Filters: vpc }), (p) => (p.RouteTables ?? []).map(as.routeTable)),
      this.pages(
        'DescribeInternetGateways',
        (sdk, client) => sdk.paginateDescribeInternetGateways({ client }, { Filters: [inVpc(vpcId, 'attachment.vpc-id')] }),
        (p) => (p.InternetGateways ?? []).map(as.internetGateway),
      ),
      this.pages('DescribeSecurityGroups', (sdk, client) => sdk.paginateDescribeSecurityGroups({ client }, { Filters: vpc }), (p) => (p.SecurityGroups ?? []).map(as.securityGroup)),
      this.pages('DescribeNetworkInterfaces', (sdk, client) => sdk.paginateDescribeNetworkInterfaces({ client }, { Filters: vpc }), (p) => p.NetworkInterfaces ?? []),
      this.addresses([]),
    ]);
    const instanceIds = new Set(instances.map((i) => i.id));
    const live = instances.filter((i) => i.state !== 'terminated');
    const interfaceIds = new Set(interfaces.map((n) => n.NetworkInterfaceId));
    const natAllocations = new Set(nats.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.AllocationId)));
    // Interfaces a NAT gateway or an interface endpoint names as its own belong to that stage, whatever their type says.
    const staged = new Set([
      ...nats.flatMap((n) => (n.NatGatewayAddresses ?? []).map((a) => a.NetworkInterfaceId)),
      ...endpoints.flatMap((e) => e.NetworkInterfaceIds ?? []),
    ]);
    return {
      instances: live,
      natGateways: nats.map(as.nat),
      addresses: addresses
        .filter((a) => (a.InstanceId && instanceIds.has(a.InstanceId)) || (a.NetworkInterfaceId && interfaceIds.has(a.NetworkInterfaceId)) || natAllocations.has(a.AllocationId))
        .map(as.address),
      endpoints: endpoints.map(as.endpoint).filter((e) => e.state !== 'deleted'),
      subnets,
      routeTables,
      internetGateways,
      securityGroups,
      otherInterfaces: interfaces
        .filter((n) => !(n.Attachment?.InstanceId && instanceIds.has(n.Attachment.InstanceId)) && !STAGE_INTERFACES.has(n.InterfaceType ?? '') && !staged.has(n.NetworkInterfaceId))
        .map((n) => ({ id: n.NetworkInterfaceId!, type: n.InterfaceType ?? 'interface', description: n.Description ?? '' })),
    };
  }

  /** One EC2 resource by id, whatever its tags; undefined if EC2 does not know it. */
  async find(id: string): Promise<Resource | undefined> {
    const prefix = id.slice(0, id.indexOf('-'));
    try {
      switch (prefix) {
        case 'i':
          return (await this.instances([], [id]))[0];
        case 'vol':
          return (await this.volumes([{ Name: 'volume-id', Values: [id] }]))[0];
        case 'snap':
          return (await this.snapshots([], [id]))[0];
        case 'eipalloc':
          return (await this.addresses([{ Name: 'allocation-id', Values: [id] }])).map(as.address)[0];
        case 'nat':
          return (await this.nats([{ Name: 'nat-gateway-id', Values: [id] }])).map(as.nat)[0];
        case 'vpc':
          return (await this.vpcs([inVpc(id)]))[0];
        default:
          return undefined;
      }
    } catch (error) {
      if (/NotFound|Malformed/.test(awsErrorName((error as Error).cause) ?? '')) return undefined;
      throw error;
    }
  }

  /** Writes tags on EC2 resources, many in one call. */
  async tag(resources: readonly Resource[], tags: Readonly<Record<string, string>>): Promise<WriteResult> {
    return this.write(`CreateTags on ${resources.map((r) => r.id).join(', ')}`, (sdk) => new sdk.CreateTagsCommand({ Resources: resources.map((r) => r.id), Tags: tagList(tags), DryRun: this.dryRun }));
  }

  stop(instance: Resource): Promise<WriteResult> {
    return this.write(`StopInstances ${instance.id}`, (sdk) => new sdk.StopInstancesCommand({ InstanceIds: [instance.id], DryRun: this.dryRun }));
  }

  async createSnapshot(volume: Resource, tags: Readonly<Record<string, string>>): Promise<WriteResult & { snapshotId?: string }> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(
        new sdk.CreateSnapshotCommand({
          VolumeId: volume.id,
          Description: `reaper: final snapshot of ${volume.id} before its deletion`,
          TagSpecifications: [{ ResourceType: 'snapshot', Tags: tagList(tags) }],
          DryRun: this.dryRun,
        }),
      );
      return { status: 'done', ...(out.SnapshotId ? { snapshotId: out.SnapshotId } : {}) };
    } catch (error) {
      return resultOf(error, `CreateSnapshot of ${volume.id}`);
    }
  }

  async snapshotState(snapshotId: string): Promise<'pending' | 'completed' | 'error' | 'missing'> {
    try {
      const [snapshot] = await this.snapshots([], [snapshotId]);
      const state = snapshot?.state;
      return state === 'completed' || state === 'error' || state === 'pending' ? state : snapshot ? 'pending' : 'missing';
    } catch (error) {
      if (/NotFound/.test(awsErrorName((error as Error).cause) ?? '')) return 'missing';
      throw error;
    }
  }

  /** Deletes an EC2 resource by its kind. */
  async remove(resource: Resource): Promise<WriteResult> {
    const { id } = resource;
    const DryRun = this.dryRun;
    const calls: Record<Exclude<ResourceKind, 'load-balancer'>, (sdk: Ec2Sdk) => object> = {
      instance: (sdk) => new sdk.TerminateInstancesCommand({ InstanceIds: [id], DryRun }),
      volume: (sdk) => new sdk.DeleteVolumeCommand({ VolumeId: id, DryRun }),
      snapshot: (sdk) => new sdk.DeleteSnapshotCommand({ SnapshotId: id, DryRun }),
      address: (sdk) => new sdk.ReleaseAddressCommand({ AllocationId: id, DryRun }),
      'nat-gateway': (sdk) => new sdk.DeleteNatGatewayCommand({ NatGatewayId: id, DryRun }),
      vpc: (sdk) => new sdk.DeleteVpcCommand({ VpcId: id, DryRun }),
      subnet: (sdk) => new sdk.DeleteSubnetCommand({ SubnetId: id, DryRun }),
      'route-table': (sdk) => new sdk.DeleteRouteTableCommand({ RouteTableId: id, DryRun }),
      'internet-gateway': (sdk) => new sdk.DeleteInternetGatewayCommand({ InternetGatewayId: id, DryRun }),
      'security-group': (sdk) => new sdk.DeleteSecurityGroupCommand({ GroupId: id, DryRun }),
      'vpc-endpoint': (sdk) => new sdk.DeleteVpcEndpointsCommand({ VpcEndpointIds: [id], DryRun }),
    };
    if (resource.kind === 'load-balancer') throw new ReflexError(`Ec2Resources cannot delete load balancer ${id}`);
    if (resource.kind === 'internet-gateway' && resource.vpcId) {
      const detached = await this.write(`DetachInternetGateway ${id} from ${resource.vpcId}`, (sdk) =>
        new sdk.DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId: resource.vpcId!, DryRun }),
      );
      if (detached.status !== 'done') return detached;
    }
    const result = await this.write(`${resource.kind} ${id}`, calls[resource.kind], (out) => {
      // DeleteVpcEndpoints answers 200 with the endpoints it could not delete.
      const unsuccessful = (out as { Unsuccessful?: { Error?: { Code?: string; Message?: string } }[] }).Unsuccessful?.[0]?.Error;
      return unsuccessful ? { status: 'refused', error: `${unsuccessful.Code}: ${unsuccessful.Message}` } : undefined;
    });
    return result;
  }

  /** Sends a write and turns its answer (or error) into a result. */
  private async write(what: string, command: (sdk: Ec2Sdk) => object, check?: (out: unknown) => WriteResult | undefined): Promise<WriteResult> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(command(sdk) as never);
      return check?.(out) ?? { status: 'done' };
    } catch (error) {
      return resultOf(error, what);
    }
  }
}
