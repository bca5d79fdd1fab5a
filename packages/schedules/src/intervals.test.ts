import { describe, expect, it } from '@jest/globals';
import { desiredState, plannedTransitions, runIntervals } from './intervals';
import { ScheduleSchema } from './schedule';

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri'];

/** A parsed schedule in Europe/Berlin unless the fields say otherwise. */
const schedule = (fields: Record<string, unknown>) =>
  ScheduleSchema.parse({ name: 'test', timezone: 'Europe/Berlin', ...fields });

const office = schedule({ periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });

const intervals = (s: ReturnType<typeof schedule>, from: string, to: string) =>
  runIntervals(s, new Date(from), new Date(to)).map((i) => [i.start.toISOString(), i.stop.toISOString()]);

const transitions = (s: ReturnType<typeof schedule>, from: string, to: string) =>
  plannedTransitions(s, new Date(from), new Date(to)).map((t) => `${t.action} ${t.at.toISOString()}`);

const hours = ([start, stop]: string[]) => (Date.parse(stop!) - Date.parse(start!)) / 3_600_000;

describe('runIntervals of 09:00–17:00 on weekdays in Europe/Berlin', () => {
  it('runs 08:00Z–16:00Z on a winter Monday (CET)', () => {
    expect(intervals(office, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      ['2026-01-12T08:00:00.000Z', '2026-01-12T16:00:00.000Z'],
    ]);
  });

  it('runs 07:00Z–15:00Z on a summer Monday (CEST)', () => {
    expect(intervals(office, '2026-07-13T00:00:00Z', '2026-07-14T00:00:00Z')).toEqual([
      ['2026-07-13T07:00:00.000Z', '2026-07-13T15:00:00.000Z'],
    ]);
  });

  it('shifts by an hour across the spring-forward weekend (2026-03-29)', () => {
    expect(intervals(office, '2026-03-23T00:00:00Z', '2026-04-04T00:00:00Z')).toEqual([
      ['2026-03-23T08:00:00.000Z', '2026-03-23T16:00:00.000Z'],
      ['2026-03-24T08:00:00.000Z', '2026-03-24T16:00:00.000Z'],
      ['2026-03-25T08:00:00.000Z', '2026-03-25T16:00:00.000Z'],
      ['2026-03-26T08:00:00.000Z', '2026-03-26T16:00:00.000Z'],
      ['2026-03-27T08:00:00.000Z', '2026-03-27T16:00:00.000Z'],
      ['2026-03-30T07:00:00.000Z', '2026-03-30T15:00:00.000Z'],
      ['2026-03-31T07:00:00.000Z', '2026-03-31T15:00:00.000Z'],
      ['2026-04-01T07:00:00.000Z', '2026-04-01T15:00:00.000Z'],
      ['2026-04-02T07:00:00.000Z', '2026-04-02T15:00:00.000Z'],
      ['2026-04-03T07:00:00.000Z', '2026-04-03T15:00:00.000Z'],
    ]);
  });

  it('shifts back by an hour across the fall-back weekend (2026-10-25)', () => {
    expect(intervals(office, '2026-10-22T00:00:00Z', '2026-10-28T00:00:00Z')).toEqual([
      ['2026-10-22T07:00:00.000Z', '2026-10-22T15:00:00.000Z'],
      ['2026-10-23T07:00:00.000Z', '2026-10-23T15:00:00.000Z'],
      ['2026-10-26T08:00:00.000Z', '2026-10-26T16:00:00.000Z'],
      ['2026-10-27T08:00:00.000Z', '2026-10-27T16:00:00.000Z'],
    ]);
  });

  it('has no interval on a weekend', () => {
    expect(intervals(office, '2026-01-17T00:00:00Z', '2026-01-19T00:00:00Z')).toEqual([]);
  });

  it('returns whole intervals that overlap the range, not clipped to it', () => {
    expect(intervals(office, '2026-01-12T12:00:00Z', '2026-01-12T13:00:00Z')).toEqual([
      ['2026-01-12T08:00:00.000Z', '2026-01-12T16:00:00.000Z'],
    ]);
  });

  it('leaves out an interval that stops exactly at from (stop is exclusive)', () => {
    expect(intervals(office, '2026-01-12T16:00:00Z', '2026-01-13T00:00:00Z')).toEqual([]);
  });

  it('returns nothing when to is before from', () => {
    expect(intervals(office, '2026-01-13T00:00:00Z', '2026-01-12T00:00:00Z')).toEqual([]);
  });
});

