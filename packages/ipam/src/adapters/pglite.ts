import type { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from '../db';

/**
 * Opens the embedded PostgreSQL (PGlite): persisted in `dataDir`, or in memory without one.
 *
 * @example
 * const db = await openPglite(process.env.IPAM_DATA_DIR ?? './.reflex/ipam');
 * @see https://pglite.dev/docs/api
 */
export async function openPglite(dataDir?: string): Promise<Db> {
  // Loaded on use: a Lambda bundle that talks to a server never carries the embedded database.
  const { PGlite } = await import('@electric-sql/pglite');
  const pg = await PGlite.create(dataDir);
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): Queryable => ({
    query: async <T>(sql: string, params: readonly unknown[] = []) => (await q.query<T>(sql, [...params])).rows,
    exec: async (sql: string) => {
      await q.exec(sql);
    },
  });
  return {
    kind: 'pglite',
    ...wrap(pg),
    transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))),
    close: () => pg.close(),
  };
}
