import { compilePattern, InvalidPatternError, RuleSet } from '@reflex/event-patterns';
import { alarmName, ENV_NAME_PATTERN, type EventPattern, loadManifests, type ReflexManifest, repoRoot, type Trigger, triggerPattern } from '@reflex/manifest';
import { type Command, EXIT, findReflex, out, parseCommandArgs, plural, readEvents, table, UsageError } from './common';

/** Why one field of an event fails a pattern, from the engine's `explain`. */
export interface PatternFailure {
  readonly path: string;
  readonly reason: string;
}

/** Options of {@link matchEvent} and {@link matchEvents}. */
export interface MatchOptions {
  /** The environment whose alarm names (`reflex-<env>-<reflex>-<alarm>`) alarm triggers match. @default 'local' */
  readonly env?: string;
}

/** The environment whose alarm names alarm triggers match when none is given. */
export const DEFAULT_MATCH_ENV = 'local';

/** The pattern a trigger's rule matches (an event trigger's, or its alarm's state changes); none for the others. */
const patternOf = (manifest: ReflexManifest, trigger: Trigger, options: MatchOptions): EventPattern | undefined =>
  triggerPattern(trigger, { env: options.env ?? DEFAULT_MATCH_ENV, reflex: manifest.name });

/** A trigger's description; an alarm trigger without one is named by its alarm. */
function describeTrigger(manifest: ReflexManifest, trigger: Trigger, options: MatchOptions): string | undefined {
  if (trigger.kind === 'alarm') return trigger.description ?? `alarm ${alarmName(options.env ?? DEFAULT_MATCH_ENV, manifest.name, trigger)}`;
  return trigger.kind === 'http' ? undefined : trigger.description;
}

/** One event or alarm trigger of one reflex, checked against an event. */
export interface TriggerResult {
  readonly reflex: string;
  /** The trigger's index in the manifest's `triggers`. */
  readonly trigger: number;
  readonly description?: string;
  readonly matched: boolean;
  readonly failures: readonly PatternFailure[];
}

/** Which reflexes an event reaches, and how close the others come. */
export interface MatchResult {
  /** Every event trigger that matches, in manifest order. */
  readonly matches: readonly TriggerResult[];
  /**
   * For each reflex none of whose event triggers matches: its closest trigger (fewest failures), sorted
   * by failures, then reflex name.
   */
  readonly misses: readonly TriggerResult[];
  /** Names of the reflexes checked (those with event triggers). */
  readonly checked: readonly string[];
}

/**
 * Checks an EventBridge event against every event trigger of `manifests`, as the reflex bus's rules would, and
 * against every alarm trigger, as the default bus's rule for that alarm's state changes would.
 *
 * @throws UsageError when a manifest's pattern is not a valid event pattern.
 */
export function matchEvent(manifests: readonly ReflexManifest[], event: object, options: MatchOptions = {}): MatchResult {
  // Each trigger is explained on its own, not matched through a RuleSet: for one event the index would serve
  // a single lookup, and every reflex that misses needs explain's failures anyway (compiling and explaining
  // a handful of triggers takes about a millisecond). Many events go through matchEvents.
  const matches: TriggerResult[] = [];
  const misses: TriggerResult[] = [];
  const checked: string[] = [];
  for (const manifest of manifests) {
    const results: TriggerResult[] = [];
    manifest.triggers.forEach((trigger, index) => {
      const pattern = patternOf(manifest, trigger, options);
      if (!pattern) return;
      let explained: { matched: boolean; failures: readonly PatternFailure[] };
      try {
        explained = compilePattern(pattern).explain(event);
      } catch (error) {
        if (error instanceof InvalidPatternError) {
          throw new UsageError(`${manifest.name} trigger ${index}: invalid event pattern at ${error.path || '(root)'}: ${error.reason}`);
        }
        throw error;
      }
      const description = describeTrigger(manifest, trigger, options);
      results.push({
        reflex: manifest.name,
        trigger: index,
        ...(description ? { description } : {}),
        matched: explained.matched,
        failures: explained.failures.map(({ path, reason }) => ({ path, reason })),
      });
    });
    if (results.length === 0) continue;
    checked.push(manifest.name);
    const matched = results.filter((r) => r.matched);
    if (matched.length > 0) matches.push(...matched);
    else misses.push(results.reduce((best, r) => (r.failures.length < best.failures.length ? r : best)));
  }
  misses.sort((a, b) => a.failures.length - b.failures.length || a.reflex.localeCompare(b.reflex));
  return { matches, misses, checked };
}

