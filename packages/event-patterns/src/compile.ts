import { type Cidr, inCidr, parseCidr } from '@reflex/ip';
import { EventTooDeepError, InvalidPatternError, MAX_EVENT_DEPTH } from './errors';
import { canonicalNumber, ExactNumber, parseJson } from './json';

/** A leaf value of an event: what EventBridge matches against. */
export type Scalar = string | number | boolean | null | ExactNumber;

/** The match values of one field (an array in the pattern): any of them may match. */
export interface Leaf {
  /** Whether one event value matches one of the non-`exists` match values. */
  readonly test: (value: Scalar) => boolean;
  readonly existsTrue: boolean;
  readonly existsFalse: boolean;
  /** Exact string values only (no operator): the rule index can use them. */
  readonly exactStrings?: readonly string[];
  /**
   * The match values as written, for explanations; RuleSet shares a condition between rules with the same
   * text, so a literal no double holds keeps its own (`[9007199254740993]` is not `[9007199254740992]`).
   */
  readonly text: string;
}

export interface Field {
  readonly key: string;
  readonly leaf?: Leaf;
  readonly child?: PatternNode;
}

/** An object level of a pattern: every field must match, and one alternative of each `$or`. */
export interface PatternNode {
  readonly fields: readonly Field[];
  readonly ors: readonly (readonly PatternNode[])[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

const lower = (s: string) => s.toLowerCase();

/**
 * Equality of a pattern number and an event value: doubles by value (`5` = `5.0` = `5e0`); a literal no
 * double holds exactly only with the same literal text, as event-ruler compares it.
 */
function numberEquals(pattern: number | ExactNumber): (v: Scalar) => boolean {
  if (pattern instanceof ExactNumber) return (v) => v instanceof ExactNumber && v.literal === pattern.literal;
  return (v) => v === pattern;
}

function exactValue(value: unknown, path: string): (v: Scalar) => boolean {
  if (typeof value === 'string') return (v) => v === value;
  if (typeof value === 'number' || value instanceof ExactNumber) return numberEquals(value);
  if (typeof value === 'boolean' || value === null) return (v) => v === value;
  throw new InvalidPatternError(path, 'match values are strings, numbers, true, false, null or one-key operator objects');
}

function stringOf(value: unknown, path: string, what: string): string {
  if (typeof value !== 'string') throw new InvalidPatternError(path, `${what} takes a string, got ${JSON.stringify(value)}`);
  return value;
}

/** `{ "equals-ignore-case": "x" }` inside prefix/suffix, or a plain string. */
function caseOption(value: unknown, path: string, what: string): { text: string; ignoreCase: boolean } {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1 || keys[0] !== 'equals-ignore-case') {
      throw new InvalidPatternError(path, `${what} takes a string or { "equals-ignore-case": string }`);
    }
    return { text: stringOf(value['equals-ignore-case'], join(path, 'equals-ignore-case'), 'equals-ignore-case'), ignoreCase: true };
  }
  return { text: stringOf(value, path, what), ignoreCase: false };
}

/** `*` matches any run of characters; `\*` is a literal star and `\\` a literal backslash. */
export function wildcardRegExp(pattern: string, path: string): RegExp {
  let source = '';
  let previousStar = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') throw new InvalidPatternError(path, 'in a wildcard, "\\" escapes only "*" or "\\"');
      source += `\\${next}`;
      i++;
      previousStar = false;
    } else if (c === '*') {
      if (previousStar) throw new InvalidPatternError(path, 'consecutive wildcard characters are not allowed');
      source += '.*';
      previousStar = true;
    } else {
      source += c.replace(/[.+?^${}()|[\]]/g, '\\$&');
      previousStar = false;
    }
  }
  return new RegExp(`^${source}$`, 's');
}

const LOWER_OPS = new Set(['>', '>=']);
const UPPER_OPS = new Set(['<', '<=']);

/**
 * A number `numeric` and numeric `anything-but` can compare: event-ruler's ComparableNumber takes only a
 * literal that is exactly a double (`0.1`, `5e9`, `2^53` yes; `9007199254740993`, `1E-325`, `1e400` no).
 */
