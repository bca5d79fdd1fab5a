import { compilePattern, InvalidPatternError } from '@reflex/event-patterns';
import * as z from '@reflex/events/zod';
import { describeIssues } from './describe';
import { NAME_PATTERN } from './naming';

/**
 * An EventBridge event pattern, as JSON.
 *
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export type EventPattern = { readonly [field: string]: unknown };

/** Events on the reflex bus that match `pattern` reach the reflex's queue. */
export interface EventTrigger {
  readonly kind: 'event';
  readonly pattern: EventPattern;
  readonly description?: string;
}

/** A schedule (`rate(5 minutes)`, `cron(…)`) on the default bus reaches the reflex's queue. */
export interface ScheduleTrigger {
  readonly kind: 'schedule';
  readonly expression: string;
  readonly description?: string;
}

/** A synchronous HTTPS route (API Gateway HTTP API → Lambda). Declared now; the stacks build it with the route sync API. */
export interface HttpTrigger {
  readonly kind: 'http';
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
}

/**
 * Messages that are not EventBridge events arrive on the reflex's queue straight from their producers:
 * reflexes that name this one in `sendsTo`, or a process with credentials. No rule feeds the queue.
 */
export interface QueueTrigger {
  readonly kind: 'queue';
  readonly description?: string;
}

export type Trigger = EventTrigger | ScheduleTrigger | HttpTrigger | QueueTrigger;

/** One IAM condition, as in an IAM policy: `{ test: 'StringEquals', variable: 'aws:ResourceTag/x', values: ['y'] }`. */
export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly string[];
}

/**
 * One allow statement of the reflex's role. Resources may use `${partition}`, `${region}` and `${account}`.
 * `*` as a resource is only for actions without resource-level permissions (e.g. `ec2:Describe*`).
 */
export interface Permission {
  readonly sid: string;
  readonly actions: readonly string[];
  readonly resources: readonly string[];
  readonly conditions?: readonly Condition[];
}

/**
 * Everything the stacks and the local runner need to know about a reflex. Imports no AWS SDK.
 *
 * @example
 * export const manifest = defineReflex({
 *   name: 'instance-guard',
 *   description: 'Starts protected instances again.',
 *   triggers: [{ kind: 'event', pattern: { source: ['aws.ec2'] } }],
 *   permissions: () => [],
 *   config: z.object({}),
 * });
 */
export interface ReflexManifest<C extends z.core.$ZodType = z.core.$ZodType> {
  readonly name: string;
  readonly description: string;
  readonly triggers: readonly Trigger[];
  /** The role's permissions, derived from the (validated) config. */
  readonly permissions: (config: z.output<C>) => readonly Permission[];
  /** The reflex's configuration; environments set it, synth validates it, the handler parses it again. */
  readonly config: C;
  /** @default 256 */
  readonly memoryMb: number;
  /** @default 30 */
  readonly timeoutSeconds: number;
  /** Records per invocation. @default 10 */
  readonly batchSize: number;
  /** Concurrent invocations the queue may drive (event source mapping maximum concurrency, ≥ 2). @default 5 */
  readonly maxConcurrency: number;
  /** Receives before a message goes to the dead-letter queue. @default 3 */
  readonly maxReceiveCount: number;
  /** How long the reflex's queue keeps a message nobody consumed. @default 345600 (4 days) */
  readonly retentionSeconds: number;
  /** Reflexes (each with a `queue` trigger) whose queues this reflex sends messages to; it gets `sqs:SendMessage` on them. @default [] */
  readonly sendsTo: readonly string[];
}

export type ReflexManifestInput<C extends z.core.$ZodType> = Omit<
  ReflexManifest<C>,
  DefaultedField
> &
  Partial<Pick<ReflexManifest<C>, DefaultedField>>;

type DefaultedField = 'memoryMb' | 'timeoutSeconds' | 'batchSize' | 'maxConcurrency' | 'maxReceiveCount' | 'retentionSeconds' | 'sendsTo';

/** A manifest that breaks the rules; the message names the reflex and the field. */
export class InvalidManifestError extends Error {
  override readonly name = 'InvalidManifestError';
}

const nonEmpty = () => z.string().check(z.minLength(1));
const count = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);
const description = () => z.optional(z.string().check(z.maxLength(512)));

const ConditionSchema = z.object({
  test: nonEmpty(),
  variable: nonEmpty(),
  values: z.array(z.string()).check(z.minLength(1)),
});

