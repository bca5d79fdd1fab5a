// One function shape (the README's "Add a reflex"): every package under functions/ has it, and a package
// that breaks it is named with the problem. And no code reads another package's files by a relative URL.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { crossPackageUrls, functionShapeProblems } from '../src/lib/function-shape';

const root = repoRoot();
const functions = readdirSync(join(root, 'functions'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);
const temp = mkdtempSync(join(tmpdir(), 'reflex-function-shape-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let copies = 0;
/** A copy of functions/<name> (without node_modules) in a folder of its own, under the same name. */
function copyOf(name: string): string {
  const dir = join(temp, String(++copies), name);
  cpSync(join(root, 'functions', name), dir, { recursive: true, filter: (source) => !source.includes('node_modules') });
  return dir;
}

describe('the function shape', () => {
  it('finds the six reflexes', () => {
    expect(functions.length).toBeGreaterThanOrEqual(6);
  });

  it.each(functions)('functions/%s has it', (name) => {
    expect(functionShapeProblems(join(root, 'functions', name))).toEqual([]);
  });

  it('names a function without its manifest test', () => {
    const dir = copyOf('instance-guard');
    rmSync(join(dir, 'src', 'manifest.test.ts'));

    expect(functionShapeProblems(dir)).toEqual([
      'instance-guard: no src/manifest.test.ts (its patterns against real sample events, its permissions for a config, its config defaults and errors)',
    ]);
  });

  it('names a README kept in src/', () => {
    const dir = copyOf('ipam-enricher');
    renameSync(join(dir, 'README.md'), join(dir, 'src', 'README.md'));

    expect(functionShapeProblems(dir)).toEqual([
      'ipam-enricher: no README.md (trigger, events in and out, permissions, config)',
      'ipam-enricher: README.md is in src/: it belongs at the package root (git mv src/README.md README.md)',
    ]);
  });

  it('names a function that calls AWS from its handler, without adapters', () => {
    const dir = copyOf('instance-scheduler');
    rmSync(join(dir, 'src', 'adapters'), { recursive: true });
    writeFileSync(join(dir, 'src', 'handler.ts'), "import { EC2Client } from '@aws-sdk/client-ec2';\nexport const client = new EC2Client({});\n");

    expect(functionShapeProblems(dir)).toEqual([
      'instance-scheduler: calls AWS but has no adapters in src/adapters/',
      'instance-scheduler: src/handler.ts imports the AWS SDK: only src/adapters/ may',
    ]);
  });

  it('names core files spread over the top of src/, and a core that reads process.env', () => {
    const dir = copyOf('ipam-enricher');
    writeFileSync(join(dir, 'src', 'subnets.ts'), 'export const subnets = 1;\n');
    writeFileSync(join(dir, 'src', 'core.ts'), `export const region = process.env.AWS_REGION;\n`);

    expect(functionShapeProblems(dir)).toEqual([
      'ipam-enricher: src/subnets.ts is outside the shape: decisions go in src/core/, AWS calls in src/adapters/',
      'ipam-enricher: src/core.ts reads process.env: the core takes its config as an argument',
    ]);
  });

  it('names a manifest test that checks no permissions and matches no sample event', () => {
    const dir = copyOf('instance-guard');
    writeFileSync(join(dir, 'src', 'manifest.test.ts'), "import { manifest } from './manifest';\nit('has a name', () => expect(manifest.name).toBe('instance-guard'));\n");

    expect(functionShapeProblems(dir)).toEqual([
      'instance-guard: src/manifest.test.ts does not check permissionsOf(manifest, config)',
      'instance-guard: src/manifest.test.ts matches no sample event from @reflex/events/fixtures, though the manifest has event triggers',
    ]);
  });

  it('names package exports that are not the shape\'s', () => {
    const dir = copyOf('ipam-sync');
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: '@reflex/ipam-sync', exports: { '.': './src/handler.ts' }, scripts: { test: 'jest' } }),
    );

    expect(functionShapeProblems(dir)).toEqual([
      'ipam-sync: package.json exports "." as "./src/handler.ts", not "./src/index.ts"',
      'ipam-sync: package.json exports "./manifest" as nothing, not "./src/manifest.ts"',
    ]);
  });
});

describe('file reads across packages', () => {
  it("reads no other package's files by a relative URL (fixtures come from @reflex/events/fixtures)", () => {
    expect(crossPackageUrls(root)).toEqual([]);
  });

  it('names a URL that leaves its package, and only that one', () => {
    const workspace = join(temp, 'workspace');
    const write = (path: string, text: string) => {
      mkdirSync(join(workspace, path, '..'), { recursive: true });
      writeFileSync(join(workspace, path), text);
    };
    write('packages/a/package.json', '{"name":"a"}');
    write('packages/b/package.json', '{"name":"b"}');
    write('scripts/package.json', '{"name":"scripts"}');
    // Written as `url(…)` here, so that this file does not plant them in the real workspace too.
    const url = (literal: string) => `new URL(${literal}, import.meta.url)`;
    write(
      'packages/a/src/read.test.ts',
      [
        `const own = ${url("'../fixtures/own.json'")};`,
        `const sample = (name: string) => ${url('`./fixtures/${name}`')};`,
        `const other = ${url("'../../b/fixtures/sample.json'")};`,
      ].join('\n'),
    );
    // A launcher that locates the workspace root reads no package's files.
    write('scripts/bin/run.mjs', `const root = ${url("'../..'")};\n`);

    expect(crossPackageUrls(workspace)).toEqual([
      "packages/a/src/read.test.ts:3: new URL('../../b/fixtures/sample.json') reads packages/b/fixtures/sample.json, outside packages/a",
    ]);
  });
});
