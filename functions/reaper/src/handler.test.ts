// The Lambda handler against moto: a Scheduled Event in an SQS record, the reaper's table, and the reflex bus
// with a rule that sends Reflex Actions to a queue — the whole path a deployed reaper takes.
import { describe, expect, it } from '@jest/globals';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { fixture } from '@reflex/events/fixtures';
import { instanceStates, launchInstances, localAwsEnv, localClientConfig } from '@reflex/local-aws';
import { createStateTable, nextMessage, ruleToQueue, useMoto } from '@reflex/local-aws/testing';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

const context = { functionName: 'reflex-test-reaper', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 300_000 } as Context;
const BUS = 'reflex-test-bus';
const TABLE = 'reflex-test-reaper';

let endpoint: string;
let ec2: EC2Client;
let sqs: SQSClient;
let queueUrl: string;

useMoto(async (aws) => {
  endpoint = aws.endpoint;
  const config = localClientConfig(endpoint);
  ec2 = new EC2Client(config);
  sqs = new SQSClient(config);
  const dynamo = new DynamoDBClient(config);
  const events = new EventBridgeClient(config);
  await createStateTable(dynamo, TABLE);
  queueUrl = await ruleToQueue(events, sqs, { bus: BUS, name: 'reflex-actions', detailType: 'Reflex Action' });
  return { destroy: () => [ec2, sqs, dynamo, events].forEach((c) => c.destroy()) };
});

/** The handler module, fresh, with this environment (it reads its settings once, at load). */
async function loadHandler(config: object, envDryRun = false) {
  Object.assign(process.env, localAwsEnv(endpoint), {
    REFLEX_ENV: 'test',
    REFLEX_BUS_NAME: BUS,
    REFLEX_DRY_RUN: String(envDryRun),
    REFLEX_CONFIG: JSON.stringify(config),
    REFLEX_STATE_TABLE: TABLE,
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = await import(`./handler?${Math.random()}`);
  return handler as (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
}

/** An SQS record holding the Lambda guide's sample Scheduled Event, fired now. */
const scheduled = (messageId: string): SQSRecord =>
  ({
    messageId,
    receiptHandle: `h-${messageId}`,
    body: JSON.stringify({ ...fixture('scheduled/scheduled-event.json'), time: new Date().toISOString() }),
    attributes: { ApproximateReceiveCount: '1' },
    messageAttributes: {},
  }) as unknown as SQSRecord;

/** The Reflex Actions the bus delivered about `id`, until none arrives for a second. */
async function actionsAbout(id: string): Promise<{ action: string; dryRun: boolean; outcome: string }[]> {
  const found: { action: string; dryRun: boolean; outcome: string }[] = [];
  for (let body = await nextMessage(sqs, queueUrl, 5000); body !== undefined; body = await nextMessage(sqs, queueUrl, 1000)) {
    const { detail } = JSON.parse(body) as { detail: { action: string; dryRun: boolean; outcome: string; targets: { id: string }[] } };
    if (detail.targets.some((t) => t.id === id)) found.push({ action: detail.action, dryRun: detail.dryRun, outcome: detail.outcome });
  }
  return found;
}

const overdue = () => ({ 'reflex:expires-at': new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z'), owner: 'alice' });

describe('reaper handler (against moto)', () => {
  it('is dry-run by default whatever the environment says: it reports the stop as dry-run, on the bus, and stops nothing', async () => {
    const [id] = (await launchInstances(ec2, [overdue()])) as [string];
    const handler = await loadHandler({});

    const response = await handler({ Records: [scheduled('dry')] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await actionsAbout(id)).toEqual([{ action: 'ec2:StopInstances', dryRun: true, outcome: 'dry-run' }]);
    expect((await instanceStates(ec2, [id])).get(id)).toBe('running');
  }, 60_000);

  it('acts once the config switches dry-run off in an environment that acts', async () => {
    const [id] = (await launchInstances(ec2, [overdue()])) as [string];
    const handler = await loadHandler({ dryRun: false });

    const response = await handler({ Records: [scheduled('live')] }, context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await actionsAbout(id)).toEqual([{ action: 'ec2:StopInstances', dryRun: false, outcome: 'succeeded' }]);
    expect((await instanceStates(ec2, [id])).get(id)).toBe('stopped');
  }, 60_000);
});
