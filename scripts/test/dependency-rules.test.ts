// The dependency rules (.dependency-cruiser.cjs) against a small planted workspace: they must catch what they
// forbid, and pass what they allow. `pnpm test` also runs them over the real tree (task "dependency rules").
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';

const root = repoRoot();
const cruiser = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');
const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
}

/** A workspace of two functions and a package, as files; `link` makes `@reflex/<to>` resolvable from `<from>`. */
function workspace(files: Record<string, string>, links: readonly { from: string; to: string }[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'reflex-deps-'));
  made.push(dir);
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({ compilerOptions: { module: 'ESNext', moduleResolution: 'Bundler', noEmit: true } }),
    'functions/alpha/package.json': JSON.stringify({ name: '@reflex/alpha', type: 'module', exports: { '.': './src/index.ts' } }),
    'functions/alpha/src/index.ts': 'export const alpha = 1;\n',
    'functions/beta/package.json': JSON.stringify({ name: '@reflex/beta', type: 'module', exports: { '.': './src/index.ts' } }),
    'functions/beta/src/index.ts': 'export const beta = 2;\n',
    'packages/shared/package.json': JSON.stringify({ name: '@reflex/shared', type: 'module', exports: { '.': './src/index.ts' } }),
    'packages/shared/src/index.ts': 'export const shared = 3;\n',
    ...files,
  };
  for (const [path, text] of Object.entries(all)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  for (const { from, to } of links) {
    const link = join(dir, from, 'node_modules', '@reflex', to.split('/').pop()!);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(dir, to), link);
  }
  return dir;
}

/** The violations dependency-cruiser reports with Reflex's rules, run as `pnpm deps` runs it. */
function violations(dir: string): Violation[] {
  const run = spawnSync(process.execPath, [cruiser, '--config', join(root, '.dependency-cruiser.cjs'), '--output-type', 'json', 'functions', 'packages'], {
    cwd: dir,
    encoding: 'utf8',
  });
  if (!run.stdout) throw new Error(`dependency-cruiser printed nothing (exit ${run.status}): ${run.stderr}`);
  return (JSON.parse(run.stdout) as { summary: { violations: Violation[] } }).summary.violations;
}

describe('the dependency rules', () => {
  it('pass a function that imports a package', () => {
    const dir = workspace(
      { 'functions/alpha/src/index.ts': "import { shared } from '@reflex/shared';\nexport const alpha = shared;\n" },
      [{ from: 'functions/alpha', to: 'packages/shared' }],
    );

    expect(violations(dir)).toEqual([]);
  }, 30_000);

  it('fail a planted function → function import by package name', () => {
    const dir = workspace(
      { 'functions/alpha/src/index.ts': "import { beta } from '@reflex/beta';\nexport const alpha = beta;\n" },
      [{ from: 'functions/alpha', to: 'functions/beta' }],
    );

    expect(violations(dir)).toEqual([
      expect.objectContaining({ from: 'functions/alpha/src/index.ts', to: 'functions/beta/src/index.ts', rule: expect.objectContaining({ name: 'function-imports-function' }) }),
    ]);
  }, 30_000);

  it('fail a relative import into another package, and a package that imports a function', () => {
    const dir = workspace(
      {
        'functions/alpha/src/index.ts': "import { shared } from '../../../packages/shared/src/index';\nexport const alpha = shared;\n",
        'packages/shared/src/index.ts': "import { beta } from '@reflex/beta';\nexport const shared = beta;\n",
      },
      [{ from: 'packages/shared', to: 'functions/beta' }],
    );

    expect(violations(dir).map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort()).toEqual([
      'package-imports-function-stack-or-script: packages/shared/src/index.ts → functions/beta/src/index.ts',
      'relative-import-into-another-package: functions/alpha/src/index.ts → packages/shared/src/index.ts',
    ]);
  }, 30_000);

  it('fail a cycle', () => {
    const dir = workspace({
      'packages/shared/src/index.ts': "import { b } from './b';\nexport const a = 1;\nexport const shared = b;\n",
      'packages/shared/src/b.ts': "import { a } from './index';\nexport const b = a;\n",
    });

    expect(violations(dir).map((v) => v.rule.name)).toContain('no-circular');
  }, 30_000);
});
