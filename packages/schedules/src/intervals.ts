import type { Schedule } from './schedule';
import { addDays, localParts, weekdayOf, zonedTimeToUtc } from './zoned-time';

const DAY_MS = 86_400_000;

interface Span {
  start: number;
  stop: number;
}

function millis(at: Date, name: string): number {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} must be a valid Date`);
  return ms;
}

/**
 * The schedule's run intervals, merged, for every period occurrence starting on a local date from
 * (from − 2 days) to (to + 1 day): wide enough to hold every occurrence that reaches into from..to.
 */
function mergedSpans(schedule: Schedule, fromMs: number, toMs: number): Span[] {
  const { timezone } = schedule;
  const first = localParts(new Date(fromMs - 2 * DAY_MS), timezone).date;
  const last = localParts(new Date(toMs + DAY_MS), timezone).date;
  const skip = new Set(schedule.skipDates);
  const spans: Span[] = [];
  for (let date = first; date <= last; date = addDays(date, 1)) {
    if (skip.has(date)) continue;
    const weekday = weekdayOf(date);
    for (const period of schedule.periods) {
      if (!period.days.includes(weekday)) continue;
      const start = zonedTimeToUtc(date, period.start, timezone).getTime();
      const stopDate = period.stop < period.start ? addDays(date, 1) : date;
      const stop = zonedTimeToUtc(stopDate, period.stop, timezone).getTime();
      // A start in a spring-forward gap moves forward and can pass its stop (02:30–03:00 on that day).
      if (stop > start) spans.push({ start, stop });
    }
  }
  spans.sort((a, b) => a.start - b.start);
  const merged: Span[] = [];
  for (const span of spans) {
    const previous = merged.at(-1);
    if (previous && span.start <= previous.stop) previous.stop = Math.max(previous.stop, span.stop);
    else merged.push({ ...span });
  }
  return merged;
}

/**
 * The instants at which the schedule's periods run, each `[start, stop)`, that overlap `[from, to)`.
 * Overlapping or adjacent periods merge into one interval; intervals are whole, not clipped to the range.
 *
 * @example
 * runIntervals(office, new Date('2026-01-12T00:00:00Z'), new Date('2026-01-13T00:00:00Z'));
 * // [{ start: 2026-01-12T07:00:00.000Z, stop: 2026-01-12T17:00:00.000Z }] for 08:00–18:00 in Europe/Berlin
 * @see https://aws.amazon.com/solutions/implementations/instance-scheduler-on-aws/
 */
export function runIntervals(schedule: Schedule, from: Date, to: Date): { start: Date; stop: Date }[] {
  const fromMs = millis(from, 'from');
  const toMs = millis(to, 'to');
  if (toMs < fromMs) return [];
  return mergedSpans(schedule, fromMs, toMs)
    .filter((span) => span.start < toMs && span.stop > fromMs)
    .map((span) => ({ start: new Date(span.start), stop: new Date(span.stop) }));
}

/**
 * `'running'` if `at` lies in one of the schedule's run intervals (start inclusive, stop exclusive),
 * else `'stopped'`. The mode does not change the desired state, only which transitions are acted on.
 *
 * @example
 * desiredState(office, new Date('2026-01-12T07:00:00Z')); // 'running' (08:00 in Berlin, a Monday)
 * @see https://aws.amazon.com/solutions/implementations/instance-scheduler-on-aws/
 */
export function desiredState(schedule: Schedule, at: Date): 'running' | 'stopped' {
  const ms = millis(at, 'at');
  const running = mergedSpans(schedule, ms, ms).some((span) => span.start <= ms && ms < span.stop);
  return running ? 'running' : 'stopped';
}

/**
 * The transitions the scheduler will act on in `(from, to]`, sorted by time: a start where a run
 * interval begins, a stop where it ends. `stop-only` schedules yield only stops, `start-only` only starts.
 *
 * @example
 * plannedTransitions(office, new Date('2026-01-12T00:00:00Z'), new Date('2026-01-13T00:00:00Z'));
 * // [{ at: 2026-01-12T07:00:00.000Z, action: 'start' }, { at: 2026-01-12T17:00:00.000Z, action: 'stop' }]
 * @see https://aws.amazon.com/solutions/implementations/instance-scheduler-on-aws/
 */
export function plannedTransitions(schedule: Schedule, from: Date, to: Date): { at: Date; action: 'start' | 'stop' }[] {
  const fromMs = millis(from, 'from');
  const toMs = millis(to, 'to');
  if (toMs <= fromMs) return [];
  const within = (ms: number) => fromMs < ms && ms <= toMs;
  const transitions: { at: number; action: 'start' | 'stop' }[] = [];
  for (const span of mergedSpans(schedule, fromMs, toMs)) {
    if (schedule.mode !== 'stop-only' && within(span.start)) transitions.push({ at: span.start, action: 'start' });
    if (schedule.mode !== 'start-only' && within(span.stop)) transitions.push({ at: span.stop, action: 'stop' });
  }
  return transitions.sort((a, b) => a.at - b.at).map((t) => ({ at: new Date(t.at), action: t.action }));
}
