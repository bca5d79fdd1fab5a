// Secure defaults, asserted as properties of the Terraform JSON synthesized for every environment.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsName, loadManifests, type ReflexManifest } from '@reflex/manifest';
import { ENVIRONMENTS, type EnvConfig, LAMBDA_RUNTIME, queueArn, queueTimings, ruleArn, type ResolvedReflex, resolveEnvironment, VISIBILITY_TIMEOUT_FACTOR } from '../src';
import {
  allStatements,
  type Block,
  findResource,
  queuePolicyOf,
  readStack,
  referencedDocument,
  ref,
  resourcesOf,
  rolePermissions,
  root,
  type StackJson,
  synthesizeEnvironments,
} from './support';

const GUARD = 'instance-guard';

let outdir: string;
let manifests: ReflexManifest[];
const stacks = new Map<string, StackJson>();
const resolved = new Map<string, { env: EnvConfig; guard: ResolvedReflex }>();

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
  manifests = await loadManifests(root);
  for (const input of ENVIRONMENTS) {
    const { env, reflexes } = resolveEnvironment(input, manifests);
    stacks.set(env.name, readStack(outdir, env.name));
    resolved.set(env.name, { env, guard: reflexes.find((r) => r.manifest.name === GUARD)! });
  }
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const envNames = ENVIRONMENTS.map((e) => e.name);
const lambdaEnvNames = ENVIRONMENTS.filter((e) => (e.compute ?? 'lambda') === 'lambda').map((e) => e.name);

/**
 * How a queue names its DLQ: by reference on AWS (which requires the DLQ to exist first); by ARN on a local
 * API, so that Terraform creates both at once.
 */
const dlqTarget = (env: EnvConfig, dlq: { address: string; block: Block }) =>
  env.endpoint ? queueArn(env, dlq.block.name) : ref(dlq.address, 'arn');

/** What one environment's test needs: its JSON, its config, and the guard's resources found by name. */
function context(name: string) {
  const json = stacks.get(name)!;
  const { env, guard } = resolved.get(name)!;
  const guardName = awsName(env.name, GUARD);
  return {
    json,
    env,
    guard,
    guardName,
    queue: findResource(json, 'aws_sqs_queue', { name: guardName }),
    dlq: findResource(json, 'aws_sqs_queue', { name: `${guardName}-dlq` }),
    rule: findResource(json, 'aws_cloudwatch_event_rule', { name: `${guardName}-0` }),
    stopCallRule: findResource(json, 'aws_cloudwatch_event_rule', { name: `${guardName}-1` }),
    logGroup: findResource(json, 'aws_cloudwatch_log_group', { name: `/aws/lambda/${guardName}` }),
  };
}

