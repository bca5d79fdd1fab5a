import { PGlite } from '@electric-sql/pglite';
const pg = await PGlite.create();
await pg.exec("CREATE TABLE t (a int, b jsonb)");
await pg.exec("PREPARE ins (jsonb) AS INSERT INTO t SELECT (x->>'a')::int, x FROM jsonb_array_elements($1) x RETURNING a");
const r = await pg.query('EXECUTE ins($1)', [JSON.stringify([{ a: 1 }, { a: 2 }])]);
console.log(r.rows);
console.log((await pg.query("select name, generic_plans, custom_plans from pg_prepared_statements")).rows);
