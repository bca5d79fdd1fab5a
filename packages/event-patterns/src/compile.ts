import { type Cidr, inCidr, parseCidr } from '@reflex/ip';
import { EventTooDeepError, InvalidPatternError, MAX_EVENT_DEPTH } from './errors';
import { canonicalNumber, canonicalOf, ExactNumber, parseJson } from './json';

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
  /** The match values as written, for explanations. */
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

/** Equality of a pattern number and an event value, exact beyond double precision. */
function numberEquals(pattern: number | ExactNumber): (v: Scalar) => boolean {
  if (pattern instanceof ExactNumber) {
    return (v) => v instanceof ExactNumber && v.canonical === pattern.canonical;
  }
  return (v) => (typeof v === 'number' ? v === pattern : v instanceof ExactNumber && v.canonical === canonicalOf(pattern));
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

const NUMERIC_OPS = new Set(['=', '<', '<=', '>', '>=']);

function numericMatcher(value: unknown, path: string): (v: Scalar) => boolean {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 4)) {
    throw new InvalidPatternError(path, 'numeric takes [op, number] or [op, number, op, number]');
  }
  const checks: ((n: number) => boolean)[] = [];
  let lower = false;
  let upper = false;
  for (let i = 0; i < value.length; i += 2) {
    const op = value[i];
    const raw = value[i + 1];
    const n = raw instanceof ExactNumber ? raw.value : raw;
    if (typeof op !== 'string' || !NUMERIC_OPS.has(op)) {
      throw new InvalidPatternError(path, `unknown numeric operator ${JSON.stringify(op)} (=, <, <=, >, >=)`);
    }
    if (typeof n !== 'number' || !Number.isFinite(n)) {
      throw new InvalidPatternError(path, `numeric ${op} needs a number, got ${JSON.stringify(raw)}`);
    }
    if (op === '=') {
      if (value.length !== 2) throw new InvalidPatternError(path, 'numeric "=" stands alone');
      checks.push((x) => x === n);
    } else if (op === '>' || op === '>=') {
      if (lower) throw new InvalidPatternError(path, 'numeric takes at most one lower bound');
      lower = true;
      checks.push(op === '>' ? (x) => x > n : (x) => x >= n);
    } else {
      if (upper) throw new InvalidPatternError(path, 'numeric takes at most one upper bound');
      upper = true;
      checks.push(op === '<' ? (x) => x < n : (x) => x <= n);
    }
  }
  return (v) => {
    const x = v instanceof ExactNumber ? v.value : v;
    return typeof x === 'number' && checks.every((check) => check(x));
  };
}

function anythingBut(value: unknown, path: string): (v: Scalar) => boolean {
  if (isPlainObject(value)) {
    const keys = Object.keys(value);
    if (keys.length !== 1) throw new InvalidPatternError(path, 'anything-but takes one operator');
    const key = keys[0]!;
    const inner = value[key];
    const at = join(path, key);
    switch (key) {
      case 'prefix': {
        const p = stringOf(inner, at, 'prefix');
        if (p === '') throw new InvalidPatternError(at, 'anything-but prefix may not be empty');
        return (v) => typeof v === 'string' && !v.startsWith(p);
      }
      case 'suffix': {
        const s = stringOf(inner, at, 'suffix');
        if (s === '') throw new InvalidPatternError(at, 'anything-but suffix may not be empty');
        return (v) => typeof v === 'string' && !v.endsWith(s);
      }
      case 'equals-ignore-case': {
        const list = (Array.isArray(inner) ? inner : [inner]).map((x, i) => lower(stringOf(x, `${at}[${i}]`, key)));
        if (list.length === 0) throw new InvalidPatternError(at, 'needs at least one value');
        const set = new Set(list);
        return (v) => typeof v === 'string' && !set.has(lower(v));
      }
      case 'wildcard': {
        const list = (Array.isArray(inner) ? inner : [inner]).map((x, i) => wildcardRegExp(stringOf(x, `${at}[${i}]`, key), at));
        if (list.length === 0) throw new InvalidPatternError(at, 'needs at least one value');
        return (v) => typeof v === 'string' && !list.some((re) => re.test(v));
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
  const equals = values.map((x, i) => exactValue(x, `${path}[${i}]`));
  return (v) => !equals.some((eq) => eq(v));
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
    text: JSON.stringify(values, (_k, v) => (v instanceof ExactNumber ? Number(v.value) : v)),
    ...(allStrings ? { exactStrings: values as string[] } : {}),
  };
}

function compileNode(pattern: unknown, path: string, depth = 1): PatternNode {
  if (!isPlainObject(pattern)) throw new InvalidPatternError(path, 'a pattern is a JSON object');
  if (depth > MAX_EVENT_DEPTH) throw new InvalidPatternError(path, `nested deeper than an event may be (${MAX_EVENT_DEPTH} levels)`);
  const keys = Object.keys(pattern);
  if (keys.length === 0) throw new InvalidPatternError(path, 'an object in a pattern needs at least one field');
  const fields: Field[] = [];
  const ors: PatternNode[][] = [];
  for (const key of keys) {
    const value = pattern[key];
    const at = join(path, key);
    if (key === '$or') {
      if (!Array.isArray(value) || value.length < 2) {
        throw new InvalidPatternError(at, '$or takes an array of at least two patterns');
      }
      ors.push(value.map((alt, i) => compileNode(alt, `${at}[${i}]`, depth + 1)));
    } else if (Array.isArray(value)) {
      fields.push({ key, leaf: compileLeaf(value, at) });
    } else if (isPlainObject(value)) {
      fields.push({ key, child: compileNode(value, at, depth + 1) });
    } else {
      throw new InvalidPatternError(at, `match values must be in an array, e.g. [${JSON.stringify(value)}]`);
    }
  }
  return { fields, ors };
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
