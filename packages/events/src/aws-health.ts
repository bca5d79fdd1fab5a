import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of AWS Health events (scheduled changes, issues, notifications). */
export const AWS_HEALTH_EVENT = { source: 'aws.health', detailType: 'AWS Health Event' } as const satisfies EventKind;

/** The `detail` of an AWS Health event: the fields reflexes use; the rest passes through. */
export const AwsHealthDetailSchema = z.looseObject({
  eventArn: z.string(),
  service: z.string(),
  eventTypeCode: z.string(),
  /** `issue`, `accountNotification` or `scheduledChange`. */
  eventTypeCategory: z.string(),
  startTime: z.optional(z.string()),
  endTime: z.optional(z.string()),
  /** The resources it concerns: for Direct Connect, connection ids (`dxcon-…`). */
  affectedEntities: z.optional(z.array(z.looseObject({ entityValue: z.string() }))),
});
export type AwsHealthDetail = z.infer<typeof AwsHealthDetailSchema>;

/**
 * AWS Health Event.
 *
 * @example
 * const health = AwsHealthEventSchema.parse(raw);
 * health.detail.affectedEntities?.map((e) => e.entityValue); // ["dxcon-…"]
 * @see https://docs.aws.amazon.com/health/latest/ug/aws-health-events-eventbridge-schema.html
 */
export const AwsHealthEventSchema = eventSchema(AWS_HEALTH_EVENT, AwsHealthDetailSchema);
export type AwsHealthEvent = z.infer<typeof AwsHealthEventSchema>;
