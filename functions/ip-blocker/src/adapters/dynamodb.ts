import { defaultDynamo, DynamoTable, type DynamoItem as Item, type LoadDynamo, N, num, ReflexError, S, str } from '@reflex/lambda-kit';
import type { BlockOrigin, BlockRecord, EventOutcome, StatePort } from '../ports';

export type { LoadDynamo };

const epochSeconds = (ms: number) => Math.floor(ms / 1000);

const HOUR = 3600_000;
const OUTCOME_KEPT = 7 * 24 * HOUR;

/**
 * The IP blocker's state in its DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute `ttl`):
 *   nacl#<acl-id>  block#<cidr>   one block: the entry Reflex owns in that NACL (no TTL: the sweep removes it)
 *   nacl#<acl-id>  lease          the NACL's write lease (holder, until)
 *   budget         <minute>       entries written in that minute (TTL an hour)
 *   event#<id>     outcome        what became of a finding or request (TTL a week)
 * With `dryRun`, blocks are neither written nor deleted, and writes count against no budget.
 */
export class DynamoBlockState implements StatePort {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    private readonly dryRun: boolean,
    private readonly dynamo: LoadDynamo = defaultDynamo,
  ) {
    this.db = new DynamoTable(table, dynamo);
  }

  async blocksOf(naclId: string): Promise<BlockRecord[]> {
    const items = await this.db.query(`nacl#${naclId}`, 'block#');
    return items.map(toRecord);
  }

  async allBlocks(): Promise<BlockRecord[]> {
    const { sdk, client } = await this.dynamo();
    const records: BlockRecord[] = [];
    try {
      for await (const page of sdk.paginateScan(
        { client },
        { TableName: this.table, FilterExpression: 'begins_with(sk, :block)', ExpressionAttributeValues: { ':block': S('block#') }, ConsistentRead: true },
      )) {
        records.push(...(page.Items ?? []).map(toRecord));
      }
    } catch (error) {
      throw new ReflexError(`Scan of ${this.table} failed`, { cause: error });
    }
    return records.sort((a, b) => a.naclId.localeCompare(b.naclId) || a.ruleNumber - b.ruleNumber);
  }

  async putBlock(record: BlockRecord): Promise<void> {
    if (this.dryRun) return;
    const item: Item = {
      pk: S(`nacl#${record.naclId}`),
      sk: S(`block#${record.cidr}`),
      naclId: S(record.naclId),
      vpcId: S(record.vpcId),
      cidr: S(record.cidr),
      ruleNumber: N(record.ruleNumber),
      severity: N(record.severity),
      reason: S(record.reason),
      origin: S(record.origin),
      findingIds: { L: record.findingIds.map(S) },
      createdAt: S(record.createdAt),
      expiresAt: S(record.expiresAt),
      ...(record.requestedBy ? { requestedBy: S(record.requestedBy) } : {}),
    };
    await this.db.send('PutItem', (sdk) => new sdk.PutItemCommand({ TableName: this.table, Item: item }));
  }

  async deleteBlock(naclId: string, cidr: string): Promise<void> {
    if (this.dryRun) return;
    await this.db.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: this.table, Key: { pk: S(`nacl#${naclId}`), sk: S(`block#${cidr}`) } }));
  }

  lease(naclId: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.db.lease(`nacl#${naclId}`, holder, until, now);
  }

  release(naclId: string, holder: string): Promise<void> {
    return this.db.release(`nacl#${naclId}`, holder);
  }

  async takeWrites(minute: string, n: number, cap: number): Promise<boolean> {
    if (this.dryRun) return true;
    return this.db.sendIf('UpdateItem', (sdk) =>
      new sdk.UpdateItemCommand({
        TableName: this.table,
        Key: { pk: S('budget'), sk: S(minute) },
        UpdateExpression: 'ADD #count :n SET #ttl = :ttl',
        ConditionExpression: 'attribute_not_exists(#count) OR #count <= :max',
        ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':n': N(n), ':max': N(cap - n), ':ttl': N(epochSeconds(Date.parse(`${minute}:00Z`) + HOUR)) },
      }),
    );
  }

  async recordOutcome(outcome: EventOutcome): Promise<void> {
    await this.db.send('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(`event#${outcome.eventId}`),
          sk: S('outcome'),
          at: S(outcome.at),
          lines: { L: outcome.lines.map(S) },
          blocked: N(outcome.blocked),
          refused: N(outcome.refused),
          ttl: N(epochSeconds(Date.parse(outcome.at) + OUTCOME_KEPT)),
        },
      }),
    );
  }

  async outcomeOf(eventId: string): Promise<EventOutcome | undefined> {
    const out = await this.db.send('GetItem', (sdk) =>
      new sdk.GetItemCommand({ TableName: this.table, Key: { pk: S(`event#${eventId}`), sk: S('outcome') }, ConsistentRead: true }),
    );
    const item = (out as { Item?: Item }).Item;
    if (!item) return undefined;
    return {
      eventId,
      at: str(item, 'at') ?? '',
      lines: (item.lines?.L ?? []).map((v) => v.S ?? ''),
      blocked: num(item, 'blocked'),
      refused: num(item, 'refused'),
    };
  }
}

function toRecord(item: Item): BlockRecord {
  const requestedBy = str(item, 'requestedBy');
  return {
    naclId: str(item, 'naclId')!,
    vpcId: str(item, 'vpcId')!,
    cidr: str(item, 'cidr')!,
    ruleNumber: num(item, 'ruleNumber'),
    severity: num(item, 'severity'),
    reason: str(item, 'reason') ?? '',
    origin: (str(item, 'origin') ?? 'request') as BlockOrigin,
    findingIds: (item.findingIds?.L ?? []).map((v) => v.S ?? ''),
    createdAt: str(item, 'createdAt')!,
    expiresAt: str(item, 'expiresAt')!,
    ...(requestedBy ? { requestedBy } : {}),
  };
}