const PermissionSchema = z.object({
  sid: z.string().check(z.regex(/^[A-Za-z0-9]+$/, 'IAM statement ids are alphanumeric')),
  actions: z
    .array(
      z.string().check(
        z.regex(/^[a-z0-9-]+:[A-Za-z0-9*]+$/, 'an action is "<service>:<Action>"'),
        z.refine((a) => !a.endsWith(':*'), 'wildcard actions ("<service>:*") are not allowed'),
      ),
    )
    .check(z.minLength(1)),
  resources: z.array(nonEmpty()).check(z.minLength(1)),
  conditions: z.optional(z.array(ConditionSchema)),
});

const PermissionsSchema = z.array(PermissionSchema);

const TriggerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('event'),
    pattern: z.record(z.string(), z.unknown()).check(z.refine((p) => Object.keys(p).length > 0, 'an event pattern may not be empty')),
    description: description(),
  }),
  z.object({
    kind: z.literal('schedule'),
    expression: z.string().check(z.regex(/^(rate|cron)\(.+\)$/, 'a schedule is rate(…) or cron(…)')),
    description: description(),
  }),
  z.object({ kind: z.literal('http'), method: z.enum(['GET', 'POST', 'PUT', 'DELETE']), path: z.string().check(z.startsWith('/')) }),
  z.object({ kind: z.literal('queue'), description: description() }),
]);

const ManifestShapeSchema = z.object({
  name: z.string().check(z.maxLength(40, 'at most 40 characters: AWS names are reflex-<env>-<name>'), z.regex(NAME_PATTERN, 'lower-case letters, digits and dashes')),
  // Lambda takes at most 256 characters of description.
  description: z.string().check(z.minLength(1), z.maxLength(256)),
  triggers: z.array(TriggerSchema).check(
    z.minLength(1),
    z.refine(
      (triggers) => triggers.length === 1 || !triggers.some((t) => t.kind === 'queue'),
      'a queue trigger is the only trigger: its messages are not EventBridge events',
    ),
  ),
  memoryMb: count(128, 10240, 256),
  timeoutSeconds: count(1, 900, 30),
  batchSize: count(1, 10000, 10),
  maxConcurrency: count(2, 1000, 5),
  maxReceiveCount: count(1, 1000, 3),
  // SQS keeps messages for 60 s to 14 days.
  retentionSeconds: count(60, 14 * 24 * 3600, 4 * 24 * 3600),
  sendsTo: z._default(z.array(z.string().check(z.regex(NAME_PATTERN, 'a reflex name'))), []),
});

/**
 * Declares a reflex: validates the manifest and fills in the defaults.
 *
 * @throws InvalidManifestError naming the reflex and the field.
 */
export function defineReflex<C extends z.core.$ZodType>(input: ReflexManifestInput<C>): ReflexManifest<C> {
  const { permissions, config, ...shape } = input;
  const parsed = ManifestShapeSchema.safeParse(shape);
  if (!parsed.success) {
    throw new InvalidManifestError(`reflex "${input.name}": ${describeIssues(parsed.error)}`);
  }
  const manifest = { ...parsed.data, permissions, config };
  checkPatterns(manifest);
  return manifest;
}

/**
 * Compiles every event pattern of a manifest as EventBridge would.
 *
 * @throws InvalidManifestError naming the reflex, the trigger and the pattern's path and reason.
 */
export function checkPatterns(manifest: Pick<ReflexManifest, 'name' | 'triggers'>): void {
  manifest.triggers.forEach((trigger, i) => {
    if (trigger.kind !== 'event') return;
    try {
      compilePattern(trigger.pattern);
    } catch (error) {
      if (!(error instanceof InvalidPatternError)) throw error;
      throw new InvalidManifestError(
        `reflex "${manifest.name}": triggers.${i}.pattern${error.path ? `.${error.path}` : ''}: ${error.reason}`,
        { cause: error },
      );
    }
  });
}

/**
 * The permissions of a reflex for one config, checked.
 *
 * @throws InvalidManifestError naming the reflex and the statement.
 */
export function permissionsOf<C extends z.core.$ZodType>(manifest: ReflexManifest<C>, config: z.output<C>): Permission[] {
  const permissions = manifest.permissions(config);
  const parsed = PermissionsSchema.safeParse(permissions);
  if (!parsed.success) {
    throw new InvalidManifestError(`reflex "${manifest.name}" permissions: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** The event patterns a manifest declares. */
export function eventPatterns(manifest: ReflexManifest): EventPattern[] {
  return manifest.triggers.flatMap((t) => (t.kind === 'event' ? [t.pattern] : []));
}
