import { EventBridgeSchema } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import { z } from 'zod';

/**
 * The EventBridge event envelope (Powertools' schema): `detail` is left `unknown`.
 *
 * @example
 * EventBridgeEventSchema.parse(JSON.parse(sqsRecord.body)).id;
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 */
export const EventBridgeEventSchema = EventBridgeSchema.extend({
  // EventBridge always sends "0", but AWS's own published samples often leave it out; nothing reads it.
  version: z.string().optional(),
});
export type EventBridgeEvent = z.infer<typeof EventBridgeEventSchema>;

/** The `source` and `detail-type` that identify one kind of event. */
export interface EventKind<S extends string = string, D extends string = string> {
  readonly source: S;
  readonly detailType: D;
}

/**
 * Builds the schema of one kind of EventBridge event: the envelope with `source`
 * and `detail-type` pinned and a typed `detail`.
 *
 * @example
 * const Ec2StateChangeSchema = eventSchema(EC2_STATE_CHANGE, Ec2StateChangeDetailSchema);
 */
export function eventSchema<S extends string, D extends string, T extends z.ZodType>(
  kind: EventKind<S, D>,
  detail: T,
) {
  return EventBridgeEventSchema.extend({
    source: z.literal(kind.source),
    'detail-type': z.literal(kind.detailType),
    detail,
  });
}
