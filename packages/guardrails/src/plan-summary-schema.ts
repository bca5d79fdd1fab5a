// The plan summary's JSON (`reflex plan summary --json`): zod schemas and their types in one place, and the
// JSON Schema published from them (schema/plan-summary.schema.json; a test keeps that file current).
import * as z from '@reflex/events/zod';

const count = () => z.int().check(z.nonnegative());

/** An IAM condition as one operator, one key and its values (as strings). */
export const PolicyConditionSchema = z.object({
  operator: z.string(),
  key: z.string(),
  values: z.array(z.string()),
});
export type PolicyCondition = z.infer<typeof PolicyConditionSchema>;

/**
 * One IAM policy statement, normalized: single values as lists, principals as `Type:identifier` (or `*`),
 * values Terraform knows only after apply as a `(known after apply)` text naming what they come from.
 */
export const PolicyStatementSchema = z.object({
  sid: z.optional(z.string()),
  effect: z.enum(['Allow', 'Deny']),
  actions: z.optional(z.array(z.string())),
  notActions: z.optional(z.array(z.string())),
  resources: z.optional(z.array(z.string())),
  notResources: z.optional(z.array(z.string())),
  principals: z.optional(z.array(z.string())),
  notPrincipals: z.optional(z.array(z.string())),
  conditions: z.array(PolicyConditionSchema),
});
export type PolicyStatement = z.infer<typeof PolicyStatementSchema>;

/** What a policy change widens (first group) or narrows (second group). */
export const FINDING_KINDS = [
  'statement-added',
  'action-added',
  'resource-added',
  'principal-added',
  'exclusion-removed',
  'condition-removed',
  'condition-loosened',
  'deny-removed',
  'deny-narrowed',
  'policy-attached',
  'statement-removed',
  'action-removed',
  'resource-removed',
  'principal-removed',
  'exclusion-added',
  'condition-added',
  'condition-tightened',
  'deny-added',
  'deny-widened',
  'policy-detached',
] as const;

/** One way a policy change widens or narrows what is allowed. */
export const PolicyFindingSchema = z.object({
  kind: z.enum(FINDING_KINDS),
  /** The statement: its Sid, else its position and effect (`#2 Allow`). */
  statement: z.string(),
  /** The actions, resources, principals or conditions concerned. */
  values: z.array(z.string()),
  /** Some value is a wildcard (`*` or `?`). */
  wildcard: z.boolean(),
  /** One line for people. */
  text: z.string(),
});
export type PolicyFinding = z.infer<typeof PolicyFindingSchema>;

/**
 * A policy attribute of a planned resource: what a new policy grants, or how a changed one widens and narrows.
 * `unknown`: the document is known only after apply and the plan does not say what it will hold.
 */
export const PolicyReportSchema = z.object({
  attribute: z.string(),
  kind: z.enum(['granted', 'changed', 'unchanged', 'revoked', 'unknown']),
  granted: z.optional(z.array(PolicyStatementSchema)),
  widened: z.array(PolicyFindingSchema),
  narrowed: z.array(PolicyFindingSchema),
});
export type PolicyReport = z.infer<typeof PolicyReportSchema>;

/** One attribute an update, a replacement or drift changes, its values as display text (never a sensitive value). */
export const AttributeChangeSchema = z.object({
  path: z.string(),
  before: z.string(),
  after: z.string(),
  /** Changing it is why the resource is replaced (`replace_paths`). */
  forcesReplacement: z.optional(z.boolean()),
  /** Both values are the same JSON, written differently: no effective change. */
  reformatted: z.optional(z.boolean()),
  /** The plan sets it back to what it was before a change made outside Terraform. */
  revertsDrift: z.optional(z.boolean()),
});
export type AttributeChange = z.infer<typeof AttributeChangeSchema>;

export const RESOURCE_ACTIONS = ['create', 'update', 'replace', 'delete', 'read', 'no-op', 'forget'] as const;
export type ResourceAction = (typeof RESOURCE_ACTIONS)[number];

/** A resource the plan creates, updates, replaces, destroys or forgets. */
export const ResourceSummarySchema = z.object({
  address: z.string(),
  type: z.string(),
  /** Its AWS name (or what stands for one), when the plan knows it. */
  name: z.optional(z.string()),
  action: z.enum(RESOURCE_ACTIONS),
  /** Why, in words: Terraform's `action_reason`, and for a replacement the attributes that force it. */
  reason: z.optional(z.string()),
  /** For a replacement: whether the old one goes first (the default) or after the new one exists. */
  replaceOrder: z.optional(z.enum(['delete-then-create', 'create-then-delete'])),
  attributes: z.optional(z.array(AttributeChangeSchema)),
  permissions: z.optional(z.array(PolicyReportSchema)),
  /** An update whose every change is JSON written differently or a policy re-read with the same statements. */
  noEffect: z.optional(z.boolean()),
  importing: z.optional(z.boolean()),
});
export type ResourceSummary = z.infer<typeof ResourceSummarySchema>;

