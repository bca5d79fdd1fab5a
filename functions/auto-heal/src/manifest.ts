import { AWS_HEALTH_EVENT, CLOUDWATCH_ALARM_STATE_CHANGE, REFLEX_TAGS } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { defineReflex, type Permission, type Trigger } from '@reflex/manifest';

/** CloudWatch alarm names: 1–255 characters; Reflex keeps to those an IAM ARN pattern can name without quoting. */
const alarmName = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-"'));
const int = (min: number, max: number, fallback: number) => z._default(z.int().check(z.gte(min), z.lte(max)), fallback);

/** The auto-heal reflex's configuration. */
export const AutoHealConfigSchema = z.object({
  /**
   * Alarms whose name starts with this heal their instance: the status-check alarms auto-heal keeps
   * (`<prefix><instance-id>`) and any alarm a team names so. Its role may change alarms of this prefix only.
   * Environments sharing an account and Region need different prefixes.
   */
  alarmPrefix: z._default(alarmName(200), 'reflex-heal-'),
  /** Further alarms (application health, say) whose ALARM transitions heal the instance of their `InstanceId` dimension. */
  alarmNames: z._default(z.array(alarmName(255)).check(z.maxLength(50)), []),
  /** Keep an EC2 status-check alarm (`StatusCheckFailed`) for every running instance tagged `reflex:heal=true`. */
  statusCheckAlarms: z._default(z.boolean(), true),
  /** Last step of the ladder: mark an instance of an Auto Scaling group Unhealthy, so that the group replaces it. */
  replace: z._default(z.boolean(), false),
  /** Minutes a step has to work before the next one (and between any two actions on an instance). */
  cooldownMinutes: int(1, 24 * 60, 10),
  /** Actions per instance within `budgetWindowHours`; past it, one critical alert and no action until the window passes. */
  maxActionsPerWindow: int(1, 20, 3),
  budgetWindowHours: int(1, 7 * 24, 24),
  /** How long another reflex's (or a person's) recorded intent to stop an instance keeps auto-heal away from it. */
  intentWindowMinutes: int(1, 24 * 60, 30),
  /** How long auto-heal leaves a failing system status check to EC2's automatic recovery before it acts itself. */
  recoveryWaitMinutes: int(0, 24 * 60, 15),
  /** How long one event's stop/starts wait for their instances to stop (all of a timer run's together); the timer starts a slower one later. */
  stopWaitSeconds: int(0, 60, 30),
});
export type AutoHealConfig = z.output<typeof AutoHealConfigSchema>;

/** The status-check alarm auto-heal keeps for an instance: `<prefix><instance-id>`. */
export const statusCheckAlarmName = (config: Pick<AutoHealConfig, 'alarmPrefix'>, instanceId: string) => `${config.alarmPrefix}${instanceId}`;

/** How often the timer runs: the alarm sweep, and the follow-up of every step whose cooldown ran out. */
export const TIMER = 'rate(5 minutes)';

/** The triggers for one config: ALARM transitions of its alarms, AWS Health events of EC2, and the timer. */
export function healTriggers(config: AutoHealConfig): Trigger[] {
  return [
    {
      kind: 'event',
      description: 'an alarm of auto-heal (its prefix, or listed) went into ALARM from another state',
      pattern: {
        source: [CLOUDWATCH_ALARM_STATE_CHANGE.source],
        'detail-type': [CLOUDWATCH_ALARM_STATE_CHANGE.detailType],
        detail: {
          alarmName: [{ prefix: config.alarmPrefix }, ...config.alarmNames],
          state: { value: ['ALARM'] },
          previousState: { value: [{ 'anything-but': 'ALARM' }] },
        },
      },
    },
    {
      kind: 'event',
      description: 'AWS Health: an EC2 issue or scheduled change opened or closed for instances',
      pattern: { source: [AWS_HEALTH_EVENT.source], 'detail-type': [AWS_HEALTH_EVENT.detailType], detail: { service: ['EC2'] } },
    },
    { kind: 'schedule', expression: TIMER, description: 'timer: keep the status-check alarms, and follow up each step once its cooldown ran out' },
  ];
}

