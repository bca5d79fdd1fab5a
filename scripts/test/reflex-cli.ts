// The `reflex` CLI, run as a child process from the repository root, as `pnpm reflex …` runs it.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '@reflex/manifest';

/** What one run of the CLI ended with. */
export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const root = repoRoot();
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const main = join(root, 'scripts', 'src', 'cli', 'main.ts');

/**
 * Runs `reflex <args>` and resolves with its exit code and output (a non-zero exit is not an error here).
 * Without REFLEX_AWS_ENDPOINT from the outer environment: each test says which AWS it means; `env` adds
 * variables.
 */
export function reflexCli(args: readonly string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  const { REFLEX_AWS_ENDPOINT: _, ...outer } = process.env;
  return new Promise((resolve, reject) => {
    execFile(tsx, [main, ...args], { cwd: root, env: { ...outer, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : undefined) : 0;
      if (code === undefined) reject(error);
      else resolve({ code, stdout, stderr });
    });
  });
}
