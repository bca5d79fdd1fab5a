import { describe, expect, it } from '@jest/globals';
import { ScheduleSchema, SchedulesSchema } from './schedule';

const office = {
  name: 'berlin-office',
  timezone: 'Europe/Berlin',
  periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', stop: '17:00' }],
};

/** The first issue of a failed parse, as path and message. */
function firstIssue(input: unknown) {
  const result = ScheduleSchema.safeParse(input);
  if (result.success) throw new Error('expected the schedule to be rejected');
  const issue = result.error.issues[0];
  return { path: issue?.path, message: issue?.message ?? '' };
}

describe('ScheduleSchema', () => {
  it('parses a schedule and defaults skipDates to [] and mode to start-stop', () => {
    const schedule = ScheduleSchema.parse(structuredClone(office));

    expect(schedule).toEqual({ ...office, skipDates: [], mode: 'start-stop' });
  });

  it('keeps the skip dates and mode it is given', () => {
    const schedule = ScheduleSchema.parse({ ...structuredClone(office), skipDates: ['2026-12-25'], mode: 'stop-only' });

    expect([schedule.skipDates, schedule.mode]).toEqual([['2026-12-25'], 'stop-only']);
  });

  it('accepts a period whose stop is before its start (it spans midnight)', () => {
    const input = { ...structuredClone(office), periods: [{ days: ['fri'], start: '22:00', stop: '06:00' }] };

    expect(ScheduleSchema.safeParse(input).success).toBe(true);
  });

  it('rejects the unknown zone Mars/Olympus, naming the timezone field', () => {
    const issue = firstIssue({ ...structuredClone(office), timezone: 'Mars/Olympus' });

    expect(issue.path).toEqual(['timezone']);
    expect(issue.message).toContain('timezone');
    expect(issue.message).toContain('Mars/Olympus');
  });

  it('rejects a UTC offset in place of a zone name', () => {
    const issue = firstIssue({ ...structuredClone(office), timezone: '+01:00' });

    expect(issue.path).toEqual(['timezone']);
  });

  it('rejects the start time 25:00, naming the start field', () => {
    const input = structuredClone(office);
    input.periods[0]!.start = '25:00';
    const issue = firstIssue(input);

    expect(issue.path).toEqual(['periods', 0, 'start']);
    expect(issue.message).toContain('start');
    expect(issue.message).toContain('25:00');
  });

  it('rejects a time without a leading zero (9:00)', () => {
    const input = structuredClone(office);
    input.periods[0]!.stop = '9:00';

    expect(firstIssue(input).path).toEqual(['periods', 0, 'stop']);
  });

  it('rejects a period with no days, naming the days field', () => {
    const input = structuredClone(office);
    input.periods[0]!.days = [];
    const issue = firstIssue(input);

    expect(issue.path).toEqual(['periods', 0, 'days']);
    expect(issue.message).toContain('days');
  });

  it('rejects a weekday spelled Monday', () => {
    const input = structuredClone(office);
    input.periods[0]!.days = ['Monday'];

    expect(firstIssue(input).path).toEqual(['periods', 0, 'days', 0]);
  });

  it('rejects a period whose start equals its stop, naming the stop field', () => {
    const input = structuredClone(office);
    input.periods[0]!.stop = '09:00';
    const issue = firstIssue(input);

    expect(issue.path).toEqual(['periods', 0, 'stop']);
    expect(issue.message).toContain('stop must differ from start');
  });

  it('rejects a schedule with no periods', () => {
    expect(firstIssue({ ...structuredClone(office), periods: [] }).path).toEqual(['periods']);
  });

  it('rejects a name with upper-case letters', () => {
    expect(firstIssue({ ...structuredClone(office), name: 'Berlin-Office' }).path).toEqual(['name']);
  });

  it('rejects a skip date that is not in the calendar', () => {
    const issue = firstIssue({ ...structuredClone(office), skipDates: ['2026-02-30'] });

    expect(issue.path).toEqual(['skipDates', 0]);
    expect(issue.message).toContain('skipDates');
  });

  it('rejects an unknown mode', () => {
    expect(firstIssue({ ...structuredClone(office), mode: 'always' }).path).toEqual(['mode']);
  });

  it('rejects a misspelled key rather than ignoring it (skipDate)', () => {
    const issue = firstIssue({ ...structuredClone(office), skipDate: ['2026-12-25'] });

    expect(issue.message).toContain('skipDate');
  });
});

describe('SchedulesSchema', () => {
  it('parses schedules with distinct names', () => {
    const schedules = SchedulesSchema.parse([structuredClone(office), { ...structuredClone(office), name: 'night' }]);

    expect(schedules.map((s) => s.name)).toEqual(['berlin-office', 'night']);
  });

  it('rejects a duplicate name, naming it', () => {
    const result = SchedulesSchema.safeParse([structuredClone(office), { ...structuredClone(office), timezone: 'UTC' }]);

    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([1, 'name']);
    expect(result.error?.issues[0]?.message).toContain('berlin-office');
  });
});
