import { openPglite, migrate } from '../src/index';
const db = await openPglite(); await migrate(db);
await db.exec("INSERT INTO devices (instance_id, account, region, state, first_seen, last_seen, version) SELECT 'i-'||g, 'a', 'r', 'running', now(), now(), 1 FROM generate_series(1,1000) g");
await db.exec("UPDATE devices SET state='stopped' WHERE instance_id < 'i-5'");
console.log(await db.query("SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze, n_tup_ins FROM pg_stat_user_tables"));
let t = performance.now(); await db.exec('ANALYZE devices'); console.log('analyze ms', performance.now() - t);
t = performance.now(); await db.exec('VACUUM devices'); console.log('vacuum ms', performance.now() - t);
console.log(await db.query("SELECT relname, n_live_tup, n_dead_tup, n_mod_since_analyze FROM pg_stat_user_tables WHERE relname='devices'"));
