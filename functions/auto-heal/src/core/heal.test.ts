import { describe, expect, it } from '@jest/globals';
import { alarmEvent, healthEvent, timerEvent } from '../test-events';
import { impaired, START, world } from '../test-world';
import { EventBusyError } from './heal';

const ID = 'i-0abc1234def567890';
const ALARM = `reflex-heal-${ID}`;
const actions = (reports: readonly { action: string }[]) => reports.map((r) => r.action);

/** A world with one opted-in running instance whose status-check alarm is in ALARM. */
function unhealthy(config: Record<string, unknown> = {}, tags: Record<string, string> = {}) {
  const w = world(config);
  w.instance(ID, tags, { status: impaired() });
  w.alarms.set(ALARM, 'ALARM', ID);
  return w;
}

describe('auto-heal: transitions only', () => {
  it('reboots an opted-in instance when its alarm goes from OK into ALARM, and reports how it looks after', async () => {
    const w = unhealthy();
    const reports = await w.handle(alarmEvent({ instanceId: ID, at: START }));

    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
    expect(reports).toEqual([
      expect.objectContaining({
        action: 'ec2:RebootInstances',
        outcome: 'succeeded',
        severity: 'warning',
        targets: [{ id: ID, arn: `arn:aws:ec2:us-east-1:123456789012:instance/${ID}` }],
      }),
    ]);
    expect(reports[0]!.reason).toContain(`alarm ${ALARM} went into ALARM at ${START}: reboot; after the reboot: still impaired (instance impaired, system ok)`);
    expect((await w.state.ladder(ID))?.ladder.episode).toMatchObject({ steps: ['reboot'], phase: 'acted', alarm: ALARM });
  });

  it('does nothing for ALARM → ALARM (an update of an alarm already in ALARM)', async () => {
    const w = unhealthy();
    expect(await w.handle(alarmEvent({ instanceId: ID, at: START, from: 'ALARM' }))).toEqual([]);
    expect(w.ec2.calls).toEqual([]);
    expect(w.messages[0]).toContain('ALARM → ALARM: not a transition into ALARM');
  });

  it('does nothing for INSUFFICIENT_DATA → OK', async () => {
    const w = unhealthy();
    expect(await w.handle(alarmEvent({ instanceId: ID, at: START, from: 'INSUFFICIENT_DATA', to: 'OK' }))).toEqual([]);
    expect(w.ec2.calls).toEqual([]);
  });

  it('acts on INSUFFICIENT_DATA → ALARM', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START, from: 'INSUFFICIENT_DATA' }));
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
  });

  it('ignores an alarm that is neither of its prefix nor listed, and heals for a listed one', async () => {
    const w = unhealthy({ alarmNames: ['web-5xx-high'] });
    await w.handle(alarmEvent({ instanceId: ID, at: START, name: 'ServerCpuTooHigh' }));
    expect(w.ec2.calls).toEqual([]);
    await w.handle(alarmEvent({ instanceId: ID, at: START, name: 'web-5xx-high' }));
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
  });

  it('skips an alarm that names no instance, or several', async () => {
    const w = unhealthy();
    const none = alarmEvent({ instanceId: ID, at: START });
    (none.detail.configuration['metrics'] as { metricStat: { metric: { dimensions: object } } }[])[0]!.metricStat.metric.dimensions = {};
    expect(await w.handle(none)).toEqual([]);
    expect(w.messages[0]).toContain('names no instance');
  });
});

