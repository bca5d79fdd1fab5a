import { PGlite } from '@electric-sql/pglite';
const pg = await PGlite.create();
for (const s of ['shared_buffers','max_files_per_process','wal_buffers','work_mem','checkpoint_timeout','max_wal_size','fsync','wal_sync_method','track_counts','track_io_timing','track_activities','effective_io_concurrency','io_method','autovacuum','wal_compression','wal_init_zero','wal_recycle','full_page_writes','huge_pages','temp_buffers','min_wal_size','commit_delay','synchronous_commit'])
  console.log(s, (await pg.query(`SHOW ${s}`)).rows[0]);
import { openPglite } from '../src/index';
const db = await openPglite(); console.log(await db.query('SHOW wal_init_zero'));
