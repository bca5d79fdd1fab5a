// A reviewer's summary of Terraform plans: per environment and per reflex what is created, updated, replaced
// and destroyed, the permissions granted or widened, queues whose messages a change would lose, and drift.
// Pure: plans come in parsed (see asTerraformPlan), the summary goes out as data (see markdown.ts for text).
import { diffPolicies, documentStatements, type DocumentStatement, InvalidPolicyError, policyStatements, UNKNOWN_PREFIX } from './iam-diff';
import type { ConfigModule, ConfigResource, PlanChangeJson, ResourceChangeJson, StateModule, PlanJson } from './plan-input';
import type {
  AttributeChange,
  Counts,
  Destroy,
  Drift,
  EnvironmentSummary,
  MessageLoss,
  PlanSummary,
  PolicyReport,
  PolicyStatement,
  ReflexSummary,
  ResourceAction,
  ResourceSummary,
  UnknownPolicy,
  Widening,
} from './plan-summary-schema';

/** One plan file: how to name it in the summary, and its JSON. */
export interface PlanInput {
  readonly label: string;
  readonly plan: PlanJson;
}

export interface PlanSummaryOptions {
  /**
   * Reflex names to map resources to, besides those the plan shows (a Lambda log group `/aws/lambda/reflex-<env>-<name>`,
   * a function, a worker policy `reflex-<env>-<name>-worker`). @default []
   */
  readonly reflexes?: readonly string[];
}

/** The group of resources no reflex owns: the bus, the HTTP API, the forwarding rules, the audit queue. */
export const SHARED = 'shared';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

/** Deep equality that takes null, "", [] and {} for the same nothing (providers and APIs write them differently). */
function same(a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => same(v, b[i]));
  if (isObject(a) && isObject(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => same(a[k], b[k]));
  return a === b;
}

/** The value at `path` (attribute names, map keys, list indexes). */
const valueAt = (values: unknown, path: readonly (string | number)[]): unknown =>
  path.reduce<unknown>((v, k) => (isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined), values);

/** The node of a mirror tree (`after_unknown`, `*_sensitive`) at `path`: `true` when it or an ancestor is marked. */
function marked(tree: unknown, path: readonly (string | number)[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === true) return true;
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}
const isMarked = (tree: unknown, path: readonly (string | number)[]) => marked(tree, path) === true;
/** Whether anything at or under `path` is marked: a sensitive value anywhere inside is never printed. */
const markedWithin = (tree: unknown, path: readonly (string | number)[]): boolean => {
  const anyTrue = (n: unknown): boolean => n === true || (typeof n === 'object' && n !== null && Object.values(n).some(anyTrue));
  return anyTrue(marked(tree, path));
};

