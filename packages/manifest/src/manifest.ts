import { compilePattern, InvalidPatternError } from '@reflex/event-patterns';
import * as z from '@reflex/events/zod';
import { type AlarmTrigger, AlarmTriggerSchema, alarmPattern } from './alarm';
import { describeIssues } from './describe';
import type { EventPattern } from './event-pattern';
import { NAME_PATTERN } from './naming';

export type { EventPattern } from './event-pattern';

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

/**
 * A synchronous HTTPS route: the environment's API Gateway HTTP API (IAM-authorized) invokes the function with
 * the request (payload format 2.0) and answers with its response; no queue in between. A reflex with http
 * triggers has only http triggers. Path parameters are `{name}` segments.
 *
 * @example
 * { kind: 'http', method: 'PUT', path: '/route-tables/{id}/routes/{cidr}' }
 */
export interface HttpTrigger {
  readonly kind: 'http';
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly description?: string;
}

/** The route key API Gateway gives an http trigger's requests: `PUT /route-tables/{id}/routes`. */
export function httpRouteKey(trigger: Pick<HttpTrigger, 'method' | 'path'>): string {
  return `${trigger.method} ${trigger.path}`;
}

/** Whether a reflex answers HTTP requests (its triggers are http triggers) rather than consuming a queue. */
export function servesHttp(of: { readonly triggers: readonly Trigger[] }): boolean {
  return of.triggers.some((t) => t.kind === 'http');
}

/**
 * Messages that are not EventBridge events arrive on the reflex's queue straight from their producers:
 * reflexes that name this one in `sendsTo`, or a process with credentials. No rule feeds the queue.
 */
export interface QueueTrigger {
  readonly kind: 'queue';
  readonly description?: string;
}

export type Trigger = EventTrigger | ScheduleTrigger | AlarmTrigger | HttpTrigger | QueueTrigger;

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
 * The state a reflex keeps between events: the stacks build one DynamoDB table for it (`reflex-<env>-<name>`,
 * on-demand, encrypted, point-in-time recovery, TTL) that only the reflex's own role may use, and hand its
 * name to the function as `REFLEX_STATE_TABLE`. Both keys are strings (DynamoDB type `S`); items that must not
 * race are written with conditions.
 *
 * @example
 * state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'expiresAt' }
 * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.CoreComponents.html
 */
export interface StateDeclaration {
  /** The partition (hash) key attribute, a string. */
  readonly partitionKey: string;
  /** The sort (range) key attribute, a string. @default no sort key */
  readonly sortKey?: string;
  /**
   * An attribute holding an expiry time in epoch seconds (a number): DynamoDB deletes the item some time
   * after it, typically within a few days, so readers still check it. @default no TTL
   * @see https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/TTL.html
   */
  readonly ttlAttribute?: string;
}

/**
 * A cut in a loop that the reflex's own code makes: events caused by another reflex's actions that it
 * recognises and leaves alone. The loop analysis counts the edges it names as cut, and prints the reason.
 *
 * @example
 * { reflex: 'instance-scheduler', actions: ['ec2:StopInstances'], reason: 'the scheduler records its intent to stop in reflex:stop-intent first; a stop it intended is not restarted' }
 */
export interface LoopCut {
  /** The reflex whose actions cause the events. */
  readonly reflex: string;
  /** Its actions whose events are left alone. @default every action of that reflex */
  readonly actions?: readonly string[];
  /** Why the events change nothing: what the code checks. */
  readonly reason: string;
}

/**
 * How a reflex stays out of loops (ARCHITECTURE.md, "Safety rails"): what the loop analysis at synth counts
 * as cut edges, and what the lambda kit's handler does.
 */
export interface LoopGuard {
  /**
   * The kit skips events whose CloudTrail caller is one of the environment's Reflex roles. A reflex that must
   * see Reflex's own calls turns this off, with a `reason`; its edges from CloudTrail events are then not cut.
   * @default true
   */
  readonly skipOwnCalls: boolean;
  /** Why `skipOwnCalls` is off. Required then. */
  readonly reason?: string;
  /** Edges the reflex's own code cuts. @default [] */
  readonly ignores: readonly LoopCut[];
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
  /** The triggers of the default config: the CLI's graph, match and docs read these. */
  readonly triggers: readonly Trigger[];
  /**
   * The triggers for one (validated) config, when they depend on it (alarm names, finding types…); the
   * stacks build rules and forwarding from these. Use {@link triggersOf} to read them. @default `triggers`
   */
  readonly triggersFor?: (config: z.output<C>) => readonly Trigger[];
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
  /** The state the reflex keeps: the stacks build a DynamoDB table for it. @default no state */
  readonly state?: StateDeclaration;
  /** How it stays out of loops. @default `{ skipOwnCalls: true, ignores: [] }` */
  readonly loopGuard: LoopGuard;
  /**
   * Whether it acts in member accounts, once the environment has some (hub and spoke): `none` (in the hub
   * account only, e.g. a reflex whose state names the hub's resources), `events` (in the account each event
   * comes from, through a spoke role the stacks build in every member account), or `events-and-timers` (and
   * the kit runs its schedule triggers once per account, the hub's and each member's; one account's failure
   * does not stop the others). @default 'none'
   */
  readonly spokes: 'none' | 'events' | 'events-and-timers';
}

