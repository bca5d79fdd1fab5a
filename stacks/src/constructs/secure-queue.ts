import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { Construct } from 'constructs';
import type { EnvConfig } from '../envs';
import { denyInsecureTransport, policyDocument } from './policy';

export interface SecureQueueProps {
  readonly env: EnvConfig;
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  /** Receives before a message moves to the dead-letter queue. */
  readonly maxReceiveCount: number;
  /** @default 4 days */
  readonly retentionSeconds?: number;
}

/** The ARN of the queue named `name` in an environment's account and region. */
export const queueArn = (env: Pick<EnvConfig, 'partition' | 'region' | 'account'>, name: string) =>
  `arn:${env.partition}:sqs:${env.region}:${env.account}:${name}`;

/**
 * The ARN of the EventBridge rule named `name` on the bus `busName` (the default bus when absent), as
 * EventBridge forms it: a queue policy can name its rules without waiting for them to be created.
 *
 * @see https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html#amazoneventbridge-resources-for-iam-policies
 */
export const ruleArn = (env: Pick<EnvConfig, 'partition' | 'region' | 'account'>, name: string, busName?: string) =>
  `arn:${env.partition}:events:${env.region}:${env.account}:rule/${busName && busName !== 'default' ? `${busName}/` : ''}${name}`;

/**
 * An SQS queue with secure defaults: SSE, a dead-letter queue (14 days) with an explicit
 * `maxReceiveCount`, TLS-only policies on both. Call {@link allowRules} once to let EventBridge rules send.
 *
 * The policies are the queues' own `policy` attributes, not separate `aws_sqs_queue_policy` resources, and
 * name the queues by their ARNs: the AWS provider waits ~25 s after every write of queue attributes (six reads
 * five seconds apart, for SQS's propagation), so each resource in the chain DLQ → queue → policy costs one such
 * wait. On a local AWS API the queue names its DLQ by ARN as well, so that both are created in one wave (the
 * local launcher of moto resolves a DLQ created a moment later); AWS requires the DLQ first, so elsewhere the
 * queue references it.
 */
export class SecureQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  private readonly arn: string;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    const { env, name } = props;
    this.arn = queueArn(env, name);
    const dlqArn = queueArn(env, `${name}-dlq`);
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${name}-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
      policy: policyDocument(this, 'dlq-policy-doc', [denyInsecureTransport(dlqArn)]).json,
      // Only its own queue may use the DLQ. Local AWS APIs (moto) do not keep RedriveAllowPolicy, and the
      // provider would wait for it forever, so environments with an endpoint go without.
      ...(env.endpoint ? {} : { redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.arn] }) }),
    });
    this.queue = new SqsQueue(this, 'queue', {
      name,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      messageRetentionSeconds: props.retentionSeconds ?? 4 * 24 * 3600,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: env.endpoint ? dlqArn : this.deadLetterQueue.arn,
        maxReceiveCount: props.maxReceiveCount,
      }),
    });
  }

  /**
   * Sets the queue policy: only these rules' events may be sent, and never over plain HTTP. Without rules (a
   * queue producers send to with their own IAM permissions) no service may send.
   */
  allowRules(ruleArns: string[]): void {
    const doc = policyDocument(this, 'queue-policy-doc', [
      ...(ruleArns.length === 0 ? [] : [{
        sid: 'AllowOnlyItsRules',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        actions: ['sqs:SendMessage'],
        resources: [this.arn],
        condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: ruleArns }],
      }]),
      denyInsecureTransport(this.arn),
    ]);
    this.queue.policy = doc.json;
  }
}