function comparable(raw: unknown, path: string, what: string): number {
  if (raw instanceof ExactNumber) {
    throw new InvalidPatternError(path, `${what}: ${raw.literal} cannot be compared exactly (not a double; event-ruler refuses it)`);
  }
  if (typeof raw !== 'number' || !Number.isFinite(raw)) throw new InvalidPatternError(path, `${what} needs a number, got ${JSON.stringify(raw)}`);
  return raw;
}

/**
 * `[op, n]` or `[">"|">=", low, "<"|"<=", high]` with low < high, as event-ruler's JsonRuleCompiler takes them:
 * the lower bound comes first, and an empty range (`[">", 30, "<", 1]`, `[">=", 1, "<=", 1]`) is refused.
 */
function numericMatcher(value: unknown, path: string): (v: Scalar) => boolean {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) {
    throw new InvalidPatternError(path, 'numeric takes [op, number] or [">"|">=", number, "<"|"<=", number]');
  }
  const [op, raw, op2, raw2] = value as unknown[];
  if (typeof op !== 'string' || !(op === '=' || LOWER_OPS.has(op) || UPPER_OPS.has(op))) {
    throw new InvalidPatternError(path, `unknown numeric operator ${JSON.stringify(op)} (=, <, <=, >, >=)`);
  }
  const n = comparable(raw, path, `numeric ${op}`);
  if (value.length === 2) {
    if (op === '=') return (v) => v === n;
    if (op === '<') return (v) => typeof v === 'number' && v < n;
    if (op === '<=') return (v) => typeof v === 'number' && v <= n;
    if (op === '>') return (v) => typeof v === 'number' && v > n;
    return (v) => typeof v === 'number' && v >= n;
  }
  if (op === '=') throw new InvalidPatternError(path, 'numeric "=" stands alone');
  if (!LOWER_OPS.has(op)) {
    throw new InvalidPatternError(path, `a numeric range starts with its lower bound (">" or ">="), got ${JSON.stringify(op)}`);
  }
  if (typeof op2 !== 'string' || !UPPER_OPS.has(op2)) {
    throw new InvalidPatternError(path, `a numeric range ends with its upper bound ("<" or "<="), got ${JSON.stringify(op2)}`);
  }
  const m = comparable(raw2, path, `numeric ${op2}`);
  if (!(n < m)) throw new InvalidPatternError(path, `numeric range is empty: lower bound ${n} is not below upper bound ${m}`);
  const above = op === '>' ? (x: number) => x > n : (x: number) => x >= n;
  const below = op2 === '<' ? (x: number) => x < m : (x: number) => x <= m;
  return (v) => typeof v === 'number' && above(v) && below(v);
}

/** A string or a non-empty list of strings, as anything-but's operators take them. */
function stringList(value: unknown, path: string, what: string, nonEmpty: boolean): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidPatternError(path, `anything-but ${what} needs at least one value`);
  return list.map((x, i) => {
    const at = Array.isArray(value) ? `${path}[${i}]` : path;
    const text = stringOf(x, at, `anything-but ${what}`);
    if (nonEmpty && text === '') throw new InvalidPatternError(at, `anything-but ${what} may not be empty`);
    return text;
  });
}

/**
 * `anything-but`: a string, a number, a list of either, or one of prefix, suffix, equals-ignore-case and
 * wildcard with a string or a list of strings. The operator forms exclude strings only: a number, true, false
 * or null in the event is "anything but" them (event-ruler matches it).
 */
