/**
 * Restart PostgreSQL under load: requests caught mid-way fail cleanly with 503 (never 500 or a
 * hang), the app reconnects by itself, and later requests succeed. The test starts its own
 * cluster (scripts/pg-throwaway.sh) so it can restart it with pg_ctl. PostgreSQL only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { migrate, openPostgres } from '../../src/db/database.js';
import { startTestApp } from '../helpers/app.js';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const haveUrl = !!process.env.PUTRIGHT_TEST_DATABASE_URL;

/**
 * pg_ctl as the cluster's owner, without blocking the event loop: the load must keep coming while
 * PostgreSQL is down (with spawnSync no request was made during the restart, and whether any was
 * caught by it depended on timing).
 */
function asOwner(dir: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  const owner = fs.statSync(path.join(dir, 'data')).uid;
  let cmd = [`${PG_BIN}/pg_ctl`, ...args];
  if (process.getuid?.() === 0 && owner !== 0) {
    const user = execFileSync('id', ['-nu', String(owner)], { encoding: 'utf8' }).trim();
    cmd = ['runuser', '-u', user, '--', ...cmd];
  }
  return new Promise((resolve) => {
    const child = spawn(cmd[0]!, cmd.slice(1), { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

test('PostgreSQL restarted under load: in-flight requests get 503, the app reconnects, later requests succeed', { skip: haveUrl ? false : 'PostgreSQL only: PUTRIGHT_TEST_DATABASE_URL is not set (this test starts its own cluster with scripts/pg-throwaway.sh when it is)', timeout: 180_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pgr-'));
  fs.rmSync(dir, { recursive: true });
  const started = spawnSync('bash', ['scripts/pg-throwaway.sh', 'start', dir], { encoding: 'utf8', timeout: 180_000 });
  assert.equal(started.status, 0, started.stderr);
  const url = started.stdout.trim();
  const handle = openPostgres(url, 6);
  await migrate(handle.db);
  const t = await startTestApp(handle);
  try {
    const statuses: number[] = [];
    let stop = false;
    let n = 0;
    const worker = async () => {
      while (!stop) {
        const i = n++;
        const r = await t.call('POST', '/api/v1/complaints', { as: t.users.handler, body: { channel: 'web', anonymous: true, description: `Load ${i}` } });
        statuses.push(r.status);
        if (r.status === 503) assert.equal(r.body.error, 'unavailable');
        else if (r.status !== 201) assert.fail(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
        if (r.status === 503) await new Promise((res) => setTimeout(res, 20));
      }
    };
    const workers = Array.from({ length: 6 }, worker);
    await new Promise((r) => setTimeout(r, 1500));
    const before = statuses.filter((s) => s === 201).length;
    assert.ok(before > 0, 'requests succeed before the restart');
    const restarted = await asOwner(dir, ['-D', path.join(dir, 'data'), '-m', 'fast', '-w', '-t', '60', 'restart', '-l', path.join(dir, 'postgres.log')]);
    assert.equal(restarted.status, 0, restarted.stderr);
    const marker = statuses.length;
    // Keep the load on after the restart: new requests must succeed again by themselves.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && statuses.slice(marker).filter((s) => s === 201).length < 30) await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(workers);
    const unavailable = statuses.filter((s) => s === 503).length;
    const ok = statuses.filter((s) => s === 201).length;
    console.log(`# PostgreSQL restart under load: ${statuses.length} requests, ${ok} created, ${unavailable} answered 503 during the restart, none failed otherwise`);
    assert.ok(statuses.slice(marker).filter((s) => s === 201).length >= 30, 'requests succeed again after the restart without restarting the app');
    assert.ok(unavailable > 0, 'requests caught by the restart were answered 503');
    assert.deepEqual([...new Set(statuses)].sort(), [201, 503]);
    const health = await t.call('GET', '/health', { as: null });
    assert.equal(health.status, 200);
    const count = await t.app.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.ok(Number(count.n) >= ok, 'every 201 is in the database');
  } finally {
    await t.close().catch(() => {});
    spawnSync('bash', ['scripts/pg-throwaway.sh', 'stop', dir], { encoding: 'utf8', timeout: 120_000 });
  }
});
