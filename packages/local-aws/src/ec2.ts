import {
  CreateTagsCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  type EC2Client,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';

/**
 * The first Amazon image of each local AWS, by endpoint: moto answers DescribeImages by owner in ~0.7 s (it
 * filters its whole AMI catalogue), and its image ids do not change, so each endpoint is asked once.
 */
const images = new Map<string, Promise<string>>();

/**
 * The id of the local AWS's first Amazon image, asked once per endpoint.
 *
 * @example
 * await ec2.send(new RunInstancesCommand({ ImageId: await firstAmazonImage(ec2), MinCount: 1, MaxCount: 1 }));
 */
export async function firstAmazonImage(ec2: EC2Client): Promise<string> {
  const endpoint = await ec2.config.endpoint?.();
  const key = endpoint ? `${endpoint.protocol}//${endpoint.hostname}:${endpoint.port ?? ''}${endpoint.path}` : undefined;
  const cached = key ? images.get(key) : undefined;
  if (cached) return cached;
  const lookup = ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 })).then((out) => {
    const imageId = out.Images?.[0]?.ImageId;
    if (!imageId) throw new Error('the local AWS lists no AMI to launch');
    return imageId;
  });
  if (key) images.set(key, lookup);
  // A failed lookup is not kept: the next launch asks again.
  lookup.catch(() => key && images.delete(key));
  return lookup;
}

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
  const imageId = await firstAmazonImage(ec2);
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