const MAX_VALUE = 160;
function display(value: unknown): string {
  if (value === undefined || value === null) return '(none)';
  const text = typeof value === 'string' ? (value === '' ? '""' : value) : JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

const parseJson = (text: unknown): unknown => {
  if (typeof text !== 'string' || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
};

/** A plan's resources and configuration, indexed, and the environment they belong to. */
class PlanIndex {
  readonly changes = new Map<string, ResourceChangeJson>();
  readonly drift = new Map<string, ResourceChangeJson>();
  private readonly config = new Map<string, ConfigResource>();
  private readonly state = new Map<string, Json>();
  readonly env: string;
  readonly envSource: EnvironmentSummary['source'];
  readonly reflexes: string[];

  constructor(
    readonly label: string,
    readonly plan: PlanJson,
    extraReflexes: readonly string[],
  ) {
    for (const rc of plan.resource_changes ?? []) this.changes.set(rc.address, rc);
    for (const rc of plan.resource_drift ?? []) this.drift.set(rc.address, rc);
    const walkConfig = (module: ConfigModule | undefined, prefix: string) => {
      for (const r of module?.resources ?? []) this.config.set(prefix + r.address, r);
      for (const [name, call] of Object.entries(module?.module_calls ?? {})) walkConfig(call.module, `${prefix}module.${name}.`);
    };
    walkConfig(plan.configuration?.root_module, '');
    const walkState = (module: StateModule | undefined) => {
      for (const r of module?.resources ?? []) if (r.values) this.state.set(r.address, r.values);
      for (const child of module?.child_modules ?? []) walkState(child);
    };
    walkState(plan.prior_state?.values?.root_module);
    [this.env, this.envSource] = this.findEnvironment();
    this.reflexes = [...new Set([...this.inferReflexes(), ...extraReflexes])].sort((a, b) => b.length - a.length);
  }

  /** The `reflex:env` most resources are tagged with, else the provider's default tag, else the file name. */
  private findEnvironment(): [string, EnvironmentSummary['source']] {
    const votes = new Map<string, number>();
    for (const rc of this.changes.values()) {
      const values = rc.change.after ?? rc.change.before;
      const tags = (values?.tags_all ?? values?.tags) as Json | undefined;
      const env = tags?.['reflex:env'];
      if (typeof env === 'string') votes.set(env, (votes.get(env) ?? 0) + 1);
    }
    const top = [...votes].sort((a, b) => b[1] - a[1])[0];
    if (top) return [top[0], 'tag'];
    for (const provider of Object.values(this.plan.configuration?.provider_config ?? {})) {
      const blocks = provider.expressions?.default_tags;
      const tags = Array.isArray(blocks) ? ((blocks[0] as Json | undefined)?.tags as { constant_value?: Json } | undefined)?.constant_value : undefined;
      if (typeof tags?.['reflex:env'] === 'string') return [tags['reflex:env'], 'provider'];
    }
    return [this.label.replace(/^.*[\\/]/, '').replace(/(\.gz)?$/, '').replace(/\.json$/, ''), 'file'];
  }

  /** Reflexes as Reflex builds them: a Lambda log group, function or worker policy named for each. */
  private inferReflexes(): string[] {
    const prefix = `reflex-${this.env}-`;
    const found = new Set<string>();
    for (const rc of this.changes.values()) {
      const values = rc.change.after ?? rc.change.before;
      const text = (key: string) => (typeof values?.[key] === 'string' ? (values[key] as string) : '');
      const named =
        rc.type === 'aws_cloudwatch_log_group' && text('name').startsWith('/aws/lambda/') ? text('name').slice('/aws/lambda/'.length)
        : rc.type === 'aws_lambda_function' ? text('function_name')
        : rc.type === 'aws_iam_policy' && text('name').endsWith('-worker') ? text('name').slice(0, -'-worker'.length)
        : '';
      if (named.startsWith(prefix) && named.length > prefix.length) found.add(named.slice(prefix.length));
    }
    return [...found];
  }

  configOf(address: string): ConfigResource | undefined {
    return this.config.get(address.replace(/\[[^\]]*\]/g, ''));
  }

  stateOf(address: string): Json | undefined {
    return this.state.get(address);
  }

  /** The addresses of the resources an expression refers to (`aws_sqs_queue.q.arn` → `aws_sqs_queue.q`). */
  referencedAddresses(from: string, expression: unknown): string[] {
    const module = /^((module\.[^.]+\.)*)/.exec(from.replace(/\[[^\]]*\]/g, ''))?.[1] ?? '';
    const refs: string[] = [];
    const walk = (node: unknown) => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (isObject(node)) {
        if (Array.isArray(node.references)) refs.push(...(node.references as string[]));
        Object.entries(node).forEach(([k, v]) => k !== 'references' && walk(v));
      }
    };
    walk(expression);
    const addresses = refs.flatMap((ref) => {
      const parts = ref.split('.');
      if (parts[0] === 'data' && parts.length >= 3) return [`${module}${parts.slice(0, 3).join('.')}`];
      if (['var', 'local', 'each', 'count', 'path', 'terraform', 'module', 'self'].includes(parts[0]!) || parts.length < 2) return [];
      return [`${module}${parts.slice(0, 2).join('.')}`];
    });
    return [...new Set(addresses)];
  }

  /** A change by its address, an instance key tolerated (`aws_x.y` finds `aws_x.y[0]`). */
  change(address: string): ResourceChangeJson | undefined {
    return this.changes.get(address) ?? [...this.changes.values()].find((rc) => rc.address.replace(/\[[^\]]*\]/g, '') === address);
  }
}

/** Attributes that name a resource, or the resource it belongs to, in the order they are tried. */
const NAME_KEYS = ['name', 'function_name', 'alarm_name', 'role', 'rule', 'queue_url', 'log_group_name', 'bucket', 'topic_arn', 'arn', 'route_key', 'integration_uri'];

/** How each type names itself when `name` does not say it all: `<owner>/<own name>`. */
const COMPOSITE_NAMES: Record<string, readonly [string, string]> = {
  aws_cloudwatch_event_target: ['rule', 'target_id'],
  aws_iam_role_policy: ['role', 'name'],
  aws_iam_role_policy_attachment: ['role', 'policy_arn'],
  aws_lambda_permission: ['function_name', 'statement_id'],
};

/** A resource's name from its values (`text` reads one), composite where its type says so. */
function nameFrom(type: string, text: (key: string) => string | undefined): string | undefined {
  const composite = COMPOSITE_NAMES[type];
  if (!composite) return NAME_KEYS.map(text).find((t) => t !== undefined);
  const [owner, own] = composite.map(text);
  return owner && own ? `${owner}/${own}` : (owner ?? own);
}

/** The name a resource had before the plan (a replacement may rename it). */
const formerName = (rc: ResourceChangeJson) =>
  nameFrom(rc.type, (key) => {
    const value = rc.change.before?.[key];
    return typeof value === 'string' && value !== '' ? value : undefined;
  });

/** Resolves names, owners and values known only after apply of one plan. */
class Resolver {
  private readonly names = new Map<string, string | undefined>();

  constructor(readonly index: PlanIndex) {}

  /**
   * A top-level value as text: the value when known, else `(known after apply) ‹arn of aws_sqs_queue q›` from
   * the configuration's expression.
   */
  valueText(rc: ResourceChangeJson, key: string, depth = 0): string | undefined {
    const values = rc.change.after ?? rc.change.before;
    const value = values?.[key];
    if (typeof value === 'string' && value !== '') return value;
    if (!isMarked(rc.change.after_unknown, [key])) return undefined;
    const expression = this.index.configOf(rc.address)?.expressions?.[key] as { constant_value?: unknown } | undefined;
    return typeof expression?.constant_value === 'string' ? this.template(expression.constant_value, depth) : undefined;
  }

