import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { accountSdk, awsErrorName, type LoadedSdk, ReflexError } from '@reflex/lambda-kit';
import type { ActResult, GroupsPort } from '../ports';

type AutoScalingSdk = typeof import('@aws-sdk/client-auto-scaling');
export type LoadAutoScaling = () => Promise<LoadedSdk<AutoScalingSdk, AutoScalingClient>>;

/** The Auto Scaling client of the function's environment, loaded on first use. */
export const defaultAutoScaling: LoadAutoScaling = accountSdk(() => import('@aws-sdk/client-auto-scaling'), (sdk, config) => new sdk.AutoScalingClient(config));

/**
 * Auto Scaling groups through the AWS SDK: SetInstanceHealth `Unhealthy` (respecting the group's health check
 * grace period), after which the group terminates the instance and launches a replacement. It has no DryRun: with
 * `dryRun` nothing is sent.
 *
 * @example
 * await new AutoScalingGroups(false).markUnhealthy('i-0123456789abcdef0'); // 'done'
 * @see https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_SetInstanceHealth.html
 */
export class AutoScalingGroups implements GroupsPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly autoscaling: LoadAutoScaling = defaultAutoScaling,
  ) {}

  async markUnhealthy(instanceId: string): Promise<ActResult> {
    if (this.dryRun) return 'dry-run';
    const { sdk, client } = await this.autoscaling();
    try {
      await client.send(new sdk.SetInstanceHealthCommand({ InstanceId: instanceId, HealthStatus: 'Unhealthy' }));
      return 'done';
    } catch (error) {
      // "Instance Id not found - No managed instance found for instance ID …": it left its group.
      if (awsErrorName(error) === 'ValidationError' && /not found/i.test((error as Error).message)) return 'not-found';
      throw new ReflexError(`SetInstanceHealth ${instanceId} Unhealthy failed`, { cause: error });
    }
  }
}
