import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Db } from '../db';
import { newDataDir } from '../test-cluster';
import { openStore, SHORT_OPEN_SHARED_BUFFERS, type StoreLocation, storeOnFirstUse } from './store';

const root = mkdtempSync(join(tmpdir(), 'reflex-ipam-first-use-'));
const dataDir = join(root, 'store');
// A copy of a new cluster, as a first open would make it (initdb costs seconds).
beforeAll(() => newDataDir(dataDir));
const opened: Db[] = [];
afterAll(async () => {
  for (const db of opened) await db.close();
  rmSync(root, { recursive: true, force: true });
});

/** openStore on an embedded store, counting its calls; the first `failures` fail as an unreachable server does. */
function opener(failures = 0) {
  const counter = {
    opens: 0,
    open: async (location: StoreLocation) => {
      if (++counter.opens <= failures) throw new Error('connect ECONNREFUSED 127.0.0.1:5432');
      const db = await openStore(location, { sharedBuffers: SHORT_OPEN_SHARED_BUFFERS });
      opened.push(db);
      return db;
    },
  };
  return counter;
}

describe('storeOnFirstUse', () => {
  it('opens nothing until first used, then opens once for every use, concurrent ones included', async () => {
    const counter = opener();
    const store = storeOnFirstUse({ dataDir }, counter.open);
    expect(counter.opens).toBe(0);

    const [a, b] = await Promise.all([store(), store()]);
    const c = await store();

    expect(counter.opens).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
    expect(await a.query<{ one: number }>('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    await a.close();
    opened.length = 0;
  });

  it('opens again on the next use after a failed open, and keeps that store', async () => {
    const counter = opener(1);
    const store = storeOnFirstUse({ dataDir }, counter.open);

    await expect(store()).rejects.toThrow('ECONNREFUSED');
    const db = await store();

    expect(await store()).toBe(db);
    expect(counter.opens).toBe(2);
  });
});
