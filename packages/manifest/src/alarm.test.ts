import { describe, expect, it } from '@jest/globals';
import { compilePattern } from '@reflex/event-patterns';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, alarmName, alarmPattern } from './alarm';
import {
  defineReflex,
  eventPatterns,
  InvalidManifestError,
  type ReflexManifestInput,
  type Trigger,
  triggerPattern,
  triggerPatterns,
  triggersOf,
} from './manifest';

/** A Direct Connect connection's state (1 = up), below 1 for three minutes. */
const DX_DOWN: AlarmTrigger = {
  kind: 'alarm',
  name: 'dxcon-fgabc123-down',
  description: 'Direct Connect dxcon-fgabc123 is down',
  namespace: 'AWS/DX',
  metricName: 'ConnectionState',
  dimensions: { ConnectionId: 'dxcon-fgabc123' },
  statistic: 'Minimum',
  periodSeconds: 60,
  evaluationPeriods: 3,
  threshold: 1,
  comparisonOperator: 'LessThanThreshold',
  treatMissingData: 'breaching',
};

const ConfigSchema = z.object({ tunnels: z._default(z.array(z.string()), []) });

const input = (triggers: readonly Trigger[]): ReflexManifestInput<typeof ConfigSchema> => ({
  name: 'route-failover',
  description: 'Repoints routes to the backup path.',
  triggers,
  permissions: () => [],
  config: ConfigSchema,
});

/** The message of the InvalidManifestError `fn` throws. */
const invalidManifestMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidManifestError);
    return (error as Error).message;
  }
  throw new Error('expected an InvalidManifestError, but nothing was thrown');
};

/** A VPN tunnel's state (1 = up) for one tunnel address. */
const tunnelDown = (address: string): AlarmTrigger => ({
  kind: 'alarm',
  name: `tunnel-${address.replaceAll('.', '-')}`,
  namespace: 'AWS/VPN',
  metricName: 'TunnelState',
  dimensions: { TunnelIpAddress: address },
  statistic: 'Maximum',
  periodSeconds: 60,
  evaluationPeriods: 5,
  datapointsToAlarm: 3,
  threshold: 1,
  comparisonOperator: 'LessThanThreshold',
  treatMissingData: 'missing',
});

describe('defineReflex with an alarm trigger', () => {
  it('keeps the alarm as declared', () => {
    expect(defineReflex(input([DX_DOWN])).triggers).toEqual([DX_DOWN]);
  });

  it('takes high-resolution periods of 10 and 30 seconds, and metrics without dimensions', () => {
    const triggers = [
      { ...DX_DOWN, name: 'ten', periodSeconds: 10 },
      { ...DX_DOWN, name: 'thirty', periodSeconds: 30, dimensions: {} },
    ];

    expect(defineReflex(input(triggers)).triggers).toEqual(triggers);
  });

  it('takes an evaluation range of seven days for periods of an hour or more', () => {
    const weekly = { ...DX_DOWN, periodSeconds: 3600, evaluationPeriods: 168 };

    expect(defineReflex(input([weekly])).triggers).toEqual([weekly]);
  });

  it.each([
    ['a name with upper-case letters', { name: 'DX-Down' }, 'triggers.0.name: lower-case letters, digits and dashes'],
    ['a name ending with a dash', { name: 'dx-' }, 'triggers.0.name: lower-case letters'],
    ['a name of 65 characters', { name: 'a'.repeat(65) }, 'triggers.0.name: at most 64 characters'],
    ['an empty namespace', { namespace: '' }, 'triggers.0.namespace: '],
    ['a statistic CloudWatch does not have', { statistic: 'p99' }, 'triggers.0.statistic: '],
    ['a period of 45 seconds', { periodSeconds: 45 }, 'triggers.0.periodSeconds: a period is 10, 30 or a multiple of 60 seconds'],
    ['a period of 0 seconds', { periodSeconds: 0 }, 'triggers.0.periodSeconds: a period is 10, 30 or a multiple of 60 seconds'],
    ['no evaluation period', { evaluationPeriods: 0 }, 'triggers.0.evaluationPeriods: '],
    ['more datapoints to alarm than evaluation periods', { datapointsToAlarm: 4 }, 'triggers.0.datapointsToAlarm: at most evaluationPeriods'],
    ['more than a day of one-minute periods', { evaluationPeriods: 1441 }, 'triggers.0.evaluationPeriods: periodSeconds × evaluationPeriods is at most one day'],
    ['more than seven days of hourly periods', { periodSeconds: 3600, evaluationPeriods: 169 }, 'triggers.0.evaluationPeriods: periodSeconds × evaluationPeriods'],
    ['a comparison CloudWatch does not have', { comparisonOperator: 'EqualToThreshold' }, 'triggers.0.comparisonOperator: '],
    ['an unknown treatment of missing data', { treatMissingData: 'zero' }, 'triggers.0.treatMissingData: '],
    ['a threshold that is not a number', { threshold: '1' }, 'triggers.0.threshold: '],
    ['31 dimensions', { dimensions: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`D${i}`, 'x'])) }, 'triggers.0.dimensions: at most 30 dimensions'],
    ['an empty dimension value', { dimensions: { ConnectionId: '' } }, 'triggers.0.dimensions.ConnectionId: '],
  ])('rejects %s, naming the reflex and the field', (_case, change, field) => {
    const message = invalidManifestMessage(() => defineReflex(input([{ ...DX_DOWN, ...change } as Trigger])));

    expect(message).toMatch(/^reflex "route-failover": /);
    expect(message).toContain(field);
  });

  it('rejects an alarm trigger without a metric name', () => {
    const { metricName: _, ...noMetric } = DX_DOWN;

    const message = invalidManifestMessage(() => defineReflex(input([noMetric as Trigger])));

    expect(message).toContain('triggers.0.metricName: required');
  });

  it('rejects two alarm triggers of one name, naming the second', () => {
    const message = invalidManifestMessage(() => defineReflex(input([DX_DOWN, { ...DX_DOWN, threshold: 0.5 }])));

    expect(message).toBe('reflex "route-failover": triggers.1.name: another alarm trigger is named "dxcon-fgabc123-down" already');
  });

  it('takes alarm triggers next to event triggers', () => {
    const routeDeleted: Trigger = { kind: 'event', pattern: { source: ['aws.ec2'], detail: { eventName: ['DeleteRoute'] } } };

    expect(defineReflex(input([routeDeleted, DX_DOWN])).triggers).toEqual([routeDeleted, DX_DOWN]);
  });
});

