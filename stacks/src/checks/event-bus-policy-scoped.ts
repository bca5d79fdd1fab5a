import { type Check, referencedStatements, resources } from './synthesized';

/** An account (its root or its id) or one role of it: who a bus policy may let put events. */
const ACCOUNT_OR_ROLE = /^(arn:aws[a-z-]*:iam::\d{12}:(root|role\/.+)|\d{12})$/;
const EXACT = (test: string, values: readonly string[]) => test === 'StringEquals' && values.length > 0 && values.every((v) => v && !/[*?]/.test(v));

export const eventBusPolicyScoped: Check = {
  id: 'event-bus-policy-scoped',
  description:
    'An event bus policy lets named accounts or roles (or "*" only within an exact aws:PrincipalOrgID) put events — no other action — and only of named sources (exact events:source).',
  run: (stack) => [
    ...resources(stack, 'aws_cloudwatch_event_permission').map(([address]) => ({
      address,
      message: 'grants access to a bus outside the checked policy: use aws_cloudwatch_event_bus_policy with a policy document',
    })),
    ...resources(stack, 'aws_cloudwatch_event_bus_policy').flatMap(([address, policy]) => {
      const statements = referencedStatements(stack, policy.policy);
      if (!statements) return [{ address, message: 'its policy is not a policy document the checks can read (use policyDocument)' }];
      return statements
        .filter((s) => (s.effect ?? 'Allow') === 'Allow')
        .flatMap((s) => {
          const sid = s.sid ?? '(no sid)';
          const conditions = s.condition ?? [];
          const inOrg = conditions.some((c) => c.variable === 'aws:PrincipalOrgID' && EXACT(c.test, c.values));
          if ((s as { not_principals?: unknown }).not_principals) return [{ address, message: `statement ${sid} admits by NotPrincipal` }];
          const ids = (s.principals ?? []).flatMap((p) => (p.type === '*' ? ['*'] : p.identifiers));
          const unscoped = ids.filter((id) => !ACCOUNT_OR_ROLE.test(id) && !(id === '*' && inOrg));
          const actions = s.actions ?? [];
          const others = actions.filter((a) => a !== 'events:PutEvents');
          const bySource = conditions.some((c) => c.variable === 'events:source' && EXACT(c.test, c.values));
          return [
            ...unscoped.map((id) => ({ address, message: `statement ${sid} lets ${id} put events: name accounts or roles, or the organization (aws:PrincipalOrgID)` })),
            ...others.map((a) => ({ address, message: `statement ${sid} grants ${a}: other accounts may only put events` })),
            ...(actions.includes('events:PutEvents') && !bySource ? [{ address, message: `statement ${sid} admits every source: add an exact events:source condition` }] : []),
          ];
        });
    }),
  ],
};
