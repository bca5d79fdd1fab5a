import { compilePattern, InvalidPatternError } from '@reflex/event-patterns';
import { loadManifests, type ReflexManifest, repoRoot } from '@reflex/manifest';
import { type Command, EXIT, findReflex, out, parseCommandArgs, plural, readEvent, UsageError } from './common';

/** Why one field of an event fails a pattern, from the engine's `explain`. */
export interface PatternFailure {
  readonly path: string;
  readonly reason: string;
}

/** One event trigger of one reflex, checked against an event. */
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
 * Checks an EventBridge event against every event trigger of `manifests`, as the reflex bus's rules would.
 *
 * @throws UsageError when a manifest's pattern is not a valid event pattern.
 */
export function matchEvent(manifests: readonly ReflexManifest[], event: object): MatchResult {
  // Each trigger is explained on its own, not matched through a RuleSet: a run checks one event, so the index
  // would serve a single lookup, and every reflex that misses needs explain's failures anyway (compiling and
  // explaining a handful of triggers takes about a millisecond).
  const matches: TriggerResult[] = [];
  const misses: TriggerResult[] = [];
  const checked: string[] = [];
  for (const manifest of manifests) {
    const results: TriggerResult[] = [];
    manifest.triggers.forEach((trigger, index) => {
      if (trigger.kind !== 'event') return;
      let explained: { matched: boolean; failures: readonly PatternFailure[] };
      try {
        explained = compilePattern(trigger.pattern).explain(event);
      } catch (error) {
        if (error instanceof InvalidPatternError) {
          throw new UsageError(`${manifest.name} trigger ${index}: invalid event pattern at ${error.path || '(root)'}: ${error.reason}`);
        }
        throw error;
      }
      results.push({
        reflex: manifest.name,
        trigger: index,
        ...(trigger.description ? { description: trigger.description } : {}),
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

const HELP = `reflex match <event.json|-> [--reflex NAME] [--misses N] [--json]

  Checks an EventBridge event against the event patterns of every reflex's manifest and prints which
  reflexes (and which of their triggers) it reaches; for the closest misses, which fields failed and why.

  <event.json|->   the event, from a file or from stdin (-)
  --reflex NAME    check this reflex only
  --misses N       how many closest misses to explain (default 3; --json lists them all)
  --json           print the result as JSON

  Exit codes: 0 at least one reflex matches, 1 none matches, 2 usage error, unreadable or non-JSON event,
  unknown reflex.`;

const trigger = (r: TriggerResult) => `trigger ${r.trigger}${r.description ? ` (${r.description})` : ''}`;

export const matchCommand: Command = {
  name: 'match',
  summary: 'which reflexes an EventBridge event reaches, and why the others miss',
  help: HELP,
  async run(args) {
    const { values, positionals } = parseCommandArgs(args, {
      reflex: { type: 'string' },
      misses: { type: 'string', default: '3' },
      json: { type: 'boolean', default: false },
    });
    if (positionals.length !== 1) {
      throw new UsageError(positionals.length === 0 ? 'expected an event file (or - for stdin)' : `expected one event file, got ${positionals.length}`, true);
    }
    const missLimit = Number(values.misses);
    if (!Number.isInteger(missLimit) || missLimit < 0) throw new UsageError(`--misses: expected a whole number, got "${values.misses}"`);

    const input = readEvent(positionals[0]!);
    let manifests = await loadManifests(repoRoot());
    if (values.reflex !== undefined) manifests = [findReflex(manifests, values.reflex)];
    const result = matchEvent(manifests, input.event);

    if (values.json) {
      out(JSON.stringify({ event: eventSummary(input.event), matched: result.matches.length > 0, ...result }, null, 2));
    } else {
      const e = eventSummary(input.event);
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

function eventSummary(event: Record<string, unknown>) {
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { id: str(event.id), source: str(event.source), detailType: str(event['detail-type']) };
}
