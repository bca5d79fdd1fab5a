import { compileRoot, type Leaf, type PatternNode, type Scalar } from './compile';
import { type MatchFailure, explainNode, matchNode } from './match';
import { toEvent } from './event';
import { ExactNumber, parseJson } from './json';

/**
 * A compiled EventBridge pattern.
 *
 * @example
 * compilePattern({ source: ['aws.ec2'], detail: { state: ['stopped'] } }).matches(event); // true
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
 */
export class CompiledPattern {
  /** @internal */
  readonly root: PatternNode;

  constructor(pattern: string | object) {
    this.root = compileRoot(pattern);
  }

  /** Whether the event (an object, or JSON text) matches. */
  matches(event: string | object): boolean {
    return matchNode(this.root, toEvent(event));
  }

  /** Whether the event matches and, if not, which fields failed and why. */
  explain(event: string | object): { matched: boolean; failures: MatchFailure[] } {
    const failures = explainNode(this.root, toEvent(event), '');
    return { matched: failures.length === 0, failures };
  }
}

/**
 * Compiles a pattern once; invalid patterns throw {@link InvalidPatternError} naming the path and the reason.
 *
 * @example
 * const rule = compilePattern('{"source":["aws.ec2"]}');
 * rule.matches('{"source":"aws.ec2"}'); // true
 */
export function compilePattern(pattern: string | object): CompiledPattern {
  return new CompiledPattern(pattern);
}

/** JSON text with object keys sorted: equal for patterns that differ only in key order. */
function canonicalText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof ExactNumber)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** The array itself when it holds `n`, else a copy twice as large. */
function enlarge(a: Uint32Array<ArrayBuffer>, n: number): Uint32Array<ArrayBuffer> {
  if (a.length >= n) return a;
  const next = new Uint32Array(Math.max(n, a.length * 2));
  next.set(a);
  return next;
}

/** One distinct pattern and every rule id that uses it. */
interface Rule<T> {
  readonly ids: T[];
  readonly node: PatternNode;
  /** How many indexed predicates must hold (the fields outside `$or` that are not `exists: false`). */
  readonly required: number;
  /** How many of them are exact-string predicates (decided by one map lookup). */
  readonly exactCount: number;
  /** Fields the index cannot decide alone (`$or`, `exists: false`): confirm with the full matcher. */
  readonly confirm: boolean;
  /** The paths of its predicates (an event array under one of them may need array-consistent confirmation). */
  readonly paths: number[];
}

/** Non-exact match values shared by rules on one path: evaluated once per event for all of them. */
interface LeafGroup {
  readonly leaf: Leaf;
  readonly predicates: number[];
}

/** Every predicate on one field path. */
interface PathIndex {
  readonly segments: readonly string[];
  /** exact string → predicates that accept it */
  readonly exact: Map<string, number[]>;
  /** distinct non-exact conditions, by their text (for sharing) and in a list (for iteration) */
  readonly groupsByText: Map<string, LeafGroup>;
  readonly groups: LeafGroup[];
}

