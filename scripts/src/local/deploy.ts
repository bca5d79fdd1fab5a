import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { loadManifests, type ReflexManifest, servesHttp, stateKey } from '@reflex/manifest';
import { checkSynthesized, ENVIRONMENTS, type EnvConfig, type EnvConfigInput, formatViolations, memberAccountsOf, resolveEnvironment, spokeStackName, STACK_NAME, synthAll } from '@reflex/stacks';
import { terraform, terraformEnv } from '@reflex/stacks/terraform';
import { bundleFunction } from '../lib/bundle';
import { createMemberAccount, localAwsEnv, localClientConfig } from '@reflex/local-aws';

/** One reflex as deployed into the local AWS: its queues and the environment its function gets. */
export interface DeployedReflex {
  readonly manifest: ReflexManifest;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly environment: Record<string, string>;
  /** Who consumes the queue: the reflex's bundle (the local runner) or an external worker. */
  readonly consumer: 'function' | 'worker';
}

/** A reflex with http triggers as deployed locally: the local runner serves its routes. */
export interface DeployedHttpReflex {
  readonly manifest: ReflexManifest;
  readonly environment: Record<string, string>;
}

/** The `local` environment as applied into a local AWS API. */
export interface LocalDeployment {
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  readonly busName: string;
  /** The audit queue that receives every Reflex Action event. */
  readonly actionsQueueUrl: string;
  readonly reflexes: readonly DeployedReflex[];
  /** The reflexes with http triggers, whose routes the local runner serves. */
  readonly httpReflexes: readonly DeployedHttpReflex[];
  /** The Terraform working directory of the local stack. */
  readonly stackDir: string;
  /** The member accounts, each with its applied spoke stack. */
  readonly members: readonly DeployedMember[];
}

/** A member account of the local environment, with its spoke stack as applied. */
export interface DeployedMember {
  readonly account: string;
  /** The role Terraform (and an operator) assumes there: what Organizations creates in an account. */
  readonly deploymentRoleArn: string;
  readonly stackDir: string;
  /** The spoke role of each reflex that acts in member accounts, by reflex. */
  readonly spokeRoles: Readonly<Record<string, string>>;
}

interface Outputs {
  reflex_bus_name: { value: string };
  actions_queue_url: { value: string };
  queues: { value: Record<string, { url: string; dlq_url: string; consumer: 'function' | 'worker' }> };
  function_environments: { value: Record<string, Record<string, string>> };
}

/** An environment with `configs` merged over its reflexes' configs. */
function withConfigs(input: EnvConfigInput, configs: Record<string, Record<string, unknown>>): EnvConfigInput {
  const reflexes = { ...input.reflexes };
  for (const [name, config] of Object.entries(configs)) {
    const settings = reflexes[name];
    if (!settings) throw new Error(`reflexConfigs: "${name}" is not a reflex of the local environment`);
    reflexes[name] = { ...settings, config: { ...(settings.config as Record<string, unknown> | undefined), ...config } };
  }
  return { ...input, reflexes };
}

/** Builds every reflex's bundle (`dist/functions/<name>/index.mjs`). */
export async function buildBundles(root: string, manifests?: readonly ReflexManifest[], log: (line: string) => void = () => {}): Promise<void> {
  log('building bundles (those whose sources changed)');
  await Promise.all((manifests ?? (await loadManifests(root))).map((m) => bundleFunction(root, m.name, { ifChanged: true })));
}

/** Resources Terraform creates at once: more than the local stack has, so no wave waits for a free slot. */
const APPLY_PARALLELISM = 64;

/** One line of `terraform apply -json` (Terraform's machine-readable UI), as far as the local mode reads it. */
interface UiMessage {
  readonly type?: string;
  readonly '@level'?: string;
  readonly '@message'?: string;
  readonly changes?: { add: number; change: number; remove: number; import?: number; operation: string };
  readonly hook?: { resource?: { addr?: string }; action?: string };
  readonly outputs?: Record<string, { value?: unknown }>;
  readonly diagnostic?: { severity?: string; summary?: string; detail?: string; address?: string };
}

/**
 * Reads `terraform apply -json` as it runs: logs resources done/total at most every few seconds and at least
 * every ten (most of an apply into moto is the provider's waits on SQS, which print nothing), calls
 * `onFirstResource` when the first resource is created (the plan's provider start-ups are over), and keeps
 * the outputs and error diagnostics Terraform reports.
 */
