import { applyMessages } from '../src/apply';
import { migrate, openPglite } from '../src/index';
const db = await openPglite();
await migrate(db);
const hex = (n: number) => n.toString(16).padStart(17, '0');
const mk = (i: number, t = 0) => { const v = i % 50, s = i % 200; return {
    schemaVersion: 1 as const, account: '111111111111', region: 'eu-west-1', eventTime: new Date(1772359200000 + i + t).toISOString(),
    instanceId: `i-${hex(i)}`, state: 'running' as const, version: 1772359200000 + i + t,
    instance: { instanceType: 't3.micro', architecture: 'x86_64', cpuCores: 1, availabilityZone: 'eu-west-1a', launchTime: '2026-03-01T09:59:30.000Z', name: `n${i}`, tags: { Name: `n${i}` } },
    interfaces: [{ interfaceId: `eni-${hex(i)}`, subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, privateIps: [`10.${v}.${s}.${(i % 250) + 4}`], publicIps: [], ipv6: [], macAddress: '02:00:00:00:00:01' }],
    subnets: [{ subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, cidr: `10.${v}.${s}.0/24`, ipv6Cidrs: [] }],
    vpcs: [{ vpcId: `vpc-${hex(v)}`, cidrs: [`10.${v}.0.0/16`] }],
  }; };
for (let i = 0; i < 20000; i += 500) await applyMessages(db, Array.from({ length: 500 }, (_, j) => mk(i + j)));
await db.exec('ANALYZE');
const orig = db.query.bind(db);
(db as any).query = async (sql: string, p: any) => { if (sql.trim().startsWith('WITH') || sql.includes('FROM devices')) { const r = await orig('EXPLAIN ANALYZE ' + sql, p); console.log(r.map((x: any) => x['QUERY PLAN']).join('\n')); } return orig(sql, p); };
const origTx = db.transaction.bind(db);
(db as any).transaction = (fn: any) => origTx((tx: any) => fn({ ...tx, query: async (sql: string, p: any) => { if (sql.trim().startsWith('WITH') || sql.includes('FROM devices')) { const r = await tx.query('EXPLAIN ANALYZE ' + sql, p); console.log(r.map((x: any) => x['QUERY PLAN']).join('\n')); console.log('----'); } return tx.query(sql, p); } }));
await applyMessages(db, [mk(5, 100000)]);
