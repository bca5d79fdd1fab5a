import { describe, expect, it } from '@jest/globals';
import { normalizeIp } from '@reflex/ip';
import { type Db, IpamError } from '../db';
import { show } from '../queries';
import { backends, useStore } from '../test-store';
import { later, otherVpc, running, stopped, terminated } from '../test-messages';
import { applyMessage, applyMessages } from './messages';

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

describe.each(backends())('applying messages on $name', (backend) => {
  let db: Db;

  useStore(backend, (opened) => (db = opened));

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
});