/** How many events of a batch reach one reflex, in all and per event trigger. */
export interface ReflexCount {
  readonly reflex: string;
  /** Events that match at least one of its triggers. */
  readonly events: number;
  /** Events per trigger index (an event may match several). */
  readonly triggers: Readonly<Record<number, number>>;
}

/** What a batch of events reaches, as the reflex bus's rules would route it. */
export interface BatchResult {
  readonly events: number;
  /** Every reflex with event triggers, in manifest order, with its counts (0 included). */
  readonly reflexes: readonly ReflexCount[];
  /** Events no reflex's trigger matches. */
  readonly unmatched: number;
}

/**
 * Checks many EventBridge events against every event and alarm trigger of `manifests` in one pass per event: the
 * triggers go into one RuleSet (each path of an event read once, exact values looked up for all rules).
 *
 * @example
 * matchEvents(manifests, archive).reflexes; // [{ reflex: 'instance-guard', events: 412, triggers: { 0: 400, 1: 12 } }, …]
 * @throws UsageError when a manifest's pattern is not a valid event pattern.
 */
export function matchEvents(manifests: readonly ReflexManifest[], events: Iterable<string | object>, options: MatchOptions = {}): BatchResult {
  const rules = new RuleSet<{ readonly reflex: number; readonly trigger: number }>();
  const counts = manifests.map((m) => ({ reflex: m.name, events: 0, triggers: {} as Record<number, number>, hasEvents: false }));
  manifests.forEach((manifest, reflex) =>
    manifest.triggers.forEach((trigger, index) => {
      const pattern = patternOf(manifest, trigger, options);
      if (!pattern) return;
      try {
        rules.add({ reflex, trigger: index }, pattern);
      } catch (error) {
        if (error instanceof InvalidPatternError) {
          throw new UsageError(`${manifest.name} trigger ${index}: invalid event pattern at ${error.path || '(root)'}: ${error.reason}`);
        }
        throw error;
      }
      counts[reflex]!.hasEvents = true;
      counts[reflex]!.triggers[index] = 0;
    }),
  );
  let total = 0;
  let unmatched = 0;
  for (const event of events) {
    total++;
    const hits = rules.matches(event);
    if (hits.length === 0) unmatched++;
    const reached = new Set<number>();
    for (const { reflex, trigger } of hits) {
      counts[reflex]!.triggers[trigger]!++;
      reached.add(reflex);
    }
    for (const reflex of reached) counts[reflex]!.events++;
  }
  return {
    events: total,
    reflexes: counts.filter((c) => c.hasEvents).map(({ reflex, events: n, triggers }) => ({ reflex, events: n, triggers })),
    unmatched,
  };
}

const HELP = `reflex match <event.json|events.jsonl|-> [--reflex NAME] [--env NAME] [--misses N] [--json]

  Checks an EventBridge event against the event patterns of every reflex's manifest (and, for alarm
  triggers, the state changes of their alarms) and prints which reflexes (and which of their triggers)
  it reaches; for the closest misses, which fields failed and why.
  Given many events (a JSON array, or JSON Lines such as an EventBridge archive's export), it counts how many
  reach each reflex and each trigger, and how many reach none.

  <event.json|events.jsonl|->   the event or events, from a file or from stdin (-)
  --reflex NAME    check this reflex only
  --env NAME       the environment whose alarm names (reflex-<env>-<reflex>-<alarm>) alarm triggers
                   match (default local)
  --misses N       how many closest misses to explain (default 3; --json lists them all)
  --json           print the result as JSON

  Exit codes: 0 at least one reflex matches (an event of many), 1 none matches, 2 usage error, unreadable or
  non-JSON event (the line or index named), unknown reflex.`;

