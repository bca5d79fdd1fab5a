import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AlarmStateChangeSchema } from './cloudwatch-alarm';
import { alarmDimensionValues } from './cloudwatch-alarm-metrics';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/cloudwatch/alarm-state-change.json', import.meta.url), 'utf8'));

describe('alarmDimensionValues', () => {
  it("reads the instance of the documented single-metric alarm from its metric's dimensions", () => {
    const alarm = AlarmStateChangeSchema.parse(fixture);

    expect(alarmDimensionValues(alarm.detail, 'InstanceId')).toEqual(['i-12345678901234567']);
  });

  it('lists each instance of a metric math alarm once, and skips the expression', () => {
    const event = structuredClone(fixture);
    const [metric] = event.detail.configuration.metrics;
    const other = structuredClone(metric);
    other.id = 'm2';
    other.metricStat.metric.dimensions.InstanceId = 'i-0fedcba9876543210';
    event.detail.configuration.metrics = [metric, other, structuredClone(metric), { id: 'e1', expression: 'MAX([m1, m2])', returnData: true }];

    expect(alarmDimensionValues(AlarmStateChangeSchema.parse(event).detail, 'InstanceId')).toEqual(['i-12345678901234567', 'i-0fedcba9876543210']);
  });

  it('finds nothing when the metric has no such dimension or the configuration has no metrics', () => {
    const alarm = AlarmStateChangeSchema.parse(fixture);
    const bare = structuredClone(fixture);
    delete bare.detail.configuration.metrics;

    expect(alarmDimensionValues(alarm.detail, 'AutoScalingGroupName')).toEqual([]);
    expect(alarmDimensionValues(AlarmStateChangeSchema.parse(bare).detail, 'InstanceId')).toEqual([]);
  });
});
