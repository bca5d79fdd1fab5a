// IAM policies compared statement by statement: what a new document allows that the old one did not (widened)
// and the reverse (narrowed). Pure: documents come in as IAM JSON or as Terraform's aws_iam_policy_document
// statements, values Terraform knows only after apply as text.
import type { PolicyCondition, PolicyFinding, PolicyStatement } from './plan-summary-schema';

/** A policy document that is not IAM policy JSON. */
export class InvalidPolicyError extends Error {
  override readonly name = 'InvalidPolicyError';
}

/** Values Terraform knows only after apply are written so; they match nothing but themselves. */
export const UNKNOWN_PREFIX = '(known after apply';

const list = (value: unknown): string[] | undefined =>
  value === undefined || value === null ? undefined : (Array.isArray(value) ? value : [value]).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));

const sorted = (values: readonly string[] | undefined) => (values ? [...new Set(values)].sort() : undefined);

/** `Principal` as `Type:identifier` texts; `*` (anyone) stays `*`. */
function principalsOf(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === '*') return ['*'];
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidPolicyError(`Principal must be "*" or an object, got ${JSON.stringify(value)}`);
  return Object.entries(value).flatMap(([type, ids]) => (list(ids) ?? []).map((id) => (id === '*' && type === 'AWS' ? '*' : `${type}:${id}`)));
}

function conditionsOf(value: unknown): PolicyCondition[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw new InvalidPolicyError(`Condition must be an object, got ${JSON.stringify(value)}`);
  return Object.entries(value).flatMap(([operator, keys]) =>
    Object.entries((keys ?? {}) as Record<string, unknown>).map(([key, values]) => ({ operator, key, values: sorted(list(values)) ?? [] })),
  );
}

const byKey = (a: PolicyCondition, b: PolicyCondition) => `${a.operator} ${a.key}`.localeCompare(`${b.operator} ${b.key}`);

/** A statement with its lists deduplicated and sorted, absent parts left out. */
function statement(parts: Omit<PolicyStatement, 'conditions'> & { conditions: PolicyCondition[] }): PolicyStatement {
  const entries = Object.entries({
    ...parts,
    actions: sorted(parts.actions),
    notActions: sorted(parts.notActions),
    resources: sorted(parts.resources),
    notResources: sorted(parts.notResources),
    principals: sorted(parts.principals),
    notPrincipals: sorted(parts.notPrincipals),
    conditions: [...parts.conditions].sort(byKey),
  }).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries) as PolicyStatement;
}

/**
 * The statements of an IAM policy document in its JSON form (identity, resource or trust policy).
 *
 * @throws InvalidPolicyError when the text is not JSON or has no statements in IAM's shape.
 * @example
 * policyStatements('{"Statement":{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}}');
 * // [{ effect: 'Allow', actions: ['sqs:SendMessage'], resources: ['*'], conditions: [] }]
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
export function policyStatements(text: string): PolicyStatement[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new InvalidPolicyError(`not JSON: ${(error as Error).message}`, { cause: error });
  }
  const raw = (document as { Statement?: unknown } | null)?.Statement;
  if (raw === undefined) throw new InvalidPolicyError('no Statement');
  return (Array.isArray(raw) ? raw : [raw]).map((s: Record<string, unknown>) => {
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new InvalidPolicyError(`Effect must be Allow or Deny, got ${JSON.stringify(s.Effect)}`);
    return statement({
      ...(typeof s.Sid === 'string' && s.Sid !== '' ? { sid: s.Sid } : {}),
      effect: s.Effect,
      actions: list(s.Action),
      notActions: list(s.NotAction),
      resources: list(s.Resource),
      notResources: list(s.NotResource),
      principals: principalsOf(s.Principal),
      notPrincipals: principalsOf(s.NotPrincipal),
      conditions: conditionsOf(s.Condition),
    });
  });
}

/** A statement block of Terraform's `aws_iam_policy_document`, values already known or written as text. */
export interface DocumentStatement {
  readonly sid?: string | null;
  readonly effect?: string | null;
  readonly actions?: readonly string[] | null;
  readonly not_actions?: readonly string[] | null;
  readonly resources?: readonly string[] | null;
  readonly not_resources?: readonly string[] | null;
  readonly principals?: readonly { readonly type: string; readonly identifiers: readonly string[] }[] | null;
  readonly not_principals?: readonly { readonly type: string; readonly identifiers: readonly string[] }[] | null;
  readonly condition?: readonly { readonly test: string; readonly variable: string; readonly values: readonly string[] }[] | null;
}