function anythingBut(value: unknown, path: string): (v: Scalar) => boolean {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1) throw new InvalidPatternError(path, 'anything-but takes one operator');
    const key = keys[0]!;
    const inner = value[key];
    const at = join(path, key);
    switch (key) {
      case 'prefix': {
        const list = stringList(inner, at, key, true);
        const [only] = list;
        if (list.length === 1) return (v) => typeof v !== 'string' || !v.startsWith(only!);
        return (v) => typeof v !== 'string' || !list.some((p) => v.startsWith(p));
      }
      case 'suffix': {
        const list = stringList(inner, at, key, true);
        const [only] = list;
        if (list.length === 1) return (v) => typeof v !== 'string' || !v.endsWith(only!);
        return (v) => typeof v !== 'string' || !list.some((s) => v.endsWith(s));
      }
      case 'equals-ignore-case': {
        const set = new Set(stringList(inner, at, key, false).map(lower));
        return (v) => typeof v !== 'string' || !set.has(lower(v));
      }
      case 'wildcard': {
        const list = stringList(inner, at, key, false).map((w) => wildcardRegExp(w, at));
        return (v) => typeof v !== 'string' || !list.some((re) => re.test(v));
      }
      default:
        throw new InvalidPatternError(at, `anything-but does not take "${key}" (prefix, suffix, equals-ignore-case, wildcard)`);
    }
  }
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0) throw new InvalidPatternError(path, 'anything-but needs at least one value');
  const kinds = new Set(values.map((x) => (x instanceof ExactNumber ? 'number' : typeof x)));
  if (kinds.size !== 1 || !(kinds.has('string') || kinds.has('number'))) {
    throw new InvalidPatternError(path, 'anything-but takes strings or numbers (not both), or one operator object');
  }
  if (kinds.has('string')) {
    const set = new Set(values as string[]);
    return (v) => typeof v !== 'string' || !set.has(v);
  }
  const numbers = new Set(values.map((x, i) => comparable(x, Array.isArray(value) ? `${path}[${i}]` : path, 'anything-but')));
  return (v) => typeof v !== 'number' || !numbers.has(v);
}

function operator(element: Record<string, unknown>, path: string): { test?: (v: Scalar) => boolean; exists?: boolean } {
  const keys = Object.keys(element);
  if (keys.length !== 1) throw new InvalidPatternError(path, `an operator object has exactly one key, got ${keys.length}`);
  const key = keys[0]!;
  const value = element[key];
  const at = join(path, key);
  switch (key) {
    case 'prefix': {
      const { text, ignoreCase } = caseOption(value, at, 'prefix');
      const p = ignoreCase ? lower(text) : text;
      return { test: ignoreCase ? (v) => typeof v === 'string' && lower(v).startsWith(p) : (v) => typeof v === 'string' && v.startsWith(p) };
    }
    case 'suffix': {
      const { text, ignoreCase } = caseOption(value, at, 'suffix');
      const s = ignoreCase ? lower(text) : text;
      return { test: ignoreCase ? (v) => typeof v === 'string' && lower(v).endsWith(s) : (v) => typeof v === 'string' && v.endsWith(s) };
    }
    case 'equals-ignore-case': {
      const s = lower(stringOf(value, at, 'equals-ignore-case'));
      return { test: (v) => typeof v === 'string' && lower(v) === s };
    }
    case 'anything-but':
      return { test: anythingBut(value, at) };
    case 'numeric':
      return { test: numericMatcher(value, at) };
    case 'exists':
      if (typeof value !== 'boolean') throw new InvalidPatternError(at, 'exists takes true or false');
      return { exists: value };
    case 'cidr': {
      const cidr: Cidr | undefined = parseCidr(stringOf(value, at, 'cidr'));
      if (!cidr) throw new InvalidPatternError(at, `${JSON.stringify(value)} is not an IPv4 or IPv6 CIDR block`);
      return { test: (v) => typeof v === 'string' && inCidr(cidr, v) };
    }
    case 'wildcard': {
      const re = wildcardRegExp(stringOf(value, at, 'wildcard'), at);
      return { test: (v) => typeof v === 'string' && re.test(v) };
    }
    default:
      throw new InvalidPatternError(
        at,
        `unknown operator "${key}" (prefix, suffix, equals-ignore-case, anything-but, numeric, exists, cidr, wildcard)`,
      );
  }
}

