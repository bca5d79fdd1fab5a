// `reflex ipam show|subnets|overlaps` on an embedded store, as a child process like `pnpm reflex ipam …`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { IpamInstanceMessageSchema } from '@reflex/events';
import { applyMessage, openStore } from '@reflex/ipam';
import { repoRoot } from '@reflex/manifest';
import { reflexInProcess } from './reflex-cli';

const dir = mkdtempSync(join(tmpdir(), 'reflex-ipam-cli-'));
const dataDir = join(dir, 'ipam');
const running = IpamInstanceMessageSchema.parse(
  JSON.parse(readFileSync(join(repoRoot(), 'packages', 'ipam', 'fixtures', 'enricher', 'running.json'), 'utf8')),
);
jest.setTimeout(30_000);
const ipam = (...args: string[]) => reflexInProcess(['ipam', ...args], { IPAM_DATA_DIR: dataDir });

beforeAll(async () => {
  const db = await openStore({ dataDir });
  await applyMessage(db, running);
  await db.close();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reflex ipam', () => {
  it('shows who holds an address: the instance, its interface, subnet and VPC', async () => {
    const ip = running.interfaces[0]!.privateIps[0]!;

    const run = await ipam('show', ip);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(running.instanceId);
    expect(run.stdout).toMatch(new RegExp(`${ip.replaceAll('.', '\\.')}\\s+private\\s+${running.instanceId}`));
    expect(run.stdout).toContain(running.interfaces[0]!.subnetId);
  });

  it('shows an instance with its history as JSON', async () => {
    const run = await ipam('show', running.instanceId, '--json');

    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ kind: 'instance', devices: [{ instanceId: running.instanceId, state: 'running' }] });
    expect(result.history).toHaveLength(1);
  });

  it('marks the blocks reconciliation found gone from EC2 as deleted, after the live ones', async () => {
    const vpc = running.interfaces[0]!.vpcId;
    const db = await openStore({ dataDir });
    try {
      await db.exec(`UPDATE networks SET deleted_at = '2026-12-01T00:00:00Z' WHERE resource_id = '${vpc}'`);
    } finally {
      await db.close();
    }

    const run = await ipam('show', running.interfaces[0]!.privateIps[0]!);

    expect(run.code).toBe(0);
    const networks = run.stdout.split('networks:\n')[1]!.split('\n').filter((l) => l.startsWith('  '));
    expect(networks.at(-1)).toMatch(new RegExp(`^  vpc ${vpc} .* — deleted 2026-12-01T00:00:00\\.000Z`));
    expect(networks.slice(0, -1).every((l) => !l.includes('deleted'))).toBe(true);
  });

  it('says so when the IPAM knows nothing of an address', async () => {
    const run = await ipam('show', '192.0.2.1');

    expect(run.code).toBe(0);
    expect(run.stdout).toContain('nothing in the IPAM for 192.0.2.1');
  });

  it('prints used/usable addresses per subnet with a bar', async () => {
    const run = await ipam('subnets');

    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^subnet\s+cidr\s+vpc\s+account\s+usage\s+used\/usable/m);
    expect(run.stdout).toMatch(new RegExp(`${running.subnets[0]!.subnetId}.*\\[[█░]{20}\\]`));
  });

  it('finds no overlap with one VPC', async () => {
    const run = await ipam('overlaps');

    expect(run.stdout).toContain('no overlapping VPC blocks');
  });

  it.each([
    [['show'], 'show takes one IP address, CIDR or instance id'],
    [['show', 'web-1'], '"web-1" is no IP address, CIDR or instance id'],
    [['nope'], 'unknown ipam command "nope"'],
    [[], 'expected show, subnets, overlaps, reconcile or worker'],
  ])('exits 2 on %j: %s', async (args, message) => {
    const run = await ipam(...args);

    expect(run.code).toBe(2);
    expect(run.stderr).toContain(message);
  });
});
