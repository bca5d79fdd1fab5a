import { describe, expect, it } from '@jest/globals';
import { fixturePlan, summarize } from '../fixtures/plan-fixtures';
import { asTerraformPlan, NotAPlanError, type PlanJson } from './plan-input';
import { SHARED } from './plan-summary';
import type { PlanSummary } from './plan-summary-schema';

type Json = Record<string, any>;

const reflex = (summary: PlanSummary, name: string, env = 0) => summary.environments[env]!.reflexes.find((r) => r.name === name)!;
const resource = (summary: PlanSummary, reflexName: string, type: string, name: string) =>
  reflex(summary, reflexName).resources.find((r) => r.type === type && r.name === name)!;
const change = (plan: Json, test: (rc: Json) => boolean): Json => (plan.resource_changes as Json[]).find(test)!;

/** The reflexes stacks/src/envs/dev.ts enables. */
const DEV_REFLEXES = ['instance-guard', 'instance-scheduler', 'ipam-enricher', 'ipam-reconciler', 'ipam-sync', 'resource-tagger', 'route-api'];

describe('the plan of dev on empty state', () => {
  const plan = fixturePlan('dev-create');
  const summary = summarize(['dev-create.json', plan]);
  const changes = plan.resource_changes as Json[];

  it('names the environment by the resources’ reflex:env tag', () => {
    expect(summary.environments.map((e) => [e.name, e.source, e.files])).toEqual([['dev', 'tag', ['dev-create.json']]]);
  });

  it('counts every resource change once', () => {
    const { counts } = summary;
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(changes.length);
    expect(counts.create).toBe(changes.filter((c) => c.change.actions.join() === 'create').length);
    expect(counts.read).toBe(changes.filter((c) => c.mode === 'data').length);
    expect([counts.update, counts.replace, counts.delete]).toEqual([0, 0, 0]);
  });

  it('lists every reflex, then shared', () => {
    expect(summary.environments[0]!.reflexes.map((r) => r.name)).toEqual([...DEV_REFLEXES, SHARED]);
  });

  it('lists each managed resource under exactly one reflex or shared', () => {
    const listed = summary.environments[0]!.reflexes.flatMap((r) => r.resources.map((x) => x.address)).sort();
    expect(listed).toEqual(changes.filter((c) => c.mode === 'managed').map((c) => c.address).sort());
    for (const r of summary.environments[0]!.reflexes) expect(r.counts.create).toBe(r.resources.length);
  });

  it.each(DEV_REFLEXES.filter((r) => r !== 'route-api'))('creates the queue and dead-letter queue of %s', (name) => {
    const queues = reflex(summary, name).resources.filter((r) => r.type === 'aws_sqs_queue').map((r) => [r.name, r.action]);
    expect(queues).toEqual([
      [`reflex-dev-${name}`, 'create'],
      [`reflex-dev-${name}-dlq`, 'create'],
    ]);
  });

  it("puts a reflex's rules, targets, role, function and event source mapping under it", () => {
    const types = reflex(summary, 'instance-guard').resources.map((r) => r.type);
    expect(types).toEqual(
      expect.arrayContaining(['aws_cloudwatch_event_rule', 'aws_cloudwatch_event_target', 'aws_iam_role', 'aws_iam_role_policy', 'aws_lambda_function', 'aws_lambda_event_source_mapping']),
    );
  });

  it("puts the route API's routes, integration and permission under route-api, the API itself under shared", () => {
    expect(reflex(summary, 'route-api').resources.map((r) => r.type)).toEqual(
      expect.arrayContaining(['aws_apigatewayv2_route', 'aws_apigatewayv2_integration', 'aws_lambda_permission']),
    );
    expect(reflex(summary, SHARED).resources.map((r) => r.name)).toEqual(
      expect.arrayContaining(['reflex-dev-bus', 'reflex-dev-api', 'reflex-dev-forward', 'reflex-dev-actions', 'reflex-dev-actions-dlq']),
    );
  });

  it('lists what the role policy grants, naming values known after apply by what they come from', () => {
    const policy = resource(summary, 'instance-guard', 'aws_iam_role_policy', 'reflex-dev-instance-guard/reflex');
    const granted = policy.permissions![0]!;
    expect(granted.kind).toBe('granted');
    expect(granted.granted).toContainEqual({
      sid: 'StartProtectedInstances',
      effect: 'Allow',
      actions: ['ec2:StartInstances'],
      resources: ['arn:aws:ec2:eu-central-1:111111111111:instance/*'],
      conditions: [{ operator: 'StringEquals', key: 'aws:ResourceTag/reflex:protect', values: ['true'] }],
    });
    expect(granted.granted!.find((s) => s.sid === 'ConsumeItsQueue')!.resources).toEqual(['(known after apply) ‹arn of aws_sqs_queue reflex-dev-instance-guard›']);
  });

  it("lists the Lambda permission API Gateway gets, and each queue's policy", () => {
    const permission = resource(summary, 'route-api', 'aws_lambda_permission', 'reflex-dev-route-api/AllowApiGateway').permissions![0]!;
    expect(permission.granted).toEqual([
      expect.objectContaining({ actions: ['lambda:InvokeFunction'], principals: ['Service:apigateway.amazonaws.com'] }),
    ]);
    const queue = resource(summary, 'instance-guard', 'aws_sqs_queue', 'reflex-dev-instance-guard').permissions![0]!;
    expect(queue.granted!.map((s) => [s.sid, s.effect])).toEqual([
      ['AllowOnlyItsRules', 'Allow'],
      ['DenyInsecureTransport', 'Deny'],
    ]);
  });

  it('has nothing that needs attention and no warnings: creations widen nothing', () => {
    expect(summary.attention).toEqual({ widened: [], messageLoss: [], destroyed: [], unknownPolicies: [] });
    expect(summary.warnings).toEqual([]);
    expect(summary.environments[0]!.drift).toEqual([]);
  });
});