/** JSON.rawJSON (Node 21 and later; not in the ES2023 types): a literal JSON.stringify writes as it is. */
const rawJSON = (literal: string): unknown => (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(literal);

function compileLeaf(values: unknown[], path: string): Leaf {
  if (values.length === 0) throw new InvalidPatternError(path, 'match value arrays may not be empty');
  const tests: ((v: Scalar) => boolean)[] = [];
  let existsTrue = false;
  let existsFalse = false;
  values.forEach((element, i) => {
    const at = `${path}[${i}]`;
    if (Array.isArray(element)) throw new InvalidPatternError(at, 'match values may not be arrays');
    if (isPlainObject(element)) {
      const op = operator(element, at);
      if (op.exists === true) existsTrue = true;
      else if (op.exists === false) existsFalse = true;
      else tests.push(op.test!);
    } else {
      tests.push(exactValue(element, at));
    }
  });
  const allStrings = values.every((v): v is string => typeof v === 'string');
  let test: (v: Scalar) => boolean;
  if (allStrings) {
    const set = new Set(values as string[]);
    test = (v) => typeof v === 'string' && set.has(v);
  } else if (tests.length === 1) {
    test = tests[0]!;
  } else {
    test = (v) => tests.some((t) => t(v));
  }
  return {
    test,
    existsTrue,
    existsFalse,
    text: JSON.stringify(values, (_k, v) => (v instanceof ExactNumber ? rawJSON(v.literal) : v)),
    ...(allStrings ? { exactStrings: values as string[] } : {}),
  };
}

/** A pattern level while it is built: keys split at dots and merged, as event-ruler flattens them. */
interface Draft {
  readonly fields: Map<string, { leaf?: Leaf; child?: Draft }>;
  readonly ors: Draft[][];
}

const newDraft = (): Draft => ({ fields: new Map(), ors: [] });

function slot(draft: Draft, key: string): { leaf?: Leaf; child?: Draft } {
  let field = draft.fields.get(key);
  if (!field) draft.fields.set(key, (field = {}));
  return field;
}

function childDraft(draft: Draft, key: string): Draft {
  const field = slot(draft, key);
  return (field.child ??= newDraft());
}

/** Adds `from` to `into`; a leaf of `from` replaces one at the same path (the later one wins, as in event-ruler). */
function mergeDraft(into: Draft, from: Draft): void {
  for (const [key, field] of from.fields) {
    if (field.leaf) slot(into, key).leaf = field.leaf;
    if (field.child) mergeDraft(childDraft(into, key), field.child);
  }
  into.ors.push(...from.ors);
}

/**
 * Validates and compiles one object level. A key with dots names nested fields (`"a.b"` is `a` → `b`): event-
 * ruler flattens patterns and events to dotted paths, so `{"a.b": […]}` and `{"a": {"b": […]}}` are the same
 * field, and when a pattern names one path twice the later one wins.
 */
function draftOf(pattern: unknown, path: string, depth: number): Draft {
  if (!isPlainObject(pattern)) throw new InvalidPatternError(path, 'a pattern is a JSON object');
  if (depth > MAX_EVENT_DEPTH) throw new InvalidPatternError(path, `nested deeper than an event may be (${MAX_EVENT_DEPTH} levels)`);
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new InvalidPatternError(path, 'an object in a pattern needs at least one field');
  const draft = newDraft();
  for (const key of keys) {
    const value = pattern[key];
    const at = join(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidPatternError(at, '$or takes an array of at least two patterns');
      }
      draft.ors.push(value.map((alt, i) => draftOf(alt, `${at}[${i}]`, depth + 1)));
      continue;
    }
    const segments = key.split('.');
    const last = segments.pop()!;
    if (depth + segments.length > MAX_EVENT_DEPTH) throw new InvalidPatternError(at, `nested deeper than an event may be (${MAX_EVENT_DEPTH} levels)`);
    let target = draft;
    for (const segment of segments) target = childDraft(target, segment);
    if (Array.isArray(value)) {
      slot(target, last).leaf = compileLeaf(value, at);
    } else if (isPlainObject(value)) {
      mergeDraft(childDraft(target, last), draftOf(value, at, depth + segments.length + 1));
    } else {
      throw new InvalidPatternError(at, `match values must be in an array, e.g. [${JSON.stringify(value)}]`);
    }
  }
  return draft;
}