  /** A configuration template with its references named: `${aws_sqs_queue.q.arn}` → `‹arn of aws_sqs_queue reflex-dev-q›`. */
  template(text: string, depth = 0): string {
    let unknown = false;
    const named = text.replace(/(?<!\$)\$\{([^}]+)\}/g, (whole, ref: string) => {
      const parts = ref.trim().split('.');
      const data = parts[0] === 'data';
      const [type, name, ...attribute] = data ? parts.slice(1) : parts;
      if (!type || !name) return whole;
      unknown = true;
      const address = `${data ? 'data.' : ''}${type}.${name}`;
      const target = depth < 3 ? this.nameOf(address, depth + 1) : undefined;
      return `‹${attribute.join('.') || 'id'} of ${type} ${target ?? name}›`;
    });
    const literal = named.replaceAll('$${', '${');
    return unknown ? `${UNKNOWN_PREFIX}) ${literal}` : literal;
  }

  /** The AWS name of the resource at `address` (or what stands for one), when the plan says it. */
  nameOf(address: string, depth = 0): string | undefined {
    if (this.names.has(address)) return this.names.get(address);
    const rc = this.index.change(address);
    const name = rc
      ? nameFrom(rc.type, (key) => {
          const t = this.valueText(rc, key, depth);
          // A name known after apply: the name of the resource it comes from.
          return t?.startsWith(UNKNOWN_PREFIX) ? t.replace(/^\(known after apply\) ‹[^ ]+ of [^ ]+ (.*)›$/, '$1') : t;
        })
      : undefined;
    this.names.set(address, name);
    return name;
  }

  /** The reflex a resource belongs to, by the names it carries, else by what it refers to; else {@link SHARED}. */
  ownerOf(rc: ResourceChangeJson, depth = 0): string {
    const prefix = `reflex-${this.index.env}-`;
    for (const key of NAME_KEYS) {
      const text = this.valueText(rc, key);
      const at = text?.indexOf(prefix) ?? -1;
      if (!text || at < 0) continue;
      const rest = text.slice(at + prefix.length).split(/[/:›\s]/)[0]!;
      return this.index.reflexes.find((r) => rest === r || rest.startsWith(`${r}-`) || rest.startsWith(`${r}.`)) ?? SHARED;
    }
    if (depth >= 3) return SHARED;
    const expressions = this.index.configOf(rc.address)?.expressions;
    for (const address of this.index.referencedAddresses(rc.address, expressions)) {
      const target = this.index.change(address);
      const owner = target && target.address !== rc.address ? this.ownerOf(target, depth + 1) : SHARED;
      if (owner !== SHARED) return owner;
    }
    return SHARED;
  }

  /**
   * The statements of a policy document Terraform knows only after apply, from the `aws_iam_policy_document` the
   * attribute's expression reads, as planned (values it still lacks written as text); undefined when it cannot tell.
   */
  plannedDocument(rc: ResourceChangeJson, attribute: string): PolicyStatement[] | undefined {
    const expression = this.index.configOf(rc.address)?.expressions?.[attribute] as { constant_value?: unknown } | undefined;
    const only = typeof expression?.constant_value === 'string' ? /^\$\{(data\.aws_iam_policy_document\.[^.}]+)\.(minified_)?json\}$/.exec(expression.constant_value) : null;
    if (!only) return undefined;
    const [address] = this.index.referencedAddresses(rc.address, { references: [`${only[1]}.json`] });
    const read = this.index.change(address!);
    if (!read) {
      const json = this.index.stateOf(address!)?.json;
      return typeof json === 'string' ? policyStatements(json) : undefined;
    }
    const after = read.change.after;
    if (!after || !Array.isArray(after.statement)) return undefined;
    // Documents merged in from elsewhere are not in the statements: cannot tell.
    if (!isEmpty(after.source_policy_documents) || !isEmpty(after.override_policy_documents) || after.source_json || after.override_json) return undefined;
    const config = (this.index.configOf(read.address)?.expressions?.statement ?? []) as Json[];
    const blocks = (after.statement as Json[]).map((block, i) => this.knownBlock(block, marked(read.change.after_unknown, ['statement', i]), config[i]));
    return documentStatements(blocks);
  }

  /** A statement block with its unknown values written from the configuration's templates. */
  private knownBlock(block: Json, unknown: unknown, config: Json | undefined): DocumentStatement {
    const values = (key: string, b: Json = block, u: unknown = marked(unknown, [key]), c: unknown = config?.[key]): string[] | null => {
      const planned = b[key] as (string | null)[] | null | undefined;
      const templates = ((c as { constant_value?: unknown } | undefined)?.constant_value ?? []) as unknown[];
      if (u === true) return templates.map((t) => (typeof t === 'string' ? this.template(t) : `${UNKNOWN_PREFIX})`));
      if (!planned) return null;
      // Unknown elements take the templates of the configured elements that have references, in order.
      const pending = templates.filter((t): t is string => typeof t === 'string' && /(?<!\$)\$\{/.test(t));
      return planned.map((v, i) => (v !== null && !isMarked(u, [i]) ? v : pending.length ? this.template(pending.shift()!) : `${UNKNOWN_PREFIX})`));
    };
    // Principals and conditions are sets: the provider reorders them, so each finds its configured block by its keys.
    const constant = (e: unknown) => (e as { constant_value?: unknown } | undefined)?.constant_value;
    const nested = (key: 'principals' | 'not_principals' | 'condition') => {
      const field = key === 'condition' ? 'values' : 'identifiers';
      const keys = key === 'condition' ? ['test', 'variable'] : ['type'];
      const configured = (config?.[key] ?? []) as Json[];
      return ((block[key] ?? []) as Json[]).map((entry, i) => {
        const match = configured.find((c) => keys.every((k) => constant(c[k]) === entry[k]));
        return { ...entry, [field]: values(field, entry, marked(unknown, [key, i, field]), match?.[field]) ?? [] };
      });
    };
    return {
      sid: block.sid as string | null,
      effect: block.effect as string | null,
      actions: values('actions'),
      not_actions: values('not_actions'),
      resources: values('resources'),
      not_resources: values('not_resources'),
      principals: nested('principals') as unknown as DocumentStatement['principals'],
      not_principals: nested('not_principals') as unknown as DocumentStatement['not_principals'],
      condition: nested('condition') as unknown as DocumentStatement['condition'],
    };
  }
}

