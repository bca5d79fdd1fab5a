import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Db, IpamError, type Queryable } from '../db';
import { migrate } from '../migrate';
import { openPglite } from './pglite';
import { openPostgres, redactUrl } from './postgres';

/** Where the IPAM store lives: a PostgreSQL server, or the data directory of the embedded PGlite. */
export type StoreLocation = { readonly url: string } | { readonly dataDir: string };

/** The default data directory of the embedded store, under the repository's `.reflex/`. */
export const DEFAULT_DATA_DIR = '.reflex/ipam';

/**
 * The store location from the environment: `DATABASE_URL` (a server), else `IPAM_DATA_DIR`, else
 * `fallbackDir` (PGlite).
 *
 * @example
 * const db = await openStore(storeLocation(process.env, join(root, '.reflex/ipam')));
 */
export function storeLocation(env: Record<string, string | undefined> = process.env, fallbackDir = DEFAULT_DATA_DIR): StoreLocation {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL };
  return { dataDir: resolve(env.IPAM_DATA_DIR || fallbackDir) };
}

/** A readable name of a location, without a password. */
export function describeLocation(location: StoreLocation): string {
  return 'url' in location ? redactUrl(location.url) : `PGlite at ${location.dataDir}`;
}

/** shared_buffers for a store opened for a short while (a query, a worker that lets it go when idle). */
export const SHORT_OPEN_SHARED_BUFFERS = '16MB';

export interface OpenStoreOptions {
  /** How long to wait for another process to release a PGlite data directory. @default 30000 */
  readonly lockTimeoutMs?: number;
  /** Told once when the data directory is busy and this process waits. */
  readonly onWait?: (holder: string) => void;
  /**
   * PGlite only: PostgreSQL's shared_buffers for this open, e.g. '16MB' for a short query or a store that is
   * opened and closed often: PGlite zeroes them at every open (~0.7 s for its default of 128MB here).
   * @default PGlite's (128MB), for long runs of writes
   */
  readonly sharedBuffers?: string;
}

/**
 * Opens the IPAM store at `location` and brings its schema up to date. A PGlite data directory is opened
 * by one process at a time (PGlite is one connection on files): a lock file next to it names the holder,
 * and a second process waits for it (a lock whose process died is taken over).
 *
 * @example
 * const db = await openStore({ dataDir: '.reflex/ipam' });
 * await db.close(); // releases the lock
 */
export async function openStore(location: StoreLocation, options: OpenStoreOptions = {}): Promise<Db> {
  if ('url' in location) {
    const db = await openPostgres(location.url);
    await migrate(db);
    return db;
  }
  const release = await lockDataDir(location.dataDir, options);
  try {
    mkdirSync(dirname(location.dataDir), { recursive: true });
    const db = await openPglite(location.dataDir, options.sharedBuffers ? { sharedBuffers: options.sharedBuffers } : {});
    await migrate(db);
    return {
      ...db,
      async close() {
        try {
          await db.close();
        } finally {
          release();
        }
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/**
 * A store that opens on first use and closes after `idleMs` without any, so that a long-running process
 * (the local worker) leaves the PGlite data directory to others (`reflex ipam show`) while it is idle.
 *
 * @example
 * const db = idleClosingStore(() => openStore({ dataDir }), { idleMs: 2000 });
 */
export function idleClosingStore(open: () => Promise<Db>, options: { idleMs: number; kind?: Db['kind'] }): Db {
  let opened: Promise<Db> | undefined;
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  const closeNow = async () => {
    const db = opened;
    opened = undefined;
    if (db) await (await db).close();
  };
  const use = async <T>(fn: (db: Db) => Promise<T>): Promise<T> => {
    clearTimeout(timer);
    active++;
    try {
      opened ??= open().catch((error: unknown) => {
        opened = undefined;
        throw error;
      });
      return await fn(await opened);
    } finally {
      if (--active === 0) timer = setTimeout(() => void closeNow().catch(() => {}), options.idleMs);
    }
  };
  return {
    kind: options.kind ?? 'pglite',
    query: <T>(sql: string, params?: readonly unknown[]) => use((db) => db.query<T>(sql, params)),
    exec: (sql: string) => use((db) => db.exec(sql)),
    transaction: <T>(fn: (tx: Queryable) => Promise<T>) => use((db) => db.transaction(fn)),
    async close() {
      clearTimeout(timer);
      await closeNow();
    },
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

async function lockDataDir(dataDir: string, options: OpenStoreOptions): Promise<() => void> {
  const path = `${dataDir}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + (options.lockTimeoutMs ?? 30_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid, command: process.argv.slice(1).join(' '), since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      return () => {
        if (!released) rmSync(path, { force: true });
        released = true;
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new IpamError(`cannot lock ${dataDir}`, { cause: error });
    }
    let holder: { pid?: number; command?: string } = {};
    try {
      holder = JSON.parse(readFileSync(path, 'utf8'));
    } catch {
      // Being written right now, or removed: look again.
    }
    if (holder.pid !== undefined && (holder.pid === process.pid || !alive(holder.pid))) {
      if (holder.pid === process.pid) {
        throw new IpamError(`${dataDir} is already open in this process: share that store instead of opening it twice`);
      }
      rmSync(path, { force: true }); // its process died
      continue;
    }
    const who = holder.pid ? `process ${holder.pid} (${holder.command ?? 'unknown'})` : 'another process';
    if (Date.now() > deadline) {
      throw new IpamError(
        `the IPAM data directory ${dataDir} is in use by ${who}; stop it, or give both a PostgreSQL server with DATABASE_URL`,
      );
    }
    if (!told) options.onWait?.(who);
    told = true;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The store, connected and migrated on first use, once per process (a Lambda cold start); a failed connect
 * is retried on the next use.
 *
 * @example
 * const store = storeOnFirstUse({ url });
 * await applyRecords(await store(), records);
 */
export function storeOnFirstUse(
  location: StoreLocation,
  open: (location: StoreLocation) => Promise<Db> = openStore,
): () => Promise<Db> {
  let db: Promise<Db> | undefined;
  return () =>
    (db ??= open(location).catch((error: unknown) => {
      db = undefined;
      throw error;
    }));
}
