import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';

/**
 * Launches `count` instances in the local AWS from its first Amazon image (in `subnetId`, else the default
 * subnet) and tags each with its own tags.
 *
 * @example
 * const [protectedId, otherId] = await launchInstances(ec2, [{ 'reflex:protect': 'true' }, {}]);
 */
export async function launchInstances(
  ec2: EC2Client,
  tags: readonly Record<string, string>[],
  options: { subnetId?: string } = {},
): Promise<string[]> {
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }));
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId) throw new Error('the local AWS lists no AMI to launch');
  const run = await ec2.send(
    new RunInstancesCommand({
      ImageId: imageId,
      InstanceType: 't3.micro',
      MinCount: tags.length,
      MaxCount: tags.length,
      ...(options.subnetId ? { SubnetId: options.subnetId } : {}),
    }),
  );
  const ids = (run.Instances ?? []).map((i) => i.InstanceId!);
  if (ids.length !== tags.length) throw new Error(`RunInstances returned ${ids.length} instances, not ${tags.length}`);
  for (const [i, id] of ids.entries()) {
    const entries = Object.entries(tags[i]!).map(([Key, Value]) => ({ Key, Value }));
    if (entries.length > 0) await ec2.send(new CreateTagsCommand({ Resources: [id], Tags: entries }));
  }
  return ids;
}

/** The current state of each instance, by id. */
export async function instanceStates(ec2: EC2Client, ids: readonly string[]): Promise<Map<string, string>> {
  const out = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [...ids] }));
  return new Map(
    (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => [i.InstanceId!, i.State?.Name ?? 'unknown']),
  );
}
