// `reflex check cidrs` as a child process, like `pnpm reflex check cidrs …`: on the real plans of
// packages/guardrails/fixtures, on cdktf-shaped directories, and against an embedded IPAM store in a temp dir.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { IpamInstanceMessageSchema } from '@reflex/events';
import { applyMessage, openStore } from '@reflex/ipam';
import { repoRoot } from '@reflex/manifest';
import { reflexInProcess } from './reflex-cli';

const root = repoRoot();
const dir = mkdtempSync(join(tmpdir(), 'reflex-check-cidrs-'));
const noStore = join(dir, 'no-ipam');
const plans = join(root, 'packages', 'guardrails', 'fixtures', 'plans');
const fixture = (name: string) => join(plans, `${name}.json`);
const readPlan = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8')) as Record<string, any>;
jest.setTimeout(60_000);

/** `reflex check cidrs …` with an IPAM store that does not exist unless `env` names one. */
const cidrs = (args: string[], env: Record<string, string> = {}) => reflexInProcess(['check', 'cidrs', ...args], { DATABASE_URL: '', IPAM_DATA_DIR: noStore, ...env });

/** Writes `files` (path → JSON value or text) under a new folder of the temp dir; returns the folder. */
function tree(name: string, files: Record<string, unknown>): string {
  const base = join(dir, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return base;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reflex check cidrs', () => {
  it('exits 1 on VPCs that overlap, naming both by address and CIDR, then a summary', async () => {
    const run = await cidrs([fixture('overlapping-vpcs')]);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  ✗ overlap: aws_vpc.payments 10.0.128.0/17 overlaps aws_vpc.shared 10.0.0.0/16 (two VPCs)\n');
    expect(run.stdout).toContain(`IPAM: not consulted (no IPAM store at ${noStore})`);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('cidrs: FAILED, 1 finding (4 blocks in 1 file)');
  });

  it('exits 0 on a clean plan', async () => {
    const run = await cidrs([fixture('clean')]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('cidrs: OK, no finding (8 blocks in 1 file)');
  });

  it('exits 0 on blocks known only after apply, and prints each with its reason', async () => {
    const run = await cidrs([fixture('computed')]);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('  ? could not be checked: aws_vpc.pooled ipv6_cidr_block: an Amazon-provided IPv6 block, assigned at apply\n');
    expect(run.stdout).toContain('cidrs: OK, no finding (0 blocks in 1 file, 6 could not be checked)');
  });

  it('finds overlaps with reserved ranges from a text file and from a JSON file', async () => {
    const text = tree('reserved-text', { 'reserved.txt': '# on-prem\n172.16.0.0/12   on-prem DC1\n' });
    const json = tree('reserved-json', { 'reserved.json': [{ cidr: '192.168.10.0/24', name: 'Acme partner VPN' }] });

    const fromText = await cidrs([fixture('reserved'), '--reserved', join(text, 'reserved.txt')]);
    const fromJson = await cidrs([fixture('reserved'), '--reserved', join(json, 'reserved.json')]);

    expect(fromText.code).toBe(1);
    expect(fromText.stdout).toContain('  ✗ reserved range: aws_vpc.branch 172.20.0.0/16 overlaps reserved 172.16.0.0/12 (on-prem DC1)\n');
    expect(fromJson.stdout).toContain('  ✗ reserved range: aws_vpc.partner_link 192.168.0.0/16 overlaps reserved 192.168.10.0/24 (Acme partner VPN)\n');
  });

  it('prints the result as JSON', async () => {
    const run = await cidrs([fixture('subnet-outside'), fixture('computed'), '--json']);

    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({
      ok: false,
      summary: { files: 2, blocks: 4, findings: 2, unchecked: 6 },
      ipam: { consulted: false, reason: `no IPAM store at ${noStore}` },
    });
    expect(result.reports.map((r: { source: string; stack: null; format: string }) => [r.source, r.stack, r.format])).toEqual([
      [fixture('subnet-outside'), null, 'plan'],
      [fixture('computed'), null, 'plan'],
    ]);
    expect(result.reports[0].findings[1]).toEqual({
      kind: 'outside-vpc',
      message: 'aws_subnet.outside 10.31.0.0/24 is outside its VPC aws_vpc.app (10.30.0.0/16)',
      block: { address: 'aws_subnet.outside', attribute: 'cidr_block', cidr: '10.31.0.0/24', kind: 'subnet', vpc: 'aws_vpc.app' },
      vpc: 'aws_vpc.app',
      vpcCidrs: ['10.30.0.0/16'],
    });
    expect(result.reports[1].unchecked[0]).toEqual({ address: 'aws_default_subnet.default_a', attribute: 'cidr_block', reason: "the default subnet's block, read from AWS at apply" });
  });

  it('checks every stack of a cdktf.out directory and every plan beside it, one report each', async () => {
    const stack = (cidr: string) => ({ resource: { aws_vpc: { main: { cidr_block: cidr } }, aws_subnet: { a: { vpc_id: '${aws_vpc.main.id}', cidr_block: '10.9.0.0/24' } } } });
    const base = tree('cdktf', {
      'cdktf.out/manifest.json': { version: '0.21.0', stacks: {} },
      'cdktf.out/stacks/dev/cdk.tf.json': stack('10.8.0.0/16'),
      'cdktf.out/stacks/prod/cdk.tf.json': stack('10.9.0.0/16'),
      'cdktf.out/stacks/prod/.terraform/modules/x/main.tf.json': { resource: { aws_vpc: { hidden: { cidr_block: '10.9.0.0/16' } } } },
      'plans/overlap.json': readPlan('overlapping-vpcs'),
      'package.json': { name: 'infra' },
    });

    const run = await cidrs([base, '--json']);

    const result = JSON.parse(run.stdout);
    expect(result.reports.map((r: { source: string; stack: string | null; summary: unknown }) => [r.source.slice(base.length + 1), r.stack])).toEqual([
      ['cdktf.out/stacks/dev/cdk.tf.json', 'dev'],
      ['cdktf.out/stacks/prod/cdk.tf.json', 'prod'],
      ['plans/overlap.json', null],
    ]);
    expect(result.reports[0].findings.map((f: { message: string }) => f.message)).toEqual(['aws_subnet.a 10.9.0.0/24 is outside its VPC aws_vpc.main (10.8.0.0/16)']);
    expect(result.reports[1].findings).toEqual([]);
    expect(run.code).toBe(1);
  });

  it('reads the *.tf.json files of one folder as one configuration', async () => {
    const base = tree('split', {
      'vpc.tf.json': { resource: { aws_vpc: { main: { cidr_block: '10.8.0.0/16' } } } },
      'subnets.tf.json': { resource: { aws_subnet: { a: { vpc_id: '${aws_vpc.main.id}', cidr_block: '10.8.1.0/24' }, b: { vpc_id: '${aws_vpc.main.id}', cidr_block: '10.8.1.128/25' } } } },
    });

    const run = await cidrs([base]);

    expect(run.stdout).toContain(`${join(base, '*.tf.json')}: configuration, 3 blocks\n`);
    expect(run.stdout).toContain('  ✗ overlap: aws_subnet.a 10.8.1.0/24 overlaps aws_subnet.b 10.8.1.128/25 (subnets of aws_vpc.main)\n');
    expect(run.code).toBe(1);
  });

  it.each([
    [['nope.json'], 'reflex check: cannot read nope.json: no such file or directory'],
    [['package.json'], 'reflex check: package.json: not Terraform JSON: expected a plan (`terraform show -json plan.bin`) or a configuration in JSON syntax (`*.tf.json`)'],
    [['README.md'], 'reflex check: README.md: not JSON'],
    [[], 'reflex check: cidrs takes a plan JSON, a *.tf.json or a directory'],
    [['scripts/src'], 'reflex check: no Terraform JSON under scripts/src'],
    [['--ipam', '--no-ipam', 'package.json'], 'reflex check: --ipam and --no-ipam exclude each other'],
    [['--ipam', 'packages/guardrails/fixtures/plans/clean.json'], `reflex check: --ipam: no IPAM store at ${noStore}`],
    [['--reserved', 'nope.txt', 'packages/guardrails/fixtures/plans/clean.json'], 'reflex check: cannot read --reserved nope.txt: no such file or directory'],
  ])('exits 2 on %j', async (args, message) => {
    const run = await cidrs(args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });

  it('exits 2 on a reserved range that is no CIDR block, naming its line', async () => {
    const base = tree('bad-reserved', { 'reserved.txt': '10.0.0.0/8 on-prem\n10.300.0.0/16 typo\n' });

    const run = await cidrs([fixture('clean'), '--reserved', join(base, 'reserved.txt')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`--reserved ${join(base, 'reserved.txt')} line 2: "10.300.0.0/16" is no IPv4 or IPv6 CIDR block`);
  });

  it('exits 2 on a Terraform state, saying it is no plan', async () => {
    const base = tree('state', { 'state.json': { format_version: '1.0', terraform_version: '1.11.4', values: { root_module: {} } } });

    const run = await cidrs([join(base, 'state.json')]);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('a Terraform state (`terraform show -json` of a state), not a plan');
  });

  it('checks a project outside the Reflex checkout, without an embedded IPAM store there', async () => {
    const project = tree('elsewhere', { 'plan.json': readPlan('clean') });

    const run = await reflexInProcess(['check', 'cidrs', 'plan.json'], { DATABASE_URL: '', IPAM_DATA_DIR: '' }, 60_000, project);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('IPAM: not consulted (no IPAM store: not run inside a Reflex checkout)');
  });

  it('exits 2 on an unknown check, listing the known ones', async () => {
    const run = await reflexInProcess(['check', 'nope']);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain('reflex check: unknown check "nope"');
  });
});

describe('reflex check cidrs against the IPAM', () => {
  const dataDir = join(dir, 'ipam');
  // A VPC 10.0.0.0/16 (vpc-0aaaaaaaaaaaaaaa1, account 111111111111, eu-west-1), as the enricher records it.
  const running = IpamInstanceMessageSchema.parse(JSON.parse(readFileSync(join(root, 'packages', 'ipam', 'fixtures', 'enricher', 'running.json'), 'utf8')));
  const vpc = running.vpcs[0]!;

  beforeAll(async () => {
    const db = await openStore({ dataDir });
    await applyMessage(db, running);
    await db.close();
  }, 60_000);

  it('names the VPC, account and Region of the record a planned VPC overlaps', async () => {
    const run = await cidrs([fixture('overlapping-vpcs')], { IPAM_DATA_DIR: dataDir });

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`  ✗ IPAM overlap: aws_vpc.shared 10.0.0.0/16 overlaps ${vpc.vpcId} 10.0.0.0/16 in the IPAM (account 111111111111, eu-west-1)\n`);
    expect(run.stdout).toContain(`  ✗ IPAM overlap: aws_vpc.payments 10.0.128.0/17 overlaps ${vpc.vpcId} 10.0.0.0/16 in the IPAM (account 111111111111, eu-west-1)\n`);
    expect(run.stdout).toContain(`IPAM: consulted (PGlite at ${dataDir})`);
  });

  it('skips the record of the VPC the plan updates', async () => {
    const plan = readPlan('overlapping-vpcs');
    const shared = plan.resource_changes.find((rc: { address: string }) => rc.address === 'aws_vpc.shared');
    shared.change.actions = ['update'];
    shared.change.after.id = vpc.vpcId;
    delete shared.change.after_unknown.id;
    const base = tree('update', { 'plan.json': plan });

    const run = await cidrs([join(base, 'plan.json'), '--json'], { IPAM_DATA_DIR: dataDir });

    const findings = JSON.parse(run.stdout).reports[0].findings as { kind: string; block: { address: string } }[];
    expect(findings.filter((f) => f.kind === 'ipam').map((f) => f.block.address)).toEqual(['aws_vpc.payments']);
  });

  it('leaves the IPAM out with --no-ipam', async () => {
    const run = await cidrs([fixture('overlapping-vpcs'), '--no-ipam'], { IPAM_DATA_DIR: dataDir });

    expect(run.stdout).not.toContain('IPAM overlap');
    expect(run.stdout).toContain('IPAM: not consulted (--no-ipam)');
  });
});
