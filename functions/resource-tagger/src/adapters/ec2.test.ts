import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand, DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { launchInstances, type LocalEc2, startLocalEc2 } from '@reflex/local-aws';
import { Ec2NetworkInventory, Ec2NetworkTags, type LoadEc2 } from './ec2';

let local: LocalEc2;
let ec2: EC2Client;
let load: LoadEc2;

beforeAll(async () => {
  local = await startLocalEc2();
  ({ ec2, loadEc2: load } = local);
}, 30_000);

afterAll(() => local?.stop());

async function vpcWithSubnet(vpcTags: Record<string, string>): Promise<{ vpcId: string; subnetId: string }> {
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.20.0.0/16' }));
  const vpcId = vpc.Vpc!.VpcId!;
  const tags = Object.entries(vpcTags).map(([Key, Value]) => ({ Key, Value }));
  if (tags.length > 0) await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: tags }));
  const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.20.1.0/24' }));
  return { vpcId, subnetId: subnet.Subnet!.SubnetId! };
}

const tagsOn = async (id: string) =>
  Object.fromEntries(
    ((await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))).Tags ?? []).map((t) => [t.Key, t.Value]),
  );

describe('Ec2NetworkTags (against moto)', () => {
  it('reads the tags of several resources at once, {} for those without', async () => {
    const { vpcId, subnetId } = await vpcWithSubnet({ CostCenter: 'R&D' });
    const tags = await new Ec2NetworkTags(false, load).tagsOf([vpcId, subnetId]);
    expect(Object.fromEntries(tags)).toEqual({ [vpcId]: { CostCenter: 'R&D' }, [subnetId]: {} });
  });

  it('writes tags on a subnet', async () => {
    const { subnetId } = await vpcWithSubnet({});
    expect(await new Ec2NetworkTags(false, load).tag(subnetId, { CostCenter: 'R&D', 'reflex:created-by': 'user/Alice' })).toBe('tagged');
    expect(await tagsOn(subnetId)).toEqual({ CostCenter: 'R&D', 'reflex:created-by': 'user/Alice' });
  });

  it('in dry-run asks EC2 with DryRun and writes nothing', async () => {
    const { subnetId } = await vpcWithSubnet({});
    expect(await new Ec2NetworkTags(true, load).tag(subnetId, { CostCenter: 'R&D' })).toBe('dry-run');
    expect(await tagsOn(subnetId)).toEqual({});
  });

  it('finds the volumes of a new instance through its block device mappings', async () => {
    const [id] = (await launchInstances(ec2, [{}])) as [string];
    const volumes = await new Ec2NetworkTags(false, load).volumesOf([id]);
    expect(volumes.get(id)).toEqual([expect.stringMatching(/^vol-/)]);
  });

  it('wraps other EC2 errors with the call and the cause', async () => {
    const error = await new Ec2NetworkTags(false, load).tag('subnet-1', { '': 'x' }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain('CreateTags subnet-1 failed');
    expect((error as Error).cause).toBeDefined();
  });
});

describe('Ec2NetworkInventory (against moto)', () => {
  it('lists VPCs, subnets, instances and volumes with their tags and parents', async () => {
    const { vpcId, subnetId } = await vpcWithSubnet({ CostCenter: 'Ops' });
    const progress: string[] = [];
    const resources = await new Ec2NetworkInventory(load).list((_, kind) => progress.push(kind));
    const byId = new Map(resources.map((r) => [r.id, r]));
    expect(byId.get(vpcId)).toEqual({ id: vpcId, type: 'vpc', tags: { CostCenter: 'Ops' } });
    expect(byId.get(subnetId)).toEqual({ id: subnetId, type: 'subnet', tags: {}, parent: vpcId });
    const instance = resources.find((r) => r.type === 'instance');
    expect(instance?.parent).toMatch(/^subnet-/);
    expect(resources.find((r) => r.type === 'volume' && r.parent === instance!.id)).toBeDefined();
    expect(progress).toContain('route tables');
    expect(progress.at(-1)).toBe('done');
  });
});
