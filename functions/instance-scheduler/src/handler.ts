import { ScheduledEventSchema } from '@reflex/events';
import { reflexHandler } from '@reflex/lambda-kit';
import { Ec2ScheduledInstances } from './adapters/ec2';
import { scheduler } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: ScheduledEventSchema,
  init: ({ config, dryRun, log }) => {
    const instances = new Ec2ScheduledInstances(dryRun);
    return (event) => scheduler(event, { instances, config, log });
  },
});
