import { Ec2StateChangeSchema, StopInstancesCallSchema } from '@reflex/events';
import { z } from 'zod';
import { reflexHandler } from '@reflex/lambda-kit';
import { Ec2Instances } from './adapters/ec2';
import { guard } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: z.union([Ec2StateChangeSchema, StopInstancesCallSchema]),
  init: ({ config, dryRun, logger }) => {
    const instances = new Ec2Instances(dryRun);
    const log = { info: (message: string, extra: Record<string, unknown> = {}) => logger.info(message, extra) };
    return (event) => guard(event, { instances, config, log });
  },
});