describe('the plan of a change to local', () => {
  const plan = fixturePlan('local-change');
  const summary = summarize(['local-change.json', plan]);
  const guardPolicy = summary.attention.widened.find((w) => w.reflex === 'instance-guard')!;

  it('counts every resource change once', () => {
    expect(summary.counts).toEqual({ create: 0, update: 17, replace: 1, delete: 0, read: 8, noOp: 61, forget: 0 });
    expect(Object.values(summary.counts).reduce((a, b) => a + b, 0)).toBe(plan.resource_changes.length);
  });

  it("flags the instance guard's widened role policy: the new actions, the wildcard, the new resource, the removed condition", () => {
    expect(guardPolicy).toEqual(expect.objectContaining({ environment: 'local', type: 'aws_iam_role_policy', name: 'reflex-local-instance-guard/reflex', attribute: 'policy' }));
    expect(guardPolicy.findings.map((f) => [f.statement, f.kind, f.values, f.wildcard])).toEqual([
      ['ReadInstances', 'action-added', ['ec2:Describe*'], true],
      ['StartProtectedInstances', 'action-added', ['ec2:StopInstances'], false],
      ['StartProtectedInstances', 'resource-added', ['arn:aws:ec2:us-east-1:123456789012:volume/*'], true],
      ['StartProtectedInstances', 'condition-removed', ['StringEquals aws:ResourceTag/reflex:protect = true'], false],
    ]);
  });

  it("flags the scheduler's role policy, which names its replaced queue, known after apply", () => {
    const scheduler = summary.attention.widened.filter((w) => w.reflex === 'instance-scheduler');
    expect(scheduler.map((w) => [w.type, w.findings.map((f) => f.values)])).toEqual([
      ['aws_iam_role_policy', [['(known after apply) ‹arn of aws_sqs_queue reflex-local-instance-scheduler-main›']]],
    ]);
  });

  it('flags the replaced queue as possible message loss, with how to drain it first', () => {
    expect(summary.attention.messageLoss).toEqual([
      expect.objectContaining({
        reflex: 'instance-scheduler',
        name: 'reflex-local-instance-scheduler',
        action: 'replace',
        deadLetterQueue: false,
        reason: '`name` cannot change in place',
        url: 'http://127.0.0.1:4566/123456789012/reflex-local-instance-scheduler',
      }),
    ]);
    const { advice } = summary.attention.messageLoss[0]!;
    expect(advice).toContain('ApproximateNumberOfMessages');
    expect(advice).toContain('drain');
  });

  it('lists the replaced queue among the destroyed, by its old name, and says why', () => {
    expect(summary.attention.destroyed).toEqual([expect.objectContaining({ name: 'reflex-local-instance-scheduler', replaced: true, reason: '`name` cannot change in place' })]);
    const queue = resource(summary, 'instance-scheduler', 'aws_sqs_queue', 'reflex-local-instance-scheduler-main');
    expect(queue.replaceOrder).toBe('delete-then-create');
    expect(queue.attributes!.find((a) => a.path === 'name')).toEqual({
      path: 'name',
      before: 'reflex-local-instance-scheduler',
      after: 'reflex-local-instance-scheduler-main',
      forcesReplacement: true,
    });
  });

  it("does not read the replaced queue's policy naming its new self as a change", () => {
    const queue = resource(summary, 'instance-scheduler', 'aws_sqs_queue', 'reflex-local-instance-scheduler-main');
    expect(queue.permissions!.map((p) => p.kind)).toEqual(['unchanged']);
  });

  it('reports the drift the plan sets back', () => {
    const drift = summary.environments[0]!.drift.map((d) => [d.reflex, d.name, d.attributes]);
    expect(drift).toEqual([
      ['ip-blocker', 'reflex-local-ip-blocker', [{ path: 'visibility_timeout_seconds', before: '360', after: '30', revertsDrift: true }]],
      ['resource-tagger', 'reflex-local-resource-tagger', [{ path: 'tags.owner', before: '(none)', after: 'someone-by-hand', revertsDrift: true }]],
    ]);
    expect(summary.environments[0]!.otherDrift).toEqual({ resources: 8, attributes: ['inline_policy'] });
  });

  it('marks the update that undoes the drift', () => {
    const queue = resource(summary, 'ip-blocker', 'aws_sqs_queue', 'reflex-local-ip-blocker');
    expect(queue.attributes).toContainEqual({ path: 'visibility_timeout_seconds', before: '30', after: '360', revertsDrift: true });
  });

  it('tells updates that change nothing in effect: JSON written differently, a policy re-read with the same statements', () => {
    const queue = resource(summary, 'ipam-sync', 'aws_sqs_queue', 'reflex-local-ipam-sync');
    expect(queue).toEqual(expect.objectContaining({ action: 'update', noEffect: true }));
    expect(queue.attributes).toEqual([{ path: 'redrive_policy', before: '(JSON)', after: '(same JSON, written differently)', reformatted: true }]);
    const policy = resource(summary, 'ip-blocker', 'aws_iam_role_policy', 'reflex-local-ip-blocker/reflex');
    expect(policy.permissions!.map((p) => p.kind)).toEqual(['unchanged']);
    expect(policy.noEffect).toBe(true);
  });

  it('has no warnings', () => {
    expect(summary.warnings).toEqual([]);
  });
});