const nonEmpty = <T>(values: readonly T[] | null | undefined): T[] | undefined => (values && values.length > 0 ? [...values] : undefined);
const blockPrincipals = (blocks: DocumentStatement['principals']) =>
  nonEmpty(blocks?.flatMap((p) => p.identifiers.map((id) => (p.type === '*' || (p.type === 'AWS' && id === '*') ? '*' : `${p.type}:${id}`))));

/**
 * The statements of an `aws_iam_policy_document` as Terraform plans them, in the same form as {@link policyStatements}.
 *
 * @example
 * documentStatements([{ actions: ['sqs:SendMessage'], resources: ['*'] }]); // Effect defaults to Allow
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/data-sources/iam_policy_document
 */
export function documentStatements(blocks: readonly DocumentStatement[]): PolicyStatement[] {
  return blocks.map((b) =>
    statement({
      ...(b.sid ? { sid: b.sid } : {}),
      effect: b.effect === 'Deny' ? 'Deny' : 'Allow',
      actions: nonEmpty(b.actions),
      notActions: nonEmpty(b.not_actions),
      resources: nonEmpty(b.resources),
      notResources: nonEmpty(b.not_resources),
      principals: blockPrincipals(b.principals),
      notPrincipals: blockPrincipals(b.not_principals),
      conditions: (b.condition ?? []).map((c) => ({ operator: c.test, key: c.variable, values: sorted(c.values) ?? [] })),
    }),
  );
}

const isUnknown = (value: string) => value.startsWith(UNKNOWN_PREFIX);
const escape = (text: string) => text.replace(/[.+^${}()|[\]\\]/g, '\\$&');

/** Whether the IAM pattern `pattern` (`*`, `?`) matches all that `value` matches. Actions compare case-insensitively. */
function covers(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === value) return true;
  if (isUnknown(pattern) || isUnknown(value) || !/[*?]/.test(pattern)) return false;
  const regex = new RegExp(`^${escape(pattern).replace(/\*/g, '.*').replace(/\?/g, '.')}$`, ignoreCase ? 'i' : '');
  // A value that is itself a pattern is covered when the pattern matches its text, wildcards read as characters.
  return regex.test(value);
}

const notCoveredBy = (values: readonly string[], by: readonly string[], ignoreCase: boolean) =>
  values.filter((v) => !by.some((p) => covers(p, v, ignoreCase)));

const hasWildcard = (values: readonly string[]) => values.some((v) => /[*?]/.test(v));
const code = (values: readonly string[]) => values.map((v) => `\`${v}\``).join(', ');

/** A statement's name in findings: its Sid, else its position and effect. */
export const statementLabel = (s: PolicyStatement, index: number) => s.sid ?? `#${index + 1} ${s.effect}`;

/** A condition as one line: `StringEquals aws:ResourceTag/team = a, b`. */
export const conditionText = (c: PolicyCondition) => `${c.operator} ${c.key} = ${c.values.join(', ')}`;