const INSTANCES = 'arn:${partition}:ec2:${region}:${account}:instance/*';
const alarmArn = (name: string) => `arn:\${partition}:cloudwatch:\${region}:\${account}:alarm:${name}`;

/** The role's statements for one config. */
export function healPermissions(config: AutoHealConfig): Permission[] {
  const optedIn = { test: 'StringEquals', variable: `aws:ResourceTag/${REFLEX_TAGS.heal}`, values: ['true'] };
  const ownAlarms = alarmArn(`${config.alarmPrefix}*`);
  return [
    // DescribeInstances and DescribeInstanceStatus have no resource-level permissions: "*" is the only resource they take.
    { sid: 'ReadInstancesAndTheirStatus', actions: ['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus'], resources: ['*'] },
    // DescribeAlarms takes alarm ARNs (composite alarms need "*", and auto-heal reads none).
    {
      sid: 'ReadItsAlarms',
      actions: ['cloudwatch:DescribeAlarms'],
      resources: [ownAlarms, ...config.alarmNames.filter((n) => !n.startsWith(config.alarmPrefix)).map(alarmArn)],
    },
    ...(config.statusCheckAlarms
      ? [{ sid: 'KeepItsStatusCheckAlarms', actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'], resources: [ownAlarms] }]
      : []),
    { sid: 'RebootStopStartOptedInInstances', actions: ['ec2:RebootInstances', 'ec2:StopInstances', 'ec2:StartInstances'], resources: [INSTANCES], conditions: [optedIn] },
    {
      sid: 'RecordStopIntentOnOptedInInstances',
      actions: ['ec2:CreateTags'],
      resources: [INSTANCES],
      conditions: [optedIn, { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: [REFLEX_TAGS.stopIntent] }],
    },
    ...(config.replace
      ? [
          {
            sid: 'ReplaceInOptedInGroups',
            actions: ['autoscaling:SetInstanceHealth'],
            resources: ['arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/*'],
            // The group's own tag: tag the group reflex:heal=true (propagated at launch, it opts its instances in too).
            conditions: [{ test: 'StringEquals', variable: `autoscaling:ResourceTag/${REFLEX_TAGS.heal}`, values: ['true'] }],
          },
        ]
      : []),
  ];
}

export const manifest = defineReflex({
  name: 'auto-heal',
  // Heals in the account of each alarm; each timer tick keeps the alarms and follows up the ladders of every account.
  spokes: 'events-and-timers',
  description: 'Reboots, then stops/starts (then, optionally, replaces) EC2 instances tagged reflex:heal=true whose status checks or health alarms fail, within a budget.',
  triggers: healTriggers(z.parse(AutoHealConfigSchema, {})),
  triggersFor: healTriggers,
  config: AutoHealConfigSchema,
  permissions: healPermissions,
  state: { partitionKey: 'pk', sortKey: 'sk', ttlAttribute: 'ttl' },
  loopGuard: {
    skipOwnCalls: true,
    ignores: [
      {
        reflex: 'auto-heal',
        actions: ['cloudwatch:PutMetricAlarm'],
        reason:
          "an alarm it creates goes into ALARM only when its instance's status checks fail (the signal auto-heal is for), and healing creates no alarm; every action on an instance counts against its budget",
      },
    ],
  },
  memoryMb: 256,
  // A batch of 5 events, each waiting at most stopWaitSeconds (≤ 60) for stops: well inside 300 s.
  timeoutSeconds: 300,
  batchSize: 5,
  maxConcurrency: 5,
  // Busy leases and claims are retried: five receives before the dead-letter queue.
  maxReceiveCount: 5,
});
