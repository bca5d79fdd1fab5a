// The text reader (view.ts) against the object path: a seeded differential test.
//
// An event given as JSON text is not parsed whole: the reader takes only the fields the patterns name, skips
// the rest checking only that brackets balance, and stops early when a gated top-level field (`"source":
// ["aws.ec2"]` in every rule) cannot match and the rest of the text cannot name it again. An event given as
// an object goes through the full matcher. Both must give the same answer, so for random patterns p and
// event texts t:
//
//   compilePattern(p).matches(t) === compilePattern(p).matches(JSON.parse(t))
//
// and the same for `explain(…).matched` and for a RuleSet holding every pattern (which must also answer
// for each rule as the rule alone). Exceptions, by design:
// - A key given twice in the text: JSON.parse keeps the last value, the reader keeps both ("a field given
//   twice in an event: both values count, as for an array", README). The reference is then the object with
//   the repeated values combined so: objects key by key, anything else side by side in an array, objects in
//   no array going with each object of the arrays (as event-ruler pairs them).
// - A number literal no double holds (2^53 + 1, 1E-325, 1e400): the text equals only the same literal and
//   never satisfies `numeric` (README). The reference writes such a literal as a string no operator here
//   confuses with another value.
// - Invalid JSON: the reader throws JSON.parse's SyntaxError where it reads, but for a raw control character
//   in a string; parts it skips are checked only for brackets that balance, and nothing after an early stop
//   is read (README). Text JSON.parse refuses never matches.
//
// The generators aim at what a partial reader can get wrong: keys in any order and repeated, the named
// field after large skipped subtrees, escapes in keys (the first character too) and strings, strings full
// of brackets, quotes and digit runs, numbers in every JSON form, arrays of objects, empty objects and
// arrays, whitespace everywhere, dotted names, prototype names, `$or` and every operator.
// `VIEW_TEST_SEEDS=1-500` runs other seeds.

import { describe, expect, it } from '@jest/globals';
import { type CompiledPattern, compilePattern, InvalidPatternError, MAX_EVENT_DEPTH, RuleSet } from './index';

// ---- random ---------------------------------------------------------------------------------------------

/** mulberry32: small, fast and the same on every machine. */
function randomFrom(seed: number) {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, chance: (p: number) => next() < p, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)]! };
}
type Random = ReturnType<typeof randomFrom>;

// ---- events as written --------------------------------------------------------------------------------

/** A number as the text spells it. */
class Num {
  constructor(readonly literal: string) {}
}
/** An object as the text spells it: keys in order, possibly repeated. */
class Obj {
  constructor(readonly entries: [string, Value][]) {}
}
type Value = string | Num | boolean | null | Obj | Value[];

/** Field names patterns and events share: dotted, empty, escaped-looking, numeric, prototype names. */
const KEYS = [
  'source', 'source', 'detail', 'detail', 'state', 'a', 'b', 'c', 'ab', 'sourc', 'source2', 'a.b', 'detail.state',
  'a..b', '.a', 'a.', '.', '.source', '0', '1', '10', '', 'é', 'a b', 'a"b', '\\', '/', '__proto__', 'constructor', 'toString',
  'ÉTÉ', '😀', '\t', 'items', '\ud800',
];
const SOURCES = ['aws.ec2', 'aws.s3', 'aws.guardduty', 'AWS.EC2', 'aws.ec2 ', 'source', '"source"', ''];
const STRINGS = [
  ...SOURCES, 'x', 'X', 'é', 'été', 'ÉTÉ', 'ete', 'a"b', 'a\\b', '[', ']', '{', '}', '{"a":[1,', '"]}', 'a,b', ':',
  '"', '\\', 'source":', '10.0.0.5', '10.0.1.1', '2001:db8::1', '2001:0db8:0000:0000:0000:0000:0000:0001',
  '::ffff:192.0.2.1', 'i-00000000000000059', 'x:12345678901234567', '12345678901234567890', ',1234567890123456',
  '/', 'a/b', 'a.png', 'A.PNG', '.png', '*', 'a*b', 'a\\*b', 'line\nbreak', 'tab\t', '\u2028', '😀', '\ud800', 'null',
  'true', '5', '-1', 'sourc\\u0065', 'ß', 'İ',
];
/** Literals that are exactly a double, in every JSON form (the text and JSON.parse agree on them). */
const EXACT_NUMBERS = [
  '0', '-0', '0.0', '-0.0', '0e0', '0E+5', '5', '5.0', '5e0', '50e-1', '0.5e1', '1000', '1e3', '1E3', '1e+3',
  '1000.000', '0.5', '5e-1', '5E-1', '0.01', '1E-2', '1e-2', '-1', '-1.5', '-1.5e0', '-15E-1', '300', '3e2',
  '301.8', '3018e-1', '1024', '65536', '1234567890123456', '12345678901234.56', '9007199254740992',
  '9007199254740994', '9007199254740992.0', '1.5e300', '-2.5E-5', '1.7976931348623157e308', '5e-324',
  '100000000000000000000', '1e21', '123.456',
];
/** Literals no double holds exactly: they equal only the same literal (README). */
const INEXACT_NUMBERS = [
  '9007199254740993', '9007199254740993.0', '-9007199254740993', '12345678901234567890', '1E-325', '1e400',
  '-1e400', '0.30000000000000004441', '123456789012345680000', '2e-324',
];
const CIDRS = ['10.0.0.0/24', '10.0.0.5/32', '10.0.0.0/8', '2001:db8::/32', '::ffff:192.0.2.0/120', '0.0.0.0/0'];
/** Characters of noise strings and keys: brackets, quotes and escapes the skipper must step over. */
const NOISE = [...'{}[]",:\\/ aé😀\n\t0123456789'];
/**
 * A clean event has no character that must be escaped (so, written without escapes, no backslash): only
 * then may the reader stop at a gate.
 */
const needsEscape = (s: string) => /["\\\u0000-\u001f]/.test(s);
const CLEAN = { noise: NOISE.filter((c) => !needsEscape(c)), keys: KEYS.filter((k) => !needsEscape(k)), strings: STRINGS.filter((k) => !needsEscape(k)) };
let clean = false;

const isPlain = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Num) && !(v instanceof Obj);

/** Sets a key as JSON.parse does: `__proto__` too is an own property. */
function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const holdsObject = (v: unknown): boolean => Array.isArray(v) && v.some((e) => isPlain(e) || holdsObject(e));