/** A statement as one line: `Allow a, b on r to p if c`. */
export function statementText(s: PolicyStatement): string {
  const parts: string[] = [s.effect];
  if (s.actions) parts.push(code(s.actions));
  if (s.notActions) parts.push(`every action except ${code(s.notActions)}`);
  if (s.resources) parts.push(`on ${code(s.resources)}`);
  if (s.notResources) parts.push(`on every resource except ${code(s.notResources)}`);
  if (s.principals) parts.push(`to ${code(s.principals)}`);
  if (s.notPrincipals) parts.push(`to everyone except ${code(s.notPrincipals)}`);
  if (s.conditions.length) parts.push(`if ${s.conditions.map((c) => `\`${conditionText(c)}\``).join(' and ')}`);
  return parts.join(' ');
}

/** One scope of a statement: actions, resources or principals, each either listed or excluded (Not…). */
const DIMENSIONS = [
  { noun: 'action', plus: 'actions', minus: 'notActions', not: 'NotAction', ignoreCase: true },
  { noun: 'resource', plus: 'resources', minus: 'notResources', not: 'NotResource', ignoreCase: false },
  { noun: 'principal', plus: 'principals', minus: 'notPrincipals', not: 'NotPrincipal', ignoreCase: false },
] as const;

type Dimension = (typeof DIMENSIONS)[number];

/** What came into a statement's scope in one dimension (`more`) and what left it (`less`), with how to say it. */
interface ScopeDelta {
  readonly more: { values: string[]; text: string; excluded: boolean }[];
  readonly less: { values: string[]; text: string; excluded: boolean }[];
}

function scopeDelta(d: Dimension, before: PolicyStatement, after: PolicyStatement): ScopeDelta {
  const [bPlus, bMinus, aPlus, aMinus] = [before[d.plus], before[d.minus], after[d.plus], after[d.minus]];
  const more: ScopeDelta['more'] = [];
  const less: ScopeDelta['less'] = [];
  if (aMinus && bMinus) {
    const removed = bMinus.filter((v) => !aMinus.includes(v));
    const added = aMinus.filter((v) => !bMinus.includes(v));
    if (removed.length) more.push({ values: removed, text: `${d.not} no longer excludes ${code(removed)}`, excluded: true });
    if (added.length) less.push({ values: added, text: `${d.not} now excludes ${code(added)}`, excluded: true });
  } else if (aMinus) {
    more.push({ values: [`* except ${aMinus.join(', ')}`], text: `every ${d.noun} except ${code(aMinus)} (${d.not})${bPlus ? `, was ${code(bPlus)}` : ''}`, excluded: false });
  } else if (bMinus) {
    less.push({ values: aPlus ?? [], text: `only ${code(aPlus ?? [])}, was every ${d.noun} except ${code(bMinus)} (${d.not})`, excluded: false });
  } else {
    const added = notCoveredBy(aPlus ?? [], bPlus ?? [], d.ignoreCase);
    const removed = notCoveredBy(bPlus ?? [], aPlus ?? [], d.ignoreCase);
    if (added.length) more.push({ values: added, text: `new ${d.noun}${added.length > 1 ? 's' : ''} ${code(added)}`, excluded: false });
    if (removed.length) less.push({ values: removed, text: `${d.noun}${removed.length > 1 ? 's' : ''} ${code(removed)} removed`, excluded: false });
  }
  return { more, less };
}

/** Operators whose values are alternatives: more values match more requests. `Not` operators the reverse. */
const ALTERNATIVES = /^(For(Any|All)Values:)?(String(Equals|Like)(IgnoreCase)?|Arn(Equals|Like)|IpAddress)(IfExists)?$/;
const EXCLUSIONS = /^(For(Any|All)Values:)?(StringNot(Equals|Like)(IgnoreCase)?|ArnNot(Equals|Like)|NotIpAddress)(IfExists)?$/;

/** An operator's family (Like read as Equals, IfExists dropped) and how loose it is within it. */
const family = (op: string) => op.replace(/IfExists$/, '').replace('Like', 'Equals');
const looseness = (op: string) => Number(op.includes('Like')) + Number(op.endsWith('IfExists'));

/** Whether `after` is the same test as `before`, only stricter (Like → Equals, IfExists dropped). */
const stricterOperator = (before: string, after: string) => family(before) === family(after) && looseness(after) < looseness(before);

/** How the conditions changed: `looser` lets more requests through the statement's test, `stricter` fewer. */
function conditionDelta(before: readonly PolicyCondition[], after: readonly PolicyCondition[]) {
  const looser: { kind: 'removed' | 'loosened'; values: string[]; text: string }[] = [];
  const stricter: { kind: 'added' | 'tightened'; values: string[]; text: string }[] = [];
  const keyOf = (c: PolicyCondition) => c.key.toLowerCase();
  for (const b of before) {
    const same = after.find((a) => keyOf(a) === keyOf(b) && a.operator === b.operator);
    // The same key under another operator, unless that one continues an old condition of its own.
    const other = after.find(
      (a) => keyOf(a) === keyOf(b) && a.operator !== b.operator && !before.some((x) => x.operator === a.operator && keyOf(x) === keyOf(a)),
    );
    if (same) {
      const added = same.values.filter((v) => !b.values.includes(v));
      const removed = b.values.filter((v) => !same.values.includes(v));
      if (!added.length && !removed.length) continue;
      const text = `condition \`${b.operator} ${b.key}\` ${added.length ? `now also ${code(added)}` : ''}${added.length && removed.length ? '; ' : ''}${removed.length ? `no longer ${code(removed)}` : ''}`;
      const sets = ALTERNATIVES.test(b.operator) ? 1 : EXCLUSIONS.test(b.operator) ? -1 : 0;
      // A changed Bool, Null, number or date cannot be ranked: read it as looser.
      if (sets === 0 || (sets === 1 && added.length) || (sets === -1 && removed.length)) looser.push({ kind: 'loosened', values: [conditionText(same)], text });
      else stricter.push({ kind: 'tightened', values: [conditionText(same)], text });
    } else if (other) {
      const text = `condition on \`${b.key}\` changed from \`${conditionText(b)}\` to \`${conditionText(other)}\``;
      if (stricterOperator(b.operator, other.operator)) stricter.push({ kind: 'tightened', values: [conditionText(other)], text });
      else looser.push({ kind: 'loosened', values: [conditionText(other)], text });
    } else {
      looser.push({ kind: 'removed', values: [conditionText(b)], text: `condition removed: \`${conditionText(b)}\`` });
    }
  }
  for (const a of after) {
    if (before.some((b) => keyOf(b) === keyOf(a))) continue;
    stricter.push({ kind: 'added', values: [conditionText(a)], text: `condition added: \`${conditionText(a)}\`` });
  }
  return { looser, stricter };
}

