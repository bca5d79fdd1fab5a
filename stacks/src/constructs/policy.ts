import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { Condition, Permission } from '@reflex/manifest';
import type { Construct } from 'constructs';

/** Resource-ARN placeholders a manifest may use. */
export interface ArnContext {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * Fills `${partition}`, `${region}` and `${account}` in a manifest's resource, and escapes any other `${`
 * (an IAM policy variable such as `${aws:username}`) so Terraform does not read it as interpolation.
 */
export function fillArn(resource: string, ctx: ArnContext): string {
  return resource
    .replaceAll('${partition}', ctx.partition)
    .replaceAll('${region}', ctx.region)
    .replaceAll('${account}', ctx.account)
    .replaceAll('${', '$${');
}

const toCondition = (c: Condition) => ({ test: c.test, variable: c.variable, values: [...c.values] });

/** The allow statements of a manifest's permissions, ARNs filled in, conditions kept. */
export function manifestStatements(permissions: readonly Permission[], ctx: ArnContext): DataAwsIamPolicyDocumentStatement[] {
  return permissions.map((p) => ({
    sid: p.sid,
    effect: 'Allow',
    actions: [...p.actions],
    resources: p.resources.map((r) => fillArn(r, ctx)),
    ...(p.conditions?.length ? { condition: p.conditions.map(toCondition) } : {}),
  }));
}

/** An IAM policy document, synthesized as structured statements so the checks can read it. */
export function policyDocument(scope: Construct, id: string, statements: DataAwsIamPolicyDocumentStatement[]) {
  return new DataAwsIamPolicyDocument(scope, id, { statement: statements });
}

/** Denies every SQS action on a queue over plain HTTP. */
export function denyInsecureTransport(queueArn: string): DataAwsIamPolicyDocumentStatement {
  return {
    sid: 'DenyInsecureTransport',
    effect: 'Deny',
    principals: [{ type: '*', identifiers: ['*'] }],
    actions: ['sqs:*'],
    resources: [queueArn],
    condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
  };
}

/** A trust policy for one AWS service principal. */
export function trustPolicy(scope: Construct, id: string, service: string) {
  return policyDocument(scope, id, [
    { effect: 'Allow', actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: [service] }] },
  ]);
}
