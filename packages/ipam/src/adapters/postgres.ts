import pg from 'pg';
import { type Db, IpamError, type Queryable } from '../db';

/**
 * Connects to a PostgreSQL server (node-postgres pool), e.g. from `DATABASE_URL`.
 *
 * @example
 * const db = await openPostgres(process.env.DATABASE_URL!);
 * @see https://node-postgres.com/apis/pool
 */
export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Db> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 4 });
  // An idle client that loses its connection (server restart, shutdown) errors on the pool; without a
  // listener that error would end the process. The pool drops the client and the next query reconnects.
  pool.on('error', () => {});
  const wrap = (q: pg.Pool | pg.PoolClient): Queryable => ({
    query: async <T>(sql: string, params: readonly unknown[] = []) =>
      (await q.query(sql, [...params])).rows as T[],
    exec: async (sql: string) => {
      await q.query(sql);
    },
  });
  // Fail here, not on the first write, when the server is unreachable.
  try {
    await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new IpamError(`cannot reach PostgreSQL at ${redactUrl(url)}`, { cause });
  }
  return {
    kind: 'postgres',
    ...wrap(pool),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

/** A database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}