describe('auto-heal: each event once, in order', () => {
  it('changes nothing when the same event is delivered twice', async () => {
    const w = unhealthy();
    const event = alarmEvent({ instanceId: ID, at: START });
    await w.handle(event);
    const second = await w.handle(structuredClone(event));

    expect(second).toEqual([]);
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
    expect(w.messages.at(-1)).toContain('was handled already (a duplicate delivery)');
  });

  it('leaves an event another invocation is handling to a retry', async () => {
    const w = unhealthy();
    const event = alarmEvent({ instanceId: ID, at: START });
    await w.state.claimEvent(event.id, 'another-holder', new Date(Date.parse(START) + 60_000), new Date(START));

    await expect(w.handle(event)).rejects.toThrow(EventBusyError);
    expect(w.ec2.calls).toEqual([]);
  });

  it('ignores a transition older than one already seen of the same alarm (out of order)', async () => {
    const w = unhealthy();
    const later = alarmEvent({ instanceId: ID, at: '2026-03-03T02:58:00.000Z' });
    const earlier = alarmEvent({ instanceId: ID, at: '2026-03-03T02:50:00.000Z' });
    await w.handle(later);
    w.advance(30);

    expect(await w.handle(earlier)).toEqual([]);
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
    expect(w.messages.at(-1)).toContain('is no newer than one seen already');
  });

  it('gives the claim back when handling fails, so that the retry acts', async () => {
    const w = unhealthy();
    const event = alarmEvent({ instanceId: ID, at: START });
    const describe = w.ec2.describe.bind(w.ec2);
    w.ec2.describe = async () => {
      throw new Error('EC2 is throttling');
    };
    await expect(w.handle(event)).rejects.toThrow('EC2 is throttling');

    w.ec2.describe = describe;
    await w.handle(event);
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
  });
});

