import { describe, expect, it } from '@jest/globals';
import { type Db, type Ec2Snapshot, openStore, type StoreLocation } from '@reflex/ipam';
import { usePostgres } from '@reflex/local-aws/testing';
import { IpamStore } from './ipam-store';

const opened: Db[] = [];
const postgres = usePostgres(() => Promise.all(opened.map((db) => db.close())));

/** openStore, keeping what it opened for afterAll to close. */
const open = async (location: StoreLocation) => {
  const db = await openStore(location);
  opened.push(db);
  return db;
};

/** An account whose one VPC the store has never seen. */
const snapshot = (account: string): Ec2Snapshot => ({
  account,
  region: 'eu-west-1',
  observedAt: '2026-03-01T10:00:00.000Z',
  vpcs: [{ vpcId: 'vpc-0aaaaaaaaaaaaaaa1', cidrs: ['10.0.0.0/16'] }],
  subnets: [],
  messages: [],
});

describe('IpamStore (against a PostgreSQL server)', () => {
  it('in dry-run reports the drift and writes nothing', async () => {
    const store = new IpamStore({ url: postgres().url }, true, open);

    const first = await store.reconcile(snapshot('111111111111'));
    const second = await store.reconcile(snapshot('111111111111'));

    expect(first.items.map((i) => [i.kind, i.action])).toEqual([['network-missing', 'pending']]);
    expect(second.items).toEqual(first.items);
  });

  it('corrects the drift, so that the next run finds none', async () => {
    const store = new IpamStore({ url: postgres().url }, false, open);

    const first = await store.reconcile(snapshot('222222222222'));
    const second = await store.reconcile(snapshot('222222222222'));

    expect(first.items.map((i) => [i.kind, i.action])).toEqual([['network-missing', 'corrected']]);
    expect(second.items).toEqual([]);
  });
});
