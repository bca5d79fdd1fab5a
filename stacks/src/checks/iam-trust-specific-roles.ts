import { type Check, referencedStatements, resources } from './synthesized';

/** An IAM role, by ARN: a principal that names one role, not every principal of an account. */
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const CROSS_ACCOUNT_CONDITIONS = ['sts:ExternalId', 'aws:PrincipalOrgID'];

export const iamTrustSpecificRoles: Check = {
  id: 'iam-trust-specific-roles',
  description:
    'A role that AWS principals may assume (a spoke role) trusts specific role ARNs, never an account root, an id or "*", and requires sts:ExternalId or aws:PrincipalOrgID.',
  run: (stack) =>
    resources(stack, 'aws_iam_role').flatMap(([address, role]) =>
      (referencedStatements(stack, role.assume_role_policy) ?? [])
        .filter((s) => (s.effect ?? 'Allow') === 'Allow')
        .flatMap((s) => {
          const aws = (s.principals ?? []).filter((p) => p.type === 'AWS').flatMap((p) => p.identifiers);
          if (aws.length === 0) return [];
          const broad = aws.filter((id) => !ROLE_ARN.test(id));
          const guarded = (s.condition ?? []).some((c) => CROSS_ACCOUNT_CONDITIONS.includes(c.variable) && c.values.length > 0);
          return [
            ...broad.map((id) => ({ address, message: `statement ${s.sid ?? '(no sid)'} trusts ${id}: name the role ARN that may assume it` })),
            ...(guarded ? [] : [{ address, message: `statement ${s.sid ?? '(no sid)'} trusts AWS principals without an sts:ExternalId or aws:PrincipalOrgID condition` }]),
          ];
        }),
    ),
};
