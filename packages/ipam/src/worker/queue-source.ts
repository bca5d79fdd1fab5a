import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueueRecord } from './apply-records';

/** A received message: its record and the handle that deletes it or changes its visibility. */
export interface QueueMessage extends QueueRecord {
  readonly receiptHandle: string;
}

/**
 * The queue port the worker polls. Adapter: `SqsQueueSource`.
 *
 * @example
 * const messages = await source.receive(10, 20, 60, abort.signal);
 * await source.delete(messages);
 */
export interface QueueSource {
  /** Long-polls for up to `max` (≤ 10) messages, hidden from others for `visibilityTimeoutSeconds`; `[]` once `signal` aborts. */
  receive(max: number, waitSeconds: number, visibilityTimeoutSeconds: number, signal?: AbortSignal): Promise<QueueMessage[]>;
  /** Deletes the messages; throws `QueueDeleteError` naming those it could not delete. */
  delete(messages: readonly QueueMessage[]): Promise<void>;
  /** Hides the message for `seconds` more from now (`0` makes it visible again at once). */
  changeVisibility(message: QueueMessage, seconds: number): Promise<void>;
}

/** Some messages could not be deleted; they will be redelivered (and applied as duplicates). */
export class QueueDeleteError extends Error {
  override readonly name = 'QueueDeleteError';
  constructor(readonly failed: { id: string; code?: string; reason?: string }[]) {
    super(`could not delete ${failed.length} message(s): ${failed.map((f) => `${f.id} (${f.code ?? 'error'})`).join(', ')}`);
  }
}

/**
 * A `QueueSource` on an SQS queue: long-polling ReceiveMessage with the receive count, DeleteMessageBatch
 * in chunks of 10 (retrying entries that failed on the server side once), ChangeMessageVisibility.
 *
 * @example
 * const source = new SqsQueueSource(new SQSClient({}), process.env.IPAM_QUEUE_URL!);
 * @see https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html
 */
export class SqsQueueSource implements QueueSource {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(max: number, waitSeconds: number, visibilityTimeoutSeconds: number, signal?: AbortSignal): Promise<QueueMessage[]> {
    if (signal?.aborted) return [];
    try {
      const out = await this.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: Math.min(Math.max(max, 1), 10),
          WaitTimeSeconds: waitSeconds,
          VisibilityTimeout: visibilityTimeoutSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        { abortSignal: signal },
      );
      return (out.Messages ?? []).map((m) => ({
        id: m.MessageId!,
        body: m.Body ?? '',
        receiptHandle: m.ReceiptHandle!,
        receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
      }));
    } catch (error) {
      // A poll cut short by stop() is not an error; whatever it would have returned is redelivered later.
      if (signal?.aborted) return [];
      throw error;
    }
  }

  async delete(messages: readonly QueueMessage[]): Promise<void> {
    const failed: QueueDeleteError['failed'] = [];
    for (let i = 0; i < messages.length; i += 10) {
      const chunk = messages.slice(i, i + 10);
      let left = await this.deleteBatch(chunk);
      // Server-side failures are often transient; a sender fault (bad handle) will not get better.
      const retry = left.filter((f) => !f.senderFault).map((f) => chunk[f.index]!);
      if (retry.length > 0) left = [...left.filter((f) => f.senderFault), ...(await this.deleteBatch(retry))];
      failed.push(...left.map((f) => ({ id: f.id, code: f.code, reason: f.reason })));
    }
    if (failed.length > 0) throw new QueueDeleteError(failed);
  }

  async changeVisibility(message: QueueMessage, seconds: number): Promise<void> {
    await this.client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.receiptHandle, VisibilityTimeout: seconds }),
    );
  }

  private async deleteBatch(chunk: readonly QueueMessage[]) {
    const out = await this.client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: chunk.map((m, i) => ({ Id: String(i), ReceiptHandle: m.receiptHandle })),
      }),
    );
    return (out.Failed ?? []).map((f) => {
      const index = Number(f.Id);
      return { index, id: chunk[index]?.id ?? f.Id!, code: f.Code, reason: f.Message, senderFault: f.SenderFault === true };
    });
  }
}
