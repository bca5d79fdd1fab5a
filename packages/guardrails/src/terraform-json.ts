// Terraform JSON of any project, read into one shape: a plan (`terraform show -json plan.bin`) or a
// configuration in JSON syntax (cdktf's `cdk.tf.json`, any `*.tf.json`). Each resource instance comes with
// the values known before apply, the attributes that are not, and what each attribute's expression refers to.

/** An expression in a plan's `configuration`: a constant, or the names it refers to. */
export interface PlanExpression {
  readonly constant_value?: unknown;
  /** Most specific first: `["aws_vpc.main.id", "aws_vpc.main"]`. */
  readonly references?: readonly string[];
}

/** A resource block in a plan's `configuration` (not expanded by count or for_each). */
export interface PlanConfigResource {
  /** Relative to its module: `aws_vpc.main`. */
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly provider_config_key?: string;
  readonly expressions?: Readonly<Record<string, PlanExpression | unknown>>;
  readonly count_expression?: PlanExpression;
  readonly for_each_expression?: PlanExpression;
}

/** A module in a plan's `configuration`: the root, or the body of a module call. */
export interface PlanConfigModule {
  readonly resources?: readonly PlanConfigResource[];
  readonly module_calls?: Readonly<Record<string, PlanModuleCall>>;
  readonly outputs?: Readonly<Record<string, { readonly expression?: PlanExpression }>>;
  readonly variables?: Readonly<Record<string, unknown>>;
}

/** A `module` block in a plan's `configuration`, with its arguments and the module's own configuration. */
export interface PlanModuleCall {
  readonly source?: string;
  readonly expressions?: Readonly<Record<string, PlanExpression | unknown>>;
  readonly count_expression?: PlanExpression;
  readonly for_each_expression?: PlanExpression;
  readonly module?: PlanConfigModule;
}

/** What Terraform plans for one resource instance. */
export interface PlanChange {
  /** `["create"]`, `["update"]`, `["delete", "create"]`, `["no-op"]`, `["read"]`… */
  readonly actions: readonly string[];
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  /** The same shape as `after`, `true` where a value is known only after apply. */
  readonly after_unknown?: Record<string, unknown>;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  readonly replace_paths?: readonly unknown[];
}

/** One entry of a plan's `resource_changes`. */
export interface PlanResourceChange {
  /** `module.net[0].aws_vpc.main`, `aws_subnet.app["a"]`. */
  readonly address: string;
  /** `module.net[0]`; absent in the root module. */
  readonly module_address?: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** The count index or for_each key. */
  readonly index?: number | string;
  readonly provider_name?: string;
  /** Set on a deposed object, which the plan destroys. */
  readonly deposed?: string;
  readonly action_reason?: string;
  readonly change: PlanChange;
}

/**
 * `terraform show -json` of a saved plan: the parts read here and by the plan summary.
 *
 * @see https://developer.hashicorp.com/terraform/internals/json-format#plan-representation
 */
export interface TerraformPlan {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly resource_changes?: readonly PlanResourceChange[];
  readonly configuration?: { readonly root_module?: PlanConfigModule; readonly provider_config?: Readonly<Record<string, unknown>> };
  readonly planned_values?: unknown;
  readonly prior_state?: unknown;
  readonly output_changes?: Readonly<Record<string, PlanChange>>;
  readonly applyable?: boolean;
  readonly complete?: boolean;
  readonly errored?: boolean;
}

/** A module's references as far as they link resources: arguments of its module calls and its outputs. */
export interface ModuleLinks {
  /** Per module call: the references of each argument, and the called module's own links. */
  readonly calls: Readonly<Record<string, { readonly args: Readonly<Record<string, readonly string[]>>; readonly module: ModuleLinks }>>;
  /** Per output: what its value refers to. */
  readonly outputs: Readonly<Record<string, readonly string[]>>;
}

/** One resource instance, from a plan or a configuration. */
export interface TerraformResource {
  /** The instance's address: `module.net[0].aws_subnet.app[1]`. */
  readonly address: string;
  /** The module instance it is in, `module.net[0]`; `''` in the root module. */
  readonly module: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** The count index or for_each key. */
  readonly index?: number | string;
  /** A plan's actions for it; `[]` in a configuration. */
  readonly actions: readonly string[];
  /** Top-level attributes and their values as they will be (a plan's `after`; a configuration's literals). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Top-level attributes whose value, or some of it, is known only after apply. */
  readonly unknown: ReadonlySet<string>;
  /** Top-level attributes the configuration sets (as opposed to computed or defaulted ones). */
  readonly configured: ReadonlySet<string>;
  /** What each attribute's expression refers to, most specific first: `{ vpc_id: ["aws_vpc.main.id", "aws_vpc.main"] }`. */
  readonly references: Readonly<Record<string, readonly string[]>>;
  /** A plan's values before the change; null when it creates the resource; absent in a configuration. */
  readonly before?: Readonly<Record<string, unknown>> | null;
  /**
   * A configuration's resource whose count or for_each is an expression: this one entry (address `…[*]`)
   * stands for all its instances, and none of its values is known.
   */
  readonly unknownInstances?: true;
}

