import { AwsApiCallSchema } from '@reflex/events';
import { reflexHandler } from '@reflex/lambda-kit';
import { Ec2NetworkTags } from './adapters/ec2';
import { tagCreated } from './core';
import { manifest } from './manifest';

export const handler = reflexHandler({
  manifest,
  schema: AwsApiCallSchema,
  init: ({ config, dryRun, log }) => {
    const network = new Ec2NetworkTags(dryRun);
    return (event) => tagCreated(event, { network, config, log });
  },
});