const trigger = (r: TriggerResult) => `trigger ${r.trigger}${r.description ? ` (${r.description})` : ''}`;

export const matchCommand: Command = {
  name: 'match',
  summary: 'which reflexes an EventBridge event reaches, and why the others miss',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      reflex: { type: 'string' },
      env: { type: 'string', default: DEFAULT_MATCH_ENV },
      misses: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'expected an event file (or - for stdin)' : `expected one event file, got ${positionals.length}`, true);
    }
    const missLimit = Number(values.misses);
    if (!Number.isInteger(missLimit) || missLimit < 0) throw new UsageError(`--misses: expected a whole number, got "${values.misses}"`);

    const input = readEvents(positionals[0]!);
    let manifests = await loadManifests(repoRoot());
    if (values.reflex !== undefined) manifests = [findReflex(manifests, values.reflex)];
    if (!ENV_NAME_PATTERN.test(values.env)) throw new UsageError(`--env: "${values.env}" is not an environment name`);
    const options = { env: values.env };
    if (input.batch) return reportBatch(matchEvents(manifests, input.texts ?? input.events, options), values.json);
    const event = input.events[0]!;
    const result = matchEvent(manifests, event, options);

    if (values.json) {
      out(JSON.stringify({ event: eventSummary(event), matched: result.matches.length > 0, ...result }, null, 2));
    } else {
      const e = eventSummary(event);
      out(`event ${e.id ?? '(no id)'}: ${e.source ?? '(no source)'} "${e.detailType ?? '(no detail-type)'}"`);
      const reached = new Set(result.matches.map((m) => m.reflex));
      if (result.matches.length > 0) {
        out(`matches ${plural(reached.size, 'reflex', 'reflexes')} of the ${result.checked.length} with event rules:`);
        for (const m of result.matches) out(`  ${m.reflex}  ${trigger(m)}`);
      } else {
        out(`matches no reflex (${plural(result.checked.length, 'reflex', 'reflexes')} with event rules checked; schedules and queues take no events)`);
      }
      const shown = result.misses.slice(0, missLimit);
      if (shown.length > 0) {
        out(result.matches.length > 0 ? 'closest misses among the others:' : 'closest misses:');
        for (const miss of shown) {
          out(`  ${miss.reflex}  ${trigger(miss)}: ${plural(miss.failures.length, 'failure')}`);
          for (const f of miss.failures) out(`    ${f.path || '(event)'}: ${f.reason}`);
        }
        if (result.misses.length > shown.length) out(`  … and ${result.misses.length - shown.length} more (--misses N)`);
      }
    }
    return result.matches.length > 0 ? EXIT.ok : EXIT.failed;
  },
};

/** Prints a batch's counts (or its JSON); exit 0 when some event reached a reflex. */
function reportBatch(result: BatchResult, json: boolean | undefined): number {
  if (json) {
    out(JSON.stringify(result, null, 2));
  } else {
    const reached = result.reflexes.filter((r) => r.events > 0).length;
    out(`${plural(result.events, 'event')}: ${plural(reached, 'reflex', 'reflexes')} of the ${result.reflexes.length} with event rules reached`);
    table(
      result.reflexes.map((r) => {
        const triggers = Object.entries(r.triggers);
        const per = triggers.length > 1 ? ` (${triggers.map(([index, n]) => `trigger ${index}: ${n}`).join(', ')})` : '';
        return ['', r.reflex, `${plural(r.events, 'event')}${per}`]; // '' indents the rows by the column gap
      }),
    );
    out(`${plural(result.unmatched, 'event')} ${result.unmatched === 1 ? 'reaches' : 'reach'} no reflex`);
  }
  return result.events - result.unmatched > 0 ? EXIT.ok : EXIT.failed;
}

function eventSummary(event: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { id: str(event.id), source: str(event.source), detailType: str(event['detail-type']) };
}
