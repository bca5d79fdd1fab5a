import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { type ScheduledEvent, ScheduledEventSchema } from '@reflex/events';
import type { DriftKind, DriftReport, Ec2Snapshot } from '@reflex/ipam';
import { reconcileOnSchedule } from './core';

const event: ScheduledEvent = ScheduledEventSchema.parse(
  fixture('scheduled/scheduled-event.json'),
);

const counts = (partial: Partial<Record<DriftKind, number>> = {}): Record<DriftKind, number> => ({
  'instance-missing': 0,
  'instance-changed': 0,
  'instance-gone': 0,
  'network-missing': 0,
  'network-deleted': 0,
  ...partial,
});

function deps(report: Partial<DriftReport>) {
  const asked: { account: string; region: string }[] = [];
  const reconciled: Ec2Snapshot[] = [];
  const logged: Record<string, unknown>[] = [];
  const snapshot = (where: { account: string; region: string }): Ec2Snapshot => ({
    ...where,
    observedAt: '2026-11-22T06:00:00.000Z',
    vpcs: [],
    subnets: [],
    messages: [],
  });
  return {
    asked,
    reconciled,
    logged,
    deps: {
      snapshot: async (where: { account: string; region: string }) => (asked.push(where), snapshot(where)),
      reconcile: async (s: Ec2Snapshot): Promise<DriftReport> => {
        reconciled.push(s);
        return {
          account: s.account,
          region: s.region,
          observedAt: s.observedAt,
          dryRun: false,
          checked: { instances: 3, networks: 4 },
          items: [],
          counts: counts(),
          corrected: 0,
          skipped: 0,
          failed: 0,
          ...report,
        };
      },
      log: { info: (message: string, extra?: Record<string, unknown>) => void logged.push({ message, ...extra }) },
    },
  };
}

describe('reconcileOnSchedule', () => {
  it('lists the account and region the schedule fired in, and reconciles that snapshot', async () => {
    const { asked, reconciled, deps: d } = deps({});

    await reconcileOnSchedule(event, d);

    expect(asked).toEqual([{ account: event.account, region: event.region }]);
    expect(reconciled).toHaveLength(1);
  });

  it('reports no action when the IPAM was exact, and logs what it checked', async () => {
    const { logged, deps: d } = deps({});

    const actions = await reconcileOnSchedule(event, d);

    expect(actions).toEqual([]);
    expect(logged[0]).toMatchObject({ message: 'reconciled the IPAM with EC2', checked: { instances: 3, networks: 4 } });
  });

  it('reports one warning action naming the drifted resources and the counts per kind', async () => {
    const { deps: d } = deps({
      items: [
        { kind: 'instance-missing', id: 'i-0aaaaaaaaaaaaaaa1', differences: ['not in the store'], action: 'corrected' },
        { kind: 'instance-gone', id: 'i-0aaaaaaaaaaaaaaa2', differences: ['not in EC2'], action: 'corrected' },
      ],
      counts: counts({ 'instance-missing': 1, 'instance-gone': 1 }),
      corrected: 2,
    });

    const [action, ...more] = await reconcileOnSchedule(event, d);

    expect(more).toEqual([]);
    expect(action).toMatchObject({
      action: 'ipam:CorrectDrift',
      outcome: 'succeeded',
      severity: 'warning',
      targets: [{ id: 'i-0aaaaaaaaaaaaaaa1' }, { id: 'i-0aaaaaaaaaaaaaaa2' }],
    });
    expect(action!.reason).toContain('1 instance-missing, 1 instance-gone; corrected 2');
  });

  it('reports a failed action when a correction could not be written', async () => {
    const { deps: d } = deps({
      items: [{ kind: 'instance-changed', id: 'i-0aaaaaaaaaaaaaaa1', differences: ['state'], action: 'failed', error: 'deadlock' }],
      counts: counts({ 'instance-changed': 1 }),
      failed: 1,
    });

    const [action] = await reconcileOnSchedule(event, d);

    expect(action?.outcome).toBe('failed');
  });

  it('fails the run (to be retried) when EC2 cannot be listed', async () => {
    const { deps: d } = deps({});

    await expect(reconcileOnSchedule(event, { ...d, snapshot: () => Promise.reject(new Error('RequestLimitExceeded')) })).rejects.toThrow(
      'RequestLimitExceeded',
    );
  });
});
