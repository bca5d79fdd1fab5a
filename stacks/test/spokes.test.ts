// Hub and spoke, as synthesized: a spoke stack per member account (its state key, the provider assuming the
// deployment role, forwarding to the hub's reflex bus), spoke roles that trust one hub role with the external id
// and the organization, the hub's side (bus policy, AssumeRole statements, REFLEX_SPOKES).
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENVIRONMENTS, memberAccountsOf, resolveEnvironment } from '../src';
import { findResource, readStack, ref, referencedDocument, resourcesOf, rolePermissions, type StackJson, synthesizeEnvironments } from './support';
import { loadManifests } from '@reflex/manifest';
import { root } from './support';

let outdir: string;
let prod: StackJson;
let spoke: StackJson;
let byoRole: StackJson;

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
  prod = readStack(outdir, 'prod');
  spoke = readStack(outdir, 'prod-spoke-444444444444');
  byoRole = readStack(outdir, 'prod-spoke-555555555555');
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const trustOf = (json: StackJson, roleName: string) =>
  referencedDocument(json, findResource(json, 'aws_iam_role', { name: roleName }).block.assume_role_policy).statements;

describe('a spoke stack', () => {
  it('keeps its state in the hub bucket under reflex/<env>/spoke-<account>.tfstate', () => {
    expect(spoke.terraform.backend.s3).toEqual(
      expect.objectContaining({ bucket: 'reflex-tfstate-333333333333', key: 'reflex/prod/spoke-444444444444.tfstate', encrypt: true, use_lockfile: true }),
    );
  });

  it("deploys by assuming the member's deployment role (the default one, or the one configured) and only into that account", () => {
    expect(spoke.provider.aws[0]).toEqual(
      expect.objectContaining({
        allowed_account_ids: ['444444444444'],
        assume_role: [{ role_arn: 'arn:aws:iam::444444444444:role/OrganizationAccountAccessRole', session_name: 'reflex-prod-deploy' }],
      }),
    );
    expect(byoRole.provider.aws[0]!.assume_role).toEqual([
      { role_arn: 'arn:aws:iam::555555555555:role/network-automation-deploy', session_name: 'reflex-prod-deploy' },
    ]);
  });

  it("forwards what the reflexes that act in member accounts listen to, to the hub's reflex bus, with a role that may put events there only", () => {
    const targets = resourcesOf(spoke, 'aws_cloudwatch_event_target');
    const rules = resourcesOf(spoke, 'aws_cloudwatch_event_rule');
    // The guard's state changes, the tagger's CloudTrail calls, auto-heal's alarms and Health events; GuardDuty
    // findings are for the (test) IP blocker, which acts in the hub only.
    expect(rules.map(({ block }) => [block.name, JSON.parse(block.event_pattern)])).toEqual([
      ['reflex-prod-forward-cloudwatch', { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] }],
      ['reflex-prod-forward-ec2', { source: ['aws.ec2'], 'detail-type': ['AWS API Call via CloudTrail', 'EC2 Instance State-change Notification'] }],
      ['reflex-prod-forward-health', { source: ['aws.health'], 'detail-type': ['AWS Health Event'] }],
    ]);
    expect(rules.every(({ block }) => block.event_bus_name === undefined)).toBe(true); // the default bus
    const role = findResource(spoke, 'aws_iam_role', { name: 'reflex-prod-forward' });
    for (const { block } of targets) {
      expect(block).toEqual(expect.objectContaining({ arn: 'arn:aws:events:eu-central-1:333333333333:event-bus/reflex-prod-bus', role_arn: ref(role.address, 'arn') }));
    }
    expect(rolePermissions(spoke, 'reflex-prod-forward').statements).toEqual([
      expect.objectContaining({ actions: ['events:PutEvents'], resources: ['arn:aws:events:eu-central-1:333333333333:event-bus/reflex-prod-bus'] }),
    ]);
  });

  it("keeps the reflexes that act in the hub only to the hub's own events, and the others to every account's", () => {
    const pattern = (name: string) => JSON.parse(findResource(prod, 'aws_cloudwatch_event_rule', { name }).block.event_pattern);
    expect(pattern('reflex-prod-test-blocker-0').account).toEqual(['333333333333']);
    expect(pattern('reflex-prod-auto-heal-0').account).toBeUndefined();
    expect(pattern('reflex-prod-instance-guard-0').account).toBeUndefined();
    expect(pattern('reflex-prod-resource-tagger-0').account).toBeUndefined();
    // Without member accounts, no rule names an account.
    const staging = readStack(outdir, 'staging');
    expect(resourcesOf(staging, 'aws_cloudwatch_event_rule').filter(({ block }) => block.event_pattern && JSON.parse(block.event_pattern).account)).toEqual([]);
  });

  it('has a spoke role for each reflex whose manifest acts in member accounts, and none for the others', () => {
    const roles = resourcesOf(spoke, 'aws_iam_role').map(({ block }) => block.name).sort();
    expect(roles).toEqual([
      'reflex-prod-auto-heal',
      'reflex-prod-forward',
      'reflex-prod-instance-guard',
      'reflex-prod-instance-scheduler',
      'reflex-prod-ipam-enricher',
      'reflex-prod-reaper',
      'reflex-prod-resource-tagger',
    ]);
  });

  it("lets only the reflex's function role in the hub assume its spoke role, with the external id, from inside the organization", () => {
    expect(trustOf(spoke, 'reflex-prod-instance-guard')).toEqual([
      {
        sid: 'HubFunctionRole',
        effect: 'Allow',
        actions: ['sts:AssumeRole'],
        principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::333333333333:role/reflex-prod-instance-guard'] }],
        condition: [
          { test: 'StringEquals', variable: 'sts:ExternalId', values: ['reflex-prod-7d41'] },
          { test: 'StringEquals', variable: 'aws:PrincipalOrgID', values: ['o-a1b2c3d4e5'] },
        ],
      },
    ]);
  });

  it("carries the manifest's permissions, scoped to the member account", () => {
    const hub = rolePermissions(prod, 'reflex-prod-instance-guard').statements;
    const member = rolePermissions(spoke, 'reflex-prod-instance-guard').statements;
    const manifestSids = member.map((s) => s.sid);
    expect(manifestSids).toEqual(hub.filter((s) => manifestSids.includes(s.sid)).map((s) => s.sid));
    for (const s of member) {
      const inHub = hub.find((h) => h.sid === s.sid)!;
      expect(s.actions).toEqual(inHub.actions);
      expect(s.resources).toEqual(inHub.resources!.map((r) => r.replace(':333333333333:', ':444444444444:')));
    }
    expect(JSON.stringify(member)).not.toContain('333333333333');
    // Queues, state, logs and the bus are the hub's: the spoke role has none of them.
    expect(member.flatMap((s) => s.actions ?? []).filter((a) => /^(sqs|dynamodb|logs|events):/.test(a))).toEqual([]);
  });
});

