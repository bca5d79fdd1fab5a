// The loop analysis: can a reflex's actions trigger itself, or a chain of reflexes back to itself? From each
// reflex's permissions (the write calls it may make) it derives the events those calls cause (the table in
// @reflex/events, action-events.ts), matches them against every reflex's rules with the pattern engine, and
// looks for cycles. An edge is cut when the events cannot reach the reflex through it: the rule's pattern
// excludes the caller, the kit's loop guard skips CloudTrail events of Reflex roles, or the reflex's manifest
// declares that its code leaves them alone (`loopGuard.ignores`, with a reason). A cycle passes only when
// every edge of it is cut: one guard that fails (a renamed role, a widened pattern) must not let a loop run.
import { compilePattern } from '@reflex/event-patterns';
import { type ActionScope, type CausedEvent, eventsOfAction, REFLEX_ACTION } from '@reflex/events';
import type { EventPattern } from './event-pattern';
import { type LoopGuard, type Permission, type Trigger, triggerPattern } from './manifest';
import { awsName, ownRolePrefix } from './naming';

/** What the analysis needs of a reflex, with the triggers and permissions of its environment's config. */
export interface LoopReflex {
  readonly name: string;
  readonly triggers: readonly Trigger[];
  readonly permissions: readonly Permission[];
  readonly sendsTo: readonly string[];
  readonly loopGuard: LoopGuard;
  /**
   * Who makes its calls: its own role (`reflex-<env>-<name>`), or a worker's credentials outside Lambda, which
   * neither a pattern nor the loop guard can tell from anyone's. @default 'role'
   */
  readonly caller?: 'role' | 'worker';
}

/** Why an edge carries no events: which guard cuts it. */
export interface LoopCutBy {
  readonly guard: 'pattern' | 'loop guard' | 'declared';
  readonly reason: string;
}

/** The events of one action of `from` match trigger `trigger` of `to`. */
export interface LoopEdge {
  readonly from: string;
  /** The IAM action, or `events:PutEvents` for its Reflex Action events and `sqs:SendMessage` for `sendsTo`. */
  readonly action: string;
  /** The events, briefly: `state stopping, state stopped`. */
  readonly events: readonly string[];
  readonly to: string;
  readonly trigger: number;
  /** The guards that cut it; none: the events reach `to`. */
  readonly cutBy: readonly LoopCutBy[];
}

/** A cycle of reflexes, with every edge between consecutive ones. */
export interface Loop {
  /** The reflexes in order; the last one's edges lead back to the first. */
  readonly reflexes: readonly string[];
  readonly edges: readonly LoopEdge[];
  /** The edges no guard cuts: the loop fails synth unless this is empty. */
  readonly uncut: readonly LoopEdge[];
}

/** An action of a reflex whose events no rule matches: it can start no chain. */
export interface QuietAction {
  readonly from: string;
  readonly action: string;
  readonly events: readonly string[];
}

export interface LoopAnalysis {
  /** Every edge whose events a rule matches, cut or not. */
  readonly edges: readonly LoopEdge[];
  /** The actions (with events) that reach no rule: the tagger's tag writes, say. */
  readonly quiet: readonly QuietAction[];
  /** Every elementary cycle of those edges (at most {@link MAX_LOOPS} are listed). */
  readonly loops: readonly Loop[];
  /**
   * Every edge no guard cuts that lies on some cycle (its target reaches its source): what fails synth,
   * found by reachability, so that a graph with more cycles than are listed still fails.
   */
  readonly uncutOnLoops: readonly LoopEdge[];
}

/** How many cycles the analysis lists at most: a graph of a few dozen reflexes has far fewer. */
const MAX_LOOPS = 200;

