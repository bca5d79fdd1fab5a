import { EC2Client } from '@aws-sdk/client-ec2';
import { lazySdk, type LoadedSdk } from '@reflex/lambda-kit';
import { localClientConfig } from './aws-env';
import { type LocalAws, startMoto } from './moto';

/** A moto server with an EC2 client for the test's own setup, and a loader for the adapter under test. */
export interface LocalEc2 {
  readonly aws: LocalAws;
  /** For arranging and checking: launch, tag, describe. */
  readonly ec2: EC2Client;
  /** What an adapter takes (`new Ec2Instances(dryRun, loadEc2)`): the SDK loaded lazily, as in Lambda. */
  readonly loadEc2: () => Promise<LoadedSdk<typeof import('@aws-sdk/client-ec2'), EC2Client>>;
  stop(): Promise<void>;
}

/**
 * Starts moto server and the EC2 clients adapter tests need.
 *
 * @example
 * let local: LocalEc2;
 * beforeAll(async () => (local = await startLocalEc2()), 30_000);
 * afterAll(() => local?.stop());
 */
export async function startLocalEc2(): Promise<LocalEc2> {
  const aws = await startMoto();
  const ec2 = new EC2Client(localClientConfig(aws.endpoint));
  const loadEc2 = lazySdk(async () => import('@aws-sdk/client-ec2'), (sdk) => new sdk.EC2Client(localClientConfig(aws.endpoint)));
  return {
    aws,
    ec2,
    loadEc2,
    async stop() {
      ec2.destroy();
      await aws.stop();
    },
  };
}
