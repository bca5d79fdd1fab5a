import type { EC2Client, Tag } from '@aws-sdk/client-ec2';
import { accountSdk, awsErrorName, chunks, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { NetworkResource } from '../core/policy';
import type { NetworkInventoryPort, NetworkTagsPort, TagResult } from '../ports';
import type { ResourceType, Tags } from '../core/resources';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the account and Region of the event being handled (its spoke role in a member account), loaded on first use. */
export const defaultEc2: LoadEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));

/** Ids per DescribeTags filter and per DescribeInstances call. */
const PAGE = 100;


/**
 * Tags of network resources through the AWS SDK. With `dryRun`, CreateTags is sent with `DryRun: true`:
 * EC2 checks the call (permissions, the `aws:TagKeys` condition) and writes nothing.
 */
export class Ec2NetworkTags implements NetworkTagsPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async tagsOf(ids: readonly string[]): Promise<Map<string, Tags>> {
    const { sdk, client } = await this.ec2();
    const found = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
    try {
      for (const group of chunks(ids, PAGE)) {
        let NextToken: string | undefined;
        do {
          const out = await client.send(new sdk.DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: group }], NextToken }));
          for (const t of out.Tags ?? []) {
            if (t.ResourceId && t.Key && found.has(t.ResourceId)) found.get(t.ResourceId)![t.Key] = t.Value ?? '';
          }
          NextToken = out.NextToken;
        } while (NextToken);
      }
    } catch (error) {
      throw new ReflexError(`DescribeTags on ${ids.length} resource(s) failed`, { cause: error });
    }
    return found;
  }

  async volumesOf(instanceIds: readonly string[]): Promise<Map<string, string[]>> {
    const { sdk, client } = await this.ec2();
    const volumes = new Map<string, string[]>();
    try {
      for (const group of chunks(instanceIds, PAGE)) {
        const out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: group }));
        for (const instance of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
          const ids = (instance.BlockDeviceMappings ?? []).flatMap((m) => (m.Ebs?.VolumeId ? [m.Ebs.VolumeId] : []));
          if (instance.InstanceId) volumes.set(instance.InstanceId, ids);
        }
      }
    } catch (error) {
      // Instances terminated before the event arrived have no volumes left to tag.
      if (awsErrorName(error) === 'InvalidInstanceID.NotFound') return volumes;
      throw new ReflexError(`DescribeInstances on ${instanceIds.length} instance(s) failed`, { cause: error });
    }
    return volumes;
  }

  async tag(id: string, tags: Tags): Promise<TagResult> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(
        new sdk.CreateTagsCommand({ Resources: [id], Tags: tagList(tags), DryRun: this.dryRun }),
      );
      return 'tagged';
    } catch (error) {
      const name = awsErrorName(error) ?? '';
      if (this.dryRun && name === 'DryRunOperation') return 'dry-run';
      if (name.endsWith('.NotFound')) return 'not-found';
      throw new ReflexError(`CreateTags ${id}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }
}

/** One kind of resource the inventory lists: how to page through it and read id, tags and parent. */
interface Lister {
  readonly type: ResourceType;
  readonly label: string;
  list(sdk: Ec2Sdk, client: EC2Client): AsyncGenerator<NetworkResource>;
}

const resource = (type: ResourceType, id: string | undefined, tags: readonly Tag[] | undefined, parent?: string): NetworkResource[] =>
  id ? [{ id, type, tags: tagRecord(tags), ...(parent ? { parent } : {}) }] : [];

/** Pages through a Describe call that takes NextToken. */
async function* pages<O extends { NextToken?: string }>(send: (NextToken: string | undefined) => Promise<O>): AsyncGenerator<O> {
  let NextToken: string | undefined;
  do {
    const out = await send(NextToken);
    yield out;
    NextToken = out.NextToken;
  } while (NextToken);
}

const LISTERS: readonly Lister[] = [
  {
    type: 'vpc',
    label: 'VPCs',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeVpcsCommand({ NextToken }))))
        for (const v of out.Vpcs ?? []) yield* resource('vpc', v.VpcId, v.Tags);
    },
  },
  {
    type: 'subnet',
    label: 'subnets',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeSubnetsCommand({ NextToken }))))
        for (const s of out.Subnets ?? []) yield* resource('subnet', s.SubnetId, s.Tags, s.VpcId);
    },
  },
  {
    type: 'route-table',
    label: 'route tables',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeRouteTablesCommand({ NextToken }))))
        for (const r of out.RouteTables ?? []) yield* resource('route-table', r.RouteTableId, r.Tags, r.VpcId);
    },
  },
  {
    type: 'security-group',
    label: 'security groups',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeSecurityGroupsCommand({ NextToken }))))
        for (const g of out.SecurityGroups ?? []) yield* resource('security-group', g.GroupId, g.Tags, g.VpcId);
    },
  },
  {
    type: 'network-acl',
    label: 'network ACLs',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeNetworkAclsCommand({ NextToken }))))
        for (const a of out.NetworkAcls ?? []) yield* resource('network-acl', a.NetworkAclId, a.Tags, a.VpcId);
    },
  },
  {
    type: 'internet-gateway',
    label: 'internet gateways',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeInternetGatewaysCommand({ NextToken }))))
        for (const g of out.InternetGateways ?? []) yield* resource('internet-gateway', g.InternetGatewayId, g.Tags, g.Attachments?.[0]?.VpcId);
    },
  },
  {
    type: 'natgateway',
    label: 'NAT gateways',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeNatGatewaysCommand({ NextToken }))))
        for (const g of out.NatGateways ?? []) if (g.State !== 'deleted') yield* resource('natgateway', g.NatGatewayId, g.Tags, g.VpcId);
    },
  },
  {
    type: 'vpc-endpoint',
    label: 'VPC endpoints',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeVpcEndpointsCommand({ NextToken }))))
        for (const e of out.VpcEndpoints ?? []) yield* resource('vpc-endpoint', e.VpcEndpointId, e.Tags, e.VpcId);
    },
  },
  {
    type: 'transit-gateway',
    label: 'transit gateways',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeTransitGatewaysCommand({ NextToken }))))
        for (const t of out.TransitGateways ?? []) if (t.State !== 'deleted') yield* resource('transit-gateway', t.TransitGatewayId, t.Tags);
    },
  },
  {
    type: 'transit-gateway-attachment',
    label: 'transit gateway VPC attachments',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeTransitGatewayVpcAttachmentsCommand({ NextToken }))))
        for (const a of out.TransitGatewayVpcAttachments ?? [])
          if (a.State !== 'deleted') yield* resource('transit-gateway-attachment', a.TransitGatewayAttachmentId, a.Tags, a.VpcId);
    },
  },
  {
    type: 'elastic-ip',
    label: 'Elastic IPs',
    async *list(sdk, client) {
      const out = await client.send(new sdk.DescribeAddressesCommand({}));
      for (const a of out.Addresses ?? []) yield* resource('elastic-ip', a.AllocationId, a.Tags);
    },
  },
  {
    type: 'network-interface',
    label: 'network interfaces',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeNetworkInterfacesCommand({ NextToken }))))
        for (const n of out.NetworkInterfaces ?? []) yield* resource('network-interface', n.NetworkInterfaceId, n.TagSet, n.SubnetId);
    },
  },
  {
    type: 'instance',
    label: 'instances',
    async *list(sdk, client) {
      const Filters = [{ Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] }];
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeInstancesCommand({ Filters, NextToken }))))
        for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) yield* resource('instance', i.InstanceId, i.Tags, i.SubnetId);
    },
  },
  {
    type: 'volume',
    label: 'volumes',
    async *list(sdk, client) {
      for await (const out of pages((NextToken) => client.send(new sdk.DescribeVolumesCommand({ NextToken }))))
        for (const v of out.Volumes ?? []) yield* resource('volume', v.VolumeId, v.Tags, v.Attachments?.[0]?.InstanceId);
    },
  },
];

/** Every network resource of the client's account and region, read with Describe calls only. */
export class Ec2NetworkInventory implements NetworkInventoryPort {
  constructor(private readonly ec2: LoadEc2 = defaultEc2) {}

  async list(onProgress?: (listed: number, kind: string) => void): Promise<NetworkResource[]> {
    const { sdk, client } = await this.ec2();
    const resources: NetworkResource[] = [];
    for (const lister of LISTERS) {
      onProgress?.(resources.length, lister.label);
      try {
        for await (const r of lister.list(sdk, client)) {
          resources.push(r);
          if (resources.length % 50 === 0) onProgress?.(resources.length, lister.label);
        }
      } catch (error) {
        throw new ReflexError(`listing ${lister.label} failed`, { cause: error });
      }
    }
    onProgress?.(resources.length, 'done');
    return resources;
  }
}