describe('changes made to the plans', () => {
  it('flags a destroyed dead-letter queue, with the advice to redrive it first', () => {
    const plan = fixturePlan('local-change');
    const dlq = change(plan, (c) => c.type === 'aws_sqs_queue' && c.change.before?.name === 'reflex-local-instance-guard-dlq');
    Object.assign(dlq.change, { actions: ['delete'], after: null, after_unknown: {} });
    dlq.action_reason = 'delete_because_no_resource_config';
    const loss = summarize(['p.json', plan]).attention.messageLoss.find((m) => m.name === 'reflex-local-instance-guard-dlq')!;
    expect(loss).toEqual(expect.objectContaining({ reflex: 'instance-guard', action: 'delete', deadLetterQueue: true, reason: 'removed from the configuration' }));
    expect(loss.advice).toContain('start-message-move-task');
  });

  it('never prints a sensitive value', () => {
    const plan = fixturePlan('local-change');
    const queue = change(plan, (c) => c.change.after?.name === 'reflex-local-ip-blocker' && c.type === 'aws_sqs_queue');
    queue.change.before_sensitive = { visibility_timeout_seconds: true };
    queue.change.after_sensitive = { visibility_timeout_seconds: true };
    const summary = summarize(['p.json', plan]);
    const attribute = resource(summary, 'ip-blocker', 'aws_sqs_queue', 'reflex-local-ip-blocker').attributes!.find((a) => a.path === 'visibility_timeout_seconds');
    expect(attribute).toEqual({ path: 'visibility_timeout_seconds', before: '(sensitive)', after: '(sensitive)', revertsDrift: true });
  });

  it('warns about a policy known only after apply that no policy document explains', () => {
    const plan = fixturePlan('local-change');
    const config = (plan.configuration.root_module.resources as Json[]).find((r) => r.address === 'aws_iam_role_policy.instance-guard_role-policy_A4CE5469')!;
    config.expressions.policy = { references: ['aws_sqs_queue.bus_audit_queue_88CA3A7B.arn'] };
    const summary = summarize(['p.json', plan]);
    expect(summary.attention.unknownPolicies).toEqual([expect.objectContaining({ reflex: 'instance-guard', attribute: 'policy' })]);
    expect(summary.warnings).toEqual([expect.stringContaining('is known only after apply')]);
  });

  it('compares a Lambda permission as a statement: a new principal, a removed source condition', () => {
    const plan = fixturePlan('dev-create');
    const permission = change(plan, (c) => c.type === 'aws_lambda_permission');
    const before = { ...permission.change.after, source_arn: 'arn:aws:execute-api:eu-central-1:111111111111:a1b2c3/*/*' };
    Object.assign(permission.change, { actions: ['update'], before, after: { ...before, principal: '*', source_arn: null }, after_unknown: {} });
    const widened = summarize(['p.json', plan]).attention.widened.find((w) => w.type === 'aws_lambda_permission')!;
    expect(widened.findings.map((f) => [f.kind, f.values])).toEqual([
      ['principal-added', ['*']],
      ['condition-removed', ['ArnLike aws:SourceArn = arn:aws:execute-api:eu-central-1:111111111111:a1b2c3/*/*']],
    ]);
  });

  it('flags a managed policy attached to an existing role as widening, and its detachment as narrowing', () => {
    const plan = fixturePlan('local-change');
    const attachment = (actions: string[], before: Json | null, after: Json | null) => ({
      address: 'aws_iam_role_policy_attachment.admin',
      mode: 'managed',
      type: 'aws_iam_role_policy_attachment',
      name: 'admin',
      change: { actions, before, after, after_unknown: {} },
    });
    const admin = { role: 'reflex-local-instance-guard', policy_arn: 'arn:aws:iam::aws:policy/AdministratorAccess' };
    (plan.resource_changes as Json[]).push(attachment(['create'], null, admin));
    const widened = summarize(['p.json', plan]).attention.widened.find((w) => w.type === 'aws_iam_role_policy_attachment')!;
    expect(widened).toEqual(expect.objectContaining({ reflex: 'instance-guard', attribute: 'policy_arn' }));
    expect(widened.findings.map((f) => [f.kind, f.text])).toEqual([
      ['policy-attached', 'managed policy arn:aws:iam::aws:policy/AdministratorAccess attached to reflex-local-instance-guard (broad AWS managed policy)'],
    ]);

    const detached = fixturePlan('local-change');
    (detached.resource_changes as Json[]).push(attachment(['delete'], admin, null));
    const summary = summarize(['p.json', detached]);
    expect(summary.attention.widened.filter((w) => w.type === 'aws_iam_role_policy_attachment')).toEqual([]);
    const report = reflex(summary, 'instance-guard').resources.find((r) => r.address === 'aws_iam_role_policy_attachment.admin')!.permissions!;
    expect(report).toEqual([expect.objectContaining({ kind: 'revoked', narrowed: [expect.objectContaining({ kind: 'policy-detached' })] })]);
  });

  it('flags a new inline policy on a role the plan does not create as widening, statement by statement', () => {
    const plan = fixturePlan('local-change');
    const policy = { Version: '2012-10-17', Statement: [{ Sid: 'Everything', Effect: 'Allow', Action: 'ec2:*', Resource: '*' }] };
    (plan.resource_changes as Json[]).push({
      address: 'aws_iam_role_policy.extra',
      mode: 'managed',
      type: 'aws_iam_role_policy',
      name: 'extra',
      change: { actions: ['create'], before: null, after: { role: 'reflex-local-instance-guard', name: 'extra', policy: JSON.stringify(policy) }, after_unknown: {} },
    });
    const widened = summarize(['p.json', plan]).attention.widened.find((w) => w.address === 'aws_iam_role_policy.extra')!;
    expect(widened.findings.map((f) => [f.kind, f.statement, f.wildcard])).toEqual([['statement-added', 'Everything', true]]);
  });

  it('names the environment after the file when nothing is tagged', () => {
    const plan = fixturePlan('dev-create');
    for (const c of plan.resource_changes as Json[]) for (const side of [c.change.before, c.change.after]) if (side) delete side.tags_all;
    delete plan.configuration.provider_config.aws.expressions.default_tags;
    expect(summarize(['plans/staging.json', plan]).environments.map((e) => [e.name, e.source])).toEqual([['staging', 'file']]);
  });

  it("takes the provider's default tags when the resources carry none", () => {
    const plan = fixturePlan('dev-create');
    for (const c of plan.resource_changes as Json[]) if (c.change.after) delete c.change.after.tags_all;
    expect(summarize(['p.json', plan]).environments.map((e) => [e.name, e.source])).toEqual([['dev', 'provider']]);
  });

  it('merges the files of one environment', () => {
    const summary = summarize(['a.json', fixturePlan('dev-create')], ['b.json', fixturePlan('dev-create')]);
    expect(summary.environments.map((e) => [e.name, e.files, e.counts.create])).toEqual([['dev', ['a.json', 'b.json'], 146]]);
  });

  it('keeps environments apart, in the order of the files', () => {
    const summary = summarize(['local.json', fixturePlan('local-change')], ['dev.json', fixturePlan('dev-create')]);
    expect(summary.environments.map((e) => e.name)).toEqual(['local', 'dev']);
    expect(summary.counts.create).toBe(73);
  });

  it('warns when the plan errored', () => {
    const plan = fixturePlan('dev-create');
    plan.errored = true;
    expect(summarize(['p.json', plan]).warnings).toEqual(['p.json: the plan errored; what it shows may be incomplete']);
  });
});

