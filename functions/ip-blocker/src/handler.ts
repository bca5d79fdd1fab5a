import { randomUUID } from 'node:crypto';
import { BlockRequestSchema, GuardDutyFindingSchema, ScheduledEventSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { ConfigError, reflexHandler } from '@reflex/lambda-kit';
import { DynamoBlockState } from './adapters/dynamodb';
import { Ec2Network } from './adapters/ec2';
import { TopologyCache } from './adapters/topology-cache';
import { ipBlocker } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: z.union([GuardDutyFindingSchema, BlockRequestSchema, ScheduledEventSchema]),
  init: ({ config, dryRun, log, stateTable }) => {
    if (!stateTable) throw new ConfigError('reflex "ip-blocker": REFLEX_STATE_TABLE is not set');
    // One per function instance: findings of a burst share the instance, subnet and VPC lookups.
    const network = new TopologyCache(new Ec2Network(dryRun));
    const state = new DynamoBlockState(stateTable, dryRun);
    const region = process.env.AWS_REGION ?? 'us-east-1';
    return (event) =>
      ipBlocker(event, {
        network,
        state,
        config,
        log,
        now: () => new Date(),
        holder: randomUUID(),
        naclArn: (id) => `arn:aws:ec2:${region}:${event.account}:network-acl/${id}`,
      });
  },
});