/** Values by key, in the order the keys first come. */
function byKey(entries: Iterable<[string, unknown]>): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  for (const [key, value] of entries) {
    const values = out.get(key);
    if (values) values.push(value);
    else out.set(key, [value]);
  }
  return out;
}

function objectFrom(values: Map<string, unknown[]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, vs] of values) define(out, key, vs.length === 1 ? vs[0] : combine(vs));
  return out;
}

/**
 * The values of a key given more than once, as one, all at once: objects merged key by key; anything else
 * side by side in an array, "as for an array" (README), where the objects in no array go with every object
 * of the arrays, as in event-ruler (they belong to no array element).
 */
function combine(values: unknown[]): unknown {
  if (values.every(isPlain)) return objectFrom(byKey(values.flatMap((o) => Object.entries(o as Record<string, unknown>))));
  const inArrays = (v: unknown) => Array.isArray(v) && holdsObject(v);
  const loose = values.filter(isPlain);
  const merged = loose.length > 0 ? combine(loose) : undefined;
  const into = (v: unknown): unknown => (isPlain(v) ? combine([v, merged]) : Array.isArray(v) ? v.map(into) : v);
  const arrays = values.filter(inArrays);
  const rest = values.filter((v) => !isPlain(v) && !inArrays(v));
  return [...rest, ...(arrays.length === 0 ? (merged ? [merged] : []) : merged ? arrays.map(into) : arrays)];
}

/**
 * Whether a value may be given beside another of the same key. event-ruler pairs the objects of two arrays
 * freely (each value is an array of its own), which the engine does not ("as for an array"), so the
 * generator never puts two arrays of objects under one name; the rest of combining is tested.
 */
function combinable(a: unknown, b: unknown): boolean {
  if (isPlain(a) && isPlain(b)) return Object.keys(b).every((k) => !Object.hasOwn(a, k) || combinable(a[k], b[k]));
  if (isPlain(a)) return !Array.isArray(b) || b.flat(Infinity).every((e) => !isPlain(e) || combinable(a, e));
  if (isPlain(b)) return combinable(b, a);
  return !(holdsObject(a) && holdsObject(b));
}

/** The event as an object: repeated keys combined, numbers through `number`. */
function objectOf(v: Value, number: (n: Num) => unknown): unknown {
  if (v instanceof Num) return number(v);
  if (Array.isArray(v)) return v.map((e) => objectOf(e, number));
  if (!(v instanceof Obj)) return v;
  return objectFrom(byKey(v.entries.map(([key, entry]): [string, unknown] => [key, objectOf(entry, number)])));
}

const hasRepeatedKey = (v: Value): boolean =>
  Array.isArray(v)
    ? v.some(hasRepeatedKey)
    : v instanceof Obj && (new Set(v.entries.map(([k]) => k)).size < v.entries.length || v.entries.some(([, e]) => hasRepeatedKey(e)));

interface EventOptions {
  /** Whether numbers no double holds may appear. */
  readonly inexact: boolean;
  /** Whether a key may repeat in an object. */
  readonly repeats: boolean;
}

const GENERATED_DEPTH = 6;
/** Values an event may still have: keeps events small (a few hundred bytes) whatever the dice say. */
let budget = 0;

function noiseString(r: Random, max = 16): string {
  return Array.from({ length: r.int(max) }, () => r.pick(clean ? CLEAN.noise : NOISE)).join('');
}

function scalar(r: Random, options: EventOptions): Value {
  const roll = r.next();
  if (roll < 0.45) return r.chance(0.85) ? r.pick(clean ? CLEAN.strings : STRINGS) : noiseString(r);
  if (roll < 0.8) return new Num(options.inexact && r.chance(0.3) ? r.pick(INEXACT_NUMBERS) : r.pick(EXACT_NUMBERS));
  return r.pick([true, false, null]);
}

/** A large subtree no pattern names, full of brackets and quotes in strings and keys. */
function noise(r: Random, depth: number, options: EventOptions): Value {
  if (--budget < 0 || depth >= GENERATED_DEPTH + 4 || r.chance(0.25)) return r.chance(0.6) ? noiseString(r, 40) : scalar(r, options);
  const n = 1 + r.int(6);
  if (r.chance(0.5)) return Array.from({ length: n }, () => noise(r, depth + 1, options));
  return new Obj(Array.from({ length: n }, () => [noiseString(r, 8), noise(r, depth + 1, options)]));
}

function value(r: Random, depth: number, options: EventOptions): Value {
  const roll = r.next();
  if (--budget < 0 || depth >= GENERATED_DEPTH || roll < 0.35) return scalar(r, options);
  if (roll < 0.65) return object(r, depth + 1, options);
  if (roll < 0.9) return Array.from({ length: r.int(4) }, () => value(r, depth + 1, options));
  return noise(r, depth + 1, options);
}

/** Entries with keys from KEYS (sometimes repeated) and noise keys; a repeated key gets a value it combines with. */
function object(r: Random, depth: number, options: EventOptions, extra: [string, Value][] = []): Obj {
  const entries: [string, Value][] = Array.from({ length: r.int(5) }, () => [
    r.chance(0.85) ? r.pick(clean ? CLEAN.keys : KEYS) : noiseString(r, 6),
    r.chance(0.1) ? noise(r, depth + 1, options) : value(r, depth, options),
  ]);
  for (const entry of extra) entries.splice(r.int(entries.length + 1), 0, entry);
  if (options.repeats && entries.length > 0 && r.chance(0.4)) {
    // A key given again, once or twice, with an object, objects in an array, or a value: the shapes that
    // combine apart, in any order.
    const key = r.pick(entries)[0];
    for (let n = 1 + r.int(2); n > 0; n--) {
      const again = r.pick([() => object(r, depth + 1, options), () => [object(r, depth + 1, options), scalar(r, options)], () => scalar(r, options)]);
      entries.splice(r.int(entries.length + 1), 0, [key, again()]);
    }
  }
  const seen = new Map<string, unknown[]>();
  const number = (n: Num) => Number(n.literal);
  return new Obj(
    entries.flatMap(([key, entry]): [string, Value][] => {
      let v = entry;
      const before = seen.get(key) ?? [];
      if (before.length > 0) {
        if (!options.repeats) return [];
        while (!before.every((b) => combinable(b, objectOf(v, number)))) v = scalar(r, options);
      }
      seen.set(key, [...before, objectOf(v, number)]);
      return [[key, v]];
    }),
  );
}

