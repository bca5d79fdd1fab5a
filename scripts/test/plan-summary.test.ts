// `reflex plan summary` on the real plans of packages/guardrails/fixtures/plans, as `pnpm reflex` runs it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { type Run, reflexInProcess } from './reflex-cli';

const plans = join(repoRoot(), 'packages', 'guardrails', 'fixtures', 'plans');
const DEV = join(plans, 'dev-create.json');
const CHANGE = join(plans, 'local-change.json');

const reflex = (...args: string[]): Promise<Run> => reflexInProcess(args, {}, 30_000);

let dir: string;
const write = (name: string, content: string | Buffer): string => {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'reflex-plan-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('reflex plan summary', () => {
  it('prints the Markdown of a change: the widened policy and the replaced queue first, and exits 0', async () => {
    const run = await reflex('plan', 'summary', CHANGE);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^## Terraform plan: local\n/);
    const attention = run.stdout.slice(run.stdout.indexOf('### ⚠️ Needs attention'), run.stdout.indexOf('### local'));
    expect(attention).toContain('`StartProtectedInstances`: new action `ec2:StopInstances`');
    expect(attention).toContain('`StartProtectedInstances`: condition removed: `StringEquals aws:ResourceTag/reflex:protect = true`');
    expect(attention).toContain('queue `reflex-local-instance-scheduler` is replaced');
  });

  it('exits 1 with what --fail-on found, after printing the summary', async () => {
    const run = await reflex('plan', 'summary', CHANGE, '--fail-on', 'widen,loss,drift');

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('## Terraform plan: local');
    expect(run.stderr).toBe('reflex plan: --fail-on widen: 2 policies widen; loss: 1 queue replaced or destroyed; drift: 2 resources drifted\n');
  });

  it('exits 0 with --fail-on when the plans hold none of it', async () => {
    const run = await reflex('plan', 'summary', DEV, '--fail-on', 'widen,loss,destroy,unknown');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Nothing: no permission widens');
  });

  it('prints JSON for several files, one environment each, with --json', async () => {
    const run = await reflex('plan', 'summary', CHANGE, DEV, '--json');

    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { environments: { name: string; files: string[] }[]; counts: { create: number } };
    expect(summary.environments.map((e) => [e.name, e.files])).toEqual([
      ['local', [CHANGE]],
      ['dev', [DEV]],
    ]);
    expect(summary.counts.create).toBe(73);
  });

  it('reads a gzipped plan', async () => {
    const run = await reflex('plan', 'summary', write('plan.json.gz', gzipSync(readFileSync(DEV))), '--json');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).environments[0].name).toBe('dev');
  });

  it('prints the JSON Schema of --json', async () => {
    const run = await reflex('plan', 'schema');

    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(readFileSync(join(plans, '..', '..', 'schema', 'plan-summary.schema.json'), 'utf8')));
  });
});

describe('reflex plan usage errors (exit 2)', () => {
  it.each([
    ['a missing file', () => [join(dir, 'nope.json')], 'cannot read'],
    ['a state file', () => [write('terraform.tfstate', JSON.stringify({ version: 4, serial: 1, lineage: 'x', resources: [] }))], 'is a Terraform state file, not a plan'],
    ['synthesized configuration', () => [write('cdk.tf.json', JSON.stringify({ terraform: {}, provider: { aws: [{}] }, resource: {} }))], 'is Terraform configuration'],
    ['a binary plan', () => [write('plan.bin', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(16)]))], 'is a saved plan file (binary)'],
    ['text that is not JSON', () => [write('plan.txt', 'Plan: 3 to add')], 'is not JSON'],
  ])('refuses %s, saying why', async (_, files, message) => {
    const run = await reflex('plan', 'summary', ...files());

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('refuses no file, an unknown --fail-on and an unknown subcommand', async () => {
    for (const args of [['plan', 'summary'], ['plan', 'summary', DEV, '--fail-on', 'everything'], ['plan', 'show', DEV]]) {
      const run = await reflex(...args);
      expect([run.code, run.stdout]).toEqual([2, '']);
    }
  });
});
