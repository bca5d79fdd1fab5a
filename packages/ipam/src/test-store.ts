// The stores every store test runs on (PGlite in memory, a PostgreSQL 15 server the tests start), and the
// jest hooks that open, migrate, empty and close one. Tests only: it imports @jest/globals.
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import pg from 'pg';
import type { Db } from './db';
import { openPostgres } from './adapters/postgres';
import { migrate } from './migrate';
import { type PostgresServer, startPostgres } from '@reflex/local-aws';
import { openNewPglite } from './test-cluster';
import { waitFor } from './worker/test-helpers';

/** A database to run the same tests on. */
export interface Backend {
  name: string;
  open(): Promise<Db>;
  teardown(): Promise<void>;
}

export function backends(): Backend[] {
  let server: PostgresServer | undefined;
  return [
    { name: 'PGlite (in memory)', open: () => openNewPglite(), teardown: async () => {} },
    {
      name: 'PostgreSQL 15 server',
      async open() {
        server = await startPostgres();
        return openPostgres(server.url);
      },
      async teardown() {
        if (!server) return;
        await untilDisconnected(server.url);
        await server.stop();
      },
    },
  ];
}

/**
 * Waits until no other client is connected. `pool.end()` resolves before its sockets close, and a server
 * stopped meanwhile sends them a FATAL that the ended pool re-emits as an unhandled 'error'.
 */
async function untilDisconnected(url: string): Promise<void> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    const others = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`;
    await waitFor('clients to disconnect', async () => (await client.query<{ n: number }>(others)).rows[0]!.n === 0, 10_000);
  } finally {
    await client.end();
  }
}

export const TRUNCATE = 'TRUNCATE networks, devices, interfaces, addresses, history RESTART IDENTITY CASCADE';

/**
 * Opens and migrates the backend's store before the tests of the enclosing describe, empties it before each
 * test, and closes it (and its server) after them; `set` receives the open store.
 *
 * @example
 * describe.each(backends())('show on $name', (backend) => {
 *   let db: Db;
 *   useStore(backend, (opened) => (db = opened));
 * });
 */
export function useStore(backend: Backend, set: (db: Db) => void): void {
  let db: Db | undefined;
  beforeAll(async () => {
    db = await backend.open();
    await migrate(db);
    set(db);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
    await backend.teardown();
  });
  beforeEach(async () => {
    await db!.exec(TRUNCATE);
  });
}
