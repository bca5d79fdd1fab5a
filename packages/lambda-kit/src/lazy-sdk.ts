/** An AWS SDK client module and one client built from it. */
export interface LoadedSdk<M, C> {
  readonly sdk: M;
  readonly client: C;
}

/**
 * Loads an AWS SDK client module on first use, once. The Lambda runtime provides SDK v3, and
 * importing a client costs 100–300 ms: loading it lazily keeps a bundle's cold load near bare
 * Node's and spares events that never reach AWS (malformed, loop-guarded, filtered out).
 * A failed load (or client construction) is retried on the next use.
 *
 * @example
 * const ec2 = lazySdk(() => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client({}));
 * const { sdk, client } = await ec2();
 * await client.send(new sdk.DescribeInstancesCommand({}));
 */
export function lazySdk<M, C>(load: () => Promise<M>, create: (sdk: M) => C): () => Promise<LoadedSdk<M, C>> {
  let loading: Promise<LoadedSdk<M, C>> | undefined;
  return () =>
    (loading ??= load()
      .then((sdk) => ({ sdk, client: create(sdk) }))
      .catch((error: unknown) => {
        loading = undefined;
        throw error;
      }));
}
