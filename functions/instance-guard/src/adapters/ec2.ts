import type { EC2Client } from '@aws-sdk/client-ec2';
import { accountSdk, awsErrorName, type LoadedSdk, ReflexError, tagList, tagRecord } from '@reflex/lambda-kit';
import type { InstancesPort, InstanceView, StartResult } from '../ports';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type LoadEc2 = () => Promise<LoadedSdk<Ec2Sdk, EC2Client>>;

/** The EC2 client of the account and Region of the event being handled (its spoke role in a member account), loaded on first use. */
export const defaultEc2: LoadEc2 = accountSdk(() => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));


/** EC2 instances through the AWS SDK; with `dryRun`, StartInstances is sent with `DryRun: true`. */
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
      if (!instance) return undefined;
      const tags = tagRecord(instance.Tags);
      return { id: instanceId, state: instance.State?.Name ?? 'unknown', tags };
    } catch (error) {
      if (awsErrorName(error) === 'InvalidInstanceID.NotFound') return undefined;
      throw new ReflexError(`DescribeInstances ${instanceId} failed`, { cause: error });
    }
  }

  async tag(instanceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    if (this.dryRun) return; // act-nothing: dry-run writes no tags
    const { sdk, client } = await this.ec2();
    try {
      await client.send(
        new sdk.CreateTagsCommand({ Resources: [instanceId], Tags: tagList(tags) }),
      );
    } catch (error) {
      throw new ReflexError(`CreateTags ${instanceId} failed`, { cause: error });
    }
  }

  async start(instanceId: string): Promise<StartResult> {
    const { sdk, client } = await this.ec2();
    try {
      await client.send(new sdk.StartInstancesCommand({ InstanceIds: [instanceId], DryRun: this.dryRun }));
      return 'started';
    } catch (error) {
      if (this.dryRun && awsErrorName(error) === 'DryRunOperation') return 'dry-run';
      if (awsErrorName(error) === 'IncorrectInstanceState') return 'incorrect-state';
      throw new ReflexError(`StartInstances ${instanceId}${this.dryRun ? ' (dry-run)' : ''} failed`, { cause: error });
    }
  }
}