/** A top-level event: usually a `source`, sometimes given again later, around other fields and noise. */
function event(r: Random, options: EventOptions): Obj {
  budget = 40;
  clean = r.chance(0.5);
  const extra: [string, Value][] = [];
  if (r.chance(0.8)) extra.push(['source', r.pick(SOURCES)]);
  if (r.chance(0.4)) extra.push(['detail', object(r, 2, options)]);
  for (let i = 1 + r.int(2); i > 0; i--) extra.push([r.pick(clean ? CLEAN.keys : KEYS), value(r, 1, options)]);
  for (let i = r.int(3); i > 0; i--) extra.push([noiseString(r, 6), noise(r, 2, options)]);
  const top = object(r, 1, options, extra);
  if (options.repeats && r.chance(0.3)) {
    // A gated field given again at the end, after everything the reader may have skipped.
    const key = r.chance(0.8) ? 'source' : r.pick(KEYS);
    const again = r.pick(SOURCES);
    const before = top.entries.filter(([k]) => k === key).map(([, v]) => objectOf(v, (n) => Number(n.literal)));
    if (before.every((b) => combinable(b, again))) top.entries.push([key, again]);
  }
  return top;
}

/** A copy of an event with some values replaced, some entries dropped and some noise added. */
function variant(r: Random, v: Value, options: EventOptions): Value {
  if (Array.isArray(v)) return v.map((e) => variant(r, e, options));
  if (!(v instanceof Obj)) return r.chance(0.1) ? scalar(r, options) : v;
  const entries = v.entries.flatMap(([k, e]): [string, Value][] => (r.chance(0.08) ? [] : [[k, variant(r, e, options)]]));
  if (r.chance(0.2)) entries.splice(r.int(entries.length + 1), 0, [noiseString(r, 6), noise(r, 3, options)]);
  // Values replaced above may no longer combine with another value of their key.
  const seen = new Map<string, unknown[]>();
  return new Obj(
    entries.filter(([k, e]) => {
      const value = objectOf(e, (n) => Number(n.literal));
      const before = seen.get(k) ?? [];
      if (!before.every((b) => combinable(b, value))) return false;
      seen.set(k, [...before, value]);
      return true;
    }),
  );
}

// ---- writing JSON text ----------------------------------------------------------------------------------

interface Style {
  /** Chance of whitespace between two tokens. */
  readonly space: number;
  /** Chance that a string is written with random escapes (else only the escapes JSON requires). */
  readonly escapes: number;
  /** Whether to write an object's entries in random order. */
  readonly shuffle: boolean;
}

const WHITESPACE = [' ', '\n', '\t', '\r\n', '  ', '\n    '];
const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const unicodeEscape = (r: Random, code: number) => {
  const hex = code.toString(16).padStart(4, '0');
  return `\\u${r.chance(0.5) ? hex : hex.toUpperCase()}`;
};

/** A JSON string literal: required escapes always, short or \u; other characters raw or escaped at random. */
function quote(r: Random, s: string, style: Style): string {
  const mode = r.chance(style.escapes) ? r.pick(['random', 'first'] as const) : 'plain';
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    const escape = mode === 'random' ? r.chance(0.3) : mode === 'first' && i === 0;
    if (c === '"' || c === '\\' || code < 0x20) out += SHORT_ESCAPES[c] !== undefined && r.chance(0.7) ? SHORT_ESCAPES[c] : unicodeEscape(r, code);
    else if (!escape) out += c;
    else if (c === '/' && r.chance(0.5)) out += '\\/';
    else out += unicodeEscape(r, code);
  }
  return `${out}"`;
}

function write(r: Random, v: Value, style: Style): string {
  const ws = () => (r.chance(style.space) ? r.pick(WHITESPACE) : '');
  if (typeof v === 'string') return quote(r, v, style);
  if (v instanceof Num) return v.literal;
  if (Array.isArray(v)) return `[${ws()}${v.map((e) => write(r, e, style)).join(`${ws()},${ws()}`)}${ws()}]`;
  if (v instanceof Obj) {
    const entries = [...v.entries];
    if (style.shuffle) {
      for (let i = entries.length - 1; i > 0; i--) {
        const j = r.int(i + 1);
        [entries[i], entries[j]] = [entries[j]!, entries[i]!];
      }
    }
    const body = entries.map(([k, e]) => `${ws()}${quote(r, k, style)}${ws()}:${ws()}${write(r, e, style)}${ws()}`).join(',');
    return `{${body || ws()}}`;
  }
  return String(v);
}

const STYLES: Style[] = [
  { space: 0, escapes: 0, shuffle: false },
  { space: 0.3, escapes: 0.2, shuffle: true },
  { space: 1, escapes: 0.05, shuffle: true },
  { space: 0.05, escapes: 0.5, shuffle: true },
];

// ---- patterns -----------------------------------------------------------------------------------------

type Pattern = Record<string, unknown>;

const isInexact = (n: Num) => INEXACT_NUMBERS.includes(n.literal);
/**
 * How the reference writes a literal no double holds: a string equal only to the same literal, that no
 * condition here matches otherwise (patterns that match any string are left out where it appears).
 */
const sentinel = (n: Num) => `\u0001${[...n.literal].map((c) => String.fromCharCode(0xe000 + c.charCodeAt(0))).join('')}`;
const referenceNumber = (n: Num): unknown => (isInexact(n) ? sentinel(n) : Number(n.literal));

/** Pattern text with each Num spelled as written (a literal no double holds stays exact). */
const patternText = (p: unknown): string =>
  JSON.stringify(p, (_k, v: unknown) => (v instanceof Num ? `\u0000num:${v.literal}` : v)).replace(/"\\u0000num:([^"]*)"/g, '$1');
/** The pattern the reference object is matched with. */
const referenceText = (p: unknown): string => JSON.stringify(p, (_k, v: unknown) => (v instanceof Num ? referenceNumber(v) : v));

/** Whether a pattern has a condition every string meets (`prefix: ""`, `wildcard: "*"`), or no string does. */
const aboutAnyString = (p: unknown): boolean =>
  Array.isArray(p)
    ? p.some(aboutAnyString)
    : isPlain(p) &&
      Object.entries(p).some(
        ([k, v]) =>
          ((k === 'prefix' || k === 'suffix') && (v === '' || (isPlain(v) && v['equals-ignore-case'] === ''))) ||
          (k === 'wildcard' && [v].flat().some((w) => /^\*+$/.test(String(w)))) ||
          aboutAnyString(v),
      );