function applyProgress(log: (line: string) => void, now = () => Date.now(), onFirstResource?: () => void) {
  const started = now();
  let total: number | undefined;
  let done = 0;
  let shown = -1;
  let lastShown = started;
  let outputs: Record<string, { value?: unknown }> | undefined;
  const errors: string[] = [];
  const show = () => {
    shown = done;
    lastShown = now();
    log(`terraform apply: ${done}/${total ?? '?'} resources (${Math.round((lastShown - started) / 1000)} s)`);
  };
  // A line at least every ten seconds, however long the provider waits in silence.
  const heartbeat = setInterval(() => now() - lastShown >= 10_000 && show(), 1000);
  heartbeat.unref();
  return {
    line(line: string) {
      let message: UiMessage;
      try {
        message = JSON.parse(line) as UiMessage;
      } catch {
        return; // not a UI message (a provider's stray output)
      }
      if (message.type === 'change_summary' && message.changes?.operation === 'plan') {
        total = message.changes.add + message.changes.change + message.changes.remove;
        show();
      } else if (message.type === 'apply_complete' && !message.hook?.resource?.addr?.startsWith('data.')) {
        if (done++ === 0) onFirstResource?.();
        if (done === total || now() - lastShown >= 3000) show();
      } else if (message.type === 'outputs' && Object.values(message.outputs ?? {}).some((o) => 'value' in o)) {
        outputs = message.outputs;
      } else if (message.type === 'diagnostic' && message.diagnostic?.severity === 'error') {
        const { summary, detail, address } = message.diagnostic;
        errors.push([address, summary, detail?.replace(/\s+/g, ' ')].filter(Boolean).join(': '));
      }
    },
    done() {
      clearInterval(heartbeat);
      if (shown !== done && total !== undefined) show();
    },
    /** The outputs the apply reported at its end. */
    get outputs() {
      return outputs;
    },
    /** Terraform's error diagnostics, one line each. */
    get errors(): readonly string[] {
      return errors;
    },
  };
}

/**
 * Builds the bundles, synthesizes the `local` environment against `endpoint`, and applies it there with
 * Terraform, state in the local S3 (`reflex/local/reflex.tfstate`).
 */