/** An event the analysis matches patterns against: the fields it knows, and the paths whose value is known. */
interface ModelEvent {
  readonly event: Record<string, unknown>;
  readonly known: readonly string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The pattern with every condition on an unknown field taken out (a condition on a field that may hold
 * anything may hold): broader than the pattern, so a match means "may match". Undefined: matches anything.
 */
function knownPart(pattern: Record<string, unknown>, path: string, known: readonly string[]): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      const branches = value.map((b) => (isObject(b) ? knownPart(b, path, known) : b));
      // One alternative that holds whatever the unknown fields are makes the whole $or hold.
      if (branches.every((b) => b !== undefined)) out.$or = branches;
      continue;
    }
    const at = path ? `${path}.${key}` : key;
    if (known.some((k) => at === k || at.startsWith(`${k}.`))) out[key] = value;
    else if (isObject(value) && known.some((k) => k.startsWith(`${at}.`))) {
      const inner = knownPart(value, at, known);
      if (inner !== undefined) out[key] = inner;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Compiled known parts, by their JSON: an analysis matches the same few patterns against many events. */
const compiled = new Map<string, ReturnType<typeof compilePattern>>();

/** Whether an event of the model may match the pattern, whatever its unknown fields hold. */
function mayMatch(pattern: EventPattern, model: ModelEvent): boolean {
  const part = knownPart(pattern as Record<string, unknown>, '', model.known);
  if (part === undefined) return true;
  const key = JSON.stringify(part);
  let rule = compiled.get(key);
  if (!rule) {
    if (compiled.size > 10_000) compiled.clear();
    rule = compilePattern(part);
    compiled.set(key, rule);
  }
  return rule.matches(model.event);
}

/** CloudTrail's `userIdentity` of a call by a Lambda function's role (its session is named after the function). */
function roleIdentity(role: string): Record<string, unknown> {
  const account = '000000000000';
  return {
    type: 'AssumedRole',
    principalId: `AROAREFLEXLOOPANALYSIS:${role}`,
    arn: `arn:aws:sts::${account}:assumed-role/${role}/${role}`,
    accountId: account,
    sessionContext: { sessionIssuer: { type: 'Role', principalId: 'AROAREFLEXLOOPANALYSIS', arn: `arn:aws:iam::${account}:role/${role}`, accountId: account, userName: role } },
  };
}

function modelOf(caused: CausedEvent, identity?: Record<string, unknown>): ModelEvent {
  const detail = identity ? { ...caused.detail, userIdentity: identity } : { ...caused.detail };
  return {
    event: { source: caused.source, 'detail-type': caused.detailType, detail },
    known: ['source', 'detail-type', ...caused.known, ...(identity ? ['detail.userIdentity'] : [])],
  };
}

/** The tag keys and resource types a statement allows, where it says. */
function scopeOf(permission: Permission): ActionScope {
  const tagKeys = permission.conditions?.find((c) => c.variable === 'aws:TagKeys')?.values;
  const types = permission.resources.map((r) => /^arn:[^:]*:[^:]*:[^:]*:[^:]*:([A-Za-z0-9-]+)\//.exec(r)?.[1]);
  return { ...(tagKeys ? { tagKeys } : {}), ...(types.every((t) => t !== undefined) ? { resourceTypes: [...new Set(types)] } : {}) };
}

/** The events each action of a reflex causes: its allowed calls, and the Reflex Action events the kit emits. */
function actionsOf(reflex: LoopReflex, env: string): { action: string; events: CausedEvent[] }[] {
  const calls = reflex.permissions.flatMap((p) => p.actions.map((action) => ({ action, events: eventsOfAction(action, scopeOf(p)) })));
  const reported: CausedEvent = {
    source: REFLEX_ACTION.source,
    detailType: REFLEX_ACTION.detailType,
    detail: { reflex: reflex.name, env },
    known: ['detail.reflex', 'detail.env'],
    namesCaller: false,
    summary: 'Reflex Action',
  };
  return [...calls, { action: 'events:PutEvents', events: [reported] }].filter((a) => a.events.length > 0);
}

/**
 * Every edge from `from`'s actions (with the events each causes) into `to`'s rules, with the guards that cut it.
 */
function edgesBetween(from: LoopReflex, actions: readonly { action: string; events: CausedEvent[] }[], to: LoopReflex, env: string): LoopEdge[] {
  const edges: LoopEdge[] = [];
  const role = awsName(env, from.name);
  const byRole = (from.caller ?? 'role') === 'role';
  for (const { action, events } of actions) {
    to.triggers.forEach((trigger, index) => {
      const pattern = triggerPattern(trigger, { env, reflex: to.name });
      if (!pattern) return;
      const matching = events.filter((e) => mayMatch(pattern, modelOf(e)));
      if (matching.length === 0) return;
      const cutBy: LoopCutBy[] = [];
      const named = matching.every((e) => e.namesCaller) && byRole;
      if (named && !matching.some((e) => mayMatch(pattern, modelOf(e, roleIdentity(role))))) {
        cutBy.push({ guard: 'pattern', reason: `the rule's pattern excludes calls by ${role}` });
      }
      if (named && to.loopGuard.skipOwnCalls) {
        cutBy.push({ guard: 'loop guard', reason: `${to.name} skips CloudTrail events caused by a Reflex role (${ownRolePrefix(env)}*)` });
      }
      const declared = to.loopGuard.ignores.find((i) => i.reflex === from.name && (i.actions === undefined || i.actions.includes(action)));
      if (declared) cutBy.push({ guard: 'declared', reason: declared.reason });
      edges.push({ from: from.name, action, events: matching.map((e) => e.summary), to: to.name, trigger: index, cutBy });
    });
  }
  if (from.sendsTo.includes(to.name)) {
    const index = to.triggers.findIndex((t) => t.kind === 'queue');
    edges.push({ from: from.name, action: 'sqs:SendMessage', events: ['a message on its queue'], to: to.name, trigger: Math.max(index, 0), cutBy: [] });
  }
  return edges;
}

/** The elementary cycles of a directed graph, each from its first node in `nodes` order. */
function cyclesOf(nodes: readonly string[], next: (node: string) => readonly string[]): string[][] {
  const cycles: string[][] = [];
  const order = new Map(nodes.map((n, i) => [n, i]));
  const walk = (start: string, path: string[]) => {
    for (const n of next(path.at(-1)!)) {
      if (cycles.length >= MAX_LOOPS) return;
      if (n === start) cycles.push([...path]);
      else if (order.get(n)! > order.get(start)! && !path.includes(n)) walk(start, [...path, n]);
    }
  };
  for (const start of nodes) walk(start, [start]);
  return cycles;
}

/**
 * The edges between reflexes (every match of an action's events by a rule, with its cuts) and the loops they
 * make, for one environment (role names and alarm names depend on it).
 *
 * @example
 * const { loops } = analyzeLoops(reflexes, 'dev');
 * for (const loop of loops) if (loop.uncut.length > 0) throw new Error(describeLoop(loop));
 */
export function analyzeLoops(reflexes: readonly LoopReflex[], env: string): LoopAnalysis {
  const actions = new Map(reflexes.map((r) => [r.name, actionsOf(r, env)]));
  const edges = reflexes.flatMap((from) => reflexes.flatMap((to) => edgesBetween(from, actions.get(from.name)!, to, env)));
  const quiet = reflexes.flatMap((from) =>
    actions
      .get(from.name)!
      .filter(({ action }) => !edges.some((e) => e.from === from.name && e.action === action))
      .map(({ action, events }) => ({ from: from.name, action, events: events.map((e) => e.summary) })),
  );
  const names = reflexes.map((r) => r.name);
  const next = (node: string) => [...new Set(edges.filter((e) => e.from === node).map((e) => e.to))];
  const loops = cyclesOf(names, next).map((cycle) => {
    const hops = cycle.flatMap((from, i) => edges.filter((e) => e.from === from && e.to === cycle[(i + 1) % cycle.length]));
    return { reflexes: cycle, edges: hops, uncut: hops.filter((e) => e.cutBy.length === 0) };
  });
  const reaches = (from: string, to: string) => {
    const seen = new Set([from]);
    for (const queue = [from]; queue.length > 0; ) {
      for (const n of next(queue.pop()!)) {
        if (n === to) return true;
        if (!seen.has(n)) queue.push(n), seen.add(n);
      }
    }
    return false;
  };
  const uncutOnLoops = edges.filter((e) => e.cutBy.length === 0 && (e.from === e.to || reaches(e.to, e.from)));
  return { edges, quiet, loops, uncutOnLoops };
}

/** One edge, for people: `a ec2:CreateTags → tag change owner on instance → b (trigger 0)`. */
export function describeEdge(edge: LoopEdge): string {
  return `${edge.from} ${edge.action} → ${edge.events.join(', ')} → ${edge.to} (trigger ${edge.trigger})`;
}

/** A loop that fails, for the synth error: the chain, then each uncut edge. */
export function describeLoop(loop: Loop): string {
  return [
    `${[...loop.reflexes, loop.reflexes[0]].join(' → ')}:`,
    ...loop.uncut.map((e) => `  ${describeEdge(e)}: nothing cuts it`),
  ].join('\n');
}

/** What to do about a loop, once per message. */
export const LOOP_ADVICE =
  "Cut every edge of it: exclude the events in the rule's pattern (a caller, a tag key), keep the lambda kit's loop guard on for CloudTrail events, or declare in the manifest of the reflex they trigger `loopGuard.ignores: [{ reflex, actions, reason }]` when its code leaves them alone.";
