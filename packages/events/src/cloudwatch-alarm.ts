import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of CloudWatch alarm state changes. */
export const CLOUDWATCH_ALARM_STATE_CHANGE = {
  source: 'aws.cloudwatch',
  detailType: 'CloudWatch Alarm State Change',
} as const satisfies EventKind;

export const AlarmStateValueSchema = z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']);
export type AlarmStateValue = z.infer<typeof AlarmStateValueSchema>;

const AlarmStateSchema = z.looseObject({
  value: AlarmStateValueSchema,
  reason: z.string(),
  reasonData: z.optional(z.string()),
  timestamp: z.string(),
});

/** The `detail` of a CloudWatch Alarm State Change (the fields reflexes use; the rest passes through). */
export const AlarmStateChangeDetailSchema = z.looseObject({
  alarmName: z.string(),
  state: AlarmStateSchema,
  previousState: AlarmStateSchema,
  configuration: z.looseObject({ description: z.optional(z.string()) }),
});
export type AlarmStateChangeDetail = z.infer<typeof AlarmStateChangeDetailSchema>;

/**
 * CloudWatch Alarm State Change.
 *
 * @example
 * const alarm = AlarmStateChangeSchema.parse(raw);
 * if (alarm.detail.state.value === 'ALARM') failover();
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const AlarmStateChangeSchema = eventSchema(CLOUDWATCH_ALARM_STATE_CHANGE, AlarmStateChangeDetailSchema);
export type AlarmStateChange = z.infer<typeof AlarmStateChangeSchema>;
