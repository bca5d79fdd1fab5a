// Alarm triggers: a CloudWatch metric alarm the stacks create for a reflex, and the pattern of its state changes.
import { CLOUDWATCH_ALARM_STATE_CHANGE } from '@reflex/events';
import * as z from '@reflex/events/zod';
import type { EventPattern } from './event-pattern';
import { awsName } from './naming';

/** Statistics a metric alarm can compare to its threshold. */
export const ALARM_STATISTICS = ['Minimum', 'Maximum', 'Average', 'Sum', 'SampleCount'] as const;
export type AlarmStatistic = (typeof ALARM_STATISTICS)[number];

/** How a metric alarm compares the statistic to its threshold. */
export const ALARM_COMPARISONS = [
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'GreaterThanOrEqualToThreshold',
] as const;
export type AlarmComparison = (typeof ALARM_COMPARISONS)[number];

/** How a metric alarm treats periods without data. */
export const ALARM_MISSING_DATA = ['breaching', 'notBreaching', 'ignore', 'missing'] as const;
export type AlarmMissingData = (typeof ALARM_MISSING_DATA)[number];

/**
 * A CloudWatch metric alarm the stacks create for the reflex, named `reflex-<env>-<reflex>-<name>`; a rule on
 * the default bus (where CloudWatch delivers alarm state changes) sends each of its state changes (OK, ALARM,
 * INSUFFICIENT_DATA) to the reflex's queue as a `CloudWatch Alarm State Change` event. The alarm has no
 * actions of its own: the reflex is its action.
 *
 * @example
 * // A Direct Connect connection is down when its ConnectionState (1 = up) drops below 1 for three minutes.
 * const trigger: AlarmTrigger = {
 *   kind: 'alarm',
 *   name: 'dxcon-fgabc123-down',
 *   namespace: 'AWS/DX',
 *   metricName: 'ConnectionState',
 *   dimensions: { ConnectionId: 'dxcon-fgabc123' },
 *   statistic: 'Minimum',
 *   periodSeconds: 60,
 *   evaluationPeriods: 3,
 *   threshold: 1,
 *   comparisonOperator: 'LessThanThreshold',
 *   treatMissingData: 'breaching',
 * };
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 */
export interface AlarmTrigger {
  readonly kind: 'alarm';
  /** A short id, unique among the reflex's alarms: lower-case letters, digits and dashes, at most 64. */
  readonly name: string;
  /** The alarm's description. @default none */
  readonly description?: string;
  /** The metric's namespace, e.g. `AWS/DX`, `AWS/VPN`. */
  readonly namespace: string;
  readonly metricName: string;
  /** The metric's dimensions (at most 30), e.g. `{ ConnectionId: 'dxcon-fgabc123' }`; `{}` for none. */
  readonly dimensions: Readonly<Record<string, string>>;
  readonly statistic: AlarmStatistic;
  /**
   * Seconds per evaluated period: 10 or 30 (a high-resolution alarm, for metrics stored at one-second
   * resolution) or a multiple of 60. Period × evaluation periods is at most one day when the period is under
   * an hour, at most seven days otherwise.
   */
  readonly periodSeconds: number;
  /** How many recent periods are evaluated (the N of "M out of N"), at least 1. */
  readonly evaluationPeriods: number;
  /** How many of them must breach to alarm (the M of "M out of N"). @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  readonly threshold: number;
  readonly comparisonOperator: AlarmComparison;
  /** A period without data counts as breaching, not breaching, is skipped (`ignore`) or `missing`. */
  readonly treatMissingData: AlarmMissingData;
}

/** Alarm ids: lower-case letters, digits and dashes, not starting or ending with a dash. */
const ALARM_ID_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

/** CloudWatch's limits on an alarm's evaluation range (PutMetricAlarm's EvaluationPeriods). */
const ONE_DAY = 86_400;
const SEVEN_DAYS = 7 * ONE_DAY;

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** The schema of an alarm trigger, for the manifest's trigger union. */
export const AlarmTriggerSchema = z
  .object({
    kind: z.literal('alarm'),
    name: z
      .string()
      .check(
        z.maxLength(64, 'at most 64 characters (the alarm is reflex-<env>-<reflex>-<name>)'),
        z.regex(ALARM_ID_PATTERN, 'lower-case letters, digits and dashes, not starting or ending with a dash'),
      ),
    // CloudWatch takes 1024 characters; the other triggers' descriptions stop at 512.
    description: z.optional(z.string().check(z.maxLength(512))),
    namespace: text(255),
    metricName: text(255),
    dimensions: z
      .record(text(255), text(1024))
      .check(z.refine((d) => Object.keys(d).length <= 30, 'at most 30 dimensions')),
    statistic: z.enum(ALARM_STATISTICS),
    periodSeconds: z
      .int()
      .check(z.refine((p) => p === 10 || p === 30 || (p > 0 && p % 60 === 0), 'a period is 10, 30 or a multiple of 60 seconds')),
    evaluationPeriods: z.int().check(z.gte(1)),
    datapointsToAlarm: z.optional(z.int().check(z.gte(1))),
    threshold: z.number(),
    comparisonOperator: z.enum(ALARM_COMPARISONS),
    treatMissingData: z.enum(ALARM_MISSING_DATA),
  })
  .check(
    z.refine((a) => a.datapointsToAlarm === undefined || a.datapointsToAlarm <= a.evaluationPeriods, {
      message: 'at most evaluationPeriods (M out of N datapoints)',
      path: ['datapointsToAlarm'],
    }),
    z.refine((a) => a.periodSeconds * a.evaluationPeriods <= (a.periodSeconds < 3600 ? ONE_DAY : SEVEN_DAYS), {
      message: 'periodSeconds × evaluationPeriods is at most one day (86400 s) for periods under an hour, seven days otherwise',
      path: ['evaluationPeriods'],
    }),
  );

/**
 * The AWS name of an alarm trigger's alarm: `reflex-<env>-<reflex>-<name>`.
 *
 * @example
 * alarmName('prod', 'route-failover', { name: 'dxcon-fgabc123-down' }); // "reflex-prod-route-failover-dxcon-fgabc123-down"
 */
export function alarmName(env: string, reflex: string, trigger: Pick<AlarmTrigger, 'name'>): string {
  return awsName(env, reflex, trigger.name);
}

/**
 * The EventBridge pattern of an alarm trigger's state changes, as CloudWatch delivers them to the default bus
 * of the alarm's account: every transition (to OK, ALARM or INSUFFICIENT_DATA) of that one alarm.
 *
 * @example
 * alarmPattern('prod', 'route-failover', { name: 'dxcon-fgabc123-down' });
 * // { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'],
 * //   detail: { alarmName: ['reflex-prod-route-failover-dxcon-fgabc123-down'] } }
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export function alarmPattern(env: string, reflex: string, trigger: Pick<AlarmTrigger, 'name'>): EventPattern {
  return {
    source: [CLOUDWATCH_ALARM_STATE_CHANGE.source],
    'detail-type': [CLOUDWATCH_ALARM_STATE_CHANGE.detailType],
    detail: { alarmName: [alarmName(env, reflex, trigger)] },
  };
}
