import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { awsName, type StateDeclaration } from '@reflex/manifest';
import { Construct } from 'constructs';
import type { EnvConfig } from '../envs';

/** What a reflex's role may do with its own state table: items, never the table itself. */
export const STATE_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:BatchGetItem',
  'dynamodb:BatchWriteItem',
] as const;

export interface StateTableProps {
  readonly env: EnvConfig;
  /** The reflex the table belongs to; the table is `reflex-<env>-<reflex>`. */
  readonly reflex: string;
  readonly state: StateDeclaration;
}

/**
 * The DynamoDB table of a reflex that declares `state`: on-demand, string keys as declared, encrypted with
 * a KMS key (the AWS managed one), point-in-time recovery, TTL on the declared attribute, and deletion
 * protection except on a local AWS API (whose tables go with the server).
 *
 * @example
 * new StateTable(this, 'state', { env, reflex: 'ip-blocker', state: { partitionKey: 'pk', ttlAttribute: 'expiresAt' } });
 * @see https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/dynamodb_table
 */
export class StateTable extends Construct {
  public readonly table: DynamodbTable;

  constructor(scope: Construct, id: string, props: StateTableProps) {
    super(scope, id);
    const { env, state } = props;
    const keys = [state.partitionKey, ...(state.sortKey ? [state.sortKey] : [])];
    this.table = new DynamodbTable(this, 'table', {
      name: awsName(env.name, props.reflex),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: state.partitionKey,
      ...(state.sortKey ? { rangeKey: state.sortKey } : {}),
      attribute: keys.map((name) => ({ name, type: 'S' })),
      serverSideEncryption: { enabled: true },
      pointInTimeRecovery: { enabled: true },
      ...(state.ttlAttribute ? { ttl: { attributeName: state.ttlAttribute, enabled: true } } : {}),
      deletionProtectionEnabled: !env.endpoint,
    });
  }
}
