import type { PatternNode } from './compile';
import { EventTooDeepError, MAX_EVENT_DEPTH } from './errors';
import { toEvent } from './event';
import { ExactNumber, isExactDouble } from './json';

/**
 * The field names a set of patterns reads, as a tree (dotted pattern keys already split). An event is read
 * through it: the fields it does not name are skipped, as event-ruler skips them while it parses an event.
 */
export interface KeyTrie {
  /** The field's name (in its parent). */
  readonly name: string;
  /** Whether the name can be tested with `view[name] === undefined` (not an Object.prototype property). */
  readonly plain: boolean;
  readonly children: Map<string, KeyTrie>;
  /**
   * The children by the first character of their name (index 0: empty or non-ASCII; the empty name at `.` too),
   * to match keys in place.
   */
  readonly byFirst: (KeyTrie[] | undefined)[];
  /**
   * For a top-level field every pattern requires to equal one of these strings: once the event's value is
   * none of them (and no later key can add one), no pattern can match and the rest of the text is not read.
   */
  gate?: ReadonlySet<string>;
  /**
   * The end of `"name"` as written without escapes (at most 6 characters: V8 finds those without building a
   * search table), which any later key of that name written without a backslash contains.
   */
  readonly probe: string;
  /** Whether the name holds a control character: JSON escapes it, so text that matches it unescaped is invalid. */
  readonly control: boolean;
}

const newTrie = (name: string): KeyTrie => ({
  name,
  plain: !(name in Object.prototype),
  children: new Map(),
  byFirst: [],
  // Not JSON.stringify: it escapes a lone surrogate, which JSON text may hold unescaped.
  probe: `"${name}"`.slice(-6),
  control: /[\u0000-\u001f]/.test(name),
});

function addNode(trie: KeyTrie, node: PatternNode): void {
  for (const field of node.fields) {
    let child = trie.children.get(field.key);
    if (!child) {
      trie.children.set(field.key, (child = newTrie(field.key)));
      const code = field.key.length === 0 ? 0 : field.key.charCodeAt(0);
      (trie.byFirst[code < 128 ? code : 0] ??= []).push(child);
      // `".a"` is the empty name, then `a`; no name holds a dot, so the empty one is the only candidate there.
      if (field.key === '') (trie.byFirst[46] ??= []).push(child);
    }
    if (field.child) addNode(child, field.child);
  }
  for (const alternatives of node.ors) for (const alt of alternatives) addNode(trie, alt);
}

/** The top-level fields every pattern requires to be one of some strings (`"source": ["aws.ec2"]`), and those strings. */
function gatesOf(nodes: readonly PatternNode[]): Map<string, Set<string>> {
  const gates = new Map<string, Set<string>>();
  nodes.forEach((node, i) => {
    const exact = new Map<string, readonly string[]>();
    for (const field of node.fields) if (field.leaf?.exactStrings) exact.set(field.key, field.leaf.exactStrings);
    for (const key of i === 0 ? exact.keys() : [...gates.keys()]) {
      const values = exact.get(key);
      if (!values) gates.delete(key);
      else gates.set(key, new Set([...(gates.get(key) ?? []), ...values]));
    }
  });
  return gates;
}

/** The fields the patterns read. */
export function trieOf(nodes: readonly PatternNode[]): KeyTrie {
  const trie = newTrie('');
  for (const node of nodes) addNode(trie, node);
  for (const [key, values] of gatesOf(nodes)) trie.children.get(key)!.gate = values;
  return trie;
}

type EventObject = Record<string, unknown>;

const isObject = (v: unknown): v is EventObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

