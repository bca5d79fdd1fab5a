import { describe, expect, it } from '@jest/globals';
import { compilePattern } from '@reflex/event-patterns';
import { REFLEX_TAGS } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { analyzeLoops, describeIssues, eventPatterns, permissionsOf, triggersOf } from '@reflex/manifest';
import { AutoHealConfigSchema, manifest } from './manifest';
import { alarmSample, healthEvent } from './test-events';

const parse = (input: unknown) => z.parse(AutoHealConfigSchema, input);
const compiled = (config: unknown = {}) => eventPatterns({ triggers: triggersOf(manifest, parse(config)) }).map((p) => compilePattern(p));

/** The CloudWatch documentation's alarm state change (OK → ALARM), named for auto-heal, with the given transition. */
function transition(from: string, to: string, name = 'reflex-heal-i-12345678901234567') {
  const event = alarmSample();
  event.detail.alarmName = name;
  event.detail.previousState.value = from;
  event.detail.state.value = to;
  return event;
}

describe('auto-heal alarm trigger', () => {
  const [alarms] = compiled({ alarmNames: ['web-5xx-high'] });

  it('matches the documented alarm state change (OK → ALARM) once it names an alarm of the prefix', () => {
    expect(alarms!.matches(transition('OK', 'ALARM'))).toBe(true);
    expect(alarms!.matches(transition('INSUFFICIENT_DATA', 'ALARM'))).toBe(true);
  });

  it('matches a listed alarm by its exact name', () => {
    expect(alarms!.matches(transition('OK', 'ALARM', 'web-5xx-high'))).toBe(true);
    expect(alarms!.matches(transition('OK', 'ALARM', 'web-5xx-high-eu'))).toBe(false);
  });

  it('does not match the sample as published: its alarm (ServerCpuTooHigh) is not one of auto-heal’s', () => {
    expect(alarms!.explain(alarmSample()).failures.map((f) => f.path)).toEqual(['detail.alarmName']);
  });

  it('matches transitions into ALARM only: not ALARM → ALARM, not → OK or INSUFFICIENT_DATA', () => {
    expect(alarms!.explain(transition('ALARM', 'ALARM')).failures.map((f) => f.path)).toEqual(['detail.previousState.value']);
    expect(alarms!.matches(transition('ALARM', 'OK'))).toBe(false);
    expect(alarms!.matches(transition('INSUFFICIENT_DATA', 'OK'))).toBe(false);
    expect(alarms!.matches(transition('OK', 'INSUFFICIENT_DATA'))).toBe(false);
  });

  it('follows a configured prefix', () => {
    const [custom] = compiled({ alarmPrefix: 'reflex-prod-heal-' });
    expect(custom!.matches(transition('OK', 'ALARM', 'reflex-prod-heal-i-12345678901234567'))).toBe(true);
    expect(custom!.matches(transition('OK', 'ALARM'))).toBe(false);
  });
});

describe('auto-heal Health trigger', () => {
  const [, health] = compiled();

  it('matches an EC2 Health event (the published Health sample made an EC2 one)', () => {
    expect(health!.matches(healthEvent({ instanceId: 'i-0abc1234def567890', status: 'open', updated: '2026-03-03T02:40:00Z' }))).toBe(true);
  });

  it('does not match the published Lambda lifecycle event', () => {
    expect(health!.explain(fixture('health/lambda-planned-lifecycle.json')).failures.map((f) => f.path)).toEqual(['detail.service']);
  });
});

