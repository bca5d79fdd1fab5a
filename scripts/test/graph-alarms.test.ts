// Alarm triggers in `reflex graph` and `reflex match`: no reflex declares one yet, so a manifest of this test
// stands in for the route failover (a Direct Connect connection's state alarm next to a route deletion event).
import { describe, expect, it } from '@jest/globals';
import { fixture } from '@reflex/events/fixtures';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, defineReflex, eventPatterns } from '@reflex/manifest';
import { renderGraph } from '../src/cli/graph';
import { matchEvent, matchEvents } from '../src/cli/match';

const DX_DOWN: AlarmTrigger = {
  kind: 'alarm',
  name: 'dxcon-fgabc123-down',
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

const FAILOVER = defineReflex({
  name: 'route-failover',
  description: 'Repoints routes to the backup path.',
  triggers: [
    { kind: 'event', pattern: { source: ['aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail'], detail: { eventName: ['DeleteRoute'] } } },
    DX_DOWN,
  ],
  permissions: () => [],
  config: z.object({}),
});

/** The CloudWatch documentation's sample state change, for the alarm named `name`. */
const stateChange = (name: string) => {
  const event = fixture('cloudwatch/alarm-state-change.json');
  event.detail.alarmName = name;
  return event;
};

const graph = (env?: string) =>
  renderGraph([FAILOVER], { ...(env ? { env } : {}), forwarding: new Map([['aws.ec2', ['AWS API Call via CloudTrail']]]) });

describe('reflex graph with an alarm trigger', () => {
  it('draws the alarm → default bus → its rule → the reflex queue', () => {
    const text = graph();

    expect(text).toContain('alarm_route_failover_1 -->|"state changes"| defaultBus');
    expect(text).toContain('defaultBus --> rule_route_failover_1 --> queue_route_failover');
  });

  it('labels the alarm with its metric, dimensions and condition', () => {
    expect(graph()).toContain(
      'alarm_route_failover_1[/"alarm route-failover-dxcon-fgabc123-down<br/>AWS/DX ConnectionState<br/>ConnectionId: dxcon-fgabc123<br/>Minimum #lt; 1, 3 of 3 × 60 s<br/>missing data: breaching"/]',
    );
  });

  it("labels the rule with the pattern of the alarm's state changes", () => {
    expect(graph()).toContain(
      'rule_route_failover_1{{"rule route-failover-1<br/>source: aws.cloudwatch<br/>detail-type: CloudWatch Alarm State Change<br/>alarmName: route-failover-dxcon-fgabc123-down"}}',
    );
  });

  it("names the alarm and its rule by the environment's AWS names under --env", () => {
    const text = graph('dev');

    expect(text).toContain('"alarm reflex-dev-route-failover-dxcon-fgabc123-down<br/>');
    expect(text).toContain('"rule reflex-dev-route-failover-1<br/>source: aws.cloudwatch<br/>detail-type: CloudWatch Alarm State Change<br/>alarmName: reflex-dev-route-failover-dxcon-fgabc123-down"');
  });

  it('forwards no CloudWatch events: the alarm rule listens on the default bus', () => {
    expect(eventPatterns(FAILOVER).map((p) => p.source)).toEqual([['aws.ec2']]);
    expect(graph()).not.toContain('forward_cloudwatch');
  });
});

describe('reflex match with an alarm trigger', () => {
  it("matches the state change of the reflex's alarm in the local environment by default", () => {
    const result = matchEvent([FAILOVER], stateChange('reflex-local-route-failover-dxcon-fgabc123-down'));

    expect(result.matches).toEqual([
      { reflex: 'route-failover', trigger: 1, description: 'alarm reflex-local-route-failover-dxcon-fgabc123-down', matched: true, failures: [] },
    ]);
  });

  it("matches another environment's alarm names when given that environment", () => {
    const event = stateChange('reflex-prod-route-failover-dxcon-fgabc123-down');

    expect(matchEvent([FAILOVER], event).matches).toEqual([]);
    expect(matchEvent([FAILOVER], event, { env: 'prod' }).matches.map((m) => m.trigger)).toEqual([1]);
  });

  it("explains a miss by the alarm's name", () => {
    const result = matchEvent([FAILOVER], stateChange('ServerCpuTooHigh'));

    expect(result.misses).toEqual([
      expect.objectContaining({ reflex: 'route-failover', trigger: 1, failures: [expect.objectContaining({ path: 'detail.alarmName' })] }),
    ]);
  });

  it('counts the state changes of a batch per alarm trigger', () => {
    const events = [stateChange('reflex-local-route-failover-dxcon-fgabc123-down'), stateChange('ServerCpuTooHigh')];

    expect(matchEvents([FAILOVER], events)).toEqual({
      events: 2,
      reflexes: [{ reflex: 'route-failover', events: 1, triggers: { 0: 0, 1: 1 } }],
      unmatched: 1,
    });
  });
});
