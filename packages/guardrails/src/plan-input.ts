// The parts of Terraform's plan JSON (`terraform show -json <planfile>`, format 1.x) the plan summary reads,
// and the check that a file is one.
// See https://developer.hashicorp.com/terraform/internals/json-format

/** What Terraform does to one resource instance: `["create"]`, `["delete","create"]` (a replacement)… */
export type PlanActions = readonly ('no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget')[];

/**
 * A change's values. `after_unknown` and the `*_sensitive` objects mirror `before`/`after` with `true` where a
 * value is known only after apply or is sensitive (a whole attribute, or `true` for the whole object).
 */
export interface PlanChangeJson {
  readonly actions: PlanActions;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  readonly replace_paths?: readonly (readonly (string | number)[])[];
  readonly importing?: unknown;
}

/** One entry of `resource_changes` or `resource_drift`. */
export interface ResourceChangeJson {
  readonly address: string;
  readonly mode?: 'managed' | 'data';
  readonly type: string;
  readonly name?: string;
  readonly change: PlanChangeJson;
  readonly action_reason?: string;
}

/** An expression of the configuration: a constant, or references to other objects (`aws_sqs_queue.q.arn`). */
export interface ConfigExpression {
  readonly constant_value?: unknown;
  readonly references?: readonly string[];
}

/** A resource block of the configuration; nested blocks are lists of expression maps. */
export interface ConfigResource {
  readonly address: string;
  readonly mode?: 'managed' | 'data';
  readonly type: string;
  readonly expressions?: Record<string, unknown>;
}

export interface ConfigModule {
  readonly resources?: readonly ConfigResource[];
  readonly module_calls?: Record<string, { readonly module?: ConfigModule }>;
}

/** A resource's values in `prior_state` (data sources read during the plan are there too). */
export interface StateResource {
  readonly address: string;
  readonly mode?: 'managed' | 'data';
  readonly type: string;
  readonly values?: Record<string, unknown>;
}

export interface StateModule {
  readonly resources?: readonly StateResource[];
  readonly child_modules?: readonly StateModule[];
}

/** A Terraform plan as `terraform show -json <planfile>` writes it, as far as the summary reads it. */
export interface PlanJson {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly ResourceChangeJson[];
  readonly resource_drift?: readonly ResourceChangeJson[];
  readonly configuration?: {
    readonly provider_config?: Record<string, { readonly name?: string; readonly expressions?: Record<string, unknown> }>;
    readonly root_module?: ConfigModule;
  };
  readonly prior_state?: { readonly values?: { readonly root_module?: StateModule } };
  readonly errored?: boolean;
  readonly complete?: boolean;
  readonly applyable?: boolean;
}

/** The input is not the JSON of a Terraform plan. */
export class NotAPlanError extends Error {
  override readonly name = 'NotAPlanError';
}

const HOW = 'make one with `terraform plan -out=plan.bin && terraform show -json plan.bin > plan.json`';

/** What a JSON value that is not a plan is instead, in words. */
function whatItIs(value: Record<string, unknown>): string | undefined {
  if ('lineage' in value && 'serial' in value) return 'a Terraform state file, not a plan';
  if ('format_version' in value && 'values' in value && !('planned_values' in value)) {
    return 'Terraform state as JSON (`terraform show -json` without a plan file), not a plan';
  }
  if ('resource' in value || 'provider' in value || ('terraform' in value && !('format_version' in value))) {
    return 'Terraform configuration (synthesized JSON such as cdktf.out/stacks/<env>/cdk.tf.json), not a plan';
  }
  return undefined;
}

/**
 * `value` as a Terraform plan: JSON from `terraform show -json <planfile>`, format 1.x.
 *
 * @throws NotAPlanError naming `label` and saying what the value is instead (a state file, synthesized
 * configuration…) and how to make a plan's JSON.
 * @example
 * const plan = asTerraformPlan(JSON.parse(readFileSync('plan.json', 'utf8')), 'plan.json');
 * @see https://developer.hashicorp.com/terraform/internals/json-format#plan-representation
 */
export function asTerraformPlan(value: unknown, label: string): PlanJson {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new NotAPlanError(`${label} is not a Terraform plan: expected a JSON object; ${HOW}`);
  }
  const object = value as Record<string, unknown>;
  const instead = whatItIs(object);
  if (instead) throw new NotAPlanError(`${label} is ${instead}: ${HOW}`);
  const version = object.format_version;
  if (typeof version !== 'string' || !('planned_values' in object || 'resource_changes' in object)) {
    throw new NotAPlanError(`${label} is not a Terraform plan (no format_version and resource_changes): ${HOW}`);
  }
  if (!/^1\./.test(version)) throw new NotAPlanError(`${label}: plan format ${version} is not supported (expected 1.x, Terraform ≥ 0.12 or OpenTofu)`);
  if (object.resource_changes !== undefined && !Array.isArray(object.resource_changes)) {
    throw new NotAPlanError(`${label} is not a Terraform plan: resource_changes is not a list`);
  }
  return object as unknown as PlanJson;
}
