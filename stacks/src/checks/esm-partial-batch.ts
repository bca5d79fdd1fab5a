import { type Check, resources } from './synthesized';

export const esmPartialBatch: Check = {
  id: 'esm-partial-batch',
  description: 'Every SQS event source mapping reports batch item failures, so one bad record fails alone.',
  run: (stack) =>
    resources(stack, 'aws_lambda_event_source_mapping')
      .filter(([, m]) => !((m.function_response_types as string[] | undefined) ?? []).includes('ReportBatchItemFailures'))
      .map(([address]) => ({ address, message: 'function_response_types lacks ReportBatchItemFailures' })),
};
