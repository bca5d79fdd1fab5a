import { randomUUID } from 'node:crypto';
import { defaultDynamo, DynamoTable, type DynamoItem as Item, type LoadDynamo, N, S, str } from '@reflex/lambda-kit';
import type { PathState } from '../core/path-machine';
import type { FailoverStatePort, InstalledRoute, JournalEntry } from '../ports';

export type { LoadDynamo };

const L = (values: readonly string[]) => ({ L: values.map(S) });
const strings = (item: Item, key: string) => (item[key]?.L ?? []).map((v) => v.S ?? '');
const epochSeconds = (ms: number) => Math.floor(ms / 1000);

const HOUR = 3600_000;
const JOURNAL_KEPT = 90 * 24 * HOUR;

/**
 * The route failover's state in its DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute `ttl`):
 *   path#<name>  state                          the path's state (JSON) and its version, saved conditionally
 *   path#<name>  route#<table-id>#<prefix>      a static route Reflex installed (no TTL: a failback removes it)
 *   path#<name>  journal#<ISO time>#<random>    one decision and what became of it (TTL 90 days)
 *   rtb#<id>     lease                          the route table's write lease (holder, until)
 * With `dryRun`, installed routes are neither written nor deleted (none was installed); the path's state and
 * the journal are written, and record what would have happened.
 *
 * @example
 * const state = new DynamoFailoverState('reflex-prod-route-failover', false);
 * const saved = await state.path('dc1');
 */
export class DynamoFailoverState implements FailoverStatePort {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    private readonly dryRun: boolean,
    dynamo: LoadDynamo = defaultDynamo,
  ) {
    this.db = new DynamoTable(table, dynamo);
  }

  async path(name: string): Promise<{ readonly state: PathState; readonly version: number } | undefined> {
    const out = await this.db.send('GetItem', (sdk) => new sdk.GetItemCommand({ TableName: this.table, Key: { pk: S(`path#${name}`), sk: S('state') }, ConsistentRead: true }));
    const item = (out as { Item?: Item }).Item;
    const json = item && str(item, 'state');
    if (!item || !json) return undefined;
    return { state: JSON.parse(json) as PathState, version: Number(item.version?.N ?? 0) };
  }

  // Written in dry-run too: a dry run then decides as a live run would, from what it would have done.
  async savePath(state: PathState, expected: number): Promise<boolean> {
    return this.db.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: { pk: S(`path#${state.path}`), sk: S('state'), state: S(JSON.stringify(state)), version: N(expected + 1) },
        ...(expected === 0
          ? { ConditionExpression: 'attribute_not_exists(pk)' }
          : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': N(expected) } }),
      }),
    );
  }

  async installed(path: string): Promise<InstalledRoute[]> {
    const items = await this.db.query(`path#${path}`, 'route#', `path#${path} route#`);
    return items.map((item) => ({
      path: str(item, 'path')!,
      table: { kind: str(item, 'tableKind') === 'vpc' ? 'vpc' : 'tgw', id: str(item, 'tableId')! },
      prefix: str(item, 'prefix')!,
      target: str(item, 'target')!,
      installedAt: str(item, 'installedAt')!,
    }));
  }

  async putInstalled(route: InstalledRoute): Promise<void> {
    if (this.dryRun) return;
    await this.db.send('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: {
          ...routeKey(route),
          path: S(route.path),
          tableKind: S(route.table.kind),
          tableId: S(route.table.id),
          prefix: S(route.prefix),
          target: S(route.target),
          installedAt: S(route.installedAt),
        },
      }),
    );
  }

  async deleteInstalled(route: Pick<InstalledRoute, 'path' | 'table' | 'prefix'>): Promise<void> {
    if (this.dryRun) return;
    await this.db.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: this.table, Key: routeKey(route) }));
  }

  lease(table: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.db.lease(`rtb#${table}`, holder, until, now);
  }

  release(table: string, holder: string): Promise<void> {
    return this.db.release(`rtb#${table}`, holder);
  }

  // Written in dry-run too: the journal of a dry run is what it would have done.
  async journal(entry: JournalEntry): Promise<void> {
    await this.db.send('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(`path#${entry.path}`),
          // The random tail keeps two entries of one instant (a retried record, two paths' invocations) apart.
          sk: S(`journal#${entry.at}#${randomUUID().slice(0, 8)}`),
          path: S(entry.path),
          at: S(entry.at),
          decision: S(entry.decision),
          from: S(entry.from),
          to: S(entry.to),
          prefixes: L(entry.prefixes),
          tables: L(entry.tables),
          reason: S(entry.reason),
          verification: L(entry.verification),
          dryRun: { BOOL: entry.dryRun },
          ttl: N(epochSeconds(Date.parse(entry.at) + JOURNAL_KEPT)),
        },
      }),
    );
  }

  async journalOf(path: string, limit: number): Promise<JournalEntry[]> {
    const out = await this.db.send('Query', (sdk) =>
      new sdk.QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': S(`path#${path}`), ':prefix': S('journal#') },
        ScanIndexForward: false,
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return ((out as { Items?: Item[] }).Items ?? []).map((item) => ({
      path: str(item, 'path')!,
      at: str(item, 'at')!,
      decision: str(item, 'decision') as JournalEntry['decision'],
      from: str(item, 'from') ?? '',
      to: str(item, 'to') ?? '',
      prefixes: strings(item, 'prefixes'),
      tables: strings(item, 'tables'),
      reason: str(item, 'reason') ?? '',
      verification: strings(item, 'verification'),
      dryRun: item.dryRun?.BOOL ?? false,
    }));
  }
}

const routeKey = (route: Pick<InstalledRoute, 'path' | 'table' | 'prefix'>) => ({ pk: S(`path#${route.path}`), sk: S(`route#${route.table.id}#${route.prefix}`) });
