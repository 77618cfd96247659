/**
 * Backup and restore: scripts/backup.sh and scripts/restore.sh, for the embedded data directory
 * and for PostgreSQL. Each restores into an empty database and finds every complaint, letter and
 * attachment (attachments are stored in the database, so the database backup holds them).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { lockDataDir, migrate, openEmbedded, openPostgres, type DatabaseHandle, type Db } from '../../src/db/database.js';
import { startTestApp } from '../helpers/app.js';
import { buildCase } from './fixture.js';

interface Inventory {
  complaints: string[];
  letters: string[];
  attachments: string[];
}

/** Every complaint reference, letter (id and subject) and attachment (id and the hash of its bytes as stored). */
async function inventory(db: Db): Promise<Inventory> {
  const complaints = (await db.selectFrom('complaints').select(['reference', 'description', 'status']).orderBy('reference').execute()).map((c) => `${c.reference}|${c.status}|${c.description}`);
  const letters = (await db.selectFrom('letters').select(['id', 'subject', 'body_text']).orderBy('id').execute()).map((l) => `${l.id}|${l.subject}|${crypto.createHash('sha256').update(l.body_text).digest('hex')}`);
  const attachments = (await db.selectFrom('attachments').select(['id', 'sha256', 'data']).orderBy('id').execute()).map((a) => {
    assert.equal(crypto.createHash('sha256').update(a.data).digest('hex'), a.sha256, 'the bytes are intact');
    return `${a.id}|${a.sha256}`;
  });
  return { complaints, letters, attachments };
}

async function fill(handle: DatabaseHandle): Promise<Inventory> {
  const t = await startTestApp(handle);
  const first = await buildCase(t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'backup-one' });
  await buildCase(t, { residentId: first.residentId, start: '2025-05-12T09:00:00Z', tag: 'backup-two' });
  await buildCase(t, { start: '2025-06-09T09:00:00Z', tag: 'backup-three' });
  const inv = await inventory(t.app.db);
  await t.close();
  assert.equal(inv.complaints.length, 3);
  assert.equal(inv.letters.length, 3);
  assert.equal(inv.attachments.length, 3);
  return inv;
}

function sh(script: string, args: string[], env: Record<string, string>) {
  const started = performance.now();
  const r = spawnSync('bash', [script, ...args], { env: { ...process.env, DATABASE_URL: '', PUTRIGHT_DATA_DIR: '', ...env }, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`, ms: Math.round(performance.now() - started) };
}

describe('backup and restore of the embedded data directory', () => {
  test('a stopped directory is snapshotted and restored into an empty one with every complaint, letter and attachment; a directory in use is refused', async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-backup-'));
    try {
      const source = path.join(base, 'source');
      const expected = await fill(await migrated(await openEmbedded(source)));
      const file = path.join(base, 'putright.tar.gz');

      // While another process holds the directory, the backup refuses (no inconsistent copy).
      const release = lockDataDir(source);
      const refused = sh('scripts/backup.sh', [file], { PUTRIGHT_DATA_DIR: source });
      release();
      assert.notEqual(refused.status, 0);
      assert.match(refused.output, /in use by process/);
      assert.equal(fs.existsSync(file), false);

      const b = sh('scripts/backup.sh', [file], { PUTRIGHT_DATA_DIR: source });
      assert.equal(b.status, 0, b.output);
      const target = path.join(base, 'restored');
      const r = sh('scripts/restore.sh', [file], { PUTRIGHT_DATA_DIR: target });
      assert.equal(r.status, 0, r.output);
      console.log(`# embedded backup ${b.ms} ms (${fs.statSync(file).size} bytes), restore ${r.ms} ms`);
      const restored = await openEmbedded(target);
      try {
        assert.deepEqual(await inventory(restored.db), expected);
      } finally {
        await restored.close();
      }
      // Restoring over a directory that holds data is refused.
      const again = sh('scripts/restore.sh', [file], { PUTRIGHT_DATA_DIR: target });
      assert.notEqual(again.status, 0);
      assert.match(again.output, /not empty/);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});

async function migrated(h: DatabaseHandle) {
  await migrate(h.db);
  return h;
}

const url = process.env.PUTRIGHT_TEST_DATABASE_URL;
describe('backup and restore of PostgreSQL (pg_dump / pg_restore)', { skip: url ? false : 'PUTRIGHT_TEST_DATABASE_URL is not set: start one with scripts/pg-throwaway.sh to run this' }, () => {
  test('pg_dump of a live database restores into an empty database with every complaint, letter and attachment', async () => {
    const suffix = crypto.randomBytes(5).toString('hex');
    const names = [`putright_bk_src_${suffix}`, `putright_bk_dst_${suffix}`];
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const dbUrl = (name: string) => {
      const u = new URL(url!);
      u.pathname = `/${name}`;
      return u.toString();
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-pgbackup-'));
    try {
      for (const n of names) await admin.query(`create database ${n}`);
      const expected = await fill(await migrated(openPostgres(dbUrl(names[0]), 4)));
      const file = path.join(dir, 'putright.dump');
      const b = sh('scripts/backup.sh', [file], { DATABASE_URL: dbUrl(names[0]) });
      assert.equal(b.status, 0, b.output);
      const r = sh('scripts/restore.sh', [file], { DATABASE_URL: dbUrl(names[1]) });
      assert.equal(r.status, 0, r.output);
      console.log(`# PostgreSQL backup ${b.ms} ms (${fs.statSync(file).size} bytes), restore ${r.ms} ms`);
      const restored = openPostgres(dbUrl(names[1]), 2);
      try {
        assert.deepEqual(await inventory(restored.db), expected);
        // The restored database is a working Putright database: migrations are up to date and writes work.
        await migrate(restored.db);
      } finally {
        await restored.close();
      }
      const again = sh('scripts/restore.sh', [file], { DATABASE_URL: dbUrl(names[1]) });
      assert.notEqual(again.status, 0);
      assert.match(again.output, /not empty/);
    } finally {
      for (const n of names) await admin.query(`drop database if exists ${n} with (force)`);
      await admin.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
