import { type Check, resources } from './synthesized';

export const sqsDeadLetter: Check = {
  id: 'sqs-dead-letter',
  description: 'Every queue that is not itself a dead-letter queue has one, with an explicit maxReceiveCount.',
  run: (stack) => {
    const queues = resources(stack, 'aws_sqs_queue');
    const targets = queues.flatMap(([, q]) => {
      try {
        return [String((JSON.parse(String(q.redrive_policy ?? '{}')) as { deadLetterTargetArn?: unknown }).deadLetterTargetArn ?? '')];
      } catch {
        return []; // not JSON: reported below for its own queue
      }
    });
    // A redrive policy names its DLQ by reference (`${aws_sqs_queue.x.arn}`) or, on a local API, by ARN.
    const isDeadLetterQueue = (address: string, name: unknown) =>
      targets.some((t) => t === `\${${address}.arn}` || (typeof name === 'string' && t.startsWith('arn:') && t.endsWith(`:${name}`)));
    return queues.flatMap(([address, q]) => {
      if (isDeadLetterQueue(address, q.name)) return [];
      if (!q.redrive_policy) return [{ address, message: 'queue has no dead-letter queue (redrive_policy)' }];
      let policy: { maxReceiveCount?: unknown };
      try {
        policy = JSON.parse(String(q.redrive_policy)) as typeof policy;
      } catch {
        return [{ address, message: 'redrive_policy is not JSON' }];
      }
      return typeof policy.maxReceiveCount === 'number' && policy.maxReceiveCount >= 1
        ? []
        : [{ address, message: 'redrive_policy has no explicit maxReceiveCount' }];
    });
  },
};
