import { randomUUID } from 'node:crypto';
import { AlarmStateChangeSchema, AwsHealthEventSchema, ScheduledEventSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { ConfigError, reflexHandler } from '@reflex/lambda-kit';
import { AutoScalingGroups } from './adapters/autoscaling';
import { CloudWatchAlarms } from './adapters/cloudwatch';
import { DynamoHealState } from './adapters/dynamodb';
import { Ec2Instances } from './adapters/ec2';
import { autoHeal } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: z.union([AlarmStateChangeSchema, AwsHealthEventSchema, ScheduledEventSchema]),
  init: ({ config, dryRun, log, stateTable, spokes }) => {
    if (!stateTable) throw new ConfigError('reflex "auto-heal": REFLEX_STATE_TABLE is not set');
    const instances = new Ec2Instances(dryRun);
    const alarms = new CloudWatchAlarms(dryRun);
    const groups = new AutoScalingGroups(dryRun);
    const state = new DynamoHealState(stateTable, dryRun);
    const holder = randomUUID();
    return (event) =>
      autoHeal(event, {
        instances,
        alarms,
        groups,
        state,
        config,
        log,
        holder,
        now: () => new Date(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        instanceArn: (id) => `arn:aws:ec2:${event.region}:${event.account}:instance/${id}`,
        // The event's account (a timer's turn comes as that account's): with member accounts, ladders name theirs.
        ...(spokes ? { account: event.account, hubAccount: spokes.hub } : {}),
      });
  },
});
