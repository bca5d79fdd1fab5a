import { beforeEach, describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { type Ec2StateChange, Ec2StateChangeSchema, StopInstancesCallSchema } from '@reflex/events';
import { guard, recentRestarts } from './core';
import { GuardConfigSchema } from './manifest';
import type { InstancesPort, InstanceView, StartResult } from './ports';

// The EC2 documentation's sample state change (packages/events/fixtures/SOURCES.md), moved to "stopped".
const sample = fixture('ec2/instance-state-change.json');
const stoppedEvent = (): Ec2StateChange => {
  const event = structuredClone(sample);
  event.detail.state = 'stopped';
  return Ec2StateChangeSchema.parse(event);
};

/** In-memory EC2: instances by id; `start` moves a stopped instance to pending. */
class MemoryInstances implements InstancesPort {
  readonly started: string[] = [];
  constructor(
    readonly instances: Map<string, InstanceView>,
    private readonly result: StartResult = 'started',
  ) {}
  async describe(id: string) {
    return this.instances.get(id);
  }
  async tag(id: string, tags: Readonly<Record<string, string>>) {
    const instance = this.instances.get(id);
    if (instance) this.instances.set(id, { ...instance, tags: { ...instance.tags, ...tags } });
  }
  async start(id: string) {
    this.started.push(id);
    const instance = this.instances.get(id);
    if (instance && this.result === 'started') this.instances.set(id, { ...instance, state: 'pending' });
    return this.result;
  }
}

const config = GuardConfigSchema.parse({});
const messages: string[] = [];
const log = { info: (message: string) => void messages.push(message) };
const instance = (state: string, tags: Record<string, string>): InstanceView => ({ id: 'i-abcd1111', state, tags });

beforeEach(() => {
  messages.length = 0;
});

describe('guard', () => {
  it('starts a protected instance that is stopped and reports the action', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true' })]]));
    const reports = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual(['i-abcd1111']);
    expect(reports).toEqual([
      expect.objectContaining({
        action: 'ec2:StartInstances',
        outcome: 'succeeded',
        targets: [{ id: 'i-abcd1111', arn: 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111' }],
      }),
    ]);
  });

  it('leaves an instance without the protect tag stopped and says why', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { Name: 'web' })]]));
    const reports = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual([]);
    expect(reports).toEqual([]);
    expect(messages).toEqual(['not restarting i-abcd1111: not protected (no tag reflex:protect=true)']);
  });

  it('does not treat another value of the protect tag as protected', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'false' })]]));
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
    expect(ec2.started).toEqual([]);
  });

  it('honours a configured protect tag', async () => {
    const custom = GuardConfigSchema.parse({ protectTag: { key: 'Criticality', value: 'high' } });
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { Criticality: 'high' })]]));
    await guard(stoppedEvent(), { instances: ec2, config: custom, log });
    expect(ec2.started).toEqual(['i-abcd1111']);
  });

  it('changes nothing when the same event is delivered twice', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true' })]]));
    await guard(stoppedEvent(), { instances: ec2, config, log });
    const second = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual(['i-abcd1111']);
    expect(second).toEqual([]);
  });

  it('ignores a late "stopped" event for an instance that is running again', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('running', { 'reflex:protect': 'true' })]]));
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
    expect(messages[0]).toContain('it is "running" now');
  });

  it('ignores an instance that no longer exists', async () => {
    const ec2 = new MemoryInstances(new Map());
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
    expect(messages[0]).toContain('no longer exists');
  });

  it('ignores states other than stopped', async () => {
    const event = Ec2StateChangeSchema.parse(sample); // "pending", as in the documentation
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('pending', { 'reflex:protect': 'true' })]]));
    expect(await guard(event, { instances: ec2, config, log })).toEqual([]);
    expect(ec2.started).toEqual([]);
  });

  it('reports a dry-run start as dry-run', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true' })]]), 'dry-run');
    const reports = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(reports.map((r) => r.outcome)).toEqual(['dry-run']);
  });

  it('reports nothing when EC2 refuses the start for the instance state', async () => {
    const ec2 = new MemoryInstances(
      new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true' })]]),
      'incorrect-state',
    );
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
  });
});

// The stopped event happens at the sample's time: 2021-11-11T21:29:54Z.
const AT = '2021-11-11T21:29:54Z';
const minutesBefore = (n: number) => new Date(new Date(AT).getTime() - n * 60_000).toISOString();
const protectedWith = (tags: Record<string, string>) =>
  new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true', ...tags })]]));

