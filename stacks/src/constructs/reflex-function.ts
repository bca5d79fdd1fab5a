import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import type { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { alarmName, awsName, ownRolePrefix, permissionsOf, servesHttp, triggerPattern } from '@reflex/manifest';
import { AssetType, Fn, TerraformAsset } from 'cdktf';
import { bundleZip } from './zip';
import { Construct } from 'constructs';
import { actsInSpokes, type EnvConfig, memberAccountsOf, type ResolvedReflex, spokeRoleArn } from '../envs';
import { type ArnContext, manifestStatements, policyDocument, trustPolicy } from './policy';
import { ruleArn, SecureQueue } from './secure-queue';
import { STATE_TABLE_ACTIONS, StateTable } from './state-table';

/** Queue visibility timeout ≥ this × the function timeout (AWS's advice for SQS event sources). */
export const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * How an SQS event source reads a reflex's queue: a batch larger than 10 needs a batching window of at least
 * one second (Lambda's rule), and the queue's visibility timeout is six times the function timeout plus that
 * window, as AWS advises, so that a batch being gathered or retried is not delivered twice meanwhile.
 *
 * @example
 * queueTimings({ batchSize: 100 }, 30); // { batchingWindowSeconds: 1, visibilityTimeoutSeconds: 181 }
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 */
export function queueTimings(
  manifest: { readonly batchSize: number },
  timeoutSeconds: number,
): { batchingWindowSeconds: number; visibilityTimeoutSeconds: number } {
  const batchingWindowSeconds = manifest.batchSize > 10 ? 1 : 0;
  return { batchingWindowSeconds, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_FACTOR * timeoutSeconds + batchingWindowSeconds };
}
/** Lambda runtime of every reflex. */
export const LAMBDA_RUNTIME = 'nodejs22.x';

export interface ReflexFunctionProps {
  readonly env: EnvConfig;
  readonly reflex: ResolvedReflex;
  /** Name and ARN of the reflex bus, where event triggers listen and Reflex Action events go. */
  readonly bus: { readonly name: string; readonly arn: string };
  /** Folder holding the reflex's bundle (`index.mjs`). Required when the environment deploys Lambda. */
  readonly bundleDir: string;
  /** The queues of the reflexes this one `sendsTo` (already built). @default [] */
  readonly sendTo?: readonly SendTarget[];
}

/** A reflex queue another reflex sends messages to. */
export interface SendTarget {
  readonly name: string;
  readonly queue: SqsQueue;
}

/**
 * One reflex: rule(s) → SQS queue (SSE, dead-letter queue, TLS-only policy that admits only its rules)
 * → Lambda (log group with retention first, partial batch responses) with a role built from the manifest.
 * The rules come from the triggers resolved for the environment's config (`triggersOf`): event triggers on the
 * reflex bus, schedules on the default bus, and for each alarm trigger a CloudWatch metric alarm and a rule on the
 * default bus that sends its state changes to the queue.
 * A reflex with a queue trigger has no rules: its producers send to the queue with their own permissions.
 * A reflex that declares `state` gets its {@link StateTable}, which only its role (or worker policy) may use.
 * A reflex left to an external worker gets no function and no role, but a managed policy for the worker.
 * Every resource is exposed for tests and extensions.
 */
export class ReflexFunction extends Construct {
  /** The reflex's queue and its dead-letter queue; none for a reflex with http triggers (API Gateway invokes it). */
  public readonly queue?: SqsQueue;
  public readonly deadLetterQueue?: SqsQueue;
  public readonly rules: CloudwatchEventRule[] = [];
  /** The CloudWatch metric alarms of its alarm triggers (`reflex-<env>-<reflex>-<name>`), in trigger order. */
  public readonly alarms: CloudwatchMetricAlarm[] = [];
  public readonly role?: IamRole;
  public readonly logGroup?: CloudwatchLogGroup;
  /** For a reflex left to an external worker: the policy to attach to the worker's principal. */
  public readonly workerPolicy?: IamPolicy;
  public readonly function?: LambdaFunction;
  public readonly eventSourceMapping?: LambdaEventSourceMapping;
  /** The reflex's DynamoDB table, when its manifest declares `state`. */
  public readonly stateTable?: StateTable;
  /** The environment variables the function gets; the local runner gives the same. */
  public readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: ReflexFunctionProps) {
    super(scope, id);
    const { env, reflex, bus } = props;
    const { manifest } = reflex;
    const name = awsName(env.name, manifest.name);
    const arnCtx: ArnContext = { partition: env.partition, region: env.region, account: env.account };

    const timings = queueTimings(manifest, reflex.timeoutSeconds);
    const http = servesHttp(reflex);
    const queues = http
      ? undefined
      : new SecureQueue(this, 'queues', {
          env,
          name,
          visibilityTimeoutSeconds: timings.visibilityTimeoutSeconds,
          maxReceiveCount: manifest.maxReceiveCount,
          retentionSeconds: manifest.retentionSeconds,
        });
    this.queue = queues?.queue;
    this.deadLetterQueue = queues?.deadLetterQueue;

    // Member accounts forward their events to the reflex bus: a reflex that does not act in them (its manifest's
    // `spokes`, or a worker) listens to the hub's own events only, so that it never acts in the hub on a member's.
    const members = actsInSpokes(reflex) ? memberAccountsOf(env).map((m) => m.account) : [];
    const hubOnly = <P extends object | undefined>(pattern: P): P =>
      pattern && memberAccountsOf(env).length > 0 && members.length === 0 ? { ...pattern, account: [env.account] } : pattern;
    const ruleArns: string[] = [];
    reflex.triggers.forEach((trigger, i) => {
      // http triggers are routes of the environment's HttpApi; queue triggers have no rule.
      if (trigger.kind === 'http' || trigger.kind === 'queue' || !queues) return;
      if (trigger.kind === 'alarm') {
        // By the alarm's name, not the trigger's index: an alarm that is replaced starts over in INSUFFICIENT_DATA.
        this.alarms.push(
          new CloudwatchMetricAlarm(this, `alarm-${trigger.name}`, {
            alarmName: alarmName(env.name, manifest.name, trigger),
            ...(trigger.description ? { alarmDescription: trigger.description } : {}),
            namespace: trigger.namespace,
            metricName: trigger.metricName,
            dimensions: { ...trigger.dimensions },
            statistic: trigger.statistic,
            period: trigger.periodSeconds,
            evaluationPeriods: trigger.evaluationPeriods,
            ...(trigger.datapointsToAlarm !== undefined ? { datapointsToAlarm: trigger.datapointsToAlarm } : {}),
            threshold: trigger.threshold,
            comparisonOperator: trigger.comparisonOperator,
            treatMissingData: trigger.treatMissingData,
          }),
        );
      }
      // Event triggers listen on the reflex bus; schedules run on the default bus only, and CloudWatch delivers
      // alarm state changes to the default bus of the alarm's account.
      const onReflexBus = trigger.kind === 'event';
      const rule = new CloudwatchEventRule(this, `rule-${i}`, {
        name: `${name}-${i}`,
        description: trigger.description ?? manifest.description,
        ...(trigger.kind === 'schedule'
          ? { scheduleExpression: trigger.expression }
          : {
              ...(onReflexBus ? { eventBusName: bus.name } : {}),
              eventPattern: JSON.stringify(
                onReflexBus ? hubOnly(triggerPattern(trigger, { env: env.name, reflex: manifest.name })) : triggerPattern(trigger, { env: env.name, reflex: manifest.name }),
              ),
            }),
      });
      new CloudwatchEventTarget(this, `target-${i}`, {
        rule: rule.name,
        eventBusName: rule.eventBusName,
        targetId: 'queue',
        arn: queues.queue.arn,
      });
      this.rules.push(rule);
      // By ARN, not by reference: the queue's policy (and so the queue) need not wait for the rule.
      ruleArns.push(ruleArn(env, `${name}-${i}`, onReflexBus ? awsName(env.name, 'bus') : undefined));
    });

    queues?.allowRules(ruleArns);

    const consume = queues
      ? [
          {
            sid: 'ConsumeItsQueue',
            effect: 'Allow',
            actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
            resources: [queues.queue.arn],
          },
        ]
      : [];
    const sendTo = props.sendTo ?? [];
    const send = sendTo.length
      ? [{ sid: 'SendToQueues', effect: 'Allow', actions: ['sqs:SendMessage'], resources: sendTo.map((t) => t.queue.arn) }]
      : [];
    if (manifest.state) this.stateTable = new StateTable(this, 'state', { env, reflex: manifest.name, state: manifest.state });
    const useState = this.stateTable
      ? [{ sid: 'UseItsStateTable', effect: 'Allow', actions: [...STATE_TABLE_ACTIONS], resources: [this.stateTable.table.arn] }]
      : [];
    // In member accounts it acts through its spoke roles there (SpokeStack), which trust this role alone.
    const assumeSpokes = members.length
      ? [{ sid: 'AssumeItsSpokeRoles', effect: 'Allow', actions: ['sts:AssumeRole'], resources: members.map((a) => spokeRoleArn(env, manifest.name, a)) }]
      : [];
    const statements = [...manifestStatements(permissionsOf(manifest, reflex.config), arnCtx), ...consume, ...send, ...useState, ...assumeSpokes];

    this.environment = {
      REFLEX_ENV: env.name,
      REFLEX_BUS_NAME: bus.name,
      REFLEX_DRY_RUN: String(reflex.dryRun),
      REFLEX_CONFIG: JSON.stringify(reflex.config),
      REFLEX_OWN_ROLE_PREFIX: ownRolePrefix(env.name),
      POWERTOOLS_SERVICE_NAME: `reflex-${manifest.name}`,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      // Stack traces in TypeScript files and lines: each bundle links index.mjs.map (scripts/src/lib/bundle.ts).
      NODE_OPTIONS: '--enable-source-maps',
      ...(sendTo.length ? { REFLEX_SEND_QUEUES: Fn.jsonencode(Object.fromEntries(sendTo.map((t) => [t.name, t.queue.url]))) } : {}),
      ...(this.stateTable ? { REFLEX_STATE_TABLE: this.stateTable.table.name } : {}),
      ...(http ? { REFLEX_API_PRINCIPALS: JSON.stringify(env.api.allowedPrincipals) } : {}),
      ...(members.length
        ? {
            REFLEX_SPOKES: JSON.stringify({
              hub: env.account,
              accounts: members,
              roleName: name,
              partition: env.partition,
              ...(env.spokes.externalId ? { externalId: env.spokes.externalId } : {}),
            }),
          }
        : {}),
    };

    if (reflex.consumer === 'worker') {
      this.workerPolicy = new IamPolicy(this, 'worker-policy', {
        name: `${name}-worker`,
        description: `Attach to the principal of the external worker that consumes ${name}.`,
        policy: policyDocument(this, 'worker-permissions', statements).json,
      });
      return;
    }

    this.logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${name}`,
      retentionInDays: env.logRetentionDays,
    });

    this.role = new IamRole(this, 'role', {
      name,
      description: `Reflex ${manifest.name} (${env.name}): ${manifest.description}`.slice(0, 1000),
      assumeRolePolicy: trustPolicy(this, 'trust', 'lambda.amazonaws.com').json,
    });
    const permissions = policyDocument(this, 'permissions', [
      ...statements,
      {
        sid: 'WriteItsLogs',
        effect: 'Allow',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.arn}:*`],
      },
      { sid: 'EmitReflexActions', effect: 'Allow', actions: ['events:PutEvents'], resources: [bus.arn] },
    ]);
    const rolePolicy = new IamRolePolicy(this, 'role-policy', {
      name: 'reflex',
      role: this.role.id,
      policy: permissions.json,
    });

    if (env.compute === 'lambda') {
      const asset = new TerraformAsset(this, 'bundle', { path: bundleZip(props.bundleDir), type: AssetType.FILE });
      this.function = new LambdaFunction(this, 'function', {
        functionName: name,
        description: manifest.description,
        role: this.role.arn,
        runtime: LAMBDA_RUNTIME,
        architectures: ['arm64'],
        handler: 'index.handler',
        filename: asset.path,
        sourceCodeHash: asset.assetHash,
        memorySize: reflex.memoryMb,
        timeout: reflex.timeoutSeconds,
        environment: { variables: this.environment },
        loggingConfig: { logFormat: 'JSON', logGroup: this.logGroup.name },
        // The log group (with its retention) exists before the function can write to it.
        dependsOn: [this.logGroup, rolePolicy],
      });
      if (!queues) return;
      this.eventSourceMapping = new LambdaEventSourceMapping(this, 'source', {
        eventSourceArn: queues.queue.arn,
        functionName: this.function.arn,
        batchSize: manifest.batchSize,
        maximumBatchingWindowInSeconds: timings.batchingWindowSeconds,
        functionResponseTypes: ['ReportBatchItemFailures'],
        scalingConfig: { maximumConcurrency: manifest.maxConcurrency },
      });
    }
  }
}
