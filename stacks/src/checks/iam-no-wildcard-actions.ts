import { type Check, policyDocuments } from './synthesized';

export const iamNoWildcardActions: Check = {
  id: 'iam-no-wildcard-actions',
  description: 'No statement allows "*" or "<service>:*".',
  run: (stack) =>
    [...policyDocuments(stack)].flatMap(([address, statements]) =>
      statements
        .filter((s) => (s.effect ?? 'Allow') === 'Allow')
        .flatMap((s) => (s.actions ?? []).filter((a) => a === '*' || a.endsWith(':*')).map((a) => ({ s, a })))
        .map(({ s, a }) => ({ address, message: `statement ${s.sid ?? '(no sid)'} allows ${a}` })),
    ),
};
