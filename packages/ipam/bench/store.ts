// The IPAM store's raw apply rate: distinct instances with typical messages (1–2 interfaces, one subnet,
// one VPC) applied into PGlite (in memory and in a data directory) and a PostgreSQL 15 server: in batches
// of [batch size] (`applyMessages`, one transaction each), in batches of 10 (one SQS receive), and one by
// one (`applyMessage`), after an unmeasured warm-up of 2,000 messages into a throwaway store. Target:
// ≥ 2,000 messages/s into PGlite in batches of [batch size]; exits non-zero when it is not met.
//
//   cd packages/ipam && pnpm exec tsx bench/store.ts [messages=10000] [batch size=100]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IpamInstanceMessage } from '@reflex/events';
import { type Db, applyMessage, applyMessages, migrate, openPglite, openPostgres } from '../src/index';
import { startPostgres } from '@reflex/local-aws';

const TARGET = 2_000;
const COUNT = Number(process.argv[2] ?? 10_000);
const BATCH = Number(process.argv[3] ?? 100);
const SMALL = Math.min(COUNT, 2_000);
const SINGLE = Math.min(COUNT, 1_000);
const T0 = Date.parse('2026-03-01T10:00:00.000Z');

const hex = (n: number, width = 17) => n.toString(16).padStart(width, '0');

/** Instance `i` of a fleet spread over 40 VPCs of 8 subnets; every third has a second interface. */
function message(i: number): IpamInstanceMessage {
  const vpc = i % 40;
  const subnet = Math.floor(i / 40) % 8;
  const host = Math.floor(i / 320);
  const subnetId = `subnet-${hex(vpc * 8 + subnet)}`;
  const vpcId = `vpc-${hex(vpc)}`;
  const v6prefix = `2001:db8:${hex(vpc, 1)}:${hex(subnet, 1)}`;
  const eni = (n: number) => ({
    interfaceId: `eni-${hex(i * 2 + n)}`,
    subnetId,
    vpcId,
    privateIps: [`10.${vpc}.${subnet * 32 + Math.floor(host / 250)}.${(host % 250) + 4 + n}`],
    publicIps: n === 0 && i % 2 === 0 ? [`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`] : [],
    ipv6: i % 4 === 0 ? [`${v6prefix}::${hex(i * 2 + n, 1)}`] : [],
    macAddress: `02:00:00:${hex(i >> 8, 2).slice(-2)}:${hex(i & 255, 2)}:0${n}`,
  });
  const eventTime = new Date(T0 + i).toISOString();
  return {
    schemaVersion: 1,
    account: '111111111111',
    region: 'eu-west-1',
    eventTime,
    instanceId: `i-${hex(i)}`,
    state: 'running',
    version: T0 + i,
    instance: {
      instanceType: 't3.micro',
      architecture: 'x86_64',
      cpuCores: 1,
      availabilityZone: 'eu-west-1a',
      launchTime: '2026-03-01T09:00:00.000Z',
      name: `web-${i}`,
      tags: { Name: `web-${i}`, team: 'net' },
    },
    interfaces: i % 3 === 0 ? [eni(0), eni(1)] : [eni(0)],
    subnets: [{ subnetId, vpcId, cidr: `10.${vpc}.${subnet * 32}.0/19`, ipv6Cidrs: i % 4 === 0 ? [`${v6prefix}::/64`] : [] }],
    vpcs: [{ vpcId, cidrs: [`10.${vpc}.0.0/16`] }],
  };
}

async function rate(db: Db, messages: readonly IpamInstanceMessage[], batch: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < messages.length; i += batch) {
    const chunk = messages.slice(i, i + batch);
    const outcomes = batch === 1 ? [await applyMessage(db, chunk[0]!)] : await applyMessages(db, chunk);
    const wrong = outcomes.find((o) => o.outcome !== 'applied');
    if (wrong) throw new Error(`expected every message applied, got ${JSON.stringify(wrong)}`);
  }
  return messages.length / ((performance.now() - started) / 1000);
}

interface Target {
  name: string;
  pglite: boolean;
  open(): Promise<{ db: Db; close(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'PGlite, in memory',
    pglite: true,
    async open() {
      const db = await openPglite();
      return { db, close: () => db.close() };
    },
  },
  {
    name: 'PGlite, data directory',
    pglite: true,
    async open() {
      const dir = mkdtempSync(join(tmpdir(), 'reflex-ipam-bench-'));
      const db = await openPglite(dir);
      return { db, close: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })) };
    },
  },
  {
    name: 'PostgreSQL 15 server',
    pglite: false,
    async open() {
      const server = await startPostgres();
      const db = await openPostgres(server.url);
      return {
        db,
        async close() {
          await db.close();
          // Let the pool's sockets finish closing first: a server shutting down under an idle client is an error.
          await new Promise((r) => setTimeout(r, 200));
          await server.stop();
        },
      };
    },
  },
];

const messages = Array.from({ length: COUNT + SMALL + SINGLE }, (_, i) => message(i));
const perInterface = messages.reduce((n, m) => n + m.interfaces.length, 0) / messages.length;
console.log(
  `node ${process.version}; ${COUNT} distinct instances (${perInterface.toFixed(2)} interfaces/message) in batches of ${BATCH}, ` +
    `${SMALL} more in batches of 10, ${SINGLE} more one by one; target ≥ ${TARGET} messages/s into PGlite in batches of ${BATCH}`,
);

// Warm-up, not measured: V8 compiles PGlite's WebAssembly in tiers while it first runs, so the first store
// measured would otherwise pay for compiling what every later one (and a long-running worker) reuses.
{
  const warm = await openPglite();
  await migrate(warm);
  await rate(warm, Array.from({ length: 2_000 }, (_, i) => message(COUNT + SMALL + SINGLE + i)), BATCH);
  await warm.close();
}

let failed = false;
for (const target of targets) {
  let opened: Awaited<ReturnType<Target['open']>>;
  try {
    opened = await target.open();
  } catch (error) {
    console.log(`${target.name.padEnd(24)} skipped: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    continue;
  }
  try {
    await migrate(opened.db);
    const batched = await rate(opened.db, messages.slice(0, COUNT), BATCH);
    const small = await rate(opened.db, messages.slice(COUNT, COUNT + SMALL), 10);
    const single = await rate(opened.db, messages.slice(COUNT + SMALL), 1);
    const met = batched >= TARGET;
    if (target.pglite && !met) failed = true;
    console.log(
      `${target.name.padEnd(24)} batches of ${BATCH}: ${batched.toFixed(0).padStart(5)} msg/s ${met ? '✓' : '✗'}` +
        `   batches of 10: ${small.toFixed(0).padStart(5)} msg/s   one by one: ${single.toFixed(0).padStart(4)} msg/s`,
    );
  } finally {
    await opened.close();
  }
}
console.log(failed ? `FAIL: PGlite applies fewer than ${TARGET} messages/s` : `OK: target of ${TARGET} messages/s met`);
process.exit(failed ? 1 : 0);