describe('triggersOf with alarm triggers from the config', () => {
  const failover = defineReflex({
    ...input([DX_DOWN]),
    triggersFor: (config) => [DX_DOWN, ...config.tunnels.map(tunnelDown)],
  });

  it('returns an alarm per tunnel the config names', () => {
    expect(triggersOf(failover, { tunnels: ['169.254.10.1', '169.254.11.1'] })).toEqual([
      DX_DOWN,
      tunnelDown('169.254.10.1'),
      tunnelDown('169.254.11.1'),
    ]);
  });

  it('rejects two alarms of one name that a config makes, naming the trigger', () => {
    const message = invalidManifestMessage(() => triggersOf(failover, { tunnels: ['169.254.10.1', '169.254.10.1'] }));

    expect(message).toBe('reflex "route-failover": triggers.2.name: another alarm trigger is named "tunnel-169-254-10-1" already');
  });

  it('rejects an alarm a config makes invalid, naming the trigger and the field', () => {
    const broken = defineReflex({ ...input([DX_DOWN]), triggersFor: (c) => [DX_DOWN, ...c.tunnels.map((t) => ({ ...tunnelDown(t), periodSeconds: 90 }))] });

    const message = invalidManifestMessage(() => triggersOf(broken, { tunnels: ['169.254.10.1'] }));

    expect(message).toBe('reflex "route-failover": triggers.1.periodSeconds: a period is 10, 30 or a multiple of 60 seconds');
  });
});

describe('alarmName', () => {
  it('is reflex-<env>-<reflex>-<name>', () => {
    expect(alarmName('prod', 'route-failover', DX_DOWN)).toBe('reflex-prod-route-failover-dxcon-fgabc123-down');
  });
});

describe('alarmPattern', () => {
  /** The CloudWatch documentation's sample state change, for the alarm named `name`. */
  const stateChange = (name: string) => {
    const event = fixture('cloudwatch/alarm-state-change.json');
    event.detail.alarmName = name;
    event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
    return event;
  };

  it('matches the state changes of that alarm by its AWS name', () => {
    expect(alarmPattern('dev', 'route-failover', DX_DOWN)).toEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['reflex-dev-route-failover-dxcon-fgabc123-down'] },
    });
  });

  it("matches the sample state change of the alarm, back to OK as well as into ALARM", () => {
    const pattern = compilePattern(alarmPattern('dev', 'route-failover', DX_DOWN));
    const alarm = stateChange('reflex-dev-route-failover-dxcon-fgabc123-down');
    const ok = structuredClone(alarm);
    ok.detail.state.value = 'OK';

    expect(pattern.matches(alarm)).toBe(true);
    expect(pattern.matches(ok)).toBe(true);
  });

  it("misses another environment's alarm of the same trigger", () => {
    const pattern = compilePattern(alarmPattern('dev', 'route-failover', DX_DOWN));

    expect(pattern.matches(stateChange('reflex-prod-route-failover-dxcon-fgabc123-down'))).toBe(false);
  });
});

describe('triggerPattern and triggerPatterns', () => {
  const pattern = { source: ['aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail'] };
  const manifest = defineReflex(
    input([{ kind: 'event', pattern }, DX_DOWN, { kind: 'schedule', expression: 'rate(5 minutes)' }]),
  );

  it("gives an event trigger's own pattern and an alarm trigger's state changes", () => {
    const scope = { env: 'local', reflex: manifest.name };

    expect(manifest.triggers.map((t) => triggerPattern(t, scope))).toEqual([pattern, alarmPattern('local', manifest.name, DX_DOWN), undefined]);
  });

  it("lists every rule's pattern, alarms included, while eventPatterns keeps to the reflex bus's", () => {
    expect(triggerPatterns(manifest, 'dev')).toEqual([pattern, alarmPattern('dev', manifest.name, DX_DOWN)]);
    expect(eventPatterns(manifest)).toEqual([pattern]);
  });
});
