import type { SQSClient } from '@aws-sdk/client-sqs';
import { ReflexError } from '../errors';
import { lazySdk, type LoadedSdk } from '../lazy-sdk';
import { chunks } from '../aws-tags';

type SqsSdk = typeof import('@aws-sdk/client-sqs');
export type LoadSqs = () => Promise<LoadedSdk<SqsSdk, SQSClient>>;

/** SendMessageBatch takes at most ten entries. */
const SEND_BATCH_MAX = 10;

/** The SQS client of the function's environment (region, credentials, `AWS_ENDPOINT_URL`), loaded on first use. */
export const defaultSqs: LoadSqs = lazySdk(
  () => import('@aws-sdk/client-sqs'),
  (sdk) => new sdk.SQSClient({}),
);

/** Sending to a queue failed; the record is retried, so the messages are sent again (consumers are idempotent). */
export class SendError extends ReflexError {
  override readonly name = 'SendError';
}

/**
 * Sends JSON messages to one SQS queue with SendMessageBatch, ten at a time; any entry SQS rejects fails the
 * whole call, naming the entries and reasons.
 *
 * @example
 * const ipam = new QueueSender(runtime.sendQueues['ipam-sync']!);
 * await ipam.send([message]);
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 */
export class QueueSender {
  constructor(
    readonly queueUrl: string,
    private readonly sqs: LoadSqs = defaultSqs,
  ) {}

  /** Sends each body as one JSON message. */
  async send(bodies: readonly unknown[]): Promise<void> {
    if (bodies.length === 0) return;
    const { sdk, client } = await this.sqs();
    for (const batch of chunks(bodies, SEND_BATCH_MAX)) {
      const entries = batch.map((body, i) => ({ Id: String(i), MessageBody: JSON.stringify(body) }));
      let result;
      try {
        result = await client.send(new sdk.SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }));
      } catch (cause) {
        throw new SendError(`SendMessageBatch to ${this.queueUrl} failed`, { cause });
      }
      if (result.Failed?.length) {
        const reasons = result.Failed.map((f) => `#${f.Id} ${f.Code}: ${f.Message}`);
        throw new SendError(`SendMessageBatch to ${this.queueUrl}: ${result.Failed.length} messages failed (${reasons.join('; ')})`);
      }
    }
  }
}
