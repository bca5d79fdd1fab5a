import { defineReflex } from '@reflex/manifest';
import { StoreConfigSchema } from '@reflex/ipam/config';

/** The reconciler writes where the sync writes: the same `databaseUrl` when it runs as a Lambda function. */
export const ReconcilerConfigSchema = StoreConfigSchema;

export const manifest = defineReflex({
  name: 'ipam-reconciler',
  description: 'Lists VPCs, subnets and instances on a schedule and corrects the IPAM drift that lost or reordered events leave.',
  triggers: [{ kind: 'schedule', expression: 'rate(6 hours)', description: 'reconcile the IPAM with EC2' }],
  config: ReconcilerConfigSchema,
  // None of these has resource-level permissions: "*" is the only resource they take.
  permissions: () => [
    {
      sid: 'ListInstancesAndNetworks',
      actions: ['ec2:DescribeInstances', 'ec2:DescribeSubnets', 'ec2:DescribeVpcs', 'ec2:DescribeInstanceTypes'],
      resources: ['*'],
    },
  ],
  // Listing a large account and writing its corrections takes minutes; one run at a time.
  timeoutSeconds: 600,
  memoryMb: 512,
  batchSize: 1,
  maxConcurrency: 2,
  maxReceiveCount: 2,
});
