// Sample events for auto-heal's tests: AWS documentation samples (packages/events/fixtures/SOURCES.md), cloned and
// changed as each helper says.
import { randomUUID } from 'node:crypto';
import { type AlarmStateChange, AlarmStateChangeSchema, type AwsHealthEvent, AwsHealthEventSchema, type ScheduledEvent, ScheduledEventSchema } from '@reflex/events';
import { fixture } from '@reflex/events/fixtures';

/** The CloudWatch documentation's alarm state change (OK → ALARM, one metric with an `InstanceId` dimension). */
export const alarmSample = () => fixture('cloudwatch/alarm-state-change.json');

export interface AlarmChange {
  readonly instanceId: string;
  /** The state timestamp of the transition (ISO). */
  readonly at: string;
  readonly name?: string;
  readonly from?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly to?: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
  readonly id?: string;
}

/**
 * The documented alarm state change, made one of auto-heal's: `alarmName` `reflex-heal-<instance>` (or `name`), the
 * metric's `InstanceId`, the transition's states and time, a fresh event id. CloudWatch writes state timestamps as
 * `2019-10-02T17:04:40.989+0000`; so do these.
 */
export function alarmEvent(change: AlarmChange): AlarmStateChange {
  const event = alarmSample();
  const name = change.name ?? `reflex-heal-${change.instanceId}`;
  event.id = change.id ?? randomUUID();
  event.time = change.at.replace(/\.\d{3}Z$/, 'Z');
  event.resources = [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${name}`];
  event.detail.alarmName = name;
  event.detail.configuration.metrics[0].metricStat.metric.dimensions.InstanceId = change.instanceId;
  event.detail.previousState.value = change.from ?? 'OK';
  event.detail.state.value = change.to ?? 'ALARM';
  event.detail.state.timestamp = change.at.replace(/Z$/, '+0000');
  return AlarmStateChangeSchema.parse(event);
}

/**
 * AWS publishes no EC2 Health event that parses (SOURCES.md, "Not found": its instance-retirement sample has no
 * `resources`), so this is the published Lambda planned lifecycle sample with the fields an EC2 event changes:
 * `service` EC2, `eventTypeCode` (default `AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED`, an `issue`),
 * `eventArn` in the Health API's form, `statusCode`, `lastUpdatedTime`, `resources` and `affectedEntities` (the
 * instance; as an ARN when `asArn`, as the retirement sample writes it).
 */
export function healthEvent(options: { instanceId: string; status: 'open' | 'upcoming' | 'closed'; updated: string; code?: string; asArn?: boolean; service?: string }): AwsHealthEvent {
  const event = fixture('health/lambda-planned-lifecycle.json');
  const arn = `arn:aws:ec2:us-east-1:123456789012:instance/${options.instanceId}`;
  const code = options.code ?? 'AWS_EC2_INSTANCE_STORE_DRIVE_PERFORMANCE_DEGRADED';
  event.id = randomUUID();
  event.region = 'us-east-1';
  event.resources = [arn];
  Object.assign(event.detail, {
    eventArn: `arn:aws:health:us-east-1::event/EC2/${code}/${code}_EXAMPLE`,
    service: options.service ?? 'EC2',
    eventTypeCode: code,
    eventTypeCategory: 'issue',
    statusCode: options.status,
    eventRegion: 'us-east-1',
    lastUpdatedTime: new Date(options.updated).toUTCString(),
    affectedEntities: [{ entityValue: options.asArn ? arn : options.instanceId, status: 'IMPAIRED' }],
  });
  return AwsHealthEventSchema.parse(event);
}

/** The EventBridge documentation's scheduled event, fired at `at`. */
export function timerEvent(at: string): ScheduledEvent {
  const event = fixture('scheduled/scheduled-event.json');
  event.id = randomUUID();
  event.time = at.replace(/\.\d{3}Z$/, 'Z');
  return ScheduledEventSchema.parse(event);
}
