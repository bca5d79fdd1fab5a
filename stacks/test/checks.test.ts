// The policy checks: silent on what we synthesize, and each one catches its default when it is broken
// in a structuredClone of the real dev stack.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CHECKS, readSynthesized, runChecks } from '../src';
import { findResource, queuePolicyOf, readStack, ref, referencedDocument, resourcesOf, rolePermissions, type StackJson, synthesizeEnvironments } from './support';

const GUARD = 'reflex-dev-instance-guard';
/** The stateful test reflex of support.ts, and the IPAM sync's worker policy. */
const BLOCKER = 'reflex-dev-test-blocker';
const SYNC_WORKER = 'reflex-dev-ipam-sync-worker';

/** dev's member account: its spoke stack holds the spoke roles and the forwarding to dev's reflex bus. */
const DEV_SPOKE = 'dev-spoke-111111111122';

let outdir: string;
let dev: StackJson;
let devSpoke: StackJson;

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
  dev = readStack(outdir, 'dev');
  devSpoke = readStack(outdir, DEV_SPOKE);
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const guardQueue = (json: StackJson) => findResource(json, 'aws_sqs_queue', { name: GUARD });
const guardDlq = (json: StackJson) => findResource(json, 'aws_sqs_queue', { name: `${GUARD}-dlq` });
const guardFunction = (json: StackJson) => findResource(json, 'aws_lambda_function', { function_name: GUARD });
const guardLogGroup = (json: StackJson) => findResource(json, 'aws_cloudwatch_log_group', { name: `/aws/lambda/${GUARD}` });
const guardMapping = (json: StackJson) =>
  findResource(json, 'aws_lambda_event_source_mapping', { event_source_arn: ref(guardQueue(json).address, 'arn') });
const guardQueuePolicy = (json: StackJson) => queuePolicyOf(json, guardQueue(json).address);
const guardPermissions = (json: StackJson) => rolePermissions(json, GUARD);
const blockerTable = (json: StackJson) => findResource(json, 'aws_dynamodb_table', { name: BLOCKER });
const guardRolePolicy = (json: StackJson) =>
  findResource(json, 'aws_iam_role_policy', { role: ref(findResource(json, 'aws_iam_role', { name: GUARD }).address, 'id') });
const syncWorkerPolicy = (json: StackJson) => findResource(json, 'aws_iam_policy', { name: SYNC_WORKER });
const apiRoute = (json: StackJson) => findResource(json, 'aws_apigatewayv2_route', { route_key: 'PUT /route-tables/{id}/routes' });
const apiStage = (json: StackJson) => findResource(json, 'aws_apigatewayv2_stage', { name: '$default' });
const statement = <S extends { sid?: string }>(statements: S[], sid: string) => statements.find((s) => s.sid === sid)!;
const spokeGuardRole = (json: StackJson) => findResource(json, 'aws_iam_role', { name: GUARD });
const spokeGuardTrust = (json: StackJson) => statement(referencedDocument(json, spokeGuardRole(json).block.assume_role_policy).statements, 'HubFunctionRole');
const busPolicy = (json: StackJson) => findResource(json, 'aws_cloudwatch_event_bus_policy', {});
const busPolicyStatement = (json: StackJson) => statement(referencedDocument(json, busPolicy(json).block.policy).statements, 'MemberAccountsForward');
const spokeForwardTarget = (json: StackJson) =>
  resourcesOf(json, 'aws_cloudwatch_event_target').find(({ block }) => block.arn === 'arn:aws:events:eu-central-1:111111111111:event-bus/reflex-dev-bus')!;

interface BrokenDefault {
  /** The check that must catch it. */
  readonly check: string;
  /** The stack it breaks. @default 'dev' */
  readonly stack?: typeof DEV_SPOKE;
  readonly breaks: string;
  /** Breaks exactly one default in the (cloned) dev stack. */
  readonly mutate: (json: StackJson) => void;
  /** The address the violation must name. */
  readonly address: (json: StackJson) => string;
}

