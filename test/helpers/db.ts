/**
 * Database backends for tests: PGlite in memory always, and a real PostgreSQL when
 * PUTRIGHT_TEST_DATABASE_URL is set (each suite gets its own throwaway database there).
 * With PUTRIGHT_REQUIRE_POSTGRES=1 a missing PostgreSQL fails the run instead of skipping.
 */
import crypto from 'node:crypto';
import { describe, test } from 'node:test';
import pg from 'pg';
import { migrate, openEmbedded, openPostgres, type DatabaseHandle } from '../../src/db/database.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  open(): Promise<DatabaseHandle>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export function backends(): Backend[] {
  const list: Backend[] = [
    {
      name: 'pglite',
      async open() {
        const h = await openEmbedded(null);
        await migrate(h.db);
        return h;
      },
    },
  ];
  const url = process.env.PUTRIGHT_TEST_DATABASE_URL;
  if (url) {
    list.push({
      name: 'postgres',
      async open() {
        const name = `putright_test_${crypto.randomBytes(6).toString('hex')}`;
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`create database ${name}`);
        await admin.end();
        const h = openPostgres(withDatabase(url, name), 10);
        await migrate(h.db);
        return {
          ...h,
          async close() {
            await h.close();
            const a = new pg.Client({ connectionString: url });
            await a.connect();
            await a.query(`drop database if exists ${name} with (force)`);
            await a.end();
          },
        };
      },
    });
  } else if (process.env.PUTRIGHT_REQUIRE_POSTGRES === '1') {
    test('PostgreSQL is required here', () => {
      throw new Error('PUTRIGHT_REQUIRE_POSTGRES=1 but PUTRIGHT_TEST_DATABASE_URL is not set');
    });
  }
  return list;
}

/** Run a suite once per available backend. */
export function forEachBackend(title: string, body: (backend: Backend) => void) {
  for (const b of backends()) describe(`${title} [${b.name}]`, () => body(b));
}
