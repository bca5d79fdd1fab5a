// The environment's HTTP API for reflexes with http triggers (the route API): IAM on every route, a Lambda
// proxy integration, throttling, access logs, the invoke policy; and the three checks that guard them, each
// catching its default broken in a structuredClone of the real dev or prod stack.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runChecks } from '../src';
import { findResource, readStack, ref, referencedDocument, resourcesOf, type StackJson, synthesizeEnvironments } from './support';

const API = 'reflex-dev-api';
const ROUTE_API = 'reflex-dev-route-api';

let outdir: string;
let dev: StackJson;
let prod: StackJson;

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
  [dev, prod] = [readStack(outdir, 'dev'), readStack(outdir, 'prod')];
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const api = (json: StackJson) => findResource(json, 'aws_apigatewayv2_api', { name: API.replace('dev', envOf(json)) });
const stage = (json: StackJson) => resourcesOf(json, 'aws_apigatewayv2_stage')[0]!;
const envOf = (json: StackJson) => String(json.provider.aws[0]!.default_tags[0].tags['reflex:env']);
const violations = (json: StackJson, check: string) =>
  runChecks([{ name: envOf(json), json: json as never }]).filter((v) => v.check === check);

describe('the HTTP API of dev', () => {
  it('routes every http trigger of the route API with IAM authorization to one proxy integration', () => {
    const { address } = api(dev);
    const routes = resourcesOf(dev, 'aws_apigatewayv2_route').map(({ block }) => block);
    const [integration] = resourcesOf(dev, 'aws_apigatewayv2_integration');
    const fn = findResource(dev, 'aws_lambda_function', { function_name: ROUTE_API });

    expect(routes.map((r) => r.route_key).sort()).toEqual([
      'DELETE /route-tables/{id}/routes/{cidr}',
      'GET /route-tables/{id}/routes',
      'PUT /route-tables/{id}/routes',
      'PUT /route-tables/{id}/routes/{cidr}',
    ]);
    expect(routes.every((r) => r.authorization_type === 'AWS_IAM' && r.api_id === ref(address, 'id'))).toBe(true);
    expect(routes.every((r) => r.target === `integrations/${ref(integration!.address, 'id')}`)).toBe(true);
    expect(integration!.block).toMatchObject({ integration_type: 'AWS_PROXY', payload_format_version: '2.0', integration_uri: ref(fn.address, 'invoke_arn') });
  });

  it('lets only API Gateway, and only this API, invoke the function', () => {
    const [permission] = resourcesOf(dev, 'aws_lambda_permission');

    expect(permission!.block).toMatchObject({ principal: 'apigateway.amazonaws.com', action: 'lambda:InvokeFunction', source_arn: `${ref(api(dev).address, 'execution_arn')}/*/*` });
  });

  it('throttles every route, and a route more where the environment says so (prod)', () => {
    expect(stage(dev).block).toMatchObject({ name: '$default', auto_deploy: true, default_route_settings: { throttling_rate_limit: 10, throttling_burst_limit: 20 } });
    expect(stage(dev).block.route_settings).toEqual([]);
    expect(stage(prod).block.route_settings).toEqual([{ route_key: 'PUT /route-tables/{id}/routes', throttling_rate_limit: 2, throttling_burst_limit: 5 }]);
  });

  it('writes access logs with the caller to a log group with the environment retention', () => {
    const logs = findResource(dev, 'aws_cloudwatch_log_group', { name: `/aws/apigateway/${API}` });

    expect(stage(dev).block.access_log_settings.destination_arn).toBe(ref(logs.address, 'arn'));
    expect(JSON.parse(stage(dev).block.access_log_settings.format)).toMatchObject({ caller: '$context.identity.userArn', status: '$context.status' });
    expect(logs.block.retention_in_days).toBe(14);
  });

  it('offers a policy that allows execute-api:Invoke on exactly its routes, parameters as wildcards', () => {
    const policy = findResource(dev, 'aws_iam_policy', { name: `${API}-invoke` });
    const execution = ref(api(dev).address, 'execution_arn');

    expect(referencedDocument(dev, policy.block.policy).statements).toEqual([
      {
        sid: 'InvokeReflexApi',
        effect: 'Allow',
        actions: ['execute-api:Invoke'],
        resources: [
          `${execution}/$default/GET/route-tables/*/routes`,
          `${execution}/$default/PUT/route-tables/*/routes`,
          `${execution}/$default/PUT/route-tables/*/routes/*`,
          `${execution}/$default/DELETE/route-tables/*/routes/*`,
        ],
      },
    ]);
    expect(dev.output?.http_api?.value).toEqual({
      url: ref(stage(dev).address, 'invoke_url'),
      invoke_policy_arn: ref(policy.address, 'arn'),
      access_log_group: ref(findResource(dev, 'aws_cloudwatch_log_group', { name: `/aws/apigateway/${API}` }).address, 'name'),
    });
  });

  it('gives the route API no queue and no event source mapping, and its function the allowed principals', () => {
    const fn = findResource(dev, 'aws_lambda_function', { function_name: ROUTE_API });

    expect(resourcesOf(dev, 'aws_sqs_queue').some(({ block }) => String(block.name).startsWith(ROUTE_API))).toBe(false);
    expect(resourcesOf(dev, 'aws_lambda_event_source_mapping').some(({ block }) => block.function_name === ref(fn.address, 'arn'))).toBe(false);
    expect(JSON.parse(fn.block.environment.variables.REFLEX_API_PRINCIPALS)).toEqual(['arn:aws:iam::111111111111:role/onprem-network-automation']);
    expect(Object.keys(dev.output?.queues?.value ?? {})).not.toContain('route-api');
  });

  it('builds no API locally, where the local runner serves the routes', () => {
    expect(resourcesOf(readStack(outdir, 'local'), 'aws_apigatewayv2_api')).toEqual([]);
  });

  it('passes its checks as synthesized', () => {
    expect(runChecks([{ name: 'dev', json: dev as never }, { name: 'prod', json: prod as never }])).toEqual([]);
  });
});

describe('HTTP API checks catch a broken default', () => {
  it('apigw-iam-authorization: a route without authorization', () => {
    const json = structuredClone(dev);
    const [route] = resourcesOf(json, 'aws_apigatewayv2_route');
    delete route!.block.authorization_type;

    expect(violations(json, 'apigw-iam-authorization').map((v) => v.address)).toEqual([route!.address]);
  });

  it('apigw-throttling: a stage without default throttling, and a route setting without', () => {
    const json = structuredClone(prod);
    const s = stage(json);
    delete s.block.default_route_settings.throttling_burst_limit;
    delete s.block.route_settings[0].throttling_rate_limit;

    expect(violations(json, 'apigw-throttling').map((v) => v.message)).toEqual([
      expect.stringContaining('default_route_settings sets no throttling'),
      'route_settings for PUT /route-tables/{id}/routes sets no throttling',
    ]);
  });

  it('apigw-access-logs: a stage without access logs, and a log group kept forever', () => {
    const noLogs = structuredClone(dev);
    delete stage(noLogs).block.access_log_settings;
    const forever = structuredClone(dev);
    const logs = findResource(forever, 'aws_cloudwatch_log_group', { name: `/aws/apigateway/${API}` });
    delete logs.block.retention_in_days;

    expect(violations(noLogs, 'apigw-access-logs').map((v) => v.message)).toEqual(['stage writes no access logs (access_log_settings)']);
    expect(violations(forever, 'apigw-access-logs').map((v) => v.address)).toEqual([logs.address]);
  });
});
