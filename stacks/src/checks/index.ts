import { apigwAccessLogs } from './apigw-access-logs';
import { apigwIamAuthorization } from './apigw-iam-authorization';
import { apigwThrottling } from './apigw-throttling';
import { dynamodbEncrypted } from './dynamodb-encrypted';
import { dynamodbOwnTableOnly } from './dynamodb-own-table-only';
import { dynamodbPointInTimeRecovery } from './dynamodb-point-in-time-recovery';
import { esmPartialBatch } from './esm-partial-batch';
import { eventBusPolicyScoped } from './event-bus-policy-scoped';
import { eventBusTargetRole } from './event-bus-target-role';
import { iamNoWildcardActions } from './iam-no-wildcard-actions';
import { iamScopedResources } from './iam-scoped-resources';
import { iamTrustSpecificRoles } from './iam-trust-specific-roles';
import { lambdaLogGroup } from './lambda-log-group';
import { lambdaRuntime } from './lambda-runtime';
import { sqsDeadLetter } from './sqs-dead-letter';
import { sqsEncrypted } from './sqs-encrypted';
import { sqsSourceRestricted } from './sqs-source-restricted';
import { sqsTlsOnly } from './sqs-tls-only';
import { sqsVisibilityTimeout } from './sqs-visibility-timeout';
import { type Check, readSynthesized, type SynthesizedStack, type Violation } from './synthesized';

export * from './synthesized';

/** The pack: every secure default a reflex gets, checked on what was synthesized. */
export const CHECKS: readonly Check[] = [
  sqsEncrypted,
  sqsDeadLetter,
  sqsTlsOnly,
  sqsSourceRestricted,
  sqsVisibilityTimeout,
  lambdaLogGroup,
  lambdaRuntime,
  esmPartialBatch,
  iamNoWildcardActions,
  iamScopedResources,
  dynamodbEncrypted,
  dynamodbPointInTimeRecovery,
  dynamodbOwnTableOnly,
  apigwIamAuthorization,
  apigwThrottling,
  apigwAccessLogs,
  iamTrustSpecificRoles,
  eventBusPolicyScoped,
  eventBusTargetRole,
];

/** Runs the checks over stacks. */
export function runChecks(stacks: readonly SynthesizedStack[], checks: readonly Check[] = CHECKS): Violation[] {
  return stacks.flatMap((stack) =>
    checks.flatMap((check) => check.run(stack).map((v) => ({ ...v, check: check.id, stack: stack.name }))),
  );
}

/** Runs the checks over everything synthesized in `outdir`. */
export function checkSynthesized(outdir: string): Violation[] {
  return runChecks(readSynthesized(outdir));
}

export function formatViolations(violations: readonly Violation[]): string {
  return [
    `${violations.length} policy check violation(s):`,
    ...violations.map((v) => `  [${v.check}] ${v.stack}: ${v.address}: ${v.message}`),
  ].join('\n');
}
