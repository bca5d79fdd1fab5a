import * as z from './zod';
import type { AlarmStateChangeDetail } from './cloudwatch-alarm';

/**
 * One entry of `detail.configuration.metrics` in a CloudWatch Alarm State Change: a metric (`metricStat`, with
 * its namespace, name and dimensions) or a metric math `expression`. A single-metric alarm has one entry.
 *
 * @example
 * AlarmMetricSchema.parse(alarm.detail.configuration['metrics'][0]).metricStat?.metric.dimensions; // { InstanceId: 'i-…' }
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html
 */
export const AlarmMetricSchema = z.looseObject({
  id: z.string(),
  metricStat: z.optional(
    z.looseObject({
      metric: z.looseObject({
        namespace: z.optional(z.string()),
        name: z.optional(z.string()),
        dimensions: z.optional(z.record(z.string(), z.string())),
      }),
      period: z.optional(z.number()),
      stat: z.optional(z.string()),
    }),
  ),
  expression: z.optional(z.string()),
  returnData: z.optional(z.boolean()),
});
export type AlarmMetric = z.infer<typeof AlarmMetricSchema>;

/** The metrics of an alarm state change's configuration. */
export const AlarmMetricsSchema = z.array(AlarmMetricSchema);

/**
 * The distinct values of one dimension over the metrics an alarm watches, in order: `['i-…']` for an alarm on
 * one instance's metric, several for metric math over instances, none when no metric has the dimension (or
 * the configuration carries no metrics this schema reads).
 *
 * @example
 * alarmDimensionValues(alarm.detail, 'InstanceId'); // ['i-12345678901234567']
 */
export function alarmDimensionValues(detail: Pick<AlarmStateChangeDetail, 'configuration'>, dimension: string): string[] {
  const parsed = z.safeParse(AlarmMetricsSchema, detail.configuration['metrics'] ?? []);
  if (!parsed.success) return [];
  const values = parsed.data.flatMap((m) => {
    const value = m.metricStat?.metric.dimensions?.[dimension];
    return value ? [value] : [];
  });
  return [...new Set(values)];
}
