// `reflex tags audit` against moto: the untagged network resources, the planned backfill, and its application.
import { describe, expect, it } from '@jest/globals';
import { CreateSecurityGroupCommand, CreateSubnetCommand, CreateTagsCommand, CreateVpcCommand, DescribeTagsCommand, EC2Client } from '@aws-sdk/client-ec2';
import { type LocalAws, localClientConfig } from '@reflex/local-aws';
import { reflexInProcess } from './reflex-cli';
import { useMoto } from '@reflex/local-aws/testing';

let aws: LocalAws;
let ec2: EC2Client;
let vpcId: string;
let subnetId: string;

const tags = (...args: string[]) => reflexInProcess(['tags', ...args]);

const tagsOf = async (id: string) =>
  Object.fromEntries(
    ((await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: 'resource-id', Values: [id] }] }))).Tags ?? []).map((t) => [t.Key, t.Value]),
  );
const lineOf = (stdout: string, id: string) => stdout.split('\n').find((l) => l.startsWith(id));

useMoto(async (started) => {
  aws = started;
  ec2 = new EC2Client(localClientConfig(aws.endpoint));
  // The local environment's policy: CostCenter inherited (default Unassigned), Owner default network-team.
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new CreateTagsCommand({ Resources: [vpcId], Tags: [{ Key: 'CostCenter', Value: 'R&D' }, { Key: 'Owner', Value: 'alice' }] }));
  subnetId = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24' }))).Subnet!.SubnetId!;
  return ec2;
});

describe('reflex tags audit', () => {
  it('lists the untagged subnet with what it misses, and not its fully tagged VPC', async () => {
    const run = await tags('audit', '--endpoint', aws.endpoint);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/resources? of \d+ miss mandatory tags \(CostCenter, Owner; environment local\)/);
    expect(lineOf(run.stdout, subnetId)).toMatch(new RegExp(`^${subnetId}\\s+subnet\\s+${vpcId}\\s+CostCenter, Owner$`));
    expect(lineOf(run.stdout, vpcId)).toBeUndefined();
    expect(run.stderr).toBe('');
  }, 60_000);

  it('with --fix prints the inherited and default values it would write, and writes nothing', async () => {
    const run = await tags('audit', '--fix', '--endpoint', aws.endpoint);
    expect(run.code).toBe(0);
    expect(lineOf(run.stdout, subnetId)).toContain(`CostCenter=R&D (from ${vpcId}), Owner=network-team (default)`);
    expect(run.stdout).toMatch(/dry-run: would write tags on \d+ resources; add --apply to write them/);
    expect(await tagsOf(subnetId)).toEqual({});
  }, 60_000);

  it('with --fix --apply writes them, and a second audit no longer lists the subnet', async () => {
    const run = await tags('audit', '--fix', '--apply', '--endpoint', aws.endpoint, '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ applied: true, written: expect.arrayContaining([subnetId]) });
    expect(await tagsOf(subnetId)).toEqual({ CostCenter: 'R&D', Owner: 'network-team' });
    const again = await tags('audit', '--endpoint', aws.endpoint);
    expect(lineOf(again.stdout, subnetId)).toBeUndefined();
  }, 60_000);

  it('refuses --apply without --fix with exit code 2', async () => {
    const run = await tags('audit', '--apply', '--endpoint', aws.endpoint);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--apply writes what --fix plans');
  }, 60_000);

  it('shows progress on stderr for an inventory of more than 200 resources', async () => {
    for (let n = 0; n < 210; n++) {
      await ec2.send(new CreateSecurityGroupCommand({ GroupName: `bulk-${n}`, Description: 'bulk', VpcId: vpcId }));
    }
    const run = await tags('audit', '--endpoint', aws.endpoint);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^listed \d{3} resources$/m);
    expect(run.stdout).toMatch(/2\d\d resources of 2\d\d miss mandatory tags/);
  }, 90_000);
});
