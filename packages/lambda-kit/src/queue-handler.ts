import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { ReflexManifest } from '@reflex/manifest';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type * as z from '@reflex/events/zod';
import { describeError } from './errors';
import type { ReflexRuntime } from './handler';
import { readRuntimeSettings } from './runtime-env';

/** A record the batch could not handle, and why; it stays on the queue for a retry or the dead-letter queue. */
export interface RecordFailure {
  readonly id: string;
  readonly reason: string;
}

/** Handles one batch of queue records (not EventBridge events) and names the ones that failed. */
export type BatchHandler = (records: readonly SQSRecord[]) => Promise<readonly RecordFailure[]>;

/** Options of {@link queueHandler}. */
export interface QueueHandlerOptions<C extends z.core.$ZodType> {
  readonly manifest: ReflexManifest<C>;
  /** Builds clients and the batch handler once per cold start. */
  readonly init: (runtime: ReflexRuntime<z.output<C>>) => BatchHandler;
  /** The function's environment. @default process.env */
  readonly env?: Record<string, string | undefined>;
  readonly logger?: Logger;
}

/**
 * The Lambda handler of a reflex with a `queue` trigger: its messages are not EventBridge events, and the
 * reflex handles a whole batch at once (e.g. one database transaction). Logs each failure with its reason
 * and answers with a partial batch response (the event source mapping needs `ReportBatchItemFailures`); a
 * batch handler that throws fails the whole batch.
 *
 * @example
 * export const handler = queueHandler({
 *   manifest,
 *   init: () => async (records) => (await applyRecords(db, records.map(toQueueRecord))).failures,
 * });
 * @see https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
 */
export function queueHandler<C extends z.core.$ZodType>(options: QueueHandlerOptions<C>) {
  const { manifest } = options;
  const settings = readRuntimeSettings(manifest, options.env ?? process.env);
  const logger =
    options.logger ?? new Logger({ serviceName: `reflex-${manifest.name}`, persistentKeys: { reflex: manifest.name, env: settings.env } });
  const handle = options.init({ ...settings, logger, log: { info: (message, extra = {}) => logger.info(message, extra) } });

  return middy<SQSEvent, SQSBatchResponse, Error, Context>()
    .use(injectLambdaContext(logger))
    .handler(async (event) => {
      const receiveCount = new Map(event.Records.map((r) => [r.messageId, Number(r.attributes.ApproximateReceiveCount)]));
      let failures: readonly RecordFailure[];
      try {
        failures = await handle(event.Records);
      } catch (error) {
        logger.error('batch failed; every record stays on the queue for a retry or its dead-letter queue', {
          reason: describeError(error),
          records: event.Records.length,
        });
        failures = event.Records.map((r) => ({ id: r.messageId, reason: describeError(error) }));
      }
      for (const failure of failures) {
        logger.error('record failed; it stays on the queue for a retry or its dead-letter queue', {
          messageId: failure.id,
          receiveCount: receiveCount.get(failure.id),
          reason: failure.reason,
        });
      }
      return { batchItemFailures: failures.map((f) => ({ itemIdentifier: f.id })) };
    });
}
