import { IdempotencyItemAlreadyExistsError, IdempotencyItemNotFoundError } from '@aws-lambda-powertools/idempotency';
import { BasePersistenceLayer, IdempotencyRecord } from '@aws-lambda-powertools/idempotency/persistence';
import { type DynamoItem, DynamoTable, defaultDynamo, type LoadDynamo, N, num, S, str } from './dynamodb-state';

/** The attributes of an idempotency record, beside the table's keys and its TTL attribute (`ttl`). */
const STATUS = 'status';
const IN_PROGRESS_EXPIRY = 'in_progress_expiration';
const DATA = 'data';
const VALIDATION = 'validation';

/**
 * A store of Powertools' idempotency records in a reflex's state table: see {@link DynamoIdempotencyStore}.
 * The class is made on the first call (it extends Powertools' base layer): a bundle that imports the kit but
 * never serves HTTP carries none of it.
 *
 * @example
 * makeIdempotent(handler, { persistenceStore: dynamoIdempotencyStore('reflex-prod-route-api'), config });
 */
export function dynamoIdempotencyStore(table: string, dynamo: LoadDynamo = defaultDynamo): BasePersistenceLayer {
  StoreClass ??= storeClass();
  return new StoreClass(table, dynamo);
}

let StoreClass: ReturnType<typeof storeClass> | undefined;

/**
 * Powertools' idempotency records in a reflex's state table (keys `pk` = `idempotency`, `sk` = the hashed
 * key; expiry in the TTL attribute `ttl`), written as Powertools' DynamoDB layer writes them — a record is
 * taken if absent, expired, or in progress past its in-progress expiry — through the kit's {@link DynamoTable},
 * whose SDK loads on first use (Powertools' own layer imports the DynamoDB client with the bundle).
 *
 * @see https://docs.powertools.aws.dev/lambda/typescript/latest/features/idempotency/
 */
const storeClass = () => class DynamoIdempotencyStore extends BasePersistenceLayer {
  private readonly db: DynamoTable;

  constructor(
    private readonly table: string,
    dynamo: LoadDynamo = defaultDynamo,
  ) {
    super();
    this.db = new DynamoTable(table, dynamo);
  }

  protected async _getRecord(idempotencyKey: string): Promise<IdempotencyRecord> {
    const out = (await this.db.send('GetItem', (sdk) => new sdk.GetItemCommand({ TableName: this.table, Key: key(idempotencyKey), ConsistentRead: true }))) as {
      Item?: DynamoItem;
    };
    if (!out.Item) throw new IdempotencyItemNotFoundError();
    return toRecord(out.Item);
  }

  protected async _putRecord(record: IdempotencyRecord): Promise<void> {
    const now = Date.now();
    const item: DynamoItem = { ...key(record.idempotencyKey), ttl: N(record.expiryTimestamp ?? 0), [STATUS]: S(record.getStatus()) };
    if (record.inProgressExpiryTimestamp !== undefined) item[IN_PROGRESS_EXPIRY] = N(record.inProgressExpiryTimestamp);
    if (this.isPayloadValidationEnabled() && record.payloadHash !== undefined) item[VALIDATION] = S(record.payloadHash);
    const taken = await this.db.sendIf('PutItem', (sdk) =>
      new sdk.PutItemCommand({
        TableName: this.table,
        Item: item,
        // Absent (first use, or gone by TTL); expired; or in progress past its in-progress expiry (a timed-out invocation).
        ConditionExpression: 'attribute_not_exists(sk) OR #expiry < :now OR (#status = :inprogress AND attribute_exists(#ipe) AND #ipe < :now_ms)',
        ExpressionAttributeNames: { '#expiry': 'ttl', '#status': STATUS, '#ipe': IN_PROGRESS_EXPIRY },
        ExpressionAttributeValues: { ':now': N(now / 1000), ':now_ms': N(now), ':inprogress': S('INPROGRESS') },
      }),
    );
    // The handler reads the existing record itself (getRecord) when the error carries none.
    if (!taken) throw new IdempotencyItemAlreadyExistsError(`Failed to put record for already existing idempotency key: ${record.idempotencyKey}`);
  }

  protected async _updateRecord(record: IdempotencyRecord): Promise<void> {
    const names: Record<string, string> = { '#expiry': 'ttl', '#status': STATUS };
    const values: DynamoItem = { ':expiry': N(record.expiryTimestamp ?? 0), ':status': S(record.getStatus()) };
    const sets = ['#expiry = :expiry', '#status = :status'];
    if (record.responseData !== undefined) {
      sets.push('#data = :data');
      names['#data'] = DATA;
      values[':data'] = S(JSON.stringify(record.responseData));
    }
    if (this.isPayloadValidationEnabled() && record.payloadHash !== undefined) {
      sets.push('#validation = :validation');
      names['#validation'] = VALIDATION;
      values[':validation'] = S(record.payloadHash);
    }
    await this.db.send('UpdateItem', (sdk) =>
      new sdk.UpdateItemCommand({
        TableName: this.table,
        Key: key(record.idempotencyKey),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  protected async _deleteRecord(record: IdempotencyRecord): Promise<void> {
    await this.db.send('DeleteItem', (sdk) => new sdk.DeleteItemCommand({ TableName: this.table, Key: key(record.idempotencyKey) }));
  }
};

const key = (idempotencyKey: string): DynamoItem => ({ pk: S('idempotency'), sk: S(idempotencyKey) });

function toRecord(item: DynamoItem): IdempotencyRecord {
  const data = str(item, DATA);
  const inProgress = num(item, IN_PROGRESS_EXPIRY);
  return new IdempotencyRecord({
    idempotencyKey: str(item, 'sk')!,
    status: str(item, STATUS) as ConstructorParameters<typeof IdempotencyRecord>[0]['status'],
    expiryTimestamp: num(item, 'ttl'),
    ...(Number.isNaN(inProgress) ? {} : { inProgressExpiryTimestamp: inProgress }),
    ...(data !== undefined ? { responseData: JSON.parse(data) } : {}),
    ...(str(item, VALIDATION) !== undefined ? { payloadHash: str(item, VALIDATION)! } : {}),
  });
}
