import {
  analyzeLoops,
  awsName,
  checkPatterns,
  describeIssues,
  describeEdge,
  describeLoop,
  httpRouteKey,
  InvalidManifestError,
  LOOP_ADVICE,
  type LoopAnalysis,
  permissionsOf,
  type ReflexManifest,
  servesHttp,
  type Trigger,
  triggersOf,
} from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { dev } from './dev';
import { local } from './local';
import { prod } from './prod';
import { type EnvConfig, type EnvConfigInput, EnvConfigSchema } from './schema';
import { staging } from './staging';

export * from './schema';

/**
 * A reflex that acts in member accounts through a spoke role there: its manifest says so (`spokes`), and it is
 * a function that consumes events with AWS permissions. Workers and http reflexes act with their own principal.
 */
export function actsInSpokes(reflex: ResolvedReflex): boolean {
  return (
    reflex.manifest.spokes !== 'none' &&
    reflex.consumer === 'function' &&
    !servesHttp(reflex) &&
    permissionsOf(reflex.manifest, reflex.config).length > 0
  );
}

/** The ARN of a reflex's function role in the hub account; its spoke roles carry the same name. */
export function hubRoleArn(env: EnvConfig, reflex: string): string {
  return `arn:${env.partition}:iam::${env.account}:role/${awsName(env.name, reflex)}`;
}

/** The ARN of a reflex's spoke role in a member account. */
export function spokeRoleArn(env: EnvConfig, reflex: string, account: string): string {
  return `arn:${env.partition}:iam::${account}:role/${awsName(env.name, reflex)}`;
}

/**
 * The trust statement of a spoke role: the reflex's function role in the hub, by ARN (never an account's
 * root), with the environment's external id and organization as conditions.
 */
export function spokeTrust(env: EnvConfig, reflex: string) {
  return {
    sid: 'HubFunctionRole',
    effect: 'Allow',
    actions: ['sts:AssumeRole'],
    principals: [{ type: 'AWS', identifiers: [hubRoleArn(env, reflex)] }],
    condition: [
      ...(env.spokes.externalId ? [{ test: 'StringEquals', variable: 'sts:ExternalId', values: [env.spokes.externalId] }] : []),
      ...(env.spokes.organizationId ? [{ test: 'StringEquals', variable: 'aws:PrincipalOrgID', values: [env.spokes.organizationId] }] : []),
    ],
  };
}

/** Every environment, in deployment order. */
export const ENVIRONMENTS: readonly EnvConfigInput[] = [local, dev, staging, prod];

/** A configuration that cannot be deployed; the message names the environment and the field. */
export class InvalidEnvConfigError extends Error {
  override readonly name = 'InvalidEnvConfigError';
}

/** An enabled reflex of one environment, with its validated config. */
export interface ResolvedReflex {
  readonly manifest: ReflexManifest;
  readonly config: unknown;
  /** The triggers for this config (`triggersOf`): the stacks build rules and forwarding from these. */
  readonly triggers: readonly Trigger[];
  readonly dryRun: boolean;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly consumer: 'function' | 'worker';
}

/**
 * Validates an environment and the config of each reflex it enables against the reflex's manifest, and
 * looks for loops between its reflexes (`environmentLoops`).
 *
 * @throws InvalidEnvConfigError naming the environment and the field.
 */
export function resolveEnvironment(
  input: EnvConfigInput,
  manifests: readonly ReflexManifest[],
  options: { readonly loops?: 'fail' | 'report' } = {},
): { env: EnvConfig; reflexes: ResolvedReflex[] } {
  const label = typeof input?.name === 'string' ? input.name : '(unnamed)';
  const parsed = EnvConfigSchema.safeParse(input);
  if (!parsed.success) throw new InvalidEnvConfigError(`environment "${label}": ${describeIssues(parsed.error)}`);
  const env = parsed.data;
  const known = new Map(manifests.map((m) => [m.name, m]));
  for (const name of Object.keys(env.reflexes)) {
    if (!known.has(name)) {
      throw new InvalidEnvConfigError(
        `environment "${env.name}": reflexes.${name}: no such reflex (known: ${[...known.keys()].join(', ')})`,
      );
    }
  }
  const reflexes: ResolvedReflex[] = [];
  for (const [name, settings] of Object.entries(env.reflexes)) {
    if (!settings.enabled) continue;
    const manifest = known.get(name)!;
    // Manifests made with defineReflex are checked already; this catches hand-built ones.
    checkPatterns(manifest);
    const config = z.safeParse(manifest.config, settings.config ?? {});
    if (!config.success) {
      throw new InvalidEnvConfigError(
        `environment "${env.name}": ${describeIssues(config.error, `reflexes.${name}.config`)}`,
      );
    }
    reflexes.push({
      manifest,
      config: config.data,
      triggers: resolvedTriggers(env.name, manifest, config.data),
      dryRun: settings.dryRun ?? env.dryRun,
      memoryMb: settings.memoryMb ?? manifest.memoryMb,
      timeoutSeconds: settings.timeoutSeconds ?? manifest.timeoutSeconds,
      consumer: settings.consumer,
    });
  }
  checkQueueWiring(env.name, reflexes);
  checkHttp(env, reflexes);
  // `reflex check loops` reports loops itself; everything else (synth) fails on one.
  if (options.loops !== 'report') checkLoops(env.name, reflexes);
  return { env, reflexes };
}

