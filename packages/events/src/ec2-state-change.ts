import * as z from './zod';
import { eventSchema, type EventKind } from './envelope';

/** Source and detail-type of EC2 instance state changes. */
export const EC2_STATE_CHANGE = {
  source: 'aws.ec2',
  detailType: 'EC2 Instance State-change Notification',
} as const satisfies EventKind;

/** The states an EC2 instance reports in its state-change notifications. */
export const Ec2InstanceStateSchema = z.enum([
  'pending',
  'running',
  'stopping',
  'stopped',
  'shutting-down',
  'terminated',
]);
export type Ec2InstanceState = z.infer<typeof Ec2InstanceStateSchema>;

/** The `detail` of an EC2 Instance State-change Notification (the field is `instance-id`). */
export const Ec2StateChangeDetailSchema = z.object({
  'instance-id': z.string().check(z.regex(/^i-[0-9a-f]{8,17}$/, 'not an EC2 instance id')),
  state: Ec2InstanceStateSchema,
});
export type Ec2StateChangeDetail = z.infer<typeof Ec2StateChangeDetailSchema>;

/**
 * EC2 Instance State-change Notification.
 *
 * @example
 * const event = Ec2StateChangeSchema.parse(raw);
 * event.detail['instance-id']; // "i-abcd1111"
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/monitoring-instance-state-changes.html
 */
export const Ec2StateChangeSchema = eventSchema(EC2_STATE_CHANGE, Ec2StateChangeDetailSchema);
export type Ec2StateChange = z.infer<typeof Ec2StateChangeSchema>;
