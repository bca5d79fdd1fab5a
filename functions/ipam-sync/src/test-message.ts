// An IpamInstanceMessage for the sync's tests: what the ipam-enricher sends for one running instance
// (ids, account and addresses made up; documentation ranges 203.0.113.0/24 and 2001:db8::/32).
import { type IpamInstanceMessage, IpamInstanceMessageSchema } from '@reflex/events';

export const running: IpamInstanceMessage = IpamInstanceMessageSchema.parse({
  schemaVersion: 1,
  account: '111111111111',
  region: 'eu-west-1',
  eventTime: '2026-03-01T10:00:00.000Z',
  instanceId: 'i-0aaaaaaaaaaaaaaa1',
  state: 'running',
  version: 1772359200000,
  instance: {
    instanceType: 't3.micro',
    architecture: 'x86_64',
    cpuCores: 1,
    availabilityZone: 'eu-west-1a',
    launchTime: '2026-03-01T09:59:30.000Z',
    name: 'web-1',
    tags: { Name: 'web-1', team: 'net' },
  },
  interfaces: [
    {
      interfaceId: 'eni-0aaaaaaaaaaaaaaa1',
      subnetId: 'subnet-0aaaaaaaaaaaaaaa1',
      vpcId: 'vpc-0aaaaaaaaaaaaaaa1',
      privateIps: ['10.0.1.10'],
      publicIps: ['203.0.113.10'],
      ipv6: ['2001:db8:0:1::10'],
    },
  ],
  subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', vpcId: 'vpc-0aaaaaaaaaaaaaaa1', cidr: '10.0.1.0/24', ipv6Cidrs: ['2001:db8:0:1::/64'] }],
  vpcs: [{ vpcId: 'vpc-0aaaaaaaaaaaaaaa1', cidrs: ['10.0.0.0/16'] }],
});
