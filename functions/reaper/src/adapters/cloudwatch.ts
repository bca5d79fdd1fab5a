import type { CloudWatchClient, Datapoint } from '@aws-sdk/client-cloudwatch';
import { accountSdk, type LoadedSdk, ReflexError } from '@reflex/lambda-kit';
import type { HourlyPoint, InstanceMetrics, MetricsPort } from '../ports';

type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');
export type LoadCloudWatch = () => Promise<LoadedSdk<CloudWatchSdk, CloudWatchClient>>;

/** The CloudWatch client of the function's environment, loaded on first use. */
export const defaultCloudWatch: LoadCloudWatch = accountSdk(() => import('@aws-sdk/client-cloudwatch'), (sdk, config) => new sdk.CloudWatchClient(config));

const HOUR_SECONDS = 3600;

/**
 * An instance's hourly `AWS/EC2` metrics through GetMetricStatistics: CPUUtilization (Average), NetworkIn and
 * NetworkOut (Sum), one datapoint per hour that has data — an hour without one is missing, never zero.
 *
 * @example
 * const metrics = await new CloudWatchMetrics().hourly('i-0123456789abcdef0', from, to);
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 */
export class CloudWatchMetrics implements MetricsPort {
  constructor(private readonly cloudwatch: LoadCloudWatch = defaultCloudWatch) {}

  async hourly(instanceId: string, from: Date, to: Date): Promise<InstanceMetrics> {
    const [cpuAverage, networkIn, networkOut] = await Promise.all([
      this.series(instanceId, 'CPUUtilization', 'Average', from, to),
      this.series(instanceId, 'NetworkIn', 'Sum', from, to),
      this.series(instanceId, 'NetworkOut', 'Sum', from, to),
    ]);
    return { cpuAverage, networkIn, networkOut };
  }

  private async series(instanceId: string, metric: string, statistic: 'Average' | 'Sum', from: Date, to: Date): Promise<HourlyPoint[]> {
    const { sdk, client } = await this.cloudwatch();
    try {
      const out = await client.send(
        new sdk.GetMetricStatisticsCommand({
          Namespace: 'AWS/EC2',
          MetricName: metric,
          Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
          StartTime: from,
          EndTime: to,
          Period: HOUR_SECONDS,
          Statistics: [statistic],
        }),
      );
      return (out.Datapoints ?? []).flatMap((d: Datapoint) => {
        const value = d[statistic];
        return d.Timestamp && value !== undefined ? [{ at: d.Timestamp, value }] : [];
      });
    } catch (error) {
      throw new ReflexError(`GetMetricStatistics ${metric} of ${instanceId} failed`, { cause: error });
    }
  }
}
