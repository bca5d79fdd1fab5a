import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { type Db, IpamError, applyMessage, migrate, openPglite, overlaps, show, subnetUsage, vpcBlocksOverlapping } from './index';
import { backends, useStore } from './test-store';
import { later, otherVpc, running, terminated } from './test-messages';

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

  describe('vpcBlocksOverlapping', () => {
    it('finds the live VPC blocks that contain or lie in each CIDR, and none for a disjoint one', async () => {
      await applyMessage(db, running);
      await applyMessage(db, otherVpc());

      const found = await vpcBlocksOverlapping(db, ['10.0.0.0/8', '10.0.200.0/24', '192.168.0.0/16']);

      expect(found.map(({ cidr, block }) => [cidr, block.vpcId, block.cidr])).toEqual([
        ['10.0.0.0/8', 'vpc-0aaaaaaaaaaaaaaa1', '10.0.0.0/16'],
        ['10.0.0.0/8', 'vpc-0bbbbbbbbbbbbbbb2', '10.0.128.0/17'],
        ['10.0.200.0/24', 'vpc-0aaaaaaaaaaaaaaa1', '10.0.0.0/16'],
        ['10.0.200.0/24', 'vpc-0bbbbbbbbbbbbbbb2', '10.0.128.0/17'],
      ]);
    });

    it('leaves out VPC blocks marked deleted, and answers nothing for no CIDRs', async () => {
      await applyMessage(db, running);
      await db.query(`UPDATE networks SET deleted_at = now() WHERE resource_id = 'vpc-0aaaaaaaaaaaaaaa1'`);

      expect(await vpcBlocksOverlapping(db, ['10.0.0.0/16'])).toEqual([]);
      expect(await vpcBlocksOverlapping(db, [])).toEqual([]);
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
