// Jest hooks for tests against a local moto server or PostgreSQL server. Tests only: it imports @jest/globals.
import { afterAll, beforeAll } from '@jest/globals';
import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateEventBusCommand, type EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { localClientConfig } from './aws-env';
import { type StartedMoto, startMoto } from './moto';
import { type PostgresServer, startPostgres } from './postgres';

/** What `useMoto`'s setup hands back to be released after the tests: an SDK client, say. */
export interface Destroyable {
  destroy(): void;
}

/**
 * Starts moto before the tests of the enclosing describe (or file) and stops it after them. `setup` runs
 * once moto answers (create clients, seed resources); what it returns is destroyed before moto stops.
 *
 * @example
 * let sqs: SQSClient;
 * useMoto((aws) => (sqs = new SQSClient(localClientConfig(aws.endpoint))));
 */
export function useMoto(setup: (aws: StartedMoto) => Destroyable | void | Promise<Destroyable | void>, timeoutMs = 60_000): void {
  let aws: StartedMoto | undefined;
  let held: Destroyable | void;
  beforeAll(async () => {
    aws = await startMoto();
    held = await setup(aws);
  }, timeoutMs);
  afterAll(async () => {
    held?.destroy();
    await aws?.stop();
  });
}

/**
 * Starts a PostgreSQL server before the tests of the enclosing describe (or file) and stops it after them,
 * once `release` (close the connections the tests opened) is done. Returns the running server.
 *
 * @example
 * const opened: Db[] = [];
 * const postgres = usePostgres(() => Promise.all(opened.map((db) => db.close())));
 * it('…', async () => opened.push(await openPostgres(postgres().url)));
 */
export function usePostgres(release?: () => unknown, timeoutMs = 60_000): () => PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, timeoutMs);
  afterAll(async () => {
    await release?.();
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('usePostgres: the server starts in beforeAll; ask for it inside a test');
    return server;
  };
}

/** A loaded SDK module and its client against the local endpoint, and how to release the client. */
export interface LocalLoader<Sdk, Client extends Destroyable> extends Destroyable {
  /** What adapters take as their SDK loader (`LoadEc2`, `LoadDynamo`…): always this module and client. */
  readonly loader: () => Promise<{ sdk: Sdk; client: Client }>;
  readonly client: Client;
}

/**
 * Loads an SDK module and creates its client against a local endpoint (moto server), for adapters that take a
 * loader of their SDK; `destroy` releases the client.
 *
 * @example
 * const ec2 = await localLoader(aws.endpoint, () => import('@aws-sdk/client-ec2'), (sdk, config) => new sdk.EC2Client(config));
 * const network = new Ec2Network(false, ec2.loader);
 */
export async function localLoader<Sdk, Client extends Destroyable>(
  endpoint: string,
  load: () => Promise<Sdk>,
  create: (sdk: Sdk, config: ReturnType<typeof localClientConfig>) => Client,
): Promise<LocalLoader<Sdk, Client>> {
  const sdk = await load();
  const client = create(sdk, localClientConfig(endpoint));
  return { loader: async () => ({ sdk, client }), client, destroy: () => client.destroy() };
}


/**
 * Creates a reflex's state table as the stacks build it (partition key `pk`, sort key `sk`, on demand) and
 * returns its name.
 *
 * @example
 * const table = await createStateTable(new DynamoDBClient(localClientConfig(aws.endpoint)), 'reflex-local-ip-blocker');
 */
export async function createStateTable(dynamo: DynamoDBClient, name: string): Promise<string> {
  await dynamo.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
    }),
  );
  return name;
}

/**
 * Creates the bus `bus`, a rule `name` on it for Reflex events of `detailType`, and a queue `name` as the rule's
 * target; returns the queue's URL.
 *
 * @example
 * const queueUrl = await ruleToQueue(events, sqs, { bus: 'reflex-local-bus', name: 'block-requests', detailType: 'Reflex Block Request' });
 */
export async function ruleToQueue(events: EventBridgeClient, sqs: SQSClient, rule: { bus: string; name: string; detailType: string }): Promise<string> {
  await events.send(new CreateEventBusCommand({ Name: rule.bus }));
  await events.send(new PutRuleCommand({ Name: rule.name, EventBusName: rule.bus, EventPattern: JSON.stringify({ source: ['reflex'], 'detail-type': [rule.detailType] }) }));
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: rule.name }))).QueueUrl!;
  const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  await events.send(new PutTargetsCommand({ Rule: rule.name, EventBusName: rule.bus, Targets: [{ Id: 'queue', Arn: queueArn }] }));
  return queueUrl;
}

/**
 * Takes the next message off a queue: receives one (long polling) and deletes it; resolves to its body, or to
 * undefined when none arrived within `timeoutMs`.
 *
 * @example
 * const body = await nextMessage(sqs, queueUrl, 10_000);
 * if (body === undefined) throw new Error('no block request arrived on the queue');
 */
export async function nextMessage(sqs: SQSClient, queueUrl: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  do {
    const waitSeconds = Math.max(0, Math.min(20, Math.ceil((deadline - Date.now()) / 1000)));
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: waitSeconds }));
    const [message] = Messages;
    if (message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle! }));
      return message.Body;
    }
  } while (Date.now() < deadline);
  return undefined;
}
