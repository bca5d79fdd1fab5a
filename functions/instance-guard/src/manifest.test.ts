import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import { compilePattern } from '@reflex/event-patterns';
import { REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { describeIssues, eventPatterns, permissionsOf } from '@reflex/manifest';
import { GuardConfigSchema, manifest } from './manifest';

// Real sample events (packages/events/fixtures/SOURCES.md), cloned and changed for near-misses.
const [pattern, stopCall] = eventPatterns(manifest).map((p) => compilePattern(p));
const stopped = () => {
  const event = fixture('ec2/instance-state-change.json');
  event.detail.state = 'stopped';
  return event;
};

describe('instance guard trigger', () => {
  it('matches the documented EC2 state change once the instance is stopped', () => {
    expect(pattern!.matches(stopped())).toBe(true);
  });

  it('does not match the documented event as published (state "pending")', () => {
    expect(pattern!.matches(fixture('ec2/instance-state-change.json'))).toBe(false);
  });

  it('does not match a stopped state from another source', () => {
    const event = stopped();
    event.source = 'aws.autoscaling';
    expect(pattern!.matches(event)).toBe(false);
  });

  it('does not match the StopInstances API call (CloudTrail) with the state-change trigger', () => {
    expect(pattern!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(false);
  });

  it('names the failing field for a near-miss', () => {
    const event = stopped();
    event.detail.state = 'stopping';
    expect(pattern!.explain(event).failures.map((f) => f.path)).toEqual(['detail.state']);
  });
});

describe('instance guard StopInstances trigger', () => {
  it('matches the documented StopInstances call', () => {
    expect(stopCall!.matches(fixture('cloudtrail/stop-instances.json'))).toBe(true);
  });

  it('does not match a failed StopInstances call', () => {
    const event = fixture('cloudtrail/stop-instances.json');
    event.detail.errorCode = 'Client.UnauthorizedOperation';
    expect(stopCall!.matches(event)).toBe(false);
  });

  it('does not match StartInstances', () => {
    expect(stopCall!.matches(fixture('cloudtrail/start-instances.json'))).toBe(false);
  });
});

describe('instance guard permissions', () => {
  const custom = GuardConfigSchema.parse({ protectTag: { key: 'Criticality', value: 'high' } });
  const statements = permissionsOf(manifest, custom);
  const writes = statements.filter((s) => !s.resources.includes('*'));

  it('reads every instance: DescribeInstances is the only action on "*"', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual(['ec2:DescribeInstances']);
  });

  it('starts and tags only instances that carry the configured protect tag', () => {
    expect(writes.flatMap((s) => s.actions)).toEqual(['ec2:StartInstances', 'ec2:CreateTags']);
    for (const s of writes) {
      expect(s.conditions).toContainEqual({ test: 'StringEquals', variable: 'aws:ResourceTag/Criticality', values: ['high'] });
    }
  });

  it('writes only its ledger tags', () => {
    const tagging = statements.find((s) => s.actions.includes('ec2:CreateTags'))!;
    expect(tagging.conditions).toContainEqual({
      test: 'ForAllValues:StringEquals',
      variable: 'aws:TagKeys',
      values: [REFLEX_TAGS.stoppedBy, REFLEX_TAGS.restarts],
    });
  });
});

describe('instance guard config', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(GuardConfigSchema, input);
    return parsed.success ? 'valid' : describeIssues(parsed.error);
  };

  it('protects instances tagged reflex:protect=true, three restarts an hour, by default', () => {
    expect(GuardConfigSchema.parse({})).toEqual({
      protectTag: { key: REFLEX_TAGS.protect, value: 'true' },
      maxRestartsPerHour: 3,
      intentWindowMinutes: 30,
      allowedPrincipals: [],
    });
  });

  it('names the field when the protect tag has no key', () => {
    expect(problem({ protectTag: { key: '', value: 'true' } })).toBe('protectTag.key: Too small: expected string to have >=1 characters');
  });

  it('names a restart budget beyond its bound', () => {
    expect(problem({ maxRestartsPerHour: 11 })).toBe('maxRestartsPerHour: Too big: expected number to be <=10');
  });
});