describe.each(envNames)('the %s stack', (name) => {
  it('encrypts every SQS queue with SSE-SQS', () => {
    const { json } = context(name);
    const queues = resourcesOf(json, 'aws_sqs_queue');
    expect(queues.length).toBeGreaterThanOrEqual(4);
    for (const { block } of queues) expect(block.sqs_managed_sse_enabled).toBe(true);
  });

  it("dead-letters the guard queue's messages to its DLQ after the manifest's maxReceiveCount (3)", () => {
    const { queue, dlq, guard, env } = context(name);
    expect(guard.manifest.maxReceiveCount).toBe(3);
    expect(JSON.parse(queue.block.redrive_policy)).toEqual({ deadLetterTargetArn: dlqTarget(env, dlq), maxReceiveCount: 3 });
  });

  it(`gives the guard queue a visibility timeout of at least ${VISIBILITY_TIMEOUT_FACTOR} × the function timeout`, () => {
    const { queue, guard } = context(name);
    expect(queue.block.visibility_timeout_seconds).toBeGreaterThanOrEqual(VISIBILITY_TIMEOUT_FACTOR * guard.timeoutSeconds);
  });

  it('lets only EventBridge send to the guard queue, and only on behalf of the guard rules', () => {
    const { json, queue, rule, stopCallRule, env } = context(name);
    const allows = queuePolicyOf(json, queue.address).document.statements.filter((s) => s.effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        actions: ['sqs:SendMessage'],
        principals: [{ type: 'Service', identifiers: ['events.amazonaws.com'] }],
        resources: [queueArn(env, queue.block.name)],
        condition: [
          { test: 'ArnEquals', variable: 'aws:SourceArn', values: [rule.block.name, stopCallRule.block.name].map((n) => ruleArn(env, n, awsName(env.name, 'bus'))) },
        ],
      }),
    ]);
  });

  it('denies every request without TLS on every queue, DLQs included', () => {
    const { json, env } = context(name);
    for (const { address, block } of resourcesOf(json, 'aws_sqs_queue')) {
      const denies = queuePolicyOf(json, address).document.statements.filter((s) => s.effect === 'Deny');
      expect(denies).toEqual([
        expect.objectContaining({
          actions: ['sqs:*'],
          principals: [{ type: '*', identifiers: ['*'] }],
          resources: [queueArn(env, block.name)],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        }),
      ]);
    }
  });

  it("matches the guard rules on the reflex bus with exactly the manifest's event patterns", () => {
    const { json, rule, stopCallRule, env, guard } = context(name);
    const bus = findResource(json, 'aws_cloudwatch_event_bus', { name: awsName(env.name, 'bus') });
    [rule, stopCallRule].forEach((r, i) => {
      const trigger = guard.manifest.triggers[i]!;
      expect(trigger.kind).toBe('event');
      expect(JSON.parse(r.block.event_pattern)).toEqual(trigger.kind === 'event' ? trigger.pattern : undefined);
      expect(r.block.event_bus_name).toBe(ref(bus.address, 'name'));
    });
  });

  it("targets the guard queue from the guard rule", () => {
    const { json, rule, queue } = context(name);
    const target = findResource(json, 'aws_cloudwatch_event_target', { rule: ref(rule.address, 'name') });
    expect(target.block.arn).toBe(ref(queue.address, 'arn'));
  });

  it("keeps the guard's logs for the environment's logRetentionDays", () => {
    const { logGroup, env } = context(name);
    expect(logGroup.block.retention_in_days).toBe(env.logRetentionDays);
  });

  it('allows no action "*" or "<service>:*" in any IAM statement', () => {
    const { json } = context(name);
    const allowed = allStatements(json)
      .filter((s) => (s.effect ?? 'Allow') === 'Allow')
      .flatMap((s) => s.actions ?? []);
    expect(allowed.length).toBeGreaterThan(0);
    expect(allowed.filter((a) => a === '*' || a.endsWith(':*'))).toEqual([]);
  });

  it("lets the guard start only instances of its own account and region that carry the protect tag", () => {
    const { json, env, guardName } = context(name);
    const start = rolePermissions(json, guardName).statements.filter((s) => s.actions?.includes('ec2:StartInstances'));
    expect(start).toEqual([
      expect.objectContaining({
        effect: 'Allow',
        actions: ['ec2:StartInstances'],
        resources: [`arn:${env.partition}:ec2:${env.region}:${env.account}:instance/*`],
        condition: [{ test: 'StringEquals', variable: 'aws:ResourceTag/reflex:protect', values: ['true'] }],
      }),
    ]);
  });

  it('keeps its state in S3 under reflex/<env>/reflex.tfstate, encrypted and with a lock file', () => {
    const { json, env } = context(name);
    expect(json.terraform.backend.s3).toEqual(
      expect.objectContaining({
        bucket: env.state.bucket,
        key: `reflex/${env.name}/reflex.tfstate`,
        encrypt: true,
        use_lockfile: true,
      }),
    );
  });

  it("tags every resource through the provider's default tags, reflex:env included", () => {
    const { json, env } = context(name);
    expect(json.provider.aws).toHaveLength(1);
    expect(json.provider.aws[0]!.default_tags).toEqual([
      { tags: { ...env.tags, 'reflex:env': env.name, 'managed-by': 'reflex' } },
    ]);
  });

  it('forwards the EC2 events reflexes need (state changes, CloudTrail calls) from the default bus to the reflex bus', () => {
    const { json, env } = context(name);
    const bus = findResource(json, 'aws_cloudwatch_event_bus', { name: awsName(env.name, 'bus') });
    const forward = findResource(json, 'aws_cloudwatch_event_rule', { name: awsName(env.name, 'forward', 'ec2') });
    expect(forward.block.event_bus_name).toBeUndefined();
    expect(JSON.parse(forward.block.event_pattern)).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['AWS API Call via CloudTrail', 'EC2 Instance State-change Notification'],
    });
    const target = findResource(json, 'aws_cloudwatch_event_target', { rule: ref(forward.address, 'name') });
    expect(target.block.arn).toBe(ref(bus.address, 'arn'));
  });
});

