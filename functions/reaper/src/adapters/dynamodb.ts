import { defaultDynamo, DynamoTable, type DynamoItem as Item, type LoadDynamo, N, S, str } from '@reflex/lambda-kit';
import type { PendingSnapshot, ReaperStatePort, RunSummary } from '../ports';

export type { LoadDynamo };

const DAY_SECONDS = 86_400;
/** Records expire 30 days after their last write (DynamoDB's TTL; readers need not check it). */
const KEPT_SECONDS = 30 * DAY_SECONDS;
const ttl = (at: Date) => N(Math.floor(at.getTime() / 1000) + KEPT_SECONDS);

/**
 * The reaper's state in its DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute `ttl`):
 *   snapshot#<volume id>  pending          the final snapshot taken of an expired volume, until it is deleted
 *   dry-run               tags#<id>        the tags a dry run would have written on a resource (JSON)
 *   lab#<vpc id>          addresses        the Elastic IPs a lab VPC's teardown found associated with it
 *   runs#<account>        at#<ISO time>    one run's summary (JSON) in that account: resources looked at, counts per outcome
 *   lease#run             lease            the run lease (holder, until): one run at a time
 * Every record but the lease expires 30 days after its last write.
 *
 * @example
 * const state = new DynamoReaperState('reflex-prod-reaper');
 * const last = await state.lastRun();
 */
export class DynamoReaperState implements ReaperStatePort {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    dynamo: LoadDynamo = defaultDynamo,
    private readonly clock: () => Date = () => new Date(),
  ) {
    this.db = new DynamoTable(table, dynamo);
  }

  private put(pk: string, sk: string, fields: Item): Promise<unknown> {
    return this.db.send('PutItem', (sdk) => new sdk.PutItemCommand({ TableName: this.table, Item: { pk: S(pk), sk: S(sk), ...fields, ttl: ttl(this.clock()) } }));
  }

  private async get(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.db.send('GetItem', (sdk) => new sdk.GetItemCommand({ TableName: this.table, Key: { pk: S(pk), sk: S(sk) }, ConsistentRead: true }));
    return (out as { Item?: Item }).Item;
  }

  async pendingSnapshot(volumeId: string): Promise<PendingSnapshot | undefined> {
    const item = await this.get(`snapshot#${volumeId}`, 'pending');
    const snapshotId = item && str(item, 'snapshotId');
    return snapshotId ? { volumeId, snapshotId, startedAt: str(item, 'startedAt') ?? '' } : undefined;
  }

  async putPendingSnapshot(pending: PendingSnapshot): Promise<void> {
    await this.put(`snapshot#${pending.volumeId}`, 'pending', { snapshotId: S(pending.snapshotId), startedAt: S(pending.startedAt) });
  }

  async clearPendingSnapshot(volumeId: string): Promise<void> {
    await this.db.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: this.table, Key: { pk: S(`snapshot#${volumeId}`), sk: S('pending') } }));
  }

  async dryRunTags(): Promise<Map<string, Record<string, string>>> {
    const items = await this.db.query('dry-run', 'tags#', 'dry-run tags');
    return new Map(items.map((item) => [str(item, 'sk')!.slice('tags#'.length), JSON.parse(str(item, 'tags') ?? '{}') as Record<string, string>]));
  }

  async putDryRunTags(resourceId: string, tags: Readonly<Record<string, string>>): Promise<void> {
    await this.put('dry-run', `tags#${resourceId}`, { tags: S(JSON.stringify(tags)) });
  }

  async labAddresses(vpcId: string): Promise<string[]> {
    const item = await this.get(`lab#${vpcId}`, 'addresses');
    return (item?.addresses?.L ?? []).map((v) => v.S ?? '').filter(Boolean);
  }

  async putLabAddresses(vpcId: string, allocationIds: readonly string[]): Promise<void> {
    await this.put(`lab#${vpcId}`, 'addresses', { addresses: { L: allocationIds.map(S) } });
  }

  async putRun(summary: RunSummary): Promise<void> {
    await this.put(runsKey(summary.account), `at#${summary.at}`, { summary: S(JSON.stringify(summary)) });
  }

  async lastRun(account?: string): Promise<RunSummary | undefined> {
    const out = await this.db.send('Query', (sdk) =>
      new sdk.QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': S(runsKey(account)), ':prefix': S('at#') },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const json = (out as { Items?: Item[] }).Items?.[0] && str((out as { Items: Item[] }).Items[0]!, 'summary');
    return json ? (JSON.parse(json) as RunSummary) : undefined;
  }

  lease(key: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.db.lease(`lease#${key}`, holder, until, now);
  }

  release(key: string, holder: string): Promise<void> {
    return this.db.release(`lease#${key}`, holder);
  }
}

/** Where the run summaries of an account are kept (`runs` for those recorded without an account). */
const runsKey = (account: string | undefined) => (account ? `runs#${account}` : 'runs');
