export { type Schedule, ScheduleSchema, SchedulesSchema } from './schedule';
export { desiredState, plannedTransitions, runIntervals } from './intervals';
export { localParts, type Weekday, zonedTimeToUtc } from './zoned-time';
