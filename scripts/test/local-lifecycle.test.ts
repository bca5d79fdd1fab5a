// The local mode's life cycle as a user meets it: one per checkout (the lock), stopping by signal to pnpm
// or node, by `pnpm stop`, and a crash that must not leave moto running. Each test stops `pnpm start`
// before its Terraform apply ends (the apply itself is the local-mode end-to-end test's).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { repoRoot } from '@reflex/manifest';
import { acquireLock, isAlive, LocalModeRunningError, lockPath, readLock, runningLocalMode } from '../src/local/lock';

const root = repoRoot();
const lockFile = lockPath(root);
let savedLock: string | undefined;

beforeAll(() => {
  mkdirSync(dirname(lockFile), { recursive: true }); // a clean clone has no .reflex yet
  // A developer's own local mode may be running in this checkout: these tests need the lock to themselves.
  const running = runningLocalMode(root);
  if (running) throw new Error(`local mode is running in this checkout (pid ${running.pid}): stop it (pnpm stop) before these tests`);
});

afterEach(() => {
  const lock = readLock(root);
  if (savedLock !== undefined) writeFileSync(lockFile, savedLock);
  else if (lock && (lock.pid === process.pid || !runningLocalMode(root))) rmSync(lockFile, { force: true });
  savedLock = undefined;
});

