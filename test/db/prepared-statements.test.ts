/**
 * Embedded mode names the statements it sends, so PGlite parses and plans each once: checked by
 * what PostgreSQL itself lists in pg_prepared_statements, with the bound on how many it keeps.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import { createPgConfig } from '@electric-sql/pglite/node-postgres';
import { migrate, openEmbedded, openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { loadConfig } from '../../src/config.js';
import { namePreparedStatements, statementName } from '../../src/db/prepared.js';

test('statements whose columns come from * are not named (an alter table would change them); count(*) is', () => {
  assert.equal(statementName('select * from "history" where "complaint_id" = $1'), null);
  assert.equal(statementName('select r.*, coalesce(x, 0) from residents r where r.id = $1'), null);
  assert.equal(statementName('select "complaints".* from "complaints" where "id" = $1'), null);
  assert.equal(statementName('insert into "notes" ("body") values ($1) returning *'), null);
  assert.match(statementName('select count(*) as "total" from "complaints" where "status" = $1') ?? '', /^k0_/);
  assert.equal(statementName('select\n*\nfrom "history" where "id" = $1'), null);
  assert.equal(statementName('select "id", * from "history" where "id" = $1'), null);
  assert.equal(statementName('select distinct on ("a") * from "t" where "b" = $1'), null);
  assert.equal(statementName('SELECT * FROM "t" WHERE "b" = $1'), null);
  // A multiplication is not a list of columns.
  assert.match(statementName("select date_part('epoch', at)::bigint * 1000 as ms, x *2 from t where id = $1") ?? '', /^k0_/);
  assert.equal(statementName('select "id" from "users" where "id" = $1'), statementName('select "id" from "users" where "id" = $1'));
  assert.notEqual(statementName('select "id" from "users" where "id" = $1'), statementName('select "id" from "users" where "id" = $1', 1));
});

async function prepared(run: (text: string) => Promise<unknown>): Promise<string[]> {
  const r = (await run('select statement from pg_prepared_statements order by statement')) as { rows: { statement: string }[] };
  return r.rows.map((x) => x.statement);
}

let h: DatabaseHandle;
before(async () => {
  h = await openEmbedded(null);
  await migrate(h.db);
});
after(async () => {
  await h?.close();
});

test('the embedded database parses a statement with parameters once and reuses it; * and parameterless ones stay unnamed', async () => {
  const run = (text: string) => sql.raw(text).execute(h.db);
  const byId = (id: string) => h.db.selectFrom('users').select(['id', 'name']).where('id', '=', id).execute();
  const id = '00000000-0000-4000-8000-000000000000';
  assert.deepEqual(await byId(id), []);
  assert.deepEqual(await byId(id), []);
  await h.db.selectFrom('users').selectAll().where('id', '=', id).execute();
  const list = await prepared(run);
  const text = h.db.selectFrom('users').select(['id', 'name']).where('id', '=', id).compile().sql;
  assert.equal(list.filter((s) => s === text).length, 1, `prepared once: ${JSON.stringify(list)}`);
  assert.equal(list.filter((s) => s.startsWith('select * from "users"')).length, 0, 'select * is not kept');
  assert.equal(list.filter((s) => s.includes('pg_prepared_statements')).length, 0, 'a statement without parameters is not kept');
});

test('no more than the bound are kept per connection; past it, statements still run, unnamed', async () => {
  const lite = new PGlite();
  const pool = namePreparedStatements(new pg.Pool({ ...(createPgConfig(lite) as any), max: 1 }), 3);
  // As Kysely uses it: a client from the pool, queried with promises.
  const client = await pool.connect();
  try {
    for (let i = 1; i <= 6; i++) {
      const r = await client.query(`select $1::int + ${i} as n`, [i]);
      assert.equal(r.rows[0].n, 2 * i);
      const again = await client.query(`select $1::int + ${i} as n`, [10]);
      assert.equal(again.rows[0].n, 10 + i);
    }
    const kept = await prepared((text) => client.query(text));
    assert.equal(kept.length, 3, JSON.stringify(kept));
  } finally {
    client.release();
    await pool.end();
    await lite.close();
  }
});

test('after a schema change through the connection, statements are prepared afresh and see the new columns', async () => {
  const lite = new PGlite();
  const pool = namePreparedStatements(new pg.Pool({ ...(createPgConfig(lite) as any), max: 1 }));
  const client = await pool.connect();
  try {
    await client.query('create table t (a int, b text)');
    await client.query("insert into t values (1, 'one')");
    const q = 'select a, b from t where b = $1';
    assert.deepEqual((await client.query(q, ['one'])).rows, [{ a: 1, b: 'one' }]);
    assert.deepEqual((await client.query(q, ['one'])).rows, [{ a: 1, b: 'one' }]);
    assert.deepEqual(await prepared((text) => client.query(text)), [q], 'the statement is prepared once');
    // A migration changes the type of a column the statement returns: reusing the prepared
    // statement would be refused (its result changed), so it is prepared again under a new name.
    await client.query('alter table t alter column a type text');
    assert.deepEqual((await client.query(q, ['one'])).rows, [{ a: '1', b: 'one' }]);
    assert.deepEqual(await prepared((text) => client.query(text)), [q, q], 'prepared again after the change');
  } finally {
    client.release();
    await pool.end();
    await lite.close();
  }
});

test('on a PostgreSQL server statements are named too, unless DATABASE_PREPARED_STATEMENTS=false turns it off (for poolers that cannot keep them)', { skip: !process.env.PUTRIGHT_TEST_DATABASE_URL && 'PUTRIGHT_TEST_DATABASE_URL is not set' }, async () => {
  const url = process.env.PUTRIGHT_TEST_DATABASE_URL!;
  const q = 'select $1::int + 1 as n';
  for (const on of [true, false]) {
    // One connection, so the second query and the look-up run where the first one did.
    const h = openPostgres(url, 1, { preparedStatements: on });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await sql<{ n: number }>`select ${i}::int + 1 as n`.execute(h.db)).rows[0].n, i + 1);
      const kept = (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(h.db)).rows.map((r) => r.statement);
      assert.deepEqual(kept, on ? [q] : [], `prepared statements with preparedStatements ${on}`);
    } finally {
      await h.close();
    }
  }
  assert.equal(loadConfig({ DATABASE_URL: url }).database.kind === 'postgres' && (loadConfig({ DATABASE_URL: url }).database as any).preparedStatements, true, 'on by default');
  assert.equal((loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'false' }).database as any).preparedStatements, false);
  assert.throws(() => loadConfig({ DATABASE_URL: url, DATABASE_PREPARED_STATEMENTS: 'no' }), /DATABASE_PREPARED_STATEMENTS/);
});
