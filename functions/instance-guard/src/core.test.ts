import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { type Ec2StateChange, Ec2StateChangeSchema } from '@reflex/events';
import { guard } from './core';
import { GuardConfigSchema } from './manifest';
import type { InstancesPort, InstanceView, StartResult } from './ports';

// The EC2 documentation's sample state change (packages/events/fixtures/SOURCES.md), moved to "stopped".
const sample = JSON.parse(
  readFileSync(new URL('../../../packages/events/fixtures/ec2/instance-state-change.json', import.meta.url), 'utf8'),
);
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