export async function deployLocal(options: {
  root: string;
  endpoint: string;
  log?: (line: string) => void;
  /** The bundles, built already or being built (see {@link buildBundles}). @default built here */
  bundled?: Promise<unknown>;
  /**
   * Work to run while Terraform waits on the provider (after the plan, when the first resource is created:
   * the plan's provider start-ups want both cores); awaited before this resolves.
   */
  whileApplying?: () => Promise<unknown>;
  /** Stops Terraform (init, apply) when aborted. */
  signal?: AbortSignal;
  /**
   * Where the synthesized Terraform and its working directory go. @default `.reflex/local/cdktf.out`, the
   * local mode's (tests take their own, so that they never touch a running local mode's)
   */
  outdir?: string;
  /**
   * Config merged over a reflex's config in the local environment for this apply: resources the local AWS
   * creates first (the route demo's transit gateway and VPN) cannot be named in stacks/src/envs/local.ts.
   */
  reflexConfigs?: Record<string, Record<string, unknown>> | Promise<Record<string, Record<string, unknown>> | undefined>;
}): Promise<LocalDeployment> {
  const { root, endpoint } = options;
  const log = options.log ?? (() => {});
  const declared = ENVIRONMENTS.find((e) => e.name === 'local');
  if (!declared) throw new Error('no "local" environment in stacks/src/envs');
  const manifests = await loadManifests(root);
  const { env } = resolveEnvironment({ ...declared, endpoint }, manifests);

  if (options.bundled) await options.bundled;
  else await buildBundles(root, manifests, log);
  // Awaited only now: what it names is created in the local AWS while the bundles build.
  const localInput = withConfigs(declared, (await options.reflexConfigs) ?? {});

  log(`synthesizing the local environment against ${endpoint}`);
  const outdir = options.outdir ?? join(root, '.reflex', 'local', 'cdktf.out');
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
  // Each member account's spoke stack: set up and initialized beside the hub's init, applied while the hub's
  // apply waits on SQS (it names the hub's bus by ARN, no output of it), into the account moto keeps for it.
  const prepared = prepareSpokes({ ...options, env, outdir, tfEnv });
  prepared.catch(() => {}); // awaited below; a failure surfaces there
  let spokes: Promise<DeployedMember[]> | undefined;
  const startSpokes = () => {
    spokes ??= prepared.then((members) => applySpokes(members, { ...options, env, tfEnv, log }));
    spokes.catch(() => {}); // awaited below; a failure surfaces there
    return spokes;
  };
  log('terraform init');
  await terraform(['init', '-input=false', '-reconfigure', '-no-color'], { cwd: stackDir, env: tfEnv, signal: options.signal });
  let meanwhile: Promise<unknown> | undefined;
  let applyFailed = false;
  const progress = applyProgress(log, Date.now, () => (meanwhile = Promise.all([options.whileApplying?.(), startSpokes()])));
  try {
    // Every resource that can go at once does: the queues' ~25 s provider waits overlap (see SecureQueue).
    // -json: progress and outputs in one machine-readable stream (no second `terraform output` run).
    await terraform(['apply', '-auto-approve', '-input=false', '-json', `-parallelism=${APPLY_PARALLELISM}`], {
      cwd: stackDir,
      env: tfEnv,
      onLine: progress.line,
      signal: options.signal,
    });
  } catch (error) {
    applyFailed = true;
    if (progress.errors.length === 0) throw error;
    throw new Error(`terraform apply failed in ${stackDir}: ${progress.errors.join('; ')}`);
  } finally {
    progress.done();
    // The hub's own error, when it has one, is the one to report: the work meanwhile only settles here.
    const [settled] = await Promise.allSettled([meanwhile]);
    if (settled.status === 'rejected' && !applyFailed) throw settled.reason;
  }
  const outputs = progress.outputs as Outputs | undefined;
  if (!outputs) throw new Error(`terraform apply in ${stackDir} reported no outputs`);
  log(`applied ${STACK_NAME} for local; state in s3://${env.state.bucket}/reflex/local/${STACK_NAME}.tfstate`);
  const members = await startSpokes();

  return {
    endpoint,
    region: env.region,
    account: env.account,
    busName: outputs.reflex_bus_name.value,
    actionsQueueUrl: outputs.actions_queue_url.value,
    stackDir,
    members,
    httpReflexes: manifests
      .filter((m) => servesHttp(m) && outputs.function_environments.value[m.name])
      .map((manifest) => ({ manifest, environment: outputs.function_environments.value[manifest.name]! })),
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

/** A member account whose spoke stack is initialized: ready to apply. */
interface PreparedMember {
  readonly account: string;
  readonly deploymentRoleArn: string;
  readonly stackDir: string;
}

/**
 * Gives every member account of the local environment what AWS Organizations gives a new account (the role the
 * spoke's provider assumes), then `terraform init`s its spoke stack; all members at once.
 */
function prepareSpokes(options: {
  endpoint: string;
  env: EnvConfig;
  outdir: string;
  tfEnv: Record<string, string>;
  signal?: AbortSignal;
}): Promise<PreparedMember[]> {
  const { env, endpoint } = options;
  return Promise.all(
    memberAccountsOf(env).map(async (member) => {
      const roleName = member.deploymentRoleArn.split('/').pop()!;
      await createMemberAccount(endpoint, env.region, { account: member.account, hub: env.account, roleName });
      const stackDir = join(options.outdir, 'stacks', `${env.name}-${spokeStackName(member.account)}`);
      await terraform(['init', '-input=false', '-reconfigure', '-no-color'], { cwd: stackDir, env: options.tfEnv, signal: options.signal });
      return { account: member.account, deploymentRoleArn: member.deploymentRoleArn, stackDir };
    }),
  );
}

/** Applies the spoke stacks of the prepared members, all at once. */
async function applySpokes(
  members: readonly PreparedMember[],
  options: { env: EnvConfig; tfEnv: Record<string, string>; log: (line: string) => void; signal?: AbortSignal },
): Promise<DeployedMember[]> {
  const { env } = options;
  return Promise.all(
    members.map(async (member) => {
      const cwd = member.stackDir;
      // The hub's reader of Terraform's UI, for its outputs and errors; the spoke's progress is not shown.
      const progress = applyProgress(() => {});
      try {
        await terraform(['apply', '-auto-approve', '-input=false', '-json', `-parallelism=${APPLY_PARALLELISM}`], {
          cwd,
          env: options.tfEnv,
          signal: options.signal,
          onLine: progress.line,
        });
      } catch (error) {
        if (progress.errors.length === 0) throw error;
        throw new Error(`terraform apply of the spoke stack of ${member.account} failed in ${cwd}: ${progress.errors.join('; ')}`);
      } finally {
        progress.done();
      }
      const roles = (progress.outputs?.spoke_roles?.value ?? {}) as Record<string, string>;
      options.log(
        `applied the spoke stack of member account ${member.account} (${Object.keys(roles).length} spoke roles, forwarding to the hub's bus); state in s3://${env.state.bucket}/${stateKey(env.name, spokeStackName(member.account))}`,
      );
      return { account: member.account, deploymentRoleArn: member.deploymentRoleArn, stackDir: cwd, spokeRoles: roles };
    }),
  );
}

/** What `saveDeployment` records of an applied local environment, for `pnpm start --resume`. */
export interface SavedDeployment {
  readonly endpoint: string;
  readonly region: string;
  readonly account: string;
  readonly busName: string;
  readonly actionsQueueUrl: string;
  readonly stackDir: string;
  readonly appliedAt: string;
  readonly reflexes: readonly (Omit<DeployedReflex, 'manifest'> & { readonly name: string })[];
  readonly members?: readonly DeployedMember[];
  readonly httpReflexes?: readonly { readonly name: string; readonly environment: Record<string, string> }[];
  /** Where the local runner of the recorded run serves the http triggers (`reflex routes get` calls it). */
  readonly apiUrl?: string;
}

const deploymentFile = (root: string) => join(root, '.reflex', 'local', 'deployment.json');

/** Records an applied local environment (`.reflex/local/deployment.json`). */
export function saveDeployment(root: string, deployment: LocalDeployment, file = deploymentFile(root), apiUrl?: string): void {
  const saved: SavedDeployment = {
    endpoint: deployment.endpoint,
    region: deployment.region,
    account: deployment.account,
    busName: deployment.busName,
    actionsQueueUrl: deployment.actionsQueueUrl,
    stackDir: deployment.stackDir,
    appliedAt: new Date().toISOString(),
    reflexes: deployment.reflexes.map(({ manifest, ...rest }) => ({ name: manifest.name, ...rest })),
    members: deployment.members,
    httpReflexes: deployment.httpReflexes.map(({ manifest, environment }) => ({ name: manifest.name, environment })),
    ...(apiUrl ? { apiUrl } : {}),
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
}

/** The local environment the last run applied, if it recorded one. */
export function savedDeployment(root: string, file = deploymentFile(root)): SavedDeployment | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SavedDeployment;
  } catch {
    return undefined;
  }
}

/**
 * The recorded local environment at `endpoint`, with this checkout's manifests, once its queues answer there.
 *
 * @throws Error naming the queue when the local AWS no longer has it (a new server: apply again).
 */
export async function reattach(root: string, saved: SavedDeployment, endpoint: string): Promise<LocalDeployment> {
  const manifests = new Map((await loadManifests(root)).map((m) => [m.name, m]));
  const sqs = new SQSClient(localClientConfig(endpoint, saved.region));
  try {
    for (const reflex of saved.reflexes) {
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: reflex.queueUrl, AttributeNames: ['QueueArn'] })).catch((error: unknown) => {
        throw new Error(`the local AWS at ${endpoint} has no queue ${reflex.queueUrl}: start without --resume to apply again`, { cause: error });
      });
    }
  } finally {
    sqs.destroy();
  }
  return {
    endpoint,
    region: saved.region,
    account: saved.account ?? '123456789012',
    busName: saved.busName,
    actionsQueueUrl: saved.actionsQueueUrl,
    stackDir: saved.stackDir,
    members: saved.members ?? [],
    reflexes: saved.reflexes.flatMap(({ name, ...rest }) => {
      const manifest = manifests.get(name);
      return manifest ? [{ manifest, ...rest }] : [];
    }),
    httpReflexes: (saved.httpReflexes ?? []).flatMap(({ name, environment }) => {
      const manifest = manifests.get(name);
      return manifest ? [{ manifest, environment }] : [];
    }),
  };
}
