import { type Check, queuePolicies, resources } from './synthesized';

export const sqsTlsOnly: Check = {
  id: 'sqs-tls-only',
  description: 'Every queue has a policy that denies requests without TLS (aws:SecureTransport = false).',
  run: (stack) => {
    const policies = queuePolicies(stack);
    return resources(stack, 'aws_sqs_queue').flatMap(([address]) => {
      const denies = policies
        .filter((p) => p.queue === address)
        .flatMap((p) => p.statements)
        .some(
          (s) =>
            s.effect === 'Deny' &&
            s.condition?.some((c) => c.variable === 'aws:SecureTransport' && c.values.includes('false')),
        );
      return denies ? [] : [{ address, message: 'no queue policy denies non-TLS access' }];
    });
  },
};
