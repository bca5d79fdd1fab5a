import { EC2_STATE_CHANGE } from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import * as z from '@reflex/events/zod';

/** The enricher has nothing to configure: it describes every instance that changes state. */
export const EnricherConfigSchema = z.object({});
export type EnricherConfig = z.output<typeof EnricherConfigSchema>;

export const manifest = defineReflex({
  name: 'ipam-enricher',
  // Describes instances in the account they live in.
  spokes: 'events',
  description: 'Describes each EC2 instance that changes state and sends its addresses, subnets and VPCs to the IPAM queue.',
  triggers: [
    {
      kind: 'event',
      description: 'every EC2 instance state change: pending, running, stopping, stopped, shutting-down, terminated',
      pattern: { source: [EC2_STATE_CHANGE.source], 'detail-type': [EC2_STATE_CHANGE.detailType] },
    },
  ],
  sendsTo: ['ipam-sync'],
  config: EnricherConfigSchema,
  // None of these has resource-level permissions: "*" is the only resource they take.
  permissions: () => [
    {
      sid: 'DescribeInstancesAndNetworks',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeInstanceTypes'],
      resources: ['*'],
    },
  ],
  // A fleet that starts together sends bursts of state changes; larger batches share the subnet/VPC cache.
  batchSize: 10,
  maxConcurrency: 5,
});
