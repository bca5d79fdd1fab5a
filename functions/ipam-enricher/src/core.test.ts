import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { type Ec2StateChange, Ec2StateChangeSchema, type IpamInstanceMessage } from '@reflex/events';
import { enrich } from './core';
import type { InstanceChange } from './ports';

const event: Ec2StateChange = Ec2StateChangeSchema.parse(
  fixture('ec2/instance-state-change.json'),
);

/** What DescribeInstances would make of a change: one interface in one subnet of one VPC. */
const described = (change: InstanceChange): IpamInstanceMessage => ({
  schemaVersion: 1,
  ...change,
  version: Date.parse(change.eventTime),
  instance: {
    instanceType: 't3.micro',
    architecture: 'x86_64',
    cpuCores: 1,
    availabilityZone: 'us-east-1a',
    launchTime: '2015-11-11T21:29:00Z',
    tags: { Name: 'web-1' },
    name: 'web-1',
  },
  interfaces: [
    {
      interfaceId: 'eni-0abc1234def567890',
      subnetId: 'subnet-0abc1234def567890',
      vpcId: 'vpc-0abc1234def567890',
      privateIps: ['10.0.1.10'],
      publicIps: [],
      ipv6: [],
    },
  ],
  subnets: [{ subnetId: 'subnet-0abc1234def567890', vpcId: 'vpc-0abc1234def567890', cidr: '10.0.1.0/24', ipv6Cidrs: [] }],
  vpcs: [{ vpcId: 'vpc-0abc1234def567890', cidrs: ['10.0.0.0/16'] }],
});

function ports(describe: (change: InstanceChange) => IpamInstanceMessage = described) {
  const asked: InstanceChange[] = [];
  const sent: IpamInstanceMessage[] = [];
  return {
    asked,
    sent,
    deps: {
      describer: { instanceMessage: async (change: InstanceChange) => (asked.push(change), describe(change)) },
      ipam: { send: async (messages: readonly IpamInstanceMessage[]) => void sent.push(...messages) },
      log: { info: () => {} },
    },
  };
}

describe('enrich', () => {
  it('describes the instance of the event with the state, time, account and region of the event', async () => {
    const { asked, deps } = ports();

    await enrich(event, deps);

    expect(asked).toEqual([
      { instanceId: 'i-abcd1111', state: 'pending', eventTime: '2021-11-11T21:29:54Z', account: '123456789012', region: 'us-east-1' },
    ]);
  });

  it('sends one message versioned by the event time, and reports no action', async () => {
    const { sent, deps } = ports();

    const actions = await enrich(event, deps);

    expect(actions).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ instanceId: 'i-abcd1111', state: 'pending', version: Date.parse('2021-11-11T21:29:54Z') });
  });

  it('sends a message for a terminated instance EC2 no longer describes', async () => {
    const terminated = structuredClone(event);
    terminated.detail.state = 'terminated';
    const { sent, deps } = ports((change) => ({ ...described(change), instance: undefined, interfaces: [], subnets: [], vpcs: [] }));

    await enrich(terminated, deps);

    expect(sent[0]).toMatchObject({ state: 'terminated', interfaces: [] });
  });

  it('sends nothing and fails the record when the description breaks the message schema', async () => {
    const { sent, deps } = ports((change) => ({ ...described(change), account: 'not-an-account' }));

    await expect(enrich(event, deps)).rejects.toThrow(/not an AWS account id/);
    expect(sent).toEqual([]);
  });

  it('fails the record, sending nothing, when the queue cannot be reached', async () => {
    const { deps } = ports();
    const failing = { ...deps, ipam: { send: async () => Promise.reject(new Error('SendMessageBatch throttled')) } };

    await expect(enrich(event, failing)).rejects.toThrow(/throttled/);
  });
});