/** The (path, leaf) pairs of a pattern outside `$or`, and whether it has parts the index cannot decide. */
function predicatesOf(node: PatternNode, prefix: string[], out: { path: string[]; leaf: Leaf }[]): boolean {
  let undecided = node.ors.length > 0;
  for (const field of node.fields) {
    const path = [...prefix, field.key];
    if (field.child) undecided = predicatesOf(field.child, path, out) || undecided;
    else if (field.leaf!.existsFalse) undecided = true;
    else out.push({ path, leaf: field.leaf! });
  }
  return undecided;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

/** Collects the leaf values at `segments` (arrays of objects and of values are walked); true if an array was met. */
function valuesAt(value: unknown, segments: readonly string[], i: number, out: Scalar[]): boolean {
  if (Array.isArray(value)) {
    for (const e of value) valuesAt(e, segments, i, out);
    return true;
  }
  if (i === segments.length) {
    if (value !== undefined && !isObject(value)) out.push(value as Scalar);
    return false;
  }
  if (!isObject(value)) return false;
  const key = segments[i]!;
  return Object.hasOwn(value, key) ? valuesAt(value[key], segments, i + 1, out) : false;
}

/**
 * Many patterns matched against one event without re-walking the event per rule. Patterns are compiled
 * once and identical ones share one entry; their conditions are indexed by field path, so each path of
 * the event is read once, each exact value costs one map lookup for all rules, and each distinct
 * non-exact condition is evaluated once for every rule that has it. A rule matches when all its
 * conditions hold; `$or`, `exists: false` and array-consistency are confirmed with the full matcher.
 *
 * @example
 * const rules = new RuleSet<string>();
 * rules.add('instance-guard', manifest.triggers[0].pattern);
 * rules.matches(eventJson); // ["instance-guard"]
 */
export class RuleSet<T> {
  private readonly rules: Rule<T>[] = [];
  private readonly distinct = new Map<string, Rule<T>>();
  private readonly paths: PathIndex[] = [];
  private readonly pathByKey = new Map<string, number>();
  /** predicate → its rule */
  private readonly predicateRule: number[] = [];
  /** Rules without indexed predicates: always confirmed. */
  private readonly unindexed: number[] = [];
  private size = 0;
  // Per-event scratch, stamped with an epoch instead of cleared.
  private epoch = 0;
  private predicateStamp = new Uint32Array(64);
  private ruleStamp = new Uint32Array(64);
  private ruleHits = new Uint32Array(64);
  private pathArrayStamp = new Uint32Array(16);
  private readonly pathValues: Scalar[][] = [];
  /** per rule, as typed arrays for the hot loop: predicates required, of which exact */
  private ruleRequired = new Uint32Array(64);
  private ruleExact = new Uint32Array(64);
  private readonly candidates: number[] = [];

  /** Adds a rule; throws InvalidPatternError for an invalid pattern. */
  add(id: T, pattern: string | object): void {
    const node = compileRoot(pattern);
    const canonical = canonicalText(typeof pattern === 'string' ? parseJson(pattern) : pattern);
    this.size++;
    const known = this.distinct.get(canonical);
    if (known) {
      known.ids.push(id);
      return;
    }
    const predicates: { path: string[]; leaf: Leaf }[] = [];
    const confirm = predicatesOf(node, [], predicates);
    const ruleIndex = this.rules.length;
    const isExact = (leaf: Leaf) => !!leaf.exactStrings && !leaf.existsTrue;
    const exactCount = predicates.filter((p) => isExact(p.leaf)).length;
    const rule: Rule<T> = { ids: [id], node, required: predicates.length, exactCount, confirm, paths: [] };
    this.rules.push(rule);
    this.distinct.set(canonical, rule);
    if (predicates.length === 0) this.unindexed.push(ruleIndex);
    for (const { path, leaf } of predicates) {
      const predicate = this.predicateRule.length;
      this.predicateRule.push(ruleIndex);
      const pathIndex = this.pathIndex(path);
      rule.paths.push(pathIndex);
      const index = this.paths[pathIndex]!;
      if (isExact(leaf)) {
        for (const value of new Set(leaf.exactStrings)) {
          const list = index.exact.get(value);
          if (list) list.push(predicate);
          else index.exact.set(value, [predicate]);
        }
      } else {
        const group = index.groupsByText.get(leaf.text);
        if (group) group.predicates.push(predicate);
        else {
          const created = { leaf, predicates: [predicate] };
          index.groupsByText.set(leaf.text, created);
          index.groups.push(created);
        }
      }
    }
    this.grow();
    this.ruleRequired[ruleIndex] = rule.required;
    this.ruleExact[ruleIndex] = exactCount;
  }

  /** How many rules were added. */
  get count(): number {
    return this.size;
  }

  /** How many distinct patterns they have (each is evaluated once per event). */
  get distinctPatterns(): number {
    return this.rules.length;
  }

  /** The ids of every rule the event (an object, or JSON text) matches. */
  matches(event: string | object): T[] {
    const obj = toEvent(event);
    const epoch = this.nextEpoch();
    const candidates = this.candidates;
    candidates.length = 0;
    // Phase 1: read each path once; exact values cost one lookup for every rule.
    for (let p = 0; p < this.paths.length; p++) {
      const index = this.paths[p]!;
      const values = this.pathValues[p]!;
      values.length = 0;
      if (valuesAt(obj, index.segments, 0, values)) this.pathArrayStamp[p] = epoch;
      if (values.length === 0 || index.exact.size === 0) continue;
      for (const v of values) {
        if (typeof v !== 'string') continue;
        const predicates = index.exact.get(v);
        if (predicates) for (const predicate of predicates) this.hit(predicate, epoch);
      }
    }
    // Phase 2: a non-exact condition is evaluated only if a rule that has it still can match.
    for (let p = 0; p < this.paths.length; p++) {
      const values = this.pathValues[p]!;
      if (values.length === 0) continue;
      const groups = this.paths[p]!.groups;
      for (let g = 0; g < groups.length; g++) {
        const group = groups[g]!;
        if (!this.viable(group, epoch)) continue;
        let ok = group.leaf.existsTrue;
        for (let i = 0; !ok && i < values.length; i++) ok = group.leaf.test(values[i]!);
        if (ok) for (let i = 0; i < group.predicates.length; i++) this.hit(group.predicates[i]!, epoch);
      }
    }
    const out: T[] = [];
    for (const r of candidates) {
      const rule = this.rules[r]!;
      const underArray = rule.required > 1 && rule.paths.some((p) => this.pathArrayStamp[p] === epoch);
      if ((!rule.confirm && !underArray) || matchNode(rule.node, obj)) for (const id of rule.ids) out.push(id);
    }
    for (const r of this.unindexed) {
      const rule = this.rules[r]!;
      if (matchNode(rule.node, obj)) for (const id of rule.ids) out.push(id);
    }
    return out;
  }

  private hit(predicate: number, epoch: number): void {
    if (this.predicateStamp[predicate] === epoch) return;
    this.predicateStamp[predicate] = epoch;
    const r = this.predicateRule[predicate]!;
    if (this.ruleStamp[r] !== epoch) {
      this.ruleStamp[r] = epoch;
      this.ruleHits[r] = 0;
    }
    if (++this.ruleHits[r]! === this.ruleRequired[r]) this.candidates.push(r);
  }

  /** Whether some rule with this condition has all its exact conditions met (so it still can match). */
  private viable(group: LeafGroup, epoch: number): boolean {
    const predicates = group.predicates;
    for (let i = 0; i < predicates.length; i++) {
      const r = this.predicateRule[predicates[i]!]!;
      const need = this.ruleExact[r]!;
      if (need === 0 || (this.ruleStamp[r] === epoch && this.ruleHits[r]! >= need)) return true;
    }
    return false;
  }

  private pathIndex(path: string[]): number {
    const key = path.join('\u0000');
    let index = this.pathByKey.get(key);
    if (index === undefined) {
      index = this.paths.length;
      this.paths.push({ segments: path, exact: new Map(), groupsByText: new Map(), groups: [] });
      this.pathValues.push([]);
      this.pathByKey.set(key, index);
    }
    return index;
  }

  private nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.epoch = 1;
      this.predicateStamp.fill(0);
      this.ruleStamp.fill(0);
      this.pathArrayStamp.fill(0);
    }
    return this.epoch;
  }

  /** Keeps the scratch arrays as large as the rule set. */
  private grow(): void {
    this.predicateStamp = enlarge(this.predicateStamp, this.predicateRule.length);
    this.ruleStamp = enlarge(this.ruleStamp, this.rules.length);
    this.ruleHits = enlarge(this.ruleHits, this.rules.length);
    this.ruleRequired = enlarge(this.ruleRequired, this.rules.length);
    this.ruleExact = enlarge(this.ruleExact, this.rules.length);
    this.pathArrayStamp = enlarge(this.pathArrayStamp, this.paths.length);
  }
}
