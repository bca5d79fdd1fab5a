import type { Leaf, PatternNode, Scalar } from './compile';
import { EventTooDeepError, MAX_EVENT_DEPTH } from './errors';
import { ExactNumber } from './json';

type EventObject = Record<string, unknown>;
const EMPTY: EventObject = Object.freeze({}) as EventObject;

const isObject = (v: unknown): v is EventObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

const fieldOf = (obj: EventObject, key: string): unknown => (Object.hasOwn(obj, key) ? obj[key] : undefined);

/**
 * The leaf values of an event field: a scalar, or the scalars of an array (nested arrays flattened). Arrays
 * nested deeper than the event may be are refused, not walked without limit.
 */
function collectScalars(value: unknown, out: Scalar[], depth = 1): void {
  if (Array.isArray(value)) {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
    for (const e of value) collectScalars(e, out, depth + 1);
  } else if (!isObject(value) && value !== undefined) out.push(value as Scalar);
}

/** The objects of an event field: an object, or the objects of an array. */
function collectObjects(value: unknown, out: EventObject[], depth = 1): void {
  if (Array.isArray(value)) {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
    for (const e of value) collectObjects(e, out, depth + 1);
  } else if (isObject(value)) out.push(value);
}

export function matchLeaf(leaf: Leaf, value: unknown): boolean {
  if (value === undefined) return leaf.existsFalse;
  if (!Array.isArray(value)) {
    // An object-valued field is not a leaf: for `exists` it does not exist (event-ruler flattens to leaves).
    if (isObject(value)) return leaf.existsFalse;
    return leaf.existsTrue || leaf.test(value as Scalar);
  }
  const scalars: Scalar[] = [];
  collectScalars(value, scalars);
  if (scalars.length === 0) return leaf.existsFalse;
  if (leaf.existsTrue) return true;
  for (const s of scalars) if (leaf.test(s)) return true;
  return false;
}

/**
 * Whether an event object matches a pattern level. Fields under one event array must match within the
 * same element (array-consistent matching), which recursion per element gives.
 */
export function matchNode(node: PatternNode, obj: EventObject): boolean {
  for (const field of node.fields) {
    const value = fieldOf(obj, field.key);
    if (field.leaf && !matchLeaf(field.leaf, value)) return false;
    if (field.child && !matchChild(field.child, value)) return false;
  }
  for (const alternatives of node.ors) {
    if (!alternatives.some((alt) => matchNode(alt, obj))) return false;
  }
  return true;
}

function matchChild(child: PatternNode, value: unknown): boolean {
  if (isObject(value)) return matchNode(child, value);
  const objects: EventObject[] = [];
  collectObjects(value, objects);
  if (objects.length === 0) return matchNode(child, EMPTY);
  return objects.some((o) => matchNode(child, o));
}

/** Why a field did not match. */
export interface MatchFailure {
  readonly path: string;
  readonly reason: string;
}

const show = (value: unknown) =>
  value === undefined ? 'missing' : JSON.stringify(value, (_k, v) => (v instanceof ExactNumber ? v.value : v));

/** The fields of `node` that `obj` fails, with reasons (empty when it matches). */
export function explainNode(node: PatternNode, obj: EventObject, path: string): MatchFailure[] {
  const failures: MatchFailure[] = [];
  for (const field of node.fields) {
    const at = path ? `${path}.${field.key}` : field.key;
    const value = fieldOf(obj, field.key);
    if (field.leaf && !matchLeaf(field.leaf, value)) {
      failures.push({ path: at, reason: `expected ${field.leaf.text}, got ${show(value)}` });
    }
    const child = field.child;
    if (child && !matchChild(child, value)) {
      const objects: EventObject[] = [];
      collectObjects(value, objects);
      const candidates = objects.length ? objects : [EMPTY];
      // Report the element that came closest (fewest failures).
      const best = candidates.map((o) => explainNode(child, o, at)).sort((a, b) => a.length - b.length)[0]!;
      failures.push(...best);
    }
  }
  node.ors.forEach((alternatives, i) => {
    if (!alternatives.some((alt) => matchNode(alt, obj))) {
      failures.push({ path: `${path ? `${path}.` : ''}$or[${i}]`, reason: 'none of the alternatives matched' });
    }
  });
  return failures;
}
