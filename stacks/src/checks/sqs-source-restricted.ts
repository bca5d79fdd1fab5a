import { type Check, queuePolicies } from './synthesized';

export const sqsSourceRestricted: Check = {
  id: 'sqs-source-restricted',
  description: 'A queue policy lets an AWS service send only on behalf of named sources (aws:SourceArn).',
  run: (stack) =>
    queuePolicies(stack).flatMap(({ address, statements }) =>
      statements
        .filter((s) => (s.effect ?? 'Allow') === 'Allow' && s.principals?.some((pr) => pr.type === 'Service'))
        .filter((s) => !s.condition?.some((c) => c.variable === 'aws:SourceArn' && c.values.length > 0))
        .map((s) => ({ address, message: `statement ${s.sid ?? '(no sid)'} admits a service without an aws:SourceArn condition` })),
    ),
};