/** How many resources each action touches; `replace` counts once (not as a destroy and a create). */
export const CountsSchema = z.object({
  create: count(),
  update: count(),
  replace: count(),
  delete: count(),
  read: count(),
  noOp: count(),
  forget: count(),
});
export type Counts = z.infer<typeof CountsSchema>;

/** The changed resources of one reflex, or of `shared` (the bus, the HTTP API, what no reflex owns). */
export const ReflexSummarySchema = z.object({
  name: z.string(),
  shared: z.boolean(),
  counts: CountsSchema,
  resources: z.array(ResourceSummarySchema),
});
export type ReflexSummary = z.infer<typeof ReflexSummarySchema>;

/** Where an attention item is. */
const Place = {
  environment: z.string(),
  reflex: z.string(),
  address: z.string(),
  type: z.string(),
  name: z.optional(z.string()),
};

/** A policy the plan widens. */
export const WideningSchema = z.object({ ...Place, attribute: z.string(), findings: z.array(PolicyFindingSchema) });
export type Widening = z.infer<typeof WideningSchema>;

/** A queue destroyed or replaced: the messages in it go with it. */
export const MessageLossSchema = z.object({
  ...Place,
  action: z.enum(['delete', 'replace']),
  deadLetterQueue: z.boolean(),
  reason: z.optional(z.string()),
  url: z.optional(z.string()),
  arn: z.optional(z.string()),
  advice: z.string(),
});
export type MessageLoss = z.infer<typeof MessageLossSchema>;

/** A resource destroyed, or replaced (destroyed and created again). */
export const DestroySchema = z.object({ ...Place, replaced: z.boolean(), reason: z.optional(z.string()) });
export type Destroy = z.infer<typeof DestroySchema>;

/** A policy whose new document the plan does not show: it could not be compared. */
export const UnknownPolicySchema = z.object({ ...Place, attribute: z.string() });
export type UnknownPolicy = z.infer<typeof UnknownPolicySchema>;

/**
 * A resource changed outside Terraform since the last apply (`resource_drift`), in attributes this plan
 * sets back (`revertsDrift`) or that the configuration manages; `before` is the state, `after` what is there now.
 */
export const DriftSchema = z.object({
  ...Place,
  action: z.enum(['update', 'delete']),
  attributes: z.array(AttributeChangeSchema),
});
export type Drift = z.infer<typeof DriftSchema>;

/** One environment: the plan files of its stacks merged. */
export const EnvironmentSummarySchema = z.object({
  name: z.string(),
  /** Where the name comes from: the resources' `reflex:env` tag, the provider's default tags, or the file name. */
  source: z.enum(['tag', 'provider', 'file']),
  files: z.array(z.string()),
  counts: CountsSchema,
  /** The reflexes with changes, by name, then `shared`. */
  reflexes: z.array(ReflexSummarySchema),
  drift: z.array(DriftSchema),
  /** Resources changed outside Terraform only in attributes nothing here sets (computed ones such as a role's inline_policy). */
  otherDrift: z.object({ resources: count(), attributes: z.array(z.string()) }),
});
export type EnvironmentSummary = z.infer<typeof EnvironmentSummarySchema>;

/** A reviewer's summary of one or more Terraform plans: `reflex plan summary --json`. */
export const PlanSummarySchema = z.object({
  version: z.literal(1),
  counts: CountsSchema,
  attention: z.object({
    widened: z.array(WideningSchema),
    messageLoss: z.array(MessageLossSchema),
    destroyed: z.array(DestroySchema),
    unknownPolicies: z.array(UnknownPolicySchema),
  }),
  environments: z.array(EnvironmentSummarySchema),
  /** Plans that errored or are incomplete, policies that could not be read. */
  warnings: z.array(z.string()),
});
export type PlanSummary = z.infer<typeof PlanSummarySchema>;

/** Where the published JSON Schema is, relative to the package. */
export const PLAN_SUMMARY_SCHEMA_PATH = 'schema/plan-summary.schema.json';

/**
 * The JSON Schema (draft 2020-12) of {@link PlanSummarySchema}, as published in `schema/plan-summary.schema.json`.
 *
 * @example
 * writeFileSync('plan-summary.schema.json', `${JSON.stringify(planSummaryJsonSchema(), null, 2)}\n`);
 * @see https://json-schema.org/draft/2020-12
 */
export function planSummaryJsonSchema(): Record<string, unknown> {
  const { $schema, ...rest } = z.toJSONSchema(PlanSummarySchema, { target: 'draft-2020-12' }) as Record<string, unknown>;
  return {
    $schema,
    $id: 'urn:reflex:guardrails:plan-summary:1',
    title: 'Reflex plan summary',
    description: 'What `reflex plan summary --json` prints: a reviewer\'s summary of Terraform plans (terraform show -json).',
    ...rest,
  };
}
