/**
 * Reports' figures read one moment: withSharedSnapshot's reads, side by side on other connections
 * on PostgreSQL, see exactly what its own transaction sees, and not a row committed after it began.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { withSharedSnapshot } from '../../src/db/snapshot.js';

forEachBackend('a shared snapshot', (backend) => {
  let h: DatabaseHandle;
  before(async () => {
    h = await backend.open();
    await sql`create table snap_probe (n int)`.execute(h.db);
    await sql`insert into snap_probe values (1), (2)`.execute(h.db);
  });
  after(async () => h?.close());

  test('every read sees the same rows as the first, however many run at once; a later commit is not seen', async () => {
    const parallel = backend.name === 'postgres';
    const count = (db: typeof h.db) => sql<{ n: number }>`select count(*)::int as n from snap_probe`.execute(db).then((r) => r.rows[0].n);
    const result = await withSharedSnapshot(h.db, parallel, async (read, trx) => {
      const first = await count(trx);
      if (parallel) {
        // Committed by another connection after the snapshot was taken.
        await sql`insert into snap_probe values (3)`.execute(h.db);
        // On its own connection, a read outside the snapshot sees it.
        assert.equal(await count(h.db), 3);
      }
      const pids = new Set<number>();
      const reads = await Promise.all(
        Array.from({ length: 4 }, () =>
          read(async (t) => {
            pids.add((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(t)).rows[0].pid);
            return count(t);
          }),
        ),
      );
      return { first, reads, connections: pids.size };
    });
    assert.equal(result.first, 2);
    assert.deepEqual(result.reads, [2, 2, 2, 2], 'every read saw the snapshot, not the row committed after it');
    if (parallel) assert.ok(result.connections > 1, `reads ran on ${result.connections} connection(s)`);
  });

  test('several reports at once on a small pool all finish: only one fans out, the rest read in turn', async () => {
    const parallel = backend.name === 'postgres';
    const report = () =>
      withSharedSnapshot(h.db, parallel, async (read) => {
        const pids = new Set<number>();
        const reads = await Promise.all(
          Array.from({ length: 12 }, () =>
            read(async (t) => {
              pids.add((await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(t)).rows[0].pid);
              await sql`select pg_sleep(0.02)`.execute(t);
              return (await sql<{ n: number }>`select count(*)::int as n from snap_probe where n <= 2`.execute(t)).rows[0].n;
            }),
          ),
        );
        return { reads, connections: pids.size };
      });
    // Twelve reports on a pool of ten: were each to fan out, they would hold every connection and wait for more.
    const results = await Promise.all(Array.from({ length: 12 }, report));
    for (const r of results) assert.deepEqual(r.reads, Array(12).fill(2));
    const fannedOut = results.filter((r) => r.connections > 1).length;
    // They all began together: the first fans out, the other eleven read on the connection each holds.
    assert.equal(fannedOut, parallel ? 1 : 0);
    assert.equal(results.filter((r) => r.connections === 1).length, parallel ? 11 : 12);
  });

  test('reports read with their own settings, local to their transactions', async () => {
    const parallel = backend.name === 'postgres';
    const show = async (db: typeof h.db, name: string) => (await sql<{ v: string }>`select current_setting(${name}) as v`.execute(db)).rows[0].v;
    const seen = await withSharedSnapshot(h.db, parallel, async (read, trx) => ({
      outer: [await show(trx, 'jit'), await show(trx, 'random_page_cost')],
      inner: await read(async (t) => [await show(t, 'jit'), await show(t, 'random_page_cost'), await show(t, 'max_parallel_workers_per_gather')]),
    }));
    assert.deepEqual(seen.outer, ['off', '4']);
    assert.deepEqual(seen.inner.slice(0, 2), ['off', '4']);
    // Fanning out, the reads leave parallelism to us; in turn on one connection, PostgreSQL's workers stay as configured.
    if (parallel) assert.equal(seen.inner[2], '0');
    // On a connection set as many SSD servers are, the report still reads with 4, and the setting is back after it.
    await h.db.connection().execute(async (conn) => {
      await sql`set random_page_cost = 1.1`.execute(conn);
      assert.equal(await withSharedSnapshot(conn, false, async (_read, trx) => show(trx, 'random_page_cost')), '4');
      assert.equal(await show(conn, 'random_page_cost'), '1.1');
      await sql`reset random_page_cost`.execute(conn);
    });
  });
});
