import { describe, expect, it } from '@jest/globals';
import { isTimeZone, localParts, zonedTimeToUtc } from './zoned-time';

const utc = (date: string, time: string, zone: string) => zonedTimeToUtc(date, time, zone).toISOString();

describe('zonedTimeToUtc in Europe/Berlin', () => {
  it('reads a winter time with CET (+01:00)', () => {
    expect(utc('2026-01-15', '09:00', 'Europe/Berlin')).toBe('2026-01-15T08:00:00.000Z');
  });

  it('reads a summer time with CEST (+02:00)', () => {
    expect(utc('2026-07-15', '09:00', 'Europe/Berlin')).toBe('2026-07-15T07:00:00.000Z');
  });

  it('reads 01:59 on the spring-forward day with CET, just before the gap', () => {
    expect(utc('2026-03-29', '01:59', 'Europe/Berlin')).toBe('2026-03-29T00:59:00.000Z');
  });

  it('moves 02:00, the start of the spring-forward gap, to 03:00 CEST', () => {
    expect(utc('2026-03-29', '02:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('moves 02:30 in the spring-forward gap forward by the gap, to 03:30 CEST (01:30Z)', () => {
    expect(utc('2026-03-29', '02:30', 'Europe/Berlin')).toBe('2026-03-29T01:30:00.000Z');
  });

  it('reads 03:00 on the spring-forward day with CEST', () => {
    expect(utc('2026-03-29', '03:00', 'Europe/Berlin')).toBe('2026-03-29T01:00:00.000Z');
  });

  it('takes the earlier instant, CEST, for 02:30 in the fall-back overlap (00:30Z)', () => {
    expect(utc('2026-10-25', '02:30', 'Europe/Berlin')).toBe('2026-10-25T00:30:00.000Z');
  });

  it('takes CEST for 02:00, the first minute of the fall-back overlap', () => {
    expect(utc('2026-10-25', '02:00', 'Europe/Berlin')).toBe('2026-10-25T00:00:00.000Z');
  });

  it('reads 03:00 on the fall-back day with CET, after the overlap', () => {
    expect(utc('2026-10-25', '03:00', 'Europe/Berlin')).toBe('2026-10-25T02:00:00.000Z');
  });

  it('reads 01:59 on the fall-back day with CEST, before the overlap', () => {
    expect(utc('2026-10-25', '01:59', 'Europe/Berlin')).toBe('2026-10-24T23:59:00.000Z');
  });
});

describe('zonedTimeToUtc in America/New_York', () => {
  it('reads a winter time with EST (-05:00)', () => {
    expect(utc('2026-01-15', '09:00', 'America/New_York')).toBe('2026-01-15T14:00:00.000Z');
  });

  it('reads a summer time with EDT (-04:00)', () => {
    expect(utc('2026-07-15', '09:00', 'America/New_York')).toBe('2026-07-15T13:00:00.000Z');
  });

  it('moves 02:30 in the spring-forward gap to 03:30 EDT (07:30Z)', () => {
    expect(utc('2026-03-08', '02:30', 'America/New_York')).toBe('2026-03-08T07:30:00.000Z');
  });

  it('takes the earlier instant, EDT, for 01:30 in the fall-back overlap (05:30Z)', () => {
    expect(utc('2026-11-01', '01:30', 'America/New_York')).toBe('2026-11-01T05:30:00.000Z');
  });

  it('reads 02:00 on the fall-back day with EST, after the overlap', () => {
    expect(utc('2026-11-01', '02:00', 'America/New_York')).toBe('2026-11-01T07:00:00.000Z');
  });

  it('reads the local date, not the UTC date: 21:00 EST is 02:00Z the next day', () => {
    expect(utc('2026-01-15', '21:00', 'America/New_York')).toBe('2026-01-16T02:00:00.000Z');
  });
});

describe('zonedTimeToUtc in other zones', () => {
  it('reads UTC as UTC', () => {
    expect(utc('2026-03-29', '02:30', 'UTC')).toBe('2026-03-29T02:30:00.000Z');
  });

  it('reads a zone with a half-hour offset (Asia/Kolkata, +05:30)', () => {
    expect(utc('2026-01-15', '09:00', 'Asia/Kolkata')).toBe('2026-01-15T03:30:00.000Z');
  });

  it('reads a zone east of UTC whose local date is ahead (Pacific/Auckland, NZDT +13:00)', () => {
    expect(utc('2026-01-15', '09:00', 'Pacific/Auckland')).toBe('2026-01-14T20:00:00.000Z');
  });
});

describe('zonedTimeToUtc input', () => {
  it('rejects a time that is not HH:MM', () => {
    expect(() => zonedTimeToUtc('2026-01-15', '25:00', 'Europe/Berlin')).toThrow('time must be HH:MM');
  });

  it('rejects a date that is not in the calendar', () => {
    expect(() => zonedTimeToUtc('2026-02-30', '09:00', 'Europe/Berlin')).toThrow('date must be a YYYY-MM-DD calendar date');
  });

  it('rejects an unknown time zone', () => {
    expect(() => zonedTimeToUtc('2026-01-15', '09:00', 'Mars/Olympus')).toThrow(RangeError);
  });
});

describe('localParts', () => {
  it('gives the local date, time and weekday of an instant in Berlin', () => {
    expect(localParts(new Date('2026-01-15T08:00:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-01-15', time: '09:00', weekday: 'thu' });
  });

  it('gives the local date, not the UTC date, when they differ', () => {
    expect(localParts(new Date('2026-01-16T02:00:00Z'), 'America/New_York')).toEqual({ date: '2026-01-15', time: '21:00', weekday: 'thu' });
  });

  it('prints midnight as 00:00', () => {
    expect(localParts(new Date('2026-01-15T23:00:00Z'), 'Europe/Berlin')).toEqual({ date: '2026-01-16', time: '00:00', weekday: 'fri' });
  });

  it('reads the first instant after the spring-forward gap as 03:00 CEST', () => {
    expect(localParts(new Date('2026-03-29T01:00:00Z'), 'Europe/Berlin').time).toBe('03:00');
  });

  it('reads both instants of the fall-back overlap as 02:30', () => {
    const earlier = localParts(new Date('2026-10-25T00:30:00Z'), 'Europe/Berlin');
    const later = localParts(new Date('2026-10-25T01:30:00Z'), 'Europe/Berlin');

    expect([earlier.time, later.time]).toEqual(['02:30', '02:30']);
  });

  it('round-trips the gap time 02:30 to the wall time 03:30', () => {
    expect(localParts(zonedTimeToUtc('2026-03-29', '02:30', 'Europe/Berlin'), 'Europe/Berlin').time).toBe('03:30');
  });

  it('names Sunday sun and Monday mon', () => {
    const sunday = localParts(new Date('2026-03-29T12:00:00Z'), 'Europe/Berlin').weekday;
    const monday = localParts(new Date('2026-03-30T12:00:00Z'), 'Europe/Berlin').weekday;

    expect([sunday, monday]).toEqual(['sun', 'mon']);
  });
});

describe('isTimeZone', () => {
  it('knows canonical IANA names', () => {
    expect(['Europe/Berlin', 'America/New_York', 'Asia/Kolkata', 'Australia/Lord_Howe'].map(isTimeZone)).toEqual([true, true, true, true]);
  });

  it('knows what Intl accepts beyond the canonical list: aliases, UTC, other letter case', () => {
    expect(['Asia/Calcutta', 'US/Eastern', 'UTC', 'Etc/UTC', 'europe/berlin'].map(isTimeZone)).toEqual([true, true, true, true, true]);
  });

  it('refuses misspelt and made-up names, offsets and the empty string', () => {
    expect(['Europe/Berlinn', 'Mars/Olympus_Mons', '+01:00', '-05:00', ''].map(isTimeZone)).toEqual([false, false, false, false, false]);
  });
});