describe('auto-heal: the ladder', () => {
  it('escalates reboot → stop/start → replacement, a cooldown apart, while the alarm stays in ALARM', async () => {
    const w = unhealthy({ replace: true }, { 'aws:autoscaling:groupName': 'web' });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));

    w.advance(11);
    const second = await w.handle(timerEvent(w.now()));
    expect(actions(second)).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
    expect(second[0]!.reason).toContain(`reboot at ${START} did not heal it (alarm ${ALARM} ALARM`);
    expect(second[0]!.change).toEqual({ key: 'auto-heal:step', from: 'reboot', to: 'stop-start' });

    w.advance(11);
    const third = await w.handle(timerEvent(w.now()));
    expect(actions(third)).toEqual(['autoscaling:SetInstanceHealth']);
    expect(third[0]!.reason).toContain('marked Unhealthy in Auto Scaling group web');

    expect(w.ec2.calls).toEqual([`reboot ${ID}`, `tag ${ID} reflex:stop-intent=auto-heal@${'2026-03-03T03:11:00.000Z'}`, `stop ${ID}`, `start ${ID}`]);
    expect(w.groups.unhealthy).toEqual([ID]);
  });

  it('writes its stop intent before it stops, so that the instance guard leaves the stop alone', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    await w.handle(timerEvent(w.now()));

    expect(w.ec2.instances.get(ID)!.tags['reflex:stop-intent']).toBe(`auto-heal@${'2026-03-03T03:11:00.000Z'}`);
  });

  it('ends the ladder after stop/start when replacement is off: one critical alert, then silence', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    await w.handle(timerEvent(w.now()));
    w.advance(11);
    const end = await w.handle(timerEvent(w.now()));

    expect(end).toEqual([expect.objectContaining({ action: 'auto-heal:Alert', outcome: 'alert', severity: 'critical' })]);
    expect(end[0]!.reason).toContain('still unhealthy after reboot, stop/start; no step is left (replacement is off (config replace))');
    w.advance(11);
    expect(await w.handle(timerEvent(w.now()))).toEqual([]);
    expect(await w.handle(alarmEvent({ instanceId: ID, at: w.advance(1) }))).toEqual([]);
    expect(w.ec2.calls.filter((c) => c.startsWith('reboot'))).toHaveLength(1);
  });

  it('ends the ladder after stop/start when replacement is on but the instance is in no Auto Scaling group', async () => {
    const w = unhealthy({ replace: true });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    await w.handle(timerEvent(w.now()));
    w.advance(11);
    const end = await w.handle(timerEvent(w.now()));

    expect(end[0]!.reason).toContain('it belongs to no Auto Scaling group');
    expect(w.groups.unhealthy).toEqual([]);
  });

  it('closes the episode once the alarm is OK again after the ladder ended; the next ALARM starts over', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    for (let i = 0; i < 2; i++) {
      w.advance(11);
      await w.handle(timerEvent(w.now()));
    }
    w.alarms.set(ALARM, 'OK');
    w.advance(5);
    await w.handle(timerEvent(w.now()));
    expect((await w.state.ladder(ID))?.ladder.episode).toBeUndefined();

    w.alarms.set(ALARM, 'ALARM');
    await w.handle(alarmEvent({ instanceId: ID, at: w.advance(1) }));
    expect(w.ec2.calls.filter((c) => c.startsWith('reboot'))).toHaveLength(2);
  });

  it('reports a healed instance at the follow-up and starts the next incident from a reboot', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.alarms.set(ALARM, 'OK');
    w.ec2.instances.get(ID)!.status = impaired('ok', 'ok');
    w.advance(11);

    const verified = await w.handle(timerEvent(w.now()));
    expect(verified).toEqual([expect.objectContaining({ action: 'auto-heal:Verify', outcome: 'succeeded', severity: 'info' })]);
    expect(verified[0]!.reason).toContain(`healed after reboot at ${START}`);

    await w.handle(alarmEvent({ instanceId: ID, at: w.advance(30) }));
    expect(w.ec2.calls).toEqual([`reboot ${ID}`, `reboot ${ID}`]);
  });

  it('starts a stopping instance at a later timer run once it has stopped, and forces a stop that hangs', async () => {
    const w = unhealthy({ stopWaitSeconds: 10 });
    w.ec2.describesToStop = 1000;
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    const stopped = await w.handle(timerEvent(w.now()));
    expect(actions(stopped)).toEqual(['ec2:StopInstances']);
    expect(stopped[0]!.reason).toContain('it is stopping: the timer starts it once it has stopped');

    w.advance(11);
    const forced = await w.handle(timerEvent(w.now()));
    expect(forced[0]!.reason).toContain('still hangs: forced');

    w.ec2.instances.get(ID)!.state = 'stopped';
    w.advance(5);
    expect(actions(await w.handle(timerEvent(w.now())))).toEqual(['ec2:StartInstances']);
    expect(w.ec2.calls).toEqual([`reboot ${ID}`, expect.stringContaining('tag'), `stop ${ID}`, `force-stop ${ID}`, `start ${ID}`]);
  });

  it('starts a stopped instance even when the alarm sweep of the same timer run fails', async () => {
    const w = unhealthy({ stopWaitSeconds: 0 });
    w.ec2.describesToStop = 1000;
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(actions(await w.handle(timerEvent(w.advance(11))))).toEqual(['ec2:StopInstances']);
    w.ec2.instances.get(ID)!.state = 'stopped';
    w.alarms.withPrefix = async () => {
      throw new Error('Throttling: Rate exceeded');
    };

    expect(actions(await w.handle(timerEvent(w.advance(5))))).toEqual(['ec2:StartInstances']);
    expect(w.messages.some((m) => m.startsWith('the alarm sweep failed; the next timer run tries again: Throttling'))).toBe(true);
  });

  it('waits for stops once per event: a second stop/start of the same timer run is started by the next run', async () => {
    const w = unhealthy({ stopWaitSeconds: 5 });
    const other = 'i-0abc1234def567891';
    w.instance(other, {}, { status: impaired() });
    w.alarms.set(`reflex-heal-${other}`, 'ALARM', other);
    w.ec2.describesToStop = 1;
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    await w.handle(alarmEvent({ instanceId: other, at: START }));

    w.advance(11);
    const run = await w.handle(timerEvent(w.now()));
    expect(run.map((r) => `${r.action} ${r.targets[0]!.id}`)).toEqual([`ec2:StopInstances ${ID}`, `ec2:StartInstances ${ID}`, `ec2:StopInstances ${other}`]);

    const next = await w.handle(timerEvent(w.advance(5)));
    expect(next.map((r) => `${r.action} ${r.targets[0]!.id}`)).toEqual([`ec2:StartInstances ${other}`]);
  });

  it('does not start an instance again that the scheduler meant to stop meanwhile', async () => {
    const w = unhealthy({ stopWaitSeconds: 0 });
    w.ec2.describesToStop = 1000;
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    await w.handle(timerEvent(w.now()));
    const instance = w.ec2.instances.get(ID)!;
    instance.state = 'stopped';
    instance.tags = { ...instance.tags, 'reflex:stop-intent': `instance-scheduler@${w.advance(1)}` };

    w.advance(4);
    expect(await w.handle(timerEvent(w.now()))).toEqual([]);
    expect(w.ec2.calls.some((c) => c.startsWith('start'))).toBe(false);
  });
});

