import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadManifests, type ReflexManifest } from '@reflex/manifest';
import { checkSynthesized, ENVIRONMENTS, formatViolations, resolveEnvironment, STACK_NAME, synthAll } from '@reflex/stacks';
import { terraform, terraformEnv } from '@reflex/stacks/terraform';
import { bundleFunction } from '../lib/bundle';
import { localAwsEnv, localClientConfig } from '@reflex/local-aws';

/** One reflex as deployed into the local AWS: its queues and the environment its function gets. */
export interface DeployedReflex {
  readonly manifest: ReflexManifest;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly environment: Record<string, string>;
  /** Who consumes the queue: the reflex's bundle (the local runner) or an external worker. */
  readonly consumer: 'function' | 'worker';
}

/** The `local` environment as applied into a local AWS API. */
export interface LocalDeployment {
  readonly endpoint: string;
  readonly region: string;
  readonly busName: string;
  /** The audit queue that receives every Reflex Action event. */
  readonly actionsQueueUrl: string;
  readonly reflexes: readonly DeployedReflex[];
  /** The Terraform working directory of the local stack. */
  readonly stackDir: string;
}

interface Outputs {
  reflex_bus_name: { value: string };
  actions_queue_url: { value: string };
  queues: { value: Record<string, { url: string; dlq_url: string; consumer: 'function' | 'worker' }> };
  function_environments: { value: Record<string, Record<string, string>> };
}

/**
 * Builds the bundles, synthesizes the `local` environment against `endpoint`, and applies it there with
 * Terraform, state in the local S3 (`reflex/local/reflex.tfstate`).
 */
export async function deployLocal(options: {
  root: string;
  endpoint: string;
  log?: (line: string) => void;
}): Promise<LocalDeployment> {
  const { root, endpoint } = options;
  const log = options.log ?? (() => {});
  const localInput = ENVIRONMENTS.find((e) => e.name === 'local');
  if (!localInput) throw new Error('no "local" environment in stacks/src/envs');
  const manifests = await loadManifests(root);
  const { env } = resolveEnvironment({ ...localInput, endpoint }, manifests);

  log('building bundles');
  await Promise.all(manifests.map((m) => bundleFunction(root, m.name)));

  log(`synthesizing the local environment against ${endpoint}`);
  const outdir = join(root, '.reflex', 'local', 'cdktf.out');
  await synthAll({ root, outdir, environments: [{ ...localInput, endpoint }], manifests });
  const violations = checkSynthesized(outdir);
  if (violations.length > 0) throw new Error(formatViolations(violations));

  const s3 = new S3Client({ ...localClientConfig(endpoint, env.state.region ?? env.region), forcePathStyle: true });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: env.state.bucket }));
  } catch (error) {
    if (!['BucketAlreadyOwnedByYou', 'BucketAlreadyExists'].includes((error as Error).name)) throw error;
  } finally {
    s3.destroy();
  }

  const stackDir = join(outdir, 'stacks', env.name);
  const tfEnv = { ...terraformEnv(root), ...localAwsEnv(endpoint, env.region) };
  log('terraform init');
  await terraform(['init', '-input=false', '-reconfigure', '-no-color'], { cwd: stackDir, env: tfEnv });
  log('terraform apply');
  await terraform(['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: stackDir, env: tfEnv });
  const { stdout } = await terraform(['output', '-json', '-no-color'], { cwd: stackDir, env: tfEnv });
  const outputs = JSON.parse(stdout) as Outputs;
  log(`applied ${STACK_NAME} for local; state in s3://${env.state.bucket}/reflex/local/${STACK_NAME}.tfstate`);

  return {
    endpoint,
    region: env.region,
    busName: outputs.reflex_bus_name.value,
    actionsQueueUrl: outputs.actions_queue_url.value,
    stackDir,
    reflexes: manifests
      .filter((m) => outputs.queues.value[m.name])
      .map((manifest) => ({
        manifest,
        queueUrl: outputs.queues.value[manifest.name]!.url,
        dlqUrl: outputs.queues.value[manifest.name]!.dlq_url,
        environment: outputs.function_environments.value[manifest.name]!,
        consumer: outputs.queues.value[manifest.name]!.consumer,
      })),
  };
}