describe('asTerraformPlan', () => {
  const refuse = (value: unknown) => () => asTerraformPlan(value, 'x.json');

  it('takes the JSON of a saved plan', () => {
    const plan = fixturePlan('dev-create');
    expect(asTerraformPlan(plan, 'x.json')).toBe(plan as unknown as PlanJson);
  });

  it('refuses a state file, saying so', () => {
    expect(refuse({ version: 4, terraform_version: '1.11.4', serial: 3, lineage: 'abc', outputs: {}, resources: [] })).toThrow(
      'x.json is a Terraform state file, not a plan',
    );
  });

  it('refuses state as JSON from terraform show without a plan file', () => {
    expect(refuse({ format_version: '1.0', terraform_version: '1.11.4', values: { root_module: {} } })).toThrow('`terraform show -json` without a plan file');
  });

  it('refuses synthesized configuration', () => {
    expect(refuse({ '//': { metadata: {} }, provider: { aws: [{}] }, resource: { aws_sqs_queue: {} }, terraform: {} })).toThrow('Terraform configuration (synthesized JSON');
  });

  it('refuses anything else, and a plan format it does not know', () => {
    expect(refuse([])).toThrow(NotAPlanError);
    expect(refuse({ hello: 'world' })).toThrow('no format_version and resource_changes');
    expect(refuse({ format_version: '2.0', resource_changes: [] })).toThrow('plan format 2.0 is not supported');
  });
});