describe('runIntervals of 09:00–17:00 on weekdays in America/New_York', () => {
  const newYork = schedule({ timezone: 'America/New_York', periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });

  it('shifts by an hour across the spring-forward weekend (2026-03-08)', () => {
    expect(intervals(newYork, '2026-03-06T12:00:00Z', '2026-03-09T23:00:00Z')).toEqual([
      ['2026-03-06T14:00:00.000Z', '2026-03-06T22:00:00.000Z'],
      ['2026-03-09T13:00:00.000Z', '2026-03-09T21:00:00.000Z'],
    ]);
  });

  it('shifts back by an hour across the fall-back weekend (2026-11-01)', () => {
    expect(intervals(newYork, '2026-10-30T12:00:00Z', '2026-11-02T23:00:00Z')).toEqual([
      ['2026-10-30T13:00:00.000Z', '2026-10-30T21:00:00.000Z'],
      ['2026-11-02T14:00:00.000Z', '2026-11-02T22:00:00.000Z'],
    ]);
  });
});

describe('runIntervals on the days the clocks change', () => {
  it('runs 01:30–02:30 on the spring-forward Sunday from 01:30 CET to 03:30 CEST: one hour', () => {
    const early = schedule({ periods: [{ days: ['sun'], start: '01:30', stop: '02:30' }] });

    expect(intervals(early, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toEqual([
      ['2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z'],
    ]);
  });

  it('is running at 03:15 CEST inside the 01:30–02:30 period on the spring-forward Sunday', () => {
    const early = schedule({ periods: [{ days: ['sun'], start: '01:30', stop: '02:30' }] });

    expect(desiredState(early, new Date('2026-03-29T01:15:00Z'))).toBe('running');
  });

  it('drops a 02:30–03:00 period on the spring-forward Sunday: its start moves past its stop', () => {
    const lost = schedule({ periods: [{ days: ['sun'], start: '02:30', stop: '03:00' }] });

    expect(intervals(lost, '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z')).toEqual([]);
  });

  it('runs 02:00–03:00 on the fall-back Sunday for two hours, from the earlier 02:00', () => {
    const repeated = schedule({ periods: [{ days: ['sun'], start: '02:00', stop: '03:00' }] });

    expect(intervals(repeated, '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z')).toEqual([
      ['2026-10-25T00:00:00.000Z', '2026-10-25T02:00:00.000Z'],
    ]);
  });
});

describe('runIntervals of a period spanning midnight', () => {
  const night = (timezone: string) => schedule({ timezone, periods: [{ days: ['sat'], start: '22:00', stop: '06:00' }] });

  it('runs 22:00–06:00 in Berlin for 7 hours over the spring-forward night', () => {
    const found = intervals(night('Europe/Berlin'), '2026-03-28T12:00:00Z', '2026-03-29T12:00:00Z');

    expect(found).toEqual([['2026-03-28T21:00:00.000Z', '2026-03-29T04:00:00.000Z']]);
    expect(hours(found[0]!)).toBe(7);
  });

  it('runs 22:00–06:00 in Berlin for 9 hours over the fall-back night', () => {
    const found = intervals(night('Europe/Berlin'), '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z');

    expect(found).toEqual([['2026-10-24T20:00:00.000Z', '2026-10-25T05:00:00.000Z']]);
    expect(hours(found[0]!)).toBe(9);
  });

  it('runs 22:00–06:00 in New York for 7 hours over the spring-forward night', () => {
    const found = intervals(night('America/New_York'), '2026-03-07T12:00:00Z', '2026-03-08T12:00:00Z');

    expect(found).toEqual([['2026-03-08T03:00:00.000Z', '2026-03-08T10:00:00.000Z']]);
    expect(hours(found[0]!)).toBe(7);
  });

  it('runs 22:00–06:00 in New York for 9 hours over the fall-back night', () => {
    const found = intervals(night('America/New_York'), '2026-10-31T12:00:00Z', '2026-11-01T12:00:00Z');

    expect(found).toEqual([['2026-11-01T02:00:00.000Z', '2026-11-01T11:00:00.000Z']]);
    expect(hours(found[0]!)).toBe(9);
  });

  it('finds a period that started before from and still runs', () => {
    expect(intervals(night('Europe/Berlin'), '2026-01-18T03:00:00Z', '2026-01-18T04:00:00Z')).toEqual([
      ['2026-01-17T21:00:00.000Z', '2026-01-18T05:00:00.000Z'],
    ]);
  });
});

describe('desiredState of a Friday 22:00 → Saturday 06:00 period', () => {
  const fridayNight = schedule({ periods: [{ days: ['fri'], start: '22:00', stop: '06:00' }] });

  it('is running on Saturday at 03:00 though sat is not in days', () => {
    expect(desiredState(fridayNight, new Date('2026-01-17T02:00:00Z'))).toBe('running');
  });

  it('is stopped on Saturday at 22:00', () => {
    expect(desiredState(fridayNight, new Date('2026-01-17T21:00:00Z'))).toBe('stopped');
  });

  it('is stopped on Friday at 21:59', () => {
    expect(desiredState(fridayNight, new Date('2026-01-16T20:59:00Z'))).toBe('stopped');
  });

  it('plans the Saturday 06:00 stop', () => {
    expect(transitions(fridayNight, '2026-01-17T00:00:00Z', '2026-01-18T00:00:00Z')).toEqual(['stop 2026-01-17T05:00:00.000Z']);
  });
});

describe('desiredState at the boundaries of 09:00–17:00 in Berlin', () => {
  it('is running at the start (inclusive)', () => {
    expect(desiredState(office, new Date('2026-01-12T08:00:00.000Z'))).toBe('running');
  });

  it('is stopped a millisecond before the start', () => {
    expect(desiredState(office, new Date('2026-01-12T07:59:59.999Z'))).toBe('stopped');
  });

  it('is running a millisecond before the stop', () => {
    expect(desiredState(office, new Date('2026-01-12T15:59:59.999Z'))).toBe('running');
  });

  it('is stopped at the stop (exclusive)', () => {
    expect(desiredState(office, new Date('2026-01-12T16:00:00.000Z'))).toBe('stopped');
  });

  it('is running regardless of the mode', () => {
    const stopOnly = schedule({ mode: 'stop-only', periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });

    expect(desiredState(stopOnly, new Date('2026-01-12T12:00:00Z'))).toBe('running');
  });
});

describe('skip dates', () => {
  const christmas = schedule({ skipDates: ['2026-12-25'], periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });
  const nights = schedule({ skipDates: ['2026-12-25'], periods: [{ days: WEEKDAYS, start: '22:00', stop: '06:00' }] });

  it('stops the schedule on a weekday holiday', () => {
    expect(desiredState(christmas, new Date('2026-12-25T11:00:00Z'))).toBe('stopped');
  });

  it('keeps the day before the holiday', () => {
    expect(intervals(christmas, '2026-12-24T00:00:00Z', '2026-12-26T00:00:00Z')).toEqual([
      ['2026-12-24T08:00:00.000Z', '2026-12-24T16:00:00.000Z'],
    ]);
  });

  it('lets a period that started the evening before run on into the holiday', () => {
    expect(desiredState(nights, new Date('2026-12-25T04:00:00Z'))).toBe('running');
  });

  it('cancels the period that would start on the holiday evening', () => {
    expect(desiredState(nights, new Date('2026-12-25T22:00:00Z'))).toBe('stopped');
  });

  it('plans the stop of the evening-before period and no start on the holiday', () => {
    expect(transitions(nights, '2026-12-24T12:00:00Z', '2026-12-26T12:00:00Z')).toEqual([
      'start 2026-12-24T21:00:00.000Z',
      'stop 2026-12-25T05:00:00.000Z',
    ]);
  });

  it('reads a skip date in the schedule zone, not in UTC', () => {
    const auckland = schedule({
      timezone: 'Pacific/Auckland',
      skipDates: ['2026-12-25'],
      periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }],
    });

    // 22:00Z on 24 December is 11:00 on 25 December in Auckland (NZDT, +13:00).
    expect(desiredState(auckland, new Date('2026-12-24T22:00:00Z'))).toBe('stopped');
  });
});

