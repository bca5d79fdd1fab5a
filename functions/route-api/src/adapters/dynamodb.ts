import { defaultDynamo, DynamoTable, type DynamoItem as Item, type LoadDynamo, S, str } from '@reflex/lambda-kit';
import type { ManagedRoute, ManagedRoutesPort } from '../ports';

/**
 * The routes Reflex manages, in the route API's DynamoDB table (partition key `pk`, sort key `sk`; the
 * idempotency records of its writes live there too, under `idempotency`):
 *   table#<tgw-rtb-…>  route#<cidr>   a route Reflex created: attachment, who set it, when, the key and request
 *   table#<tgw-rtb-…>  lease          the route table's write lease (holder, until)
 * With `dryRun` nothing is recorded: no route was created.
 *
 * @example
 * const managed = new DynamoManagedRoutes('reflex-prod-route-api', false);
 * await managed.list('tgw-rtb-0123456789abcdef0');
 */
export class DynamoManagedRoutes implements ManagedRoutesPort {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    private readonly dryRun: boolean,
    dynamo: LoadDynamo = defaultDynamo,
  ) {
    this.db = new DynamoTable(table, dynamo);
  }

  async list(tableId: string): Promise<ManagedRoute[]> {
    const items = await this.db.query(`table#${tableId}`, 'route#', `the routes Reflex manages in ${tableId}`);
    return items.map((item: Item) => ({
      tableId,
      cidr: str(item, 'cidr')!,
      attachmentId: str(item, 'attachmentId')!,
      setBy: str(item, 'setBy')!,
      setAt: str(item, 'setAt')!,
      idempotencyKey: str(item, 'idempotencyKey') ?? '',
      requestId: str(item, 'requestId') ?? '',
    }));
  }

  async put(route: ManagedRoute): Promise<void> {
    if (this.dryRun) return;
    await this.db.send('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: {
          pk: S(`table#${route.tableId}`),
          sk: S(`route#${route.cidr}`),
          cidr: S(route.cidr),
          attachmentId: S(route.attachmentId),
          setBy: S(route.setBy),
          setAt: S(route.setAt),
          idempotencyKey: S(route.idempotencyKey),
          requestId: S(route.requestId),
        },
      }),
    );
  }

  async remove(tableId: string, cidr: string): Promise<void> {
    if (this.dryRun) return;
    await this.db.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: this.table, Key: { pk: S(`table#${tableId}`), sk: S(`route#${cidr}`) } }));
  }

  lease(key: string, holder: string, until: Date, now: Date): Promise<boolean> {
    return this.db.lease(key, holder, until, now);
  }

  release(key: string, holder: string): Promise<void> {
    return this.db.release(key, holder);
  }
}
