import { openPglite, migrate } from '../src/index';
const db = await openPglite(); await migrate(db);
for (const [name, sql, p] of [['select1', 'SELECT $1::int AS x', [1]], ['devsel', 'SELECT instance_id, version::float8 AS version, state FROM devices WHERE instance_id = ANY ($1::text[])', [Array.from({length:100},(_, i)=>'i-'+i)]]] as const) {
  for (let r = 0; r < 2; r++) { const t = performance.now(); for (let i = 0; i < 500; i++) await db.query(sql, p as any); console.log(name, ((performance.now() - t) / 500).toFixed(3), 'ms'); }
}
let t = performance.now(); for (let i = 0; i < 300; i++) await db.transaction(async (tx) => { await tx.query('SELECT 1'); }); console.log('tx+select1', ((performance.now() - t) / 300).toFixed(3));
