import * as z from './zod';

/**
 * The EventBridge event envelope: `detail` is left `unknown`. The fields of Powertools' `EventBridgeSchema`,
 * but `version` is optional.
 *
 * @example
 * EventBridgeEventSchema.parse(JSON.parse(sqsRecord.body)).id;
 * @see https://docs.aws.amazon.com/eventbridge/latest/ref/overiew-event-structure.html
 */
export const EventBridgeEventSchema = z.object({
  // EventBridge always sends "0", but AWS's own published samples often leave it out; nothing reads it.
  version: z.optional(z.string()),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime(),
  region: z.string(),
  // AWS's own samples of some events (an EC2 instance-retirement Health event) have no resources.
  resources: z._default(z.array(z.string()), []),
  'detail-type': z.string(),
  detail: z.unknown(),
  'replay-name': z.optional(z.string()),
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
export function eventSchema<S extends string, D extends string, T extends z.ZodMiniType>(kind: EventKind<S, D>, detail: T) {
  return z.extend(EventBridgeEventSchema, {
    source: z.literal(kind.source),
    'detail-type': z.literal(kind.detailType),
    detail,
  });
}
