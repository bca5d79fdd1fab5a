import { Ec2StateChangeSchema, StopInstancesCallSchema } from '@reflex/events';
import * as z from '@reflex/events/zod';
import { reflexHandler } from '@reflex/lambda-kit';
import { Ec2Instances } from './adapters/ec2';
import { guard } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: z.union([Ec2StateChangeSchema, StopInstancesCallSchema]),
  init: ({ config, dryRun, log }) => {
    const instances = new Ec2Instances(dryRun);
    return (event) => guard(event, { instances, config, log });
  },
});
