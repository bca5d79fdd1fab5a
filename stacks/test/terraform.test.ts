// The real Terraform CLI, offline: `validate` on every environment and a `plan` of dev. Providers come from
// the local mirror through the shared plugin cache (see terraformEnv); no AWS call is made.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { OFFLINE_TERRAFORM_OVERRIDE } from '@reflex/local-aws';
import { ENVIRONMENTS, type EnvConfigInput } from '../src';
import { terraform, terraformEnv } from '../src/terraform';
import { findResource, readStack, root, synthesizeEnvironments } from './support';

const TERRAFORM_TIMEOUT = 300_000;

/** Every environment's stack and one spoke stack per member account (`<env>-spoke-<account>`). */
const spokes = (e: EnvConfigInput) => (e.memberAccounts ?? []).map((m) => `${e.name}-spoke-${typeof m === 'string' ? m : m.account}`);
const STACKS = ENVIRONMENTS.flatMap((e) => [e.name, ...spokes(e)]).sort();

interface PlannedChange {
  address: string;
  type: string;
  change: { actions: string[]; after: Record<string, any> | null };
}

let outdir: string;
let env: Record<string, string>;
const tempDirs: string[] = [];

beforeAll(async () => {
  outdir = await synthesizeEnvironments();
  tempDirs.push(outdir);
  // Terraform and its provider are Go programs that allocate much at start (the provider's schema): with
  // GOGC=200, half as many collections, ~15% less CPU per command, some 100 MB more memory each.
  env = { ...terraformEnv(root), GOGC: process.env.GOGC ?? '200' };
}, TERRAFORM_TIMEOUT);

afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('terraform validate', () => {
  it('has a synthesized stack folder for every environment and every member account of one', () => {
    expect(readdirSync(join(outdir, 'stacks')).sort()).toEqual(STACKS);
  });

  // Every stack is a module of one configuration: one init and one validate for all of them (a hub stack alone
  // takes ~5 s of both). As a module only a stack's backend block is ignored, with a warning per stack, which the
  // test expects and allows alone; the offline plan below initializes dev as the root it is.
  it(
    "accepts every environment's stack and every spoke stack",
    async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'reflex-validate-'));
      tempDirs.push(cwd);
      for (const name of STACKS) cpSync(join(outdir, 'stacks', name), join(cwd, name), { recursive: true });
      const modules = Object.fromEntries(STACKS.map((name) => [name.replaceAll('-', '_'), { source: `./${name}` }]));
      writeFileSync(join(cwd, 'main.tf.json'), JSON.stringify({ module: modules }));
      await terraform(['init', '-backend=false', '-input=false', '-no-color'], { cwd, env });
      const { stdout } = await terraform(['validate', '-json', '-no-color'], { cwd, env });
      const result = JSON.parse(stdout) as {
        valid: boolean;
        error_count: number;
        diagnostics: { severity: string; summary: string; range?: { filename: string } }[];
      };
      expect(result).toEqual(expect.objectContaining({ valid: true, error_count: 0 }));
      expect(result.diagnostics.map((d) => `${d.severity}: ${d.summary}`)).toEqual(STACKS.map(() => 'warning: Backend configuration ignored'));
      expect(result.diagnostics.map((d) => d.range?.filename.split('/')[0]).sort()).toEqual(STACKS);
    },
    TERRAFORM_TIMEOUT,
  );
});