describe('auto-heal: cooldown and budget', () => {
  it('takes no step within the cooldown of the last one, and escalates on an ALARM after it', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(await w.handle(alarmEvent({ instanceId: ID, at: w.advance(5) }))).toEqual([]);
    expect(w.messages.at(-1)).toContain('cooling down: reboot at 2026-03-03T03:00:00.000Z; the next step not before 2026-03-03T03:10:00.000Z');

    const after = await w.handle(alarmEvent({ instanceId: ID, at: w.advance(6) }));
    expect(actions(after)).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
  });

  it('past the budget, alerts once (critical) and then stays silent until the window passes', async () => {
    // An application alarm: status checks pass, the alarm comes and goes.
    const w = world();
    w.instance(ID);
    // Three incidents, each healed at its follow-up: three reboots within the hour.
    for (let i = 0; i < 3; i++) {
      w.alarms.set(ALARM, 'ALARM');
      await w.handle(alarmEvent({ instanceId: ID, at: w.advance(1) }));
      w.alarms.set(ALARM, 'OK');
      w.advance(11);
      await w.handle(timerEvent(w.now()));
    }
    w.alarms.set(ALARM, 'ALARM');
    const spent = await w.handle(alarmEvent({ instanceId: ID, at: w.advance(1) }));
    expect(spent).toEqual([expect.objectContaining({ action: 'ec2:RebootInstances', outcome: 'alert', severity: 'critical' })]);
    expect(spent[0]!.reason).toContain('budget spent: 3 actions in the last 24 h (at most 3); no reboot before 2026-03-04T03:01:00.000Z');

    expect(await w.handle(alarmEvent({ instanceId: ID, at: w.advance(30) }))).toEqual([]);
    expect(await w.handle(timerEvent(w.advance(5)))).toEqual([]);
    expect(w.ec2.calls).toHaveLength(3);

    w.advance(24 * 60);
    expect(actions(await w.handle(alarmEvent({ instanceId: ID, at: w.now() })))).toEqual(['ec2:RebootInstances']);
  });

  it('counts a stop/start as one action of the budget', async () => {
    const w = unhealthy({ maxActionsPerWindow: 2 });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.advance(11);
    await w.handle(timerEvent(w.now()));
    expect((await w.state.ladder(ID))?.ladder.actions).toHaveLength(2);
  });
});

describe('auto-heal: intent of others', () => {
  it("leaves an instance alone whose stop the scheduler recorded recently, and says why", async () => {
    const w = unhealthy({}, { 'reflex:stop-intent': `instance-scheduler@${'2026-03-03T02:55:00.000Z'}` });
    expect(await w.handle(alarmEvent({ instanceId: ID, at: START }))).toEqual([]);
    expect(w.ec2.calls).toEqual([]);
    expect(w.messages.at(-1)).toContain('instance-scheduler recorded its intent to stop it at 2026-03-03T02:55:00.000Z');
  });

  it('acts when the recorded intent is older than the intent window, or is its own', async () => {
    const w = unhealthy({}, { 'reflex:stop-intent': `instance-scheduler@${'2026-03-03T02:00:00.000Z'}` });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    const own = unhealthy({}, { 'reflex:stop-intent': `auto-heal@${'2026-03-03T02:59:00.000Z'}` });
    await own.handle(alarmEvent({ instanceId: ID, at: START }));
    expect([w.ec2.calls, own.ec2.calls]).toEqual([[`reboot ${ID}`], [`reboot ${ID}`]]);
  });

  it('does not treat a stopped or stopping instance as unhealthy', async () => {
    for (const state of ['stopped', 'stopping']) {
      const w = world();
      w.instance(ID, {}, { state });
      expect(await w.handle(alarmEvent({ instanceId: ID, at: START }))).toEqual([]);
      expect(w.messages.at(-1)).toContain(`it is "${state}": a stopped or stopping instance is not unhealthy`);
    }
  });

  it('stays away during a maintenance window, from instances not opted in, and from instances gone', async () => {
    const w = unhealthy({}, { 'reflex:maintenance-until': '2026-03-03T05:00:00Z' });
    w.instance('i-0000000000000000a', { 'reflex:heal': 'false' });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    await w.handle(alarmEvent({ instanceId: 'i-0000000000000000a', at: START }));
    await w.handle(alarmEvent({ instanceId: 'i-0000000000000000b', at: START }));

    expect(w.ec2.calls).toEqual([]);
    expect(w.messages).toEqual([
      expect.stringContaining('a maintenance window is open until 2026-03-03T05:00:00.000Z'),
      expect.stringContaining('not opted in (no tag reflex:heal=true)'),
      expect.stringContaining('the instance no longer exists'),
    ]);
  });
});

