import type { CloudWatchClient, MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { accountSdk, chunks, type LoadedSdk, ReflexError } from '@reflex/lambda-kit';
import { STATUS_CHECK_METRIC } from '../core/sweep';
import type { AlarmState, AlarmsPort, AlarmView } from '../ports';

type CloudWatchSdk = typeof import('@aws-sdk/client-cloudwatch');
export type LoadCloudWatch = () => Promise<LoadedSdk<CloudWatchSdk, CloudWatchClient>>;

/** The CloudWatch client of the function's environment, loaded on first use. */
export const defaultCloudWatch: LoadCloudWatch = accountSdk(() => import('@aws-sdk/client-cloudwatch'), (sdk, config) => new sdk.CloudWatchClient(config));

/** DeleteAlarms takes at most 100 names. */
const DELETE_BATCH = 100;

function view(alarm: MetricAlarm): AlarmView {
  const dimensions = alarm.Dimensions ?? alarm.Metrics?.flatMap((m) => m.MetricStat?.Metric?.Dimensions ?? []) ?? [];
  const instanceId = dimensions.find((d) => d.Name === 'InstanceId')?.Value;
  return {
    name: alarm.AlarmName!,
    state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmState,
    ...(alarm.Namespace ? { namespace: alarm.Namespace } : {}),
    ...(alarm.MetricName ? { metricName: alarm.MetricName } : {}),
    ...(instanceId ? { instanceId } : {}),
  };
}

/**
 * CloudWatch metric alarms through the AWS SDK. PutMetricAlarm and DeleteAlarms have no DryRun: with `dryRun`
 * they are not sent and answer `dry-run`; reads are sent either way.
 *
 * The status-check alarm: `AWS/EC2` `StatusCheckFailed` of the instance, Maximum ≥ 1 in 2 of 2 periods of 60 s,
 * missing data not breaching (a stopped instance reports none), no alarm actions: auto-heal is its action.
 *
 * @example
 * await new CloudWatchAlarms(false).putStatusCheckAlarm('reflex-heal-i-0123456789abcdef0', 'i-0123456789abcdef0');
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-system-instance-status-check.html
 */
export class CloudWatchAlarms implements AlarmsPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly cloudwatch: LoadCloudWatch = defaultCloudWatch,
  ) {}

  async withPrefix(prefix: string): Promise<AlarmView[]> {
    const { sdk, client } = await this.cloudwatch();
    const alarms: AlarmView[] = [];
    try {
      for await (const page of sdk.paginateDescribeAlarms({ client }, { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'] })) {
        alarms.push(...(page.MetricAlarms ?? []).map(view));
      }
    } catch (error) {
      throw new ReflexError(`DescribeAlarms ${prefix}* failed`, { cause: error });
    }
    return alarms;
  }

  async stateOf(name: string): Promise<AlarmState | undefined> {
    const { sdk, client } = await this.cloudwatch();
    try {
      const out = await client.send(new sdk.DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ['MetricAlarm'] }));
      const alarm = out.MetricAlarms?.find((a) => a.AlarmName === name);
      return alarm && view(alarm).state;
    } catch (error) {
      throw new ReflexError(`DescribeAlarms ${name} failed`, { cause: error });
    }
  }

  async putStatusCheckAlarm(name: string, instanceId: string): Promise<'done' | 'dry-run'> {
    if (this.dryRun) return 'dry-run';
    const { sdk, client } = await this.cloudwatch();
    try {
      await client.send(
        new sdk.PutMetricAlarmCommand({
          AlarmName: name,
          AlarmDescription: `Reflex auto-heal: EC2 status checks of ${instanceId}. Its ALARM transitions make auto-heal reboot, stop/start or replace the instance; kept by auto-heal's timer while the instance carries reflex:heal=true.`,
          Namespace: STATUS_CHECK_METRIC.namespace,
          MetricName: STATUS_CHECK_METRIC.metricName,
          Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
          Statistic: 'Maximum',
          Period: 60,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        }),
      );
      return 'done';
    } catch (error) {
      throw new ReflexError(`PutMetricAlarm ${name} failed`, { cause: error });
    }
  }

  async deleteAlarms(names: readonly string[]): Promise<'done' | 'dry-run'> {
    if (this.dryRun) return 'dry-run';
    const { sdk, client } = await this.cloudwatch();
    for (const batch of chunks(names, DELETE_BATCH)) {
      try {
        await client.send(new sdk.DeleteAlarmsCommand({ AlarmNames: batch }));
      } catch (error) {
        throw new ReflexError(`DeleteAlarms ${batch.join(', ')} failed`, { cause: error });
      }
    }
    return 'done';
  }
}
