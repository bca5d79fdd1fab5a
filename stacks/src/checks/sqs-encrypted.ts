import { type Check, resources } from './synthesized';

export const sqsEncrypted: Check = {
  id: 'sqs-encrypted',
  description: 'Every SQS queue is encrypted at rest (SSE-SQS or KMS).',
  run: (stack) =>
    resources(stack, 'aws_sqs_queue')
      .filter(([, q]) => q.sqs_managed_sse_enabled !== true && !q.kms_master_key_id)
      .map(([address]) => ({ address, message: 'queue is not encrypted: set sqs_managed_sse_enabled or kms_master_key_id' })),
};
