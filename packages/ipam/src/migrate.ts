import { type Db, IpamError } from './db';
import { MIGRATIONS, type Migration } from './migrations/index';

// Any fixed number: serialises concurrent migrators (two workers starting at once) on a server.
const MIGRATION_LOCK = 7_302_611;

/**
 * Applies the migrations not yet applied, in order, each in its own transaction; a no-op when the
 * schema is current. Returns the versions it applied.
 *
 * @example
 * const db = await openPglite();
 * await migrate(db); // [1]
 * await migrate(db); // []
 */
export async function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [migration.version]);
      if (rows.length > 0) return false;
      try {
        await tx.exec(migration.sql);
      } catch (cause) {
        throw new IpamError(`migration ${migration.version} (${migration.name}) failed`, { cause });
      }
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      return true;
    });
    if (done) applied.push(migration.version);
  }
  return applied;
}