describe("the hub's side", () => {
  it('admits PutEvents from the member accounts only, only of the sources the spokes forward, only inside the organization', () => {
    const policy = findResource(prod, 'aws_cloudwatch_event_bus_policy', {});
    const [statement] = referencedDocument(prod, policy.block.policy).statements;
    expect(statement).toEqual(
      expect.objectContaining({
        actions: ['events:PutEvents'],
        principals: [{ type: 'AWS', identifiers: ['arn:aws:iam::444444444444:root', 'arn:aws:iam::555555555555:root'] }],
        condition: [
          { test: 'StringEquals', variable: 'events:source', values: ['aws.cloudwatch', 'aws.ec2', 'aws.health'] },
          { test: 'StringEquals', variable: 'aws:PrincipalOrgID', values: ['o-a1b2c3d4e5'] },
        ],
      }),
    );
  });

  it('lets a function role assume its own spoke roles and no other, and tells the function where they are', () => {
    expect(rolePermissions(prod, 'reflex-prod-instance-guard').statements).toContainEqual(
      expect.objectContaining({
        sid: 'AssumeItsSpokeRoles',
        actions: ['sts:AssumeRole'],
        resources: ['arn:aws:iam::444444444444:role/reflex-prod-instance-guard', 'arn:aws:iam::555555555555:role/reflex-prod-instance-guard'],
      }),
    );
    const api = rolePermissions(prod, 'reflex-prod-route-api').statements;
    expect(api.some((s) => s.actions?.includes('sts:AssumeRole'))).toBe(false);
    const guard = findResource(prod, 'aws_lambda_function', { function_name: 'reflex-prod-instance-guard' });
    expect(JSON.parse(guard.block.environment.variables.REFLEX_SPOKES)).toEqual({
      hub: '333333333333',
      accounts: ['444444444444', '555555555555'],
      roleName: 'reflex-prod-instance-guard',
      partition: 'aws',
      externalId: 'reflex-prod-7d41',
    });
    const routes = findResource(prod, 'aws_lambda_function', { function_name: 'reflex-prod-route-api' });
    expect(routes.block.environment.variables.REFLEX_SPOKES).toBeUndefined();
  });

  it('builds no bus policy and no spoke stack for an environment without member accounts', () => {
    const staging = readStack(outdir, 'staging');
    expect(resourcesOf(staging, 'aws_cloudwatch_event_bus_policy')).toEqual([]);
  });
});

describe('memberAccountsOf', () => {
  it('names the default deployment role, or the one configured, per member', async () => {
    const manifests = await loadManifests(root);
    const { env } = resolveEnvironment(ENVIRONMENTS.find((e) => e.name === 'prod')!, manifests);
    expect(memberAccountsOf(env)).toEqual([
      { account: '444444444444', deploymentRoleArn: 'arn:aws:iam::444444444444:role/OrganizationAccountAccessRole' },
      { account: '555555555555', deploymentRoleArn: 'arn:aws:iam::555555555555:role/network-automation-deploy' },
    ]);
  });
});