const flipCase = (r: Random, s: string) => [...s].map((c) => (r.chance(0.5) ? c.toUpperCase() : c.toLowerCase())).join('');

/** A wildcard covering `s`: stars and backslashes escaped, a run of it replaced by `*`. */
function wildcardOf(r: Random, s: string): string {
  const chars = [...s].map((c) => (c === '*' || c === '\\' ? `\\${c}` : c));
  if (r.chance(0.7)) {
    const from = r.int(chars.length + 1);
    chars.splice(from, r.int(chars.length - from + 1), '*');
  }
  if (r.chance(0.3)) chars.splice(r.int(chars.length + 1), 0, '*');
  return chars.join('');
}

const DOUBLES = EXACT_NUMBERS.map(Number);

/** A condition on a string: every operator, meeting it or (often) not. */
function stringCondition(r: Random, s: string): unknown {
  const k = r.int(s.length + 1);
  const other = r.pick(STRINGS);
  switch (r.int(15)) {
    case 0:
      return s;
    case 1:
      return { prefix: s.slice(0, k) };
    case 2:
      return { prefix: { 'equals-ignore-case': flipCase(r, s.slice(0, k)) } };
    case 3:
      return { suffix: s.slice(k) };
    case 4:
      return { suffix: { 'equals-ignore-case': flipCase(r, s.slice(k)) } };
    case 5:
      return { 'equals-ignore-case': flipCase(r, r.chance(0.8) ? s : other) };
    case 6:
      return { 'anything-but': r.pick([s, [s, other], [other], other]) };
    case 7:
      return { 'anything-but': { prefix: r.pick([s.slice(0, Math.max(1, k)) || 'a', [other || 'x', s || 'y']]) } };
    case 8:
      return { 'anything-but': { suffix: s.slice(-Math.max(1, k)) || 'z' } };
    case 9:
      return { 'anything-but': { 'equals-ignore-case': r.pick([flipCase(r, s), [flipCase(r, s), other]]) } };
    case 10:
      return { 'anything-but': { wildcard: wildcardOf(r, r.chance(0.7) ? s : other) } };
    case 11:
    case 12:
      return { wildcard: wildcardOf(r, r.chance(0.8) ? s : other) };
    case 13:
      return { cidr: r.pick(CIDRS) };
    default:
      return { exists: r.chance(0.5) };
  }
}

/** A condition on a number: exact (in any spelling), numeric, anything-but. */
function numberCondition(r: Random, n: number): unknown {
  const spellings = EXACT_NUMBERS.filter((l) => Number(l) === n);
  const near = r.pick(DOUBLES);
  const [low, high] = near < n ? [near, n] : [n, near];
  switch (r.int(8)) {
    case 0:
    case 1:
      return new Num(spellings.length > 0 ? r.pick(spellings) : String(n));
    case 2:
      return { numeric: [r.pick(['=', '<', '<=', '>', '>=']), r.chance(0.6) ? n : near] };
    case 3:
      return low < high ? { numeric: [r.pick(['>', '>=']), low, r.pick(['<', '<=']), high] } : { numeric: ['=', n] };
    case 4:
      return { 'anything-but': r.pick([n, [n, near], [near]]) };
    case 5:
      return { 'anything-but': r.pick(['x', { prefix: 'a' }]) };
    default:
      return { exists: r.chance(0.5) };
  }
}

/**
 * A condition on a literal no double holds: it equals only itself (not its nearest double as JSON writes it:
 * `9007199254740992`, `0` for 1E-325, `null` for 1e400) and is never `numeric`.
 */
function inexactCondition(r: Random, n: Num): unknown {
  const nearest = JSON.stringify(Number(n.literal));
  const neighbour = nearest === n.literal ? n : JSON.parse(nearest);
  return r.pick([n, n, neighbour, new Num(r.pick(INEXACT_NUMBERS)), new Num(r.pick(EXACT_NUMBERS)), { numeric: ['>', -1e308] }, { 'anything-but': [0, 5] }, { 'anything-but': 'x' }, { exists: true }]);
}

function randomScalar(r: Random): unknown {
  const roll = r.next();
  if (roll < 0.5) return r.pick(STRINGS);
  if (roll < 0.85) return new Num(r.pick(EXACT_NUMBERS));
  return r.pick([true, false, null]);
}

/** A condition a value meets or (often) misses; for a missing field or an object, one on a random value. */
function condition(r: Random, v: unknown): unknown {
  const target = r.chance(0.1) || v === undefined || isPlain(v) ? randomScalar(r) : v;
  if (target instanceof Num) return isInexact(target) ? inexactCondition(r, target) : numberCondition(r, Number(target.literal));
  if (typeof target === 'string') return stringCondition(r, target);
  return r.pick([target, { exists: r.chance(0.5) }, { 'anything-but': 'x' }, { 'anything-but': { suffix: 'x' } }]);
}

/** A leaf: one to three conditions (any may match), on the value or on one element of an array. */
function leaf(r: Random, v: unknown): unknown[] {
  const values = Array.isArray(v) ? v.flat(Infinity).filter((e) => !isPlain(e)) : [v];
  const pickValue = () => (values.length > 0 ? r.pick(values) : undefined);
  return Array.from({ length: r.chance(0.75) ? 1 : 2 + r.int(2) }, () => condition(r, pickValue()));
}

/** A path to a value of the event, through objects and array elements; now and then to a missing field. */
function pathInto(r: Random, event: unknown): { path: string[]; value: unknown; parent: unknown } {
  const path: string[] = [];
  let v = event;
  let parent: unknown;
  for (;;) {
    if (Array.isArray(v)) {
      const objects = v.flat(Infinity).filter(isPlain);
      if (objects.length === 0 || r.chance(0.3)) break;
      v = r.pick(objects);
    } else if (isPlain(v)) {
      const keys = Object.keys(v);
      if (keys.length === 0 || r.chance(0.1)) break;
      // Dotted keys (`"a.b"`, `".a"`) are read apart from the others: taken more often.
      const dotted = keys.filter((k) => k.includes('.'));
      const key = r.chance(0.08) ? r.pick(KEYS) : dotted.length > 0 && r.chance(0.3) ? r.pick(dotted) : r.pick(keys);
      path.push(key);
      parent = v;
      v = Object.hasOwn(v, key) ? v[key] : undefined;
    } else {
      break;
    }
  }
  return { path, value: v, parent };
}

