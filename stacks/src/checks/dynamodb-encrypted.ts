import { type Check, resources } from './synthesized';

/** `enabled` of a nested block, which cdktf writes as an object (or a list of one). */
const enabled = (block: unknown) => ([block].flat()[0] as { enabled?: unknown } | undefined)?.enabled === true;

export const dynamodbEncrypted: Check = {
  id: 'dynamodb-encrypted',
  description: 'Every DynamoDB table is encrypted with a KMS key (server_side_encryption enabled).',
  run: (stack) =>
    resources(stack, 'aws_dynamodb_table')
      .filter(([, table]) => !enabled(table.server_side_encryption))
      .map(([address]) => ({ address, message: 'table is not encrypted with a KMS key: set server_side_encryption { enabled = true }' })),
};
