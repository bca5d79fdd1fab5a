// Enricher messages for the IPAM's tests and benchmarks: the fixture (an instance running in 10.0.1.0/24 of
// vpc-0aaaaaaaaaaaaaaa1, account 111111111111) and variations of it. Not part of the package's API.
import { readFileSync } from 'node:fs';
import { type IpamInstanceMessage, IpamInstanceMessageSchema } from '@reflex/events';

export const running: IpamInstanceMessage = IpamInstanceMessageSchema.parse(
  JSON.parse(readFileSync(new URL('../fixtures/enricher/running.json', import.meta.url), 'utf8')),
);

/** The fixture, some time later, with changes. */
export function later(seconds: number, change: Partial<IpamInstanceMessage>): IpamInstanceMessage {
  const eventTime = new Date(Date.parse(running.eventTime) + seconds * 1000).toISOString();
  return IpamInstanceMessageSchema.parse({ ...structuredClone(running), eventTime, version: Date.parse(eventTime), ...change });
}

export function stopped(seconds: number): IpamInstanceMessage {
  const m = later(seconds, { state: 'stopped' });
  m.interfaces[0]!.publicIps = []; // EC2 releases an auto-assigned public IP on stop
  return m;
}

export function terminated(seconds: number): IpamInstanceMessage {
  const m = later(seconds, { state: 'terminated', interfaces: [], subnets: [], vpcs: [] });
  delete m.instance;
  return m;
}

/** A second instance, in another VPC (and account) whose block overlaps the fixture's. */
export function otherVpc(): IpamInstanceMessage {
  const m = structuredClone(running);
  m.account = '222222222222';
  m.instanceId = 'i-0bbbbbbbbbbbbbbb2';
  m.interfaces = [
    {
      interfaceId: 'eni-0bbbbbbbbbbbbbbb2',
      subnetId: 'subnet-0bbbbbbbbbbbbbbb2',
      vpcId: 'vpc-0bbbbbbbbbbbbbbb2',
      privateIps: ['10.0.200.5'],
      publicIps: [],
      ipv6: [],
    },
  ];
  m.subnets = [{ subnetId: 'subnet-0bbbbbbbbbbbbbbb2', vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidr: '10.0.200.0/24', ipv6Cidrs: [] }];
  m.vpcs = [{ vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidrs: ['10.0.128.0/17'] }];
  return m;
}

/** The fixture as the `n`th instance: its own instance, interface and private address; `seconds` later. */
export function instanceMessage(n: number, seconds = 0): IpamInstanceMessage {
  const m = structuredClone(running);
  const hex = (0x10000 + n).toString(16).padStart(17, '0');
  m.instanceId = `i-${hex}`;
  m.interfaces[0]!.interfaceId = `eni-${hex}`;
  m.interfaces[0]!.privateIps = [`10.0.${(n >> 8) & 255}.${n & 255}`];
  m.interfaces[0]!.publicIps = [];
  m.interfaces[0]!.ipv6 = [];
  m.eventTime = new Date(Date.parse(running.eventTime) + seconds * 1000).toISOString();
  m.version = Date.parse(m.eventTime);
  return m;
}
