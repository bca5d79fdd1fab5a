// The adapters against moto server: EC2's NACLs and a DynamoDB table shaped as the stacks build it
// (partition key pk, sort key sk, TTL attribute ttl).
import { describe, expect, it } from '@jest/globals';
import {
  AssociateVpcCidrBlockCommand,
  CreateNetworkInterfaceCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeNetworkAclsCommand,
  EC2Client,
  AttachNetworkInterfaceCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import { firstAmazonImage } from '@reflex/local-aws';
import { ipBlocker } from '../core/ip-blocker';
import { BlockerConfigSchema } from '../manifest';
import { DynamoBlockState, type LoadDynamo } from './dynamodb';
import { Ec2Network, type LoadEc2 } from './ec2';

let ec2: EC2Client;
let loadEc2: LoadEc2;
let loadDynamo: LoadDynamo;
let tableCount = 0;

useMoto(async (aws) => {
  const ec2s = await localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
  const dynamos = await localLoader(aws.endpoint, () => import('@aws-sdk/client-dynamodb'), (sdk, config) => new sdk.DynamoDBClient(config));
  [ec2, loadEc2, loadDynamo] = [ec2s.client, ec2s.loader, dynamos.loader];
  return { destroy: () => [ec2s, dynamos].forEach((c) => c.destroy()) };
});

async function table(): Promise<string> {
  const { client } = await loadDynamo();
  return createStateTable(client, `reflex-test-ip-blocker-${++tableCount}`);
}

/** A VPC (with an IPv6 block) and two subnets; an instance with an interface in each. */
async function network() {
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.60.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, AmazonProvidedIpv6CidrBlock: true }));
  const subnet = async (cidr: string) => (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: cidr }))).Subnet!.SubnetId!;
  const [subnetA, subnetB, subnetC] = [await subnet('10.60.1.0/24'), await subnet('10.60.2.0/24'), await subnet('10.60.3.0/24')];
  const instanceId = (await ec2.send(new RunInstancesCommand({ ImageId: await firstAmazonImage(ec2), MinCount: 1, MaxCount: 1, SubnetId: subnetA }))).Instances![0]!.InstanceId!;
  const eni = (await ec2.send(new CreateNetworkInterfaceCommand({ SubnetId: subnetB }))).NetworkInterface!.NetworkInterfaceId!;
  await ec2.send(new AttachNetworkInterfaceCommand({ NetworkInterfaceId: eni, InstanceId: instanceId, DeviceIndex: 1 }));
  const naclOf = async (subnetId: string) =>
    (await ec2.send(new DescribeNetworkAclsCommand({ Filters: [{ Name: 'association.subnet-id', Values: [subnetId] }] }))).NetworkAcls![0]!.NetworkAclId!;
  return { vpcId, subnetA, subnetB, subnetC, instanceId, nacl: await naclOf(subnetA) };
}

const inbound = async (naclId: string) =>
  ((await ec2.send(new DescribeNetworkAclsCommand({ NetworkAclIds: [naclId] }))).NetworkAcls![0]!.Entries ?? [])
    .filter((e) => !e.Egress && e.RuleNumber! < 32767)
    .sort((a, b) => a.RuleNumber! - b.RuleNumber!)
    .map((e) => `#${e.RuleNumber} ${e.RuleAction} ${e.CidrBlock ?? e.Ipv6CidrBlock}`);

describe('Ec2Network (against moto)', () => {
  it('finds the subnets of every interface of an instance, and their NACLs', async () => {
    const net = await network();
    const adapter = new Ec2Network(false, loadEc2);

    const found = await adapter.instanceSubnets(net.instanceId);
    const nacls = await adapter.naclsOfSubnets(found!.subnetIds);
    const [live] = await adapter.nacls(nacls.map((n) => n.id));

    expect(found).toEqual({ vpcId: net.vpcId, subnetIds: [net.subnetA, net.subnetB].sort() });
    expect(nacls).toEqual([{ id: net.nacl, vpcId: net.vpcId, tags: {} }]); // which NACLs: their entries only from a live read
    expect(live!.entries).toEqual(expect.arrayContaining([{ ruleNumber: 100, egress: false, action: 'allow', protocol: '-1', cidr: '0.0.0.0/0', family: 4 }]));
  }, 30_000);

  it('writes and deletes IPv4 and IPv6 denies, reports a taken number and a missing entry as conflicts', async () => {
    const { nacl } = await network();
    const adapter = new Ec2Network(false, loadEc2);

    expect(await adapter.addDeny(nacl, 1, '198.51.100.7/32')).toBe('done');
    expect(await adapter.addDeny(nacl, 2, '2001:db8::7/128')).toBe('done');
    expect(await adapter.addDeny(nacl, 2, '2001:db8::8/128')).toBe('conflict');
    expect(await inbound(nacl)).toEqual(['#1 deny 198.51.100.7/32', '#2 deny 2001:db8::7/128', '#100 allow 0.0.0.0/0']);
    expect(await adapter.removeEntry(nacl, 1)).toBe('done');
    expect(await adapter.removeEntry(nacl, 1)).toBe('conflict');
  }, 30_000);

  it('in dry-run, asks EC2 with DryRun and writes nothing', async () => {
    const { nacl } = await network();
    const adapter = new Ec2Network(true, loadEc2);

    expect(await adapter.addDeny(nacl, 1, '198.51.100.7/32')).toBe('dry-run');
    expect(await inbound(nacl)).toEqual(['#100 allow 0.0.0.0/0']);
  }, 30_000);

  it('reads the VPC CIDRs, IPv6 included, and leaves out NACLs that do not exist', async () => {
    const { vpcId, nacl } = await network();
    const adapter = new Ec2Network(false, loadEc2);

    const cidrs = await adapter.vpcCidrs(vpcId);
    const nacls = await adapter.nacls([nacl, 'acl-0123456789abcdef0']);

    expect(cidrs[0]).toBe('10.60.0.0/16');
    expect(cidrs.some((c) => c.includes(':'))).toBe(true);
    expect(nacls.map((n) => n.id)).toEqual([nacl]);
  }, 30_000);
});

