import { describe, expect, it } from '@jest/globals';
import { REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf, triggersOf } from '@reflex/manifest';
import { manifest, ReaperConfigSchema } from './manifest';

const defaults = ReaperConfigSchema.parse({});
const withIdle = ReaperConfigSchema.parse({ idle: { instances: {} }, markSnapshots: { olderThanDays: 90 } });
const problem = (input: unknown) => {
  const parsed = z.safeParse(ReaperConfigSchema, input);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
};
const EXPIRING = { test: 'Null', variable: 'aws:ResourceTag/reflex:expires-at', values: ['false'] };
const NEVER_TOUCHED = [
  { test: 'StringNotEquals', variable: 'aws:ResourceTag/reflex:keep', values: ['true'] },
  { test: 'StringNotEquals', variable: 'aws:ResourceTag/reflex:protect', values: ['true'] },
  { test: 'Null', variable: 'aws:ResourceTag/aws:cloudformation:stack-name', values: ['true'] },
  { test: 'Null', variable: 'aws:ResourceTag/aws:autoscaling:groupName', values: ['true'] },
];
const DESTRUCTIVE = /^(ec2:(Delete|Terminate|Stop|Release|Detach)|elasticloadbalancing:Delete)/;

describe('reaper trigger', () => {
  it('runs on a schedule, every hour by default, and on the configured one', () => {
    expect(manifest.triggers).toEqual([expect.objectContaining({ kind: 'schedule', expression: 'rate(1 hour)' })]);
    expect(triggersOf(manifest, ReaperConfigSchema.parse({ schedule: 'rate(15 minutes)' }))).toEqual([expect.objectContaining({ kind: 'schedule', expression: 'rate(15 minutes)' })]);
  });

  it('has no event pattern: no AWS event reaches its queue', () => {
    expect(eventPatterns(manifest)).toEqual([]);
  });

  it('declares state: its table for pending snapshots, dry-run tags, run summaries and the run lease', () => {
    expect(manifest.state).toEqual({ partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' });
  });
});

describe('reaper permissions', () => {
  const statements = permissionsOf(manifest, withIdle);
  const all = statements.flatMap((s) => s.actions);

  it('takes "*" only for reads that have no resource-level permissions', () => {
    const onStar = statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions);
    expect(onStar.every((a) => /^(ec2:Describe|elasticloadbalancing:Describe|cloudwatch:GetMetricStatistics$)/.test(a))).toBe(true);
  });

  it('may delete, terminate, stop and release only what carries the expiry tag', () => {
    const destructive = statements.filter((s) => s.actions.some((a) => DESTRUCTIVE.test(a)));
    expect(destructive.map((s) => s.sid)).toEqual([
      'StopAndTerminateExpiringInstances',
      'DeleteExpiringVolumes',
      'DeleteExpiringSnapshots',
      'ReleaseExpiringAddresses',
      'DeleteExpiringNatGateways',
      'TearDownExpiringLabVpcs',
      'DeleteExpiringLoadBalancers',
    ]);
    for (const s of destructive) expect(s.conditions).toContainEqual(EXPIRING);
  });

  it('never touches IAM', () => {
    expect(all.filter((a) => a.startsWith('iam:'))).toEqual([]);
  });

  it('writes only its own tag keys', () => {
    const tagging = statements.filter((s) => s.actions.some((a) => /CreateTags|AddTags/.test(a)));
    for (const s of tagging) {
      const keys = s.conditions?.find((c) => c.variable === 'aws:TagKeys');
      const onCreate = s.conditions?.find((c) => c.variable === 'ec2:CreateAction');
      if (onCreate) expect(onCreate.values).toEqual(['CreateSnapshot']);
      else expect(keys?.values.every((k) => k.startsWith('reflex:'))).toBe(true);
    }
    const notices = statements.find((s) => s.sid === 'RecordNoticesOnExpiring')!;
    expect(notices.conditions).toEqual([
      EXPIRING,
      { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.expiryWarned, REFLEX_TAGS.stopIntent] },
      ...NEVER_TOUCHED,
    ]);
  });

  it('refuses in IAM, wherever it destroys or writes the expiry, what is kept, protected, or a stack\'s or group\'s', () => {
    const guarded = statements.filter((s) => s.conditions?.some((c) => c === EXPIRING || c.variable === `aws:ResourceTag/${REFLEX_TAGS.expiresAt}`) || s.sid === 'MarkExpiry');
    expect(guarded.length).toBeGreaterThan(5);
    for (const s of guarded) expect({ sid: s.sid, conditions: s.conditions!.slice(-4) }).toEqual({ sid: s.sid, conditions: NEVER_TOUCHED });
  });

  it('snapshots only volumes that carry the expiry, into snapshots tagged as the reaper\'s', () => {
    const onVolumes = statements.find((s) => s.sid === 'SnapshotExpiringVolumes')!;
    expect(onVolumes).toMatchObject({ actions: ['ec2:CreateSnapshot'], resources: ['arn:${partition}:ec2:${region}:${account}:volume/*'], conditions: [EXPIRING, ...NEVER_TOUCHED] });
    expect(statements.find((s) => s.sid === 'CreateFinalSnapshots')!.conditions).toEqual([
      { test: 'Null', variable: `aws:RequestTag/${REFLEX_TAGS.snapshotOf}`, values: ['false'] },
    ]);
  });

  it('asks for nothing of the kinds switched off, and no metrics without idle detection', () => {
    const narrow = permissionsOf(manifest, ReaperConfigSchema.parse({ scope: { loadBalancers: false, labVpcs: false, natGateways: false } }));
    const actions = narrow.flatMap((s) => s.actions);
    expect(actions.filter((a) => a.startsWith('elasticloadbalancing:') || a.startsWith('cloudwatch:'))).toEqual([]);
    expect(actions).not.toContain('ec2:DeleteNatGateway');
    expect(actions).not.toContain('ec2:DeleteVpc');
    expect(narrow.find((s) => s.sid === 'MarkExpiry')).toBeUndefined();
  });

  it('reads metrics only with idle detection configured', () => {
    expect(permissionsOf(manifest, defaults).flatMap((s) => s.actions)).not.toContain('cloudwatch:GetMetricStatistics');
    expect(all).toContain('cloudwatch:GetMetricStatistics');
  });
});

