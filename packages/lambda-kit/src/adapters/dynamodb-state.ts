import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsErrorName, ReflexError } from '../errors';
import { lazySdk, type LoadedSdk } from '../lazy-sdk';
import type { LeasePort } from '../lease';

export type DynamoSdk = typeof import('@aws-sdk/client-dynamodb');
export type LoadDynamo = () => Promise<LoadedSdk<DynamoSdk, DynamoDBClient>>;
/** One DynamoDB item as the SDK marshals it. */
export type DynamoItem = Record<string, AttributeValue>;

/** The DynamoDB client of the function's environment (region, credentials, `AWS_ENDPOINT_URL`), loaded on first use. */
export const defaultDynamo: LoadDynamo = lazySdk(() => import('@aws-sdk/client-dynamodb'), (sdk) => new sdk.DynamoDBClient({}));

/** A string attribute. */
export const S = (value: string): AttributeValue => ({ S: value });
/** A number attribute. */
export const N = (value: number): AttributeValue => ({ N: String(value) });
/** The string attribute `key` of an item, if any. */
export const str = (item: DynamoItem, key: string): string | undefined => item[key]?.S;
/** The number attribute `key` of an item (`NaN` if absent). */
export const num = (item: DynamoItem, key: string): number => Number(item[key]?.N);

const HOUR = 3600_000;
const CONDITION_FAILED = 'ConditionalCheckFailedException';
const conditionFailed = (error: unknown) => awsErrorName((error as Error).cause) === CONDITION_FAILED;

/**
 * A reflex's state table (partition key `pk`, sort key `sk`, TTL attribute `ttl`): sends commands naming the
 * call and the table when they fail, reads a key's items page by page, and holds write leases
 * (`<pk>` / `lease`: holder, until) for {@link withLease}.
 *
 * @example
 * const table = new DynamoTable('reflex-prod-ip-blocker');
 * await table.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: table.name, Key: { pk: S('a'), sk: S('b') } }));
 * // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
export class DynamoTable implements LeasePort {
  constructor(
    readonly name: string,
    private readonly dynamo: LoadDynamo = defaultDynamo,
  ) {}

  /** Sends one command; a failure becomes a `ReflexError` "<call> on <table> failed" with the SDK error as `cause`. */
  async send(call: string, command: (sdk: DynamoSdk) => object): Promise<unknown> {
    const { sdk, client } = await this.dynamo();
    try {
      return await client.send(command(sdk) as never);
    } catch (error) {
      throw new ReflexError(`${call} on ${this.name} failed`, { cause: error });
    }
  }

  /** Sends a conditional write: false if its condition failed. */
  async sendIf(call: string, command: (sdk: DynamoSdk) => object): Promise<boolean> {
    try {
      await this.send(call, command);
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  /** Every item of partition `pk` whose sort key starts with `skPrefix`, read consistently; `what` names the query in an error. */
  async query(pk: string, skPrefix: string, what = pk): Promise<DynamoItem[]> {
    const { sdk, client } = await this.dynamo();
    const items: DynamoItem[] = [];
    try {
      for await (const page of sdk.paginateQuery(
        { client },
        {
          TableName: this.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': S(pk), ':prefix': S(skPrefix) },
          ConsistentRead: true,
        },
      )) {
        items.push(...(page.Items ?? []));
      }
    } catch (error) {
      throw new ReflexError(`Query ${what} of ${this.name} failed`, { cause: error });
    }
    return items;
  }

  /** Takes (or renews) the lease of `pk` for `holder` until `until`, unless another holder's runs past `now`. */
  lease(pk: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.name,
        Item: { pk: S(pk), sk: S('lease'), holder: S(holder), until: N(until.getTime()), ttl: N(Math.floor((until.getTime() + HOUR) / 1000)) },
        ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR holder = :holder',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': N(now.getTime()), ':holder': S(holder) },
      }),
    );
  }

  /** Gives up `holder`'s lease of `pk`; a lease taken over meanwhile is left to its new holder. */
  async release(pk: string, holder: string): Promise<void> {
    await this.sendIf('DeleteItem', (sdk) =>
      new sdk.DeleteItemCommand({
        TableName: this.name,
        Key: { pk: S(pk), sk: S('lease') },
        ConditionExpression: 'holder = :holder',
        ExpressionAttributeValues: { ':holder': S(holder) },
      }),
    );
  }
}
