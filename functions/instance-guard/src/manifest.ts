import { AWS_API_CALL_DETAIL_TYPE, EC2_STATE_CHANGE, REFLEX_TAGS } from '@reflex/events';
import { defineReflex } from '@reflex/manifest';
import * as z from '@reflex/events/zod';

/** The instance guard's configuration. */
export const GuardConfigSchema = z.object({
  /** The tag that marks an instance as protected, and the value it must have. */
  protectTag: z._default(z.object({ key: z.string().check(z.minLength(1), z.maxLength(128)), value: z.string().check(z.maxLength(256)) }), {
    key: REFLEX_TAGS.protect,
    value: 'true',
  }),
  /** Restarts per instance within an hour; then the guard alerts instead of restarting. */
  maxRestartsPerHour: z._default(z.int().check(z.gte(1), z.lte(10)), 3),
  /** How long a reflex's recorded intent to stop (or a recorded stopper) explains a stop. */
  intentWindowMinutes: z._default(z.int().check(z.gte(1), z.lte(24 * 60)), 30),
  /** Principals whose stops are intended: role or user ARNs, or role names. */
  allowedPrincipals: z._default(z.array(z.string().check(z.minLength(1))), []),
});
export type GuardConfig = z.output<typeof GuardConfigSchema>;

export const manifest = defineReflex({
  name: 'instance-guard',
  // Restarts protected instances in the account whose event says they stopped (a spoke role in each member).
  spokes: 'events',
  description: 'Starts protected EC2 instances (tag reflex:protect=true) again when they stop unintentionally.',
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
    {
      kind: 'event',
      description: 'someone stopped instances (CloudTrail): the guard records who',
      pattern: {
        source: ['aws.ec2'],
        'detail-type': [AWS_API_CALL_DETAIL_TYPE],
        detail: { eventSource: ['ec2.amazonaws.com'], eventName: ['StopInstances'], errorCode: [{ exists: false }] },
      },
    },
  ],
  config: GuardConfigSchema,
  permissions: (config) => {
    const protectedOnly = {
      test: 'StringEquals',
      variable: `aws:ResourceTag/${config.protectTag.key}`,
      values: [config.protectTag.value],
    };
    return [
      // DescribeInstances has no resource-level permissions: "*" is the only resource it takes.
      { sid: 'ReadInstances', actions: ['ec2:DescribeInstances'], resources: ['*'] },
      {
        sid: 'StartProtectedInstances',
        actions: ['ec2:StartInstances'],
        resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
        conditions: [protectedOnly],
      },
      {
        sid: 'KeepItsLedgerOnProtectedInstances',
        actions: ['ec2:CreateTags'],
        resources: ['arn:${partition}:ec2:${region}:${account}:instance/*'],
        conditions: [
          protectedOnly,
          { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.stoppedBy, REFLEX_TAGS.restarts] },
        ],
      },
    ];
  },
  loopGuard: {
    skipOwnCalls: true,
    ignores: [
      {
        reflex: 'instance-scheduler',
        actions: ['ec2:StopInstances'],
        reason: `the scheduler tags ${REFLEX_TAGS.stopIntent} before it stops an instance, and the guard does not restart an instance whose stop a reflex intended (core.ts, intendedStop)`,
      },
      {
        reflex: 'auto-heal',
        actions: ['ec2:StopInstances'],
        reason: `auto-heal tags ${REFLEX_TAGS.stopIntent} before it stops an instance to move it to another host, and starts it again itself; the guard does not restart an instance whose stop a reflex intended (core.ts, intendedStop)`,
      },
      {
        reflex: 'reaper',
        actions: ['ec2:StopInstances'],
        reason: `the reaper tags ${REFLEX_TAGS.stopIntent} before it stops an expired instance (and never touches one tagged ${REFLEX_TAGS.protect}); the guard does not restart an instance whose stop a reflex intended (core.ts, intendedStop)`,
      },
    ],
  },
  memoryMb: 256,
  timeoutSeconds: 30,
  batchSize: 10,
  maxConcurrency: 5,
  maxReceiveCount: 3,
});
