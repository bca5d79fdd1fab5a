import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import type { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { awsName, type HttpTrigger, httpRouteKey } from '@reflex/manifest';
import { Construct } from 'constructs';
import type { EnvConfig } from '../envs';
import { policyDocument } from './policy';

/** The function behind some routes of the API. */
export interface HttpApiTarget {
  readonly reflex: string;
  readonly function: LambdaFunction;
  readonly routes: readonly HttpTrigger[];
}

export interface HttpApiProps {
  readonly env: EnvConfig;
  readonly targets: readonly HttpApiTarget[];
}

/** API Gateway waits this long for a Lambda integration of an HTTP API (its maximum). */
const INTEGRATION_TIMEOUT_MS = 30_000;

/** What the access log records per request: who called what, and how it went. */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  caller: '$context.identity.userArn',
  accessKey: '$context.identity.accessKey',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
});

/** The IAM resource of a route for `execute-api:Invoke`: path parameters become `*`. */
export function invokeResource(executionArn: string, trigger: Pick<HttpTrigger, 'method' | 'path'>): string {
  return `${executionArn}/$default/${trigger.method}${trigger.path.replace(/\{[^}]+\}/g, '*')}`;
}

/**
 * The environment's HTTP API (`reflex-<env>-api`): a route per http trigger, each with IAM (SigV4)
 * authorization and a Lambda proxy integration (payload format 2.0) to its reflex's function; the `$default`
 * stage deploys automatically, throttles every route (the environment's `api.throttle`, per route
 * `api.routeThrottles`) and writes JSON access logs to a log group with the environment's retention. Callers
 * get `execute-api:Invoke` from {@link HttpApi.invokePolicy}, a managed policy to attach to their principal;
 * the functions also refuse principals not in `api.allowedPrincipals` when it names any (HTTP APIs have no
 * resource policy).
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-access-control-iam.html
 */
export class HttpApi extends Construct {
  public readonly api: Apigatewayv2Api;
  public readonly stage: Apigatewayv2Stage;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly routes: Apigatewayv2Route[] = [];
  public readonly integrations: Apigatewayv2Integration[] = [];
  /** `execute-api:Invoke` on every route: attach it to the principals of on-prem automation. */
  public readonly invokePolicy: IamPolicy;

  constructor(scope: Construct, id: string, props: HttpApiProps) {
    super(scope, id);
    const { env } = props;
    const name = awsName(env.name, 'api');
    this.api = new Apigatewayv2Api(this, 'api', {
      name,
      protocolType: 'HTTP',
      description: `Reflex ${env.name}: the routes of reflexes with http triggers (IAM-authorized).`,
    });
    this.logGroup = new CloudwatchLogGroup(this, 'access-logs', { name: `/aws/apigateway/${name}`, retentionInDays: env.logRetentionDays });

    for (const target of props.targets) {
      const integration = new Apigatewayv2Integration(this, `integration-${target.reflex}`, {
        apiId: this.api.id,
        integrationType: 'AWS_PROXY',
        integrationUri: target.function.invokeArn,
        integrationMethod: 'POST',
        payloadFormatVersion: '2.0',
        timeoutMilliseconds: INTEGRATION_TIMEOUT_MS,
        description: `Reflex ${target.reflex}`,
      });
      this.integrations.push(integration);
      new LambdaPermission(this, `invoke-${target.reflex}`, {
        statementId: 'AllowApiGateway',
        action: 'lambda:InvokeFunction',
        functionName: target.function.functionName,
        principal: 'apigateway.amazonaws.com',
        sourceArn: `${this.api.executionArn}/*/*`,
      });
      for (const trigger of target.routes) {
        const key = httpRouteKey(trigger);
        this.routes.push(
          new Apigatewayv2Route(this, `route-${key.replace(/[^A-Za-z0-9]+/g, '-')}`, {
            apiId: this.api.id,
            routeKey: key,
            authorizationType: 'AWS_IAM',
            target: `integrations/${integration.id}`,
          }),
        );
      }
    }

    const keys = props.targets.flatMap((t) => t.routes.map(httpRouteKey));
    this.stage = new Apigatewayv2Stage(this, 'stage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: env.api.throttle.rateLimit,
        throttlingBurstLimit: env.api.throttle.burstLimit,
        detailedMetricsEnabled: true,
      },
      routeSettings: Object.entries(env.api.routeThrottles)
        .filter(([key]) => keys.includes(key))
        .map(([routeKey, throttle]) => ({ routeKey, throttlingRateLimit: throttle.rateLimit, throttlingBurstLimit: throttle.burstLimit })),
      accessLogSettings: { destinationArn: this.logGroup.arn, format: ACCESS_LOG_FORMAT },
      // Route settings name routes: they must exist first.
      dependsOn: this.routes,
    });

    this.invokePolicy = new IamPolicy(this, 'invoke-policy', {
      name: `${name}-invoke`,
      description: `Attach to the principals that call ${name} (on-prem automation): execute-api:Invoke on its routes.`,
      policy: policyDocument(this, 'invoke', [
        {
          sid: 'InvokeReflexApi',
          effect: 'Allow',
          actions: ['execute-api:Invoke'],
          resources: props.targets.flatMap((t) => t.routes.map((r) => invokeResource(this.api.executionArn, r))),
        },
      ]).json,
    });
  }
}
