import type { EC2Client, NetworkAcl } from '@aws-sdk/client-ec2';
import { normalizeCidr } from '@reflex/ip';
import { awsErrorName, lazySdk, type LoadedSdk, ReflexError, tagRecord } from '@reflex/lambda-kit';
import type { EntryWrite, Nacl, NaclEntry, NaclRef, NetworkPort } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client({}));

/** The network through the AWS SDK; with `dryRun`, entry writes are sent with `DryRun: true`. */
export class Ec2Network implements NetworkPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async instanceSubnets(instanceId: string): Promise<{ vpcId: string; subnetIds: string[] } | undefined> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      if (!instance?.VpcId) return undefined;
      const subnetIds = new Set([instance.SubnetId, ...(instance.NetworkInterfaces ?? []).map((n) => n.SubnetId)].filter((s): s is string => !!s));
      return { vpcId: instance.VpcId, subnetIds: [...subnetIds].sort() };
    } catch (error) {
      if (awsErrorName(error) === 'InvalidInstanceID.NotFound') return undefined;
      throw new ReflexError(`DescribeInstances ${instanceId} failed`, { cause: error });
    }
  }

  async naclsOfSubnets(subnetIds: readonly string[]): Promise<NaclRef[]> {
    if (!subnetIds.length) return [];
    return refs(await this.describe({ Filters: [{ Name: 'association.subnet-id', Values: [...subnetIds] }] }, `of subnets ${subnetIds.join(', ')}`));
  }

  async naclsOfVpc(vpcId: string): Promise<NaclRef[]> {
    return refs(await this.describe({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }, `of ${vpcId}`));
  }

  async nacls(ids: readonly string[]): Promise<Nacl[]> {
    if (!ids.length) return [];
    try {
      return await this.describe({ NetworkAclIds: [...ids] }, ids.join(', '));
    } catch (error) {
      // One missing id fails the whole call: ask for each alone, and leave out the missing ones.
      if (awsErrorName((error as Error).cause) !== 'InvalidNetworkAclID.NotFound') throw error;
      if (ids.length === 1) return [];
      return (await Promise.all(ids.map((id) => this.nacls([id])))).flat();
    }
  }

  async vpcCidrs(vpcId: string): Promise<string[]> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeVpcsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcId] }] }));
      return (out.Vpcs ?? []).flatMap((v) => [
        ...(v.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock),
        v.CidrBlock,
        ...(v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
      ]).filter((c, i, all): c is string => !!c && all.indexOf(c) === i);
    } catch (error) {
      throw new ReflexError(`DescribeVpcs ${vpcId} failed`, { cause: error });
    }
  }

  async addDeny(naclId: string, ruleNumber: number, cidr: string): Promise<EntryWrite> {
    const { sdk, client } = await this.ec2();
    const block = cidr.includes(':') ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr };
    try {
      await client.send(
        new sdk.CreateNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: ruleNumber, Egress: false, Protocol: '-1', RuleAction: 'deny', ...block, DryRun: this.dryRun }),
      );
      return 'done';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'NetworkAclEntryAlreadyExists') return 'conflict';
      throw new ReflexError(`CreateNetworkAclEntry ${naclId} #${ruleNumber} deny ${cidr}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }

  async removeEntry(naclId: string, ruleNumber: number): Promise<EntryWrite> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(new sdk.DeleteNetworkAclEntryCommand({ NetworkAclId: naclId, RuleNumber: ruleNumber, Egress: false, DryRun: this.dryRun }));
      return 'done';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'InvalidNetworkAclEntry.NotFound') return 'conflict';
      throw new ReflexError(`DeleteNetworkAclEntry ${naclId} #${ruleNumber}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }

  private async describe(input: { Filters?: { Name: string; Values: string[] }[]; NetworkAclIds?: string[] }, what: string): Promise<Nacl[]> {
    const { sdk, client } = await this.ec2();
    const nacls: Nacl[] = [];
    try {
      for await (const page of sdk.paginateDescribeNetworkAcls({ client }, input)) {
        for (const acl of page.NetworkAcls ?? []) nacls.push(toNacl(acl));
      }
    } catch (error) {
      throw new ReflexError(`DescribeNetworkAcls ${what} failed`, { cause: error });
    }
    return nacls.sort((a, b) => a.id.localeCompare(b.id));
  }
}

/** Which NACLs, without the entries read with them: only a read under the lease may decide on entries. */
const refs = (nacls: readonly Nacl[]): NaclRef[] => nacls.map(({ id, vpcId, tags }) => ({ id, vpcId, tags }));

function toNacl(acl: NetworkAcl): Nacl {
  const entries = (acl.Entries ?? []).flatMap((e): NaclEntry[] => {
    const cidr = normalizeCidr(e.CidrBlock ?? e.Ipv6CidrBlock ?? '');
    if (!cidr || e.RuleNumber === undefined) return [];
    return [
      {
        ruleNumber: e.RuleNumber,
        egress: e.Egress ?? false,
        action: e.RuleAction === 'allow' ? 'allow' : 'deny',
        protocol: e.Protocol ?? '-1',
        cidr,
        family: e.Ipv6CidrBlock ? 6 : 4,
      },
    ];
  });
  return { id: acl.NetworkAclId!, vpcId: acl.VpcId!, tags: tagRecord(acl.Tags), entries };
}
