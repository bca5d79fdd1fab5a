/** Something that runs SQL: the database itself, or one transaction on it. */
export interface Queryable {
  /** Runs one statement with `$1…` parameters and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/**
 * The port the IPAM store needs: SQL, transactions, close. Adapters: `openPglite` (embedded) and
 * `openPostgres` (a server); both run the same SQL.
 *
 * @example
 * const db = await openPglite('./ipam-data');
 * await db.transaction(async (tx) => tx.query('SELECT 1'));
 */
export interface Db extends Queryable {
  /**
   * `pglite`: one connection whose transactions run one after another, so writers need no locks among
   * themselves; `postgres`: a server that other connections write to at the same time.
   */
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** A failure of the IPAM store; `cause` holds the database error. */
export class IpamError extends Error {
  override readonly name = 'IpamError';
}


/** A timestamp as the database returned it (a `Date`, or text), in ms since the epoch. */
export const timeOf = (value: unknown): number => (value instanceof Date ? value.getTime() : Date.parse(String(value)));