describe('merging periods', () => {
  it('merges adjacent periods into one interval', () => {
    const split = schedule({
      periods: [
        { days: WEEKDAYS, start: '09:00', stop: '12:00' },
        { days: WEEKDAYS, start: '12:00', stop: '17:00' },
      ],
    });

    expect(intervals(split, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      ['2026-01-12T08:00:00.000Z', '2026-01-12T16:00:00.000Z'],
    ]);
  });

  it('plans no stop and start where adjacent periods meet', () => {
    const split = schedule({
      periods: [
        { days: WEEKDAYS, start: '09:00', stop: '12:00' },
        { days: WEEKDAYS, start: '12:00', stop: '17:00' },
      ],
    });

    expect(transitions(split, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      'start 2026-01-12T08:00:00.000Z',
      'stop 2026-01-12T16:00:00.000Z',
    ]);
  });

  it('merges overlapping periods into one interval', () => {
    const overlapping = schedule({
      periods: [
        { days: WEEKDAYS, start: '09:00', stop: '13:00' },
        { days: WEEKDAYS, start: '12:00', stop: '17:00' },
      ],
    });

    expect(intervals(overlapping, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      ['2026-01-12T08:00:00.000Z', '2026-01-12T16:00:00.000Z'],
    ]);
  });

  it('merges a period ending at midnight with one starting at midnight the next day', () => {
    const lateAndEarly = schedule({
      periods: [
        { days: ['fri'], start: '22:00', stop: '00:00' },
        { days: ['sat'], start: '00:00', stop: '06:00' },
      ],
    });

    expect(intervals(lateAndEarly, '2026-01-16T12:00:00Z', '2026-01-17T12:00:00Z')).toEqual([
      ['2026-01-16T21:00:00.000Z', '2026-01-17T05:00:00.000Z'],
    ]);
  });

  it('keeps periods with a gap between them apart', () => {
    const lunch = schedule({
      periods: [
        { days: WEEKDAYS, start: '09:00', stop: '12:00' },
        { days: WEEKDAYS, start: '13:00', stop: '17:00' },
      ],
    });

    expect(intervals(lunch, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      ['2026-01-12T08:00:00.000Z', '2026-01-12T11:00:00.000Z'],
      ['2026-01-12T12:00:00.000Z', '2026-01-12T16:00:00.000Z'],
    ]);
  });
});

