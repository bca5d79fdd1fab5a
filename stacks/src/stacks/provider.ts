import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Backend, type TerraformStack } from 'cdktf';
import type { EnvConfig } from '../envs';

/** Fake credentials a local AWS API accepts; they are only ever written for an environment with an endpoint. */
const LOCAL_CREDENTIALS = { accessKey: 'test', secretKey: 'test' } as const;

/**
 * The AWS provider of a stack and its S3 state backend (the environment's bucket, `key`, S3-native locking).
 * A spoke stack's provider assumes the member account's deployment role and may act in that account only;
 * the state stays in the hub's bucket, reached with the deployer's own credentials.
 */
export function awsProviderAndState(
  stack: TerraformStack,
  env: EnvConfig,
  options: { readonly key: string; readonly assumeRoleArn?: string; readonly account?: string },
): AwsProvider {
  const assume = options.assumeRoleArn ? { assumeRole: [{ roleArn: options.assumeRoleArn, sessionName: `reflex-${env.name}-deploy` }] } : {};
  const local = env.endpoint
    ? {
        ...LOCAL_CREDENTIALS,
        skipCredentialsValidation: true,
        skipRequestingAccountId: true,
        skipMetadataApiCheck: 'true',
        s3UsePathStyle: true,
        endpoints: [
          Object.fromEntries(
            ['cloudwatch', 'dynamodb', 'ec2', 'events', 'iam', 'lambda', 'logs', 's3', 'sns', 'sqs', 'sts'].map((s) => [s, env.endpoint]),
          ),
        ],
      }
    : { allowedAccountIds: [options.account ?? env.account] };
  const provider = new AwsProvider(stack, 'aws', {
    region: env.region,
    defaultTags: [{ tags: { ...env.tags, 'reflex:env': env.name, 'managed-by': 'reflex' } }],
    ...assume,
    ...local,
  });

  new S3Backend(stack, {
    bucket: env.state.bucket,
    key: options.key,
    region: env.state.region ?? env.region,
    encrypt: true,
    ...(env.endpoint
      ? {
          ...LOCAL_CREDENTIALS,
          endpoints: { s3: env.endpoint, sts: env.endpoint, iam: env.endpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipRequestingAccountId: true,
          skipRegionValidation: true,
          skipMetadataApiCheck: true,
        }
      : {}),
  });
  // S3-native state locking (Terraform ≥ 1.10); cdktf 0.21's S3Backend has no property for it yet.
  stack.addOverride('terraform.backend.s3.use_lockfile', true);
  return provider;
}