const BROKEN_DEFAULTS: BrokenDefault[] = [
  {
    check: 'sqs-encrypted',
    breaks: 'the guard queue without SSE',
    mutate: (json) => delete guardQueue(json).block.sqs_managed_sse_enabled,
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-encrypted',
    breaks: 'the guard DLQ with SSE switched off',
    mutate: (json) => (guardDlq(json).block.sqs_managed_sse_enabled = false),
    address: (json) => guardDlq(json).address,
  },
  {
    check: 'sqs-dead-letter',
    breaks: 'the guard queue without a redrive policy',
    mutate: (json) => delete guardQueue(json).block.redrive_policy,
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-dead-letter',
    breaks: 'a redrive policy without maxReceiveCount',
    mutate: (json) => {
      const queue = guardQueue(json).block;
      queue.redrive_policy = JSON.stringify({ deadLetterTargetArn: JSON.parse(queue.redrive_policy).deadLetterTargetArn });
    },
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-tls-only',
    breaks: 'the guard queue policy without its Deny on aws:SecureTransport=false',
    mutate: (json) => {
      const doc = guardQueuePolicy(json).document;
      doc.statements.splice(doc.statements.findIndex((s) => s.effect === 'Deny'), 1);
    },
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-tls-only',
    breaks: 'the Deny turned into an Allow',
    mutate: (json) => (guardQueuePolicy(json).document.statements.find((s) => s.effect === 'Deny')!.effect = 'Allow'),
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-tls-only',
    breaks: 'the Deny conditioned on aws:SecureTransport=true',
    mutate: (json) => (guardQueuePolicy(json).document.statements.find((s) => s.effect === 'Deny')!.condition![0]!.values = ['true']),
    address: (json) => guardQueue(json).address,
  },
  {
    check: 'sqs-source-restricted',
    breaks: 'the EventBridge allow without its aws:SourceArn condition',
    mutate: (json) => delete statement(guardQueuePolicy(json).document.statements, 'AllowOnlyItsRules').condition,
    address: (json) => guardQueuePolicy(json).address,
  },
  {
    check: 'sqs-source-restricted',
    breaks: 'an aws:SourceArn condition with no values',
    mutate: (json) => (statement(guardQueuePolicy(json).document.statements, 'AllowOnlyItsRules').condition![0]!.values = []),
    address: (json) => guardQueuePolicy(json).address,
  },
  {
    check: 'sqs-visibility-timeout',
    breaks: 'a guard queue visibility timeout of 5 × the function timeout',
    mutate: (json) => (guardQueue(json).block.visibility_timeout_seconds = 5 * guardFunction(json).block.timeout),
    address: (json) => guardMapping(json).address,
  },
  {
    check: 'sqs-visibility-timeout',
    breaks: 'a 1 s batching window not added to the guard queue visibility timeout of 6 × the function timeout',
    mutate: (json) => {
      guardMapping(json).block.maximum_batching_window_in_seconds = 1;
      guardQueue(json).block.visibility_timeout_seconds = 6 * guardFunction(json).block.timeout;
    },
    address: (json) => guardMapping(json).address,
  },
  {
    check: 'sqs-visibility-timeout',
    breaks: "a guard queue on SQS's default visibility timeout (30 s)",
    mutate: (json) => delete guardQueue(json).block.visibility_timeout_seconds,
    address: (json) => guardMapping(json).address,
  },
  {
    check: 'lambda-log-group',
    breaks: 'the function without depends_on',
    mutate: (json) => delete guardFunction(json).block.depends_on,
    address: (json) => guardFunction(json).address,
  },
  {
    check: 'lambda-log-group',
    breaks: 'the function without logging_config',
    mutate: (json) => delete guardFunction(json).block.logging_config,
    address: (json) => guardFunction(json).address,
  },
  {
    check: 'lambda-log-group',
    breaks: 'the log group without retention',
    mutate: (json) => delete guardLogGroup(json).block.retention_in_days,
    address: (json) => guardLogGroup(json).address,
  },
  {
    check: 'lambda-log-group',
    breaks: 'the log group with retention 0 (never expire)',
    mutate: (json) => (guardLogGroup(json).block.retention_in_days = 0),
    address: (json) => guardLogGroup(json).address,
  },
  {
    check: 'lambda-runtime',
    breaks: 'the function on nodejs18.x',
    mutate: (json) => (guardFunction(json).block.runtime = 'nodejs18.x'),
    address: (json) => guardFunction(json).address,
  },
  {
    check: 'esm-partial-batch',
    breaks: 'the event source mapping without ReportBatchItemFailures',
    mutate: (json) => (guardMapping(json).block.function_response_types = []),
    address: (json) => guardMapping(json).address,
  },
  {
    check: 'iam-no-wildcard-actions',
    breaks: 'the guard allowed ec2:*',
    mutate: (json) => statement(guardPermissions(json).statements, 'StartProtectedInstances').actions!.push('ec2:*'),
    address: (json) => guardPermissions(json).address,
  },
  {
    check: 'iam-no-wildcard-actions',
    breaks: 'the guard allowed *',
    mutate: (json) => statement(guardPermissions(json).statements, 'ReadInstances').actions!.push('*'),
    address: (json) => guardPermissions(json).address,
  },
  {
    check: 'iam-scoped-resources',
    breaks: 'ec2:StartInstances allowed on resource *',
    mutate: (json) => statement(guardPermissions(json).statements, 'StartProtectedInstances').resources!.push('*'),
    address: (json) => guardPermissions(json).address,
  },
  {
    check: 'dynamodb-encrypted',
    breaks: 'the state table without server-side encryption',
    mutate: (json) => delete blockerTable(json).block.server_side_encryption,
    address: (json) => blockerTable(json).address,
  },
  {
    check: 'dynamodb-encrypted',
    breaks: 'the state table with server-side encryption switched off',
    mutate: (json) => (blockerTable(json).block.server_side_encryption = { enabled: false }),
    address: (json) => blockerTable(json).address,
  },
  {
    check: 'dynamodb-point-in-time-recovery',
    breaks: 'the state table without point-in-time recovery',
    mutate: (json) => delete blockerTable(json).block.point_in_time_recovery,
    address: (json) => blockerTable(json).address,
  },
  {
    check: 'dynamodb-point-in-time-recovery',
    breaks: 'the state table with point-in-time recovery switched off',
    mutate: (json) => (blockerTable(json).block.point_in_time_recovery = [{ enabled: false }]),
    address: (json) => blockerTable(json).address,
  },
  {
    check: 'dynamodb-own-table-only',
    breaks: "the guard's role allowed dynamodb:GetItem on the blocker's table",
    mutate: (json) =>
      guardPermissions(json).statements.push({ sid: 'ReadBlocks', effect: 'Allow', actions: ['dynamodb:GetItem'], resources: [ref(blockerTable(json).address, 'arn')] }),
    address: (json) => guardRolePolicy(json).address,
  },
  {
    check: 'dynamodb-own-table-only',
    breaks: "the guard's role allowed dynamodb:Query on every table of the account by a wildcard ARN",
    mutate: (json) =>
      guardPermissions(json).statements.push({
        sid: 'QueryTables',
        effect: 'Allow',
        actions: ['dynamodb:Query'],
        resources: ['arn:aws:dynamodb:eu-central-1:111111111111:table/*'],
      }),
    address: (json) => guardRolePolicy(json).address,
  },
  {
    check: 'dynamodb-own-table-only',
    breaks: "the IPAM sync's worker policy allowed dynamodb:PutItem on the blocker's table by its literal ARN",
    mutate: (json) =>
      referencedDocument(json, syncWorkerPolicy(json).block.policy).statements.push({
        sid: 'WriteBlocks',
        effect: 'Allow',
        actions: ['dynamodb:PutItem'],
        resources: [`arn:aws:dynamodb:eu-central-1:111111111111:table/${BLOCKER}`],
      }),
    address: (json) => syncWorkerPolicy(json).address,
  },
  {
    check: 'apigw-iam-authorization',
    breaks: 'a route API route open to anyone (authorization_type NONE)',
    mutate: (json) => (apiRoute(json).block.authorization_type = 'NONE'),
    address: (json) => apiRoute(json).address,
  },
  {
    check: 'apigw-throttling',
    breaks: 'the API stage without default throttling',
    mutate: (json) => delete apiStage(json).block.default_route_settings,
    address: (json) => apiStage(json).address,
  },
  {
    check: 'apigw-access-logs',
    breaks: 'the API stage without access logs',
    mutate: (json) => delete apiStage(json).block.access_log_settings,
    address: (json) => apiStage(json).address,
  },
  {
    check: 'iam-trust-specific-roles',
    stack: DEV_SPOKE,
    breaks: "a spoke role trusting the hub account's root instead of the guard's role",
    mutate: (json) => (spokeGuardTrust(json).principals![0]!.identifiers = ['arn:aws:iam::111111111111:root']),
    address: (json) => spokeGuardRole(json).address,
  },
  {
    check: 'iam-trust-specific-roles',
    stack: DEV_SPOKE,
    breaks: 'a spoke role trusting the guard role without the external id',
    mutate: (json) => delete spokeGuardTrust(json).condition,
    address: (json) => spokeGuardRole(json).address,
  },
  {
    check: 'iam-trust-specific-roles',
    stack: DEV_SPOKE,
    breaks: "the guard's spoke role trusting the tagger's hub role",
    mutate: (json) => (spokeGuardTrust(json).principals![0]!.identifiers = ['arn:aws:iam::111111111111:role/reflex-dev-resource-tagger']),
    address: (json) => spokeGuardRole(json).address,
  },
  {
    check: 'iam-trust-specific-roles',
    stack: DEV_SPOKE,
    breaks: 'a spoke role whose external id condition matches anything (StringLike "*")',
    mutate: (json) => (spokeGuardTrust(json).condition = [{ test: 'StringLike', variable: 'sts:ExternalId', values: ['*'] }]),
    address: (json) => spokeGuardRole(json).address,
  },
  {
    check: 'event-bus-policy-scoped',
    breaks: 'the hub bus letting members put rules too',
    mutate: (json) => busPolicyStatement(json).actions!.push('events:PutRule'),
    address: (json) => busPolicy(json).address,
  },
  {
    check: 'event-bus-policy-scoped',
    breaks: 'the hub bus admitting every source of the member accounts',
    mutate: (json) => delete busPolicyStatement(json).condition,
    address: (json) => busPolicy(json).address,
  },
  {
    check: 'event-bus-policy-scoped',
    breaks: 'the hub bus admitting everyone, outside any organization',
    mutate: (json) => (busPolicyStatement(json).principals = [{ type: '*', identifiers: ['*'] }]),
    address: (json) => busPolicy(json).address,
  },
  {
    check: 'event-bus-target-role',
    stack: DEV_SPOKE,
    breaks: "a spoke's forwarding target without its role",
    mutate: (json) => delete spokeForwardTarget(json).block.role_arn,
    address: (json) => spokeForwardTarget(json).address,
  },
];