describe('auto-heal: AWS acting', () => {
  it('stands aside while an AWS Health event for the instance is open, and acts once it closed', async () => {
    const w = unhealthy();
    await w.handle(healthEvent({ instanceId: ID, status: 'open', updated: '2026-03-03T02:40:00Z' }));
    const aside = await w.handle(alarmEvent({ instanceId: ID, at: START }));

    expect(aside).toEqual([expect.objectContaining({ action: 'auto-heal:StandAside', outcome: 'alert', severity: 'warning' })]);
    expect(aside[0]!.reason).toContain('an AWS Health event is open for it: AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED');
    expect(w.ec2.calls).toEqual([]);
    expect(await w.handle(timerEvent(w.advance(5)))).toEqual([]);

    await w.handle(healthEvent({ instanceId: ID, status: 'closed', updated: '2026-03-03T03:06:00Z', asArn: true }));
    const acted = await w.handle(timerEvent(w.advance(5)));
    expect(actions(acted)).toEqual(['ec2:RebootInstances']);
  });

  it('keeps the newest Health update: a late "open" after "closed" changes nothing', async () => {
    const w = unhealthy();
    await w.handle(healthEvent({ instanceId: ID, status: 'closed', updated: '2026-03-03T02:50:00Z' }));
    await w.handle(healthEvent({ instanceId: ID, status: 'open', updated: '2026-03-03T02:40:00Z' }));

    expect((await w.state.health(ID)).map((h) => h.status)).toEqual(['closed']);
    expect(w.messages.at(-1)).toContain('is not newer than the one recorded: ignored');
  });

  it("stands aside while EC2's automatic recovery handles a failing system check, then acts once its wait ran out", async () => {
    const w = world();
    w.instance(ID, {}, { status: impaired('impaired', 'ok') });
    w.alarms.set(ALARM, 'ALARM', ID);
    const aside = await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(aside[0]!.reason).toContain("its system status check fails and EC2's automatic recovery is on");

    expect(await w.handle(timerEvent(w.advance(10)))).toEqual([]);
    const acted = await w.handle(timerEvent(w.advance(6)));
    expect(actions(acted)).toEqual(['ec2:RebootInstances']);
  });

  it('after a step, stands aside for a failing system check only for its recovery wait, then takes the next step', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
    w.ec2.instances.get(ID)!.status = impaired('impaired', 'ok');

    // The reboot's cooldown (10 min) ran out: EC2's recovery has 15 minutes from the first stand-aside.
    const aside = await w.handle(timerEvent(w.advance(11)));
    expect(actions(aside)).toEqual(['auto-heal:StandAside']);
    expect(await w.handle(timerEvent(w.advance(10)))).toEqual([]);
    const next = await w.handle(timerEvent(w.advance(6)));
    expect(actions(next)).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
  });

  it('records and reports a stop/start whose instance cannot be read after the stop; the timer starts it', async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    const describe = w.ec2.describe.bind(w.ec2);
    let failing = false;
    w.ec2.describe = async (id: string) => {
      if (failing) throw new Error('ThrottlingException: Rate exceeded');
      return describe(id);
    };
    const original = w.ec2.stop.bind(w.ec2);
    w.ec2.stop = async (id: string, force: boolean) => {
      const result = await original(id, force);
      failing = true; // EC2 took the stop; the next read fails
      return result;
    };

    const reports = await w.handle(timerEvent(w.advance(11)));

    expect(actions(reports)).toEqual(['ec2:StopInstances']);
    expect((await w.state.ladder(ID))?.ladder.episode).toMatchObject({ steps: ['reboot', 'stop-start'], phase: 'stopping' });
    failing = false;
    const later = await w.handle(timerEvent(w.advance(1)));
    expect(actions(later)).toEqual(['ec2:StartInstances']);
  });

  it('acts on a failing system check when automatic recovery is disabled', async () => {
    const w = world();
    w.instance(ID, {}, { status: impaired('impaired', 'ok'), autoRecovery: 'disabled' });
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(w.ec2.calls).toEqual([`reboot ${ID}`]);
  });

  it('stands aside during an EC2 scheduled event, not after it completed', async () => {
    const scheduled = (description: string) => impaired('ok', 'impaired', [{ code: 'system-reboot', description, notBefore: '2026-03-03T04:00:00.000Z' }]);
    const w = world();
    w.instance(ID, {}, { status: scheduled('scheduled reboot') });
    const aside = await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(aside[0]!.reason).toContain('EC2 has scheduled system-reboot (not before 2026-03-03T04:00:00.000Z)');

    const done = world();
    done.instance(ID, {}, { status: scheduled('[Completed] scheduled reboot') });
    await done.handle(alarmEvent({ instanceId: ID, at: START }));
    expect(done.ec2.calls).toEqual([`reboot ${ID}`]);
  });

  it('closes a waiting episode when the alarm is OK again', async () => {
    const w = unhealthy();
    await w.handle(healthEvent({ instanceId: ID, status: 'open', updated: '2026-03-03T02:40:00Z' }));
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    w.alarms.set(ALARM, 'OK');
    w.ec2.instances.get(ID)!.status = impaired('ok', 'ok');

    expect(await w.handle(timerEvent(w.advance(5)))).toEqual([]);
    expect((await w.state.ladder(ID))?.ladder.episode).toBeUndefined();
  });
});

