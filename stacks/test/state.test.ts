// A reflex that declares state gets one DynamoDB table with secure defaults that only its own role reaches,
// and its rules and forwarding follow the triggers resolved for its config. Asserted on the Terraform JSON of
// every environment, each with the stateful test reflex of support.ts enabled.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { awsName, defineReflex, loadManifests, type ReflexManifest } from '@reflex/manifest';
import { ENVIRONMENTS, type EnvConfigInput, InvalidEnvConfigError, readSynthesized, resolveEnvironment, runChecks, synthAll } from '../src';
import { STATE_TABLE_ACTIONS } from '../src/constructs/state-table';
import {
  allStatements,
  findResource,
  readStack,
  ref,
  referencedDocument,
  resourcesOf,
  rolePermissions,
  root,
  type StackJson,
  STATEFUL,
  STATEFUL_CONFIG,
  synthesizeEnvironments,
  withStateful,
} from './support';

const tempDirs: string[] = [];
let manifests: ReflexManifest[];
const stacks = new Map<string, StackJson>();

beforeAll(async () => {
  const outdir = await synthesizeEnvironments();
  tempDirs.push(outdir);
  manifests = [...(await loadManifests(root)), STATEFUL];
  for (const { name } of ENVIRONMENTS) stacks.set(name, readStack(outdir, name));
}, 300_000);

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const envNames = ENVIRONMENTS.map((e) => e.name);
const lambdaEnvNames = ENVIRONMENTS.filter((e) => (e.compute ?? 'lambda') === 'lambda').map((e) => e.name);
const input = (name: string): EnvConfigInput => structuredClone(ENVIRONMENTS.find((e) => e.name === name)!);

/** The stateful reflex's resources in one environment, found by name. */
function stateful(envName: string) {
  const json = stacks.get(envName)!;
  const name = awsName(envName, STATEFUL.name);
  return { json, name, table: findResource(json, 'aws_dynamodb_table', { name }) };
}

describe.each(envNames)('the state table of the %s stack', (envName) => {
  it('is named reflex-<env>-<reflex> and billed per request', () => {
    const { table } = stateful(envName);
    expect(table.block.name).toBe(`reflex-${envName}-test-blocker`);
    expect(table.block.billing_mode).toBe('PAY_PER_REQUEST');
  });

  it("keys items by the manifest's partition and sort keys, both strings", () => {
    const { table } = stateful(envName);
    expect(table.block.hash_key).toBe('pk');
    expect(table.block.range_key).toBe('sk');
    expect(table.block.attribute).toEqual([
      { name: 'pk', type: 'S' },
      { name: 'sk', type: 'S' },
    ]);
  });

  it('is encrypted with a KMS key and keeps point-in-time recovery', () => {
    const { table } = stateful(envName);
    expect(table.block.server_side_encryption).toEqual({ enabled: true });
    expect(table.block.point_in_time_recovery).toEqual({ enabled: true });
  });

  it("expires items by the manifest's TTL attribute", () => {
    expect(stateful(envName).table.block.ttl).toEqual({ attribute_name: 'expiresAt', enabled: true });
  });

  it('lets only the reflex itself use the table, with item actions and no wildcard', () => {
    const { json, name, table } = stateful(envName);
    const own = rolePermissions(json, name).statements.filter((s) => s.actions?.some((a) => a.startsWith('dynamodb:')));
    expect(own).toEqual([
      { sid: 'UseItsStateTable', effect: 'Allow', actions: [...STATE_TABLE_ACTIONS], resources: [ref(table.address, 'arn')] },
    ]);
    const reaching = allStatements(json).filter((s) => s.resources?.some((r) => r.includes(`\${${table.address}.`)));
    expect(reaching).toHaveLength(own.length);
  });

  it('hands the table name to the function as REFLEX_STATE_TABLE, and to no reflex without state', () => {
    const { json, table } = stateful(envName);
    const environments = json.output!['function_environments']!.value as Record<string, Record<string, string>>;
    expect(environments[STATEFUL.name]!.REFLEX_STATE_TABLE).toBe(ref(table.address, 'name'));
    expect(environments['instance-guard']).not.toHaveProperty('REFLEX_STATE_TABLE');
  });

  it('names the table in the state_tables output', () => {
    const { json, table } = stateful(envName);
    expect((json.output!['state_tables']!.value as Record<string, string>)[STATEFUL.name]).toBe(ref(table.address, 'name'));
  });

  it('builds its rules from the triggers for its config, not from the default triggers', () => {
    const { json, name } = stateful(envName);
    const patterns = resourcesOf(json, 'aws_cloudwatch_event_rule')
      .filter(({ block }) => String(block.name).startsWith(`${name}-`))
      .map(({ block }) => [block.name, JSON.parse(block.event_pattern)]);
    expect(STATEFUL.triggers).toHaveLength(1);
    // It acts in the hub only: with member accounts, its rules match the hub's own events only.
    const input = ENVIRONMENTS.find((e) => e.name === envName)!;
    const hubOnly = input.memberAccounts?.length ? { account: [input.account] } : {};
    expect(Object.fromEntries(patterns)).toEqual({
      [`${name}-0`]: {
        source: ['aws.guardduty'],
        'detail-type': ['GuardDuty Finding'],
        detail: { severity: [{ numeric: ['>=', STATEFUL_CONFIG.minSeverity] }] },
        ...hubOnly,
      },
      [`${name}-1`]: { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { alarmName: ['ssh-brute-force'] }, ...hubOnly },
    });
  });
});

