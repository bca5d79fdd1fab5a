import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueUrlCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { type ReflexActionDetail, ReflexActionDetailSchema } from '@reflex/events';
import { EmitError } from '../errors';
import { lazySdk } from '../lazy-sdk';
import { EventBridgeEmitter } from './eventbridge';
import { QueueSender, SendError } from './sqs';

const BUS = 'bus';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

let moto: ChildProcess;
let endpoint: string;
let eventBridge: EventBridgeClient;
let sqs: SQSClient;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });

/** Polls until moto answers HTTP; fails if it exits first or never answers. */
const waitForMoto = async () => {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (moto.exitCode !== null) throw new Error(`moto_server exited with code ${moto.exitCode}`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`moto_server did not answer at ${endpoint}`);
};

const emitterFor = (busName: string) =>
  new EventBridgeEmitter(
    busName,
    lazySdk(
      () => import('@aws-sdk/client-eventbridge'),
      (sdk) => new sdk.EventBridgeClient({ endpoint, region: 'us-east-1', credentials }),
    ),
  );

/** A queue that receives the Reflex Action events of `reflex` from the bus. */
const subscribe = async (reflex: string): Promise<string> => {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `actions-${reflex}` }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  await eventBridge.send(
    new PutRuleCommand({
      Name: `actions-${reflex}`,
      EventBusName: BUS,
      EventPattern: JSON.stringify({ source: ['reflex'], 'detail-type': ['Reflex Action'], detail: { reflex: [reflex] } }),
    }),
  );
  await eventBridge.send(
    new PutTargetsCommand({ Rule: `actions-${reflex}`, EventBusName: BUS, Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }] }),
  );
  return QueueUrl!;
};

/** Receives (and deletes) messages until `count` have arrived or the queue stays empty. */
const receive = async (queueUrl: string, count: number): Promise<Record<string, unknown>[]> => {
  const bodies: Record<string, unknown>[] = [];
  for (let empty = 0; bodies.length < count && empty < 3; ) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
    );
    if (Messages.length === 0) empty++;
    for (const message of Messages) {
      bodies.push(JSON.parse(message.Body!));
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }));
    }
  }
  return bodies;
};

const action = (reflex: string, instanceId: string): ReflexActionDetail => ({
  reflex,
  env: 'test',
  action: 'ec2:StartInstances',
  targets: [
    { id: instanceId, arn: `arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}` },
    { id: 'vol-abcd1111' },
  ],
  reason: 'the instance is protected',
  dryRun: false,
  outcome: 'succeeded',
  severity: 'info',
  cause: { eventId: '7bf73129-1428-4cd3-a780-95db273d1602', source: 'aws.ec2', detailType: 'EC2 Instance State-change Notification' },
});

beforeAll(async () => {
  endpoint = `http://127.0.0.1:${await freePort()}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', endpoint.split(':').pop()!], { stdio: 'ignore' });
  await waitForMoto();
  eventBridge = new EventBridgeClient({ endpoint, region: 'us-east-1', credentials });
  sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials });
  await eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
}, 30_000);

afterAll(async () => {
  eventBridge?.destroy();
  sqs?.destroy();
  if (moto && moto.exitCode === null && moto.signalCode === null) {
    const exited = new Promise((resolve) => moto.once('exit', resolve));
    moto.kill('SIGTERM');
    await exited;
  }
});

describe('EventBridgeEmitter (against moto)', () => {
  it('publishes each action as a Reflex Action event on the bus', async () => {
    const queueUrl = await subscribe('one-action');
    const emitted = action('one-action', 'i-abcd1111');

    await emitterFor(BUS).emit([emitted]);

    const [event] = await receive(queueUrl, 1);
    expect(event).toMatchObject({ source: 'reflex', 'detail-type': 'Reflex Action' });
    expect(ReflexActionDetailSchema.parse(event?.['detail'])).toEqual(emitted);
  });

  it('names the targets that have an ARN as the event resources', async () => {
    const queueUrl = await subscribe('resources');

    await emitterFor(BUS).emit([action('resources', 'i-abcd1111')]);

    const [event] = await receive(queueUrl, 1);
    expect(event?.['resources']).toEqual(['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111']);
  });

  it('publishes all of more than ten actions', async () => {
    const queueUrl = await subscribe('many');
    const ids = Array.from({ length: 12 }, (_, i) => `i-abcd${String(i).padStart(4, '0')}`);

    await emitterFor(BUS).emit(ids.map((id) => action('many', id)));

    const events = await receive(queueUrl, 12);
    const received = events.map((event) => ReflexActionDetailSchema.parse(event['detail']).targets[0]?.id);
    expect(received.sort()).toEqual(ids);
  });

  it('rejects with an EmitError naming the bus when the bus does not exist', async () => {
    const emit = emitterFor('no-such-bus').emit([action('missing', 'i-abcd1111')]);

    await expect(emit).rejects.toThrow(EmitError);
    await expect(emit).rejects.toThrow(/no-such-bus/);
  });
});

const senderFor = (queueUrl: string) =>
  new QueueSender(
    queueUrl,
    lazySdk(
      () => import('@aws-sdk/client-sqs'),
      (sdk) => new sdk.SQSClient({ endpoint, region: 'us-east-1', credentials }),
    ),
  );

describe('QueueSender (against moto)', () => {
  it('sends every body as one JSON message, more than ten in batches', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sender-many' }));
    const bodies = Array.from({ length: 23 }, (_, i) => ({ n: i, instanceId: `i-abcd${String(i).padStart(4, '0')}` }));

    await senderFor(QueueUrl!).send(bodies);

    const received = await receive(QueueUrl!, 23);
    expect(received.map((b) => b['n']).sort((a, b) => Number(a) - Number(b))).toEqual(bodies.map((b) => b.n));
  });

  it('sends nothing, and needs no queue, for no bodies', async () => {
    await expect(senderFor('http://127.0.0.1:1/000000000000/none').send([])).resolves.toBeUndefined();
  });

  it('rejects with a SendError naming the queue when the queue does not exist', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sender-gone' }));
    const url = QueueUrl!.replace('sender-gone', 'sender-never-made');
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'sender-never-made' }))).rejects.toThrow();

    const send = senderFor(url).send([{ n: 1 }]);

    await expect(send).rejects.toThrow(SendError);
    await expect(send).rejects.toThrow(/sender-never-made/);
  });
});
