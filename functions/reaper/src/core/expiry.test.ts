import { describe, expect, it } from '@jest/globals';
import {
  DAY,
  describeExpiry,
  displayTime,
  effectiveExpiry,
  formatExpiry,
  formatNotices,
  HOUR,
  invalidKey,
  noticesFor,
  parseExpiry,
  parseTtl,
  plannedExpiry,
} from './expiry';

describe('parseExpiry: ISO 8601 in UTC, with the Z, or nothing', () => {
  it.each(['2026-12-10T12:00:00Z', '2026-12-10T12:00Z', '2026-12-10T12:00:00.000Z'])('reads %s', (value) => {
    expect(parseExpiry(value)).toEqual(new Date('2026-12-10T12:00:00Z'));
  });

  it.each([
    ['a local time', '2026-12-10T12:00:00'],
    ['an offset', '2026-12-10T13:00:00+01:00'],
    ['a date alone', '2026-12-10'],
    ['a space for the T', '2026-12-10 12:00:00Z'],
    ['a day the calendar lacks', '2026-02-30T12:00:00Z'],
    ['hour 24', '2026-12-10T24:00:00Z'],
    ['epoch seconds', '1796904000'],
    ['words', 'next friday'],
  ])('never guesses %s', (_, value) => {
    expect(parseExpiry(value)).toBeUndefined();
  });

  it('writes the tag to the second, with the Z', () => {
    expect(formatExpiry(new Date('2026-12-10T12:00:00.789Z'))).toBe('2026-12-10T12:00:00Z');
  });
});

