import { VISIBILITY_TIMEOUT_FACTOR } from '../constructs/reflex-function';
import { type Check, referencedAddress, resources } from './synthesized';

export const sqsVisibilityTimeout: Check = {
  id: 'sqs-visibility-timeout',
  description: `A queue that feeds a function has a visibility timeout of at least ${VISIBILITY_TIMEOUT_FACTOR}× the function timeout plus the batching window.`,
  run: (stack) => {
    const queues = new Map(resources(stack, 'aws_sqs_queue'));
    const functions = new Map(resources(stack, 'aws_lambda_function'));
    return resources(stack, 'aws_lambda_event_source_mapping').flatMap(([address, m]) => {
      const queue = queues.get(referencedAddress(m.event_source_arn, 'aws_sqs_queue') ?? '');
      const fn = functions.get(referencedAddress(m.function_name, 'aws_lambda_function') ?? '');
      if (!queue || !fn) return [{ address, message: 'event source mapping does not link a queue and a function of this stack' }];
      const visibility = Number(queue.visibility_timeout_seconds ?? 30);
      const timeout = Number(fn.timeout ?? 3);
      const window = Number(m.maximum_batching_window_in_seconds ?? 0);
      return visibility >= VISIBILITY_TIMEOUT_FACTOR * timeout + window
        ? []
        : [
            {
              address,
              message: `queue visibility timeout ${visibility}s < ${VISIBILITY_TIMEOUT_FACTOR} × function timeout ${timeout}s + batching window ${window}s`,
            },
          ];
    });
  },
};