describe.each(lambdaEnvNames)('the guard function of the %s stack', (name) => {
  const guardFunction = () => {
    const { json, guardName } = context(name);
    return findResource(json, 'aws_lambda_function', { function_name: guardName });
  };

  it(`runs ${LAMBDA_RUNTIME} with handler index.handler`, () => {
    const fn = guardFunction();
    expect(fn.block.runtime).toBe('nodejs22.x');
    expect(fn.block.handler).toBe('index.handler');
  });

  it('takes memory and timeout from the resolved reflex settings', () => {
    const { guard } = context(name);
    const fn = guardFunction();
    expect(fn.block.memory_size).toBe(guard.memoryMb);
    expect(fn.block.timeout).toBe(guard.timeoutSeconds);
  });

  it('logs to its own log group', () => {
    const { logGroup } = context(name);
    expect(guardFunction().block.logging_config).toEqual(expect.objectContaining({ log_group: ref(logGroup.address, 'name') }));
  });

  it('depends on its log group, so the group and its retention exist first', () => {
    const { logGroup } = context(name);
    expect(guardFunction().block.depends_on).toContain(logGroup.address);
  });

  it('has a queue visibility timeout of at least 6 × its own timeout', () => {
    const { queue } = context(name);
    expect(queue.block.visibility_timeout_seconds).toBeGreaterThanOrEqual(6 * guardFunction().block.timeout);
  });

  it("reads its queue with partial batch responses and the manifest's batch size", () => {
    const { json, queue, guard } = context(name);
    const mapping = findResource(json, 'aws_lambda_event_source_mapping', { event_source_arn: ref(queue.address, 'arn') });
    expect(mapping.block.function_name).toBe(ref(guardFunction().address, 'arn'));
    expect(mapping.block.function_response_types).toEqual(['ReportBatchItemFailures']);
    expect(mapping.block.batch_size).toBe(guard.manifest.batchSize);
  });

  it('restricts the provider to the environment account', () => {
    const { json, env } = context(name);
    expect(json.provider.aws[0]!.allowed_account_ids).toEqual([env.account]);
    expect(json.provider.aws[0]!.access_key).toBeUndefined();
  });
});

describe('the local stack', () => {
  it("lets the IP blocker write NACL entries only on network ACLs of its own account and Region, and use only its own table", () => {
    const json = stacks.get('local')!;
    const { statements } = rolePermissions(json, 'reflex-local-ip-blocker');
    const writes = statements.filter((s) => s.actions?.some((a) => /NetworkAclEntry$/.test(a)));
    expect(writes).toEqual([
      expect.objectContaining({ actions: ['ec2:CreateNetworkAclEntry', 'ec2:DeleteNetworkAclEntry'], resources: ['arn:aws:ec2:us-east-1:123456789012:network-acl/*'] }),
    ]);
    expect(statements.filter((s) => s.resources?.includes('*')).flatMap((s) => s.actions)).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeNetworkAcls',
      'ec2:DescribeVpcs',
    ]);
    const table = findResource(json, 'aws_dynamodb_table', { name: 'reflex-local-ip-blocker' });
    const dynamo = statements.filter((s) => s.actions?.some((a) => a.startsWith('dynamodb:')));
    expect(dynamo.map((s) => s.resources)).toEqual([[ref(table.address, 'arn')]]);
  });
});

describe('the dev stack', () => {
  it('lets the guard start instances only in eu-central-1 of account 111111111111', () => {
    const json = stacks.get('dev')!;
    const start = rolePermissions(json, 'reflex-dev-instance-guard').statements.find((s) => s.sid === 'StartProtectedInstances');
    expect(start?.resources).toEqual(['arn:aws:ec2:eu-central-1:111111111111:instance/*']);
    expect(start?.condition).toEqual([{ test: 'StringEquals', variable: 'aws:ResourceTag/reflex:protect', values: ['true'] }]);
  });

  it("lets the tagger write only the policy's keys and its creator tags, on network resources of eu-central-1 of 111111111111", () => {
    const json = stacks.get('dev')!;
    const write = rolePermissions(json, 'reflex-dev-resource-tagger').statements.find((s) => s.sid === 'TagNetworkResources');
    expect(write?.actions).toEqual(['ec2:CreateTags']);
    expect(write?.resources).toContain('arn:aws:ec2:eu-central-1:111111111111:subnet/*');
    expect(write?.resources?.every((r) => r.startsWith('arn:aws:ec2:eu-central-1:111111111111:'))).toBe(true);
    expect(write?.condition).toEqual([
      { test: 'ForAllValues:StringEquals', variable: 'aws:TagKeys', values: ['CostCenter', 'Owner', 'reflex:created-by', 'reflex:created-at'] },
    ]);
  });

  it('keeps its state under reflex/dev/reflex.tfstate', () => {
    expect(stacks.get('dev')!.terraform.backend.s3!.key).toBe('reflex/dev/reflex.tfstate');
  });

  it('runs the guard in dry-run mode', () => {
    const fn = findResource(stacks.get('dev')!, 'aws_lambda_function', { function_name: 'reflex-dev-instance-guard' });
    expect(fn.block.environment.variables.REFLEX_DRY_RUN).toBe('true');
  });
});