/**
 * Sets a leaf at a path, nesting objects or writing the rest of the path as one dotted key (also when a leaf
 * is in the way: `{"a": […], "a.b": […]}`).
 */
function place(r: Random, pattern: Pattern, path: readonly string[], conditions: unknown[]): void {
  let at = pattern;
  for (let i = 0; i < path.length - 1; i++) {
    const next = Object.hasOwn(at, path[i]!) ? at[path[i]!] : undefined;
    if (isPlain(next)) {
      at = next;
    } else if (next === undefined && r.chance(0.6)) {
      const child: Pattern = {};
      define(at, path[i]!, child);
      at = child;
    } else {
      define(at, path.slice(i).join('.'), conditions);
      return;
    }
  }
  const last = path[path.length - 1]!;
  const existing = Object.hasOwn(at, last) ? at[last] : undefined;
  define(at, isPlain(existing) ? `${last}.${r.pick(KEYS)}` : last, conditions);
}

/** A pattern on fields of `event` (sometimes random ones), often with `source`, sometimes `$or`. */
function patternFor(r: Random, event: unknown): Pattern {
  const build = (): Pattern => {
    const pattern: Pattern = {};
    if (r.chance(0.45)) {
      const given = isPlain(event) && typeof event['source'] === 'string' && r.chance(0.7) ? event['source'] : r.pick(SOURCES);
      define(pattern, 'source', r.chance(0.7) ? [given] : [r.pick(SOURCES), given]);
    }
    for (let n = 1 + r.int(2); n > 0; n--) {
      const { path, value, parent } = r.chance(0.85) ? pathInto(r, event) : { path: [r.pick(KEYS), r.pick(KEYS)].slice(r.int(2)), value: undefined, parent: undefined };
      if (path.length > 0) place(r, pattern, path, leaf(r, value));
      if (isPlain(parent) && r.chance(0.4)) {
        // A second field of the same object (array element): array-consistency and combined values at work.
        const sibling = r.pick(Object.keys(parent));
        place(r, pattern, [...path.slice(0, -1), sibling], leaf(r, parent[sibling]));
      }
    }
    return Object.keys(pattern).length > 0 ? pattern : { source: [r.pick(SOURCES)] };
  };
  const pattern = build();
  // `$or` (also naming a field the pattern names outside it: event-ruler's override, compiled apart).
  if (r.chance(0.3)) define(pattern, '$or', [build(), build(), ...(r.chance(0.3) ? [build()] : [])]);
  return pattern;
}

// ---- the differential ---------------------------------------------------------------------------------

/** The result of a call, or the error it threw. */
function outcome<T>(run: () => T): T | string {
  try {
    return run();
  } catch (error) {
    return `throws ${(error as Error).name}: ${(error as Error).message}`;
  }
}

const seedsFrom = (spec: string | undefined): number[] | undefined =>
  spec?.split(',').flatMap((part) => {
    const [from, to = from] = part.split('-').map(Number);
    return Array.from({ length: to! - from! + 1 }, (_, i) => from! + i);
  });

const SEEDS = seedsFrom(process.env['VIEW_TEST_SEEDS']) ?? [1, 2, 3, 4];
const EVENTS_PER_SEED = 20;
const PATTERNS_PER_SEED = 30;

/** The event text: whitespace around it too. */
const textOf = (r: Random, e: Value, style: Style) => {
  const ws = () => (r.chance(style.space) ? r.pick(WHITESPACE) : '');
  return `${ws()}${write(r, e, style)}${ws()}`;
};

interface Disagreement {
  readonly what: string;
  readonly pattern: string;
  readonly event: string;
  readonly text: unknown;
  readonly object: unknown;
}

interface Run {
  /** Pattern × event text pairs compared. */
  cases: number;
  /** The first few disagreements, to reproduce. */
  disagreements: Disagreement[];
}

/** Patterns compiled from their text, and (for inexact literals) the pattern the reference object takes. */
interface Compiled {
  readonly text: string;
  readonly compiled: CompiledPattern;
  readonly referenceText: string;
  readonly reference: CompiledPattern;
}

function compiledPatterns(r: Random, count: number, written: unknown[], inexact: boolean): Compiled[] {
  const out: Compiled[] = [];
  while (out.length < count) {
    const pattern = patternFor(r, r.chance(0.9) ? r.pick(written) : {});
    const text = patternText(pattern);
    const reference = referenceText(pattern);
    if (inexact && aboutAnyString(JSON.parse(reference))) continue;
    try {
      const compiled = compilePattern(text);
      out.push(inexact ? { text, compiled, referenceText: reference, reference: compilePattern(reference) } : { text, compiled, referenceText: text, reference: compiled });
    } catch (error) {
      if (!(error instanceof InvalidPatternError)) throw error;
    }
  }
  return out;
}

/**
 * One seed: a few events and variants of each (so that patterns drawn from one often match others), each
 * written in a random style and compactly; patterns mostly drawn from the events. Every pattern × text pair
 * is compared through `matches` and `explain` on the text and on the reference object, and a RuleSet of all
 * the patterns on each text.
 */
function differential(seed: number, options: EventOptions): Run {
  const r = randomFrom(seed);
  const run: Run = { cases: 0, disagreements: [] };
  const report = (d: Disagreement) => run.disagreements.length < 3 && run.disagreements.push(d);
  const events = Array.from({ length: EVENTS_PER_SEED / 10 }).flatMap(() => {
    const base = event(r, options);
    return [base, ...Array.from({ length: 9 }, () => variant(r, base, options) as Obj)];
  });
  const patterns = compiledPatterns(r, PATTERNS_PER_SEED, events.map((e) => objectOf(e, (n) => n)), options.inexact);
  const rules = new RuleSet<number>();
  const referenceRules = new RuleSet<number>();
  patterns.forEach((p, i) => {
    rules.add(i, p.text);
    referenceRules.add(i, p.referenceText);
  });

  for (const e of events) {
    for (const style of [r.pick(STYLES), STYLES[0]!]) {
      const text = textOf(r, e, style);
      // Without repeated keys or literals no double holds, the reference is JSON.parse itself.
      const object = options.inexact || hasRepeatedKey(e) ? objectOf(e, referenceNumber) : JSON.parse(text);
      const expected: number[] = [];
      patterns.forEach((p, i) => {
        run.cases++;
        const byObject = outcome(() => p.reference.matches(object));
        const byText = outcome(() => p.compiled.matches(text));
        if (byObject === true) expected.push(i);
        if (byText !== byObject) return report({ what: 'matches', pattern: p.text, event: text, text: byText, object: byObject });
        // explain parses the whole event: asked for every match and one in four other pairs.
        if (byObject !== true && run.cases % 4 !== 0) return;
        const explained = [outcome(() => p.compiled.explain(text).matched), outcome(() => p.reference.explain(object).matched)];
        if (explained.some((m) => m !== byObject)) report({ what: 'explain', pattern: p.text, event: text, text: explained, object: byObject });
      });
      const byText = outcome(() => rules.matches(text).sort((a, b) => a - b));
      const byObject = outcome(() => referenceRules.matches(object).sort((a, b) => a - b));
      if (JSON.stringify([byText, byObject]) !== JSON.stringify([expected, expected])) {
        report({ what: `RuleSet of ${patterns.length}`, pattern: '(all)', event: text, text: byText, object: { object: byObject, expected } });
      }
    }
  }
  return run;
}

