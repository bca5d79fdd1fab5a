import { randomUUID } from 'node:crypto';
import { ScheduledEventSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { ConfigError, reflexHandler } from '@reflex/lambda-kit';
import { AwsResources } from './adapters/aws';
import { CloudWatchMetrics } from './adapters/cloudwatch';
import { DynamoReaperState } from './adapters/dynamodb';
import { Ec2Resources } from './adapters/ec2';
import { Elbv2Resources } from './adapters/elbv2';
import { reaper } from './core';
import { manifest, ReaperConfigSchema } from './manifest';

/**
 * The function's environment with REFLEX_DRY_RUN=true while the config keeps `dryRun` (its default): the
 * kit then runs, and reports every Reflex Action, as dry-run — whatever the environment says.
 */
export function withConfigDryRun(env: Record<string, string | undefined>): Record<string, string | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(env.REFLEX_CONFIG ?? '{}');
  } catch {
    return env; // the kit reports the bad config
  }
  const parsed = z.safeParse(ReaperConfigSchema, raw);
  return parsed.success && parsed.data.dryRun ? { ...env, REFLEX_DRY_RUN: 'true' } : env;
}

export const handler = reflexHandler({
  manifest,
  schema: ScheduledEventSchema,
  env: withConfigDryRun(process.env),
  init: ({ config, dryRun, log, stateTable }) => {
    if (!stateTable) throw new ConfigError('reflex "reaper": REFLEX_STATE_TABLE is not set');
    const resources = new AwsResources(new Ec2Resources(dryRun), new Elbv2Resources(dryRun));
    const state = new DynamoReaperState(stateTable);
    const metrics = config.idle ? new CloudWatchMetrics() : undefined;
    return (event) =>
      reaper(event, {
        inventory: resources,
        actions: resources,
        ...(metrics ? { metrics } : {}),
        state,
        config,
        log,
        dryRun,
        holder: randomUUID(),
        leaseMs: manifest.timeoutSeconds * 1000,
      });
  },
});