/**
 * The loop analysis of an environment's reflexes, with their config's triggers and permissions: which
 * reflex's actions may trigger which, and the guards that cut each edge (`reflex check loops` prints it).
 */
export function environmentLoops(envName: string, reflexes: readonly ResolvedReflex[]): LoopAnalysis {
  return analyzeLoops(
    reflexes.map((r) => ({
      name: r.manifest.name,
      triggers: r.triggers,
      permissions: permissionsOf(r.manifest, r.config),
      sendsTo: r.manifest.sendsTo,
      loopGuard: r.manifest.loopGuard,
      caller: r.consumer === 'worker' ? 'worker' : 'role',
    })),
    envName,
  );
}

/** A loop between reflexes with an edge no guard cuts fails synth, naming the chain. */
function checkLoops(envName: string, reflexes: readonly ResolvedReflex[]): void {
  const analysis = environmentLoops(envName, reflexes);
  const failing = analysis.loops.filter((l) => l.uncut.length > 0);
  if (failing.length === 0 && analysis.uncutOnLoops.length > 0) {
    // More cycles than the analysis lists: the edges say enough.
    throw new InvalidEnvConfigError(
      `environment "${envName}": reflex loops: these edges lie on loops and nothing cuts them:\n${analysis.uncutOnLoops.map((e) => `  ${describeEdge(e)}`).join('\n')}\n${LOOP_ADVICE}`,
    );
  }
  if (failing.length === 0) return;
  throw new InvalidEnvConfigError(
    `environment "${envName}": ${failing.length === 1 ? 'a reflex loop' : `${failing.length} reflex loops`}: ${failing.map(describeLoop).join('\n')}\n${LOOP_ADVICE}`,
  );
}

/** The reflex's triggers for its config; a bad one names the environment whose config made it. */
function resolvedTriggers(envName: string, manifest: ReflexManifest, config: unknown): readonly Trigger[] {
  try {
    return triggersOf(manifest, config);
  } catch (error) {
    if (!(error instanceof InvalidManifestError) || !manifest.triggersFor) throw error;
    throw new InvalidEnvConfigError(`environment "${envName}": ${error.message}`, { cause: error });
  }
}

/** Reflexes with http triggers run as functions, and route throttles name their routes (none is built without them). */
function checkHttp(env: EnvConfig, reflexes: readonly ResolvedReflex[]): void {
  const routes = new Set<string>();
  for (const reflex of reflexes) {
    if (!servesHttp(reflex)) continue;
    if (reflex.consumer === 'worker') {
      throw new InvalidEnvConfigError(`environment "${env.name}": reflexes.${reflex.manifest.name}.consumer: a reflex with http triggers answers requests; it has no queue for a worker`);
    }
    for (const t of reflex.triggers) if (t.kind === 'http') routes.add(httpRouteKey(t));
  }
  for (const key of Object.keys(env.api.routeThrottles)) {
    if (routes.size > 0 && !routes.has(key)) {
      throw new InvalidEnvConfigError(`environment "${env.name}": api.routeThrottles.${key}: no enabled reflex has this route (routes: ${[...routes].join(', ')})`);
    }
  }
}

/** Send targets must be enabled, queue-triggered reflexes that send on to nobody. */
function checkQueueWiring(envName: string, reflexes: readonly ResolvedReflex[]): void {
  const fail = (message: string): never => {
    throw new InvalidEnvConfigError(`environment "${envName}": ${message}`);
  };
  const byName = new Map(reflexes.map((r) => [r.manifest.name, r]));
  const queueTriggered = (r: ResolvedReflex) => r.triggers.some((t) => t.kind === 'queue');
  for (const reflex of reflexes) {
    const { name, sendsTo } = reflex.manifest;
    sendsTo.forEach((target, i) => {
      const to = byName.get(target);
      if (!to) fail(`reflexes.${name}: sendsTo.${i} names "${target}", which is not enabled in this environment`);
      else if (!queueTriggered(to)) fail(`reflexes.${name}: sendsTo.${i} names "${target}", which has no queue trigger`);
      else if (to.manifest.sendsTo.length > 0) fail(`reflexes.${target}: a reflex others send to may not send on itself`);
    });
  }
}