/** What one Terraform action list means. */
function actionOf(actions: readonly string[]): { action: ResourceAction; order?: ResourceSummary['replaceOrder'] } {
  const key = actions.join(',');
  if (key === 'delete,create') return { action: 'replace', order: 'delete-then-create' };
  if (key === 'create,delete') return { action: 'replace', order: 'create-then-delete' };
  if (actions.includes('forget')) return { action: 'forget' };
  const one = actions[0] as ResourceAction | undefined;
  return { action: one && (['create', 'update', 'delete', 'read', 'no-op'] as const).includes(one as never) ? one : 'no-op' };
}

const REASONS: Record<string, string> = {
  replace_because_tainted: 'tainted: an earlier apply failed part-way',
  replace_by_request: 'replacement requested (-replace)',
  replace_by_triggers: 'replace_triggered_by',
  delete_because_no_resource_config: 'removed from the configuration',
  delete_because_no_module: 'its module was removed',
  delete_because_wrong_repetition: 'count or for_each changed',
  delete_because_count_index: 'count no longer includes it',
  delete_because_each_key: 'for_each no longer includes it',
  delete_because_no_move_target: 'the target of its moved block does not exist',
};

const pathText = (path: readonly (string | number)[]) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');

function reasonOf(rc: ResourceChangeJson, action: ResourceAction): string | undefined {
  const paths = rc.change.replace_paths ?? [];
  if (action === 'replace' && (rc.action_reason === 'replace_because_cannot_update' || (!rc.action_reason && paths.length))) {
    return `${paths.map((p) => `\`${pathText(p)}\``).join(', ') || 'an attribute'} cannot change in place`;
  }
  return rc.action_reason ? (REASONS[rc.action_reason] ?? rc.action_reason) : undefined;
}

/** The policy attributes of each resource type whose values are IAM policy documents. */
const POLICY_ATTRIBUTES: Record<string, readonly string[]> = {
  aws_iam_role: ['assume_role_policy', 'inline_policy'],
  aws_iam_role_policy: ['policy'],
  aws_iam_policy: ['policy'],
  aws_iam_user_policy: ['policy'],
  aws_iam_group_policy: ['policy'],
  aws_sqs_queue: ['policy'],
  aws_sqs_queue_policy: ['policy'],
  aws_sns_topic: ['policy'],
  aws_sns_topic_policy: ['policy'],
  aws_cloudwatch_event_bus_policy: ['policy'],
  aws_s3_bucket_policy: ['policy'],
  aws_kms_key: ['policy'],
  aws_secretsmanager_secret_policy: ['policy'],
  aws_ecr_repository_policy: ['policy'],
  aws_dynamodb_resource_policy: ['policy'],
  aws_lambda_permission: ['permission'],
};

/** Managed policy attachments: the attribute naming the policy. */
const ATTACHMENTS: Record<string, string> = {
  aws_iam_role_policy_attachment: 'role',
  aws_iam_user_policy_attachment: 'user',
  aws_iam_group_policy_attachment: 'group',
  aws_iam_policy_attachment: 'roles',
};

/**
 * What a policy resource attaches to: a new one on something that exists already (a role, a queue, a function
 * this plan does not create) widens what is allowed; on something the plan creates, it grants.
 */
const ATTACHED_TO: Record<string, string> = {
  ...ATTACHMENTS,
  aws_iam_role_policy: 'role',
  aws_iam_user_policy: 'user',
  aws_iam_group_policy: 'group',
  aws_sqs_queue_policy: 'queue_url',
  aws_sns_topic_policy: 'arn',
  aws_cloudwatch_event_bus_policy: 'event_bus_name',
  aws_s3_bucket_policy: 'bucket',
  aws_lambda_permission: 'function_name',
  aws_secretsmanager_secret_policy: 'secret_arn',
  aws_ecr_repository_policy: 'repository',
  aws_dynamodb_resource_policy: 'resource_arn',
};

/** Whether a created policy resource attaches to something that exists before this plan. */
function attachesToExisting(index: PlanIndex, rc: ResourceChangeJson): boolean {
  const attribute = ATTACHED_TO[rc.type];
  if (!attribute) return false;
  const targets = index.referencedAddresses(rc.address, index.configOf(rc.address)?.expressions?.[attribute]);
  return !targets.some((address) => index.change(address)?.change.actions.includes('create'));
}

/** A managed policy attached (or detached): what it allows is not in the plan, so it is named. */
function attachmentReport(rc: ResourceChangeJson, action: ResourceAction): PolicyReport[] {
  const arnOf = (side: 'before' | 'after') => rc.change[side]?.policy_arn as string | undefined;
  const to = (side: 'before' | 'after') => {
    const v = rc.change[side]?.[ATTACHMENTS[rc.type]!];
    return Array.isArray(v) ? v.join(', ') : typeof v === 'string' ? v : '(known after apply)';
  };
  const [before, after] = [action === 'create' ? undefined : arnOf('before'), action === 'delete' ? undefined : arnOf('after') ?? '(known after apply)'];
  if (before === after) return [{ attribute: 'policy_arn', kind: 'unchanged', widened: [], narrowed: [] }];
  const found = (kind: 'policy-attached' | 'policy-detached', arn: string, side: 'before' | 'after') => ({
    kind,
    statement: 'policy_arn',
    values: [arn],
    wildcard: false,
    text: `managed policy ${arn} ${kind === 'policy-attached' ? 'attached to' : 'detached from'} ${to(side)}${/:aws:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess)$/.test(arn) ? ' (broad AWS managed policy)' : ''}`,
  });
  return [
    {
      attribute: 'policy_arn',
      kind: after === undefined ? 'revoked' : 'changed',
      widened: after === undefined ? [] : [found('policy-attached', after, 'after')],
      narrowed: before === undefined ? [] : [found('policy-detached', before, 'before')],
    },
  ];
}

/** An aws_lambda_permission as the statement Lambda adds to the function's resource policy. */
function lambdaPermission(resolve: Resolver, rc: ResourceChangeJson, side: 'before' | 'after'): PolicyStatement[] {
  const values = rc.change[side];
  if (!values) return [];
  const text = (key: string) => (side === 'after' ? resolve.valueText(rc, key) : (values[key] as string | null | undefined) || undefined);
  const principal = text('principal') ?? '*';
  const conditions = [
    ['ArnLike', 'aws:SourceArn', text('source_arn')],
    ['StringEquals', 'aws:SourceAccount', text('source_account')],
    ['StringEquals', 'aws:PrincipalOrgID', text('principal_org_id')],
    ['StringEquals', 'lambda:EventSourceToken', text('event_source_token')],
    ['StringEquals', 'lambda:FunctionUrlAuthType', text('function_url_auth_type')],
  ].flatMap(([operator, key, value]) => (value ? [{ operator: operator!, key: key!, values: [value] }] : []));
  const qualifier = text('qualifier');
  return [
    {
      ...(text('statement_id') ? { sid: text('statement_id') } : {}),
      effect: 'Allow',
      actions: [text('action') ?? 'lambda:InvokeFunction'],
      resources: [`${text('function_name') ?? '(function)'}${qualifier ? `:${qualifier}` : ''}`],
      principals: [principal === '*' ? '*' : /^(\d{12}|arn:)/.test(principal) ? `AWS:${principal}` : `Service:${principal}`],
      conditions,
    },
  ];
}

/** The documents of one policy attribute, by name (`inline_policy` holds several), or undefined for unknown. */
type Documents = Map<string, PolicyStatement[]> | undefined;

function documentsOf(resolve: Resolver, rc: ResourceChangeJson, attribute: string, side: 'before' | 'after'): Documents {
  const values = rc.change[side];
  if (!values) return new Map();
  if (attribute === 'permission') return new Map([['permission', lambdaPermission(resolve, rc, side)]]);
  if (side === 'after' && isMarked(rc.change.after_unknown, [attribute])) {
    const planned = resolve.plannedDocument(rc, attribute);
    return planned ? new Map([[attribute, planned]]) : undefined;
  }
  const value = values[attribute];
  if (attribute === 'inline_policy') {
    return new Map(((value ?? []) as Json[]).filter((p) => typeof p.policy === 'string' && p.policy !== '').map((p) => [`inline_policy[${String(p.name)}]`, policyStatements(p.policy as string)]));
  }
  return typeof value === 'string' && value.trim() !== '' ? new Map([[attribute, policyStatements(value)]]) : new Map();
}

/** Statements with the ARNs and names that end in `from` (`…:from`, `…/from`) ending in `to` instead. */
function renamed(statements: PolicyStatement[], from: string, to: string): PolicyStatement[] {
  const swap = (v: string) => (v === from ? to : v.endsWith(`:${from}`) || v.endsWith(`/${from}`) ? v.slice(0, -from.length) + to : v);
  const all = (values?: readonly string[]) => values?.map(swap);
  return statements.map((s) => ({
    ...s,
    ...(s.resources ? { resources: all(s.resources) } : {}),
    ...(s.notResources ? { notResources: all(s.notResources) } : {}),
    conditions: s.conditions.map((c) => ({ ...c, values: c.values.map(swap) })),
  }));
}

/** What one resource's policies grant (a creation) or how they widen and narrow (an update or replacement). */
function permissionsOf(resolve: Resolver, rc: ResourceChangeJson, action: ResourceAction, warn: (attribute: string, message: string) => void): PolicyReport[] {
  if (action === 'read' || action === 'no-op' || action === 'forget') return [];
  if (rc.type in ATTACHMENTS) return attachmentReport(rc, action);
  const attributes = POLICY_ATTRIBUTES[rc.type];
  if (!attributes) return [];
  // A new policy on a role, queue or function that exists already widens it; on a new one it grants.
  const widens = action === 'create' && attachesToExisting(resolve.index, rc);
  const config = resolve.index.configOf(rc.address);
  return attributes.flatMap((attribute): PolicyReport[] => {
    // A policy attribute the configuration leaves out is set by other resources (a role's inline_policy by its
    // aws_iam_role_policy resources, a topic's policy by aws_sns_topic_policy): they report it.
    if (config && attribute !== 'permission' && !(attribute in (config.expressions ?? {}))) return [];
    // Untouched by an update: nothing to say.
    if ((action === 'update' || action === 'replace') && attribute !== 'permission' && !isMarked(rc.change.after_unknown, [attribute]) && same(rc.change.before?.[attribute], rc.change.after?.[attribute])) {
      return [];
    }
    let before: Documents;
    let after: Documents;
    try {
      before = action === 'create' ? new Map() : documentsOf(resolve, rc, attribute, 'before');
      after = action === 'delete' ? new Map() : documentsOf(resolve, rc, attribute, 'after');
    } catch (error) {
      if (!(error instanceof InvalidPolicyError)) throw error;
      warn(attribute, `is not an IAM policy document (${error.message}): not compared`);
      return [];
    }
    if (after === undefined) return [{ attribute, kind: 'unknown', widened: [], narrowed: [] }];
    if (action === 'delete') return before && before.size ? [{ attribute, kind: 'revoked', widened: [], narrowed: [] }] : [];
    const names = [...new Set([...(before?.keys() ?? []), ...after.keys()])];
    // A renamed replacement's policy names itself by its new name: not a change of what it allows.
    const [from, to] = [formerName(rc), resolve.nameOf(rc.address)];
    const own = (statements: PolicyStatement[]) => (action === 'replace' && from && to && from !== to ? renamed(statements, from, to) : statements);
    return names.map((name): PolicyReport => {
      const [b, a] = [own(before?.get(name) ?? []), after.get(name) ?? []];
      if (action === 'create' && !widens) return { attribute: name, kind: 'granted', granted: a, widened: [], narrowed: [] };
      const diff = diffPolicies(b, a);
      return { attribute: name, kind: diff.widened.length || diff.narrowed.length ? 'changed' : 'unchanged', ...diff };
    });
  });
}

/** The attributes an update, a replacement or drift changes, as display text. */
function attributeChanges(
  resolve: Resolver,
  rc: ResourceChangeJson,
  change: PlanChangeJson,
  options: { readonly skip?: ReadonlySet<string>; readonly unknownToo: boolean; readonly drift?: ResourceChangeJson },
): AttributeChange[] {
  const before = change.before ?? {};
  const after = change.after ?? {};
  const replacing = (change.replace_paths ?? []).map((p) => pathText(p));
  const changes: AttributeChange[] = [];
  const side = (values: Json, path: (string | number)[], sensitive: unknown, unknown = false) => {
    if (unknown) {
      const text = path.length === 1 ? resolve.valueText(rc, path[0] as string) : undefined;
      return text?.startsWith(UNKNOWN_PREFIX) ? text : '(known after apply)';
    }
    return markedWithin(sensitive, path) ? '(sensitive)' : display(valueAt(values, path));
  };
  const add = (path: (string | number)[], b: unknown, a: unknown) => {
    const unknown = isMarked(change.after_unknown, path);
    if (!unknown && same(b, a)) return;
    if (unknown && !options.unknownToo && !replacing.includes(pathText(path))) return;
    const entry: AttributeChange = {
      path: pathText(path),
      before: side(before, path, change.before_sensitive),
      after: side(after, path, change.after_sensitive, unknown),
    };
    const parsed = [parseJson(b), parseJson(a)];
    if (!unknown && parsed[0] !== undefined && same(parsed[0], parsed[1])) Object.assign(entry, { before: '(JSON)', after: '(same JSON, written differently)', reformatted: true });
    if (replacing.some((p) => p === entry.path || p.startsWith(`${entry.path}.`) || p.startsWith(`${entry.path}[`))) entry.forcesReplacement = true;
    const drifted = options.drift?.change;
    if (drifted && !unknown) {
      const stateValue = valueAt(drifted.before, path);
      if (!same(stateValue, valueAt(drifted.after, path)) && same(stateValue, a)) entry.revertsDrift = true;
    }
    changes.push(entry);
  };
  for (const key of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    if (options.skip?.has(key)) continue;
    const [b, a] = [before[key], after[key]];
    const unknown = isMarked(change.after_unknown, [key]);
    // Maps (tags…) key by key; tags_all only where it says more than tags.
    if (!unknown && (isObject(b) || isObject(a)) && !markedWithin(change.before_sensitive, [key]) && !markedWithin(change.after_sensitive, [key])) {
      for (const k of [...new Set([...Object.keys(isObject(b) ? b : {}), ...Object.keys(isObject(a) ? a : {})])].sort()) {
        const [bk, ak] = [(b as Json | undefined)?.[k], (a as Json | undefined)?.[k]];
        if (key === 'tags_all' && same((before.tags as Json | undefined)?.[k], bk) && same((after.tags as Json | undefined)?.[k], ak)) continue;
        add([key, k], bk, ak);
      }
      continue;
    }
    add([key], b, a);
  }
  return changes;
}

const ZERO: Counts = { create: 0, update: 0, replace: 0, delete: 0, read: 0, noOp: 0, forget: 0 };
const countKey = (action: ResourceAction): keyof Counts => (action === 'no-op' ? 'noOp' : action);
const addCounts = (a: Counts, b: Counts): Counts =>
  Object.fromEntries(Object.keys(ZERO).map((k) => [k, a[k as keyof Counts] + b[k as keyof Counts]])) as Counts;

const queueAdvice = (dlq: boolean, url: string | undefined, arn: string | undefined) => {
  const check = `check \`aws sqs get-queue-attributes --queue-url ${url ?? '<url>'} --attribute-names ApproximateNumberOfMessages ApproximateNumberOfMessagesNotVisible ApproximateNumberOfMessagesDelayed\``;
  return dlq
    ? `It holds the events its reflex failed on, and they go with it. Before applying: ${check}; if any, redrive them to the source queue (\`aws sqs start-message-move-task --source-arn ${arn ?? '<dlq-arn>'}\`) and let the reflex handle them, or save them; then apply.`
    : `Messages still in it are lost with it. Before applying: ${check}; stop new events (disable the reflex's rules) and let the reflex drain it to 0 — or redrive what its dead-letter queue holds afterwards — then apply.`;
};

