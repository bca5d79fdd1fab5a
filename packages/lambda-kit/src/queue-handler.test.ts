import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it } from '@jest/globals';
import { defineReflex } from '@reflex/manifest';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from '@reflex/events/zod';
import { type BatchHandler, queueHandler } from './queue-handler';

const manifest = defineReflex({
  name: 'consumer',
  description: 'A reflex fed messages straight to its queue.',
  triggers: [{ kind: 'queue' }],
  permissions: () => [],
  config: z.object({}),
});
const env = { REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_CONFIG: '{}' };
const context = { functionName: 'reflex-test-consumer', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as Context;

/** A logger that keeps what it logs. */
function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({ serviceName: 'reflex-consumer', logLevel: 'INFO' });
  logger.error = ((message: string, extra: Record<string, unknown>) => void lines.push({ message, ...extra })) as Logger['error'];
  return { logger, lines };
}

const record = (messageId: string, body: string, receiveCount = 1): SQSRecord =>
  ({
    messageId,
    receiptHandle: `handle-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:reflex-test-consumer',
    awsRegion: 'us-east-1',
  }) as SQSRecord;

const run = (handle: BatchHandler, records: SQSRecord[], logger: Logger) =>
  queueHandler({ manifest, env, logger, init: () => handle })({ Records: records } as SQSEvent, context);

describe('queueHandler', () => {
  it('hands the whole batch to the reflex and reports nothing when all records succeed', async () => {
    const seen: string[] = [];
    const { logger } = recordingLogger();

    const response = await run(async (records) => (seen.push(...records.map((r) => r.body)), []), [record('1', 'a'), record('2', 'b')], logger);

    expect(seen).toEqual(['a', 'b']);
    expect(response).toEqual({ batchItemFailures: [] });
  });

  it('answers with the failed records only, logging each reason with its receive count', async () => {
    const { logger, lines } = recordingLogger();

    const response = await run(async () => [{ id: '2', reason: 'body: not JSON' }], [record('1', 'a'), record('2', '{', 3)], logger);

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(lines).toEqual([expect.objectContaining({ messageId: '2', receiveCount: 3, reason: 'body: not JSON' })]);
  });

  it('fails every record of the batch when the reflex throws (e.g. the database is down)', async () => {
    const { logger, lines } = recordingLogger();

    const response = await run(
      async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      },
      [record('1', 'a'), record('2', 'b')],
      logger,
    );

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '1' }, { itemIdentifier: '2' }] });
    expect(lines[0]).toMatchObject({ message: expect.stringContaining('batch failed'), reason: expect.stringContaining('ECONNREFUSED') });
  });
});