describe('DynamoBlockState (against moto)', () => {
  const record = { naclId: 'acl-1', vpcId: 'vpc-1', cidr: '198.51.100.7/32', ruleNumber: 3, severity: 2, reason: 'r', origin: 'guardduty' as const, findingIds: ['f-1'], createdAt: '2026-12-06T10:00:00.000Z', expiresAt: '2026-12-06T22:00:00.000Z' };

  it('keeps, lists and deletes block records', async () => {
    const state = new DynamoBlockState(await table(), false, loadDynamo);

    await state.putBlock(record);
    await state.putBlock({ ...record, naclId: 'acl-2', cidr: '2001:db8::7/128', requestedBy: 'alice', findingIds: [] });

    expect(await state.blocksOf('acl-1')).toEqual([record]);
    expect((await state.allBlocks()).map((r) => r.cidr)).toEqual(['198.51.100.7/32', '2001:db8::7/128']);
    await state.deleteBlock('acl-1', record.cidr);
    expect(await state.blocksOf('acl-1')).toEqual([]);
  });

  it('gives a lease to one holder at a time, until it runs out or is released', async () => {
    const state = new DynamoBlockState(await table(), false, loadDynamo);
    const now = new Date('2026-12-06T10:00:00Z');
    const until = new Date(now.getTime() + 30_000);

    expect(await state.lease('acl-1', 'a', until, now)).toBe(true);
    expect(await state.lease('acl-1', 'b', until, now)).toBe(false);
    expect(await state.lease('acl-1', 'a', until, now)).toBe(true);
    expect(await state.lease('acl-1', 'b', until, new Date(until.getTime() + 1))).toBe(true);
    await state.release('acl-1', 'a'); // no longer a's: left alone
    expect(await state.lease('acl-1', 'a', until, now)).toBe(false);
    await state.release('acl-1', 'b');
    expect(await state.lease('acl-1', 'a', until, now)).toBe(true);
  });

  it('counts writes per minute up to the cap', async () => {
    const state = new DynamoBlockState(await table(), false, loadDynamo);

    const taken = [];
    for (let i = 0; i < 4; i++) taken.push(await state.takeWrites('2026-12-06T10:00', 1, 3));

    expect(taken).toEqual([true, true, true, false]);
    expect(await state.takeWrites('2026-12-06T10:01', 1, 3)).toBe(true);
  });

  it('keeps what became of an event', async () => {
    const state = new DynamoBlockState(await table(), false, loadDynamo);
    const outcome = { eventId: 'e-1', at: '2026-12-06T10:00:00.000Z', lines: ['denied 198.51.100.7/32 inbound at rule 1 of acl-1'], blocked: 1, refused: 0 };

    await state.recordOutcome(outcome);

    expect(await state.outcomeOf('e-1')).toEqual(outcome);
    expect(await state.outcomeOf('e-2')).toBeUndefined();
  });

  it('in dry-run, writes no block', async () => {
    const state = new DynamoBlockState(await table(), true, loadDynamo);

    await state.putBlock(record);

    expect(await state.allBlocks()).toEqual([]);
  });
});

describe('ipBlocker with both adapters (against moto)', () => {
  it('two findings processed at once for one NACL get different rule numbers', async () => {
    const net = await network();
    const tableName = await table();
    const config = z.parse(BlockerConfigSchema, {});
    const deps = (holder: string) => ({
      network: new Ec2Network(false, loadEc2),
      state: new DynamoBlockState(tableName, false, loadDynamo),
      config,
      log: { info: () => {} },
      now: () => new Date(),
      holder,
      naclArn: (id: string) => id,
    });
    const probe = (ip: string) => {
      const event = fixture('guardduty/finding.json');
      event.detail.resource.instanceDetails.instanceId = net.instanceId;
      event.detail.service.eventLastSeen = new Date().toISOString();
      event.detail.service.action.networkConnectionAction.remoteIpDetails.ipAddressV4 = ip;
      return event;
    };

    await Promise.all(['203.0.113.1', '203.0.113.2', '203.0.113.3'].map((ip, i) => ipBlocker(probe(ip), deps(`writer-${i}`))));

    const entries = await inbound(net.nacl);
    expect(entries).toHaveLength(4);
    expect(entries.slice(0, 3).map((e) => e.split(' ')[0])).toEqual(['#1', '#2', '#3']);
    expect(entries.slice(0, 3).map((e) => e.split(' ')[2]).sort()).toEqual(['203.0.113.1/32', '203.0.113.2/32', '203.0.113.3/32']);
    // Both interfaces' subnets share the VPC's default NACL: one record per source there.
    expect((await new DynamoBlockState(tableName, false, loadDynamo).allBlocks()).map((r) => r.ruleNumber).sort()).toEqual([1, 2, 3]);
  }, 60_000);
});
