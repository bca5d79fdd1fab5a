import { describe, expect, it } from '@jest/globals';
import { timerEvent } from '../test-events';
import { START, world } from '../test-world';
import { statusCheckAlarmOf } from './sweep';

const [RUNNING, STOPPED, OPTED_OUT, GONE] = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2', 'i-0aaaaaaaaaaaaaaa3', 'i-0aaaaaaaaaaaaaaa4'];
const names = (w: ReturnType<typeof world>) => [...w.alarms.alarms.keys()].sort();

function fleet() {
  const w = world();
  w.instance(RUNNING);
  w.instance(STOPPED, {}, { state: 'stopped' });
  w.instance(OPTED_OUT, { 'reflex:heal': 'false' });
  return w;
}

describe('alarm sweep', () => {
  it('creates a status-check alarm for each opted-in running instance without one, and reports it', async () => {
    const w = fleet();
    const reports = await w.handle(timerEvent(START));

    expect(names(w)).toEqual([`reflex-heal-${RUNNING}`]);
    expect(reports).toEqual([
      expect.objectContaining({ action: 'cloudwatch:PutMetricAlarm', outcome: 'succeeded', severity: 'info', targets: [expect.objectContaining({ id: RUNNING })] }),
    ]);
    expect(await w.handle(timerEvent(w.advance(5)))).toEqual([]);
  });

  it('deletes the alarms of instances gone, terminated or opted out, and keeps a stopped instance’s', async () => {
    const w = fleet();
    for (const id of [RUNNING, STOPPED, OPTED_OUT, GONE]) w.alarms.set(`reflex-heal-${id}`, 'OK', id);
    w.instance('i-0aaaaaaaaaaaaaaa5', {}, { state: 'terminated' });
    w.alarms.set('reflex-heal-i-0aaaaaaaaaaaaaaa5', 'OK', 'i-0aaaaaaaaaaaaaaa5');

    const reports = await w.handle(timerEvent(START));

    expect(names(w)).toEqual([`reflex-heal-${RUNNING}`, `reflex-heal-${STOPPED}`]);
    expect(reports.map((r) => [r.action, r.targets[0]!.id])).toEqual([
      ['cloudwatch:DeleteAlarms', OPTED_OUT],
      ['cloudwatch:DeleteAlarms', GONE],
      ['cloudwatch:DeleteAlarms', 'i-0aaaaaaaaaaaaaaa5'],
    ]);
  });

  it("never touches another alarm of the prefix: a team's own, or one on another metric", async () => {
    const w = world();
    w.alarms.set('reflex-heal-web-latency', 'OK', GONE);
    w.alarms.alarms.set(`reflex-heal-${GONE}`, { name: `reflex-heal-${GONE}`, state: 'OK', namespace: 'CWAgent', metricName: 'mem_used_percent', instanceId: GONE });

    expect(await w.handle(timerEvent(START))).toEqual([]);
    expect(names(w)).toEqual([`reflex-heal-${GONE}`, 'reflex-heal-web-latency']);
  });

  it('in dry-run, changes nothing and reports each planned change once', async () => {
    const w = fleet();
    w.alarms.dryRun = true;
    w.alarms.set(`reflex-heal-${GONE}`, 'OK', GONE);

    const first = await w.handle(timerEvent(START));
    const second = await w.handle(timerEvent(w.advance(5)));
    w.instance('i-0aaaaaaaaaaaaaaa6');
    const third = await w.handle(timerEvent(w.advance(5)));

    expect(first.map((r) => [r.action, r.outcome])).toEqual([
      ['cloudwatch:PutMetricAlarm', 'dry-run'],
      ['cloudwatch:DeleteAlarms', 'dry-run'],
    ]);
    expect(second).toEqual([]);
    expect(third.map((r) => r.targets[0]!.id)).toEqual(['i-0aaaaaaaaaaaaaaa6']);
    expect(names(w)).toEqual([`reflex-heal-${GONE}`]);
  });

  it('keeps no alarms when statusCheckAlarms is off', async () => {
    const w = world({ statusCheckAlarms: false });
    w.instance(RUNNING);
    expect(await w.handle(timerEvent(START))).toEqual([]);
    expect(names(w)).toEqual([]);
  });

  it('recognises its own alarm by name, metric and dimension', () => {
    const alarm = { name: `reflex-heal-${RUNNING}`, state: 'OK' as const, namespace: 'AWS/EC2', metricName: 'StatusCheckFailed', instanceId: RUNNING };
    expect(statusCheckAlarmOf(alarm, 'reflex-heal-')).toBe(RUNNING);
    expect(statusCheckAlarmOf({ ...alarm, instanceId: STOPPED }, 'reflex-heal-')).toBeUndefined();
    expect(statusCheckAlarmOf({ ...alarm, metricName: 'StatusCheckFailed_System' }, 'reflex-heal-')).toBeUndefined();
    expect(statusCheckAlarmOf(alarm, 'reflex-dev-heal-')).toBeUndefined();
  });
});
