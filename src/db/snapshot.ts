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
      // Short grouped scans: compiling them (JIT) would cost far more than it saves.
      await sql`set local jit = off`.execute(trx);
      if (!parallel) return body((fn) => fn(trx), trx);
      // The reads run side by side already: PostgreSQL's own parallel workers would only add the cost of coordinating them.
      await sql`set local max_parallel_workers_per_gather = 0`.execute(trx);
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
            await sql`set local jit = off`.execute(t);
            await sql`set local max_parallel_workers_per_gather = 0`.execute(t);
            return fn(t);
          });
      return body(read, trx);
    });
}