/** Everything one plan file contributes. */
interface FileSummary {
  readonly env: string;
  readonly source: EnvironmentSummary['source'];
  readonly label: string;
  readonly counts: Counts;
  readonly reflexes: Map<string, ReflexSummary>;
  readonly drift: Drift[];
  readonly otherDrift: { resources: number; attributes: Set<string> };
  readonly widened: Widening[];
  readonly messageLoss: MessageLoss[];
  readonly destroyed: Destroy[];
  readonly unknownPolicies: UnknownPolicy[];
  readonly warnings: string[];
}

const ACTION_ORDER: readonly ResourceAction[] = ['replace', 'delete', 'update', 'create', 'forget', 'read', 'no-op'];

function summarizeFile(input: PlanInput, options: PlanSummaryOptions): FileSummary {
  const index = new PlanIndex(input.label, input.plan, options.reflexes ?? []);
  const resolve = new Resolver(index);
  const { env } = index;
  const file: FileSummary = {
    env,
    source: index.envSource,
    label: input.label,
    counts: { ...ZERO },
    reflexes: new Map(),
    drift: [],
    otherDrift: { resources: 0, attributes: new Set() },
    widened: [],
    messageLoss: [],
    destroyed: [],
    unknownPolicies: [],
    warnings: [],
  };
  if (input.plan.errored) file.warnings.push(`${input.label}: the plan errored; what it shows may be incomplete`);
  else if (input.plan.complete === false) file.warnings.push(`${input.label}: the plan is incomplete (deferred changes): plan again after applying it`);

  for (const rc of index.changes.values()) {
    const { action, order } = actionOf(rc.change.actions);
    file.counts[countKey(action)]++;
    if (rc.mode === 'data' || rc.address.startsWith('data.')) continue;
    const owner = resolve.ownerOf(rc);
    if (!file.reflexes.has(owner)) file.reflexes.set(owner, { name: owner, shared: owner === SHARED, counts: { ...ZERO }, resources: [] });
    const group = file.reflexes.get(owner)!;
    group.counts[countKey(action)]++;
    if (action === 'no-op' || action === 'read') continue;

    const name = resolve.nameOf(rc.address);
    const place = { environment: env, reflex: owner, address: rc.address, type: rc.type, ...(name ? { name } : {}) };
    const permissions = permissionsOf(resolve, rc, action, (attribute, message) => file.warnings.push(`${env}: ${rc.address} ${attribute} ${message}`));
    const policyAttributes = new Set(POLICY_ATTRIBUTES[rc.type] ?? []);
    const attributes =
      action === 'update' || action === 'replace'
        ? attributeChanges(resolve, rc, rc.change, { skip: policyAttributes, unknownToo: action === 'update', drift: index.drift.get(rc.address) })
        : undefined;
    const reason = reasonOf(rc, action);
    const noEffect =
      action === 'update' &&
      (attributes ?? []).every((a) => a.reformatted) &&
      permissions.every((p) => p.kind === 'unchanged') &&
      (attributes?.length ?? 0) + permissions.length > 0;
    group.resources.push({
      address: rc.address,
      type: rc.type,
      ...(name ? { name } : {}),
      action,
      ...(reason ? { reason } : {}),
      ...(order ? { replaceOrder: order } : {}),
      ...(attributes ? { attributes } : {}),
      ...(permissions.length ? { permissions } : {}),
      ...(noEffect ? { noEffect } : {}),
      ...(rc.change.importing ? { importing: true } : {}),
    });

    for (const p of permissions) {
      if (p.widened.length) file.widened.push({ ...place, attribute: p.attribute, findings: p.widened });
      if (p.kind === 'unknown') {
        file.unknownPolicies.push({ ...place, attribute: p.attribute });
        file.warnings.push(`${env}: the new ${p.attribute} of ${rc.address} is known only after apply and the plan does not show it: not compared`);
      }
    }
    if (action === 'delete' || action === 'replace') {
      const former = formerName(rc) ?? name;
      file.destroyed.push({ ...place, ...(former ? { name: former } : {}), replaced: action === 'replace', ...(reason ? { reason } : {}) });
      if (rc.type === 'aws_sqs_queue') file.messageLoss.push(queueLoss(index, rc, { ...place, name: former ?? rc.address }, action, reason));
    }
  }
  file.drift.push(...driftOf(index, resolve, file.otherDrift));
  return file;
}

