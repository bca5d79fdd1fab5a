import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { REFLEX_TAGS } from '@reflex/events';
import { accountSdk, awsErrorName, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { ActResult, InstancesPort, InstanceStatusView, InstanceView, OptedInInstance } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the function's environment, loaded on first use. */
export const defaultEc2: LoadEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));

const NOT_FOUND = new Set(['InvalidInstanceID.NotFound', 'InvalidInstanceID.Malformed']);
const INCORRECT_STATE = new Set(['IncorrectInstanceState', 'IncorrectState', 'UnsupportedOperation']);
/** States an instance has until it is gone: what the sweep keeps alarms for. */
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

function view(instance: Instance): InstanceView {
  const autoRecovery = instance.MaintenanceOptions?.AutoRecovery;
  return {
    id: instance.InstanceId!,
    state: instance.State?.Name ?? 'unknown',
    tags: tagRecord(instance.Tags),
    ...(autoRecovery ? { autoRecovery } : {}),
  };
}

/**
 * EC2 instances through the AWS SDK. With `dryRun`, RebootInstances, StopInstances and StartInstances are sent
 * with `DryRun: true` (and answer `dry-run`), and no tag is written.
 *
 * @example
 * const instances = new Ec2Instances(false);
 * await instances.reboot('i-0123456789abcdef0'); // 'done'
 * @see https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstanceStatus.html
 */
export class Ec2Instances implements InstancesPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async describe(instanceId: string): Promise<InstanceView | undefined> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }));
      const instance = out.Reservations?.flatMap((r) => r.Instances ?? []).find((i) => i.InstanceId === instanceId);
      return instance && view(instance);
    } catch (error) {
      if (NOT_FOUND.has(awsErrorName(error) ?? '')) return undefined;
      throw new ReflexError(`DescribeInstances ${instanceId} failed`, { cause: error });
    }
  }

  async status(instanceId: string): Promise<InstanceStatusView | undefined> {
    const { sdk, client } = await this.ec2();
    try {
      const out = await client.send(new sdk.DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }));
      const status = out.InstanceStatuses?.find((s) => s.InstanceId === instanceId);
      if (!status) return undefined;
      return {
        instance: status.InstanceStatus?.Status ?? 'not-applicable',
        system: status.SystemStatus?.Status ?? 'not-applicable',
        events: (status.Events ?? []).map((e) => ({
          code: e.Code ?? 'unknown',
          description: e.Description ?? '',
          ...(e.NotBefore ? { notBefore: e.NotBefore.toISOString() } : {}),
        })),
      };
    } catch (error) {
      if (NOT_FOUND.has(awsErrorName(error) ?? '')) return undefined;
      throw new ReflexError(`DescribeInstanceStatus ${instanceId} failed`, { cause: error });
    }
  }

  async optedIn(): Promise<OptedInInstance[]> {
    const { sdk, client } = await this.ec2();
    const found: OptedInInstance[] = [];
    try {
      const filters = [
        { Name: `tag:${REFLEX_TAGS.heal}`, Values: ['true'] },
        { Name: 'instance-state-name', Values: LIVE_STATES },
      ];
      for await (const page of sdk.paginateDescribeInstances({ client }, { Filters: filters })) {
        for (const instance of (page.Reservations ?? []).flatMap((r) => r.Instances ?? [])) found.push({ id: instance.InstanceId!, state: instance.State?.Name ?? 'unknown' });
      }
    } catch (error) {
      throw new ReflexError(`DescribeInstances ${REFLEX_TAGS.heal}=true failed`, { cause: error });
    }
    return found;
  }

  reboot(instanceId: string): Promise<ActResult> {
    return this.act('RebootInstances', instanceId, (sdk) => new sdk.RebootInstancesCommand({ InstanceIds: [instanceId], DryRun: this.dryRun }));
  }

  stop(instanceId: string, force: boolean): Promise<ActResult> {
    return this.act('StopInstances', instanceId, (sdk) => new sdk.StopInstancesCommand({ InstanceIds: [instanceId], Force: force, DryRun: this.dryRun }));
  }

  start(instanceId: string): Promise<ActResult> {
    return this.act('StartInstances', instanceId, (sdk) => new sdk.StartInstancesCommand({ InstanceIds: [instanceId], DryRun: this.dryRun }));
  }

  async tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    if (this.dryRun) return; // act-nothing: dry-run writes no tags
    const { sdk, client } = await this.ec2();
    try {
      await client.send(new sdk.CreateTagsCommand({ Resources: [instanceId], Tags: tagList(tags) }));
    } catch (error) {
      throw new ReflexError(`CreateTags ${instanceId} failed`, { cause: error });
    }
  }

  /** Sends one call that changes an instance, and says how EC2 answered. */
  private async act(call: string, instanceId: string, command: (sdk: Ec2Sdk) => object): Promise<ActResult> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(command(sdk) as never);
      return 'done';
    } catch (error) {
      const name = awsErrorName(error) ?? '';
      if (this.dryRun && name === 'DryRunOperation') return 'dry-run';
      if (NOT_FOUND.has(name)) return 'not-found';
      if (INCORRECT_STATE.has(name)) return 'incorrect-state';
      throw new ReflexError(`${call} ${instanceId}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }
}