/** A module call that a configuration names but does not contain (its source is elsewhere). */
export interface UnexpandedModule {
  readonly address: string;
  readonly source: string;
}

/** A Terraform plan or configuration, read into resource instances. */
export interface TerraformDocument {
  readonly format: 'plan' | 'configuration';
  readonly terraformVersion?: string;
  /** Managed resources and data sources; a plan's resources that it only destroys are left out. */
  readonly resources: readonly TerraformResource[];
  /** The root module's links between modules (plans only; a configuration in JSON has the root module alone). */
  readonly links: ModuleLinks;
  /** Module calls of a configuration, whose resources are not in it. */
  readonly unexpandedModules: readonly UnexpandedModule[];
  /** The plan as read, for readers that need more of it. */
  readonly plan?: TerraformPlan;
}

/** The text is not JSON, or not a Terraform plan or configuration. */
export class TerraformJsonError extends Error {
  override readonly name = 'TerraformJsonError';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The top-level keys of Terraform's JSON configuration syntax. */
const CONFIG_KEYS = new Set(['//', 'terraform', 'provider', 'resource', 'data', 'module', 'variable', 'output', 'locals', 'moved', 'import', 'removed', 'check']);

/**
 * Reads Terraform JSON: a plan (`terraform show -json plan.bin`) or a configuration in JSON syntax (cdktf's
 * `cdk.tf.json`, any `*.tf.json`).
 *
 * @example
 * const doc = readTerraformJson(readFileSync('plan.json', 'utf8'));
 * for (const r of doc.resources) console.log(r.address, r.actions.join('/'));
 * @throws TerraformJsonError when the text is not JSON, or not a plan or configuration (a state, say).
 * @see https://developer.hashicorp.com/terraform/internals/json-format
 */
export function readTerraformJson(text: string): TerraformDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new TerraformJsonError(`not JSON: ${(cause as Error).message}`, { cause });
  }
  return toTerraformDocument(value);
}

/**
 * Tells a plan from a configuration and reads it (see {@link readTerraformJson}).
 *
 * @throws TerraformJsonError when the value is neither.
 */
export function toTerraformDocument(value: unknown): TerraformDocument {
  if (!isObject(value)) throw new TerraformJsonError('not Terraform JSON: expected a JSON object');
  if (typeof value.format_version === 'string') {
    if ('resource_changes' in value || 'planned_values' in value || 'configuration' in value) return fromPlan(value as unknown as TerraformPlan);
    if ('values' in value) throw new TerraformJsonError('a Terraform state (`terraform show -json` of a state), not a plan: save a plan with `terraform plan -out` and show that');
  }
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => CONFIG_KEYS.has(k))) return fromConfiguration(value);
  throw new TerraformJsonError('not Terraform JSON: expected a plan (`terraform show -json plan.bin`) or a configuration in JSON syntax (`*.tf.json`)');
}

/** Whether a parsed JSON value is a plan (`terraform show -json` of a saved plan). */
export const isTerraformPlan = (value: unknown): value is TerraformPlan =>
  isObject(value) && typeof value.format_version === 'string' && ('resource_changes' in value || 'planned_values' in value);

// Addresses ---------------------------------------------------------------------------------------------

/** `[0]`, `["a"]`: how an address writes an instance key. */
export const instanceKey = (key: number | string | undefined): string => (key === undefined ? '' : `[${JSON.stringify(key)}]`);

/** One step of an address or reference: a name and, maybe, an instance key (`dynamic` when it is an expression). */
export interface AddressStep {
  readonly name: string;
  readonly key?: number | string;
  readonly dynamic?: true;
}

/** Splits `module.a["x.y"].aws_vpc.main[0].id` into steps, keeping quoted keys whole. */
export function addressSteps(address: string): AddressStep[] {
  const steps: AddressStep[] = [];
  const pattern = /([^.[\]]+)((?:\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\])?)\.?/gy;
  for (let match = pattern.exec(address); match && match[0] !== ''; match = pattern.exec(address)) {
    const [, name, bracket] = match as unknown as [string, string, string];
    if (!bracket) {
      steps.push({ name });
      continue;
    }
    const inner = bracket.slice(1, -1);
    if (/^\d+$/.test(inner)) steps.push({ name, key: Number(inner) });
    else if (inner.startsWith('"')) steps.push({ name, key: JSON.parse(inner) as string });
    else steps.push({ name, dynamic: true });
  }
  return steps;
}

