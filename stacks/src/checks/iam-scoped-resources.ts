import { type Check, policyDocuments } from './synthesized';

/** Actions that take no resource-level permissions, so `*` is their only resource. */
// None of these takes a resource-level permission (Service Authorization Reference: no resource types).
const UNSCOPABLE_ACTIONS = [
  /^ec2:Describe[A-Za-z]+$/,
  /^ec2:GetManagedPrefixList/,
  /^tag:GetResources$/,
  /^cloudwatch:PutMetricData$/,
  /^cloudwatch:GetMetric(Statistics|Data)$/,
  /^elasticloadbalancing:Describe[A-Za-z]+$/,
];

export const iamScopedResources: Check = {
  id: 'iam-scoped-resources',
  description: 'A statement allows resource "*" only for actions that take no resource-level permissions.',
  run: (stack) =>
    [...policyDocuments(stack)].flatMap(([address, statements]) =>
      statements
        .filter((s) => (s.effect ?? 'Allow') === 'Allow' && (s.resources ?? []).includes('*'))
        .flatMap((s) =>
          (s.actions ?? [])
            .filter((a) => !UNSCOPABLE_ACTIONS.some((re) => re.test(a)))
            .map((a) => ({ address, message: `statement ${s.sid ?? '(no sid)'} allows ${a} on every resource ("*")` })),
        ),
    ),
};