describe('runChecks', () => {
  it('finds no violation in any synthesized environment', () => {
    const stacks = readSynthesized(outdir);
    expect(stacks.map((s) => s.name).sort()).toEqual([
      'dev',
      'dev-spoke-111111111122',
      'local',
      'local-spoke-210987654321',
      'prod',
      'prod-spoke-444444444444',
      'prod-spoke-555555555555',
      'staging',
    ]);
    expect(runChecks(stacks)).toEqual([]);
  });

  it('has a broken-default case below for every check of the pack', () => {
    expect([...new Set(BROKEN_DEFAULTS.map((c) => c.check))].sort()).toEqual(CHECKS.map((c) => c.id).sort());
  });

  it.each(BROKEN_DEFAULTS.map((c) => [c.check, c.breaks, c] as const))('%s reports %s', (id, _breaks, broken) => {
    const check = CHECKS.find((c) => c.id === id)!;
    const name = broken.stack ?? 'dev';
    const json = structuredClone(name === 'dev' ? dev : devSpoke);
    broken.mutate(json);
    const violations = runChecks([{ name, json }], [check]);
    expect(violations).toContainEqual(expect.objectContaining({ check: id, stack: name, address: broken.address(json) }));
  });

  it.each(CHECKS.map((c) => [c.id, c] as const))('%s passes the unmodified dev stack and its spoke stack', (_id, check) => {
    expect(runChecks([{ name: 'dev', json: structuredClone(dev) }, { name: DEV_SPOKE, json: structuredClone(devSpoke) }], [check])).toEqual([]);
  });
});