describe('JSON text and parsed objects match alike (seeded differential)', () => {
  it.each(SEEDS)('matches(text) = matches(JSON.parse(text)), and explain and a RuleSet agree (seed %i)', (seed) => {
    const run = differential(seed, { inexact: false, repeats: false });

    expect(run.disagreements).toEqual([]);
    expect(run.cases).toBe(EVENTS_PER_SEED * 2 * PATTERNS_PER_SEED);
  });

  it.each(SEEDS)('a key given twice counts with every value, as for an array (README), on text as on the object (seed %i)', (seed) => {
    const run = differential(seed + 1000, { inexact: false, repeats: true });

    expect(run.disagreements).toEqual([]);
  });

  it.each(SEEDS)('a literal no double holds equals only the same literal and is never numeric, in text (seed %i)', (seed) => {
    const run = differential(seed + 2000, { inexact: true, repeats: false });

    expect(run.disagreements).toEqual([]);
  });
});

describe('gates: reading stops early only where the rest of the text cannot name the field again', () => {
  it.each(SEEDS)('reads a top-level field given again after skipped subtrees, however its name is spelled (seed %i)', (seed) => {
    const r = randomFrom(seed + 3000);
    const options: EventOptions = { inexact: false, repeats: true };
    const disagreements: Disagreement[] = [];
    for (const key of new Set(KEYS)) {
      for (let k = 0; k < 4; k++) {
        budget = 30;
        // Mostly nothing to escape, so that the gate may close; the key again, raw or with escapes.
        clean = r.chance(0.7);
        const sources = clean ? SOURCES.filter((s) => !needsEscape(s)) : SOURCES;
        const [first, again] = [r.pick(sources), r.pick(sources)];
        const between = object(r, 1, options, [[noiseString(r, 6), noise(r, 2, options)]]).entries.filter(([name]) => name !== key);
        const e = new Obj([[key, first], ...between, [key, again]]);
        const text = textOf(r, e, { space: 0.2, escapes: r.pick([0, 0, 0.2]), shuffle: false });
        const reference = objectOf(e, referenceNumber) as object;
        const rules = new RuleSet<string>();
        rules.add('again', { [key]: [again] });
        rules.add('first', { [key]: [first, 'x'] });
        rules.add('neither', { [key]: [r.pick(STRINGS)] });
        for (const pattern of [{ [key]: [again] }, { [key]: [first] }, { [key]: [r.pick(STRINGS)] }]) {
          const compiled = compilePattern(pattern);
          const [byText, byObject] = [outcome(() => compiled.matches(text)), outcome(() => compiled.matches(reference))];
          if (byText !== byObject) disagreements.push({ what: 'matches', pattern: JSON.stringify(pattern), event: text, text: byText, object: byObject });
        }
        const [byText, byObject] = [outcome(() => rules.matches(text).sort()), outcome(() => rules.matches(reference).sort())];
        if (JSON.stringify(byText) !== JSON.stringify(byObject)) disagreements.push({ what: 'RuleSet', pattern: key, event: text, text: byText, object: byObject });
      }
    }

    expect(disagreements.slice(0, 3)).toEqual([]);
  });
});

describe('a RuleSet answers for each rule as the rule alone', () => {
  // Values equal in value but not in text, or the other way round, where rules share conditions and indexes.
  const VALUES = ['null', 'true', '0', '-0', '0.0', '1E-325', '1e400', '-1e400', '9007199254740992', '9007199254740993', '9007199254740993.0', '5', '5.0', '"5"', '"a"', '"A"', '""'];
  const CONDITIONS = [
    ...VALUES, '{"numeric":[">",0]}', '{"numeric":["=",5]}', '{"anything-but":[0,5]}', '{"anything-but":"a"}', '{"prefix":""}',
    '{"exists":true}', '{"exists":false}', '{"equals-ignore-case":"a"}',
  ];
  const FIELDS = ['n', 'm', 'o.p'];

  it.each(SEEDS)('on rules over a few fields, for values equal in value or in text only (seed %i)', (seed) => {
    const r = randomFrom(seed + 6000);
    const some = <T>(xs: readonly T[], p: number) => xs.filter(() => r.chance(p));
    const patterns = Array.from({ length: 60 }, () => {
      const fields = some(FIELDS, 0.5);
      return `{${(fields.length > 0 ? fields : ['n']).map((f) => `"${f}":[${[r.pick(CONDITIONS), ...some(CONDITIONS, 0.05)].join(',')}]`).join(',')}}`;
    });
    const rules = new RuleSet<number>();
    patterns.forEach((p, i) => rules.add(i, p));
    const compiled = patterns.map((p) => compilePattern(p));
    const wrong: unknown[] = [];
    for (let k = 0; k < 100; k++) {
      const value = () => (r.chance(0.2) ? `[${r.pick(VALUES)},${r.pick(VALUES)}]` : r.pick(VALUES));
      const fields = some(FIELDS, 0.7).map((f) => (f === 'o.p' && r.chance(0.5) ? `"o":{"p":${value()}}` : `"${f}":${value()}`));
      const text = `{${fields.join(',')}}`;
      const expected = compiled.flatMap((c, i) => (c.matches(text) ? [i] : []));
      const got = rules.matches(text).sort((a, b) => a - b);
      if (JSON.stringify(got) !== JSON.stringify(expected)) wrong.push({ text, got, expected });
    }

    expect(wrong.slice(0, 3)).toEqual([]);
  });
});

