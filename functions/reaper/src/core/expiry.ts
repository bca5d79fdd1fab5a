import { localParts } from '@reflex/schedules';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

// The expiry tag's format is the contract between the reaper, the tagger and people: @reflex/events keeps it.
import { formatExpiry, parseExpiry } from '@reflex/events';

export { formatExpiry, parseExpiry };

/** The units a TTL takes: minutes, hours, days, weeks. */
export const TTL_UNITS: Readonly<Record<string, number>> = { m: MINUTE, h: HOUR, d: DAY, w: 7 * DAY };

/** A TTL such as `90m`, `12h`, `3d`, `2w`, in ms; undefined when it is not one. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,5})([mhdw])$/.exec(text.trim());
  return m ? Number(m[1]) * TTL_UNITS[m[2]!]! : undefined;
}

/** `2d 3h`, `5h 12m`, `4m`, `<1m`: a duration to the nearest minute. */
export function formatSpan(ms: number): string {
  const minutes = Math.round(Math.abs(ms) / MINUTE);
  if (minutes < 1) return '<1m';
  const [d, h, m] = [Math.floor(minutes / 1440), Math.floor((minutes % 1440) / 60), minutes % 60];
  return [d && `${d}d`, h && `${h}h`, !d && m && `${m}m`].filter(Boolean).join(' ');
}

