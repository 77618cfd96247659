/** Configuration fails fast in production; the embedded directory is locked; the server starts, serves /health and stops cleanly. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config.js';
import { DataDirectoryLocked, lockDataDir } from '../../src/db/database.js';

describe('configuration', () => {
  test('development defaults: embedded database in ./data on port 3000', () => {
    const c = loadConfig({});
    assert.equal(c.port, 3000);
    assert.equal(c.database.kind, 'pglite');
    assert.equal((c.database as any).dataDir, path.resolve('data'));
  });

  test('production without PORT or a database fails, naming each missing value', () => {
    assert.throws(() => loadConfig({ NODE_ENV: 'production' }), (e: any) => e instanceof ConfigError && /PORT/.test(e.message) && /DATABASE_URL/.test(e.message) && /PUTRIGHT_DATA_DIR/.test(e.message));
    assert.throws(() => loadConfig({ NODE_ENV: 'production', PORT: '8080' }), /DATABASE_URL/);
    assert.doesNotThrow(() => loadConfig({ NODE_ENV: 'production', PORT: '8080', PUTRIGHT_DATA_DIR: '/var/lib/putright' }));
    const pgc = loadConfig({ NODE_ENV: 'production', PORT: '8080', DATABASE_URL: 'postgres://u@h/db' });
    assert.equal(pgc.database.kind, 'postgres');
  });

  test('bad values are refused with the variable named', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), /PORT/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'not a url' }), /DATABASE_URL/);
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  });
});

describe('the embedded data directory lock', () => {
  test('a second holder is refused; a stale lock from a dead process is taken over', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-lock-'));
    const release = lockDataDir(dir);
    assert.throws(() => lockDataDir(dir), DataDirectoryLocked);
    release();
    fs.writeFileSync(path.join(dir, 'putright.lock'), '999999');
    const again = lockDataDir(dir);
    assert.equal(fs.readFileSync(path.join(dir, 'putright.lock'), 'utf8'), String(process.pid));
    again();
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

function startServer(env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitFor(fn: () => Promise<boolean>, ms: number) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn().catch(() => false)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('the server process', () => {
  test('starts on a new embedded directory, serves /health and the API docs, refuses a second process on the same directory, and stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-start-'));
    const port = 39000 + Math.floor(Math.random() * 1000);
    const a = startServer({ PUTRIGHT_DATA_DIR: dir, PORT: String(port) });
    try {
      assert.ok(await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, 60_000), `server did not start: ${a.output()}`);
      const health: any = await (await fetch(`http://127.0.0.1:${port}/health`)).json();
      assert.equal(health.status, 'UP');
      assert.equal(health.database.kind, 'pglite');
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/openapi.json`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/docs/`)).status, 200);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/complaints`)).status, 401);
      assert.match(a.output(), /Password \(shown once\): \S{12,}/);
      // The logs are structured JSON lines.
      assert.ok(a.output().split('\n').some((l) => l.startsWith('{') && JSON.parse(l).msg === 'database ready'));
      assert.ok(a.output().split('\n').some((l) => l.startsWith('{') && JSON.parse(l).msg === 'reminder sweep started'), 'the reminder sweep starts with the server');

      const b = startServer({ PUTRIGHT_DATA_DIR: dir, PORT: String(port + 1) });
      const code = await b.exited;
      assert.equal(code, 75, b.output());
      assert.match(b.output(), /in use by process/);
    } finally {
      a.child.kill('SIGTERM');
      const code = await a.exited;
      assert.equal(code, 0, a.output());
      assert.match(a.output(), /stopped/);
      assert.equal(fs.existsSync(path.join(dir, 'putright.lock')), false, 'the lock is released on a clean stop');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('in production without its required configuration the process exits at once, naming what is missing', async () => {
    const p = startServer({ NODE_ENV: 'production', PORT: '', DATABASE_URL: '', PUTRIGHT_DATA_DIR: '' });
    const code = await p.exited;
    assert.equal(code, 78);
    assert.match(p.output(), /PORT/);
  });
});
