/**
 * Idempotent creates: the first response to an Idempotency-Key is stored in the same transaction
 * as the thing it created, so a retried POST returns that response and never creates twice.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import { IdempotencyMismatch } from './errors.js';

export interface Created<T> {
  status: number;
  body: T;
}

function hashRequest(route: string, body: unknown): string {
  return crypto.createHash('sha256').update(route).update('\0').update(JSON.stringify(body ?? null)).digest('hex');
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as any).code === '23505';
}

export async function idempotentCreate<T>(
  db: Db,
  opts: { userId: string | null; key: string | null | undefined; route: string; request: unknown },
  create: (trx: Db) => Promise<Created<T>>,
): Promise<Created<T>> {
  if (!opts.key || !opts.userId) return db.transaction().execute(create);
  const userId = opts.userId;
  const key = opts.key;
  const requestHash = hashRequest(opts.route, opts.request);
  const replay = async (): Promise<Created<T> | null> => {
    const row = await db
      .selectFrom('idempotency_keys')
      .select(['request_hash', 'status_code', 'response', 'route'])
      .where('user_id', '=', userId)
      .where('key', '=', key)
      .executeTakeFirst();
    if (!row) return null;
    if (row.request_hash !== requestHash) throw new IdempotencyMismatch();
    return { status: row.status_code, body: row.response as T };
  };
  const earlier = await replay();
  if (earlier) return earlier;
  try {
    return await db.transaction().execute(async (trx) => {
      const result = await create(trx);
      await trx
        .insertInto('idempotency_keys')
        .values({ user_id: userId, key, route: opts.route, request_hash: requestHash, status_code: result.status, response: JSON.stringify(result.body) })
        .execute();
      return result;
    });
  } catch (err) {
    // A concurrent request with the same key committed first: return its response.
    if (isUniqueViolation(err)) {
      const other = await replay();
      if (other) return other;
    }
    throw err;
  }
}