/** The module instance path of an address without its keys: `module.a[0].module.b` → `['a', 'b']`. */
const moduleNames = (module: string): string[] => {
  const steps = addressSteps(module);
  return steps.filter((_, i) => i % 2 === 1).map((s) => s.name);
};

// Plans -------------------------------------------------------------------------------------------------

const expressionReferences = (expression: unknown): readonly string[] =>
  isObject(expression) && Array.isArray(expression.references) ? (expression.references as string[]) : [];

const referencesOf = (expressions: Readonly<Record<string, unknown>> | undefined) =>
  Object.fromEntries(Object.entries(expressions ?? {}).flatMap(([k, e]) => (expressionReferences(e).length ? [[k, expressionReferences(e)]] : [])));

function linksOf(module: PlanConfigModule | undefined): ModuleLinks {
  return {
    calls: Object.fromEntries(
      Object.entries(module?.module_calls ?? {}).map(([name, call]) => [name, { args: referencesOf(call.expressions), module: linksOf(call.module) }]),
    ),
    outputs: Object.fromEntries(Object.entries(module?.outputs ?? {}).map(([name, o]) => [name, expressionReferences(o.expression)])),
  };
}

/** The configuration of a resource block, by module names and relative address. */
function configLookup(root: PlanConfigModule | undefined): (module: string, address: string) => PlanConfigResource | undefined {
  const index = new Map<string, PlanConfigResource>();
  const walk = (module: PlanConfigModule | undefined, path: string) => {
    for (const r of module?.resources ?? []) index.set(`${path}${r.address}`, r);
    for (const [name, call] of Object.entries(module?.module_calls ?? {})) walk(call.module, `${path}module.${name}.`);
  };
  walk(root, '');
  return (module, address) => index.get(`${moduleNames(module).map((n) => `module.${n}.`).join('')}${address}`);
}

/** Whether a value of `after_unknown` marks anything unknown. */
const anyUnknown = (v: unknown): boolean => v === true || (Array.isArray(v) ? v.some(anyUnknown) : isObject(v) && Object.values(v).some(anyUnknown));

function fromPlan(plan: TerraformPlan): TerraformDocument {
  const root = plan.configuration?.root_module;
  const config = configLookup(root);
  const resources = (plan.resource_changes ?? [])
    .filter((rc) => !rc.deposed && !(rc.change.actions.length === 1 && rc.change.actions[0] === 'delete'))
    .map((rc): TerraformResource => {
      const module = rc.module_address ?? '';
      const block = config(module, `${rc.mode === 'data' ? 'data.' : ''}${rc.type}.${rc.name}`);
      const after = rc.change.after ?? {};
      const unknownTree = rc.change.after_unknown ?? {};
      const unknown = new Set(Object.keys(unknownTree).filter((k) => anyUnknown(unknownTree[k])));
      return {
        address: rc.address,
        module,
        mode: rc.mode,
        type: rc.type,
        name: rc.name,
        ...(rc.index === undefined ? {} : { index: rc.index }),
        actions: rc.change.actions,
        values: Object.fromEntries(Object.entries(after).filter(([k]) => !unknown.has(k))),
        unknown,
        configured: new Set(Object.keys(block?.expressions ?? {})),
        references: referencesOf(block?.expressions),
        before: rc.change.before,
      };
    });
  return {
    format: 'plan',
    ...(plan.terraform_version ? { terraformVersion: plan.terraform_version } : {}),
    resources,
    links: linksOf(root),
    unexpandedModules: [],
    plan,
  };
}

// Configurations ----------------------------------------------------------------------------------------

/** A block in JSON syntax may be an object or an array of objects. */
const bodies = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : isObject(v) ? [v] : []);

