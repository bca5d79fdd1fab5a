import { describe, expect, it } from '@jest/globals';
import {
  AssociateVpcCidrBlockCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeInstancesCommand,
  EC2Client,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { firstAmazonImage, freePort, type LocalAws, localClientConfig } from '@reflex/local-aws';
import { IpamError } from '../db';
import { Ec2Inventory } from './inventory';
import { useMoto } from '@reflex/local-aws/testing';

let aws: LocalAws;
let ec2: EC2Client;
let vpcId: string;
let subnetA: string;
let subnetB: string;
/** Two instances in subnet A, one in subnet B. */
let instances: string[];

const change = (instanceId: string, state: 'running' | 'terminated' = 'running') => ({
  instanceId,
  state,
  eventTime: '2026-11-22T08:00:00Z',
  account: '123456789012',
  region: 'us-east-1',
});

/** A client on the same moto that counts the commands it sends. */
function countingClient(): { client: EC2Client; calls: string[] } {
  const client = new EC2Client(localClientConfig(aws.endpoint));
  const calls: string[] = [];
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  client.send = ((command: { constructor: { name: string } }) => {
    calls.push(command.constructor.name.replace(/Command$/, ''));
    return send(command);
  }) as EC2Client['send'];
  return { client, calls };
}

async function launch(subnetId: string, name: string): Promise<string> {
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: await firstAmazonImage(ec2),
      InstanceType: 't3.micro',
      MinCount: 1,
      MaxCount: 1,
      SubnetId: subnetId,
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: name }] }],
    }),
  );
  return run.Instances![0]!.InstanceId!;
}

useMoto(async (started) => {
  aws = started;
  ec2 = new EC2Client(localClientConfig(aws.endpoint));
  vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: '10.30.0.0/16' }))).Vpc!.VpcId!;
  await ec2.send(new AssociateVpcCidrBlockCommand({ VpcId: vpcId, CidrBlock: '10.31.0.0/16' }));
  subnetA = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.30.1.0/24' }))).Subnet!.SubnetId!;
  subnetB = (await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: '10.31.2.0/24' }))).Subnet!.SubnetId!;
  instances = [await launch(subnetA, 'web-1'), await launch(subnetA, 'web-2'), await launch(subnetB, 'db-1')];
  return ec2;
});

describe('Ec2Inventory.instanceMessage (against moto)', () => {
  it('builds the message of each instance with its interface, subnet and VPC as EC2 reports them', async () => {
    const inventory = new Ec2Inventory(countingClient().client);

    for (const [i, id] of instances.entries()) {
      const reported = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations![0]!.Instances![0]!;

      const message = await inventory.instanceMessage(change(id));

      expect(message).toMatchObject({ instanceId: id, state: 'running', version: Date.parse('2026-11-22T08:00:00Z') });
      // moto reports no CpuOptions: the cores come from DescribeInstanceTypes (t3.micro: 1).
      expect(message.instance).toMatchObject({ instanceType: 't3.micro', cpuCores: 1, name: ['web-1', 'web-2', 'db-1'][i] });
      expect(message.interfaces).toEqual([
        expect.objectContaining({ subnetId: i < 2 ? subnetA : subnetB, vpcId, privateIps: [reported.PrivateIpAddress] }),
      ]);
      expect(message.subnets).toEqual([
        expect.objectContaining({ subnetId: i < 2 ? subnetA : subnetB, cidr: i < 2 ? '10.30.1.0/24' : '10.31.2.0/24' }),
      ]);
      expect(message.vpcs).toEqual([{ vpcId, cidrs: ['10.30.0.0/16', '10.31.0.0/16'] }]);
    }
  });

  it('describes each subnet and VPC once for the records of one invocation', async () => {
    const { client, calls } = countingClient();
    const inventory = new Ec2Inventory(client);

    for (const id of instances) await inventory.instanceMessage(change(id));

    expect(calls.filter((c) => c === 'DescribeInstances')).toHaveLength(3);
    expect(calls.filter((c) => c === 'DescribeSubnets')).toHaveLength(2);
    expect(calls.filter((c) => c === 'DescribeVpcs')).toHaveLength(1);
    expect(calls.filter((c) => c === 'DescribeInstanceTypes')).toHaveLength(1);
  });

  it('describes subnets and VPCs again once their cache entries expire', async () => {
    const { client, calls } = countingClient();
    const inventory = new Ec2Inventory(client, { cacheTtlMs: 0 });

    await inventory.instanceMessage(change(instances[0]!));
    await inventory.instanceMessage(change(instances[1]!));

    expect(calls.filter((c) => c === 'DescribeSubnets')).toHaveLength(2);
    expect(calls.filter((c) => c === 'DescribeVpcs')).toHaveLength(2);
  });

  it('yields a terminated message without interfaces, keeping the details, for a terminated instance', async () => {
    const id = await launch(subnetB, 'short-lived');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));

    const message = await new Ec2Inventory(ec2).instanceMessage(change(id, 'terminated'));

    expect(message).toMatchObject({ instanceId: id, state: 'terminated', interfaces: [], subnets: [], vpcs: [] });
    expect(message.instance?.name).toBe('short-lived');
  });

  it('yields a terminated message without details for an instance EC2 no longer knows', async () => {
    const message = await new Ec2Inventory(ec2).instanceMessage(change('i-0123456789abcdef0'));

    expect(message).toMatchObject({ instanceId: 'i-0123456789abcdef0', state: 'terminated', interfaces: [] });
    expect(message.instance).toBeUndefined();
  });

  it('fails with an IpamError holding the SDK error when EC2 cannot be reached', async () => {
    const nowhere = new EC2Client({ ...localClientConfig(`http://127.0.0.1:${await freePort()}`), maxAttempts: 1 });

    const failure = await new Ec2Inventory(nowhere).instanceMessage(change(instances[0]!)).catch((e: unknown) => e);

    expect(failure).toBeInstanceOf(IpamError);
    expect((failure as IpamError).cause).toBeInstanceOf(Error);
    nowhere.destroy();
  });
});

describe('Ec2Inventory.snapshot (against moto)', () => {
  it('lists every VPC and subnet, and one message per instance at the observation time, terminated ones included', async () => {
    const gone = await launch(subnetA, 'gone');
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [gone] }));
    const observedAt = new Date('2026-11-22T09:00:00Z');
    const progress: string[] = [];

    const snapshot = await new Ec2Inventory(ec2).snapshot({
      account: '123456789012',
      region: 'us-east-1',
      observedAt,
      onProgress: (p) => progress.push(p.phase),
    });

    expect(snapshot).toMatchObject({ account: '123456789012', region: 'us-east-1', observedAt: observedAt.toISOString() });
    expect(snapshot.vpcs).toContainEqual({ vpcId, cidrs: ['10.30.0.0/16', '10.31.0.0/16'] });
    expect(snapshot.subnets.map((s) => s.subnetId)).toEqual(expect.arrayContaining([subnetA, subnetB]));
    const byId = new Map(snapshot.messages.map((m) => [m.instanceId, m]));
    for (const id of instances) {
      expect(byId.get(id)).toMatchObject({ state: 'running', eventTime: observedAt.toISOString(), version: observedAt.getTime() });
      expect(byId.get(id)?.interfaces).toHaveLength(1);
    }
    expect(byId.get(gone)).toMatchObject({ state: 'terminated', interfaces: [] });
    expect([...new Set(progress)]).toEqual(['vpcs', 'subnets', 'instances']);
  });
});
