import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import type { Instance, Subnet, Vpc } from '@aws-sdk/client-ec2';
import { IpamInstanceMessageSchema } from '@reflex/events';
import { buildInstanceMessage, type Ec2Facts } from './message';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/ec2/${name}.json`, import.meta.url), 'utf8'));
// The CLI prints the SDK's shapes with times as strings: close enough to what the SDK returns.
const documented = {
  instance: fixture('describe-instances').Reservations[0].Instances[0] as Instance,
  subnets: fixture('describe-subnets').Subnets as Subnet[],
  vpcs: fixture('describe-vpcs').Vpcs as Vpc[],
};

/** The documented instance as a running state change, cloned so each test can mutate it. */
function facts(change: (f: { instance: Instance; subnets: Subnet[]; vpcs: Vpc[] }) => void = () => {}): Ec2Facts {
  const f = structuredClone(documented);
  change(f);
  return {
    account: '111111111111',
    region: 'us-east-2',
    eventTime: '2022-11-15T11:00:00Z',
    instanceId: 'i-1234567890abcdef0',
    state: 'running',
    ...f,
  };
}

describe('buildInstanceMessage', () => {
  it('builds the message of the documented DescribeInstances sample', () => {
    const message = buildInstanceMessage(facts());

    expect(IpamInstanceMessageSchema.parse(message)).toEqual(message);
    expect(message).toEqual({
      schemaVersion: 1,
      account: '111111111111',
      region: 'us-east-2',
      eventTime: '2022-11-15T11:00:00Z',
      instanceId: 'i-1234567890abcdef0',
      state: 'running',
      version: Date.parse('2022-11-15T11:00:00Z'),
      instance: {
        instanceType: 't3.nano',
        architecture: 'x86_64',
        cpuCores: 1,
        availabilityZone: 'us-east-2a',
        launchTime: '2022-11-15T10:48:59.000Z',
        name: 'my-instance',
        tags: { Name: 'my-instance' },
      },
      interfaces: [
        {
          interfaceId: 'eni-1234567890abcdef0',
          subnetId: 'subnet-04a636d18e83cfacb',
          vpcId: 'vpc-1234567890abcdef0',
          privateIps: ['10.0.0.157'],
          publicIps: ['34.253.223.13'],
          ipv6: [],
          macAddress: '00:11:22:33:44:55',
        },
      ],
      subnets: [
        { subnetId: 'subnet-04a636d18e83cfacb', vpcId: 'vpc-1234567890abcdef0', cidr: '10.0.0.0/24', ipv6Cidrs: ['2600:1f16:115:200::/64'] },
      ],
      vpcs: [{ vpcId: 'vpc-1234567890abcdef0', cidrs: ['10.0.0.0/16', '10.1.0.0/16'] }],
    });
  });

  it('lists the IPv6 addresses of an interface', () => {
    const message = buildInstanceMessage(
      facts(({ instance }) => {
        instance.NetworkInterfaces![0]!.Ipv6Addresses = [{ Ipv6Address: '2600:1f16:115:200::1a' }, { Ipv6Address: '2600:1f16:115:200::1b' }];
      }),
    );

    expect(message.interfaces[0]?.ipv6).toEqual(['2600:1f16:115:200::1a', '2600:1f16:115:200::1b']);
  });

  it('lists every interface in device order with its secondary addresses, and each subnet and VPC once', () => {
    const message = buildInstanceMessage(
      facts(({ instance, subnets }) => {
        const second = structuredClone(instance.NetworkInterfaces![0]!);
        second.NetworkInterfaceId = 'eni-0fedcba9876543210';
        second.SubnetId = 'subnet-0b715c6b7db68927a';
        second.MacAddress = '00:11:22:33:44:66';
        second.Attachment!.DeviceIndex = 1;
        delete second.Association;
        second.PrivateIpAddresses = [
          { Primary: true, PrivateIpAddress: '10.0.1.20' },
          { Primary: false, PrivateIpAddress: '10.0.1.21', Association: { PublicIp: '34.253.223.14' } },
        ];
        instance.NetworkInterfaces = [second, instance.NetworkInterfaces![0]!];
        const subnet = structuredClone(subnets[0]!);
        subnets.push({ ...subnet, SubnetId: 'subnet-0b715c6b7db68927a', CidrBlock: '10.0.1.0/24', Ipv6CidrBlockAssociationSet: [] });
      }),
    );

    expect(message.interfaces.map((e) => [e.interfaceId, e.subnetId, e.privateIps, e.publicIps])).toEqual([
      ['eni-1234567890abcdef0', 'subnet-04a636d18e83cfacb', ['10.0.0.157'], ['34.253.223.13']],
      ['eni-0fedcba9876543210', 'subnet-0b715c6b7db68927a', ['10.0.1.20', '10.0.1.21'], ['34.253.223.14']],
    ]);
    expect(message.subnets.map((s) => s.cidr)).toEqual(['10.0.0.0/24', '10.0.1.0/24']);
    expect(message.vpcs).toHaveLength(1);
  });

  it('takes only the subnets and VPCs the interfaces are in', () => {
    const message = buildInstanceMessage(
      facts(({ subnets, vpcs }) => {
        subnets.push({ ...structuredClone(subnets[0]!), SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', CidrBlock: '10.0.9.0/24' });
        vpcs.push({ ...structuredClone(vpcs[0]!), VpcId: 'vpc-0aaaaaaaaaaaaaaa1' });
      }),
    );

    expect(message.subnets.map((s) => s.subnetId)).toEqual(['subnet-04a636d18e83cfacb']);
    expect(message.vpcs.map((v) => v.vpcId)).toEqual(['vpc-1234567890abcdef0']);
  });

  it('takes the cores of the instance type when the instance has no CpuOptions', () => {
    const message = buildInstanceMessage({
      ...facts(({ instance }) => delete instance.CpuOptions),
      defaultCores: 2,
    });

    expect(message.instance?.cpuCores).toBe(2);
  });

  it('leaves the details out when the cores are not known at all', () => {
    const message = buildInstanceMessage(facts(({ instance }) => delete instance.CpuOptions));

    expect(message.instance).toBeUndefined();
    expect(message.interfaces).toHaveLength(1);
  });

  it('yields a terminated message without interfaces, keeping the details, for a terminated instance', () => {
    const message = buildInstanceMessage({
      ...facts(({ instance }) => {
        instance.State = { Code: 48, Name: 'terminated' };
        instance.NetworkInterfaces = [];
      }),
      state: 'terminated',
    });

    expect(message).toMatchObject({ state: 'terminated', interfaces: [], subnets: [], vpcs: [] });
    expect(message.instance?.name).toBe('my-instance');
  });

  it('yields a terminated message even when the state change said otherwise, once EC2 reports it terminated', () => {
    const message = buildInstanceMessage(facts(({ instance }) => (instance.State = { Code: 48, Name: 'terminated' })));

    expect(message).toMatchObject({ state: 'terminated', interfaces: [] });
  });

  it('yields a terminated message without details for an instance EC2 no longer knows', () => {
    const message = buildInstanceMessage({ ...facts(), instance: undefined });

    expect(message).toMatchObject({ instanceId: 'i-1234567890abcdef0', state: 'terminated', interfaces: [], subnets: [], vpcs: [] });
    expect(message.instance).toBeUndefined();
  });

  it('refuses an address that is not one (the typo of the documented sample)', () => {
    const broken = facts(({ instance }) => (instance.NetworkInterfaces![0]!.PrivateIpAddresses![0]!.PrivateIpAddress = '10-0-0-157'));

    expect(() => buildInstanceMessage(broken)).toThrow(/privateIps/);
  });
});
