import { Ec2StateChangeSchema } from '@reflex/events';
import { QueueSender, reflexHandler } from '@reflex/lambda-kit';
import { Ec2Describer } from './adapters/ec2';
import { enrich } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: Ec2StateChangeSchema,
  init: ({ sendQueues, log }) => {
    const describer = new Ec2Describer();
    const ipam = new QueueSender(sendQueues['ipam-sync']!);
    return (event) => enrich(event, { describer, ipam, log });
  },
});
