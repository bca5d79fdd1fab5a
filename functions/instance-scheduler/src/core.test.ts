import { beforeEach, describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { type ScheduledEvent, ScheduledEventSchema } from '@reflex/events';
import { plan, scheduler } from './core';
import { SchedulerConfigSchema } from './manifest';
import type { BatchResult, ScheduledInstance, SchedulerPort } from './ports';

// The Lambda guide's sample Scheduled Event (packages/events/fixtures/SOURCES.md), moved to the run's time.
const sample = fixture('scheduled/scheduled-event.json');
const runAt = (time: string): ScheduledEvent => ScheduledEventSchema.parse({ ...structuredClone(sample), time });

const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const config = SchedulerConfigSchema.parse({
  schedules: [
    { name: 'reference', timezone: 'UTC', periods: [{ days: EVERY_DAY, start: '07:00', stop: '08:50' }] },
    { name: 'berlin-office', timezone: 'Europe/Berlin', periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', stop: '18:00' }] },
    { name: 'stop-only', timezone: 'UTC', mode: 'stop-only', periods: [{ days: EVERY_DAY, start: '07:00', stop: '08:50' }] },
    { name: 'start-only', timezone: 'UTC', mode: 'start-only', periods: [{ days: EVERY_DAY, start: '07:00', stop: '08:50' }] },
  ],
});
const running = (id: string, tags: Record<string, string>): ScheduledInstance => ({ id, state: 'running', tags });
const stopped = (id: string, tags: Record<string, string>): ScheduledInstance => ({ id, state: 'stopped', tags });

/** In-memory EC2: records calls in order; `refuse` makes chosen instances fail. */
class MemoryFleet implements SchedulerPort {
  readonly calls: string[] = [];
  constructor(
    readonly instances: ScheduledInstance[],
    private readonly refuse: Record<string, 'IncorrectInstanceState' | 'UnauthorizedOperation'> = {},
    private readonly dryRun = false,
  ) {}
  async listScheduled() {
    return this.instances;
  }
  async tag(ids: readonly string[], tags: Readonly<Record<string, string>>) {
    this.calls.push(`tag ${ids.join(',')} ${Object.keys(tags).join(',')}`);
  }
  async untag(ids: readonly string[], keys: readonly string[]) {
    this.calls.push(`untag ${ids.join(',')} ${keys.join(',')}`);
  }
  async stop(ids: readonly string[]) {
    this.calls.push(`stop ${ids.join(',')}`);
    return this.result(ids);
  }
  async start(ids: readonly string[]) {
    this.calls.push(`start ${ids.join(',')}`);
    return this.result(ids);
  }
  private result(ids: readonly string[]): BatchResult {
    const result: BatchResult = { done: [], incorrectState: [], failed: [], dryRun: this.dryRun };
    for (const id of ids) {
      const refusal = this.refuse[id];
      if (!refusal) result.done.push(id);
      else if (refusal === 'IncorrectInstanceState') result.incorrectState.push(id);
      else result.failed.push({ id, error: `${refusal}: not allowed` });
    }
    return result;
  }
}

const messages: string[] = [];
const log = { info: (message: string) => void messages.push(message) };
beforeEach(() => {
  messages.length = 0;
});

describe('plan', () => {
  const at = new Date('2026-11-23T08:52:00Z'); // two minutes after the reference stop

  it('stops a running instance at its schedule\'s stop', () => {
    expect(plan([running('i-1', { 'reflex:schedule': 'reference' })], config, at)).toEqual([
      expect.objectContaining({ id: 'i-1', action: 'stop' }),
    ]);
  });

  it('lets the opt-out tag win over everything', () => {
    const [d] = plan([running('i-1', { 'reflex:schedule': 'reference', 'reflex:schedule-opt-out': 'true' })], config, at);
    expect(d).toMatchObject({ action: 'none', reason: expect.stringContaining('opted out') });
  });

  it('keeps an overridden instance as it is until the override ends', () => {
    const tags = { 'reflex:schedule': 'reference', 'reflex:override-until': '2026-11-23T22:00:00Z' };
    expect(plan([running('i-1', tags)], config, at)[0]).toMatchObject({ action: 'none', reason: expect.stringContaining('overridden until') });
  });

  it('acts again once the override has passed', () => {
    const tags = { 'reflex:schedule': 'reference', 'reflex:override-until': '2026-11-23T08:00:00Z' };
    expect(plan([running('i-1', tags)], config, at)[0]!.action).toBe('stop');
  });

  it('names an unknown schedule and leaves the instance alone', () => {
    expect(plan([running('i-1', { 'reflex:schedule': 'nope' })], config, at)[0]).toMatchObject({
      action: 'none',
      reason: 'no schedule named "nope"',
    });
  });

  it('does not start a stop-only instance, and does not stop a start-only one', () => {
    const start = new Date('2026-11-23T07:02:00Z');
    expect(plan([stopped('i-1', { 'reflex:schedule': 'stop-only' })], config, start)[0]!.action).toBe('none');
    expect(plan([running('i-2', { 'reflex:schedule': 'start-only' })], config, at)[0]!.action).toBe('none');
    expect(plan([running('i-3', { 'reflex:schedule': 'stop-only' })], config, at)[0]!.action).toBe('stop');
  });

  it('between transitions leaves a started instance running (people may start one outside its period)', () => {
    const later = new Date('2026-11-23T12:00:00Z');
    expect(plan([running('i-1', { 'reflex:schedule': 'reference' })], config, later)[0]!.action).toBe('none');
  });

  it('with enforce, stops it on any run outside the period', () => {
    const enforced = { ...config, enforce: true };
    const later = new Date('2026-11-23T12:00:00Z');
    expect(plan([running('i-1', { 'reflex:schedule': 'reference' })], enforced, later)[0]!.action).toBe('stop');
  });

  it('still catches a transition when one run was lost', () => {
    const twoRunsLate = new Date('2026-11-23T08:58:00Z');
    expect(plan([running('i-1', { 'reflex:schedule': 'reference' })], config, twoRunsLate)[0]!.action).toBe('stop');
  });

  it('follows the Berlin clock across the daylight-saving change', () => {
    // Friday 2026-10-23 08:00 in Berlin is 06:00Z (CEST); Monday 2026-10-26 08:00 is 07:00Z (CET).
    const before = new Date('2026-10-23T06:01:00Z');
    const after = new Date('2026-10-26T07:01:00Z');
    const instance = stopped('i-1', { 'reflex:schedule': 'berlin-office' });
    expect(plan([instance], config, before)[0]!.action).toBe('start');
    expect(plan([instance], config, new Date('2026-10-26T06:01:00Z'))[0]!.action).toBe('none');
    expect(plan([instance], config, after)[0]!.action).toBe('start');
  });
});

describe('scheduler', () => {
  it('records its intent on the instances before it stops them', async () => {
    const fleet = new MemoryFleet([running('i-1', { 'reflex:schedule': 'reference' }), running('i-2', { 'reflex:schedule': 'reference' })]);
    await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config, log });
    expect(fleet.calls).toEqual(['tag i-1,i-2 reflex:stop-intent', 'stop i-1,i-2']);
  });

  it('stamps the intent with the time it stops them', async () => {
    const stamps: string[] = [];
    const fleet = new MemoryFleet([running('i-1', { 'reflex:schedule': 'reference' })]);
    fleet.tag = async (_ids, tags) => void stamps.push(tags['reflex:stop-intent']!);
    await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config, log, clock: () => new Date('2026-11-23T08:52:07Z') });
    expect(stamps).toEqual(['instance-scheduler@2026-11-23T08:52:07.000Z']);
  });

  it('clears the intent and starts instances at the period start', async () => {
    const fleet = new MemoryFleet([stopped('i-1', { 'reflex:schedule': 'reference' })]);
    const reports = await scheduler(runAt('2026-11-24T07:03:00Z'), { instances: fleet, config, log });
    expect(fleet.calls).toEqual(['untag i-1 reflex:stop-intent', 'start i-1']);
    expect(reports).toEqual([expect.objectContaining({ action: 'ec2:StartInstances', outcome: 'succeeded' })]);
  });

  it('acts in batches of the configured size', async () => {
    const ids = ['i-1', 'i-2', 'i-3', 'i-4', 'i-5'];
    const fleet = new MemoryFleet(ids.map((id) => running(id, { 'reflex:schedule': 'reference' })));
    await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config: { ...config, batchSize: 2 }, log });
    expect(fleet.calls.filter((c) => c.startsWith('stop'))).toEqual(['stop i-1,i-2', 'stop i-3,i-4', 'stop i-5']);
  });

  it('reports a partial failure per instance and the rest as done', async () => {
    const fleet = new MemoryFleet(
      ['i-1', 'i-2', 'i-3'].map((id) => running(id, { 'reflex:schedule': 'reference' })),
      { 'i-2': 'UnauthorizedOperation', 'i-3': 'IncorrectInstanceState' },
    );
    const reports = await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config, log });
    expect(reports).toEqual([
      expect.objectContaining({ outcome: 'succeeded', targets: [expect.objectContaining({ id: 'i-1' })] }),
      expect.objectContaining({ outcome: 'failed', targets: [expect.objectContaining({ id: 'i-2' })], error: 'UnauthorizedOperation: not allowed' }),
    ]);
    expect(messages.some((m) => m.includes('i-3') && m.includes('nothing to do'))).toBe(true);
  });

  it('reports dry-run actions as dry-run', async () => {
    const fleet = new MemoryFleet([running('i-1', { 'reflex:schedule': 'reference' })], {}, true);
    const reports = await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config, log });
    expect(reports.map((r) => r.outcome)).toEqual(['dry-run']);
  });

  it('logs why it leaves each other instance alone', async () => {
    const fleet = new MemoryFleet([running('i-9', { 'reflex:schedule': 'reference', 'reflex:schedule-opt-out': 'true' })]);
    expect(await scheduler(runAt('2026-11-23T08:52:00Z'), { instances: fleet, config, log })).toEqual([]);
    expect(messages).toEqual([expect.stringContaining('leaving i-9: opted out')]);
  });
});
