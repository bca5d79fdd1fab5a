import { describeIssues, ownRolePrefix, type ReflexManifest } from '@reflex/manifest';
import * as z from '@reflex/events/zod';
import { type Spokes, SpokesSchema } from './accounts';
import { ConfigError } from './errors';

/** What the stacks (or the local runner) put in a reflex function's environment. */
export const RuntimeEnvSchema = z.object({
  REFLEX_ENV: z.string().check(z.minLength(1)),
  REFLEX_BUS_NAME: z.string().check(z.minLength(1)),
  REFLEX_DRY_RUN: z.enum(['true', 'false']),
  REFLEX_CONFIG: z._default(z.string(), '{}'),
  REFLEX_OWN_ROLE_PREFIX: z.optional(z.string().check(z.minLength(1))),
  /** Where Reflex Action events go: the reflex bus, or only the log (`reflex invoke` without --emit). */
  REFLEX_ACTIONS_SINK: z._default(z.enum(['eventbridge', 'log']), 'eventbridge'),
  /** The URLs of the queues the manifest `sendsTo`, by reflex name, as JSON. */
  REFLEX_SEND_QUEUES: z._default(z.string(), '{}'),
  /** The name of the reflex's DynamoDB table, when its manifest declares `state`. */
  REFLEX_STATE_TABLE: z.optional(z.string().check(z.minLength(1))),
  /** For a reflex with http triggers: the IAM principals (ARNs) allowed to call it, as JSON; `[]` leaves it to IAM. */
  REFLEX_API_PRINCIPALS: z._default(z.string(), '[]'),
  /** For a reflex that acts in member accounts: the hub, the members, its spoke role's name and the external id, as JSON. */
  REFLEX_SPOKES: z.optional(z.string().check(z.minLength(1))),
});

const PrincipalsSchema = z.array(z.string().check(z.regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$/, 'an IAM principal ARN')));

const SendQueuesSchema = z.record(z.string(), z.string().check(z.minLength(1)));

/** The runtime settings of one reflex, validated. */
export interface RuntimeSettings<C> {
  readonly env: string;
  readonly busName: string;
  readonly dryRun: boolean;
  readonly config: C;
  readonly ownRolePrefix: string;
  readonly actionsSink: 'eventbridge' | 'log';
  /** The URL of each queue the manifest `sendsTo`, by reflex name. */
  readonly sendQueues: Readonly<Record<string, string>>;
  /** The name of the reflex's DynamoDB table (`REFLEX_STATE_TABLE`); set when the manifest declares `state`. */
  readonly stateTable?: string;
  /** The IAM principals allowed to call a reflex with http triggers (`REFLEX_API_PRINCIPALS`); empty: any caller IAM lets through. */
  readonly apiPrincipals: readonly string[];
  /** The member accounts it acts in through spoke roles (`REFLEX_SPOKES`); absent: it acts in its own account only. */
  readonly spokes?: Spokes;
}

/**
 * Reads and validates the function's environment and config.
 *
 * @throws ConfigError naming the variable or config field.
 */
export function readRuntimeSettings<C extends z.core.$ZodType>(
  manifest: ReflexManifest<C>,
  source: Record<string, string | undefined>,
): RuntimeSettings<z.output<C>> {
  const env = RuntimeEnvSchema.safeParse(source);
  if (!env.success) throw new ConfigError(`reflex "${manifest.name}" environment: ${describeIssues(env.error)}`);
  const config = parseJson(manifest, 'REFLEX_CONFIG', env.data.REFLEX_CONFIG, manifest.config, 'config');
  const sendQueues = parseJson(manifest, 'REFLEX_SEND_QUEUES', env.data.REFLEX_SEND_QUEUES, SendQueuesSchema);
  const missing = manifest.sendsTo.filter((target) => !sendQueues[target]);
  if (missing.length) {
    throw new ConfigError(`reflex "${manifest.name}": REFLEX_SEND_QUEUES has no queue URL for ${missing.join(', ')}`);
  }
  const stateTable = env.data.REFLEX_STATE_TABLE;
  if (manifest.state && !stateTable) {
    throw new ConfigError(`reflex "${manifest.name}": REFLEX_STATE_TABLE is not set, but the manifest declares state`);
  }
  return {
    env: env.data.REFLEX_ENV,
    busName: env.data.REFLEX_BUS_NAME,
    dryRun: env.data.REFLEX_DRY_RUN === 'true',
    config,
    ownRolePrefix: env.data.REFLEX_OWN_ROLE_PREFIX ?? ownRolePrefix(env.data.REFLEX_ENV),
    actionsSink: env.data.REFLEX_ACTIONS_SINK,
    sendQueues,
    apiPrincipals: parseJson(manifest, 'REFLEX_API_PRINCIPALS', env.data.REFLEX_API_PRINCIPALS, PrincipalsSchema),
    ...(stateTable ? { stateTable } : {}),
    ...(env.data.REFLEX_SPOKES ? { spokes: parseJson(manifest, 'REFLEX_SPOKES', env.data.REFLEX_SPOKES, SpokesSchema) } : {}),
  };
}

/** Parses a JSON environment variable with a schema; errors name the variable (or `label`) and the field. */
function parseJson<S extends z.core.$ZodType>(manifest: ReflexManifest, variable: string, text: string, schema: S, label = variable): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`reflex "${manifest.name}": ${variable} is not JSON`, { cause });
  }
  const parsed = z.safeParse(schema, raw);
  if (!parsed.success) throw new ConfigError(`reflex "${manifest.name}" ${label}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}
