import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { basename, delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A local AWS API that this process started (or was pointed at). */
export interface LocalAws {
  readonly endpoint: string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/**
 * How moto was started: `patched` is `python/moto_server_fast.py` (moto with cheaper SQS sends, receives
 * and deletes, same behaviour; a patch whose moto functions are missing or behave otherwise is skipped, with
 * one line on stderr: see the README), `moto_server` the plain entry point.
 */
export type MotoLauncher = 'patched' | 'moto_server';

/** A moto server this process started. */
export interface StartedMoto extends LocalAws {
  readonly launcher: MotoLauncher;
  /** The server's process id (moto's own: the `moto_server` shim execs it), e.g. to read its CPU time. */
  readonly pid: number | undefined;
}

/** The moto server is not installed. */
export class MotoNotFoundError extends Error {
  override readonly name = 'MotoNotFoundError';
}

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Waits until `endpoint` answers HTTP, or fails after `timeoutMs`. */
export async function waitForEndpoint(endpoint: string, timeoutMs = 20_000, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode} before it answered`);
    try {
      await fetch(endpoint, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`no AWS API answered at ${endpoint} within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/** `python/moto_server_fast.py` (its patches in `python/reflex_moto/`): the package runs from source, so it sits next to `src/`. */
export const MOTO_FAST_LAUNCHER = fileURLToPath(new URL('../python/moto_server_fast.py', import.meta.url));
/** The test run's moto factory: see {@link startMotoZygote}. */
const MOTO_ZYGOTE = fileURLToPath(new URL('../python/moto_zygote.py', import.meta.url));

/** An executable `name` on PATH, like `which`. */
function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * The interpreter a Python script names in its first lines: `#!/abs/python3`, `#!/usr/bin/env python3`,
 * or pip's `#!/bin/sh` + `'''exec' /long/path/python "$0" "$@"` for paths too long for a shebang.
 * Anything else (a pyenv or asdf shim is a bash script, a binary) gives undefined.
 */
export function scriptInterpreter(head: string): string | undefined {
  const lines = head.split('\n');
  const shebang = lines[0]?.startsWith('#!') ? lines[0].slice(2).trim() : '';
  const words = shebang.split(/\s+/).filter(Boolean);
  let interpreter: string | undefined;
  if (words[0] && basename(words[0]) === 'env') interpreter = words.slice(1).find((w) => !w.startsWith('-') && !w.includes('='));
  else if (words[0] === '/bin/sh') interpreter = /^'''exec' (?:"([^"]+)"|(\S+))/.exec(lines[1] ?? '')?.slice(1).find(Boolean);
  else interpreter = words[0];
  return interpreter && /^(python|pypy)/.test(basename(interpreter)) ? interpreter : undefined;
}

/** findMotoPython()'s answer: probing costs a second (it imports moto), so once per process. */
let motoPythonCache: { python: string | undefined } | undefined;

/**
 * A Python that can `import moto.server`: the interpreter `moto_server` runs on when it is a Python
 * script, else `python3` on PATH (pyenv's `moto_server` is a bash shim). Undefined when neither can.
 * Gives the interpreter's real path (`sys.executable`), so a shim is resolved once.
 */
export function findMotoPython(): string | undefined {
  if (motoPythonCache) return motoPythonCache.python;
  const candidates: string[] = [];
  const motoServer = onPath('moto_server');
  if (motoServer) {
    try {
      const fromShebang = scriptInterpreter(readFileSync(motoServer, 'latin1').slice(0, 1024));
      if (fromShebang) candidates.push(fromShebang);
    } catch {
      // unreadable: try python3
    }
  }
  if (!candidates.includes('python3')) candidates.push('python3');
  let python: string | undefined;
  for (const candidate of candidates) {
    if (isAbsolute(candidate) && !existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-c', 'import sys, moto.server; print(sys.executable)'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 20_000,
    });
    if (probe.status === 0) {
      const executable = probe.stdout.trim();
      python = executable && isAbsolute(executable) ? executable : candidate;
      break;
    }
  }
  motoPythonCache = { python };
  return python;
}

/** How `startMoto()` starts moto here: command, arguments before the moto options, launcher. */
function motoCommand(): { command: string; args: string[]; launcher: MotoLauncher } {
  if (process.env.REFLEX_MOTO_PLAIN !== '1' && existsSync(MOTO_FAST_LAUNCHER)) {
    const python = findMotoPython();
    if (python) return { command: python, args: [MOTO_FAST_LAUNCHER], launcher: 'patched' };
  }
  const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
  if (probe.error) {
    throw new MotoNotFoundError(
      'moto server is not installed (no `moto_server` on PATH). Install it with `pip install "moto[server]"`, ' +
        'or point Reflex at another local AWS API (LocalStack…) with REFLEX_AWS_ENDPOINT=http://127.0.0.1:4566.',
    );
  }
  return { command: 'moto_server', args: [], launcher: 'moto_server' };
}

/**
 * Starts moto server on a free loopback port and waits until it answers.
 *
 * Runs `python/moto_server_fast.py` (moto with cheaper SQS, see the README) with the Python that has moto,
 * or the plain `moto_server` when there is none or REFLEX_MOTO_PLAIN=1.
 *
 * @throws MotoNotFoundError with install instructions when `moto_server` is not on PATH.
 */
export async function startMoto(options: { log?: (line: string) => void; zygote?: boolean } = {}): Promise<StartedMoto> {
  const zygote = process.env.REFLEX_MOTO_ZYGOTE;
  if (zygote && options.zygote !== false && process.env.REFLEX_MOTO_PLAIN !== '1') {
    const forked = await forkMoto(zygote).catch((error: Error) => {
      options.log?.(`moto zygote at ${zygote} did not answer (${error.message}); starting moto server`);
      return undefined;
    });
    if (forked) return forked;
  }
  const { command, args, launcher } = motoCommand();
  const port = await freePort();
  // The patched launcher exits when its stdin closes: this process holds the pipe, so moto goes with it, even
  // when it is killed outright. (The plain `moto_server` cannot: stop() or the process group must end it.)
  const child = spawn(command, [...args, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, REFLEX_MOTO_EXIT_WITH_PARENT: '1' },
  });
  const forward = (d: Buffer) => options.log?.(d.toString().trimEnd());
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 3000).unref();
    });
  try {
    await waitForEndpoint(endpoint, 20_000, child);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop, launcher, pid: child.pid };
}

/**
 * A moto server forked by the test run's zygote (`python/moto_zygote.py`, REFLEX_MOTO_ZYGOTE names its socket):
 * moto, its services and the patches are imported already, so it answers at once and its first EC2 call costs
 * no import. It exits when this process's connection to the zygote closes — when this process ends, however
 * it ends — or on stop().
 */
async function forkMoto(socketPath: string): Promise<StartedMoto> {
  const port = await freePort();
  const connection = createConnection(socketPath);
  const pid = await new Promise<number>((resolve, reject) => {
    let seen = '';
    connection.once('error', reject);
    connection.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.endsWith('\n')) resolve(Number(seen.trim()));
    });
    connection.once('close', () => reject(new Error('the zygote closed the connection')));
    connection.write(`${port}\n`);
  });
  // The connection must not keep this process alive; it ends with it.
  connection.unref();
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async () => {
    connection.destroy();
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 150; i++) {
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await waitForEndpoint(endpoint, 20_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, stop, launcher: 'patched', pid };
}

/**
 * Starts the moto zygote (`python/moto_zygote.py`) on a socket in `dir` for a test run; it exits with this
 * process. Resolves with the socket path to put in REFLEX_MOTO_ZYGOTE, or undefined when it cannot run (no
 * Python with moto): tests then start moto servers as usual.
 */
export async function startMotoZygote(dir: string): Promise<{ readonly socket: string; readonly pid: number } | undefined> {
  const python = existsSync(MOTO_ZYGOTE) ? findMotoPython() : undefined;
  if (!python) return undefined;
  const socket = join(dir, `moto-zygote-${process.pid}.sock`);
  const child = spawn(python, [MOTO_ZYGOTE, socket], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, REFLEX_MOTO_EXIT_WITH_PARENT: '1' } });
  child.unref();
  (child.stdout as unknown as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  if (!ready) {
    child.kill('SIGKILL');
    return undefined;
  }
  return { socket, pid: child.pid! };
}

/** An AWS API someone else runs (LocalStack, a shared moto): nothing to stop. */
export async function externalAws(endpoint: string): Promise<LocalAws> {
  await waitForEndpoint(endpoint, 5000);
  return { endpoint, stop: async () => {} };
}
