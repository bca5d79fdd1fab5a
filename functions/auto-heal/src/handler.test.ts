// The Lambda handler as the queue drives it, against moto: the function's environment names the state table and
// the local endpoint, Reflex Actions go to the log, and the records are the events the rules deliver.
import { describe, expect, it } from '@jest/globals';
import { DescribeAlarmsCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { launchInstances, localAwsEnv, localClientConfig } from '@reflex/local-aws';
import { createStateTable, localLoader, useMoto } from '@reflex/local-aws/testing';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { alarmEvent, timerEvent } from './test-events';

const TABLE = 'reflex-test-auto-heal';
const context = { functionName: 'reflex-test-auto-heal', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 300_000 } as Context;
const record = (messageId: string, body: unknown): SQSRecord =>
  ({ messageId, receiptHandle: `h-${messageId}`, body: typeof body === 'string' ? body : JSON.stringify(body), attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} }) as unknown as SQSRecord;

let endpoint: string;
let cloudwatch: Awaited<ReturnType<typeof loadCloudWatch>>;
const loadCloudWatch = (at: string) => localLoader(at, () => import('@aws-sdk/client-cloudwatch'), (sdk, config) => new sdk.CloudWatchClient(config));

useMoto(async (aws) => {
  endpoint = aws.endpoint;
  const dynamo = new DynamoDBClient(localClientConfig(endpoint));
  await createStateTable(dynamo, TABLE);
  dynamo.destroy();
  cloudwatch = await loadCloudWatch(endpoint);
  return cloudwatch;
});

/** The handler module, fresh, with this environment (it reads its settings once, at load). */
async function loadHandler() {
  Object.assign(process.env, localAwsEnv(endpoint), {
    REFLEX_ENV: 'test',
    REFLEX_BUS_NAME: 'reflex-test-bus',
    REFLEX_DRY_RUN: 'false',
    REFLEX_CONFIG: JSON.stringify({ alarmPrefix: 'reflex-test-heal-' }),
    REFLEX_STATE_TABLE: TABLE,
    REFLEX_ACTIONS_SINK: 'log',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  const { handler } = await import(`./handler?${Math.random()}`);
  return handler as (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>;
}

describe('auto-heal handler (against moto)', () => {
  it('keeps the alarm, reboots on its ALARM transition once, and fails a malformed record alone', async () => {
    const ec2 = new EC2Client(localClientConfig(endpoint));
    const [id] = (await launchInstances(ec2, [{ 'reflex:heal': 'true' }])) as [string];
    ec2.destroy();
    const handler = await loadHandler();
    const alarm = `reflex-test-heal-${id}`;

    expect(await handler({ Records: [record('timer', timerEvent(new Date().toISOString()))] }, context)).toEqual({ batchItemFailures: [] });
    const created = await cloudwatch.client.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'reflex-test-heal-' }));
    expect(created.MetricAlarms?.map((a) => a.AlarmName)).toEqual([alarm]);

    await cloudwatch.client.send(new SetAlarmStateCommand({ AlarmName: alarm, StateValue: 'ALARM', StateReason: 'test' }));
    const event = alarmEvent({ instanceId: id, name: alarm, at: new Date().toISOString() });
    const response = await handler({ Records: [record('alarm', event), record('again', event), record('bad', '{"detail-type":"CloudWatch Alarm State Change"}')] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'bad' }]);
    const dynamo = new DynamoDBClient(localClientConfig(endpoint));
    const { DynamoHealState } = await import('./adapters/dynamodb');
    const state = new DynamoHealState(TABLE, false, async () => ({ sdk: await import('@aws-sdk/client-dynamodb'), client: dynamo }));
    expect((await state.ladder(id))?.ladder).toMatchObject({ actions: [expect.any(String)], episode: { steps: ['reboot'], alarm } });
    dynamo.destroy();
  }, 60_000);
});