export type ReflexManifestInput<C extends z.core.$ZodType> = Omit<
  ReflexManifest<C>,
  DefaultedField
> &
  Partial<Pick<ReflexManifest<C>, DefaultedField>>;

type DefaultedField = 'memoryMb' | 'timeoutSeconds' | 'batchSize' | 'maxConcurrency' | 'maxReceiveCount' | 'retentionSeconds' | 'sendsTo' | 'loopGuard' | 'spokes';

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

/** An IAM action as manifests write it: `ec2:StartInstances`, `ec2:Describe*`. */
const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;

const PermissionSchema = z.object({
  sid: z.string().check(z.regex(/^[A-Za-z0-9]+$/, 'IAM statement ids are alphanumeric')),
  actions: z
    .array(
      z.string().check(
        z.regex(ACTION, 'an action is "<service>:<Action>"'),
        z.refine((a) => !a.endsWith(':*'), 'wildcard actions ("<service>:*") are not allowed'),
      ),
    )
    .check(z.minLength(1)),
  resources: z.array(nonEmpty()).check(z.minLength(1)),
  conditions: z.optional(z.array(ConditionSchema)),
});

const PermissionsSchema = z.array(PermissionSchema);

/** A DynamoDB attribute name as Reflex allows it: DynamoDB takes any 1–255 bytes, expressions want less. */
const attributeName = () =>
  z.string().check(
    z.minLength(1),
    z.maxLength(255),
    z.regex(/^[A-Za-z0-9_.-]+$/, 'an attribute name is letters, digits, "_", "-" and "."'),
  );

const StateSchema = z
  .object({
    partitionKey: attributeName(),
    sortKey: z.optional(attributeName()),
    ttlAttribute: z.optional(attributeName()),
  })
  .check(
    z.refine((s) => s.sortKey !== s.partitionKey, { message: 'the sort key must differ from the partition key', path: ['sortKey'] }),
    z.refine((s) => s.ttlAttribute === undefined || (s.ttlAttribute !== s.partitionKey && s.ttlAttribute !== s.sortKey), {
      message: 'the TTL attribute must differ from the keys (it holds a number, the keys strings)',
      path: ['ttlAttribute'],
    }),
  );

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
  AlarmTriggerSchema,
  z.object({
    kind: z.literal('http'),
    method: z.enum(['GET', 'POST', 'PUT', 'DELETE']),
    path: z.string().check(
      z.maxLength(256),
      z.regex(/^(\/([A-Za-z0-9._~-]+|\{[A-Za-z][A-Za-z0-9]*\}))+$/, 'a path is /-separated segments: letters, digits, "._~-", or a {parameter}'),
    ),
    description: description(),
  }),
  z.object({ kind: z.literal('queue'), description: description() }),
]);

const TriggersSchema = z.array(TriggerSchema).check(
  z.minLength(1),
  z.refine(
    (triggers) => triggers.length === 1 || !triggers.some((t) => t.kind === 'queue'),
    'a queue trigger is the only trigger: its messages are not EventBridge events',
  ),
  z.refine(
    (triggers) => triggers.every((t) => t.kind === 'http') || !triggers.some((t) => t.kind === 'http'),
    'http triggers are the only triggers: the function answers requests, it does not consume a queue',
  ),
  z.superRefine((triggers, ctx) => {
    const seen = new Set<string>();
    triggers.forEach((trigger, i) => {
      if (trigger.kind !== 'http') return;
      const key = httpRouteKey(trigger);
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'path'], input: trigger.path, message: `another http trigger is ${key} already` });
      seen.add(key);
    });
  }),
  // Each alarm is reflex-<env>-<reflex>-<name>: two triggers of one name would be one alarm.
  z.superRefine((triggers, ctx) => {
    const seen = new Set<string>();
    triggers.forEach((trigger, i) => {
      if (trigger.kind !== 'alarm') return;
      if (seen.has(trigger.name)) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], input: trigger.name, message: `another alarm trigger is named "${trigger.name}" already` });
      }
      seen.add(trigger.name);
    });
  }),
);

const LoopGuardSchema = z
  .object({
    skipOwnCalls: z._default(z.boolean(), true),
    reason: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
    ignores: z._default(
      z.array(
        z.object({
          reflex: z.string().check(z.regex(NAME_PATTERN, 'a reflex name')),
          actions: z.optional(z.array(z.string().check(z.regex(ACTION, 'an action is "<service>:<Action>"'))).check(z.minLength(1))),
          reason: z.string().check(z.minLength(1), z.maxLength(512)),
        }),
      ),
      [],
    ),
  })
  .check(z.refine((g) => g.skipOwnCalls || g.reason !== undefined, { message: 'say why the loop guard is off', path: ['reason'] }));