describe.each(lambdaEnvNames)('the stateful function of the %s stack', (envName) => {
  it('gets REFLEX_STATE_TABLE in its environment', () => {
    const { json, name, table } = stateful(envName);
    const fn = findResource(json, 'aws_lambda_function', { function_name: name });
    expect(fn.block.environment.variables.REFLEX_STATE_TABLE).toBe(ref(table.address, 'name'));
  });

  it('keeps its table from deletion (deletion protection)', () => {
    expect(stateful(envName).table.block.deletion_protection_enabled).toBe(true);
  });
});

describe('the local stack', () => {
  it('leaves deletion protection off: its tables go with the local AWS API', () => {
    expect(stateful('local').table.block.deletion_protection_enabled).toBe(false);
  });

  it('points DynamoDB at the local endpoint', () => {
    const endpoints = stacks.get('local')!.provider.aws[0]!.endpoints as Record<string, string>[];
    expect(endpoints[0]!.dynamodb).toBe(endpoints[0]!.sqs);
  });
});

describe('the dev stack', () => {
  it('builds no table for a reflex without state', () => {
    const tables = resourcesOf(stacks.get('dev')!, 'aws_dynamodb_table').map(({ block }) => block.name);
    expect(tables).not.toContain('reflex-dev-instance-guard');
  });
});

describe('a stateful reflex alone in an environment, left to a worker', () => {
  let json: StackJson;
  let outdir: string;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'reflex-worker-'));
    tempDirs.push(outdir);
    const local = { ...input('local'), reflexes: {} };
    await synthAll({ root, outdir, manifests: [STATEFUL], environments: [withStateful(local, 'worker')] });
    json = readStack(outdir, 'local');
  }, 60_000);

  it('grants the table to the worker policy, and to no role', () => {
    const table = findResource(json, 'aws_dynamodb_table', { name: 'reflex-local-test-blocker' });
    const policy = findResource(json, 'aws_iam_policy', { name: 'reflex-local-test-blocker-worker' });
    expect(referencedDocument(json, policy.block.policy).statements).toContainEqual({
      sid: 'UseItsStateTable',
      effect: 'Allow',
      actions: [...STATE_TABLE_ACTIONS],
      resources: [ref(table.address, 'arn')],
    });
    expect(resourcesOf(json, 'aws_iam_role').map(({ block }) => block.name)).not.toContain('reflex-local-test-blocker');
  });

  it('forwards from the default bus the sources of the triggers for its config, and only those', () => {
    const forwards = resourcesOf(json, 'aws_cloudwatch_event_rule')
      .filter(({ block }) => String(block.name).startsWith('reflex-local-forward-'))
      .map(({ block }) => [block.name, JSON.parse(block.event_pattern)]);
    expect(Object.fromEntries(forwards)).toEqual({
      'reflex-local-forward-cloudwatch': { source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'] },
      'reflex-local-forward-guardduty': { source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] },
    });
  });

  it('passes the policy checks', () => {
    expect(runChecks(readSynthesized(outdir))).toEqual([]);
  });
});

describe('resolveEnvironment with triggersFor', () => {
  it("resolves each reflex's triggers for its config", () => {
    const { reflexes } = resolveEnvironment(withStateful(input('dev')), manifests);
    const blocker = reflexes.find((r) => r.manifest.name === STATEFUL.name)!;
    const guard = reflexes.find((r) => r.manifest.name === 'instance-guard')!;
    expect(blocker.triggers).toEqual(STATEFUL.triggersFor!(STATEFUL_CONFIG));
    expect(guard.triggers).toEqual(guard.manifest.triggers);
  });

  it("rejects the triggers a config makes invalid, naming the environment, the reflex and the trigger", () => {
    const broken = defineReflex({
      ...STATEFUL,
      triggersFor: (config) => [...STATEFUL.triggersFor!(config), ...config.alarmNames.map((name) => ({ kind: 'event' as const, pattern: { source: ['aws.cloudwatch'], detail: { alarmName: name } } }))],
    });
    const act = () => resolveEnvironment(withStateful(input('dev')), [...manifests.filter((m) => m !== STATEFUL), broken]);
    expect(act).toThrow(InvalidEnvConfigError);
    expect(act).toThrow(/^environment "dev": reflex "test-blocker": triggers\.2\.pattern\.detail\.alarmName: /);
  });
});
