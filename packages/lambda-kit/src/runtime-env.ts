import { describeIssues, ownRolePrefix, type ReflexManifest } from '@reflex/manifest';
import { z } from 'zod';
import { ConfigError } from './errors';

/** What the stacks (or the local runner) put in a reflex function's environment. */
export const RuntimeEnvSchema = z.object({
  REFLEX_ENV: z.string().min(1),
  REFLEX_BUS_NAME: z.string().min(1),
  REFLEX_DRY_RUN: z.enum(['true', 'false']),
  REFLEX_CONFIG: z.string().default('{}'),
  REFLEX_OWN_ROLE_PREFIX: z.string().min(1).optional(),
  /** Where Reflex Action events go: the reflex bus, or only the log (`reflex invoke` without --emit). */
  REFLEX_ACTIONS_SINK: z.enum(['eventbridge', 'log']).default('eventbridge'),
});

/** The runtime settings of one reflex, validated. */
export interface RuntimeSettings<C> {
  readonly env: string;
  readonly busName: string;
  readonly dryRun: boolean;
  readonly config: C;
  readonly ownRolePrefix: string;
  readonly actionsSink: 'eventbridge' | 'log';
}

/**
 * Reads and validates the function's environment and config.
 *
 * @throws ConfigError naming the variable or config field.
 */
export function readRuntimeSettings<C extends z.ZodType>(
  manifest: ReflexManifest<C>,
  source: Record<string, string | undefined>,
): RuntimeSettings<z.output<C>> {
  const env = RuntimeEnvSchema.safeParse(source);
  if (!env.success) throw new ConfigError(`reflex "${manifest.name}" environment: ${describeIssues(env.error)}`);
  let raw: unknown;
  try {
    raw = JSON.parse(env.data.REFLEX_CONFIG);
  } catch (cause) {
    throw new ConfigError(`reflex "${manifest.name}": REFLEX_CONFIG is not JSON`, { cause });
  }
  const config = manifest.config.safeParse(raw);
  if (!config.success) {
    throw new ConfigError(`reflex "${manifest.name}" config: ${describeIssues(config.error)}`);
  }
  return {
    env: env.data.REFLEX_ENV,
    busName: env.data.REFLEX_BUS_NAME,
    dryRun: env.data.REFLEX_DRY_RUN === 'true',
    config: config.data,
    ownRolePrefix: env.data.REFLEX_OWN_ROLE_PREFIX ?? ownRolePrefix(env.data.REFLEX_ENV),
    actionsSink: env.data.REFLEX_ACTIONS_SINK,
  };
}