// ---- invalid JSON -------------------------------------------------------------------------------------

/** Where the text has a bracket outside strings. */
function brackets(text: string): number[] {
  const at: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if ('{}[]'.includes(c)) {
      at.push(i);
    }
  }
  return at;
}

/** Whether JSON.parse refuses the text. */
function refused(text: string): boolean {
  try {
    JSON.parse(text);
    return false;
  } catch (error) {
    return error instanceof SyntaxError;
  }
}

const OTHER_KIND: Record<string, string> = { '{': '[', '[': '{', '}': ']', ']': '}' };

/** The text cut short, with a bracket removed, added or of the other kind, or with garbage after it: JSON.parse refuses each. */
function broken(r: Random, text: string): { how: string; text: string }[] {
  const at = r.pick(brackets(text));
  return [
    { how: 'truncated', text: text.slice(0, r.int(text.length)) },
    { how: 'a bracket removed', text: text.slice(0, at) + text.slice(at + 1) },
    { how: 'a bracket added', text: text.slice(0, at) + r.pick([...'{}[]']) + text.slice(at) },
    { how: 'a bracket of the other kind', text: text.slice(0, at) + OTHER_KIND[text[at]!] + text.slice(at + 1) },
    { how: 'trailing garbage', text: text + r.pick(['x', '}', ']', ',', '{}', ' 1', '"', '\u0000']) },
  ].filter((b) => refused(b.text));
}

/** Patterns that read fields everywhere but never stop early: nothing is a top-level exact string. */
const UNGATED = [
  { zz: [{ exists: false }] },
  { source: [{ prefix: '' }], detail: { state: [{ exists: false }] } },
  { $or: [{ source: ['aws.ec2'] }, { a: [{ 'anything-but': 'x' }] }] },
];

describe('invalid JSON text', () => {
  it.each(SEEDS)('throws SyntaxError when cut short, a bracket is missing, extra or of the other kind, or garbage follows, unless a gate stops the read (seed %i)', (seed) => {
    const r = randomFrom(seed + 4000);
    const patterns = UNGATED.map((p) => compilePattern(p));
    const rules = new RuleSet<number>();
    UNGATED.forEach((p, i) => rules.add(i, p));
    const wrong: unknown[] = [];
    let cases = 0;
    for (let k = 0; k < 25; k++) {
      const e = event(r, { inexact: false, repeats: r.chance(0.3) });
      for (const { how, text } of broken(r, textOf(r, e, r.pick(STYLES)))) {
        cases++;
        const results = [...patterns.map((p) => outcome(() => p.matches(text))), outcome(() => rules.matches(text)), outcome(() => patterns[0]!.explain(text))];
        if (!results.every((x) => String(x).startsWith('throws SyntaxError'))) wrong.push({ how, text, results });
      }
    }

    expect(wrong.slice(0, 3)).toEqual([]);
    expect(cases).toBeGreaterThan(90);
  });

  it.each(SEEDS)('never matches such text, whatever the patterns: it throws SyntaxError or, stopped early by a gate, matches nothing (seed %i)', (seed) => {
    const r = randomFrom(seed + 5000);
    const events = Array.from({ length: 12 }, () => event(r, { inexact: false, repeats: true }));
    const patterns = compiledPatterns(r, 20, events.map((e) => objectOf(e, (n) => n)), false);
    const rules = new RuleSet<number>();
    patterns.forEach((p, i) => rules.add(i, p.text));
    const wrong: unknown[] = [];
    for (const e of events) {
      for (const { how, text } of broken(r, textOf(r, e, r.pick(STYLES)))) {
        const results = [...patterns.map((p) => outcome(() => p.compiled.matches(text))), outcome(() => rules.matches(text))];
        if (results.some((x) => x === true || (Array.isArray(x) && x.length > 0))) wrong.push({ how, text, results });
        if (results.some((x) => typeof x === 'string' && !x.startsWith('throws SyntaxError'))) wrong.push({ how, text, results });
      }
    }

    expect(wrong.slice(0, 3)).toEqual([]);
  });

  // Both read `source` and `n`, and neither stops early.
  const reading = compilePattern({ $or: [{ source: [{ exists: true }] }, { n: [{ exists: true }] }] });
  const readingRules = new RuleSet<string>();
  readingRules.add('reading', { source: [{ prefix: '' }], n: [{ exists: false }] });

  it.each([
    ['a number with a leading zero', '{"n": 01}'],
    ['a number ending in a point', '{"n": 1.}'],
    ['a number starting with a point', '{"n": .5}'],
    ['a plus sign', '{"n": +1}'],
    ['a lone minus', '{"n": -}'],
    ['an exponent without digits', '{"n": 1e}'],
    ['hexadecimal', '{"n": 0x10}'],
    ['NaN', '{"n": NaN}'],
    ['Infinity', '{"n": Infinity}'],
    ['an unknown escape', '{"source": "a\\x"}'],
    ['a short \\u escape', '{"source": "\\u12"}'],
    ['a misspelled literal', '{"n": tru}'],
    ['a capitalised literal', '{"n": True}'],
    ['a missing colon', '{"source" "aws.ec2"}'],
    ['a missing comma', '{"source": "aws.ec2" "n": 1}'],
    ['a trailing comma in an object', '{"source": "aws.ec2",}'],
    ['a trailing comma in an array it reads', '{"n": [1,]}'],
    ['a leading comma in an array it reads', '{"n": [,1]}'],
    ['single quotes', "{'source': 'aws.ec2'}"],
    ['a comment after the object', '{"source": "aws.ec2"} // ok'],
    ['a byte order mark', '\ufeff{"source": "aws.ec2"}'],
    ['two objects', '{"source": "aws.ec2"}{}'],
    ['an empty text', ''],
    ['an unclosed string', '{"source": "aws.ec2}'],
  ])('throws SyntaxError for invalid JSON where it reads: %s', (_how, text) => {
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
    expect(() => reading.matches(text)).toThrow(SyntaxError);
    expect(() => readingRules.matches(text)).toThrow(SyntaxError);
  });

  it.each([
    ['an unquoted key and garbage', '{"source": "aws.ec2", "x": {nonsense: here, 01, tru}}'],
    ['a raw control character', '{"source": "aws.ec2", "x": "a\tb"}'],
    ['an empty array element', '{"source": "aws.ec2", "x": [1,,2]}'],
    ['a number with a leading zero', '{"source": "aws.ec2", "x": 01}'],
  ])('checks only bracket balance where it skips (README): %s', (_how, text) => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(pattern.matches(text)).toBe(true);
    expect(() => pattern.explain(text)).toThrow(SyntaxError);
  });

  // Checking each string it reads costs ~5% of the 1-rule speed, and events from AWS are valid JSON.
  it('takes a raw control character in a string it reads as it is (README)', () => {
    const pattern = compilePattern({ source: ['aws\tec2'] });

    expect(pattern.matches('{"source": "aws\tec2"}')).toBe(true);
    expect(() => pattern.explain('{"source": "aws\tec2"}')).toThrow(SyntaxError);
  });

  it('reads nothing after a gate closes: invalid text there matches nothing, and throws only if the field may come again', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(pattern.matches('{"source": "aws.s3", "x": [}')).toBe(false);
    expect(() => pattern.matches('{"source": "aws.s3", "x": [}, "source": "aws.ec2"}')).toThrow(SyntaxError);
  });
});

