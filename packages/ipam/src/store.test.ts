import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { type IpamInstanceMessage, IpamInstanceMessageSchema } from '@reflex/events';
import { normalizeIp } from '@reflex/ip';
import { type Db, IpamError, applyMessage, applyMessages, migrate, openPglite, overlaps, show, subnetUsage } from './index';
import { backends, useStore } from './test-store';

const running: IpamInstanceMessage = IpamInstanceMessageSchema.parse(
  JSON.parse(readFileSync(new URL('../fixtures/enricher/running.json', import.meta.url), 'utf8')),
);

/** The fixture, some time later, with changes. */
function later(seconds: number, change: Partial<IpamInstanceMessage>): IpamInstanceMessage {
  const eventTime = new Date(Date.parse(running.eventTime) + seconds * 1000).toISOString();
  return IpamInstanceMessageSchema.parse({ ...structuredClone(running), eventTime, version: Date.parse(eventTime), ...change });
}

function stopped(seconds: number): IpamInstanceMessage {
  const m = later(seconds, { state: 'stopped' });
  m.interfaces[0]!.publicIps = []; // EC2 releases an auto-assigned public IP on stop
  return m;
}

function terminated(seconds: number): IpamInstanceMessage {
  const m = later(seconds, { state: 'terminated', interfaces: [], subnets: [], vpcs: [] });
  delete m.instance;
  return m;
}

/** A second instance, in another VPC (and account) whose block overlaps the fixture's. */
function otherVpc(): IpamInstanceMessage {
  const m = structuredClone(running);
  m.account = '222222222222';
  m.instanceId = 'i-0bbbbbbbbbbbbbbb2';
  m.interfaces = [
    {
      interfaceId: 'eni-0bbbbbbbbbbbbbbb2',
      subnetId: 'subnet-0bbbbbbbbbbbbbbb2',
      vpcId: 'vpc-0bbbbbbbbbbbbbbb2',
      privateIps: ['10.0.200.5'],
      publicIps: [],
      ipv6: [],
    },
  ];
  m.subnets = [{ subnetId: 'subnet-0bbbbbbbbbbbbbbb2', vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidr: '10.0.200.0/24', ipv6Cidrs: [] }];
  m.vpcs = [{ vpcId: 'vpc-0bbbbbbbbbbbbbbb2', cidrs: ['10.0.128.0/17'] }];
  return m;
}

/**
 * Every row of every table, as text: equal snapshots mean nothing changed. Without ids, two stores that
 * numbered their rows differently compare equal.
 */
async function snapshot(db: Db, options: { ids?: boolean } = {}): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const drop = options.ids === false ? ` - 'id' - 'parent_id' - 'network_id'` : '';
  for (const table of ['networks', 'devices', 'interfaces', 'addresses', 'history']) {
    const [row] = await db.query<{ rows: string | null }>(
      `SELECT jsonb_agg(to_jsonb(t) - 'at'${drop} ORDER BY (to_jsonb(t) - 'at'${drop})::text)::text AS rows FROM ${table} t`,
    );
    out[table] = row?.rows ?? '[]';
  }
  return out;
}