describe('guard and intended stops', () => {
  it('does not restart an instance the scheduler said it would stop, and says why', async () => {
    const ec2 = protectedWith({ 'reflex:stop-intent': `instance-scheduler@${minutesBefore(1)}` });
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
    expect(ec2.started).toEqual([]);
    expect(messages[0]).toContain('the stop was intended: instance-scheduler recorded its intent to stop it');
  });

  it('restarts when the recorded intent is older than the intent window', async () => {
    const ec2 = protectedWith({ 'reflex:stop-intent': `instance-scheduler@${minutesBefore(31)}` });
    await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual(['i-abcd1111']);
  });

  it('does not restart within a maintenance window', async () => {
    const ec2 = protectedWith({ 'reflex:maintenance-until': '2021-11-11T23:00:00Z' });
    expect(await guard(stoppedEvent(), { instances: ec2, config, log })).toEqual([]);
    expect(messages[0]).toContain('maintenance window is open until 2021-11-11T23:00:00.000Z');
  });

  it('restarts once the maintenance window has closed', async () => {
    const ec2 = protectedWith({ 'reflex:maintenance-until': '2021-11-11T21:00:00Z' });
    await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual(['i-abcd1111']);
  });

  it('does not restart when an allow-listed role stopped it', async () => {
    const allowed = GuardConfigSchema.parse({ allowedPrincipals: ['ops-admin'] });
    const ec2 = protectedWith({
      'reflex:stopped-by': `arn:aws:sts::123456789012:assumed-role/ops-admin/alice@${minutesBefore(2)}`,
    });
    expect(await guard(stoppedEvent(), { instances: ec2, config: allowed, log })).toEqual([]);
    expect(messages[0]).toContain('is allow-listed');
  });

  it('restarts when someone not allow-listed stopped it, and names them', async () => {
    const ec2 = protectedWith({ 'reflex:stopped-by': `arn:aws:iam::123456789012:user/Mallory@${minutesBefore(2)}` });
    const [report] = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(report?.reason).toContain('by arn:aws:iam::123456789012:user/Mallory');
  });
});

describe('guard restart budget', () => {
  it('records each restart in its ledger tag', async () => {
    const ec2 = protectedWith({});
    await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.instances.get('i-abcd1111')!.tags['reflex:restarts']).toBe(new Date(AT).toISOString());
  });

  it('alerts instead of restarting once the budget for the hour is spent', async () => {
    const ledger = [50, 30, 10].map(minutesBefore).join(' ');
    const ec2 = protectedWith({ 'reflex:restarts': ledger });
    const reports = await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.started).toEqual([]);
    expect(reports).toEqual([expect.objectContaining({ outcome: 'alert', severity: 'critical' })]);
    expect(reports[0]!.reason).toContain('3 restarts in the last hour');
  });

  it('forgets restarts older than an hour', () => {
    const ledger = [90, 61, 59, 5].map(minutesBefore).join(' ');
    expect(recentRestarts(ledger, new Date(AT)).map((d) => d.toISOString())).toEqual([minutesBefore(59), minutesBefore(5)]);
  });

  it('writes no ledger in dry-run', async () => {
    const ec2 = new MemoryInstances(new Map([['i-abcd1111', instance('stopped', { 'reflex:protect': 'true' })]]), 'dry-run');
    await guard(stoppedEvent(), { instances: ec2, config, log });
    expect(ec2.instances.get('i-abcd1111')!.tags['reflex:restarts']).toBeUndefined();
  });
});

describe('guard and StopInstances calls', () => {
  // The CloudTrail documentation's StopInstances record (Alice stops i-ebeaf9e2).
  const call = () =>
    StopInstancesCallSchema.parse(
      fixture('cloudtrail/stop-instances.json'),
    );

  it('records on a protected instance who stopped it and when', async () => {
    const ec2 = new MemoryInstances(new Map([['i-ebeaf9e2', { id: 'i-ebeaf9e2', state: 'stopping', tags: { 'reflex:protect': 'true' } }]]));
    expect(await guard(call(), { instances: ec2, config, log })).toEqual([]);
    expect(ec2.instances.get('i-ebeaf9e2')!.tags['reflex:stopped-by']).toBe('arn:aws:iam::123456789012:user/Alice@2014-03-06T21:01:59.000Z');
  });

  it('leaves unprotected instances untagged', async () => {
    const ec2 = new MemoryInstances(new Map([['i-ebeaf9e2', { id: 'i-ebeaf9e2', state: 'stopping', tags: {} }]]));
    await guard(call(), { instances: ec2, config, log });
    expect(ec2.instances.get('i-ebeaf9e2')!.tags).toEqual({});
  });
});