/** `in 2d 3h` or `5h ago`, from `now`. */
export function relative(at: Date, now: Date): string {
  const ms = at.getTime() - now.getTime();
  return ms >= 0 ? `in ${formatSpan(ms)}` : `${formatSpan(ms)} ago`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * An instant in an IANA zone, with the zone's offset then (from Intl, so daylight saving is right):
 * `2026-10-25 02:30 Europe/Berlin (UTC+01:00)`; in UTC just `2026-10-25 01:30 UTC`.
 *
 * @example
 * displayTime(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin'); // "2026-10-25 02:30 Europe/Berlin (UTC+02:00)"
 * displayTime(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin'); // "2026-10-25 02:30 Europe/Berlin (UTC+01:00)"
 */
export function displayTime(at: Date, timeZone: string): string {
  const { date, time } = localParts(at, timeZone);
  if (timeZone === 'UTC') return `${date} ${time} UTC`;
  const wall = Date.parse(`${date}T${time}:00Z`);
  const offset = Math.round((wall - Math.floor(at.getTime() / MINUTE) * MINUTE) / MINUTE);
  const sign = offset < 0 ? '-' : '+';
  return `${date} ${time} ${timeZone} (UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)})`;
}

/** An expiry for people: in the display zone, and in UTC. */
export function describeExpiry(at: Date, timeZone: string): string {
  return timeZone === 'UTC' ? formatExpiry(at) : `${displayTime(at, timeZone)} = ${formatExpiry(at)}`;
}

// ---------------------------------------------------------------------------------------------- notices

/** The token of a warning at a lead time: `72h`. */
export const leadToken = (hours: number) => `${hours}h`;

/**
 * The notices the reaper sent for one expiry, as its `reflex:expiry-warned` tag holds them:
 * `72h+24h@2026-12-10T12:00:00Z` — lead times warned, and `blocked` (or, in dry-run, `dry-<step>`) once.
 * An invalid expiry is keyed by a hash of the value: `invalid@x1a2b3c4d`.
 */
export interface Notices {
  /** The expiry (or invalid value's key) they were sent for. */
  readonly key: string;
  readonly tokens: ReadonlySet<string>;
}

/** The key of an invalid expiry value: notices about it are sent once per value. */
export function invalidKey(value: string): string {
  // FNV-1a, 32 bits: short enough for a tag, and a new value gets a new notice.
  let hash = 0x811c9dc5;
  for (const ch of value) {
    hash ^= ch.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `x${hash.toString(16).padStart(8, '0')}`;
}

/** The tokens already sent for `key`: none when the tag is missing, unreadable, or for another expiry (an extension re-arms). */
export function noticesFor(value: string | undefined, key: string): Set<string> {
  const split = value ? value.lastIndexOf('@') : -1;
  if (!value || split <= 0 || value.slice(split + 1) !== key) return new Set();
  return new Set(value.slice(0, split).split('+').filter(Boolean));
}

/** The tag value for `tokens` sent for `key`, leads first, longest first. */
export function formatNotices(tokens: Iterable<string>, key: string): string {
  const lead = (t: string) => (/^\d+h$/.test(t) ? Number(t.slice(0, -1)) : -1);
  const sorted = [...new Set(tokens)].sort((a, b) => lead(b) - lead(a) || a.localeCompare(b));
  return `${sorted.join('+')}@${key}`;
}

// ---------------------------------------------------------------------------------------------- set, extend

/** What `reflex ttl` asks for: an expiry, or an extension of the current one. */
export type ExpiryRequest = { readonly kind: 'set'; readonly at: Date } | { readonly kind: 'extend'; readonly byMs: number };

/** The limits on what `reflex ttl` may set. */
export interface ExpiryLimits {
  readonly maxExtensionHours: number;
  readonly maxLifetimeHours?: number;
}

export type PlannedExpiry = { readonly expiry: Date; readonly capped?: string } | { readonly refused: string };

/**
 * The expiry `reflex ttl set|extend` writes: an extension counts from the current expiry (from now if it
 * passed), and nothing lies more than `maxExtensionHours` from now or `maxLifetimeHours` after the
 * resource's creation — a request beyond is capped, and one that would shorten the expiry is refused.
 *
 * @example
 * plannedExpiry(new Date('2026-12-10T12:00:00Z'), { kind: 'extend', byMs: 2 * DAY }, now, undefined, { maxExtensionHours: 336 });
 * // { expiry: 2026-12-12T12:00:00Z }
 */
export function plannedExpiry(current: Date | undefined, request: ExpiryRequest, now: Date, createdAt: Date | undefined, limits: ExpiryLimits): PlannedExpiry {
  let target: number;
  if (request.kind === 'set') {
    target = request.at.getTime();
    if (target <= now.getTime()) return { refused: `${formatExpiry(request.at)} has passed: an expiry lies in the future` };
  } else {
    if (!current) return { refused: 'it has no valid expiry to extend: set one with `reflex ttl set <id> <ttl>`' };
    target = Math.max(current.getTime(), now.getTime()) + request.byMs;
  }
  const caps = [{ at: now.getTime() + limits.maxExtensionHours * HOUR, why: `maxExtensionHours ${limits.maxExtensionHours} from now` }];
  if (limits.maxLifetimeHours !== undefined && createdAt) {
    caps.push({ at: createdAt.getTime() + limits.maxLifetimeHours * HOUR, why: `maxLifetimeHours ${limits.maxLifetimeHours} after its creation at ${formatExpiry(createdAt)}` });
  }
  const cap = caps.reduce((a, b) => (b.at < a.at ? b : a));
  // To the second, as the tag holds it.
  const capAt = Math.floor(cap.at / 1000) * 1000;
  if (cap.at <= now.getTime()) return { refused: `no expiry is allowed: ${cap.why} has passed` };
  if (target <= capAt) return { expiry: new Date(Math.floor(target / 1000) * 1000) };
  if (request.kind === 'extend' && current && capAt <= current.getTime()) {
    return { refused: `it expires at ${formatExpiry(current)} already, at or beyond the cap (${cap.why})` };
  }
  return { expiry: new Date(capAt), capped: `capped at ${formatExpiry(new Date(capAt))} (${cap.why})` };
}

/** The expiry the reaper acts on: the tag's, or the end of the maximum lifetime when that comes first. */
export function effectiveExpiry(tagged: Date, createdAt: Date | undefined, maxLifetimeHours: number | undefined): { at: Date; cappedBy?: string } {
  if (maxLifetimeHours === undefined || !createdAt) return { at: tagged };
  const end = createdAt.getTime() + maxLifetimeHours * HOUR;
  return end < tagged.getTime() ? { at: new Date(end), cappedBy: `maxLifetimeHours ${maxLifetimeHours} after its creation at ${formatExpiry(createdAt)}` } : { at: tagged };
}
