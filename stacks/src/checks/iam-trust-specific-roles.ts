import { type Check, referencedStatements, resources, type Statement } from './synthesized';

/** An IAM role, by ARN: a principal that names one role, not every principal of an account. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;
const CROSS_ACCOUNT_CONDITIONS = ['sts:ExternalId', 'aws:PrincipalOrgID'];
/** Operators that pin a value; `StringLike ["*"]` or `StringNotEquals` would not. */
const EXACT_TESTS = ['StringEquals', 'ArnEquals'];

/** The AWS principals a statement trusts (`"*"` for a `*` principal). */
const awsPrincipals = (s: Statement) => (s.principals ?? []).filter((p) => p.type === 'AWS' || p.type === '*').flatMap((p) => (p.type === '*' ? ['*'] : p.identifiers));

export const iamTrustSpecificRoles: Check = {
  id: 'iam-trust-specific-roles',
  description:
    'A role that AWS principals may assume (a spoke role) trusts specific role ARNs — never an account root, an id, "*" or NotPrincipal — with an exact sts:ExternalId or aws:PrincipalOrgID condition; in a spoke stack, the hub role of its own name.',
  run: (stack) =>
    resources(stack, 'aws_iam_role').flatMap(([address, role]) => {
      const statements = referencedStatements(stack, role.assume_role_policy);
      if (!statements) return [{ address, message: 'its trust policy is not a policy document the checks can read (use policyDocument)' }];
      const hub = /-spoke-\d{12}$/.test(stack.name);
      return statements
        .filter((s) => (s.effect ?? 'Allow') === 'Allow')
        .flatMap((s) => {
          const sid = s.sid ?? '(no sid)';
          if ((s as { not_principals?: unknown }).not_principals) return [{ address, message: `statement ${sid} trusts by NotPrincipal: name the role ARN that may assume it` }];
          const aws = awsPrincipals(s);
          if (aws.length === 0) return [];
          const guarded = (s.condition ?? []).some(
            (c) => CROSS_ACCOUNT_CONDITIONS.includes(c.variable) && EXACT_TESTS.includes(c.test) && c.values.length > 0 && c.values.every((v) => v && !/[*?]/.test(v)),
          );
          return [
            ...aws.flatMap((id) => {
              const match = ROLE_ARN.exec(id);
              if (!match) return [{ address, message: `statement ${sid} trusts ${id}: name the role ARN that may assume it` }];
              // A spoke role trusts the hub's function role of its own name: no other reflex's, no other account's.
              if (hub && typeof role.name === 'string' && match[2] !== role.name) {
                return [{ address, message: `statement ${sid} trusts ${id}, not the hub role of its own name (${role.name})` }];
              }
              return [];
            }),
            ...(guarded ? [] : [{ address, message: `statement ${sid} trusts AWS principals without an exact (StringEquals) sts:ExternalId or aws:PrincipalOrgID condition` }]),
          ];
        });
    }),
};