/** Widened and narrowed findings of a policy change. */
export interface PolicyDiff {
  readonly widened: PolicyFinding[];
  readonly narrowed: PolicyFinding[];
}

const finding = (kind: PolicyFinding['kind'], statement: string, values: string[], text: string): PolicyFinding => ({
  kind,
  statement,
  values,
  wildcard: hasWildcard(values),
  text,
});

/** Compares two statements taken to be the same one (same Sid, or the closest match). */
function diffStatement(before: PolicyStatement, after: PolicyStatement, label: string, into: PolicyDiff): void {
  const allow = after.effect === 'Allow';
  for (const d of DIMENSIONS) {
    const { more, less } = scopeDelta(d, before, after);
    for (const m of more) {
      if (allow) into.widened.push(finding(m.excluded ? 'exclusion-removed' : (`${d.noun}-added` as PolicyFinding['kind']), label, m.values, m.text));
      else into.narrowed.push(finding('deny-widened', label, m.values, `Deny: ${m.text}`));
    }
    for (const l of less) {
      if (allow) into.narrowed.push(finding(l.excluded ? 'exclusion-added' : (`${d.noun}-removed` as PolicyFinding['kind']), label, l.values, l.text));
      else into.widened.push(finding('deny-narrowed', label, l.values, `Deny: ${l.text}`));
    }
  }
  const { looser, stricter } = conditionDelta(before.conditions, after.conditions);
  // A looser condition lets more requests through an Allow, and makes a Deny apply to fewer.
  for (const c of looser) {
    if (allow) into.widened.push(finding(c.kind === 'removed' ? 'condition-removed' : 'condition-loosened', label, c.values, c.text));
    else into.narrowed.push(finding('deny-widened', label, c.values, `Deny: ${c.text}`));
  }
  for (const c of stricter) {
    if (allow) into.narrowed.push(finding(c.kind === 'added' ? 'condition-added' : 'condition-tightened', label, c.values, c.text));
    else into.widened.push(finding('deny-narrowed', label, c.values, `Deny: ${c.text}`));
  }
}

