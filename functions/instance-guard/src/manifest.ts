import { EC2_STATE_CHANGE } from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import { z } from 'zod';

/** The instance guard's configuration. */
export const GuardConfigSchema = z.object({
  /** The tag that marks an instance as protected, and the value it must have. */
  protectTag: z
    .object({ key: z.string().min(1).max(128), value: z.string().max(256) })
    .default({ key: 'reflex:protect', value: 'true' }),
});
export type GuardConfig = z.output<typeof GuardConfigSchema>;

export const manifest = defineReflex({
  name: 'instance-guard',
  description: 'Starts protected EC2 instances (tag reflex:protect=true) again when they enter "stopped".',
  triggers: [
    {
      kind: 'event',
      description: 'an EC2 instance entered the stopped state',
      pattern: {
        source: [EC2_STATE_CHANGE.source],
        'detail-type': [EC2_STATE_CHANGE.detailType],
        detail: { state: ['stopped'] },
      },
    },
  ],
  config: GuardConfigSchema,
  permissions: (config) => [
    // DescribeInstances has no resource-level permissions: "*" is the only resource it takes.
    { sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] },
    {
      sid: 'StartProtectedInstances',
      actions: ['ec2:StartInstances'],
      resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
      conditions: [
        { test: 'StringEquals', variable: `aws:ResourceTag/${config.protectTag.key}`, values: [config.protectTag.value] },
      ],
    },
  ],
  memoryMb: 256,
  timeoutSeconds: 30,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
});
