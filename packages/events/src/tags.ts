/**
 * The tags reflexes read and write: the contract between the scheduler, the guard, the tagger and people.
 * Reflexes never trigger on tag changes (CreateTags/DeleteTags are no trigger), so writing these cannot loop.
 */
export const REFLEX_TAGS = {
  /** `true`: the instance guard starts it again when it stops unintentionally. */
  protect: 'reflex:protect',
  /** `true`: auto-heal reboots, stops/starts (or replaces) the instance when its status checks or health alarms fail. */
  heal: 'reflex:heal',
  /** `<schedule name>`: the instance scheduler runs it by that schedule. */
  schedule: 'reflex:schedule',
  /** `<ISO time>`: the scheduler leaves the instance as it is until then. */
  overrideUntil: 'reflex:override-until',
  /** `true`: no reflex schedules the instance, whatever its other tags say. */
  scheduleOptOut: 'reflex:schedule-opt-out',
  /** `<ISO time>`: a maintenance window; the guard does not restart the instance until then. */
  maintenanceUntil: 'reflex:maintenance-until',
  /** `<reflex>@<ISO time>`: written by a reflex just before it stops the instance. */
  stopIntent: 'reflex:stop-intent',
  /** `<principal ARN>@<ISO time>`: who last stopped the instance (from CloudTrail StopInstances). */
  stoppedBy: 'reflex:stopped-by',
  /** Space-separated ISO times of the guard's recent restarts (its restart budget). */
  restarts: 'reflex:restarts',
  /** Who created a network resource, resolved to the real principal (`user/Alice`, `sso-user/alice@example.com`…); written once by the resource tagger. */
  createdBy: 'reflex:created-by',
  /** `<ISO time>`: when CloudTrail recorded the call that created the resource; written once by the resource tagger. */
  createdAt: 'reflex:created-at',
  /** `<ISO 8601 UTC time, with Z>`: the reaper decommissions the resource after it, warning first. */
  expiresAt: 'reflex:expires-at',
  /** `<lead>+<lead>…@<expiry>` (`72h+24h@2026-12-10T12:00:00Z`): the reaper's notices sent for that expiry; a new expiry re-arms them. */
  expiryWarned: 'reflex:expiry-warned',
  /** `<who>@<ISO time>`: who last set or extended `reflex:expires-at` with `reflex ttl`. */
  expirySetBy: 'reflex:expiry-set-by',
  /** `true`: the reaper never touches the resource, whatever its expiry. */
  keep: 'reflex:keep',
  /** `true` on a VPC made for a lab: at its expiry the reaper deletes it with everything in it. */
  lab: 'reflex:lab',
  /** `reaper@<ISO time>`: the reaper found the resource idle (or old) and gave it an expiry. */
  idleMarked: 'reflex:idle-marked',
  /** `<volume id>` on a snapshot: the reaper took it of that volume before deleting the volume. */
  snapshotOf: 'reflex:snapshot-of',
} as const;

/** Who did something to an instance, and when: the value of `reflex:stop-intent` and `reflex:stopped-by`. */
export interface Stamp {
  /** A reflex name (`instance-scheduler`) or a principal ARN. */
  readonly by: string;
  readonly at: Date;
}

/** `instance-scheduler@2026-11-23T08:50:00.000Z` */
export function formatStamp(stamp: Stamp): string {
  return `${stamp.by}@${stamp.at.toISOString()}`;
}

/** The stamp in a tag value, or undefined when it is not one. */
export function parseStamp(value: string | undefined): Stamp | undefined {
  const split = value ? value.lastIndexOf('@') : -1;
  if (!value || split <= 0) return undefined;
  const at = new Date(value.slice(split + 1));
  return Number.isNaN(at.getTime()) ? undefined : { by: value.slice(0, split), at };
}

/** An ISO time in a tag value, or undefined when it is missing or not a time. */
export function parseTagTime(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** ISO 8601 in UTC, with the Z: `2026-12-10T12:00Z`, `…T12:00:00Z`, `…T12:00:00.000Z`. */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?Z$/;

/**
 * The instant an expiry tag names, or undefined when it is not ISO 8601 UTC with a Z (no offsets, no local
 * times, no dates without a time, no 2026-02-30): such a value is reported as invalid, never guessed.
 *
 * @example
 * parseExpiry('2026-12-10T12:00:00Z'); // 2026-12-10T12:00:00.000Z
 * parseExpiry('2026-12-10 12:00');     // undefined
 */
export function parseExpiry(value: string | undefined): Date | undefined {
  const m = value === undefined ? null : ISO_UTC.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = m.slice(1, 6).map(Number) as [number, number, number, number, number];
  const second = Number(m[6] ?? 0);
  const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second, Number((m[7] ?? '0').padEnd(3, '0'))));
  // Date.UTC rolls 2026-02-30 over to March, 24:00 to the next day: a value that does not come back as written is no time.
  const exact =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === month - 1 &&
    d.getUTCDate() === day &&
    d.getUTCHours() === hour &&
    d.getUTCMinutes() === minute &&
    d.getUTCSeconds() === second;
  return exact ? d : undefined;
}

/** An expiry as `reflex:expires-at` holds it: to the second, with a Z. */
export function formatExpiry(at: Date): string {
  return `${at.toISOString().slice(0, 19)}Z`;
}