/** A pid that is surely not running: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

/** Every process whose chain of parents includes `pid` (Linux /proc). */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => {
    for (const [child, parent] of parents) {
      if (parent === p) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** The processes whose working directory is in `dir` (Terraform and its providers run in the stack's). */
function workingIn(dir: string): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        return readlinkSync(`/proc/${entry}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A running command with its output collected, and a wait for a line of it. */
function run(command: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0', ...env } });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return {
    child,
    exited,
    get output() {
      return output;
    },
    async waitFor(pattern: RegExp, ms = 30_000): Promise<void> {
      const deadline = Date.now() + ms;
      while (!pattern.test(output)) {
        if (child.exitCode !== null) throw new Error(`exited (${child.exitCode}) before printing ${pattern}:\n${output}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} within ${ms} ms:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/**
 * pnpm as a user's shell runs it. Under jest, PATH starts with node_modules/.bin, whose \`node\` is the node
 * package's shell shim: \`pnpm\` would run under it, and a signal would go to the shim instead of pnpm.
 */
const userPath = (process.env.PATH ?? '').split(':').filter((dir) => !dir.includes('node_modules')).join(':');
const pnpm = (...args: string[]) => run('pnpm', ['--silent', ...args], { PATH: userPath });
const pnpmStart = (...args: string[]) => pnpm('start', ...args);
const nodeStart = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'scripts/src/start.ts', ...args]);

/** The processes of `pids` still running after `ms`, each with its command line. */
async function allGone(pids: readonly number[], ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const alive = pids.filter(isAlive);
    if (alive.length === 0 || Date.now() > deadline) {
      return alive.map((pid) => {
        try {
          return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').slice(0, 120)}`;
        } catch {
          return String(pid);
        }
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

const kill = (child: ChildProcess, signal: NodeJS.Signals) => child.kill(signal);

describe('the local mode lock', () => {
  it('is taken by one process: a second acquire names the holder and its endpoint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-lock-'));
    try {
      const lock = acquireLock(dir);
      lock.update({ endpoint: 'http://127.0.0.1:5555', state: 'running' });
      let refused: unknown;
      try {
        acquireLock(dir, process.ppid);
      } catch (error) {
        refused = error;
      }
      expect(refused).toBeInstanceOf(LocalModeRunningError);
      expect((refused as Error).message).toBe(
        `local mode is already running (pid ${process.pid}, endpoint http://127.0.0.1:5555, since ${lock.info.startedAt}) — use it, or stop it with \`pnpm stop\``,
      );
      lock.release();
      expect(existsSync(lockPath(dir))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock whose process is gone, and says what it held', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-lock-'));
    try {
      const stale = { pid: await deadPid(), startedAt: '2026-01-01T00:00:00.000Z', endpoint: 'http://127.0.0.1:1', state: 'running' };
      mkdirSync(join(dir, '.reflex'), { recursive: true });
      writeFileSync(lockPath(dir), JSON.stringify(stale));
      const lock = acquireLock(dir);
      expect(lock.stale).toEqual(stale);
      expect(readLock(dir)?.pid).toBe(process.pid);
      lock.release();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pnpm start', () => {
  it('refuses a second start in the checkout and changes nothing', async () => {
    // What a start touches: the store, the local deployment, the lock (other suites write .reflex/terraformrc).
    const touched = ['ipam', 'local', 'local.lock'].map((f) => join(root, '.reflex', f));
    const state = () => touched.map((f) => [f, existsSync(f) ? statSync(f).mtimeMs : 'absent']);
    savedLock = existsSync(lockFile) ? readFileSync(lockFile, 'utf8') : undefined;
    const holder = { pid: process.pid, startedAt: new Date().toISOString(), endpoint: 'http://127.0.0.1:4999', state: 'running' };
    writeFileSync(lockFile, JSON.stringify(holder));
    const before = state();

    const start = nodeStart('--exit');
    const code = await start.exited;

    expect(code).toBe(2);
    expect(start.output.trim()).toBe(
      `[reflex] local mode is already running (pid ${process.pid}, endpoint http://127.0.0.1:4999, since ${holder.startedAt}) — use it, or stop it with \`pnpm stop\``,
    );
    expect(state()).toEqual(before);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).toEqual(holder);
  }, 30_000);

  // SIGTERM arrives while Terraform applies (its provider plugins ignore interrupts and can be left behind);
  // SIGINT once moto runs, before Terraform: the same shutdown, without paying for a second plan.
  it.each([
    ['SIGTERM', /terraform apply: \d+\/\d+ resources/],
    ['SIGINT', /local AWS at http/],
  ] as const)(
    'stops everything it started when pnpm gets %s, taking over a stale lock first',
    async (signal, reached) => {
      writeFileSync(lockFile, JSON.stringify({ pid: await deadPid(), startedAt: '2026-01-01T00:00:00.000Z', state: 'running' }));
      const start = pnpmStart('--exit');
      await start.waitFor(/took over the lock of pid \d+ \(started 2026-01-01T00:00:00.000Z\), which is gone/);
      await start.waitFor(reached, 60_000);
      const lock = readLock(root)!;
      expect(lock.motoPid).toEqual(expect.any(Number));
      const tree = descendants(start.child.pid!);
      expect(tree).toContain(lock.pid);
      expect(tree).toContain(lock.motoPid);

      kill(start.child, signal);

      expect(await allGone([start.child.pid!, ...tree], 12_000)).toEqual([]);
      expect(await allGone(workingIn(join(root, '.reflex', 'local')), 3000)).toEqual([]);
      expect(readLock(root)).toBeUndefined();
    },
    90_000,
  );

  it('takes moto down with it when it is killed outright (SIGKILL)', async () => {
    const start = nodeStart('--exit');
    await start.waitFor(/local AWS at http/);
    const { motoPid } = readLock(root)!;
    expect(motoPid).toEqual(expect.any(Number));

    kill(start.child, 'SIGKILL');

    expect(await allGone([motoPid!], 5000)).toEqual([]);
    expect(runningLocalMode(root)).toBeUndefined(); // the lock is stale: the next start takes it over
  }, 60_000);

  it('is stopped by `pnpm stop` from another terminal', async () => {
    const start = nodeStart('--exit');
    await start.waitFor(/local AWS at http/);
    const tree = descendants(start.child.pid!);

    const stop = pnpm('stop');
    expect(await stop.exited).toBe(0);

    expect(stop.output).toMatch(/^stopping local mode \(pid \d+, http:\/\/127\.0\.0\.1:\d+\)…\nlocal mode stopped\n$/);
    expect(await allGone([start.child.pid!, ...tree], 1000)).toEqual([]);
    expect(await start.exited).toBe(143);
  }, 60_000);

  it('says so when there is nothing to stop', async () => {
    const stop = pnpm('stop');
    expect(await stop.exited).toBe(0);
    expect(stop.output).toMatch(/^local mode is not running/);
  }, 30_000);
});