describe('auto-heal: dry-run', () => {
  it('reports what it would do, calls nothing for real, and advances no state', async () => {
    const w = unhealthy();
    w.ec2.dryRun = true;
    w.state.dryRun = true;
    const reports = await w.handle(alarmEvent({ instanceId: ID, at: START }));

    expect(reports).toEqual([expect.objectContaining({ action: 'ec2:RebootInstances', outcome: 'dry-run' })]);
    expect(w.ec2.calls).toEqual([]);
    expect(await w.state.ladder(ID)).toBeUndefined();
  });

  it('describes the stop/start it would make', async () => {
    const w = unhealthy();
    w.state.saved.set(ID, {
      version: 1,
      ladder: { instanceId: ID, actions: [START], alarms: {}, episode: { alarm: ALARM, openedAt: START, steps: ['reboot'], actedAt: START, phase: 'acted', outcome: 'x' } },
    });
    w.ec2.dryRun = true;
    w.state.dryRun = true;
    w.advance(11);
    const reports = await w.handle(timerEvent(w.now()));

    expect(reports).toEqual([expect.objectContaining({ action: 'ec2:StopInstances', outcome: 'dry-run' })]);
    expect(reports[0]!.reason).toContain('would tag reflex:stop-intent, stop it and start it again');
    expect(w.ec2.instances.get(ID)!.tags['reflex:stop-intent']).toBeUndefined();
  });
});

describe('auto-heal across accounts (hub and spoke)', () => {
  const HUB = '123456789012';
  const MEMBER = '210987654321';
  /** The world with the kit's account of the event (or of the timer's turn). */
  const inAccount = (w: ReturnType<typeof unhealthy>, account: string) => Object.assign(w.deps, { account, hubAccount: HUB });

  it("names the alarm's account in the ladder and follows it up in that account's turn of the timer only", async () => {
    const w = unhealthy();
    inAccount(w, MEMBER);
    await w.handle(alarmEvent({ instanceId: ID, at: START }));
    expect((await w.state.ladder(ID))!.ladder.account).toBe(MEMBER);

    w.advance(11);
    inAccount(w, HUB);
    expect(await w.handle(timerEvent(w.now()))).toEqual([]); // the hub's turn: not its instance
    inAccount(w, MEMBER);
    expect(actions(await w.handle(timerEvent(w.now())))).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
  });

  it("follows up a ladder saved before ladders named their account in the hub's turn", async () => {
    const w = unhealthy();
    await w.handle(alarmEvent({ instanceId: ID, at: START })); // one account: no account named
    expect((await w.state.ladder(ID))!.ladder.account).toBeUndefined();

    w.advance(11);
    inAccount(w, MEMBER);
    expect(await w.handle(timerEvent(w.now()))).toEqual([]);
    inAccount(w, HUB);
    expect(actions(await w.handle(timerEvent(w.now())))).toEqual(['ec2:StopInstances', 'ec2:StartInstances']);
  });
});