/** How much two statements share: the closest unnamed statement of the same effect is taken as the same one. */
function overlap(a: PolicyStatement, b: PolicyStatement): number {
  const shared = (x?: readonly string[], y?: readonly string[]) => (x && y ? x.filter((v) => y.includes(v)).length : 0);
  return (
    shared(a.actions, b.actions) +
    shared(a.notActions, b.notActions) +
    shared(a.resources, b.resources) +
    shared(a.notResources, b.notResources) +
    shared(a.principals, b.principals)
  );
}

/** Pairs each new statement with the old one it continues: same Sid and effect, else the closest by overlap. */
function pairStatements(before: readonly PolicyStatement[], after: readonly PolicyStatement[]): (number | undefined)[] {
  const taken = new Set<number>();
  const pairs = after.map((a) => {
    if (a.sid === undefined) return undefined;
    const i = before.findIndex((b, j) => !taken.has(j) && b.sid === a.sid && b.effect === a.effect);
    if (i < 0) return undefined;
    taken.add(i);
    return i;
  });
  after.forEach((a, k) => {
    if (pairs[k] !== undefined) return;
    let best: number | undefined;
    let bestScore = 0;
    before.forEach((b, j) => {
      // A named old statement pairs only by name; a new name is a new statement.
      if (taken.has(j) || b.effect !== a.effect || (b.sid !== undefined && a.sid !== undefined)) return;
      const score = overlap(a, b);
      if (score > bestScore) [best, bestScore] = [j, score];
    });
    if (best !== undefined) {
      taken.add(best);
      pairs[k] = best;
    }
  });
  return pairs;
}

const scopeValues = (s: PolicyStatement) => [...(s.actions ?? s.notActions ?? []), ...(s.resources ?? s.notResources ?? []), ...(s.principals ?? [])];

/**
 * What `after` allows that `before` did not (new statements, actions, resources, principals, removed or looser
 * conditions, a Deny removed or narrowed) and the reverse.
 *
 * @example
 * diffPolicies(policyStatements(old), policyStatements(next)).widened.map((f) => f.text);
 * // ['new action `ec2:StopInstances`', 'condition removed: `StringEquals aws:ResourceTag/reflex:protect = true`']
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */
export function diffPolicies(before: readonly PolicyStatement[], after: readonly PolicyStatement[]): PolicyDiff {
  const diff: PolicyDiff = { widened: [], narrowed: [] };
  const pairs = pairStatements(before, after);
  after.forEach((a, k) => {
    const label = statementLabel(a, k);
    const j = pairs[k];
    if (j !== undefined) return diffStatement(before[j]!, a, label, diff);
    if (a.effect === 'Allow') diff.widened.push(finding('statement-added', label, scopeValues(a), `new statement: ${statementText(a)}`));
    else diff.narrowed.push(finding('deny-added', label, scopeValues(a), `new statement: ${statementText(a)}`));
  });
  before.forEach((b, j) => {
    if (pairs.includes(j)) return;
    const label = statementLabel(b, j);
    if (b.effect === 'Deny') diff.widened.push(finding('deny-removed', label, scopeValues(b), `Deny removed: ${statementText(b)}`));
    else diff.narrowed.push(finding('statement-removed', label, scopeValues(b), `statement removed: ${statementText(b)}`));
  });
  return diff;
}
