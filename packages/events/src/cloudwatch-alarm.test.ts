import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { AlarmStateChangeSchema } from './cloudwatch-alarm';

const fixture = JSON.parse(readFileSync(new URL('../fixtures/cloudwatch/alarm-state-change.json', import.meta.url), 'utf8'));

describe('AlarmStateChangeSchema', () => {
  it('parses the single-metric alarm sample from the CloudWatch documentation', () => {
    const alarm = AlarmStateChangeSchema.parse(fixture);

    expect(alarm.detail.alarmName).toBe('ServerCpuTooHigh');
    expect(alarm.detail.state.value).toBe('ALARM');
    expect(alarm.detail.previousState.value).toBe('OK');
  });

  it('keeps the configuration fields it does not name', () => {
    const alarm = AlarmStateChangeSchema.parse(fixture);

    expect(alarm.detail.configuration['metrics']).toEqual(fixture.detail.configuration.metrics);
  });

  it('rejects a state value CloudWatch does not have', () => {
    const event = structuredClone(fixture);
    event.detail.state.value = 'WARNING';

    expect(AlarmStateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an alarm without previousState', () => {
    const event = structuredClone(fixture);
    delete event.detail.previousState;

    expect(AlarmStateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose source is not aws.cloudwatch', () => {
    const event = structuredClone(fixture);
    event.source = 'aws.events';

    expect(AlarmStateChangeSchema.safeParse(event).success).toBe(false);
  });

  it('rejects an event whose detail-type is not CloudWatch Alarm State Change', () => {
    const event = structuredClone(fixture);
    event['detail-type'] = 'CloudWatch Alarm Configuration Change';

    expect(AlarmStateChangeSchema.safeParse(event).success).toBe(false);
  });
});
