/** The days of the week, Monday first, as schedules spell them. */
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      // h23, not hour12: false: the latter prints midnight as "24" in some ICU versions.
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

function wallClock(ms: number, timeZone: string): Wall {
  const wall: Wall = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatter(timeZone).formatToParts(ms)) {
    if (part.type in wall) wall[part.type as keyof Wall] = Number(part.value);
  }
  return wall;
}

/** The wall-clock reading at `ms` in the zone, written as if it were a UTC instant. */
function wallMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
}

/** The zone's offset from UTC at an instant, in ms (Berlin in summer: +7_200_000). */
function offsetAt(ms: number, timeZone: string): number {
  return wallMs(ms, timeZone) - Math.floor(ms / 1000) * 1000;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

let canonicalZones: ReadonlySet<string> | undefined;

/** Whether Intl knows the zone by its IANA name (offset strings such as "+01:00" are not names). */
export function isTimeZone(timeZone: string): boolean {
  if (timeZone === '' || /^[+-]/.test(timeZone)) return false;
  // Intl's canonical zone names first: listing them costs ~1.5 ms once, where the first formatter loads ICU's
  // zone data (~19 ms) — at a function's cold start, which validates its schedules. The list leaves out UTC,
  // which every Intl supports (ECMA-402); aliases (Asia/Calcutta) and other spellings are left to the
  // formatter, the final word.
  canonicalZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  if (canonicalZones.has(timeZone)) return true;
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Whether the text is a YYYY-MM-DD date that exists in the calendar (no 2026-02-30). */
export function isCalendarDate(date: string): boolean {
  const m = DATE.exec(date);
  if (!m) return false;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/** Whether the text is an HH:MM time of day, 00:00 to 23:59. */
export function isTimeOfDay(time: string): boolean {
  return TIME.test(time);
}

function parseDate(date: string): [number, number, number] {
  const m = DATE.exec(date);
  if (!m || !isCalendarDate(date)) throw new RangeError(`date must be a YYYY-MM-DD calendar date, got "${date}"`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

/** The calendar date `days` after `date` (both YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const [year, month, day] = parseDate(date);
  return new Date(Date.UTC(year, month - 1, day + days)).toISOString().slice(0, 10);
}

/** The weekday of a YYYY-MM-DD calendar date. */
export function weekdayOf(date: string): Weekday {
  const [year, month, day] = parseDate(date);
  // getUTCDay counts from Sunday = 0; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7] as Weekday;
}

/**
 * The UTC instant of a local wall-clock time in an IANA zone, disambiguated like Temporal's
 * `"compatible"`: a time in a spring-forward gap moves forward by the gap, a time in a fall-back
 * overlap takes the earlier instant.
 *
 * @example
 * zonedTimeToUtc('2026-01-15', '09:00', 'Europe/Berlin').toISOString(); // "2026-01-15T08:00:00.000Z"
 * zonedTimeToUtc('2026-03-29', '02:30', 'Europe/Berlin').toISOString(); // "2026-03-29T01:30:00.000Z" (03:30 CEST)
 * @see https://tc39.es/proposal-temporal/docs/timezone.html#ambiguity-due-to-dst-or-other-time-zone-offset-changes
 */
export function zonedTimeToUtc(date: string, time: string, timezone: string): Date {
  const [year, month, day] = parseDate(date);
  const t = TIME.exec(time);
  if (!t) throw new RangeError(`time must be HH:MM (00:00 to 23:59), got "${time}"`);
  const wall = Date.UTC(year, month - 1, day, Number(t[1]), Number(t[2]));
  // Offsets range within ±14 h, so the instant lies between these two probes, and at most one
  // transition happens in between for any real zone: the offsets before and after it.
  const before = offsetAt(wall - DAY_MS, timezone);
  const after = offsetAt(wall + DAY_MS, timezone);
  const fits = [wall - before, wall - after].filter((ms) => wallMs(ms, timezone) === wall);
  if (fits.length > 0) return new Date(Math.min(...fits));
  // In a gap: read the wall time with the offset from before the transition, which lands after it.
  return new Date(wall - before);
}

/**
 * The local date, time and weekday of an instant in an IANA zone.
 *
 * @example
 * localParts(new Date('2026-03-29T01:30:00Z'), 'Europe/Berlin'); // { date: '2026-03-29', time: '03:30', weekday: 'sun' }
 * @see https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Intl/DateTimeFormat
 */
export function localParts(at: Date, timezone: string): { date: string; time: string; weekday: Weekday } {
  const ms = at.getTime();
  if (Number.isNaN(ms)) throw new RangeError('localParts needs a valid Date');
  const w = wallClock(ms, timezone);
  const date = `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}`;
  return { date, time: `${pad(w.hour)}:${pad(w.minute)}`, weekday: weekdayOf(date) };
}
