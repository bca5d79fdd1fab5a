import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a provider mirror may be on this machine: `$REFLEX_TF_MIRROR`, then the usual folders. */
const MIRROR_CANDIDATES = [process.env.REFLEX_TF_MIRROR, '/opt/tf-plugins', '/usr/share/terraform/plugins'];

/** The filesystem mirror holding hashicorp/aws 5.100.0, if this machine has one. */
export function findProviderMirror(): string | undefined {
  return MIRROR_CANDIDATES.find(
    (dir): dir is string => !!dir && existsSync(join(dir, 'registry.terraform.io', 'hashicorp', 'aws', '5.100.0')),
  );
}

/**
 * Writes a Terraform CLI config under `<root>/.reflex` that installs hashicorp providers from the local
 * mirror when there is one (offline), from the registry otherwise, and shares one plugin cache.
 * Returns the environment variables that point Terraform at it.
 */
export function terraformEnv(root: string): Record<string, string> {
  const dir = join(root, '.reflex');
  const cache = join(dir, 'plugin-cache');
  mkdirSync(cache, { recursive: true });
  const mirror = findProviderMirror();
  const file = join(dir, 'terraformrc');
  writeFileSync(
    file,
    mirror
      ? `provider_installation {\n  filesystem_mirror {\n    path    = ${JSON.stringify(mirror)}\n    include = ["registry.terraform.io/hashicorp/*"]\n  }\n  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n`
      : `provider_installation {\n  direct {}\n}\n`,
  );
  return { TF_CLI_CONFIG_FILE: file, TF_PLUGIN_CACHE_DIR: cache, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' };
}

/** Process groups of the Terraform runs of this process: whatever ends this process ends them with it. */
const running = new Set<number>();
process.on('exit', () => {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
});

export interface TerraformResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the terraform CLI in `cwd`; rejects with its output when it fails.
 *
 * @throws Error when terraform is not installed or exits non-zero.
 */
export function terraform(
  args: readonly string[],
  options: {
    cwd: string;
    env?: Record<string, string | undefined>;
    /**
     * Stops Terraform when aborted: two interrupts (Terraform's "exit immediately"), then SIGKILL to its
     * process group, providers included, once it exits (or after 5 s). For throw-away state only (a local
     * AWS): an apply stopped this way may leave resources out of the state.
     */
    signal?: AbortSignal;
    /** Called with each line of standard output as it comes (progress). */
    onLine?: (line: string) => void;
  },
): Promise<TerraformResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new Error(`terraform ${args[0]} not started: stopping`, { cause: options.signal.reason }));
      return;
    }
    // Its own process group, so that stopping it reaches its provider plugins too: they ignore interrupts, and
    // Terraform leaves them running when two interrupts make it exit at once.
    const child = spawn('terraform', ['-chdir=' + options.cwd, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const group = (signal: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, signal);
      } catch {
        // the group is gone
      }
    };
    const sweep = () => group('SIGKILL');
    const stop = () => {
      group('SIGINT');
      setTimeout(() => group('SIGINT'), 300).unref();
      setTimeout(sweep, 5000).unref();
    };
    if (options.signal?.aborted) stop();
    options.signal?.addEventListener('abort', stop, { once: true });
    if (child.pid) running.add(child.pid);
    child.once('exit', () => {
      if (child.pid) running.delete(child.pid);
      options.signal?.removeEventListener('abort', stop);
      if (options.signal?.aborted) sweep(); // the providers an interrupted Terraform left behind
    });
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (!options.onLine) return;
      const lines = (pending + d.toString()).split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error('terraform is not on PATH: install Terraform ≥ 1.10 (or OpenTofu)') : error),
    );
    child.on('close', (code) => {
      const result = { code: code ?? 1, stdout, stderr };
      if (code === 0) resolve(result);
      else if (options.signal?.aborted) reject(new Error(`terraform ${args[0]} stopped`, { cause: options.signal.reason }));
      else reject(new Error(`terraform ${args[0]} failed in ${options.cwd} (exit ${code}):\n${stderr || stdout}`));
    });
  });
}
