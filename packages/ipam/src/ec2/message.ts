import type { Instance, InstanceNetworkInterface, Subnet, Vpc } from '@aws-sdk/client-ec2';
import {
  type Ec2InstanceState,
  type IpamInstance,
  type IpamInstanceMessage,
  IpamInstanceMessageSchema,
  type IpamInterface,
  type IpamSubnet,
  type IpamVpc,
} from '@reflex/events';

/** What EC2 reports about one instance at one time: the input of `buildInstanceMessage`. */
export interface Ec2Facts {
  readonly account: string;
  readonly region: string;
  /** ISO time of the state change (or of the snapshot). */
  readonly eventTime: string;
  readonly instanceId: string;
  readonly state: Ec2InstanceState;
  /** The instance as DescribeInstances returns it; absent when EC2 no longer knows it. */
  readonly instance?: Instance;
  /** DescribeSubnets results; those the interfaces are in are picked. */
  readonly subnets: readonly Subnet[];
  /** DescribeVpcs results; those the interfaces are in are picked. */
  readonly vpcs: readonly Vpc[];
  /** Cores of the instance type (DescribeInstanceTypes), for an instance without `CpuOptions`. */
  readonly defaultCores?: number;
}

/**
 * Builds the IPAM message of one instance from EC2's descriptions of it, its subnets and its VPCs. An
 * instance EC2 no longer knows, or reports terminated, yields a `terminated` message without interfaces
 * (and without details when unknown). Throws a ZodError when EC2's data does not fit the message.
 *
 * @example
 * const message = buildInstanceMessage({ account, region, eventTime: event.time, instanceId, state: 'running',
 *   instance: reservations[0].Instances[0], subnets, vpcs });
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
export function buildInstanceMessage(facts: Ec2Facts): IpamInstanceMessage {
  const { instance } = facts;
  const gone = !instance || instance.State?.Name === 'terminated';
  const interfaces = gone ? [] : (instance.NetworkInterfaces ?? []).slice().sort(byDevice).flatMap(toIpamInterface);
  const subnetIds = new Set(interfaces.map((e) => e.subnetId));
  const vpcIds = new Set(interfaces.map((e) => e.vpcId));
  const details = instance && toIpamInstance(instance, facts.defaultCores);
  return IpamInstanceMessageSchema.parse({
    schemaVersion: 1,
    account: facts.account,
    region: facts.region,
    eventTime: facts.eventTime,
    instanceId: facts.instanceId,
    state: gone ? 'terminated' : facts.state,
    version: Date.parse(facts.eventTime),
    ...(details ? { instance: details } : {}),
    interfaces,
    subnets: unique(facts.subnets.filter((s) => s.SubnetId && subnetIds.has(s.SubnetId)), (s) => s.SubnetId).flatMap(
      (s) => toIpamSubnet(s) ?? [],
    ),
    vpcs: unique(facts.vpcs.filter((v) => v.VpcId && vpcIds.has(v.VpcId)), (v) => v.VpcId).flatMap((v) => toIpamVpc(v) ?? []),
  });
}

/** The subnets and VPCs an instance's interfaces are in: what to describe for its message. */
export function networksOf(instance: Instance): { subnetIds: string[]; vpcIds: string[] } {
  const enis = instance.NetworkInterfaces ?? [];
  return {
    subnetIds: [...new Set(enis.flatMap((e) => e.SubnetId ?? []))],
    vpcIds: [...new Set(enis.flatMap((e) => e.VpcId ?? []))],
  };
}

/** A subnet's IPv4 block and associated IPv6 blocks; undefined for an IPv6-only subnet (no IPv4 block). */
export function toIpamSubnet(subnet: Subnet): IpamSubnet | undefined {
  if (!subnet.SubnetId || !subnet.VpcId || !subnet.CidrBlock) return undefined;
  return {
    subnetId: subnet.SubnetId,
    vpcId: subnet.VpcId,
    cidr: subnet.CidrBlock,
    ipv6Cidrs: (subnet.Ipv6CidrBlockAssociationSet ?? []).flatMap((a) =>
      a.Ipv6CidrBlock && associated(a.Ipv6CidrBlockState?.State) ? [a.Ipv6CidrBlock] : [],
    ),
  };
}

/** A VPC's IPv4 blocks: the primary one (which cannot be disassociated) and every associated one. */
export function toIpamVpc(vpc: Vpc): IpamVpc | undefined {
  if (!vpc.VpcId) return undefined;
  const secondary = (vpc.CidrBlockAssociationSet ?? []).flatMap((a) =>
    a.CidrBlock && associated(a.CidrBlockState?.State) ? [a.CidrBlock] : [],
  );
  const cidrs = unique([...(vpc.CidrBlock ? [vpc.CidrBlock] : []), ...secondary]);
  return cidrs.length > 0 ? { vpcId: vpc.VpcId, cidrs } : undefined;
}

function toIpamInstance(i: Instance, defaultCores: number | undefined): IpamInstance | undefined {
  const cpuCores = i.CpuOptions?.CoreCount ?? defaultCores;
  const availabilityZone = i.Placement?.AvailabilityZone;
  // The schema needs every one of these: without them the message carries no details, and the store
  // keeps the ones it has.
  if (!i.InstanceType || !i.Architecture || !cpuCores || !availabilityZone || !i.LaunchTime) return undefined;
  const tags = Object.fromEntries((i.Tags ?? []).flatMap((t) => (t.Key !== undefined ? [[t.Key, t.Value ?? '']] : [])));
  return {
    instanceType: i.InstanceType,
    architecture: i.Architecture,
    cpuCores,
    availabilityZone,
    launchTime: new Date(i.LaunchTime).toISOString(),
    ...(tags.Name !== undefined ? { name: tags.Name } : {}),
    tags,
  };
}

function toIpamInterface(eni: InstanceNetworkInterface): IpamInterface[] {
  if (!eni.NetworkInterfaceId || !eni.SubnetId || !eni.VpcId) return [];
  const privates = eni.PrivateIpAddresses ?? (eni.PrivateIpAddress ? [{ PrivateIpAddress: eni.PrivateIpAddress }] : []);
  const publics = [...privates.map((p) => p.Association?.PublicIp), eni.Association?.PublicIp];
  return [
    {
      interfaceId: eni.NetworkInterfaceId,
      subnetId: eni.SubnetId,
      vpcId: eni.VpcId,
      privateIps: unique(privates.flatMap((p) => p.PrivateIpAddress ?? [])),
      publicIps: unique(publics.flatMap((p) => p ?? [])),
      ipv6: unique((eni.Ipv6Addresses ?? []).flatMap((a) => a.Ipv6Address ?? [])),
      ...(eni.MacAddress ? { macAddress: eni.MacAddress } : {}),
    },
  ];
}

// EC2 does not promise an order; the device index is the one an operator knows them by.
const byDevice = (a: InstanceNetworkInterface, b: InstanceNetworkInterface) =>
  (a.Attachment?.NetworkCardIndex ?? 0) - (b.Attachment?.NetworkCardIndex ?? 0) ||
  (a.Attachment?.DeviceIndex ?? 0) - (b.Attachment?.DeviceIndex ?? 0);

const associated = (state: string | undefined) => state?.toLowerCase() === 'associated';

function unique<T>(items: readonly T[], key: (item: T) => unknown = (item) => item): T[] {
  const seen = new Set<unknown>();
  return items.filter((item) => !seen.has(key(item)) && (seen.add(key(item)), true));
}
