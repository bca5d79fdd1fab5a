import type { EC2Client } from '@aws-sdk/client-ec2';
import { REFLEX_TAGS } from '@reflex/events';
import { accountSdk, awsErrorName, describeError, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { BatchResult, ScheduledInstance, SchedulerPort } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the account and Region of the event being handled (its spoke role in a member account), loaded on first use. */
export const defaultEc2: LoadEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));


/**
 * Scheduled instances through the AWS SDK. Stop and start go in one call per batch; when a batch call
 * fails, each instance is tried alone so that one bad instance does not hold back the others. With
 * `dryRun`, calls carry `DryRun: true` and tags are not written.
 */
export class Ec2ScheduledInstances implements SchedulerPort {
  constructor(
    private readonly dryRun: boolean,
    private readonly ec2: LoadEc2 = defaultEc2,
  ) {}

  async listScheduled(): Promise<ScheduledInstance[]> {
    const { sdk, client } = await this.ec2();
    const instances: ScheduledInstance[] = [];
    let NextToken: string | undefined;
    do {
      const out = await client.send(
        new sdk.DescribeInstancesCommand({
          Filters: [
            { Name: 'tag-key', Values: [REFLEX_TAGS.schedule] },
            { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
          ],
          NextToken,
        }),
      );
      for (const i of (out.Reservations ?? []).flatMap((r) => r.Instances ?? [])) {
        const tags = tagRecord(i.Tags);
        instances.push({ id: i.InstanceId!, state: i.State?.Name ?? 'unknown', tags });
      }
      NextToken = out.NextToken;
    } while (NextToken);
    return instances;
  }

  async tag(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    if (this.dryRun || ids.length === 0) return;
    const { sdk, client } = await this.ec2();
    const Tags = tagList(tags);
    try {
      await client.send(new sdk.CreateTagsCommand({ Resources: [...ids], Tags }));
    } catch (error) {
      throw new ReflexError(`CreateTags on ${ids.length} instance(s) failed`, { cause: error });
    }
  }

  async untag(ids: readonly string[], keys: readonly string[]): Promise<void> {
    if (this.dryRun || ids.length === 0) return;
    const { sdk, client } = await this.ec2();
    try {
      await client.send(new sdk.DeleteTagsCommand({ Resources: [...ids], Tags: keys.map((Key) => ({ Key })) }));
    } catch (error) {
      throw new ReflexError(`DeleteTags on ${ids.length} instance(s) failed`, { cause: error });
    }
  }

  stop(ids: readonly string[]): Promise<BatchResult> {
    return this.batch(ids, 'stop');
  }

  start(ids: readonly string[]): Promise<BatchResult> {
    return this.batch(ids, 'start');
  }

  private async batch(ids: readonly string[], kind: 'stop' | 'start'): Promise<BatchResult> {
    const result: BatchResult = { done: [], incorrectState: [], failed: [], dryRun: this.dryRun };
    if (ids.length === 0) return result;
    const { sdk, client } = await this.ec2();
    const attempt = async (group: string[]): Promise<unknown> => {
      try {
        const input = { InstanceIds: group, DryRun: this.dryRun };
        await (kind === 'stop'
          ? client.send(new sdk.StopInstancesCommand(input))
          : client.send(new sdk.StartInstancesCommand(input)));
        return undefined;
      } catch (error) {
        return this.dryRun && awsErrorName(error) === 'DryRunOperation' ? undefined : error;
      }
    };
    const error = await attempt([...ids]);
    if (!error) {
      result.done.push(...ids);
      return result;
    }
    // The batch failed as a whole: find out instance by instance.
    for (const id of ids) {
      const alone = ids.length === 1 ? error : await attempt([id]);
      if (!alone) result.done.push(id);
      else if (awsErrorName(alone) === 'IncorrectInstanceState') result.incorrectState.push(id);
      else if (['RequestLimitExceeded', 'Throttling', 'ThrottlingException'].includes(awsErrorName(alone) ?? '')) {
        // Throttled even after the SDK's retries: fail the run so that the queue delivers it again.
        throw new ReflexError(`EC2 throttled the scheduler on ${id}`, { cause: alone });
      } else result.failed.push({ id, error: describeError(alone) });
    }
    return result;
  }
}
