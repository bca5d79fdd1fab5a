import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of events from EventBridge schedule rules. */
export const SCHEDULED_EVENT = { source: 'aws.events', detailType: 'Scheduled Event' } as const satisfies EventKind;

/**
 * Scheduled Event, sent by a rule with a `rate()` or `cron()` schedule; `detail` is empty.
 *
 * @example
 * ScheduledEventSchema.parse(raw).resources[0]; // the rule's ARN
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html
 */
export const ScheduledEventSchema = eventSchema(SCHEDULED_EVENT, z.looseObject({}));
export type ScheduledEvent = z.infer<typeof ScheduledEventSchema>;
