import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of a manual override of a route failover path. */
export const REFLEX_ROUTE_OVERRIDE = { source: 'reflex', detailType: 'Reflex Route Override' } as const satisfies EventKind;

/** The `detail` of a Reflex Route Override. */
export const RouteOverrideDetailSchema = z.object({
  path: z.string().check(z.minLength(1)),
  /** `backup`: move to (and hold on) the backup; `primary`: move back (and hold); `auto`: the timers decide again (and a frozen path is released). */
  to: z.enum(['backup', 'primary', 'auto']),
  requestedBy: z.string().check(z.minLength(1), z.maxLength(256)),
  reason: z._default(z.string().check(z.maxLength(256)), ''),
});
export type RouteOverrideDetail = z.infer<typeof RouteOverrideDetailSchema>;

/**
 * Reflex Route Override: `reflex routes failover <path> --to backup|primary|auto` asks the route failover,
 * through the reflex bus, to hold a path on one side or to let its timers decide again.
 */
export const RouteOverrideSchema = eventSchema(REFLEX_ROUTE_OVERRIDE, RouteOverrideDetailSchema);
export type RouteOverride = z.infer<typeof RouteOverrideSchema>;
