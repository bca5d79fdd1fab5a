// The IPAM adapter against a real PostgreSQL engine: PGlite (embedded, in memory) migrated as the IPAM's server
// is, holding two VPCs of two accounts; the query is @reflex/ipam's, as against the server.
import { afterAll, describe, expect, it } from '@jest/globals';
import { type Db, migrate, openPglite } from '@reflex/ipam';
import { PostgresIpam } from './ipam';

let db: Db | undefined;
const opened: string[] = [];
const ipam = new PostgresIpam('postgres://reflex@ipam.example.internal:5432/ipam', async (url) => {
  opened.push(url);
  db = await openPglite();
  await migrate(db);
  await db.query(
    `INSERT INTO networks (kind, resource_id, vpc_id, cidr, account, region, first_seen, last_seen) VALUES
     ('vpc', 'vpc-0aaaaaaaaaaaaaaa1', 'vpc-0aaaaaaaaaaaaaaa1', '10.50.0.0/16', '111111111111', 'eu-west-1', now(), now()),
     ('vpc', 'vpc-0bbbbbbbbbbbbbbb2', 'vpc-0bbbbbbbbbbbbbbb2', '2001:db8:50::/56', '222222222222', 'us-east-1', now(), now())`,
  );
  return db;
});

afterAll(() => ipam.close());

describe('PostgresIpam (against PGlite)', () => {
  it('names the VPC block each CIDR overlaps, IPv4 and IPv6, and nothing for a disjoint CIDR', async () => {
    const found = await ipam.overlapping(['10.50.8.0/24', '2001:db8:50:1::/64', '192.168.0.0/16']);

    expect(found).toEqual([
      { cidr: '10.50.8.0/24', vpcId: 'vpc-0aaaaaaaaaaaaaaa1', block: '10.50.0.0/16', account: '111111111111', region: 'eu-west-1' },
      { cidr: '2001:db8:50:1::/64', vpcId: 'vpc-0bbbbbbbbbbbbbbb2', block: '2001:db8:50::/56', account: '222222222222', region: 'us-east-1' },
    ]);
  });

  it('connects once, on first use', async () => {
    await ipam.overlapping(['10.50.0.0/16']);

    expect(opened).toEqual(['postgres://reflex@ipam.example.internal:5432/ipam']);
  });

  it('tries again on the next request when the connection failed', async () => {
    let attempts = 0;
    const flaky = new PostgresIpam('postgres://x@y/z', async () => {
      if (++attempts === 1) throw new Error('ECONNREFUSED');
      return db!;
    });

    const failed = await flaky.overlapping(['10.50.0.0/16']).catch((e: Error) => e);

    expect(failed).toMatchObject({ message: "reading the IPAM's VPC blocks failed", cause: new Error('ECONNREFUSED') });
    expect(await flaky.overlapping(['10.50.0.0/16'])).toHaveLength(1);
  });
});
