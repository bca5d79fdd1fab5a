import { defaultDynamo, DynamoTable, type DynamoItem as Item, type LoadDynamo, N, S, str } from '@reflex/lambda-kit';
import type { Ladder } from '../core/ladder';
import type { Claim, HealStatePort, HealthRecord } from '../ports';

export type { LoadDynamo };

const DAY = 24 * 3600_000;
/** A handled event id is kept as long as the queue keeps a message (4 days): a redelivery finds it. */
const EVENT_KEPT = 4 * DAY;
/** A ladder outlives the longest budget window (7 days) by a day. */
const LADDER_KEPT = 8 * DAY;
/** A Health record is kept 30 days after its last update; a closed one 7. */
const HEALTH_KEPT = 30 * DAY;
const CLOSED_KEPT = 7 * DAY;
const epochSeconds = (ms: number) => Math.floor(ms / 1000);
const LADDERS = 'ladder';

/**
 * Auto-heal's state in its DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute `ttl`):
 *   event#<event id>     event                  a claim (holder, until) or, once handled, `done` (TTL 4 days)
 *   ladder               <instance id>          the instance's ladder (JSON) and its version, saved conditionally
 *   instance#<id>        health#<event ARN>     an AWS Health event's status for the instance, newest update wins
 *   instance#<id>        lease                  the instance's write lease (holder, until)
 *   sweep                dry-run-plan           the alarm changes a dry run reported last
 * All ladders share a partition, so that the timer reads them with one query. With `dryRun` no ladder is
 * written: a dry run takes no step, so none advances.
 *
 * @example
 * const state = new DynamoHealState('reflex-prod-auto-heal', false);
 * const saved = await state.ladder('i-0123456789abcdef0');
 */
export class DynamoHealState implements HealStatePort {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    private readonly dryRun: boolean,
    dynamo: LoadDynamo = defaultDynamo,
  ) {
    this.db = new DynamoTable(table, dynamo);
  }

  async claimEvent(eventId: string, holder: string, until: Date, now: Date): Promise<Claim> {
    const claimed = await this.db.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: { ...eventKey(eventId), holder: S(holder), until: N(until.getTime()), ttl: N(epochSeconds(now.getTime() + EVENT_KEPT)) },
        ConditionExpression: 'attribute_not_exists(pk) OR (attribute_not_exists(done) AND (#until < :now OR holder = :holder))',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':now': N(now.getTime()), ':holder': S(holder) },
      }),
    );
    if (claimed) return 'claimed';
    const item = await this.get(eventKey(eventId));
    return item?.done?.BOOL ? 'done' : 'busy';
  }

  async finishEvent(eventId: string, now: Date): Promise<void> {
    await this.db.send('PutItem', (sdk) =>
      new sdk.PutItemCommand({ TableName: this.table, Item: { ...eventKey(eventId), done: { BOOL: true }, ttl: N(epochSeconds(now.getTime() + EVENT_KEPT)) } }),
    );
  }

  async releaseEvent(eventId: string, holder: string): Promise<void> {
    await this.db.sendIf('DeleteItem', (sdk) =>
      new sdk.DeleteItemCommand({
        TableName: this.table,
        Key: eventKey(eventId),
        ConditionExpression: 'holder = :holder AND attribute_not_exists(done)',
        ExpressionAttributeValues: { ':holder': S(holder) },
      }),
    );
  }

  async ladder(instanceId: string): Promise<{ readonly ladder: Ladder; readonly version: number } | undefined> {
    const item = await this.get({ pk: S(LADDERS), sk: S(instanceId) });
    return item && ladderOf(item);
  }

  async ladders(): Promise<{ readonly ladder: Ladder; readonly version: number }[]> {
    const items = await this.db.query(LADDERS, 'i-', 'the ladders');
    return items.flatMap((item) => ladderOf(item) ?? []);
  }

  async saveLadder(ladder: Ladder, expected: number): Promise<boolean> {
    if (this.dryRun) return true;
    return this.db.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: { pk: S(LADDERS), sk: S(ladder.instanceId), ladder: S(JSON.stringify(ladder)), version: N(expected + 1), ttl: N(epochSeconds(Date.now() + LADDER_KEPT)) },
        ...(expected === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': N(expected) } }),
      }),
    );
  }

  async health(instanceId: string): Promise<HealthRecord[]> {
    const items = await this.db.query(`instance#${instanceId}`, 'health#', `the Health events of ${instanceId}`);
    return items.map((item) => ({
      instanceId,
      eventArn: str(item, 'eventArn')!,
      eventTypeCode: str(item, 'eventTypeCode') ?? '',
      status: str(item, 'status') ?? 'open',
      updatedAt: str(item, 'updatedAt')!,
    }));
  }

  // Written in dry-run too: what AWS Health says is a fact, not a step.
  async recordHealth(record: HealthRecord): Promise<boolean> {
    const kept = Date.parse(record.updatedAt) + (record.status === 'closed' ? CLOSED_KEPT : HEALTH_KEPT);
    return this.db.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(`instance#${record.instanceId}`),
          sk: S(`health#${record.eventArn}`),
          eventArn: S(record.eventArn),
          eventTypeCode: S(record.eventTypeCode),
          status: S(record.status),
          updatedAt: S(record.updatedAt),
          ttl: N(epochSeconds(kept)),
        },
        // ISO times of one format compare as strings.
        ConditionExpression: 'attribute_not_exists(pk) OR updatedAt < :updated',
        ExpressionAttributeValues: { ':updated': S(record.updatedAt) },
      }),
    );
  }

  async dryRunPlan(account?: string): Promise<string[]> {
    const item = await this.get(planKey(account));
    return (item?.changes?.L ?? []).map((v) => v.S ?? '');
  }

  async saveDryRunPlan(changes: readonly string[], account?: string): Promise<void> {
    await this.db.send('PutItem', (sdk) => new sdk.PutItemCommand({ TableName: this.table, Item: { ...planKey(account), changes: { L: changes.map(S) } } }));
  }

  lease(key: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.db.lease(key, holder, until, now);
  }

  release(key: string, holder: string): Promise<void> {
    return this.db.release(key, holder);
  }

  private async get(key: Item): Promise<Item | undefined> {
    const out = await this.db.send('GetItem', (sdk) => new sdk.GetItemCommand({ TableName: this.table, Key: key, ConsistentRead: true }));
    return (out as { Item?: Item }).Item;
  }
}

const eventKey = (eventId: string) => ({ pk: S(`event#${eventId}`), sk: S('event') });
/** The dry-run sweep plan of an account's turns (`sweep` for one account). */
const planKey = (account: string | undefined) => ({ pk: S(account ? `sweep#${account}` : 'sweep'), sk: S('dry-run-plan') });

function ladderOf(item: Item): { ladder: Ladder; version: number } | undefined {
  const json = str(item, 'ladder');
  return json ? { ladder: JSON.parse(json) as Ladder, version: Number(item.version?.N ?? 0) } : undefined;
}