describe('reaper config', () => {
  it('defaults to dry-run, hourly, UTC, warnings 72 h and 24 h before, stop first, snapshot first, every kind in scope', () => {
    expect(defaults).toMatchObject({
      schedule: 'rate(1 hour)',
      dryRun: true,
      displayTimeZone: 'UTC',
      warnBeforeHours: [72, 24],
      stopFirst: true,
      stopGraceHours: 24,
      snapshotVolumes: true,
      snapshotMinAgeDays: 7,
      maxExtensionHours: 336,
      scope: { instances: true, volumes: true, snapshots: true, addresses: true, natGateways: true, loadBalancers: true, labVpcs: true },
    });
    expect(defaults.idle).toBeUndefined();
    expect(defaults.managedTags).toContainEqual({ key: 'managed-by', values: expect.arrayContaining(['terraform', 'reflex']) });
  });

  it('fills idle detection\'s defaults: CPU below 2 %, network below 5 MB/h, 72 h, 90 % of the datapoints', () => {
    expect(withIdle.idle).toEqual({ instances: { cpuPercentBelow: 2, networkMbPerHourBelow: 5, windowHours: 72, minCoverage: 0.9, graceHours: 72 } });
  });

  it('names a display time zone that is not an IANA zone', () => {
    expect(problem({ displayTimeZone: 'CEST' })).toBe('displayTimeZone: timezone must be an IANA time zone such as Europe/Berlin, got "CEST"');
  });

  it('names lead times given twice, and lead times longer than the maximum lifetime', () => {
    expect(problem({ warnBeforeHours: [24, 24] })).toBe('warnBeforeHours: lead times must differ');
    expect(problem({ warnBeforeHours: [72], maxLifetimeHours: 48 })).toBe('warnBeforeHours: every lead time must be shorter than maxLifetimeHours');
  });

  it('names a schedule that is no EventBridge schedule expression', () => {
    expect(problem({ schedule: 'hourly' })).toBe('schedule: a schedule expression: rate(1 hour) or cron(…)');
  });
});