/** A queue destroyed or replaced, as possible message loss: a dead-letter queue by its name or another's redrive policy. */
function queueLoss(index: PlanIndex, rc: ResourceChangeJson, place: Omit<MessageLoss, 'action' | 'deadLetterQueue' | 'advice'>, action: 'delete' | 'replace', reason?: string): MessageLoss {
  const before = rc.change.before ?? {};
  const arn = typeof before.arn === 'string' ? before.arn : undefined;
  const url = typeof before.url === 'string' ? before.url : typeof before.id === 'string' ? before.id : undefined;
  const targetOf = (q: ResourceChangeJson) => (parseJson(q.change.before?.redrive_policy) as Json | undefined)?.deadLetterTargetArn;
  const dlq = /-dlq(\.fifo)?$/.test(place.name ?? '') || (arn !== undefined && [...index.changes.values()].some((q) => q.type === 'aws_sqs_queue' && targetOf(q) === arn));
  return { ...place, action, deadLetterQueue: dlq, ...(reason ? { reason } : {}), ...(url ? { url } : {}), ...(arn ? { arn } : {}), advice: queueAdvice(dlq, url, arn) };
}

/**
 * The drift worth a reviewer's eye: resources deleted outside Terraform, and changes in attributes the plan sets
 * back or the configuration sets. The rest (computed attributes refresh fills in) is only counted, in `other`.
 */
