import { type Check, referencedStatements, resources } from './synthesized';

/** An account, as a bus policy names it: its root or its id. */
const ACCOUNT = /^(arn:aws[a-z-]*:iam::\d{12}:root|\d{12})$/;

export const eventBusPolicyScoped: Check = {
  id: 'event-bus-policy-scoped',
  description:
    'An event bus policy lets named accounts (or "*" only within aws:PrincipalOrgID) put events, and only of named sources (events:source).',
  run: (stack) =>
    resources(stack, 'aws_cloudwatch_event_bus_policy').flatMap(([address, policy]) =>
      (referencedStatements(stack, policy.policy) ?? [])
        .filter((s) => (s.effect ?? 'Allow') === 'Allow')
        .flatMap((s) => {
          const conditions = s.condition ?? [];
          const inOrg = conditions.some((c) => c.variable === 'aws:PrincipalOrgID' && c.values.length > 0);
          const ids = (s.principals ?? []).flatMap((p) => (p.type === '*' ? ['*'] : p.identifiers));
          const unscoped = ids.filter((id) => !ACCOUNT.test(id) && !(id === '*' && inOrg));
          const bySource = conditions.some((c) => c.variable === 'events:source' && c.values.length > 0);
          return [
            ...unscoped.map((id) => ({ address, message: `statement ${s.sid ?? '(no sid)'} lets ${id} put events: name accounts, or the organization (aws:PrincipalOrgID)` })),
            ...(bySource ? [] : [{ address, message: `statement ${s.sid ?? '(no sid)'} admits every source: add an events:source condition` }]),
          ];
        }),
    ),
};
