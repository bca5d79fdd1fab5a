// The local mode's lock: one `pnpm start` per checkout. `.reflex/local.lock` names the process that owns
// the local mode, its AWS endpoint and when it started; every other command reads it to find the running
// local mode (`pnpm stop`, the CLI's default endpoint, a second `pnpm start`).
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** What the lock holds. */
export interface LocalModeInfo {
  /** The process that owns the local mode (the node process of `pnpm start`). */
  readonly pid: number;
  /** When it started (ISO). */
  readonly startedAt: string;
  /** The AWS API it uses; absent while moto is starting. */
  readonly endpoint?: string;
  readonly region?: string;
  /** The moto server it started (absent for an external endpoint). */
  readonly motoPid?: number;
  /** `starting` until the environment is applied and the runner polls, then `running`. */
  readonly state: 'starting' | 'running' | 'stopping';
}

/** `.reflex/local.lock` of a checkout. */
export const lockPath = (root: string) => join(root, '.reflex', 'local.lock');

/** Whether a process with this id runs (another user's counts; one that has exited and awaits its reaping does not). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS): kill(0) is the answer
  }
}

/**
 * This process's parents up to the package manager that ran it (pnpm, npm; at most five), nearest first: a
 * command stops when one of them is gone. Without /proc (macOS), just the parent.
 */
export function launchedBy(pid = process.pid): number[] {
  const chain: number[] = [];
  let current = pid;
  for (let level = 0; level < 5; level++) {
    let parent: number;
    let command: string;
    try {
      const stat = readFileSync(`/proc/${current}/stat`, 'utf8');
      parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      command = readFileSync(`/proc/${parent}/cmdline`, 'utf8');
    } catch {
      return chain.length > 0 || pid !== process.pid ? chain : [process.ppid];
    }
    if (!(parent > 1)) break;
    chain.push(parent);
    if (/(^|[/\0])(pnpm|npm|yarn)([\0.]|$)/.test(command) || /\/(pnpm|npm)(\.c?js)?\0/.test(command)) break;
    current = parent;
  }
  return chain;
}

function parse(text: string): LocalModeInfo | undefined {
  try {
    const value = JSON.parse(text) as LocalModeInfo;
    return Number.isInteger(value?.pid) && value.pid > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The lock's content, alive or not; undefined when there is no lock (or it is unreadable). */
export function readLock(root: string): LocalModeInfo | undefined {
  try {
    return parse(readFileSync(lockPath(root), 'utf8'));
  } catch {
    return undefined;
  }
}

/** The running local mode of this checkout: its lock, when the process holding it is alive. */
export function runningLocalMode(root: string): LocalModeInfo | undefined {
  const lock = readLock(root);
  return lock && isAlive(lock.pid) ? lock : undefined;
}

/** Another process holds the local mode. */
export class LocalModeRunningError extends Error {
  override readonly name = 'LocalModeRunningError';
  constructor(readonly holder: LocalModeInfo) {
    super(
      `local mode is already running (pid ${holder.pid}${holder.endpoint ? `, endpoint ${holder.endpoint}` : ', starting'}, since ${holder.startedAt}) — use it, or stop it with \`pnpm stop\``,
    );
  }
}

/** The lock this process holds: update it as the local mode comes up, release it when it stops. */
export interface LocalModeLock {
  /** What the lock held before, when it was taken over from a process that is gone (a crash). */
  readonly stale?: LocalModeInfo;
  readonly info: LocalModeInfo;
  update(change: Partial<Omit<LocalModeInfo, 'pid' | 'startedAt'>>): void;
  /** Removes the lock if this process still holds it. */
  release(): void;
}

/**
 * Takes the local mode's lock for this process before anything else is touched.
 *
 * @throws LocalModeRunningError when a live process holds it. A lock whose process is gone is taken over
 * (`stale` tells what it held).
 */
export function acquireLock(root: string, pid = process.pid): LocalModeLock {
  const file = lockPath(root);
  mkdirSync(dirname(file), { recursive: true });
  let info: LocalModeInfo = { pid, startedAt: new Date().toISOString(), state: 'starting' };
  let stale: LocalModeInfo | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, `${JSON.stringify(info)}\n`);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 20) throw error;
    }
    const holder = readLock(root);
    if (holder && isAlive(holder.pid)) throw new LocalModeRunningError(holder);
    // Gone (or unreadable: a crash while writing). Take it over under a takeover lock, so that two starts
    // at the same instant do not both remove it: the second finds the first's fresh lock and stops above.
    const takeover = `${file}.takeover`;
    try {
      mkdirSync(takeover);
    } catch {
      continue; // another start is taking it over; look again
    }
    try {
      const again = readLock(root);
      if (again && isAlive(again.pid)) throw new LocalModeRunningError(again);
      if (again?.pid === holder?.pid) {
        stale = holder;
        rmSync(file, { force: true });
      }
    } finally {
      rmdirSync(takeover);
    }
  }
  const write = () => {
    const tmp = `${file}.${pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(info)}\n`);
    renameSync(tmp, file);
  };
  const lock: LocalModeLock = {
    ...(stale ? { stale } : {}),
    get info() {
      return info;
    },
    update(change) {
      info = { ...info, ...change };
      if (readLock(root)?.pid === pid) write();
    },
    release() {
      if (readLock(root)?.pid === pid) rmSync(file, { force: true });
    },
  };
  return lock;
}
