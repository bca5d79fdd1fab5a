import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of GuardDuty findings. */
export const GUARDDUTY_FINDING = { source: 'aws.guardduty', detailType: 'GuardDuty Finding' } as const satisfies EventKind;

const RemoteIpSchema = z.looseObject({ ipAddressV4: z.optional(z.string()), ipAddressV6: z.optional(z.string()) });

/** The `detail` of a GuardDuty finding: the fields the network reflexes need; the rest passes through. */
export const GuardDutyFindingDetailSchema = z.looseObject({
  // AWS's own published samples leave out id, accountId and region; a real finding has them.
  id: z.optional(z.string()),
  type: z.string(),
  severity: z.number().check(z.gte(0), z.lte(10)),
  accountId: z.optional(z.string()),
  region: z.optional(z.string()),
  updatedAt: z.optional(z.string()),
  resource: z.looseObject({
    resourceType: z.string(),
    instanceDetails: z.optional(
      z.looseObject({
        instanceId: z.optional(z.string()),
        networkInterfaces: z.optional(
          z.array(
            z.looseObject({
              networkInterfaceId: z.optional(z.string()),
              subnetId: z.optional(z.string()),
              vpcId: z.optional(z.string()),
            }),
          ),
        ),
      }),
    ),
  }),
  service: z.optional(
    z.looseObject({
      /** `TARGET`: the resource was acted on (e.g. brute-forced); `ACTOR`: it acted (e.g. it brute-forces others). */
      resourceRole: z.optional(z.string()),
      eventFirstSeen: z.optional(z.string()),
      eventLastSeen: z.optional(z.string()),
      count: z.optional(z.number()),
      action: z.optional(
        z.looseObject({
          actionType: z.optional(z.string()),
          networkConnectionAction: z.optional(
            z.looseObject({
              /** `INBOUND`: the remote address connected to the instance; `OUTBOUND`: the instance connected out. */
              connectionDirection: z.optional(z.string()),
              remoteIpDetails: z.optional(RemoteIpSchema),
            }),
          ),
          portProbeAction: z.optional(
            z.looseObject({ portProbeDetails: z.array(z.looseObject({ remoteIpDetails: z.optional(RemoteIpSchema) })) }),
          ),
        }),
      ),
    }),
  ),
});
export type GuardDutyFindingDetail = z.infer<typeof GuardDutyFindingDetailSchema>;

/**
 * GuardDuty Finding.
 *
 * @example
 * remoteIps(GuardDutyFindingSchema.parse(raw).detail); // ["198.51.100.0"]
 * @see https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html
 */
export const GuardDutyFindingSchema = eventSchema(GUARDDUTY_FINDING, GuardDutyFindingDetailSchema);
export type GuardDutyFinding = z.infer<typeof GuardDutyFindingSchema>;

/** The remote IP addresses a finding names (connection and port-probe actions), without duplicates. */
export function remoteIps(detail: GuardDutyFindingDetail): string[] {
  const action = detail.service?.action;
  const details = [
    action?.networkConnectionAction?.remoteIpDetails,
    ...(action?.portProbeAction?.portProbeDetails.map((p) => p.remoteIpDetails) ?? []),
  ];
  const ips = details.flatMap((d) => [d?.ipAddressV4, d?.ipAddressV6]).filter((ip): ip is string => !!ip);
  return [...new Set(ips)];
}

/**
 * Whether the finding's resource is the target of the remote addresses (an inbound connection or a port
 * probe against it), not their victim's attacker. Without a role or direction, a port probe counts as
 * inbound (GuardDuty reports probes only against the resource) and anything else does not.
 */
export function isTargetOfRemote(detail: GuardDutyFindingDetail): boolean {
  const role = detail.service?.resourceRole;
  if (role && role !== 'TARGET') return false;
  const action = detail.service?.action;
  if (action?.portProbeAction) return true;
  const direction = action?.networkConnectionAction?.connectionDirection;
  return direction === 'INBOUND' || (direction === undefined && role === 'TARGET');
}
