// The route API contract against a deployed stage (or any running route API): `pnpm test:contract` with
// REFLEX_ROUTE_API_URL, REFLEX_CONTRACT_TABLE, REFLEX_CONTRACT_ATTACHMENTS, REFLEX_CONTRACT_VPC_CIDR (and
// optionally REFLEX_CONTRACT_FOREIGN_CIDR) set. Signs with the AWS credentials chain, or with the local
// credentials when the URL is the local runner's.
import { describe } from '@jest/globals';
import { localAwsEnv } from '@reflex/local-aws';
import { RouteApiClient } from '../../src/lib/route-api-client';
import { deployedTarget, routeApiContract } from './route-api';

const target = deployedTarget();
const url = new URL(target.url);
const local = ['127.0.0.1', 'localhost'].includes(url.hostname);
const region = process.env.AWS_REGION ?? /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$/.exec(url.hostname)?.[1] ?? 'us-east-1';
const env = localAwsEnv(target.url);
const api = new RouteApiClient(target.url, region, local
  ? { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! }
  : async () => (await import('@aws-sdk/credential-provider-node')).defaultProvider()());

describe(`route API contract at ${target.url}`, () => routeApiContract(() => ({ ...target, api })));
