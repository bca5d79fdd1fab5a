import { type Check, referencedAddress, referencedStatements, resources } from './synthesized';

export const sqsTlsOnly: Check = {
  id: 'sqs-tls-only',
  description: 'Every queue has a policy that denies requests without TLS (aws:SecureTransport = false).',
  run: (stack) => {
    const policies = resources(stack, 'aws_sqs_queue_policy').map(([, p]) => ({
      queue: referencedAddress(p.queue_url, 'aws_sqs_queue'),
      statements: referencedStatements(stack, p.policy) ?? [],
    }));
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
