import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of the events Reflex emits for each action it takes (or would take). */
export const REFLEX_ACTION = { source: 'reflex', detailType: 'Reflex Action' } as const satisfies EventKind;

export const ActionOutcomeSchema = z.enum([
  /** The action was carried out. */
  'succeeded',
  /** Dry-run: the action was checked (EC2 `DryRun`) or only described, and not carried out. */
  'dry-run',
  /** The action was attempted and failed. */
  'failed',
  /** Nothing was done, and someone should know: a budget is spent, an allow-list stopped it. */
  'alert',
]);
export type ActionOutcome = z.infer<typeof ActionOutcomeSchema>;

export const ActionTargetSchema = z.object({
  /** The resource id, e.g. `i-0abc…`. */
  id: z.string().check(z.minLength(1)),
  /** The resource ARN, where known. */
  arn: z.optional(z.string().check(z.startsWith('arn:'))),
});
export type ActionTarget = z.infer<typeof ActionTargetSchema>;

/** The `detail` of a Reflex Action event. */
export const ReflexActionDetailSchema = z.object({
  reflex: z.string().check(z.minLength(1)),
  env: z.string().check(z.minLength(1)),
  /** The API call or kind of action, e.g. `ec2:StartInstances`. */
  action: z.string().check(z.minLength(1)),
  targets: z.array(ActionTargetSchema).check(z.minLength(1)),
  reason: z.string().check(z.minLength(1)),
  dryRun: z.boolean(),
  outcome: ActionOutcomeSchema,
  severity: z.enum(['info', 'warning', 'critical']),
  /** The event that caused the action. */
  cause: z.object({ eventId: z.string(), source: z.string(), detailType: z.string() }),
  error: z.optional(z.string()),
  /** Who asked, when a request caused the action (an HTTP API call): the caller's IAM principal and the request's idempotency key. */
  caller: z.optional(z.object({ principal: z.string().check(z.minLength(1)), idempotencyKey: z.optional(z.string()) })),
  /** What the action changed, when it set one value: its key, and the value before and after (absent: there was none, or is none). */
  change: z.optional(z.object({ key: z.string().check(z.minLength(1)), from: z.optional(z.string()), to: z.optional(z.string()) })),
  /**
   * Where the reflex acted: the account and Region of the event (a member account's, forwarded to the hub),
   * and in a member account the role session it acted with (`arn:aws:sts::<account>:assumed-role/<role>/<session>`).
   */
  account: z.optional(z.string().check(z.regex(/^\d{12}$/))),
  region: z.optional(z.string().check(z.minLength(1))),
  roleSession: z.optional(z.string().check(z.startsWith('arn:'))),
});
export type ReflexActionDetail = z.infer<typeof ReflexActionDetailSchema>;

/**
 * Reflex Action: what a reflex did (or would do in dry-run), why, to what, and how it went.
 *
 * @example
 * ReflexActionSchema.parse(raw).detail.outcome; // "succeeded"
 */
export const ReflexActionSchema = eventSchema(REFLEX_ACTION, ReflexActionDetailSchema);
export type ReflexAction = z.infer<typeof ReflexActionSchema>;
