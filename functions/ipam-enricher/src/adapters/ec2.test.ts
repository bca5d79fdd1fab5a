import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DescribeInstancesCommand, DescribeSubnetsCommand, DescribeVpcsCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { IpamInstanceMessageSchema } from '@reflex/events';
import { Ec2Inventory } from '@reflex/ipam';
import { lazySdk } from '@reflex/lambda-kit';
import { launchInstances, type LocalEc2, localClientConfig, startLocalEc2 } from '@reflex/local-aws';
import { Ec2Describer } from './ec2';

let local: LocalEc2;
let describer: Ec2Describer;

beforeAll(async () => {
  local = await startLocalEc2();
  describer = new Ec2Describer(
    lazySdk(
      () => import('@aws-sdk/client-ec2'),
      (sdk) => new Ec2Inventory(new sdk.EC2Client(localClientConfig(local.aws.endpoint))),
    ),
  );
}, 30_000);
afterAll(() => local?.stop());

const change = (instanceId: string, state: 'running' | 'terminated', eventTime = '2026-11-22T08:00:00Z') => ({
  instanceId,
  state,
  eventTime,
  account: '123456789012',
  region: 'us-east-1',
});

describe('Ec2Describer (against moto)', () => {
  it('describes a launched instance with its interface, addresses, subnet and VPC as EC2 reports them', async () => {
    const [id] = await launchInstances(local.ec2, [{ Name: 'web-1', CostCenter: 'net' }]);
    const reported = (await local.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id!] }))).Reservations![0]!.Instances![0]!;
    const subnet = (await local.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [reported.SubnetId!] }))).Subnets![0]!;
    const vpc = (await local.ec2.send(new DescribeVpcsCommand({ VpcIds: [reported.VpcId!] }))).Vpcs![0]!;

    const message = IpamInstanceMessageSchema.parse(await describer.instanceMessage(change(id!, 'running')));

    expect(message).toMatchObject({ instanceId: id, state: 'running', version: Date.parse('2026-11-22T08:00:00Z') });
    expect(message.instance).toMatchObject({ instanceType: 't3.micro', name: 'web-1', tags: { Name: 'web-1', CostCenter: 'net' } });
    expect(message.interfaces).toHaveLength(1);
    expect(message.interfaces[0]).toMatchObject({ subnetId: subnet.SubnetId, vpcId: vpc.VpcId });
    expect(message.interfaces[0]!.privateIps).toContain(reported.PrivateIpAddress);
    expect(message.subnets).toEqual([expect.objectContaining({ subnetId: subnet.SubnetId, cidr: subnet.CidrBlock })]);
    expect(message.vpcs).toEqual([{ vpcId: vpc.VpcId, cidrs: [vpc.CidrBlock] }]);
  });

  it('still yields a message, without interfaces, for a terminated instance', async () => {
    const [id] = await launchInstances(local.ec2, [{}]);
    await local.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id!] }));

    const message = IpamInstanceMessageSchema.parse(await describer.instanceMessage(change(id!, 'terminated')));

    expect(message).toMatchObject({ instanceId: id, state: 'terminated', interfaces: [] });
  });

  it('yields a terminated message for an instance EC2 no longer knows', async () => {
    const message = IpamInstanceMessageSchema.parse(await describer.instanceMessage(change('i-0123456789abcdef0', 'terminated')));

    expect(message).toMatchObject({ instanceId: 'i-0123456789abcdef0', state: 'terminated', interfaces: [] });
    expect(message.instance).toBeUndefined();
  });
});
