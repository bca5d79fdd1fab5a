import { compileRoot, type Leaf, type PatternNode, type Scalar } from './compile';
import { type MatchFailure, explainNode, matchNode } from './match';
import { checkEventDepth, toEvent } from './event';
import { type KeyTrie, scanEvent, trieOf, viewOf } from './view';
import { EventTooDeepError, MAX_EVENT_DEPTH } from './errors';
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

  private readonly trie: KeyTrie;

  constructor(pattern: string | object) {
    this.root = compileRoot(pattern);
    this.trie = trieOf([this.root]);
  }

  /**
   * Whether the event (an object, or JSON text) matches.
   *
   * @throws EventTooDeepError when a field it reads nests arrays deeper than {@link MAX_EVENT_DEPTH}.
   */
  matches(event: string | object): boolean {
    const view = typeof event === 'string' ? scanEvent(event, this.trie) : viewOf(toEvent(event), this.trie);
    return view !== undefined && matchNode(this.root, view);
  }

  /**
   * Whether the event matches and, if not, which fields failed and why.
   *
   * @throws EventTooDeepError when the event nests deeper than {@link MAX_EVENT_DEPTH}.
   */
  explain(event: string | object): { matched: boolean; failures: MatchFailure[] } {
    const parsed = toEvent(event);
    checkEventDepth(parsed);
    // Text is read as matches reads it: a key given twice keeps both values (JSON.parse keeps the last).
    const view = typeof event === 'string' ? scanEvent(event, this.trie, true)! : viewOf(parsed, this.trie);
    const failures = explainNode(this.root, view, '');
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

/** A condition of a rule on one field path: exact strings (a set lookup) or a shared non-exact condition. */
interface Condition {
  readonly path: number;
  /** exact strings, or undefined for a shared non-exact condition (`group`) */
  readonly exact: ReadonlySet<string> | undefined;
  readonly group: number;
}

/** One distinct pattern and every rule id that uses it. */
interface Rule<T> {
  readonly ids: T[];
  readonly node: PatternNode;
  /** Its conditions outside `$or` that are not `exists: false`. */
  readonly conditions: readonly Condition[];
  /** Parts the conditions cannot decide (`$or`, `exists: false`): confirm with the full matcher. */
  readonly confirm: boolean;
  /** The exact condition the rule is indexed under (its most selective one), chosen when the set is prepared. */
  anchor?: Condition;
}

/** The (path, leaf) pairs of a pattern outside `$or`, and whether it has parts they cannot decide. */
function predicatesOf(node: PatternNode, prefix: string[], out: { path: string[]; leaf: Leaf }[]): boolean {
  let undecided = node.ors.length > 0;
  for (const field of node.fields) {
    const path = [...prefix, field.key];
    if (field.child) undecided = predicatesOf(field.child, path, out) || undecided;
    if (field.leaf?.existsFalse) undecided = true;
    else if (field.leaf) out.push({ path, leaf: field.leaf });
  }
  return undecided;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof ExactNumber);

/** Collects the leaf values at `segments` (arrays of objects and of values are walked); true if an array was met. */
function valuesAt(value: unknown, segments: readonly string[], i: number, out: Scalar[], depth = 1): boolean {
  if (Array.isArray(value)) {
    if (depth > MAX_EVENT_DEPTH) throw new EventTooDeepError();
    for (const e of value) valuesAt(e, segments, i, out, depth + 1);
    return true;
  }
  if (i === segments.length) {
    if (value !== undefined && !isObject(value)) out.push(value as Scalar);
    return false;
  }
  if (!isObject(value)) return false;
  const key = segments[i]!;
  return Object.hasOwn(value, key) ? valuesAt(value[key], segments, i + 1, out, depth + 1) : false;
}

const isExact = (leaf: Leaf) => !!leaf.exactStrings && !leaf.existsTrue;

/**
 * Many patterns matched against one event without re-walking the event per rule. Patterns are compiled
 * once and identical ones share one entry. Each rule is indexed under its most selective exact condition
 * (e.g. `detail.state = stopped` rather than `source = aws.ec2`), so an event meets only the rules whose
 * anchor value it carries; their other conditions are checked on demand, each field path of the event is
 * read at most once, and each distinct non-exact condition is evaluated at most once per event for all
 * the rules that share it. `$or`, `exists: false` and array-consistency are confirmed with the full matcher.
 *
 * @example
 * const rules = new RuleSet<string>();
 * rules.add('instance-guard', manifest.triggers[0].pattern);
 * rules.matches(eventJson); // ["instance-guard"]
 */
export class RuleSet<T> {
  private readonly rules: Rule<T>[] = [];
  private readonly distinct = new Map<string, Rule<T>>();
  private readonly paths: (readonly string[])[] = [];
  private readonly pathByKey = new Map<string, number>();
  private readonly groups: Leaf[] = [];
  private readonly groupByKey = new Map<string, number>();
  /** path → anchor value → rules; rebuilt when rules were added */
  private anchors = new Map<number, Map<string, number[]>>();
  /** rules without an exact condition: checked for every event */
  private floating: number[] = [];
  private prepared = true;
  private size = 0;
  // Per-event scratch, stamped with an epoch instead of cleared.
  private epoch = 0;
  private pathStamp = new Uint32Array(16);
  private pathHasArray = new Uint8Array(16);
  private readonly pathValues: Scalar[][] = [];
  private groupStamp = new Uint32Array(16);
  private groupResult = new Uint8Array(16);
  private ruleStamp = new Uint32Array(16);
  private obj: Record<string, unknown> = {};
  /** The fields the rules read; rebuilt when rules were added */
  private trie: KeyTrie = trieOf([]);

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
    const conditions: Condition[] = predicates.map(({ path, leaf }) =>
      isExact(leaf)
        ? { path: this.pathIndex(path), exact: new Set(leaf.exactStrings), group: -1 }
        : { path: this.pathIndex(path), exact: undefined, group: this.groupIndex(path, leaf) },
    );
    const rule: Rule<T> = { ids: [id], node, conditions, confirm };
    this.rules.push(rule);
    this.distinct.set(canonical, rule);
    this.prepared = false;
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
    if (!this.prepared) this.prepare();
    const out: T[] = [];
    const view = typeof event === 'string' ? scanEvent(event, this.trie) : viewOf(toEvent(event), this.trie);
    if (view === undefined) return out;
    this.obj = view;
    const epoch = this.nextEpoch();
    for (const [path, byValue] of this.anchors) {
      const values = this.valuesOf(path, epoch);
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (typeof v !== 'string') continue;
        const rules = byValue.get(v);
        if (rules) for (let k = 0; k < rules.length; k++) this.check(rules[k]!, epoch, out);
      }
    }
    for (let k = 0; k < this.floating.length; k++) this.check(this.floating[k]!, epoch, out);
    return out;
  }

  /** Checks one candidate rule (once per event) and collects its ids if it matches. */
  private check(r: number, epoch: number, out: T[]): void {
    if (this.ruleStamp[r] === epoch) return;
    this.ruleStamp[r] = epoch;
    const rule = this.rules[r]!;
    let underArray = false;
    const conditions = rule.conditions;
    for (let c = 0; c < conditions.length; c++) {
      const condition = conditions[c]!;
      if (condition === rule.anchor) continue;
      const values = this.valuesOf(condition.path, epoch);
      if (values.length === 0) return;
      if (this.pathHasArray[condition.path]) underArray = true;
      const exact = condition.exact;
      if (exact) {
        let ok = false;
        for (let i = 0; !ok && i < values.length; i++) {
          const v = values[i];
          ok = typeof v === 'string' && exact.has(v);
        }
        if (!ok) return;
      } else if (!this.groupHolds(condition.group, condition.path, epoch)) {
        return;
      }
    }
    if (rule.anchor && this.pathHasArray[rule.anchor.path]) underArray = true;
    const needsConfirm = rule.confirm || (underArray && rule.conditions.length > 1);
    if (!needsConfirm || matchNode(rule.node, this.obj)) for (const id of rule.ids) out.push(id);
  }

  /** The leaf values at a path of the current event, read once per event. */
  private valuesOf(path: number, epoch: number): Scalar[] {
    const values = this.pathValues[path]!;
    if (this.pathStamp[path] !== epoch) {
      this.pathStamp[path] = epoch;
      values.length = 0;
      this.pathHasArray[path] = valuesAt(this.obj, this.paths[path]!, 0, values) ? 1 : 0;
    }
    return values;
  }

  /** Whether a shared non-exact condition holds for the current event, evaluated once per event. */
  private groupHolds(group: number, path: number, epoch: number): boolean {
    if (this.groupStamp[group] !== epoch) {
      this.groupStamp[group] = epoch;
      const leaf = this.groups[group]!;
      const values = this.valuesOf(path, epoch);
      let ok = leaf.existsTrue && values.length > 0;
      for (let i = 0; !ok && i < values.length; i++) ok = leaf.test(values[i]!);
      this.groupResult[group] = ok ? 1 : 0;
    }
    return this.groupResult[group] === 1;
  }

  /** Chooses each rule's anchor: the exact condition whose values the fewest rules share. */
  private prepare(): void {
    const popularity = new Map<string, number>();
    const key = (path: number, value: string) => `${path}\u0000${value}`;
    for (const rule of this.rules) {
      for (const c of rule.conditions) {
        if (c.exact) for (const v of c.exact) popularity.set(key(c.path, v), (popularity.get(key(c.path, v)) ?? 0) + 1);
      }
    }
    this.trie = trieOf(this.rules.map((rule) => rule.node));
    this.anchors = new Map();
    this.floating = [];
    this.rules.forEach((rule, r) => {
      let best: Condition | undefined;
      let bestScore = Infinity;
      for (const c of rule.conditions) {
        if (!c.exact) continue;
        let score = 0;
        for (const v of c.exact) score += popularity.get(key(c.path, v))!;
        if (score < bestScore) {
          best = c;
          bestScore = score;
        }
      }
      rule.anchor = best;
      if (!best) {
        this.floating.push(r);
        return;
      }
      let byValue = this.anchors.get(best.path);
      if (!byValue) this.anchors.set(best.path, (byValue = new Map()));
      for (const v of best.exact!) {
        const list = byValue.get(v);
        if (list) list.push(r);
        else byValue.set(v, [r]);
      }
    });
    const paths = this.paths.length;
    const groups = this.groups.length;
    const rules = this.rules.length;
    if (this.pathStamp.length < paths) {
      this.pathStamp = new Uint32Array(paths * 2);
      this.pathHasArray = new Uint8Array(paths * 2);
    }
    if (this.groupStamp.length < groups) {
      this.groupStamp = new Uint32Array(groups * 2);
      this.groupResult = new Uint8Array(groups * 2);
    }
    if (this.ruleStamp.length < rules) this.ruleStamp = new Uint32Array(rules * 2);
    this.epoch = 0;
    this.pathStamp.fill(0);
    this.groupStamp.fill(0);
    this.ruleStamp.fill(0);
    this.prepared = true;
  }

  private pathIndex(path: string[]): number {
    const key = path.join('\u0000');
    let index = this.pathByKey.get(key);
    if (index === undefined) {
      index = this.paths.length;
      this.paths.push(path);
      this.pathValues.push([]);
      this.pathByKey.set(key, index);
    }
    return index;
  }

  private groupIndex(path: string[], leaf: Leaf): number {
    const key = `${path.join('\u0000')}\u0001${leaf.text}`;
    let index = this.groupByKey.get(key);
    if (index === undefined) {
      index = this.groups.length;
      this.groups.push(leaf);
      this.groupByKey.set(key, index);
    }
    return index;
  }

  private nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.epoch = 1;
      this.pathStamp.fill(0);
      this.groupStamp.fill(0);
      this.ruleStamp.fill(0);
    }
    return this.epoch;
  }
}
