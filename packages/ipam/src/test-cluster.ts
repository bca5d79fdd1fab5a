// A new PGlite cluster (initdb run, no migration applied), made once per jest run and shared by its test
// files: initdb costs seconds of CPU at every new PGlite open, a copy of its result a fraction of that.
// The tests still open, migrate and empty each store as before. Tests only: it imports @jest/globals.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from '@jest/globals';
import type { Db } from './db';
import { type PgliteOptions, openPglite } from './adapters/pglite';

/** Set by the jest global setup to a directory for the whole run; without it, each test file makes its own. */
export const CLUSTER_ROOT_ENV = 'IPAM_TEST_CLUSTER_ROOT';

const root = process.env[CLUSTER_ROOT_ENV] ?? ownRoot();
function ownRoot(): string {
  const own = mkdtempSync(join(tmpdir(), 'reflex-ipam-cluster-'));
  afterAll(() => rmSync(own, { recursive: true, force: true }));
  return own;
}
const dir = join(root, 'cluster');
const tar = join(root, 'cluster.tar');

let made: Promise<void> | undefined;

/** Makes the cluster, or waits for the test file (in another jest worker) that makes it. */
function cluster(): Promise<void> {
  return (made ??= (async () => {
    if (existsSync(dir)) return;
    const lock = join(root, 'lock');
    let mine = false;
    try {
      mkdirSync(lock);
      mine = true;
    } catch {
      // Another worker makes it.
    }
    if (mine) {
      try {
        const building = join(root, `building-${process.pid}`);
        const { PGlite } = await import('@electric-sql/pglite');
        const pg = await PGlite.create(building);
        const dump = await pg.dumpDataDir('none');
        await pg.close();
        writeFileSync(tar, new Uint8Array(await dump.arrayBuffer()));
        renameSync(building, dir); // last: its presence says that both are complete
      } catch (error) {
        rmSync(lock, { recursive: true, force: true });
        throw error;
      }
      return;
    }
    const deadline = Date.now() + 120_000;
    while (!existsSync(dir)) {
      if (Date.now() > deadline || !existsSync(lock)) throw new Error(`no PGlite cluster in ${root}: its maker failed`);
      await new Promise((r) => setTimeout(r, 100));
    }
  })());
}

/** A new in-memory PGlite store, started from a copy of the new cluster instead of its own initdb. */
export async function openNewPglite(options: Omit<PgliteOptions, 'loadDataDir'> = {}): Promise<Db> {
  await cluster();
  return openPglite(undefined, { ...options, loadDataDir: new Blob([readFileSync(tar)]) });
}

/** Puts a copy of the new cluster at `dataDir` (as a first open there would make it) and returns `dataDir`. */
export async function newDataDir(dataDir: string): Promise<string> {
  await cluster();
  cpSync(dir, dataDir, { recursive: true });
  return dataDir;
}
