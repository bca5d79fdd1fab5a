import type { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from '../db';

export interface PgliteOptions {
  /**
   * How often, at most, the store checks after a commit whether a table needs ANALYZE or VACUUM (see
   * `maintainTables`); 0 checks after every commit.
   * @default 1000
   */
  readonly maintenanceIntervalMs?: number;
  /** PostgreSQL's shared_buffers (see OpenStoreOptions.sharedBuffers). @default PGlite's (128MB) */
  readonly sharedBuffers?: string;
  /** Without a `dataDir`: the data directory to start from, as `dumpDataDir` wrote it, instead of a new one. */
  readonly loadDataDir?: Blob;
}

/**
 * Opens the embedded PostgreSQL (PGlite): persisted in `dataDir`, or in memory without one. PGlite runs
 * PostgreSQL in single-user mode, which has no autovacuum: the store does its part itself
 * (`maintainTables` after commits), so that plans keep using indexes as tables grow.
 *
 * @example
 * const db = await openPglite(process.env.IPAM_DATA_DIR ?? './.reflex/ipam');
 * @see https://pglite.dev/docs/api
 */
export async function openPglite(dataDir?: string, options: PgliteOptions = {}): Promise<Db> {
  // Loaded on use: a Lambda bundle that talks to a server never carries the embedded database.
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create(dataDir, {
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    ...(options.sharedBuffers ? { startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.sharedBuffers}`] } : {}),
  });
  // PostgreSQL fills each new 16 MB WAL segment with zeros first; on PGlite's in-memory file system every
  // zero-filled block grows the file by copying it. A segment is as good unfilled (PGlite runs without fsync).
  await pg.exec('SET wal_init_zero = off');
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await q.query<T>(sql, [...params])).rows,
    exec: async (sql: string) => {
      await q.exec(sql);
    },
  });
  const db = wrap(pg);
  const interval = options.maintenanceIntervalMs ?? 1000;
  let lastCheck = Date.now();
  return {
    kind: 'pglite',
    ...db,
    async transaction(fn) {
      const result = await pg.transaction((tx) => fn(wrap(tx)));
      if (Date.now() - lastCheck >= interval) {
        lastCheck = Date.now();
        // A failed ANALYZE or VACUUM costs speed, never data: the transaction has committed.
        await maintainTables(db).catch((error: unknown) =>
          process.emitWarning(`IPAM store maintenance failed: ${error instanceof Error ? error.message : String(error)}`),
        );
      }
      return result;
    },
    close: () => pg.close(),
  };
}

/** What `maintainTables` did to which table. */
export interface Maintenance {
  readonly table: string;
  readonly action: 'analyze' | 'vacuum';
}

/**
 * What autovacuum does on a server, for a database without it: ANALYZE each table of the current schema
 * that has grown more than fourfold since its statistics were taken (or has none and passed 8 pages),
 * and VACUUM (ANALYZE) each with more dead rows than 1,000 + 20% of its rows. Without statistics the
 * planner takes a grown table for a small one and scans it whole: a batch's lookups of its instances'
 * interfaces and addresses would cost time in proportion to the whole store.
 *
 * @example
 * await maintainTables(db); // [{ table: 'addresses', action: 'analyze' }]
 */
export async function maintainTables(db: Queryable): Promise<Maintenance[]> {
  const due = await db.query<{ table: string; vacuum: boolean; analyze: boolean }>(
    `SELECT c.relname AS table,
            COALESCE(s.n_dead_tup, 0) > 1000 + 0.2 * GREATEST(c.reltuples, 0) AS vacuum,
            pg_relation_size(c.oid) / current_setting('block_size')::int > 4 * c.relpages + 8 AS analyze
     FROM pg_class c
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
     WHERE n.nspname = current_schema() AND c.relkind = 'r'
     ORDER BY c.relname`,
  );
  const done: Maintenance[] = [];
  for (const t of due) {
    const name = `"${t.table.replaceAll('"', '""')}"`;
    if (t.vacuum) {
      await db.exec(`VACUUM (ANALYZE) ${name}`);
      done.push({ table: t.table, action: 'vacuum' });
    } else if (t.analyze) {
      await db.exec(`ANALYZE ${name}`);
      done.push({ table: t.table, action: 'analyze' });
    }
  }
  return done;
}
