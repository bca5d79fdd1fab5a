import { describe, expect, it } from '@jest/globals';
import { type Db, openPostgres, openStore, show, type StoreLocation } from '@reflex/ipam';
import { usePostgres } from '@reflex/local-aws/testing';
import { running } from '../test-message';
import { IpamStoreRecords } from './ipam-store';

const silent = { info() {}, warn() {}, error() {} };
const opened: Db[] = [];
const postgres = usePostgres(() => Promise.all(opened.map((db) => db.close())));

/** openStore, counting its calls (the adapter connects on first use; `storeOnFirstUse` retries a failed connect). */
function counted() {
  const opener = {
    opens: 0,
    open: async (location: StoreLocation) => {
      opener.opens++;
      const db = await openStore(location);
      opened.push(db);
      return db;
    },
  };
  return opener;
}

describe('IpamStoreRecords (against a PostgreSQL server)', () => {
  it('connects on the first batch only, and applies each batch to the golden records', async () => {
    const opener = counted();
    const records = new IpamStoreRecords({ url: postgres().url }, silent, opener.open);

    const first = await records.apply([{ id: 'a', body: JSON.stringify(running) }]);
    const again = await records.apply([{ id: 'b', body: JSON.stringify(running) }]);

    expect(opener.opens).toBe(1);
    expect(first.failures).toEqual([]);
    expect(again.results.map((r) => r.outcome)).toEqual(['duplicate']);
    const db = await openPostgres(postgres().url);
    const found = await show(db, running.instanceId);
    await db.close();
    expect(found.devices.map((d) => d.instanceId)).toEqual([running.instanceId]);
  });
});