describe('the local stack', () => {
  it('deploys no Lambda function or event source mapping (the local runner drives the bundles)', () => {
    const json = stacks.get('local')!;
    expect(resourcesOf(json, 'aws_lambda_function')).toEqual([]);
    expect(resourcesOf(json, 'aws_lambda_event_source_mapping')).toEqual([]);
  });

  it('still creates the guard queue and its DLQ', () => {
    const json = stacks.get('local')!;
    expect(() => findResource(json, 'aws_sqs_queue', { name: 'reflex-local-instance-guard' })).not.toThrow();
    expect(() => findResource(json, 'aws_sqs_queue', { name: 'reflex-local-instance-guard-dlq' })).not.toThrow();
  });

  it('points every provider service and the state backend at the local endpoint', () => {
    const json = stacks.get('local')!;
    const { env } = resolved.get('local')!;
    const endpoints = json.provider.aws[0]!.endpoints as Record<string, string>[];
    expect(endpoints).toHaveLength(1);
    expect(Object.keys(endpoints[0]!)).toEqual(expect.arrayContaining(['events', 'iam', 'logs', 'sqs', 'sts']));
    expect(new Set(Object.values(endpoints[0]!))).toEqual(new Set([env.endpoint]));
    expect(json.terraform.backend.s3!.endpoints).toEqual(expect.objectContaining({ s3: env.endpoint }));
  });
});

describe('queueTimings', () => {
  it('reads batches of up to 10 at once, with a visibility timeout of 6 × the function timeout', () => {
    expect(queueTimings({ batchSize: 10 }, 30)).toEqual({ batchingWindowSeconds: 0, visibilityTimeoutSeconds: 180 });
  });

  it('gathers larger batches for a second, and adds that second to the visibility timeout', () => {
    expect(queueTimings({ batchSize: 100 }, 30)).toEqual({ batchingWindowSeconds: 1, visibilityTimeoutSeconds: 181 });
  });

  it('gives the IPAM sync, when it runs as a function, batches of 100: one write of 100 costs the store far less than ten of 10', () => {
    const sync = manifests.find((m) => m.name === 'ipam-sync')!;
    expect(sync.batchSize).toBe(100);
    expect(queueTimings(sync, 30).batchingWindowSeconds).toBe(1);
  });
});

describe.each(envNames)('the %s IPAM queues', (name) => {
  const names = () => {
    const { env } = resolved.get(name)!;
    return { sync: awsName(env.name, 'ipam-sync'), enricher: awsName(env.name, 'ipam-enricher'), reconciler: awsName(env.name, 'ipam-reconciler') };
  };

  it('keeps IPAM messages for one day and dead-letters them after 5 receives', () => {
    const json = stacks.get(name)!;
    const queue = findResource(json, 'aws_sqs_queue', { name: names().sync });
    const dlq = findResource(json, 'aws_sqs_queue', { name: `${names().sync}-dlq` });
    expect(queue.block.message_retention_seconds).toBe(86400);
    expect(JSON.parse(queue.block.redrive_policy)).toEqual({ deadLetterTargetArn: dlqTarget(resolved.get(name)!.env, dlq), maxReceiveCount: 5 });
  });

  it('feeds the sync queue from no rule, and lets no service send to it', () => {
    const json = stacks.get(name)!;
    const queue = findResource(json, 'aws_sqs_queue', { name: names().sync });
    const rules = resourcesOf(json, 'aws_cloudwatch_event_rule').filter((r) => String(r.block.name).startsWith(names().sync));
    expect(rules).toEqual([]);
    const { document } = queuePolicyOf(json, queue.address);
    expect(document.statements.filter((s) => (s.effect ?? 'Allow') === 'Allow')).toEqual([]);
  });

  it('lets the enricher send to the sync queue, and only there', () => {
    const json = stacks.get(name)!;
    const queue = findResource(json, 'aws_sqs_queue', { name: names().sync });
    const { statements } = rolePermissions(json, names().enricher);
    const sends = statements.filter((s) => s.actions?.includes('sqs:SendMessage'));
    expect(sends).toEqual([expect.objectContaining({ sid: 'SendToQueues', resources: [ref(queue.address, 'arn')] })]);
  });

  it('deploys no function for the sync and the reconciler, but a worker policy that consumes their queues', () => {
    const json = stacks.get(name)!;
    const functions = resourcesOf(json, 'aws_lambda_function').map((f) => f.block.function_name);
    expect(functions).not.toContain(names().sync);
    expect(functions).not.toContain(names().reconciler);
    for (const reflex of [names().sync, names().reconciler]) {
      const policy = findResource(json, 'aws_iam_policy', { name: `${reflex}-worker` });
      const queue = findResource(json, 'aws_sqs_queue', { name: reflex });
      const { statements } = referencedDocument(json, policy.block.policy);
      expect(statements).toContainEqual(
        expect.objectContaining({ sid: 'ConsumeItsQueue', resources: [ref(queue.address, 'arn')] }),
      );
    }
    expect(json.output?.['worker_policies']).toBeDefined();
  });
});
