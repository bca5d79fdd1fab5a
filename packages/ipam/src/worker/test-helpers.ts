// Shared by the worker's tests and its benchmark; not part of the package's API.
import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Db } from '../db';
import type { WorkerLog } from './log';
import type { QueueMessage, QueueSource } from './queue-source';

/** The database, with each transaction starting `ms` late: a slow write. */
export function slowDb(db: Db, ms: number): Db {
  return {
    ...db,
    query: (sql, params) => db.query(sql, params),
    exec: (sql) => db.exec(sql),
    transaction: async (fn) => {
      await new Promise((r) => setTimeout(r, ms));
      return db.transaction(fn);
    },
  };
}

/** The database, counting the transactions started on it. */
export function countingDb(db: Db): Db & { transactions: number } {
  const counted = {
    ...db,
    transactions: 0,
    query: (sql: string, params?: unknown[]) => db.query(sql, params),
    exec: (sql: string) => db.exec(sql),
    transaction: ((fn) => {
      counted.transactions++;
      return db.transaction(fn);
    }) as Db['transaction'],
  };
  return counted as Db & { transactions: number };
}

/** A queue and its dead-letter queue, moving a message there after `maxReceiveCount` receives. */
export async function createQueues(sqs: SQSClient, maxReceiveCount = 2): Promise<{ url: string; dlqUrl: string }> {
  const name = `ipam-${randomUUID().slice(0, 8)}`;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `${name}-dlq` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl!, AttributeNames: ['QueueArn'] }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: '30',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: Attributes!.QueueArn, maxReceiveCount }),
      },
    }),
  );
  return { url: queue.QueueUrl!, dlqUrl: dlq.QueueUrl! };
}

/** Sends the bodies (objects as JSON, strings as they are) in batches of 10. */
export async function sendAll(sqs: SQSClient, url: string, bodies: readonly (string | object)[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    const out = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: url,
        Entries: bodies.slice(i, i + 10).map((b, j) => ({ Id: String(j), MessageBody: typeof b === 'string' ? b : JSON.stringify(b) })),
      }),
    );
    if (out.Failed?.length) throw new Error(`SendMessageBatch failed: ${JSON.stringify(out.Failed)}`);
  }
}

/** Waits until `check` holds, polling; fails after `timeoutMs` with `what`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A queue in this process, holding `bodies` (ids `0`, `1`, …): a receive with nothing left waits its long
 * poll out (or until aborted); `deleted` counts deletes; a message made visible again (visibility 0) is
 * received again. A message received and never deleted does not come back: there is no visibility timeout.
 */
export function memorySource(bodies: readonly (string | object)[]): QueueSource & { deleted: number } {
  const waiting: QueueMessage[] = bodies.map((b, i) => ({
    id: String(i),
    receiveCount: 1,
    receiptHandle: String(i),
    body: typeof b === 'string' ? b : JSON.stringify(b),
  }));
  return {
    deleted: 0,
    async receive(max, waitSeconds, _visibility, signal) {
      await new Promise((resolve) => setImmediate(resolve));
      if (waiting.length === 0 && waitSeconds > 0 && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', done);
            resolve();
          };
          const timer = setTimeout(done, waitSeconds * 1000);
          signal?.addEventListener('abort', done, { once: true });
        });
      }
      return waiting.splice(0, max);
    },
    async delete(messages) {
      this.deleted += messages.length;
    },
    async changeVisibility(message, seconds) {
      if (seconds === 0) waiting.push({ ...message, receiveCount: (message.receiveCount ?? 1) + 1 });
    },
  };
}

/** A log that keeps its entries, for assertions. */
export function memoryLog(): WorkerLog & { entries: { level: string; message: string; extra?: Record<string, unknown> }[] } {
  const entries: { level: string; message: string; extra?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, extra?: Record<string, unknown>) => void entries.push({ level, message, extra });
  return { entries, info: at('info'), warn: at('warn'), error: at('error') };
}

/** The source, with its first `times` receives failing as SQS throttling does. */
export function throttled(source: QueueSource, times: number): QueueSource & { throws: number } {
  const wrapper = {
    throws: 0,
    receive: async (...args: Parameters<QueueSource['receive']>) => {
      if (wrapper.throws < times) {
        wrapper.throws++;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      return source.receive(...args);
    },
    delete: (messages: Parameters<QueueSource['delete']>[0]) => source.delete(messages),
    changeVisibility: (message: Parameters<QueueSource['changeVisibility']>[0], seconds: number) => source.changeVisibility(message, seconds),
  };
  return wrapper;
}