describe('displayTime: UTC instants shown in the configured IANA zone, with Intl', () => {
  // Europe/Berlin leaves summer time on the last Sunday of October 2026, the 25th: 03:00 CEST → 02:00 CET at 01:00 UTC.
  it('shows the hour that happens twice with the offset that tells them apart', () => {
    expect(displayTime(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:30 Europe/Berlin (UTC+02:00)');
    expect(displayTime(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:30 Europe/Berlin (UTC+01:00)');
  });

  it('follows the zone across the spring change too (2026-03-29, 02:00 CET → 03:00 CEST)', () => {
    expect(displayTime(new Date('2026-03-29T00:59:00Z'), 'Europe/Berlin')).toBe('2026-03-29 01:59 Europe/Berlin (UTC+01:00)');
    expect(displayTime(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin')).toBe('2026-03-29 03:00 Europe/Berlin (UTC+02:00)');
  });

  it('shows zones west of UTC and half-hour offsets', () => {
    expect(displayTime(new Date('2026-11-01T12:00:00Z'), 'America/New_York')).toBe('2026-11-01 07:00 America/New_York (UTC-05:00)');
    expect(displayTime(new Date('2026-11-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2026-11-01 17:30 Asia/Kolkata (UTC+05:30)');
  });

  it('shows UTC plainly, and the UTC value next to any other zone', () => {
    expect(displayTime(new Date('2026-10-25T01:30:00Z'), 'UTC')).toBe('2026-10-25 01:30 UTC');
    expect(describeExpiry(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin')).toBe('2026-10-25 02:30 Europe/Berlin (UTC+01:00) = 2026-10-25T01:30:00Z');
  });

  it('counts a lead time in real hours: 24 h before an expiry after the October change is 25 wall-clock hours in Berlin', () => {
    const expiry = new Date('2026-10-25T12:00:00Z'); // 13:00 CET
    const warnAt = new Date(expiry.getTime() - 24 * HOUR);
    expect(displayTime(warnAt, 'Europe/Berlin')).toBe('2026-10-24 14:00 Europe/Berlin (UTC+02:00)');
    expect(displayTime(expiry, 'Europe/Berlin')).toBe('2026-10-25 13:00 Europe/Berlin (UTC+01:00)');
  });
});

describe('notices: the warned tag, keyed by the expiry it was for', () => {
  const key = '2026-12-10T12:00:00Z';

  it('round-trips lead times, longest first, and one-off notices', () => {
    const value = formatNotices(['24h', 'blocked', '72h'], key);
    expect(value).toBe('72h+24h+blocked@2026-12-10T12:00:00Z');
    expect(noticesFor(value, key)).toEqual(new Set(['72h', '24h', 'blocked']));
  });

  it('re-arms for another expiry: the notices of the old one do not count', () => {
    expect(noticesFor('72h+24h@2026-12-10T12:00:00Z', '2026-12-12T12:00:00Z')).toEqual(new Set());
  });

  it('reads a missing or mangled tag as nothing sent', () => {
    expect(noticesFor(undefined, key)).toEqual(new Set());
    expect(noticesFor('72h', key)).toEqual(new Set());
  });

  it('keys an invalid value by its hash: another value gets another notice', () => {
    expect(invalidKey('next friday')).toMatch(/^x[0-9a-f]{8}$/);
    expect(invalidKey('next friday')).not.toBe(invalidKey('next monday'));
  });
});

describe('parseTtl', () => {
  it.each([
    ['90m', 90 * 60_000],
    ['12h', 12 * HOUR],
    ['3d', 3 * DAY],
    ['2w', 14 * DAY],
  ])('reads %s', (text, ms) => {
    expect(parseTtl(text)).toBe(ms);
  });

  it.each(['3', 'd', '3 days', '-1d', '1.5d', '3y'])('refuses %s', (text) => {
    expect(parseTtl(text)).toBeUndefined();
  });
});

describe('plannedExpiry: reflex ttl set and extend, capped', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const limits = { maxExtensionHours: 14 * 24 };

  it('extends from the current expiry', () => {
    expect(plannedExpiry(new Date('2026-12-03T10:00:00Z'), { kind: 'extend', byMs: 2 * DAY }, now, undefined, limits)).toEqual({ expiry: new Date('2026-12-05T10:00:00Z') });
  });

  it('extends an expiry that passed from now', () => {
    expect(plannedExpiry(new Date('2026-11-30T10:00:00Z'), { kind: 'extend', byMs: 2 * DAY }, now, undefined, limits)).toEqual({ expiry: new Date('2026-12-03T10:00:00Z') });
  });

  it('caps an extension at maxExtensionHours from now, and says so', () => {
    const planned = plannedExpiry(new Date('2026-12-10T10:00:00Z'), { kind: 'extend', byMs: 7 * DAY }, now, undefined, limits);
    expect(planned).toEqual({ expiry: new Date('2026-12-15T10:00:00Z'), capped: 'capped at 2026-12-15T10:00:00Z (maxExtensionHours 336 from now)' });
  });

  it('caps at maxLifetimeHours after the creation when that comes first', () => {
    const created = new Date('2026-11-25T10:00:00Z');
    const planned = plannedExpiry(new Date('2026-12-02T10:00:00Z'), { kind: 'extend', byMs: 7 * DAY }, now, created, { ...limits, maxLifetimeHours: 10 * 24 });
    expect(planned).toMatchObject({ expiry: new Date('2026-12-05T10:00:00Z'), capped: expect.stringContaining('maxLifetimeHours 240 after its creation') });
  });

  it('refuses an extension that could only shorten the expiry', () => {
    const planned = plannedExpiry(new Date('2026-12-20T10:00:00Z'), { kind: 'extend', byMs: DAY }, now, undefined, limits);
    expect(planned).toEqual({ refused: expect.stringContaining('expires at 2026-12-20T10:00:00Z already') });
  });

  it('refuses to extend what has no expiry, and to set one that passed', () => {
    expect(plannedExpiry(undefined, { kind: 'extend', byMs: DAY }, now, undefined, limits)).toEqual({ refused: expect.stringContaining('no valid expiry') });
    expect(plannedExpiry(undefined, { kind: 'set', at: new Date('2026-11-30T00:00:00Z') }, now, undefined, limits)).toEqual({ refused: expect.stringContaining('has passed') });
  });

  it('sets an expiry within the caps as asked', () => {
    expect(plannedExpiry(undefined, { kind: 'set', at: new Date('2026-12-04T10:00:00Z') }, now, undefined, limits)).toEqual({ expiry: new Date('2026-12-04T10:00:00Z') });
  });
});

describe('effectiveExpiry', () => {
  it('acts at the end of the maximum lifetime when the tag says later', () => {
    const created = new Date('2026-11-01T00:00:00Z');
    expect(effectiveExpiry(new Date('2027-01-01T00:00:00Z'), created, 24 * 30)).toEqual({
      at: new Date('2026-12-01T00:00:00Z'),
      cappedBy: 'maxLifetimeHours 720 after its creation at 2026-11-01T00:00:00Z',
    });
    expect(effectiveExpiry(new Date('2026-11-10T00:00:00Z'), created, 24 * 30)).toEqual({ at: new Date('2026-11-10T00:00:00Z') });
  });
});
