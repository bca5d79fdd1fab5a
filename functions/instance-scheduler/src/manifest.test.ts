import { describe, expect, it } from '@jest/globals';
import { REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { manifest, RUN_EVERY_MINUTES, SchedulerConfigSchema } from './manifest';

const OFFICE = { name: 'office', timezone: 'Europe/Berlin', periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', stop: '18:00' }] };
const configured = SchedulerConfigSchema.parse({ schedules: [OFFICE], batchSize: 20, enforce: true });
const problem = (input: unknown) => {
  const parsed = z.safeParse(SchedulerConfigSchema, input);
  return parsed.success ? 'valid' : describeIssues(parsed.error);
};

describe('instance scheduler trigger', () => {
  it('runs on a schedule every few minutes, the interval its core plans with', () => {
    expect(manifest.triggers).toEqual([expect.objectContaining({ kind: 'schedule', expression: `rate(${RUN_EVERY_MINUTES} minutes)` })]);
  });

  it('has no event pattern: no EC2 or CloudTrail event reaches its queue', () => {
    expect(eventPatterns(manifest)).toEqual([]);
  });
});

describe('instance scheduler permissions', () => {
  const statements = permissionsOf(manifest, configured);
  const scheduledOnly = { test: 'Null', variable: `aws:ResourceTag/${REFLEX_TAGS.schedule}`, values: ['false'] };

  it('reads every instance: DescribeInstances is the only action on "*"', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual(['ec2:DescribeInstances']);
  });

  it('starts and stops only instances that carry a schedule tag', () => {
    const startStop = statements.find((s) => s.actions.includes('ec2:StopInstances'));
    expect(startStop?.actions).toEqual(['ec2:StartInstances', 'ec2:StopInstances']);
    expect(startStop?.conditions).toEqual([scheduledOnly]);
  });

  it('writes only its stop-intent tag, and only on scheduled instances', () => {
    const tagging = statements.find((s) => s.actions.includes('ec2:CreateTags'));
    expect(tagging?.conditions).toEqual([
      scheduledOnly,
      { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.stopIntent] },
    ]);
  });

  it('asks for the same permissions whatever the schedules', () => {
    expect(permissionsOf(manifest, SchedulerConfigSchema.parse({}))).toEqual(statements);
  });
});

describe('instance scheduler config', () => {
  it('defaults to no schedules, batches of 50, acting only at transitions', () => {
    expect(SchedulerConfigSchema.parse({})).toEqual({ schedules: [], batchSize: 50, enforce: false });
  });

  it('names the schedule field whose time zone is not an IANA zone', () => {
    expect(problem({ schedules: [{ ...OFFICE, timezone: 'Mars/Olympus' }] })).toBe(
      'schedules.0.timezone: timezone must be an IANA time zone such as Europe/Berlin, got "Mars/Olympus"',
    );
  });

  it('names a batch size below one', () => {
    expect(problem({ batchSize: 0 })).toBe('batchSize: Too small: expected number to be >=1');
  });
});
