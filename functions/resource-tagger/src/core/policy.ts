import { REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { DEPTH, type ResourceType, type Tags } from './resources';

/** EC2 tag values: at most 256 characters. */
const TagValueSchema = z.string().check(z.minLength(1), z.maxLength(256));

/**
 * One mandatory tag: a default value, or the parent's value (`inherit: true`) with an optional default for
 * when the parent has none.
 */
export const TagRuleSchema = z
  .strictObject({
    default: z.optional(TagValueSchema),
    inherit: z.optional(z.boolean()),
  })
  .check(z.refine((rule) => rule.inherit === true || rule.default !== undefined, 'give a default, or inherit: true (with an optional default)'));
export type TagRule = z.output<typeof TagRuleSchema>;

const OWN_KEYS: readonly string[] = [REFLEX_TAGS.createdBy, REFLEX_TAGS.createdAt];

/** Tags other reflexes keep: never mandatory here (the default TTL writes the expiry). */
const FOREIGN_KEYS: readonly string[] = [REFLEX_TAGS.expiresAt, REFLEX_TAGS.expiryWarned];

/** Why a tag key cannot be mandatory, or undefined when it can. */
function keyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > 128) return 'a tag key has 1 to 128 characters';
  if (key.toLowerCase().startsWith('aws:')) return 'keys starting with "aws:" are reserved by AWS';
  if (OWN_KEYS.includes(key)) return 'the tagger writes reflex:created-by and reflex:created-at itself';
  if (FOREIGN_KEYS.includes(key)) return 'expiry tags come from defaultTtl, people and `reflex ttl`, not from a mandatory default';
  return undefined;
}

/**
 * The mandatory-tag policy: tag key → rule.
 *
 * @example
 * TagPolicySchema.parse({ CostCenter: { inherit: true, default: 'Unassigned' }, Owner: { default: 'network-team' } });
 */
export const TagPolicySchema = z.record(z.string(), TagRuleSchema).check(
  // Checked here rather than as the record's key schema, so that the message names the key.
  z.superRefine((policy, ctx) => {
    for (const key of Object.keys(policy)) {
      const problem = keyProblem(key);
      if (problem) ctx.addIssue({ code: 'custom', path: [key], message: problem });
    }
  }),
  // EC2 allows 50 tags per resource; the tagger adds two of its own.
  z.refine((policy) => Object.keys(policy).length <= 40, 'at most 40 mandatory tags'),
);
export type TagPolicy = z.output<typeof TagPolicySchema>;

/** Where a planned value comes from. */
export type ValueSource = { readonly from: 'parent'; readonly parent: string } | { readonly from: 'default' };

/** What the policy asks of one resource. */
export interface TagPlan {
  /** Tags to write: only keys the resource does not carry yet. */
  readonly write: Tags;
  /** Why each value is what it is. */
  readonly sources: Readonly<Record<string, ValueSource>>;
  /** Mandatory keys the resource lacks (whether or not the plan can fill them). */
  readonly missing: readonly string[];
  /** Missing keys the plan cannot fill: inherit-only rules whose parent has no value. */
  readonly unresolved: readonly string[];
}

/**
 * Plans the mandatory tags of one resource. A key the resource carries already is never touched, whatever
 * its value; a missing key takes the parent's value when its rule inherits and the parent carries one,
 * else the rule's default.
 *
 * @example
 * planTags({ Name: 'a' }, { id: 'vpc-1', tags: { CostCenter: 'R&D' } }, policy).write; // { CostCenter: 'R&D', Owner: 'network-team' }
 */
export function planTags(
  current: Tags,
  parent: { readonly id: string; readonly tags: Tags } | undefined,
  policy: TagPolicy,
): TagPlan {
  const write: Record<string, string> = {};
  const sources: Record<string, ValueSource> = {};
  const missing: string[] = [];
  const unresolved: string[] = [];
  for (const [key, rule] of Object.entries(policy)) {
    if (Object.hasOwn(current, key)) continue;
    missing.push(key);
    const inherited = rule.inherit && parent ? parent.tags[key] : undefined;
    if (inherited !== undefined && inherited !== '') {
      write[key] = inherited;
      sources[key] = { from: 'parent', parent: parent!.id };
    } else if (rule.default !== undefined) {
      write[key] = rule.default;
      sources[key] = { from: 'default' };
    } else {
      unresolved.push(key);
    }
  }
  return { write, sources, missing, unresolved };
}

/** A network resource as an inventory lists it. */
export interface NetworkResource {
  readonly id: string;
  readonly type: ResourceType;
  readonly tags: Tags;
  /** The resource it inherits from (subnet → its VPC, instance → its subnet…), when it has one. */
  readonly parent?: string;
}

/** One resource of an audit that misses mandatory tags, and what `--fix` would write. */
export interface AuditRow extends TagPlan {
  readonly id: string;
  readonly type: ResourceType;
  readonly parent?: string;
}

/**
 * Audits an inventory against the policy: the resources missing mandatory tags, each with its plan.
 * Parents are planned before their children, and children inherit what their parent will carry once the
 * plan is applied — a VPC that gets `CostCenter=Unassigned` passes it on.
 */
export function auditInventory(resources: readonly NetworkResource[], policy: TagPolicy): AuditRow[] {
  const effective = new Map(resources.map((r) => [r.id, r.tags]));
  const ordered = [...resources].sort((a, b) => DEPTH[a.type] - DEPTH[b.type] || a.id.localeCompare(b.id));
  const rows = new Map<string, AuditRow>();
  for (const resource of ordered) {
    const parentTags = resource.parent ? effective.get(resource.parent) : undefined;
    const plan = planTags(resource.tags, parentTags && resource.parent ? { id: resource.parent, tags: parentTags } : undefined, policy);
    if (plan.missing.length === 0) continue;
    effective.set(resource.id, { ...resource.tags, ...plan.write });
    rows.set(resource.id, { id: resource.id, type: resource.type, ...(resource.parent ? { parent: resource.parent } : {}), ...plan });
  }
  // Report in inventory order (types as listed, then ids), not planning order.
  return resources.flatMap((r) => (rows.has(r.id) ? [rows.get(r.id)!] : []));
}

/** The keys the tagger may ever write under a policy: the IAM condition `aws:TagKeys` allows exactly these. */
export function writableKeys(policy: TagPolicy): string[] {
  return [...Object.keys(policy), ...OWN_KEYS];
}