describe('terraform plan of dev (offline)', () => {
  let dir: string;
  let changes: PlannedChange[];

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), 'reflex-')), 'dev');
    tempDirs.push(dirname(dir));
    // The whole stack folder, assets included; not the .terraform folder validate may have left there.
    cpSync(join(outdir, 'stacks', 'dev'), dir, { recursive: true, filter: (src) => basename(src) !== '.terraform' });
    writeFileSync(join(dir, 'offline_override.tf.json'), JSON.stringify(OFFLINE_TERRAFORM_OVERRIDE, null, 2));
    await terraform(['init', '-input=false', '-no-color'], { cwd: dir, env });
    await terraform(['plan', '-input=false', '-lock=false', '-no-color', '-out=plan.bin'], { cwd: dir, env });
    const { stdout } = await terraform(['show', '-json', 'plan.bin'], { cwd: dir, env });
    changes = (JSON.parse(stdout) as { resource_changes: PlannedChange[] }).resource_changes;
  }, TERRAFORM_TIMEOUT);

  const planned = (type: string, name: string, attribute = 'name') =>
    changes.filter((c) => c.type === type && c.change.after?.[attribute] === name);

  it('finds the guard bundle at the relative asset path the stack names', () => {
    const fn = findResource(readStack(outdir, 'dev'), 'aws_lambda_function', { function_name: 'reflex-dev-instance-guard' });
    expect(isAbsolute(fn.block.filename)).toBe(false);
    expect(fn.block.filename).toMatch(/^assets\//);
    expect(existsSync(join(dir, fn.block.filename))).toBe(true);
    // A Lambda zip: index.mjs (the handler's module) at its root, readable by another zip reader.
    const names = execFileSync('python3', ['-c', 'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))', join(dir, fn.block.filename)], {
      encoding: 'utf8',
    });
    expect(names.trim().split('\n')).toEqual(['index.mjs', 'index.mjs.map']);
  });

  it('creates the guard function on nodejs22.x', () => {
    const fns = planned('aws_lambda_function', 'reflex-dev-instance-guard', 'function_name');
    expect(fns).toHaveLength(1);
    expect(fns[0]!.change.actions).toEqual(['create']);
    expect(fns[0]!.change.after).toEqual(expect.objectContaining({ runtime: 'nodejs22.x', handler: 'index.handler' }));
  });

  it('creates the guard queue and its DLQ, both encrypted', () => {
    for (const name of ['reflex-dev-instance-guard', 'reflex-dev-instance-guard-dlq']) {
      const queues = planned('aws_sqs_queue', name);
      expect(queues).toHaveLength(1);
      expect(queues[0]!.change.actions).toEqual(['create']);
      expect(queues[0]!.change.after).toEqual(expect.objectContaining({ sqs_managed_sse_enabled: true }));
    }
  });

  it('creates an event source mapping with partial batch responses for every function but the API Gateway-invoked route API', () => {
    const mappings = changes.filter((c) => c.type === 'aws_lambda_event_source_mapping');
    const queueFed = changes.filter((c) => c.type === 'aws_lambda_function' && c.change.after?.function_name !== 'reflex-dev-route-api');
    expect(mappings).toHaveLength(queueFed.length);
    for (const mapping of mappings) {
      expect(mapping.change.actions).toEqual(['create']);
      expect(mapping.change.after?.function_response_types).toEqual(['ReportBatchItemFailures']);
    }
  });

  it("creates the failover test reflex's Direct Connect alarm as the provider reads it", () => {
    const alarms = planned('aws_cloudwatch_metric_alarm', 'reflex-dev-test-failover-dxcon-fgabc123-down', 'alarm_name');
    expect(alarms).toHaveLength(1);
    expect(alarms[0]!.change.after).toEqual(
      expect.objectContaining({
        namespace: 'AWS/DX',
        metric_name: 'ConnectionState',
        dimensions: { ConnectionId: 'dxcon-fgabc123' },
        statistic: 'Minimum',
        period: 60,
        evaluation_periods: 3,
        threshold: 1,
        comparison_operator: 'LessThanThreshold',
        treat_missing_data: 'breaching',
        actions_enabled: true,
      }),
    );
  });

  it('plans only creations on an empty state', () => {
    const actions = new Set(changes.filter((c) => !c.address.startsWith('data.')).flatMap((c) => c.change.actions));
    expect([...actions]).toEqual(['create']);
  });
});
