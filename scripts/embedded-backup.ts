/**
 * Backup and restore of the embedded (PGlite) data directory.
 *
 *   npx tsx scripts/embedded-backup.ts backup  DATA_DIR FILE.tar.gz
 *   npx tsx scripts/embedded-backup.ts restore FILE.tar.gz DATA_DIR
 *
 * A consistent snapshot: the script takes the data directory's lock (the one the server takes),
 * so it refuses while a server has the directory open — stop the server first (SIGTERM finishes
 * requests in progress and releases the lock) — then opens the database itself and has PostgreSQL
 * write the whole data directory as one tarball (PGlite's dumpDataDir, after a clean checkpoint).
 * Attachments live in the database, so they are in the snapshot. Restore writes into a new or
 * empty directory only, and checks the restored database opens and answers.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { lockDataDir } from '../src/db/database.js';

async function backup(dataDir: string, file: string) {
  if (!fs.existsSync(path.join(dataDir, 'pgdata'))) throw new Error(`${dataDir} has no embedded database (no pgdata directory)`);
  const release = lockDataDir(dataDir);
  try {
    const db = new PGlite(path.join(dataDir, 'pgdata'));
    await db.waitReady;
    await db.query('checkpoint');
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from complaints');
    const blob = await db.dumpDataDir('gzip');
    await db.close();
    const tmp = `${file}.partial`;
    fs.writeFileSync(tmp, Buffer.from(await blob.arrayBuffer()));
    fs.renameSync(tmp, file); // never a half-written backup under the final name
    console.error(`backed up ${dataDir} to ${file} (${fs.statSync(file).size} bytes, ${rows[0].n} complaints)`);
  } finally {
    release();
  }
}

async function restore(file: string, dataDir: string) {
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) throw new Error(`${dataDir} is not empty: restore into a new or empty directory`);
  const release = lockDataDir(dataDir);
  try {
    const blob = new Blob([fs.readFileSync(file)]);
    const db = new PGlite(path.join(dataDir, 'pgdata'), { loadDataDir: blob });
    await db.waitReady;
    const { rows } = await db.query<{ n: string }>('select count(*)::text as n from complaints');
    await db.close();
    console.error(`restored ${file} into ${dataDir} (${rows[0].n} complaints)`);
  } catch (err) {
    fs.rmSync(path.join(dataDir, 'pgdata'), { recursive: true, force: true });
    throw err;
  } finally {
    release();
  }
}

const [cmd, a, b] = process.argv.slice(2);
const run = cmd === 'backup' && a && b ? backup(a, b) : cmd === 'restore' && a && b ? restore(a, b) : null;
if (!run) {
  console.error('usage: npx tsx scripts/embedded-backup.ts backup DATA_DIR FILE.tar.gz | restore FILE.tar.gz DATA_DIR');
  process.exit(2);
}
run.catch((err) => {
  console.error(`failed: ${(err as Error).message}`);
  process.exit(1);
});
