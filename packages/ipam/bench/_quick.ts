import { applyMessage, migrate, openPglite } from '../src/index';
const db = await openPglite();
await migrate(db);
const N = 3000;
const msgs = Array.from({ length: N }, (_, i) => {
  const v = i % 50, s = i % 200;
  const hex = (n: number) => n.toString(16).padStart(17, '0');
  return {
    schemaVersion: 1 as const, account: '111111111111', region: 'eu-west-1', eventTime: new Date(1772359200000 + i).toISOString(),
    instanceId: `i-${hex(i)}`, state: 'running' as const, version: 1772359200000 + i,
    instance: { instanceType: 't3.micro', architecture: 'x86_64', cpuCores: 1, availabilityZone: 'eu-west-1a', launchTime: '2026-03-01T09:59:30.000Z', name: `n${i}`, tags: { Name: `n${i}` } },
    interfaces: [{ interfaceId: `eni-${hex(i)}`, subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, privateIps: [`10.${v}.${s}.${(i % 250) + 4}`], publicIps: [], ipv6: [], macAddress: '02:00:00:00:00:01' }],
    subnets: [{ subnetId: `subnet-${hex(s)}`, vpcId: `vpc-${hex(v)}`, cidr: `10.${v}.${s}.0/24`, ipv6Cidrs: [] }],
    vpcs: [{ vpcId: `vpc-${hex(v)}`, cidrs: [`10.${v}.0.0/16`] }],
  };
});
const t = performance.now();
for (const m of msgs) await applyMessage(db, m);
const s = (performance.now() - t) / 1000;
console.log(`${(N / s).toFixed(0)} msg/s`);
import { applyMessages } from '../src/apply';
const db2 = await openPglite();
await migrate(db2);
const t2 = performance.now();
for (let i = 0; i < N; i += 250) { const r = await applyMessages(db2, msgs.slice(i, i + 250)); if (r.some((x) => x.outcome !== 'applied')) throw new Error(JSON.stringify(r.find((x) => x.outcome !== 'applied'))); }
const s2 = (performance.now() - t2) / 1000;
console.log(`batched ${(N / s2).toFixed(0)} msg/s`);
