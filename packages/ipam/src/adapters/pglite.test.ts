import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { applyMessages } from '../apply';
import type { Db } from '../db';
import { migrate } from '../migrate';
import { instanceMessage } from '../test-messages';
import { openNewPglite } from '../test-cluster';
import { maintainTables, openPglite } from './pglite';

// Each PGlite open loads the WASM PostgreSQL: seconds on a busy 2-core machine.
jest.setTimeout(60_000);

/** The instance's live addresses, as the apply path looks them up for a batch. */
const LIVE_ADDRESSES = `SELECT * FROM addresses WHERE instance_id = ANY ($1::text[]) AND released_at IS NULL`;

const IDS = ['i-00000000000010001', 'i-00000000000010002'];

async function plan(db: Db, sql: string, params: unknown[]): Promise<string> {
  const rows = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params);
  return rows.map((r) => r['QUERY PLAN']).join('\n');
}

async function statistics(db: Db, table: string): Promise<{ reltuples: number; relpages: number }> {
  const [row] = await db.query<{ reltuples: number; relpages: number }>(
    'SELECT reltuples::float8 AS reltuples, relpages FROM pg_class WHERE oid = $1::regclass',
    [table],
  );
  return row!;
}

async function fill(db: Db, count: number): Promise<void> {
  for (let n = 0; n < count; n += 100) {
    await applyMessages(db, Array.from({ length: Math.min(100, count - n) }, (_, i) => instanceMessage(n + i)));
  }
}

describe('openPglite', () => {
  it("opens with PGlite's shared buffers, or with the size it is given (a short open zeroes fewer)", async () => {
    const plain = await openPglite();
    const small = await openNewPglite({ sharedBuffers: '16MB' });
    try {
      expect(await plain.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '128MB' }]);
      expect(await small.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '16MB' }]);
    } finally {
      await Promise.all([plain.close(), small.close()]);
    }
  });
});

describe('PGlite maintenance (no autovacuum in single-user PostgreSQL)', () => {
  let db: Db | undefined;
  afterEach(async () => db?.close());

  it('analyzes tables as they grow, so that a batch finds its instances by index, not by scanning the store', async () => {
    db = await openNewPglite({ maintenanceIntervalMs: 0 });
    await migrate(db);
    await fill(db, 3000);

    const addresses = await statistics(db, 'addresses');
    expect(addresses.reltuples).toBeGreaterThan(500); // analyzed at least once while it grew, not -1 (never)
    expect((await statistics(db, 'interfaces')).reltuples).toBeGreaterThan(500);
    const used = await plan(db, LIVE_ADDRESSES, [IDS]);
    expect(used).toMatch(/Index.*addresses_instance/);
    expect(used).not.toMatch(/addresses_live/); // all live addresses of the store
  });

  it('without it, the same store scans every live address for a batch', async () => {
    db = await openNewPglite({ maintenanceIntervalMs: Number.MAX_SAFE_INTEGER });
    await migrate(db);
    await fill(db, 3000);

    expect((await statistics(db, 'addresses')).reltuples).toBe(-1);
    expect(await plan(db, LIVE_ADDRESSES, [IDS])).toMatch(/Bitmap Index Scan on addresses_live/);
  });

  it('vacuums a table with more dead rows than 1,000 + 20% of its rows, and only analyzes one that grew', async () => {
    db = await openNewPglite({ maintenanceIntervalMs: Number.MAX_SAFE_INTEGER });
    await migrate(db);
    await db.exec(`INSERT INTO devices (instance_id, account, region, state, first_seen, last_seen, version)
                   SELECT 'i-' || g, '123456789012', 'us-east-1', 'running', now(), now(), 1 FROM generate_series(1, 3000) g`);
    await db.exec('ANALYZE devices');
    await db.exec(`UPDATE devices SET state = 'stopped'`); // 3,000 dead row versions
    await db.query('SELECT pg_stat_force_next_flush()'); // PGlite reports its counters when idle, at most once a second
    await db.query('SELECT 1');
    await db.exec(`INSERT INTO networks (kind, resource_id, vpc_id, cidr, account, region, first_seen, last_seen)
                   SELECT 'vpc', 'vpc-' || g, 'vpc-' || g, ('10.' || g / 256 || '.' || g % 256 || '.0/24')::cidr,
                          '123456789012', 'us-east-1', now(), now() FROM generate_series(1, 5000) g`);

    expect(await maintainTables(db)).toEqual([
      { table: 'devices', action: 'vacuum' },
      { table: 'networks', action: 'analyze' },
    ]);
    expect(await maintainTables(db)).toEqual([]);
  });
});
