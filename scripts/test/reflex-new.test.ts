// `reflex new <name>` scaffolds a reflex that has the function shape, loads, matches its trigger's sample
// event and passes its own tests. It runs in a checkout of its own (a temp dir), never in this one's functions/.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { lockfileWithImporter, scaffold } from '../src/cli/new';
import { functionShapeProblems } from '../src/lib/function-shape';
import { reflexCli, type Run } from './reflex-cli';

const root = repoRoot();
const NAME = 'probe-reflex';
let checkout: string;
let created: Run;

beforeAll(async () => {
  checkout = mkdtempSync(join(tmpdir(), 'reflex-new-'));
  writeFileSync(join(checkout, 'pnpm-workspace.yaml'), "packages:\n  - 'functions/*'\n");
  mkdirSync(join(checkout, 'functions'));
  copyFileSync(join(root, 'jest.config.base.js'), join(checkout, 'jest.config.base.js'));
  // jest, @swc/jest and @jest/globals from this workspace.
  symlinkSync(join(root, 'node_modules'), join(checkout, 'node_modules'));
  created = await reflexCli(['new', NAME, '--no-install'], {}, 120_000, checkout);
  if (existsSync(join(dir(), 'package.json'))) linkDependencies();
}, 120_000);

afterAll(() => rmSync(checkout, { recursive: true, force: true }));

const dir = () => join(checkout, 'functions', NAME);

/** Links the new package's dependencies as `pnpm install` would (the test's checkout has no lockfile to link from). */
function linkDependencies(): void {
  const pkg = JSON.parse(readFileSync(join(dir(), 'package.json'), 'utf8'));
  for (const name of Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })) {
    const target = name.startsWith('@reflex/')
      ? join(root, 'packages', name.slice('@reflex/'.length))
      : realpathSync(join(root, 'scripts', 'node_modules', name)); // the CLI's package depends on the same client
    mkdirSync(join(dir(), 'node_modules', name, '..'), { recursive: true });
    symlinkSync(target, join(dir(), 'node_modules', name));
  }
}

describe('reflex new', () => {
  it('creates functions/<name> and says what to do next', () => {
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`created functions/${NAME} (@reflex/${NAME})`);
    expect(created.stdout).toContain('not linked: run `pnpm install --offline` before its tests');
    expect(created.stdout).toContain(`cd functions/${NAME} && pnpm test`);
  });

  it('scaffolds a package in the function shape', () => {
    expect(functionShapeProblems(dir())).toEqual([]);
  });

  it('scaffolds a manifest that loads and validates: reflex match finds its trigger for a running instance', async () => {
    const event = JSON.parse(readFileSync(join(root, 'packages', 'events', 'fixtures', 'ec2', 'instance-state-change.json'), 'utf8'));
    event.detail.state = 'running';
    writeFileSync(join(checkout, 'running.json'), JSON.stringify(event));

    const matched = await reflexCli(['match', join(checkout, 'running.json')], {}, 60_000, checkout);

    expect(matched.stderr).toBe('');
    expect(matched.stdout).toContain(`${NAME}  trigger 0 (an EC2 instance entered the running or stopped state)`);
  }, 60_000);

  it('scaffolds tests of its manifest and core that pass', async () => {
    const tests = await new Promise<Run>((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'],
        { cwd: dir(), env: { ...process.env, NODE_OPTIONS: '--experimental-vm-modules' }, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });

    expect(tests.stderr).toMatch(/Tests: {7}14 passed, 14 total/);
    expect(tests.code).toBe(0);
  }, 60_000);

  it('refuses an existing folder, in one line, with exit code 2', async () => {
    const again = await reflexCli(['new', NAME, '--no-install'], {}, 60_000, checkout);

    expect(again).toEqual({ code: 2, stdout: '', stderr: `reflex new: functions/${NAME} exists already\n` });
  });

  it.each([
    ['Probe', '"Probe" is not a reflex name: lower-case letters, digits and dashes, starting with a letter and ending with a letter or digit'],
    ['probe-', '"probe-" is not a reflex name: lower-case letters, digits and dashes, starting with a letter and ending with a letter or digit'],
    ['a'.repeat(41), `"${'a'.repeat(41)}" has 41 characters: at most 40 (AWS names are reflex-<env>-<name>)`],
  ])('refuses the name %s, in one line, with exit code 2', async (name, message) => {
    const refused = await reflexCli(['new', name, '--no-install'], {}, 60_000, checkout);

    expect(refused).toEqual({ code: 2, stdout: '', stderr: `reflex new: ${message}\n` });
    expect(existsSync(join(checkout, 'functions', name))).toBe(false);
  });

  it('prints its help with exit code 0', async () => {
    const help = await reflexCli(['new', '--help'], {}, 60_000, checkout);

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^reflex new <name> \[--no-install\]/);
  });
});

describe('lockfileWithImporter', () => {
  const lock = readFileSync(join(root, 'pnpm-lock.yaml'), 'utf8');
  // The EC2 client's version the command takes: the CLI package's own.
  const ec2 = JSON.parse(readFileSync(join(root, 'scripts', 'package.json'), 'utf8')).dependencies['@aws-sdk/client-ec2'];
  const pkg = JSON.parse(scaffold(NAME, ec2)['package.json']!);

  it('adds the importer, resolved as the other reflexes resolve the same specifiers, in order', () => {
    const locked = lockfileWithImporter(lock, `functions/${NAME}`, pkg)!;

    const block = locked.slice(locked.indexOf(`  functions/${NAME}:\n`)).split('\n\n')[0];
    expect(block).toBe(
      [
        `  functions/${NAME}:`,
        '    dependencies:',
        "      '@aws-sdk/client-ec2':",
        `        specifier: ${ec2}`,
        `        version: ${ec2}`,
        "      '@reflex/events':",
        '        specifier: workspace:*',
        '        version: link:../../packages/events',
        "      '@reflex/lambda-kit':",
        '        specifier: workspace:*',
        '        version: link:../../packages/lambda-kit',
        "      '@reflex/manifest':",
        '        specifier: workspace:*',
        '        version: link:../../packages/manifest',
        '    devDependencies:',
        "      '@reflex/event-patterns':",
        '        specifier: workspace:*',
        '        version: link:../../packages/event-patterns',
      ].join('\n'),
    );
    expect(locked.indexOf(`  functions/${NAME}:`)).toBeGreaterThan(locked.indexOf('  functions/ipam-sync:'));
    expect(locked.indexOf(`  functions/${NAME}:`)).toBeLessThan(locked.indexOf('  functions/resource-tagger:'));
    expect(locked.replace(`${block}\n\n`, '')).toBe(lock);
  });

  it('gives up when a dependency has no twin in the lockfile (an install must resolve it)', () => {
    expect(lockfileWithImporter(lock, `functions/${NAME}`, { dependencies: { 'left-pad': '1.3.0' } })).toBeUndefined();
  });

  it('leaves an importer the lockfile has', () => {
    expect(lockfileWithImporter(lock, 'functions/instance-guard', pkg)).toBeUndefined();
  });
});
