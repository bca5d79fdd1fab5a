// The `reflex` CLI, run as a child process from the repository root, as `pnpm reflex …` runs it: the
// launcher, which rebuilds the bundle first when a source changed.
import { execFile } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '@reflex/manifest';

/** What one run of the CLI ended with. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const root = repoRoot();
/** What `pnpm reflex` runs. */
export const REFLEX_LAUNCHER = join(root, 'scripts', 'bin', 'reflex.mjs');

/**
 * Runs `reflex <args>` and resolves with its exit code and output (a non-zero exit is not an error here).
 * Without REFLEX_AWS_ENDPOINT and REFLEX_DEBUG from the outer environment: each test says which AWS it
 * means; `env` adds variables. `cwd` is the checkout it runs in (its local mode, its manifests).
 */
export function reflexCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000, cwd = root): Promise<Run> {
  const { REFLEX_AWS_ENDPOINT: _, REFLEX_DEBUG: __, ...outer } = process.env;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [REFLEX_LAUNCHER, ...args], { cwd, env: { ...outer, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      if (code === undefined) reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A checkout of its own for a test, in a temp dir: `pnpm-workspace.yaml`, and this checkout's `functions/`
 * (linked) or the reflexes given as `{ name: manifest source }`. Its `.reflex/` (local-mode lock, IPAM
 * store) is its own.
 */
export function tempCheckout(dir: string, manifests?: Record<string, string>): string {
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), '');
  if (!manifests) {
    symlinkSync(join(root, 'functions'), join(dir, 'functions'));
    return dir;
  }
  for (const [name, source] of Object.entries(manifests)) {
    mkdirSync(join(dir, 'functions', name, 'src'), { recursive: true });
    writeFileSync(join(dir, 'functions', name, 'src', 'manifest.ts'), source);
  }
  return dir;
}