describe.each(backends())('IPAM store on $name', (backend) => {
  let db: Db;

  useStore(backend, (opened) => (db = opened));

  describe('migrate', () => {
    it('applies nothing when the schema is current', async () => {
      expect(await migrate(db)).toEqual([]);
    });

    it('records each applied migration once', async () => {
      const rows = await db.query<{ version: number; name: string }>('SELECT version, name FROM schema_migrations ORDER BY version');

      expect(rows).toEqual([
        { version: 1, name: 'init' },
        { version: 2, name: 'network-deletion' },
        { version: 3, name: 'write-path' },
      ]);
    });
  });

  describe('integrity', () => {
    it('never deletes golden records: they are decommissioned, detached, released or marked deleted', async () => {
      await applyMessage(db, running);

      for (const table of ['devices', 'interfaces', 'addresses', 'networks']) {
        await expect(db.exec(`DELETE FROM ${table}`)).rejects.toThrow(`IPAM ${table} are never deleted`);
      }
      expect((await show(db, running.instanceId)).devices).toHaveLength(1);
    });

    it('refuses an interface of no stored device and an address of no stored interface', async () => {
      await applyMessage(db, running);
      const eni = running.interfaces[0]!.interfaceId;

      await expect(
        db.exec(`INSERT INTO interfaces (interface_id, instance_id, subnet_id, vpc_id, first_seen)
                 VALUES ('eni-0ffffffffffffffff', 'i-0ffffffffffffffff', 'subnet-1', 'vpc-1', now())`),
      ).rejects.toThrow('interface eni-0ffffffffffffffff names instance i-0ffffffffffffffff, which is not a stored device');
      await expect(db.exec(`UPDATE interfaces SET instance_id = 'i-0ffffffffffffffff' WHERE interface_id = '${eni}'`)).rejects.toThrow(
        'which is not a stored device',
      );
      await expect(
        db.exec(`INSERT INTO addresses (address, kind, interface_id, instance_id, assigned_at)
                 VALUES ('10.9.9.9', 'private', 'eni-0ffffffffffffffff', '${running.instanceId}', now())`),
      ).rejects.toThrow('address 10.9.9.9 names interface eni-0ffffffffffffffff, which is not stored');
      expect((await show(db, running.instanceId)).addresses.map((a) => a.interfaceId)).not.toContain('eni-0ffffffffffffffff');
    });
  });

  describe('applyMessage', () => {
    it('stores the device, its interface, its addresses and its networks', async () => {
      const result = await applyMessage(db, running);

      expect(result.outcome).toBe('applied');
      const seen = await show(db, running.instanceId);
      expect(seen.devices).toEqual([
        expect.objectContaining({
          instanceId: 'i-0aaaaaaaaaaaaaaa1',
          state: 'running',
          name: 'web-1',
          instanceType: 't3.micro',
          architecture: 'x86_64',
          cpuCores: 1,
          availabilityZone: 'eu-west-1a',
          launchTime: '2026-03-01T09:59:30.000Z',
          tags: { Name: 'web-1', team: 'net' },
          decommissionedAt: null,
          version: running.version,
        }),
      ]);
      expect(seen.addresses.map((a) => [a.kind, a.address, a.releasedAt])).toEqual([
        ['ipv6', '2001:db8:0:1::10', null],
        ['private', '10.0.1.10', null],
        ['public', '203.0.113.10', null],
      ]);
      expect(seen.networks.map((n) => [n.kind, n.cidr, n.parentCidr])).toEqual([
        ['vpc', '10.0.0.0/16', null],
        ['subnet', '10.0.1.0/24', '10.0.0.0/16'],
        ['subnet', '2001:db8:0:1::/64', null],
      ]);
    });

    it('changes nothing when the same message comes twice', async () => {
      await applyMessage(db, running);
      const before = await snapshot(db);

      const again = await applyMessage(db, structuredClone(running));

      expect(again.outcome).toBe('duplicate');
      expect(await snapshot(db)).toEqual(before);
    });

    it('ignores a message older than the stored state, and says so in the history', async () => {
      await applyMessage(db, stopped(60));

      const late = await applyMessage(db, running);

      expect(late.outcome).toBe('stale');
      const seen = await show(db, running.instanceId);
      expect(seen.devices[0]?.state).toBe('stopped');
      expect(seen.addresses.filter((a) => a.releasedAt === null).map((a) => a.address)).not.toContain('203.0.113.10');
      expect(seen.history.map((h) => [h.version, h.outcome])).toEqual([
        [running.version, 'ignored'],
        [stopped(60).version, 'applied'],
      ]);
    });

    it('changes nothing when the same old message comes again', async () => {
      await applyMessage(db, stopped(60));
      await applyMessage(db, running);
      const before = await snapshot(db);

      await applyMessage(db, running);

      expect(await snapshot(db)).toEqual(before);
    });

    it('releases the public address when a later message no longer has it', async () => {
      await applyMessage(db, running);

      await applyMessage(db, stopped(60));

      const seen = await show(db, '203.0.113.10');
      expect(seen.addresses).toEqual([
        expect.objectContaining({ instanceId: running.instanceId, kind: 'public', releasedAt: stopped(60).eventTime }),
      ]);
    });

    it('releases every address of a terminated instance and keeps it as a decommissioned device', async () => {
      await applyMessage(db, running);

      await applyMessage(db, terminated(120));

      const seen = await show(db, running.instanceId);
      expect(seen.devices[0]).toEqual(
        expect.objectContaining({
          state: 'terminated',
          decommissionedAt: terminated(120).eventTime,
          name: 'web-1',
          instanceType: 't3.micro',
        }),
      );
      expect(seen.addresses).toHaveLength(3);
      expect(seen.addresses.every((a) => a.releasedAt === terminated(120).eventTime)).toBe(true);
      expect(seen.history.map((h) => h.change.state)).toEqual([
        { from: null, to: 'running' },
        { from: 'running', to: 'terminated' },
      ]);
      expect(seen.history[1]?.change).toEqual(expect.objectContaining({ decommissioned: true }));
    });

    it('ignores a running message that arrives after the termination', async () => {
      await applyMessage(db, running);
      await applyMessage(db, terminated(120));

      await applyMessage(db, later(60, {}));

      const seen = await show(db, running.instanceId);
      expect(seen.devices[0]?.state).toBe('terminated');
      expect(seen.addresses.filter((a) => a.releasedAt === null)).toEqual([]);
    });

    it('gives an address back to a new holder once the old one released it', async () => {
      await applyMessage(db, running);
      await applyMessage(db, terminated(120));
      const successor = later(180, { instanceId: 'i-0ccccccccccccccc3' });
      successor.interfaces[0]!.interfaceId = 'eni-0ccccccccccccccc3';

      await applyMessage(db, successor);

      const seen = await show(db, '10.0.1.10');
      expect(seen.addresses.map((a) => [a.instanceId, a.releasedAt === null])).toEqual([
        ['i-0ccccccccccccccc3', true],
        ['i-0aaaaaaaaaaaaaaa1', false],
      ]);
    });

    it('leaves nothing behind when a message fails half way', async () => {
      const broken = structuredClone(running);
      broken.interfaces[0]!.privateIps = ['not-an-ip']; // what the schema would refuse

      await expect(applyMessage(db, broken)).rejects.toThrow();

      expect(await show(db, running.instanceId)).toEqual(expect.objectContaining({ devices: [], history: [] }));
      expect((await snapshot(db)).networks).toBe('[]');
    });
  });

  describe('history of addresses', () => {
    /** What the history says a message added, as (interface, address, kind), sorted. */
    const addedBy = (change: Record<string, unknown>) =>
      (change.added as { interface_id: string; address: string; kind: string }[]).map((a) => [a.interface_id, a.address, a.kind]).sort();

    it('records the addresses a launch added as the store spells them, each once', async () => {
      const launch = structuredClone(running);
      const eni = launch.interfaces[0]!;
      eni.privateIps = [...eni.privateIps, eni.privateIps[0]!]; // listed twice
      eni.ipv6 = ['2001:DB8:0:1:0:0:0:10', '2001:0db8:0000:0001:0000:0000:0000:0010']; // one address, two spellings

      await applyMessage(db, launch);

      const seen = await show(db, running.instanceId);
      const live = seen.addresses.map((a) => [a.interfaceId, a.address, a.kind]).sort();
      expect(live).toContainEqual([eni.interfaceId, '2001:db8:0:1::10', 'ipv6']);
      expect(addedBy(seen.history[0]!.change)).toEqual(live);
    });

    it('records what a message added to interfaces that already had addresses', async () => {
      await applyMessage(db, running);
      const moreIps = later(60, {});
      moreIps.interfaces[0]!.privateIps = [...moreIps.interfaces[0]!.privateIps, '10.0.1.77'];
      moreIps.interfaces[0]!.ipv6 = ['2001:0DB8:0:1::10', '2001:db8:0:1::77'];

      await applyMessage(db, moreIps);

      const { history } = await show(db, running.instanceId);
      const eni = running.interfaces[0]!.interfaceId;
      expect(addedBy(history[1]!.change)).toEqual([
        [eni, '10.0.1.77', 'private'],
        [eni, '2001:db8:0:1::77', 'ipv6'],
      ]);
    });

    it('spells addresses as PostgreSQL does (normalizeIp, which the history of a launch relies on)', async () => {
      const samples = [
        '10.0.1.10', '255.255.255.255', '0.0.0.0', '2001:db8::1', '2001:DB8:0:0:1:0:0:1', '2001:db8:0:1:1:1:1:1',
        '::1', '::', 'fe80::', '1::', '1:0:0:2:0:0:0:3', '2600:1f18:4e2:c100:0:0:0:a', '::ffff:1.2.3.4',
        '::ffff:102:304', '::1.2.3.4', '::102:304', '::1:2', '::ffff:0:0', '::1:0:0', '0:0:1::', '64:ff9b::1.2.3.4',
      ];
      // And addresses with zero groups anywhere: runs of every length and place, ties between runs.
      let seed = 7;
      const next = () => (seed = (seed * 48_271) % 2_147_483_647);
      for (let i = 0; i < 300; i++) {
        samples.push(Array.from({ length: 8 }, () => (next() % 3 === 0 ? (next() % 0x10000).toString(16) : '0')).join(':'));
      }
      const rows = await db.query<{ address: string; host: string }>(
        'SELECT a AS address, host(a::inet) AS host FROM unnest($1::text[]) AS a',
        [samples],
      );

      expect(rows.map((r) => [r.address, normalizeIp(r.address)])).toEqual(rows.map((r) => [r.address, r.host]));
    });
  });

  describe('applyMessages', () => {
    it('applies a batch in order and says what it did with each message', async () => {
      const batch = [stopped(60), running, otherVpc(), stopped(60)];

      const outcomes = await applyMessages(db, batch);

      expect(outcomes.map((o) => [o.instanceId, o.outcome])).toEqual([
        [running.instanceId, 'applied'],
        [running.instanceId, 'stale'],
        [otherVpc().instanceId, 'applied'],
        [running.instanceId, 'duplicate'],
      ]);
      expect((await show(db, running.instanceId)).history.map((h) => h.outcome)).toEqual(['ignored', 'applied']);
    });

    it('leaves the store as applying the messages one by one does', async () => {
      const successor = later(180, { instanceId: 'i-0ccccccccccccccc3' });
      successor.interfaces[0]!.interfaceId = 'eni-0ccccccccccccccc3';
      const messages = [running, stopped(60), otherVpc(), later(90, {}), terminated(120), successor, stopped(30)];
      for (const m of messages) await applyMessage(db, m);
      const oneByOne = await snapshot(db, { ids: false });
      await db.exec('TRUNCATE networks, devices, interfaces, addresses, history RESTART IDENTITY CASCADE');

      await applyMessages(db, messages);

      expect(await snapshot(db, { ids: false })).toEqual(oneByOne);
    });

    it('fails only the message that cannot be applied', async () => {
      const broken = structuredClone(otherVpc());
      broken.interfaces[0]!.privateIps = ['not-an-ip'];

      const outcomes = await applyMessages(db, [running, broken, stopped(60)]);

      expect(outcomes.map((o) => o.outcome)).toEqual(['applied', 'failed', 'applied']);
      expect(outcomes[1]).toMatchObject({ instanceId: broken.instanceId, error: expect.any(IpamError) });
      expect((await show(db, broken.instanceId)).devices).toEqual([]);
      expect((await show(db, running.instanceId)).devices[0]?.state).toBe('stopped');
    });

    it('returns nothing for no messages', async () => {
      expect(await applyMessages(db, [])).toEqual([]);
    });
  });

  describe('show', () => {
    it('finds who holds an IP and the networks that contain it', async () => {
      await applyMessage(db, running);

      const seen = await show(db, '10.0.1.10');

      expect(seen.kind).toBe('ip');
      expect(seen.devices.map((d) => d.instanceId)).toEqual([running.instanceId]);
      expect(seen.networks.map((n) => n.cidr)).toEqual(['10.0.1.0/24', '10.0.0.0/16']);
    });

    it('finds the networks and live addresses in a CIDR', async () => {
      await applyMessage(db, running);
      await applyMessage(db, otherVpc());

      const seen = await show(db, '10.0.1.0/24');

      expect(seen.kind).toBe('cidr');
      expect(seen.networks.map((n) => [n.resourceId, n.cidr])).toEqual([
        ['vpc-0aaaaaaaaaaaaaaa1', '10.0.0.0/16'],
        ['subnet-0aaaaaaaaaaaaaaa1', '10.0.1.0/24'],
      ]);
      expect(seen.addresses.map((a) => a.address)).toEqual(['10.0.1.10']);
    });

    it('finds an instance by its id', async () => {
      await applyMessage(db, running);

      const seen = await show(db, 'i-0aaaaaaaaaaaaaaa1');

      expect(seen.kind).toBe('instance');
      expect(seen.devices).toHaveLength(1);
      expect(seen.history).toHaveLength(1);
    });

    it('returns nothing for an address nobody holds', async () => {
      await applyMessage(db, running);

      const seen = await show(db, '192.0.2.1');

      expect(seen).toEqual(expect.objectContaining({ devices: [], addresses: [], networks: [] }));
    });

    it('fails with IpamError on something that is none of ip, cidr or instance id', async () => {
      await expect(show(db, 'web-1')).rejects.toThrow(IpamError);
    });
  });

  describe('subnetUsage', () => {
    it('counts the live private addresses of each IPv4 subnet against its size', async () => {
      await applyMessage(db, running);
      const neighbour = later(0, { instanceId: 'i-0ddddddddddddddd4' });
      neighbour.interfaces[0]!.interfaceId = 'eni-0ddddddddddddddd4';
      neighbour.interfaces[0]!.privateIps = ['10.0.1.11', '10.0.1.12'];
      neighbour.interfaces[0]!.publicIps = [];
      await applyMessage(db, neighbour);

      const usage = await subnetUsage(db);

      expect(usage).toEqual([
        expect.objectContaining({ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.0.1.0/24', used: 3, total: 256, usable: 251 }),
      ]);
    });

    it('stops counting the addresses of a terminated instance', async () => {
      await applyMessage(db, running);
      await applyMessage(db, terminated(60));

      const [usage] = await subnetUsage(db);

      expect(usage?.used).toBe(0);
    });
  });

  describe('overlaps', () => {
    it('finds two VPCs in different accounts whose CIDRs overlap', async () => {
      await applyMessage(db, running);
      await applyMessage(db, otherVpc());

      const found = await overlaps(db);

      expect(found.map(({ a, b }) => [a.account, a.vpcId, a.cidr, b.account, b.vpcId, b.cidr])).toEqual([
        ['111111111111', 'vpc-0aaaaaaaaaaaaaaa1', '10.0.0.0/16', '222222222222', 'vpc-0bbbbbbbbbbbbbbb2', '10.0.128.0/17'],
      ]);
    });

    it('finds two VPCs of one account whose CIDRs overlap, but not the blocks of one VPC', async () => {
      await applyMessage(db, running);
      const sameAccount = otherVpc();
      sameAccount.account = running.account;
      sameAccount.vpcs[0]!.cidrs = ['10.0.128.0/17', '10.1.0.0/16'];
      await applyMessage(db, sameAccount);

      const found = await overlaps(db);

      expect(found.map(({ a, b }) => [a.vpcId, a.cidr, b.vpcId, b.cidr])).toEqual([
        ['vpc-0aaaaaaaaaaaaaaa1', '10.0.0.0/16', 'vpc-0bbbbbbbbbbbbbbb2', '10.0.128.0/17'],
      ]);
    });

    it('leaves out VPC blocks marked deleted', async () => {
      await applyMessage(db, running);
      await applyMessage(db, otherVpc());
      await db.query(`UPDATE networks SET deleted_at = now() WHERE resource_id = 'vpc-0bbbbbbbbbbbbbbb2'`);

      expect(await overlaps(db)).toEqual([]);
    });

    it('finds none when the VPC blocks are disjoint', async () => {
      await applyMessage(db, running);
      const disjoint = otherVpc();
      disjoint.vpcs[0]!.cidrs = ['10.1.0.0/16'];
      disjoint.subnets[0]!.cidr = '10.1.200.0/24';
      disjoint.interfaces[0]!.privateIps = ['10.1.200.5'];
      await applyMessage(db, disjoint);

      expect(await overlaps(db)).toEqual([]);
    });
  });
});

describe('openPglite with a data directory', () => {
  it('keeps the golden records across a close and a reopen', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reflex-ipam-'));
    try {
      const first = await openPglite(dir);
      await migrate(first);
      await applyMessage(first, running);
      await first.close();

      const second = await openPglite(dir);
      const migrated = await migrate(second);
      const seen = await show(second, '10.0.1.10');
      await second.close();

      expect(migrated).toEqual([]);
      expect(seen.devices.map((d) => d.instanceId)).toEqual([running.instanceId]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
