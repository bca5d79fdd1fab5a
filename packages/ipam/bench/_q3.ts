import { applyMessage, migrate, openPglite } from '../src/index';
import type { Queryable } from '../src/db';
const db = await openPglite();
await migrate(db);
const stats = new Map<string, [number, number]>();
const origTx = db.transaction.bind(db);
(db as any).transaction = (fn: any) => origTx((tx: Queryable) => fn({
  ...tx,
  query: async (sql: string, p: any) => { const t = performance.now(); const r = await tx.query(sql, p); const k = sql.trim().slice(0, 50).replace(/\s+/g, ' '); const s = stats.get(k) ?? [0, 0]; s[0]++; s[1] += performance.now() - t; stats.set(k, s); return r; },
}));
const N = 2000;
const hex = (n: number) => n.toString(16).padStart(17, '0');
const t = performance.now();
for (let i = 0; i < N; i++) {
  const v = i % 50, s = i % 200;
  await applyMessage(db, {
    schemaVersion: 1 as const, account: '111111111111', region: 'eu-west-1', eventTime: new Date(1772359200000 + i).toISOString(),
    instanceId: `i-${hex(i)}`, state: 'running' as const, version: 1772359200000 + i,
    instance: { instanceType: 't3.micro', architecture: 'x86_64', cpuCores: 1, availabilityZone: 'eu-west-1a', launchTime: '2026-03-01T09:59:30.000Z', name: `n${i}`, tags: { Name: `n${i}` } },
    interfaces: [{ interfaceId: `eni-${hex(i)}`, subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, privateIps: [`10.${v}.${s}.${(i % 250) + 4}`], publicIps: [], ipv6: [], macAddress: '02:00:00:00:00:01' }],
    subnets: [{ subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, cidr: `10.${v}.${s}.0/24`, ipv6Cidrs: [] }],
    vpcs: [{ vpcId: `vpc-${hex(v)}`, cidrs: [`10.${v}.0.0/16`] }],
  });
}
const total = performance.now() - t;
console.log(`${(N / total * 1000).toFixed(0)} msg/s`, 'per msg us', (total / N * 1000).toFixed(0));
for (const [k, [n, ms]] of stats) console.log(k.padEnd(52), n, (ms / n * 1000).toFixed(0), 'us');
