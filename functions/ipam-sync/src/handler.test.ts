import { describe, expect, it } from '@jest/globals';
import { openPostgres, show } from '@reflex/ipam';
import { usePostgres } from '@reflex/local-aws/testing';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { running } from './test-message';

const context = { functionName: 'reflex-test-ipam-sync', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 30_000 } as Context;
const env = (config: object) => ({ REFLEX_ENV: 'test', REFLEX_BUS_NAME: 'bus', REFLEX_DRY_RUN: 'false', REFLEX_CONFIG: JSON.stringify(config) });

const record = (messageId: string, body: string): SQSRecord =>
  ({ messageId, receiptHandle: `h-${messageId}`, body, attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} }) as unknown as SQSRecord;

const postgres = usePostgres();

/** The handler module, fresh, with this environment (it reads its settings once, at load). */
async function loadHandler(config: object) {
  Object.assign(process.env, env(config), { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  const { handler } = await import(`./handler?${Math.random()}`);
  return handler as (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
}

describe('ipam-sync handler (against a PostgreSQL server)', () => {
  it('applies the good messages of a batch and reports only the malformed one', async () => {
    const handler = await loadHandler({ databaseUrl: postgres().url });

    const response = await handler(
      { Records: [record('good', JSON.stringify(running)), record('bad', '{"schemaVersion":1,"instanceId":"nope"}')] },
      context,
    );

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    const db = await openPostgres(postgres().url);
    const found = await show(db, running.instanceId);
    await db.close();
    expect(found.devices.map((d) => d.instanceId)).toEqual([running.instanceId]);
  });

  it('changes nothing twice when the same message is delivered again', async () => {
    const handler = await loadHandler({ databaseUrl: postgres().url });

    const response = await handler({ Records: [record('again', JSON.stringify(running))] }, context);

    expect(response.batchItemFailures).toEqual([]);
  });

  it('fails the whole batch, losing nothing, when the database cannot be reached', async () => {
    const handler = await loadHandler({ databaseUrl: 'postgres://nobody@127.0.0.1:1/ipam' });

    const response = await handler({ Records: [record('a', JSON.stringify(running)), record('b', JSON.stringify(running))] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
  });

  it('refuses to start without a database URL, naming the field', async () => {
    await expect(loadHandler({})).rejects.toThrow(/databaseUrl: required when the function consumes the queue/);
  });
});

