/**
 * The database adapter: Kysely over node-postgres everywhere. In embedded mode the pool talks to
 * PGlite through PGlite's node-postgres adapter (one connection, so transactions queue), guarded by
 * a lock file so that two processes never open one data directory. In production it talks to
 * PostgreSQL via DATABASE_URL.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Kysely, Migrator, PostgresDialect, type Migration, type MigrationProvider } from 'kysely';
import pg from 'pg';
import { namePreparedStatements } from './prepared.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001_initial.js';
import * as m0002 from './migrations/0002_sessions.js';
import * as m0003 from './migrations/0003_remedies_actions.js';
import * as m0004 from './migrations/0004_letters_outbox.js';
import * as m0005 from './migrations/0005_learning_ombudsman.js';
import * as m0006 from './migrations/0006_public_intake.js';
import * as m0007 from './migrations/0007_reports.js';
import * as m0008 from './migrations/0008_self_assessment.js';
import * as m0009 from './migrations/0009_data_protection.js';
import * as m0010 from './migrations/0010_letters_settings.js';
import * as m0011 from './migrations/0011_scale.js';
import * as m0012 from './migrations/0012_stage_facts.js';
import * as m0014 from './migrations/0014_api_speed.js';
import * as m0015 from './migrations/0015_remedy_figures.js';
import * as m0016 from './migrations/0016_evidence_indexes.js';
import * as m0017 from './migrations/0017_export_order.js';
import * as m0018 from './migrations/0018_dashboard_indexes.js';
import * as m0019 from './migrations/0019_financial_remedies_index.js';
import * as m0020 from './migrations/0020_closed_complaints_index.js';
import * as m0021 from './migrations/0021_stage_day_counts.js';
import * as m0022 from './migrations/0022_remedy_figures_covering.js';
import * as m0023 from './migrations/0023_letter_inputs.js';

// Read `date` columns as 'YYYY-MM-DD' strings, never as local-time Date objects.
pg.types.setTypeParser(1082, (v: string) => v);
// bigint (history ids, counts) as strings is pg's default; keep it.

export type Db = Kysely<Database>;

const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_sessions': m0002,
  '0003_remedies_actions': m0003,
  '0004_letters_outbox': m0004,
  '0005_learning_ombudsman': m0005,
  '0006_public_intake': m0006,
  '0007_reports': m0007,
  '0008_self_assessment': m0008,
  '0009_data_protection': m0009,
  '0010_letters_settings': m0010,
  '0011_scale': m0011,
  '0012_stage_facts': m0012,
  '0014_api_speed': m0014,
  '0015_remedy_figures': m0015,
  '0016_evidence_indexes': m0016,
  '0017_export_order': m0017,
  '0018_dashboard_indexes': m0018,
  '0019_financial_remedies_index': m0019,
  '0020_closed_complaints_index': m0020,
  '0021_stage_day_counts': m0021,
  '0022_remedy_figures_covering': m0022,
  '0023_letter_inputs': m0023,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

export async function migrate(db: Db): Promise<void> {
  // Migrations are independent of one another's order beyond their numbers; a database that ran a
  // later-numbered one first (features built side by side) still takes the earlier ones.
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider(), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? error}`);
  }
}

export interface DatabaseHandle {
  db: Db;
  kind: 'pglite' | 'postgres';
  /** Check the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class DataDirectoryLocked extends Error {}

/** Take the embedded data directory's lock, or fail if a live process holds it. */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const lockPath = path.join(dir, 'putright.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (fs.readFileSync(lockPath, 'utf8') === String(process.pid)) fs.unlinkSync(lockPath);
        } catch {
          /* already gone */
        }
      };
    } catch (err: any) {
      if (err.code !== 'EEXIST') throw err;
      const holder = Number(fs.readFileSync(lockPath, 'utf8'));
      let alive = false;
      if (Number.isInteger(holder) && holder > 0) {
        try {
          process.kill(holder, 0);
          alive = true;
        } catch (e: any) {
          alive = e.code === 'EPERM';
        }
      }
      if (alive && holder !== process.pid) {
        throw new DataDirectoryLocked(
          `The data directory ${dir} is in use by process ${holder}. Two processes on one embedded data directory would lose writes; stop the other one or use another PUTRIGHT_DATA_DIR.`,
        );
      }
      if (alive && holder === process.pid) {
        throw new DataDirectoryLocked(`The data directory ${dir} is already open in this process.`);
      }
      fs.unlinkSync(lockPath); // stale lock from a process that has gone
    }
  }
  throw new DataDirectoryLocked(`Could not lock ${dir}`);
}

/** Open PGlite in a directory (or in memory when dataDir is null) behind the node-postgres adapter. */
export async function openEmbedded(dataDir: string | null): Promise<DatabaseHandle> {
  const release = dataDir ? lockDataDir(dataDir) : () => {};
  try {
    // Loaded only in embedded mode: a PostgreSQL deployment never pays for PGlite's memory.
    const [{ PGlite }, { createPgConfig }] = await Promise.all([import('@electric-sql/pglite'), import('@electric-sql/pglite/node-postgres')]);
    const pglite = dataDir ? new PGlite(path.join(dataDir, 'pgdata')) : new PGlite();
    await pglite.waitReady;
    const pool = namePreparedStatements(new pg.Pool({ ...(createPgConfig(pglite) as any), max: 1, idleTimeoutMillis: 0, connectionTimeoutMillis: 60_000 }));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return {
      db,
      kind: 'pglite',
      async ping() {
        await pglite.query('select 1');
      },
      async close() {
        await db.destroy();
        await pglite.close();
        release();
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * PostgreSQL through a pool of `poolSize`. With `preparedStatements` (the default), each distinct
 * statement is parsed and planned once per connection and then only bound and run (prepared.ts):
 * the small queries behind a page cost PostgreSQL about as much to plan as to run.
 */
export function openPostgres(url: string, poolSize = 10, { preparedStatements = true }: { preparedStatements?: boolean } = {}): DatabaseHandle {
  // JIT compilation off: it cost the reports' grouped counts seconds at national scale and helps
  // nothing here (with PgBouncer, list `options` in ignore_startup_parameters, or run
  // `alter database … set jit = off` instead).
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000, options: '-c jit=off' });
  // An idle client losing its server (a restart) must not crash the process.
  pool.on('error', () => {});
  // A client checked out (inside a transaction) when the server goes away emits 'error' too: without
  // a listener that would crash the process. Its query fails instead (answered 503), and the pool drops it.
  pool.on('connect', (client) => client.on('error', () => {}));
  if (preparedStatements) namePreparedStatements(pool);
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    kind: 'postgres',
    async ping() {
      const client = await pool.connect();
      try {
        await client.query('select 1');
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
    },
  };
}