/** Whether a value holds a `${…}` interpolation anywhere (`$${` is a literal `${`). */
const interpolates = (v: unknown): boolean =>
  typeof v === 'string' ? /(^|[^$])\$\{/.test(v) : Array.isArray(v) ? v.some(interpolates) : isObject(v) && Object.values(v).some(interpolates);

/** The strings of a value, nested ones included. */
const stringsOf = (v: unknown): string[] =>
  typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(stringsOf) : isObject(v) ? Object.values(v).flatMap(stringsOf) : [];

/** The first names of references that are no resource, data source or module call. */
export const NON_OBJECT_ROOTS: ReadonlySet<string> = new Set(['var', 'local', 'count', 'each', 'path', 'self', 'terraform']);

/** A traversal in an expression: `aws_vpc.main[0].id`, `var.cidr`, `module.net.vpc_id`, not followed by `(`. */
const TRAVERSAL = /(?<![\w.\]"])([A-Za-z_][\w-]*(?:\[(?:\d+|"[^"]*"|[\w.]+)\]|\.[A-Za-z_][\w-]*|\.\d+)+)(?!\s*\()/g;

/**
 * What the `${…}` interpolations of a configuration value refer to, as a plan's `references` lists them:
 * each traversal, then its resource or module (`["aws_vpc.main.id", "aws_vpc.main"]`).
 */
export function interpolationReferences(value: unknown): string[] {
  const found = new Set<string>();
  for (const text of stringsOf(value)) {
    for (const [, body] of text.matchAll(/(?:^|[^$])\$\{([^}]*)\}/g)) {
      // Quoted strings inside the expression are not references.
      for (const [, traversal] of body!.replace(/"(?:[^"\\]|\\.)*"(?!\])/g, '""').matchAll(TRAVERSAL)) {
        found.add(traversal!);
        // The object it traverses: a resource (`aws_vpc.main`), a data source (`data.aws_vpc.x`), a module call.
        const steps = addressSteps(traversal!);
        const head = steps[0]!.name;
        const object = head === 'data' ? 3 : 2;
        if (steps.length > object && !NON_OBJECT_ROOTS.has(head)) {
          found.add(steps.slice(0, object).map((s) => `${s.name}${instanceKey(s.key)}`).join('.'));
        }
      }
    }
  }
  return [...found];
}

/** The instance keys of a literal `count` or `for_each`; undefined without either, `expression` for one of those. */
function instanceKeys(body: Json): (number | string)[] | 'expression' | undefined {
  if ('count' in body) {
    const count = body.count;
    return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? Array.from({ length: count }, (_, i) => i) : 'expression';
  }
  if (!('for_each' in body)) return undefined;
  const each = body.for_each;
  if (isObject(each) && !interpolates(each)) return Object.keys(each);
  if (Array.isArray(each) && each.every((k) => typeof k === 'string' && !interpolates(k))) return [...new Set(each as string[])];
  return 'expression';
}

function fromConfiguration(config: Json): TerraformDocument {
  const resources: TerraformResource[] = [];
  const unexpandedModules: UnexpandedModule[] = [];
  const add = (mode: 'managed' | 'data', type: string, name: string, body: Json) => {
    const attributes = Object.fromEntries(Object.entries(body).filter(([k]) => !['//', 'count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection'].includes(k)));
    const unknown = new Set(Object.keys(attributes).filter((k) => interpolates(attributes[k])));
    const references = Object.fromEntries(
      Object.keys(attributes).flatMap((k) => {
        const refs = interpolationReferences(attributes[k]);
        return refs.length ? [[k, refs]] : [];
      }),
    );
    const base = `${mode === 'data' ? 'data.' : ''}${type}.${name}`;
    const common = { module: '', mode, type, name, actions: [], unknown, configured: new Set(Object.keys(attributes)), references };
    const values = Object.fromEntries(Object.entries(attributes).filter(([k]) => !unknown.has(k)));
    const keys = instanceKeys(body);
    if (keys === undefined) resources.push({ ...common, address: base, values });
    // count or for_each from an expression: one entry stands for the unknown instances, every value unknown.
    else if (keys === 'expression') resources.push({ ...common, address: `${base}[*]`, values: {}, unknown: new Set(Object.keys(attributes)), unknownInstances: true });
    else for (const index of keys) resources.push({ ...common, address: `${base}${instanceKey(index)}`, index, values });
  };
  for (const [mode, key] of [['managed', 'resource'], ['data', 'data']] as const) {
    for (const byType of bodies(config[key])) {
      for (const [type, byName] of Object.entries(byType)) {
        for (const named of bodies(byName)) for (const [name, body] of Object.entries(named)) for (const b of bodies(body)) add(mode, type, name, b);
      }
    }
  }
  for (const calls of bodies(config.module)) {
    for (const [name, body] of Object.entries(calls)) {
      for (const b of bodies(body)) unexpandedModules.push({ address: `module.${name}`, source: typeof b.source === 'string' ? b.source : '?' });
    }
  }
  const outputs = Object.fromEntries(
    bodies(config.output).flatMap((o) => Object.entries(o).map(([name, body]) => [name, interpolationReferences(bodies(body)[0]?.value)])),
  );
  return { format: 'configuration', resources, links: { calls: {}, outputs }, unexpandedModules };
}