describe('auto-heal triggers and state', () => {
  it('run a timer every five minutes: the alarm sweep and the follow-ups', () => {
    expect(manifest.triggers.filter((t) => t.kind === 'schedule')).toEqual([expect.objectContaining({ expression: 'rate(5 minutes)' })]);
  });

  it('reach the reflex bus through forwarding: event triggers on aws.cloudwatch and aws.health, no alarm triggers', () => {
    expect(manifest.triggers.map((t) => (t.kind === 'event' ? t.pattern.source : t.kind))).toEqual([['aws.cloudwatch'], ['aws.health'], 'schedule']);
  });

  it('declare the state table: pk, sk, TTL', () => {
    expect(manifest.state).toEqual({ partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' });
  });
});

describe('auto-heal permissions', () => {
  const statements = permissionsOf(manifest, parse({ alarmNames: ['web-5xx-high', 'reflex-heal-web'], replace: true }));
  const sid = (id: string) => statements.find((s) => s.sid === id);
  const optedIn = { test: 'StringEquals', variable: 'aws:ResourceTag/reflex:heal', values: ['true'] };

  it('read on "*" only the EC2 calls without resource-level permissions', () => {
    expect(statements.filter((s) => s.resources.includes('*')).flatMap((s) => s.actions)).toEqual(['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus']);
  });

  it('reboot, stop and start only instances tagged reflex:heal=true', () => {
    expect(sid('RebootStopStartOptedInInstances')).toEqual({
      sid: 'RebootStopStartOptedInInstances',
      actions: ['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances'],
      resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
      conditions: [optedIn],
    });
  });

  it('tag only reflex:stop-intent, only on those instances', () => {
    expect(sid('RecordStopIntentOnOptedInInstances')?.conditions).toEqual([
      optedIn,
      { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.stopIntent] },
    ]);
  });

  it('change only alarms of its prefix, and read those and the listed ones', () => {
    const prefix = 'arn:${partition}:cloudwatch:${region}:${account}:alarm:reflex-heal-*';
    expect(sid('KeepItsStatusCheckAlarms')).toMatchObject({ actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'], resources: [prefix] });
    expect(sid('ReadItsAlarms')?.resources).toEqual([prefix, 'arn:${partition}:cloudwatch:${region}:${account}:alarm:web-5xx-high']);
  });

  it('mark instances Unhealthy only in Auto Scaling groups tagged reflex:heal=true, and only with replace on', () => {
    expect(sid('ReplaceInOptedInGroups')).toMatchObject({
      actions: ['autoscaling:SetInstanceHealth'],
      conditions: [{ test: 'StringEquals', variable: 'autoscaling:ResourceTag/reflex:heal', values: ['true'] }],
    });
    expect(permissionsOf(manifest, parse({})).some((s) => s.actions.includes('autoscaling:SetInstanceHealth'))).toBe(false);
  });

  it('without status-check alarms, may change no alarm', () => {
    expect(permissionsOf(manifest, parse({ statusCheckAlarms: false })).flatMap((s) => s.actions)).not.toContain('cloudwatch:PutMetricAlarm');
  });
});

describe('auto-heal loops', () => {
  it('reaches its own rule only through the alarms it creates, an edge its manifest declares cut; its actions on instances reach none', () => {
    const self = { name: manifest.name, triggers: manifest.triggers, permissions: permissionsOf(manifest, parse({ replace: true })), sendsTo: [], loopGuard: manifest.loopGuard };
    const { edges, loops } = analyzeLoops([self], 'dev');
    expect(edges.map((e) => [e.action, e.events, e.cutBy.map((c) => c.guard)])).toEqual([['cloudwatch:PutMetricAlarm', ['alarm state change'], ['declared']]]);
    expect(loops.map((l) => l.uncut)).toEqual([[]]);
  });
});

describe('auto-heal config', () => {
  const problem = (input: unknown) => {
    const parsed = z.safeParse(AutoHealConfigSchema, input);
    return parsed.success ? 'valid' : describeIssues(parsed.error);
  };

  it('defaults: prefix reflex-heal-, status-check alarms, no replacement, 3 actions per 24 h, 10 minutes apart', () => {
    expect(parse({})).toEqual({
      alarmPrefix: 'reflex-heal-',
      alarmNames: [],
      statusCheckAlarms: true,
      replace: false,
      cooldownMinutes: 10,
      maxActionsPerWindow: 3,
      budgetWindowHours: 24,
      intentWindowMinutes: 30,
      recoveryWaitMinutes: 15,
      stopWaitSeconds: 30,
    });
  });

  it('names the field of a prefix an IAM ARN pattern could not carry', () => {
    expect(problem({ alarmPrefix: 'heal*' })).toBe('alarmPrefix: letters, digits, ".", "_" and "-"');
  });

  it('names a budget beyond its bound', () => {
    expect(problem({ maxActionsPerWindow: 0 })).toBe('maxActionsPerWindow: Too small: expected number to be >=1');
  });
});
