import { REFLEX_TAGS } from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import { SchedulesSchema } from '@reflex/schedules';
import * as z from '@reflex/events/zod';

/** How often the scheduler runs; it acts on the transitions of the last two runs (one may be lost). */
export const RUN_EVERY_MINUTES = 5;

/** The instance scheduler's configuration. */
export const SchedulerConfigSchema = z.object({
  /** The named schedules instances choose with `reflex:schedule=<name>`. */
  schedules: z._default(SchedulesSchema, []),
  /** Instances per StopInstances/StartInstances call. */
  batchSize: z._default(z.int().check(z.gte(1), z.lte(1000)), 50),
  /**
   * `false` (default): act only at a schedule's transitions, so a person may start an instance outside its
   * period. `true`: enforce the desired state on every run.
   */
  enforce: z._default(z.boolean(), false),
});
export type SchedulerConfig = z.output<typeof SchedulerConfigSchema>;

const SCHEDULED_INSTANCES = {
  // The instance carries a reflex:schedule tag (the Null test: the key is not absent).
  test: 'Null',
  variable: `aws:ResourceTag/${REFLEX_TAGS.schedule}`,
  values: ['false'],
};

export const manifest = defineReflex({
  name: 'instance-scheduler',
  // Each tick schedules the hub's instances and each member account's, through its spoke role there.
  spokes: 'events-and-timers',
  description: 'Starts and stops EC2 instances by named schedules (IANA time zones, minute periods, skip dates).',
  triggers: [{ kind: 'schedule', expression: `rate(${RUN_EVERY_MINUTES} minutes)`, description: 'every few minutes' }],
  config: SchedulerConfigSchema,
  permissions: () => [
    // DescribeInstances has no resource-level permissions: "*" is the only resource it takes.
    { sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] },
    {
      sid: 'StartAndStopScheduledInstances',
      actions: ['ec2:StartInstances', 'ec2:StopInstances'],
      resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
      conditions: [SCHEDULED_INSTANCES],
    },
    {
      sid: 'RecordIntentOnScheduledInstances',
      actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
      resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
      conditions: [
        SCHEDULED_INSTANCES,
        { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.stopIntent] },
      ],
    },
  ],
  memoryMb: 256,
  timeoutSeconds: 120,
  batchSize: 1,
  maxConcurrency: 2,
  maxReceiveCount: 3,
});

