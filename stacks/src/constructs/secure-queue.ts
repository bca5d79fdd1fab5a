import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy';
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

/**
 * An SQS queue with secure defaults: SSE, a dead-letter queue (14 days) with an explicit
 * `maxReceiveCount`, TLS-only policies on both. Call {@link allowRules} once to let EventBridge rules send.
 */
export class SecureQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;
  private readonly props: SecureQueueProps;

  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    super(scope, id);
    this.props = props;
    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${props.name}-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 24 * 3600,
    });
    this.queue = new SqsQueue(this, 'queue', {
      name: props.name,
      sqsManagedSseEnabled: true,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      messageRetentionSeconds: props.retentionSeconds ?? 4 * 24 * 3600,
      receiveWaitTimeSeconds: 20,
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: props.maxReceiveCount }),
    });
    // Only its own queue may use the DLQ. Local AWS APIs (moto) do not keep RedriveAllowPolicy, and the
    // provider would wait for it forever, so environments with an endpoint go without.
    if (!props.env.endpoint) {
      new SqsQueueRedriveAllowPolicy(this, 'dlq-redrive-allow', {
        queueUrl: this.deadLetterQueue.url,
        redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
      });
    }
    const dlqPolicy = policyDocument(this, 'dlq-policy-doc', [denyInsecureTransport(this.deadLetterQueue.arn)]);
    new SqsQueuePolicy(this, 'dlq-policy', { queueUrl: this.deadLetterQueue.url, policy: dlqPolicy.json });
  }

  /**
   * The queue policy: only these rules' events may be sent, and never over plain HTTP. Without rules (a
   * queue producers send to with their own IAM permissions) no service may send.
   */
  allowRules(ruleArns: string[]): SqsQueuePolicy {
    const doc = policyDocument(this, 'queue-policy-doc', [
      ...(ruleArns.length === 0 ? [] : [{
        sid: 'AllowOnlyItsRules',
        effect: 'Allow',
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        actions: ['sqs:SendMessage'],
        resources: [this.queue.arn],
        condition: [{ test: 'ArnEquals', variable: 'aws:SourceArn', values: ruleArns }],
      }]),
      denyInsecureTransport(this.queue.arn),
    ]);
    return new SqsQueuePolicy(this, 'queue-policy', { queueUrl: this.queue.url, policy: doc.json });
  }
}
