import { type Check, resources } from './synthesized';

/** `enabled` of a nested block, which cdktf writes as an object (or a list of one). */
const enabled = (block: unknown) => ([block].flat()[0] as { enabled?: unknown } | undefined)?.enabled === true;

export const dynamodbPointInTimeRecovery: Check = {
  id: 'dynamodb-point-in-time-recovery',
  description: 'Every DynamoDB table can be restored to any second of the recovery period (point-in-time recovery on).',
  run: (stack) =>
    resources(stack, 'aws_dynamodb_table')
      .filter(([, table]) => !enabled(table.point_in_time_recovery))
      .map(([address]) => ({ address, message: 'point-in-time recovery is off: set point_in_time_recovery { enabled = true }' })),
};