function driftOf(index: PlanIndex, resolve: Resolver, other: FileSummary['otherDrift']): Drift[] {
  const drift: Drift[] = [];
  for (const rc of index.drift.values()) {
    if (rc.mode === 'data' || rc.address.startsWith('data.')) continue;
    const planned = index.change(rc.address);
    const deleted = rc.change.actions.includes('delete');
    const attributes = deleted ? [] : attributeChanges(resolve, rc, rc.change, { unknownToo: false });
    if (!deleted && attributes.length === 0) continue;
    // Before is the state, after what is there: the plan reverts a change when it plans the state's value again.
    const expressions = index.configOf(rc.address)?.expressions ?? {};
    const reverted = attributes.map((a) => {
      const path = a.path.split('.');
      const reverts = planned !== undefined && !planned.change.actions.includes('no-op') && same(valueAt(rc.change.before, path), valueAt(planned.change.after, path));
      return reverts ? { ...a, revertsDrift: true } : a;
    });
    if (!deleted && !reverted.some((a) => a.revertsDrift || a.path.split('.')[0]! in expressions)) {
      other.resources++;
      for (const a of reverted) other.attributes.add(a.path.split('.')[0]!);
      continue;
    }
    const name = resolve.nameOf(rc.address);
    drift.push({
      environment: index.env,
      reflex: resolve.ownerOf(rc),
      address: rc.address,
      type: rc.type,
      ...(name ? { name } : {}),
      action: deleted ? 'delete' : 'update',
      attributes: reverted,
    });
  }
  return drift;
}

