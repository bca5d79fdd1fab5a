import { randomUUID } from 'node:crypto';
import { AlarmStateChangeSchema, AwsHealthEventSchema, RouteOverrideSchema, ScheduledEventSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { ConfigError, reflexHandler } from '@reflex/lambda-kit';
import { alarmName } from '@reflex/manifest';
import { DynamoFailoverState } from './adapters/dynamodb';
import { Ec2Links, Ec2Routes } from './adapters/ec2';
import { routeFailover } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: z.union([AlarmStateChangeSchema, AwsHealthEventSchema, RouteOverrideSchema, ScheduledEventSchema]),
  init: ({ config, dryRun, log, stateTable, env }) => {
    if (!stateTable) throw new ConfigError('reflex "route-failover": REFLEX_STATE_TABLE is not set');
    const routes = new Ec2Routes(dryRun);
    const links = new Ec2Links(dryRun);
    const state = new DynamoFailoverState(stateTable, dryRun);
    const region = process.env.AWS_REGION ?? 'us-east-1';
    return (event) =>
      routeFailover(event, {
        routes,
        links,
        state,
        config,
        log,
        dryRun,
        now: () => new Date(),
        holder: randomUUID(),
        alarmName: (trigger) => alarmName(env, manifest.name, { name: trigger }),
        tableArn: (t) => `arn:aws:ec2:${region}:${event.account}:${t.kind === 'tgw' ? 'transit-gateway-route-table' : 'route-table'}/${t.id}`,
      });
  },
});
