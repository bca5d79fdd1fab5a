import { z } from 'zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of GuardDuty findings. */
export const GUARDDUTY_FINDING = { source: 'aws.guardduty', detailType: 'GuardDuty Finding' } as const satisfies EventKind;

const RemoteIpSchema = z.object({ ipAddressV4: z.string().optional(), ipAddressV6: z.string().optional() }).loose();

/** The `detail` of a GuardDuty finding: the fields the network reflexes need; the rest passes through. */
export const GuardDutyFindingDetailSchema = z
  .object({
    // AWS's own published samples leave out id, accountId and region; a real finding has them.
    id: z.string().optional(),
    type: z.string(),
    severity: z.number().min(0).max(10),
    accountId: z.string().optional(),
    region: z.string().optional(),
    resource: z
      .object({
        resourceType: z.string(),
        instanceDetails: z
          .object({
            instanceId: z.string().optional(),
            networkInterfaces: z
              .array(z.object({ subnetId: z.string().optional(), vpcId: z.string().optional() }).loose())
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose(),
    service: z
      .object({
        action: z
          .object({
            actionType: z.string().optional(),
            networkConnectionAction: z.object({ remoteIpDetails: RemoteIpSchema.optional() }).loose().optional(),
            portProbeAction: z
              .object({ portProbeDetails: z.array(z.object({ remoteIpDetails: RemoteIpSchema.optional() }).loose()) })
              .loose()
              .optional(),
          })
          .loose()
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose();
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