const ManifestShapeSchema = z.object({
  name: z.string().check(z.maxLength(40, 'at most 40 characters: AWS names are reflex-<env>-<name>'), z.regex(NAME_PATTERN, 'lower-case letters, digits and dashes')),
  // Lambda takes at most 256 characters of description.
  description: z.string().check(z.minLength(1), z.maxLength(256)),
  triggers: TriggersSchema,
  memoryMb: count(128, 10240, 256),
  timeoutSeconds: count(1, 900, 30),
  batchSize: count(1, 10000, 10),
  maxConcurrency: count(2, 1000, 5),
  maxReceiveCount: count(1, 1000, 3),
  // SQS keeps messages for 60 s to 14 days.
  retentionSeconds: count(60, 14 * 24 * 3600, 4 * 24 * 3600),
  sendsTo: z._default(z.array(z.string().check(z.regex(NAME_PATTERN, 'a reflex name'))), []),
  state: z.optional(StateSchema),
  loopGuard: z._default(LoopGuardSchema, { skipOwnCalls: true, ignores: [] }),
  spokes: z._default(z.enum(['none', 'events', 'events-and-timers']), 'none'),
});

/**
 * Declares a reflex: validates the manifest and fills in the defaults.
 *
 * @throws InvalidManifestError naming the reflex and the field.
 */
export function defineReflex<C extends z.core.$ZodType>(input: ReflexManifestInput<C>): ReflexManifest<C> {
  const { permissions, config, triggersFor, ...shape } = input;
  const parsed = ManifestShapeSchema.safeParse(shape);
  if (!parsed.success) {
    throw new InvalidManifestError(`reflex "${input.name}": ${describeIssues(parsed.error)}`);
  }
  const { state, ...rest } = parsed.data;
  const manifest: ReflexManifest<C> = { ...rest, permissions, config, ...(triggersFor ? { triggersFor } : {}), ...(state ? { state } : {}) };
  checkPatterns(manifest);
  // The default config's triggers fail here, where the manifest is written, rather than at synth.
  const defaults = z.safeParse(config, {});
  if (triggersFor && defaults.success) triggersOf(manifest, defaults.data);
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

/**
 * The triggers of a reflex for one config: its `triggersFor(config)`, checked as `defineReflex` checks
 * `triggers` (trigger shapes, a queue trigger alone, event patterns as EventBridge compiles them), or its
 * static `triggers` when it has no `triggersFor`.
 *
 * @example
 * triggersOf(manifest, config).filter((t) => t.kind === 'event');
 * @throws InvalidManifestError naming the reflex and the trigger (`triggers.1.pattern.detail.state: …`).
 */
export function triggersOf<C extends z.core.$ZodType>(manifest: ReflexManifest<C>, config: z.output<C>): Trigger[] {
  if (!manifest.triggersFor) return [...manifest.triggers];
  const parsed = TriggersSchema.safeParse(manifest.triggersFor(config));
  if (!parsed.success) {
    throw new InvalidManifestError(`reflex "${manifest.name}": ${describeIssues(parsed.error, 'triggers')}`);
  }
  checkPatterns({ name: manifest.name, triggers: parsed.data });
  return parsed.data;
}

/**
 * The event patterns of a manifest's (static) triggers, or of the triggers {@link triggersOf} gives: those its
 * rules on the reflex bus match, whose AWS sources the default bus forwards. Alarm triggers' rules match on the
 * default bus itself; {@link triggerPatterns} includes them.
 */
export function eventPatterns(of: Pick<ReflexManifest, 'triggers'>): EventPattern[] {
  return of.triggers.flatMap((t) => (t.kind === 'event' ? [t.pattern] : []));
}

/** Where a trigger's rule matches: an environment's name (alarm names contain it) and the reflex's. */
export interface PatternScope {
  readonly env: string;
  readonly reflex: string;
}

/**
 * The pattern the rule of one trigger matches: an event trigger's own pattern (on the reflex bus), an alarm
 * trigger's state changes ({@link alarmPattern}, on the default bus); none for schedules, queues and routes.
 *
 * @example
 * triggerPattern(trigger, { env: 'local', reflex: manifest.name });
 */
export function triggerPattern(trigger: Trigger, scope: PatternScope): EventPattern | undefined {
  if (trigger.kind === 'event') return trigger.pattern;
  if (trigger.kind === 'alarm') return alarmPattern(scope.env, scope.reflex, trigger);
  return undefined;
}

/**
 * Every pattern the rules of a reflex match in one environment, alarm state changes included, in trigger
 * order: what reaches its queue from EventBridge.
 *
 * @example
 * triggerPatterns({ name: manifest.name, triggers: triggersOf(manifest, config) }, 'dev');
 */
export function triggerPatterns(of: Pick<ReflexManifest, 'name' | 'triggers'>, env: string): EventPattern[] {
  return of.triggers.flatMap((t) => {
    const pattern = triggerPattern(t, { env, reflex: of.name });
    return pattern ? [pattern] : [];
  });
}