describe('plannedTransitions', () => {
  it('plans a start and a stop each weekday, sorted by time', () => {
    expect(transitions(office, '2026-01-12T00:00:00Z', '2026-01-14T00:00:00Z')).toEqual([
      'start 2026-01-12T08:00:00.000Z',
      'stop 2026-01-12T16:00:00.000Z',
      'start 2026-01-13T08:00:00.000Z',
      'stop 2026-01-13T16:00:00.000Z',
    ]);
  });

  it('sorts the transitions of several periods by time', () => {
    const twoPeriods = schedule({
      periods: [
        { days: ['mon'], start: '18:00', stop: '20:00' },
        { days: ['mon'], start: '06:00', stop: '08:00' },
      ],
    });

    expect(transitions(twoPeriods, '2026-01-12T00:00:00Z', '2026-01-13T00:00:00Z')).toEqual([
      'start 2026-01-12T05:00:00.000Z',
      'stop 2026-01-12T07:00:00.000Z',
      'start 2026-01-12T17:00:00.000Z',
      'stop 2026-01-12T19:00:00.000Z',
    ]);
  });

  it('leaves out a transition exactly at from', () => {
    expect(transitions(office, '2026-01-12T08:00:00Z', '2026-01-12T12:00:00Z')).toEqual([]);
  });

  it('includes a transition exactly at to', () => {
    expect(transitions(office, '2026-01-12T12:00:00Z', '2026-01-12T16:00:00Z')).toEqual(['stop 2026-01-12T16:00:00.000Z']);
  });

  it('plans only stops for a stop-only schedule', () => {
    const stopOnly = schedule({ mode: 'stop-only', periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });

    expect(transitions(stopOnly, '2026-01-12T00:00:00Z', '2026-01-14T00:00:00Z')).toEqual([
      'stop 2026-01-12T16:00:00.000Z',
      'stop 2026-01-13T16:00:00.000Z',
    ]);
  });

  it('plans only starts for a start-only schedule', () => {
    const startOnly = schedule({ mode: 'start-only', periods: [{ days: WEEKDAYS, start: '09:00', stop: '17:00' }] });

    expect(transitions(startOnly, '2026-01-12T00:00:00Z', '2026-01-14T00:00:00Z')).toEqual([
      'start 2026-01-12T08:00:00.000Z',
      'start 2026-01-13T08:00:00.000Z',
    ]);
  });

  it('plans the transitions of the spring-forward week at their new UTC times', () => {
    expect(transitions(office, '2026-03-27T00:00:00Z', '2026-03-31T00:00:00Z')).toEqual([
      'start 2026-03-27T08:00:00.000Z',
      'stop 2026-03-27T16:00:00.000Z',
      'start 2026-03-30T07:00:00.000Z',
      'stop 2026-03-30T15:00:00.000Z',
    ]);
  });

  it('plans nothing for an empty range', () => {
    expect(transitions(office, '2026-01-12T08:00:00Z', '2026-01-12T08:00:00Z')).toEqual([]);
  });
});