const byReflex = (a: ReflexSummary, b: ReflexSummary) => Number(a.shared) - Number(b.shared) || a.name.localeCompare(b.name);
const byAction = (a: ResourceSummary, b: ResourceSummary) =>
  ACTION_ORDER.indexOf(a.action) - ACTION_ORDER.indexOf(b.action) || a.type.localeCompare(b.type) || (a.name ?? a.address).localeCompare(b.name ?? b.address);

/**
 * A reviewer's summary of Terraform plans (one per environment or stack; files of the same environment merge):
 * counts, per reflex what changes, the permissions granted or widened, queues whose replacement or destruction
 * would lose messages, and the drift the plan corrects.
 *
 * @example
 * const plan = asTerraformPlan(JSON.parse(readFileSync('plan.json', 'utf8')), 'plan.json');
 * const summary = summarizePlans([{ label: 'plan.json', plan }]);
 * summary.attention.widened; // policies that allow more than before
 * @see https://developer.hashicorp.com/terraform/internals/json-format#plan-representation
 */
export function summarizePlans(inputs: readonly PlanInput[], options: PlanSummaryOptions = {}): PlanSummary {
  const files = inputs.map((input) => summarizeFile(input, options));
  const environments = new Map<string, EnvironmentSummary>();
  for (const f of files) {
    const env = environments.get(f.env);
    if (!env) {
      environments.set(f.env, {
        name: f.env,
        source: f.source,
        files: [f.label],
        counts: f.counts,
        reflexes: [...f.reflexes.values()],
        drift: f.drift,
        otherDrift: { resources: f.otherDrift.resources, attributes: [...f.otherDrift.attributes].sort() },
      });
      continue;
    }
    const reflexes = new Map(env.reflexes.map((r) => [r.name, r]));
    for (const r of f.reflexes.values()) {
      const known = reflexes.get(r.name);
      reflexes.set(r.name, known ? { ...known, counts: addCounts(known.counts, r.counts), resources: [...known.resources, ...r.resources] } : r);
    }
    environments.set(f.env, {
      ...env,
      files: [...env.files, f.label],
      counts: addCounts(env.counts, f.counts),
      reflexes: [...reflexes.values()],
      drift: [...env.drift, ...f.drift],
      otherDrift: {
        resources: env.otherDrift.resources + f.otherDrift.resources,
        attributes: [...new Set([...env.otherDrift.attributes, ...f.otherDrift.attributes])].sort(),
      },
    });
  }
  const summaries = [...environments.values()].map((e) => ({
    ...e,
    reflexes: e.reflexes.map((r) => ({ ...r, resources: [...r.resources].sort(byAction) })).sort(byReflex),
  }));
  return {
    version: 1,
    counts: files.reduce((total, f) => addCounts(total, f.counts), { ...ZERO }),
    attention: {
      widened: files.flatMap((f) => f.widened),
      messageLoss: files.flatMap((f) => f.messageLoss),
      destroyed: files.flatMap((f) => f.destroyed),
      unknownPolicies: files.flatMap((f) => f.unknownPolicies),
    },
    environments: summaries,
    warnings: files.flatMap((f) => f.warnings),
  };
}
