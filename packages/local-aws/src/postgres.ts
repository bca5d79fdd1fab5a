import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './moto';

/** A throwaway PostgreSQL server this process started. */
export interface PostgresServer {
  readonly url: string;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/** The PostgreSQL server binaries are not installed. */
export class PostgresNotFoundError extends Error {
  override readonly name = 'PostgresNotFoundError';
}

const DEFAULT_BIN = '/usr/lib/postgresql/15/bin';


/**
 * Starts a PostgreSQL server from the installed binaries: `initdb` into a temporary directory, then
 * `postgres` on a free loopback port with its socket in that directory. PostgreSQL refuses to run as
 * root, so as root both run as the `postgres` user on a directory it owns.
 *
 * @example
 * const server = await startPostgres();
 * const db = await openPostgres(server.url);
 * await server.stop();
 */
export async function startPostgres(options: { bin?: string; log?: (line: string) => void } = {}): Promise<PostgresServer> {
  const bin = options.bin ?? process.env.POSTGRES_BIN ?? DEFAULT_BIN;
  if (!existsSync(join(bin, 'initdb')) || !existsSync(join(bin, 'postgres'))) {
    throw new PostgresNotFoundError(
      `no PostgreSQL server binaries in ${bin}. Install them (Debian: \`apt-get install postgresql-15\`) or set POSTGRES_BIN.`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'reflex-pg-'));
  const data = join(dir, 'data');
  let ids: { uid: number; gid: number } | undefined;
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
    ids = { uid, gid };
  }
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      stdio: 'pipe',
      ...ids,
    });
  } catch (error) {
    cleanup();
    throw error;
  }
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(bin, 'postgres'),
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    { stdio: ['ignore', 'pipe', 'pipe'], ...ids },
  );
  const output: string[] = [];
  const forward = (d: Buffer) => {
    output.push(d.toString());
    options.log?.(d.toString().trimEnd());
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
  const stop = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        cleanup();
        resolve();
      };
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', done);
      child.kill('SIGINT'); // fast shutdown
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  const deadline = Date.now() + 20_000;
  while (!output.join('').includes('ready to accept connections')) {
    if (child.exitCode !== null) {
      cleanup();
      throw new Error(`postgres exited with code ${child.exitCode}: ${output.join('')}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`postgres did not start within 20 s: ${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url: `postgresql://postgres@127.0.0.1:${port}/postgres`, stop };
}
