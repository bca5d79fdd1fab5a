import { EC2Client } from '@aws-sdk/client-ec2';
import { localClientConfig } from './aws-env';
import { type LocalAws, startMoto } from './moto';

/** A moto server with an EC2 client for the test's own setup, and a loader for the adapter under test. */
export interface LocalEc2 {
  readonly aws: LocalAws;
  /** For arranging and checking: launch, tag, describe. */
  readonly ec2: EC2Client;
  /** What an adapter takes (`new Ec2Instances(dryRun, loadEc2)`) in place of its lazy loader: the SDK and a client of moto. */
  readonly loadEc2: () => Promise<{ readonly sdk: typeof import('@aws-sdk/client-ec2'); readonly client: EC2Client }>;
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
  const sdk = await import('@aws-sdk/client-ec2');
  const loaded = { sdk, client: new sdk.EC2Client(localClientConfig(aws.endpoint)) };
  const loadEc2 = async () => loaded;
  return {
    aws,
    ec2,
    loadEc2,
    async stop() {
      ec2.destroy();
      loaded.client.destroy();
      await aws.stop();
    },
  };
}