function define(target: EventObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** Whether an array holds an object, also in arrays nested in it. */
const holdsObject = (array: readonly unknown[]): boolean => array.some((e) => isObject(e) || (Array.isArray(e) && holdsObject(e)));

/** Each object of an array, also in arrays nested in it, merged with `object`. */
const mergeEach = (array: readonly unknown[], object: EventObject): unknown[] =>
  array.map((e) => (isObject(e) ? merge(e, object) : Array.isArray(e) ? mergeEach(e, object) : e));

/** The values a field was given, for each array {@link merge} made of them. */
const given = new WeakMap<unknown[], readonly unknown[]>();

/**
 * Two values of one field as one: objects merged key by key; anything else side by side in an array (the
 * field has several values), where the objects in no array, merged, go with each object of the arrays: they
 * belong to no array element, so in event-ruler's array-consistent matching they go with any. Made again
 * from all the values given, so that their order does not matter.
 */
function merge(a: unknown, b: unknown): unknown {
  if (isObject(a) && isObject(b)) {
    const out: EventObject = {};
    for (const key of Object.keys(a)) define(out, key, a[key]);
    for (const key of Object.keys(b)) define(out, key, Object.hasOwn(out, key) ? merge(out[key], b[key]) : b[key]);
    return out;
  }
  const values = [...(given.get(a as unknown[]) ?? [a]), ...(given.get(b as unknown[]) ?? [b])];
  const out: unknown[] = [];
  const arrays: unknown[][] = [];
  let loose: EventObject | undefined;
  for (const v of values) {
    if (isObject(v)) loose = loose === undefined ? v : (merge(loose, v) as EventObject);
    else if (Array.isArray(v) && holdsObject(v)) arrays.push(v);
    else out.push(v);
  }
  if (loose !== undefined && arrays.length === 0) out.push(loose);
  for (const array of arrays) out.push(loose === undefined ? array : mergeEach(array, loose));
  given.set(out, values);
  return out;
}

/** Sets a field of a view; a field met twice (a duplicate key, or `"a.b"` beside `"a": {"b"}`) keeps both. */
function put(target: EventObject, key: string, value: unknown): void {
  if (value === undefined) return;
  if (Object.hasOwn(target, key)) target[key] = merge(target[key], value);
  else define(target, key, value);
}

/** `{"a.b.c": v}` read as `a` → `b` → `c`: the trie node for the dotted name, if the patterns read it. */
function dottedNode(trie: KeyTrie, segments: readonly string[]): KeyTrie | undefined {
  let node: KeyTrie | undefined = trie;
  for (let i = 0; node && i < segments.length; i++) node = node.children.get(segments[i]!);
  return node;
}

/** `value` under the nested names `segments[1..]`, for a dotted key. */
function nest(segments: readonly string[], value: unknown): unknown {
  if (value === undefined) return undefined;
  let out = value;
  for (let i = segments.length - 1; i >= 1; i--) {
    const wrapper: EventObject = {};
    define(wrapper, segments[i]!, out);
    out = wrapper;
  }
  return out;
}

function hasDottedKeys(value: unknown, trie: KeyTrie, depth: number): boolean {
  if (Array.isArray(value)) {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
    for (const e of value) if (hasDottedKeys(e, trie, depth + 1)) return true;
    return false;
  }
  if (!isObject(value) || trie.children.size === 0) return false;
  for (const key of Object.keys(value)) {
    if (key.includes('.')) return true;
    const child = trie.children.get(key);
    if (child && hasDottedKeys(value[key], child, depth + 1)) return true;
  }
  return false;
}

function viewValue(value: unknown, trie: KeyTrie, depth: number): unknown {
  if (Array.isArray(value)) {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
    const out: unknown[] = [];
    for (const e of value) {
      const v = viewValue(e, trie, depth + 1);
      if (v !== undefined) out.push(v);
    }
    return out;
  }
  return isObject(value) && trie.children.size > 0 ? viewObject(value, trie, depth) : value;
}

function viewObject(obj: EventObject, trie: KeyTrie, depth: number): EventObject {
  if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
  const out: EventObject = {};
  for (const key of Object.keys(obj)) {
    const child = trie.children.get(key);
    if (child) {
      put(out, key, viewValue(obj[key], child, depth + 1));
    } else if (key.includes('.')) {
      const segments = key.split('.');
      const node = dottedNode(trie, segments);
      if (node) put(out, segments[0]!, nest(segments, viewValue(obj[key], node, depth + segments.length)));
    }
  }
  return out;
}

/**
 * An event object as the patterns read it: the event itself unless a field they read sits under a dotted key
 * (`{"a.b": "x"}` is field `a.b`, as in event-ruler, which flattens events to dotted names); then a copy of
 * the fields they read with dotted keys nested.
 */
export function viewOf(event: EventObject, trie: KeyTrie): EventObject {
  return hasDottedKeys(event, trie, 1) ? viewObject(event, trie, 1) : event;
}

// ---- JSON text -------------------------------------------------------------------------------------------
// A scanner that builds the view straight from the text: the fields no pattern reads are skipped without
// building anything — strings jumped over with indexOf, brackets matched, nothing else checked. Anything it
// does not expect (invalid JSON, a non-object) falls back to JSON.parse, which gives the usual error.

/** Thrown inside the scanner to fall back to JSON.parse. */
const FALL_BACK = new Error('fall back to JSON.parse');
/** Set when a gate ({@link KeyTrie.gate}) shows that no pattern can match: the scan stops there. */
let stopped = false;
/** For explain: no gates, and objects where a pattern expects a value are kept to be shown. */
let whole = false;

let src = '';
let pos = 0;
/** Position of the next backslash at or after the last string start (src.length if none). */
let backslash = 0;
/** Whether the last string read had escapes. */
let escaped = false;

function ws(): number {
  let c = src.charCodeAt(pos);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = src.charCodeAt(++pos);
  return c;
}

/** The index of the quote closing a string whose contents start at `start`. */
function stringEnd(start: number): number {
  let quote = src.indexOf('"', start);
  if (quote < 0) throw FALL_BACK;
  if (backslash < start) {
    backslash = src.indexOf('\\', start);
    if (backslash < 0) backslash = src.length;
  }
  escaped = backslash < quote;
  while (backslash < quote) {
    // The character after a backslash is escaped: if it is the quote, the string goes on.
    const after = backslash + 2;
    if (after > quote) {
      quote = src.indexOf('"', after);
      if (quote < 0) throw FALL_BACK;
    }
    backslash = src.indexOf('\\', after);
    if (backslash < 0) backslash = src.length;
  }
  return quote;
}

function stringAt(start: number, end: number): string {
  return escaped ? (JSON.parse(src.slice(start - 1, end + 1)) as string) : src.slice(start, end);
}

const isNumberChar = (c: number) => (c >= 48 && c <= 57) || c === 46 || c === 101 || c === 69 || c === 43 || c === 45;
const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function literal(word: string): void {
  if (!src.startsWith(word, pos)) throw FALL_BACK;
  pos += word.length;
}

/** The brackets open in the value {@link skip} is in, outermost first (grown as needed). */
let open = new Uint8Array(64);

/** Skips one value (any depth, no recursion): each bracket must close with its own kind; strings are jumped over. */
function skip(): void {
  let c = ws();
  if (c === 34) {
    pos = stringEnd(pos + 1) + 1;
    return;
  }
  if (c !== 123 && c !== 91) {
    if (c === 116) literal('true');
    else if (c === 102) literal('false');
    else if (c === 110) literal('null');
    else if (c === 45 || (c >= 48 && c <= 57)) while (isNumberChar(src.charCodeAt(++pos)));
    else throw FALL_BACK;
    return;
  }
  let depth = 0;
  for (;;) {
    c = src.charCodeAt(pos++);
    if (c === 34) pos = stringEnd(pos) + 1;
    else if (c === 123 || c === 91) {
      if (depth === open.length) {
        const grown = new Uint8Array(depth * 2);
        grown.set(open);
        open = grown;
      }
      open[depth++] = c;
    } else if (c === 125 || c === 93) {
      // `}` is `{` + 2, `]` is `[` + 2.
      if (open[--depth] !== c - 2) throw FALL_BACK;
      if (depth === 0) return;
    } else if (c !== c) throw FALL_BACK;
  }
}

/** Reads a value the patterns read; undefined for an object they do not read into. */
function scanValue(trie: KeyTrie, depth: number): unknown {
  const c = ws();
  if (c === 34) {
    const start = pos + 1;
    const end = stringEnd(start);
    pos = end + 1;
    return stringAt(start, end);
  }
  if (c === 123) {
    if (trie.children.size > 0) return scanObject(trie, depth);
    const start = pos;
    skip();
    // An object where a pattern expects a value is not read (it counts as missing), only shown by explain.
    return whole ? JSON.parse(src.slice(start, pos)) : undefined;
  }
  if (c === 91) return scanArray(trie, depth);
  if (c === 45 || (c >= 48 && c <= 57)) {
    const start = pos;
    let digits = 0;
    let exponent = false;
    for (let d = src.charCodeAt(pos); isNumberChar(d); d = src.charCodeAt(++pos)) {
      if (d >= 48 && d <= 57) digits++;
      else if (d === 101 || d === 69) exponent = true;
    }
    const text = src.slice(start, pos);
    if (!NUMBER.test(text)) throw FALL_BACK;
    const n = Number(text);
    return (digits < 16 && !exponent) || isExactDouble(text, n) ? n : new ExactNumber(n, text);
  }
  if (c === 116) {
    literal('true');
    return true;
  }
  if (c === 102) {
    literal('false');
    return false;
  }
  if (c === 110) {
    literal('null');
    return null;
  }
  throw FALL_BACK;
}

function scanArray(trie: KeyTrie, depth: number): unknown[] {
  if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
  pos++;
  const out: unknown[] = [];
  if (ws() === 93) {
    pos++;
    return out;
  }
  for (;;) {
    const v = scanValue(trie, depth + 1);
    if (v !== undefined) out.push(v);
    const c = ws();
    pos++;
    if (c === 93) return out;
    if (c !== 44) throw FALL_BACK;
  }
}

/** Reads `"key": value` pairs of an object the patterns read into; the others are skipped. */
function scanObject(trie: KeyTrie, depth: number): EventObject {
  if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
  pos++;
  const out: EventObject = {};
  let c = ws();
  if (c === 125) {
    pos++;
    return out;
  }
  for (;;) {
    if (c !== 34) throw FALL_BACK;
    const start = pos + 1;
    const end = stringEnd(start);
    pos = end + 1;
    const code = start === end ? 0 : src.charCodeAt(start);
    const candidates = trie.byFirst[code < 128 ? code : 0];
    let child: KeyTrie | undefined;
    let dotted: string | undefined;
    if (escaped) {
      // Decoded first: an escape may spell any character, the first one too.
      const key = stringAt(start, end);
      child = trie.children.get(key);
      if (!child && key.includes('.')) dotted = key;
    } else if (candidates !== undefined) {
      // Compared in place: no string is made for a key the patterns do not read.
      const length = end - start;
      for (let k = 0; k < candidates.length; k++) {
        const candidate = candidates[k]!;
        const n = candidate.name.length;
        if (n === length ? src.startsWith(candidate.name, start) : n < length && src.charCodeAt(start + n) === 46 && src.startsWith(candidate.name, start)) {
          if (candidate.control) throw FALL_BACK;
          if (n === length) child = candidate;
          else dotted = src.slice(start, end);
          break;
        }
      }
    }
    c = src.charCodeAt(pos);
    if (c !== 58 && ws() !== 58) throw FALL_BACK;
    pos++;
    if (child) {
      const value = scanValue(child, depth + 1);
      if (value !== undefined) {
        if (child.plain && out[child.name] === undefined) out[child.name] = value;
        else put(out, child.name, value);
      }
      if (child.gate !== undefined && !whole && closed(child, out[child.name])) {
        stopped = true;
        return out;
      }
    } else if (dotted !== undefined) {
      const segments = dotted.split('.');
      const node = dottedNode(trie, segments);
      if (node) put(out, segments[0]!, nest(segments, scanValue(node, depth + segments.length)));
      else skip();
    } else {
      skip();
    }
    c = src.charCodeAt(pos);
    if (c !== 44 && c !== 125) c = ws();
    pos++;
    if (c === 125) return out;
    if (c !== 44) throw FALL_BACK;
    c = src.charCodeAt(pos);
    if (c !== 34) c = ws();
  }
}

/**
 * Whether a gated field's value is none of the gate's strings, and no key later in the text can add one: the
 * rest holds neither the quoted name nor a backslash (an escape could spell the name otherwise).
 */
function closed(field: KeyTrie, value: unknown): boolean {
  const gate = field.gate!;
  if (typeof value === 'string') {
    if (gate.has(value)) return false;
  } else if (Array.isArray(value)) {
    for (const v of value) if (Array.isArray(v) || (typeof v === 'string' && gate.has(v))) return false;
  }
  if (backslash < pos) {
    backslash = src.indexOf('\\', pos);
    if (backslash < 0) backslash = src.length;
  }
  return backslash === src.length && !src.includes(field.probe, pos);
}

/**
 * An event given as JSON text, as the patterns read it (see {@link viewOf}), without parsing the fields they
 * do not read; undefined when a gate shows early that no pattern can match (never `forExplain`). Invalid JSON
 * throws JSON.parse's SyntaxError (the parts skipped are checked only for balanced brackets); JSON that is
 * not an object, a TypeError.
 *
 * @throws EventTooDeepError when a field it reads nests deeper than {@link MAX_EVENT_DEPTH}.
 */
export function scanEvent(text: string, trie: KeyTrie, forExplain = false): EventObject | undefined {
  src = text;
  pos = 0;
  backslash = -1;
  stopped = false;
  whole = forExplain;
  try {
    if (ws() !== 123) throw FALL_BACK;
    const view = scanObject(trie, 1);
    if (stopped) return undefined;
    ws();
    if (pos !== text.length) throw FALL_BACK;
    return view;
  } catch (error) {
    if (error !== FALL_BACK) throw error;
    return viewOf(toEvent(text), trie);
  } finally {
    src = '';
  }
}
