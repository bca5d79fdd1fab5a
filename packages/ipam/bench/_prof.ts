import type { IpamInstanceMessage } from '@reflex/events';
import { type Db, type Queryable, applyMessages, migrate, openPglite } from '../src/index';
// reuse message generator by importing store bench is not possible (top-level run); copy minimal
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const hex = (n: number, width = 17) => n.toString(16).padStart(width, '0');
function message(i: number): IpamInstanceMessage {
  const vpc = i % 40; const subnet = Math.floor(i / 40) % 8; const host = Math.floor(i / 320);
  const subnetId = `subnet-${hex(vpc * 8 + subnet)}`; const vpcId = `vpc-${hex(vpc)}`;
  const v6prefix = `2001:db8:${hex(vpc, 1)}:${hex(subnet, 1)}`;
  const eni = (n: number) => ({ interfaceId: `eni-${hex(i * 2 + n)}`, subnetId, vpcId,
    privateIps: [`10.${vpc}.${subnet * 32 + Math.floor(host / 250)}.${(host % 250) + 4 + n}`],
    publicIps: n === 0 && i % 2 === 0 ? [`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`] : [],
    ipv6: i % 4 === 0 ? [`${v6prefix}::${hex(i * 2 + n, 1)}`] : [],
    macAddress: `02:00:00:${hex(i >> 8, 2).slice(-2)}:${hex(i & 255, 2)}:0${n}` });
  return { schemaVersion: 1, account: '111111111111', region: 'eu-west-1', eventTime: new Date(T0 + i).toISOString(),
    instanceId: `i-${hex(i)}`, state: 'running', version: T0 + i,
    instance: { instanceType: 't3.micro', architecture: 'x86_64', cpuCores: 1, availabilityZone: 'eu-west-1a',
      launchTime: '2026-03-01T09:00:00.000Z', name: `web-${i}`, tags: { Name: `web-${i}`, team: 'net' } },
    interfaces: i % 3 === 0 ? [eni(0), eni(1)] : [eni(0)],
    subnets: [{ subnetId, vpcId, cidr: `10.${vpc}.${subnet * 32}.0/19`, ipv6Cidrs: i % 4 === 0 ? [`${v6prefix}::/64`] : [] }],
    vpcs: [{ vpcId, cidrs: [`10.${vpc}.0.0/16`] }] } as IpamInstanceMessage;
}
let explainNow = false;
const times = new Map<string, number>();
function timed(q: Queryable): Queryable {
  return { exec: q.exec, query: async (sql, params) => { if (explainNow && !sql.includes('advisory')) { const rows = await q.query<any>('EXPLAIN (ANALYZE, VERBOSE) ' + sql, params); console.log(rows.map((r) => r['QUERY PLAN']).filter((l: string) => !/Output:|Function Call|Filter: \(\(i.detached|Filter: \(a.instance_id|Index Cond: \(devices/.test(l)).map((l: string) => l.slice(0, 220)).join('\n')); return [] as any; }
    const t = performance.now(); const r = await q.query(sql, params);
    const k = sql.replace(/\s+/g, ' ').slice(0, 60); times.set(k, (times.get(k) ?? 0) + performance.now() - t); return r as any; } };
}
let srv: any;
async function open(): Promise<Db> {
  if (process.env.PG) { const { startPostgres } = await import('../src/testing/postgres-server'); const { openPostgres } = await import('../src/index'); srv = await startPostgres(); return openPostgres(srv.url); }
  if (process.env.GUC) {
    const { PGlite } = await import('@electric-sql/pglite');
    const extra = process.env.GUC.split(' ').filter(Boolean).flatMap((g) => ['-c', g]);
    const pg = await PGlite.create(process.env.DIR, { startParams: ["--single","-F","-O","-j","-c","search_path=public","-c","exit_on_error=false","-c","log_checkpoints=false","-c","max_worker_processes=0","-c","max_parallel_workers=0","-c","max_parallel_workers_per_gather=0","-c","io_method=sync","-c","max_parallel_maintenance_workers=0", ...extra] });
    const wrap = (q: any): Queryable => ({ query: async (sql: string, params: readonly unknown[] = []) => (await q.query(sql, [...params])).rows, exec: async (sql: string) => { await q.exec(sql); } });
    return { kind: 'pglite', ...wrap(pg), transaction: (fn) => pg.transaction((tx) => fn(wrap(tx))), close: () => pg.close() };
  }
  return openPglite(process.env.DIR, { maintenanceIntervalMs: Number(process.env.MAINT ?? 1000) });
}
const db0 = await open();
if (process.env.TIMEANALYZE) { const { maintainTables } = await import('../src/index'); const orig = maintainTables; }
if (process.env.GUC) console.log((await db0.query("select current_setting('full_page_writes') f, current_setting('wal_level') w, current_setting('synchronous_commit') s, version() v"))[0]);
await migrate(db0);
if (process.env.EXP) await db0.exec(process.env.EXP);
const db: Db = { ...db0, transaction: (fn) => db0.transaction((tx) => fn(timed(tx))) };
const N = Number(process.argv[2] ?? 10000);
const msgs = Array.from({ length: N }, (_, i) => message(i));
const cpu0 = process.cpuUsage(); const t = performance.now(); const h0 = process.hrtime.bigint();
const B = Number(process.env.BATCH ?? 100); for (let i = 0; i < N; i += B) { explainNow = !!process.env.EXPLAIN && i === Number(process.env.EXPLAIN); await applyMessages(db, msgs.slice(i, i + B)); if (process.env.ANALYZE && i % 1000 === 0) await db0.exec('ANALYZE'); }
const total = performance.now() - t;
const cu = process.cpuUsage(cpu0); (await import('node:fs')).writeFileSync('/tmp/window', `${h0 / 1000n} ${process.hrtime.bigint() / 1000n}`); console.log(`${(N / total * 1000).toFixed(0)} msg/s total ${total.toFixed(0)} ms cpu ${((cu.user + cu.system) / 1000).toFixed(0)} ms`);
if (process.env.TIMEANALYZE) { for (const t of ['devices','interfaces','addresses','history','networks']) { const t0 = performance.now(); await db0.exec('ANALYZE ' + t); console.log('analyze', t, (performance.now() - t0).toFixed(0)); } }
for (const [k, v] of times) console.log(v.toFixed(0).padStart(6), k);

await db0.close(); await srv?.stop?.();
