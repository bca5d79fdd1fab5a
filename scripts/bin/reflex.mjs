#!/usr/bin/env node
// `pnpm reflex …`: runs the CLI bundle, dist/cli/reflex.mjs, after rebuilding it when a file it was built
// from has changed (or is gone) since the build started: dist/cli/reflex.inputs.json lists them. The check
// is one stat per file; the rebuild (scripts/src/build.ts --cli) takes a few seconds.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function stale() {
  let built;
  try {
    built = JSON.parse(readFileSync(join(root, 'dist', 'cli', 'reflex.inputs.json'), 'utf8'));
  } catch {
    return true;
  }
  if (built.root !== root) return true;
  return built.inputs.some((input) => !(statSync(join(root, input), { throwIfNoEntry: false })?.mtimeMs <= built.startedAt));
}

if (stale()) {
  if (process.stderr.isTTY) process.stderr.write('reflex: building the CLI (its sources changed)…\n');
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts', 'src', 'build.ts'), '--cli'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  if (build.status !== 0) {
    process.stderr.write(`reflex: building the CLI failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})\n`);
    process.exit(1);
  }
}

// Node keeps the compiled bundle (per its contents) in its cache directory: later starts skip compiling it.
module.enableCompileCache?.();
await import(pathToFileURL(join(root, 'dist', 'cli', 'reflex.mjs')).href);
