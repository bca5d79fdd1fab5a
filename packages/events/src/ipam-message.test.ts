import { describe, expect, it } from '@jest/globals';
import { IpamInstanceMessageSchema } from './ipam-message';

// Composed from DescribeInstances/DescribeSubnets/DescribeVpcs fields for one running instance.
const sample = {
  schemaVersion: 1,
  account: '123456789012',
  region: 'eu-west-1',
  eventTime: '2026-03-01T10:00:00Z',
  instanceId: 'i-0abc1234def567890',
  state: 'running',
  version: Date.parse('2026-03-01T10:00:00Z'),
  instance: {
    instanceType: 't3.micro',
    architecture: 'x86_64',
    cpuCores: 1,
    availabilityZone: 'eu-west-1a',
    launchTime: '2026-03-01T09:59:30Z',
    name: 'web-1',
    tags: { Name: 'web-1', team: 'net' },
  },
  interfaces: [
    {
      interfaceId: 'eni-0123456789abcdef0',
      subnetId: 'subnet-0123456789abcdef0',
      vpcId: 'vpc-0123456789abcdef0',
      privateIps: ['10.0.1.10'],
      publicIps: ['203.0.113.10'],
      ipv6: ['2001:db8::10'],
      macAddress: '02:00:00:00:00:01',
    },
  ],
  subnets: [{ subnetId: 'subnet-0123456789abcdef0', vpcId: 'vpc-0123456789abcdef0', cidr: '10.0.1.0/24', ipv6Cidrs: ['2001:db8::/64'] }],
  vpcs: [{ vpcId: 'vpc-0123456789abcdef0', cidrs: ['10.0.0.0/16'] }],
};

describe('IpamInstanceMessageSchema', () => {
  it('parses a running instance with one interface', () => {
    const message = IpamInstanceMessageSchema.parse(structuredClone(sample));

    expect(message.interfaces[0]?.privateIps).toEqual(['10.0.1.10']);
    expect(message.instance?.name).toBe('web-1');
  });

  it('parses a terminated instance without details or interfaces', () => {
    const raw: Record<string, unknown> = { ...structuredClone(sample), state: 'terminated', interfaces: [], subnets: [], vpcs: [] };
    delete raw.instance;

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(true);
  });

  it('rejects a schema version it does not know', () => {
    const raw = { ...structuredClone(sample), schemaVersion: 2 };

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(false);
  });

  it('rejects a private address that is not IPv4', () => {
    const raw = structuredClone(sample);
    raw.interfaces[0]!.privateIps = ['10.0.1.300'];

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(false);
  });

  it('rejects a subnet CIDR without a prefix length', () => {
    const raw = structuredClone(sample);
    raw.subnets[0]!.cidr = '10.0.1.0';

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(false);
  });

  it('rejects a state EC2 does not have', () => {
    const raw = { ...structuredClone(sample), state: 'paused' };

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(false);
  });

  it('rejects a fractional version', () => {
    const raw = { ...structuredClone(sample), version: 1.5 };

    expect(IpamInstanceMessageSchema.safeParse(raw).success).toBe(false);
  });
});