describe('events as deep as MAX_EVENT_DEPTH', () => {
  // `{"a": {"a": … {"v": ["x"]}}}`: the array is level MAX_EVENT_DEPTH; the pattern names it with one dotted key.
  const deepField = `${'{"a":'.repeat(MAX_EVENT_DEPTH - 2)}{"v":["x"]}${'}'.repeat(MAX_EVENT_DEPTH - 2)}`;
  const deepPattern = { [`${'a.'.repeat(MAX_EVENT_DEPTH - 2)}v`]: ['x'] };
  // A skipped subtree of arrays down to level MAX_EVENT_DEPTH.
  const deepSkipped = `{"source": "aws.ec2", "deep": ${'['.repeat(MAX_EVENT_DEPTH - 1)}${']'.repeat(MAX_EVENT_DEPTH - 1)}}`;

  it('reads a field MAX_EVENT_DEPTH levels deep as the object path does', () => {
    const pattern = compilePattern(deepPattern);

    expect([pattern.matches(deepField), pattern.matches(JSON.parse(deepField)), pattern.explain(deepField).matched]).toEqual([true, true, true]);
  });

  it('skips a subtree MAX_EVENT_DEPTH levels deep as the object path ignores it', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect([pattern.matches(deepSkipped), pattern.matches(JSON.parse(deepSkipped)), pattern.explain(deepSkipped).matched]).toEqual([true, true, true]);
  });
});

describe('inputs once misread', () => {
  it('reads a key starting with a dot (".a") as the empty name, then a, as the object path does', () => {
    const pattern = compilePattern({ '.a': [5], b: { '': { c: ['x'] } } });
    const text = '{".a": 5, "b": {".c": "x"}}';

    expect([pattern.matches(text), pattern.matches(JSON.parse(text))]).toEqual([true, true]);
  });

  it('reads a gated field given again whose name has a lone surrogate, which JSON text may hold unescaped', () => {
    const pattern = compilePattern({ '\ud800': ['yes'] });
    const text = '{"\ud800": "no", "x": 1, "\ud800": "yes"}';

    expect([pattern.matches(text), pattern.matches({ '\ud800': ['no', 'yes'], x: 1 })]).toEqual([true, true]);
  });

  it('throws SyntaxError for a key it reads holding a raw control character (a name JSON must escape)', () => {
    expect(() => compilePattern({ 'a\tb': [1] }).matches('{"a\tb": 1}')).toThrow(SyntaxError);
  });

  it('throws SyntaxError for a bracket closed by the other kind in a part it skips, as JSON.parse does', () => {
    const pattern = compilePattern({ source: ['aws.ec2'] });

    expect(() => pattern.matches('{"x": [1}, "source": "aws.ec2"}')).toThrow(SyntaxError);
    expect(() => pattern.matches('{"x": {"a": [1}], "source": "aws.ec2"}')).toThrow(SyntaxError);
  });

  it('pairs a dotted key with the objects of nested arrays under the same name, as event-ruler does', () => {
    const text = '{"k": [[{"x": 1}]], "k.a": false}';
    const both = compilePattern({ k: { x: [1], a: [false] } });
    const absent = compilePattern({ k: { x: [{ exists: false }], a: [false] } });

    expect([both.matches(text), both.matches(JSON.parse(text)), absent.matches(text), absent.matches(JSON.parse(text))]).toEqual([true, true, false, false]);
  });

  it('answers for a rule of a RuleSet as for the rule alone, whatever the other rules read', () => {
    const rules = new RuleSet<string>();
    rules.add('x absent', { k: { x: [{ exists: false }] } });
    rules.add('a', { k: { a: [false] } });

    expect(rules.matches('{"k": [[{"x": 1}]], "k.a": false}')).toEqual(['a']);
  });
});

describe('a field given an object and an array of objects (a key given again, or a dotted key)', () => {
  // The object is in no element of the array, so event-ruler pairs it with each (checked on event-ruler 2.0.1-13).
  const pattern = compilePattern({ k: { x: [1], y: [2] } });

  it.each([
    ['{"k": {"x": 1}, "k": [{"y": 2}, {"z": 3}]}'],
    ['{"k": [{"y": 2}, {"z": 3}], "k": {"x": 1}}'],
    ['{"k": [{"y": 2}, {"z": 3}], "k.x": 1}'],
    ['{"k": {"x": 1}, "k": 5, "k": [{"y": 2}]}'],
    ['{"k": 5, "k": {"x": 1}, "k": [{"y": 2}]}'],
    ['{"k": [{"y": 2}], "k": 5, "k": {"x": 1}}'],
    ['{"k": 5, "k.x": 1, "k": [[{"y": 2}]]}'],
  ])('matches fields of the object with fields of an element, in any order: %s', (text) => {
    expect(pattern.matches(text)).toBe(true);
    expect(pattern.explain(text).matched).toBe(true);
  });

  it('still keeps the elements of the array apart', () => {
    const apart = compilePattern({ k: { y: [2], z: [3] } });

    expect(apart.matches('{"k": {"x": 1}, "k": [{"y": 2}, {"z": 3}]}')).toBe(false);
    expect(apart.matches('{"k": 5, "k.x": 1, "k": [[{"y": 2}, {"z": 3}]]}')).toBe(false);
  });
});
