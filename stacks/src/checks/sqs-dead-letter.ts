import { type Check, resources } from './synthesized';

export const sqsDeadLetter: Check = {
  id: 'sqs-dead-letter',
  description: 'Every queue that is not itself a dead-letter queue has one, with an explicit maxReceiveCount.',
  run: (stack) => {
    const queues = resources(stack, 'aws_sqs_queue');
    const redrives = queues.map(([, q]) => String(q.redrive_policy ?? ''));
    const isDeadLetterQueue = (address: string) => redrives.some((r) => r.includes(`\${${address}.arn}`));
    return queues.flatMap(([address, q]) => {
      if (isDeadLetterQueue(address)) return [];
      if (!q.redrive_policy) return [{ address, message: 'queue has no dead-letter queue (redrive_policy)' }];
      const policy = JSON.parse(String(q.redrive_policy)) as { maxReceiveCount?: unknown };
      return typeof policy.maxReceiveCount === 'number' && policy.maxReceiveCount >= 1
        ? []
        : [{ address, message: 'redrive_policy has no explicit maxReceiveCount' }];
    });
  },
};
