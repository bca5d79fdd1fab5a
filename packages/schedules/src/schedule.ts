import * as z from '@reflex/events/zod';
import { isCalendarDate, isTimeOfDay, isTimeZone, WEEKDAYS } from './zoned-time';

const timeOfDay = (field: 'start' | 'stop') =>
  z.string().check(z.refine(isTimeOfDay, { error: (issue) => `${field} must be HH:MM (00:00 to 23:59), got ${JSON.stringify(issue.input)}` }));

const PeriodSchema = z
  .strictObject({
    days: z
      .array(z.enum(WEEKDAYS, { error: (issue) => `days must be mon, tue, wed, thu, fri, sat or sun, got ${JSON.stringify(issue.input)}` }))
      .check(z.minLength(1, { error: 'days must list at least one weekday' })),
    start: timeOfDay('start'),
    stop: timeOfDay('stop'),
  })
  .check(
    z.refine((period) => period.start !== period.stop, {
      error: 'stop must differ from start (stop before start runs past midnight into the next day)',
      path: ['stop'],
    }),
  );

/**
 * One named schedule: when instances that choose it should run, in an IANA time zone.
 * A period runs on each of its `days` from `start` to `stop` local time; a `stop` earlier than
 * `start` runs past midnight into the next day. `skipDates` cancel the periods starting on them.
 *
 * @default skipDates []
 * @default mode 'start-stop'
 * @example
 * const office = ScheduleSchema.parse({
 *   name: 'berlin-office',
 *   timezone: 'Europe/Berlin',
 *   periods: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', stop: '18:00' }],
 *   skipDates: ['2026-12-25'],
 * });
 * @see https://aws.amazon.com/solutions/implementations/instance-scheduler-on-aws/
 */
export const ScheduleSchema = z.strictObject({
  name: z.string().check(z.regex(/^[a-z0-9-]+$/, { error: 'name must be lower-case letters, digits and dashes' })),
  timezone: z
    .string()
    .check(
      z.refine(isTimeZone, { error: (issue) => `timezone must be an IANA time zone such as Europe/Berlin, got ${JSON.stringify(issue.input)}` }),
    ),
  periods: z.array(PeriodSchema).check(z.minLength(1, { error: 'periods must list at least one period' })),
  skipDates: z._default(
    z.array(
      z.string().check(
        z.refine(isCalendarDate, {
          error: (issue) => `skipDates must hold YYYY-MM-DD calendar dates, got ${JSON.stringify(issue.input)}`,
        }),
      ),
    ),
    [],
  ),
  mode: z._default(
    z.enum(['start-stop', 'stop-only', 'start-only'], { error: 'mode must be start-stop, stop-only or start-only' }),
    'start-stop',
  ),
});
export type Schedule = z.output<typeof ScheduleSchema>;

/**
 * A list of schedules whose names are unique.
 *
 * @example
 * const schedules = SchedulesSchema.parse(config.schedules);
 */
export const SchedulesSchema = z.array(ScheduleSchema).check(
  z.superRefine((schedules, ctx) => {
    const seen = new Set<string>();
    schedules.forEach((schedule, index) => {
      if (seen.has(schedule.name)) {
        ctx.addIssue({ code: 'custom', message: `name "${schedule.name}" is used by more than one schedule`, path: [index, 'name'] });
      }
      seen.add(schedule.name);
    });
  }),
);
