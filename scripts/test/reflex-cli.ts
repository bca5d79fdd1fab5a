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
 * Runs `reflex <args>` in this process and resolves as {@link reflexCli} does: the CLI's own code (the bundle
 * and its launcher are cli-bundle.test.ts's), with REFLEX_AWS_ENDPOINT and REFLEX_DEBUG left out and `env`
 * added for the run, in `cwd`, its output captured (the arguments are reflexCli's; the test's timeout bounds it). For test files that run many commands: each run saves a
 * node start and the bundle's load (~0.4 s of CPU). Runs take turns: the environment, the working folder and
 * the output are the process's.
 */
export function reflexInProcess(args: readonly string[], env: Record<string, string> = {}, _timeoutMs?: number, cwd = root): Promise<Run> {
  // Runs asked for at once (Promise.all) take turns.
  const run = inProcessTurn.then(() => runInProcess(args, env, cwd));
  inProcessTurn = run.catch(() => undefined);
  return run;
}

let inProcessTurn: Promise<unknown> = Promise.resolve();

async function runInProcess(args: readonly string[], env: Record<string, string>, cwd: string): Promise<Run> {
  const { main } = await import('../src/cli/cli');
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const streams = [process.stdout, process.stderr] as const;
  const writes = streams.map((s) => s.write);
  const output = [[], []] as string[][];
  delete process.env.REFLEX_AWS_ENDPOINT;
  delete process.env.REFLEX_DEBUG;
  Object.assign(process.env, env);
  process.chdir(cwd);
  streams.forEach((stream, i) => {
    stream.write = ((chunk: string | Uint8Array) => output[i]!.push(chunk.toString()) > 0) as typeof stream.write;
  });
  try {
    const code = await main(args);
    return { code, stdout: output[0]!.join(''), stderr: output[1]!.join('') };
  } finally {
    streams.forEach((stream, i) => (stream.write = writes[i]!));
    process.chdir(savedCwd);
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
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
