/**
 * Reports read many figures from one consistent moment: a read-only REPEATABLE READ transaction.
 * On a PostgreSQL server its snapshot can be shared (pg_export_snapshot / SET TRANSACTION
 * SNAPSHOT), so the figures' queries run side by side on several connections and still see
 * exactly the same data, as pg_dump's parallel workers do. Embedded PGlite has one connection:
 * there `read` runs each query in the one transaction, in turn.
 *
 * A report that fans out holds one connection and waits for more, so if every connection in the
 * pool were held by such reports they would wait on each other. Only one report at a time fans out
 * on each pool; any other runs its queries in turn in its own transaction, which needs nothing more
 * than the connection it holds.
 */
import { sql } from 'kysely';
import type { Db } from './database.js';

/** Runs `fn` on a transaction that sees the shared snapshot. */
export type SnapshotRead = <T>(fn: (trx: Db) => Promise<T>) => Promise<T>;

const fanningOut = new WeakSet<Db>();

export async function withSharedSnapshot<T>(db: Db, parallel: boolean, body: (read: SnapshotRead, trx: Db) => Promise<T>): Promise<T> {
  const fanOut = parallel && !fanningOut.has(db);
  if (fanOut) fanningOut.add(db);
  try {
    return await inSnapshot(db, fanOut, body);
  } finally {
    if (fanOut) fanningOut.delete(db);
  }
}

async function inSnapshot<T>(db: Db, parallel: boolean, body: (read: SnapshotRead, trx: Db) => Promise<T>): Promise<T> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .setAccessMode('read only')
    .execute(async (trx) => {
      await asBulkRead(trx, { ownWorkersOnly: parallel });
      if (!parallel) return body((fn) => fn(trx), trx);
      const { rows } = await sql<{ id: string }>`select pg_export_snapshot() as id`.execute(trx);
      const id = rows[0].id;
      if (!/^[0-9A-F-]+$/i.test(id)) throw new Error(`Unexpected snapshot id ${id}`);
      const read: SnapshotRead = (fn) =>
        db
          .transaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute(async (t) => {
            // Must come before any query in the transaction; the id is PostgreSQL's own (checked above).
            await sql.raw(`set transaction snapshot '${id}'`).execute(t);
            await asBulkRead(t, { ownWorkersOnly: true });
            return fn(t);
          });
      return body(read, trx);
    });
}

/**
 * How a report's transaction reads (settings local to it, in one round trip):
 * - JIT off: short grouped scans; compiling them would cost far more than it saves.
 * - random_page_cost at PostgreSQL's default of 4, whatever the server's: a report reads a fifth of
 *   a table or more, and read by bitmap (each page once, in order) that costs a tenth of the buffer
 *   visits of an index scan (a year's remedies at national scale: 25,240 against 263,904, 124
 *   against 190 ms). Servers on SSD are often set to 1.1, which makes the planner choose the index
 *   scan for such reads.
 * - ownWorkersOnly: no parallel workers, where the report already runs its queries side by side on
 *   several connections; the workers would only add the cost of coordinating them (a national
 *   dashboard: 1.9 s of PostgreSQL CPU with them, 1.3 s without).
 */
export async function asBulkRead(trx: Db, { ownWorkersOnly }: { ownWorkersOnly: boolean }): Promise<void> {
  await sql`select set_config('jit', 'off', true), set_config('random_page_cost', '4', true)${ownWorkersOnly ? sql`, set_config('max_parallel_workers_per_gather', '0', true)` : sql``}`.execute(trx);
}