function freeze(draft: Draft): PatternNode {
  const fields: Field[] = [];
  for (const [key, { leaf, child }] of draft.fields) {
    fields.push({ key, ...(leaf ? { leaf } : {}), ...(child ? { child: freeze(child) } : {}) });
  }
  return { fields, ors: draft.ors.map((alternatives) => alternatives.map(freeze)) };
}

/**
 * Whether some path is named twice where both can apply: outside `$or` and in one of its alternatives, or in
 * alternatives of two different `$or`s. (Alternatives of one `$or` never apply together.)
 */
function overrides(root: Draft): boolean {
  // Each leaf's branch: the alternative it sits in of every enclosing $or, as "or id:alternative".
  const seen = new Map<string, Map<number, number>[]>();
  let ors = 0;
  let found = false;
  const walk = (draft: Draft, path: string, branch: Map<number, number>) => {
    for (const [key, { leaf, child }] of draft.fields) {
      const at = `${path}.${key}`;
      if (leaf) {
        const others = seen.get(at) ?? [];
        const apart = (other: Map<number, number>) => [...other].some(([or, alt]) => branch.has(or) && branch.get(or) !== alt);
        if (others.some((other) => !apart(other))) found = true;
        seen.set(at, [...others, branch]);
      }
      if (child) walk(child, at, branch);
    }
    for (const alternatives of draft.ors) {
      const or = ors++;
      alternatives.forEach((alt, k) => walk(alt, path, new Map([...branch, [or, k]])));
    }
  };
  walk(root, '', new Map());
  return found;
}

/** More alternatives than this from expanding a pattern's `$or`s (see {@link expand}) are refused. */
const MAX_EXPANSION = 1000;

/**
 * event-ruler's reading of a pattern: every combination of `$or` alternatives becomes one flat rule (dotted
 * path → match values), keys applied in order, a later key replacing an earlier one with the same path. Used
 * only for patterns where that replacing matters ({@link overrides}); the others keep their `$or`s nested.
 */
function expand(pattern: Record<string, unknown>, prefix: string, rules: Map<string, Leaf>[], path: string): Map<string, Leaf>[] {
  for (const [key, value] of Object.entries(pattern)) {
    const at = join(path, key);
    if (key === '$or') {
      const next: Map<string, Leaf>[] = [];
      for (const rule of rules) {
        (value as Record<string, unknown>[]).forEach((alt, i) => next.push(...expand(alt, prefix, [new Map(rule)], `${at}[${i}]`)));
        if (next.length > MAX_EXPANSION) {
          throw new InvalidPatternError(at, `naming a field both outside and inside $or makes more than ${MAX_EXPANSION} combinations of alternatives`);
        }
      }
      rules = next;
    } else if (Array.isArray(value)) {
      const leaf = compileLeaf(value, at);
      for (const rule of rules) rule.set(prefix + key, leaf);
    } else {
      rules = expand(value as Record<string, unknown>, `${prefix}${key}.`, rules, at);
    }
  }
  return rules;
}

function compileNode(pattern: unknown, path: string): PatternNode {
  const draft = draftOf(pattern, path, 1);
  if (!overrides(draft)) return freeze(draft);
  const alternatives = expand(pattern as Record<string, unknown>, '', [new Map()], path).map((rule) => {
    const flat = newDraft();
    for (const [dotted, leaf] of rule) {
      const segments = dotted.split('.');
      const last = segments.pop()!;
      let target = flat;
      for (const segment of segments) target = childDraft(target, segment);
      slot(target, last).leaf = leaf;
    }
    return freeze(flat);
  });
  return alternatives.length === 1 ? alternatives[0]! : { fields: [], ors: [alternatives] };
}

/** Parses (when text) and compiles a pattern. */
export function compileRoot(pattern: string | object): PatternNode {
  let parsed: unknown = pattern;
  if (typeof pattern === 'string') {
    try {
      parsed = parseJson(pattern);
    } catch (error) {
      if (error instanceof EventTooDeepError) throw new InvalidPatternError('', `nested deeper than an event may be (${MAX_EVENT_DEPTH} levels)`);
      throw new InvalidPatternError('', `not JSON: ${(error as Error).message}`);
    }
  }
  return compileNode(parsed, '');
}

export { canonicalNumber, isPlainObject };
