/**
 * Horizontal scale: two server processes on one PostgreSQL with nothing shared in memory.
 * - both start at once on a new database (migrations and the first administrator happen once);
 * - a session made on one instance works on the other;
 * - an idempotent create retried on the other instance returns the same complaint, once;
 * - the outbox sends every email exactly once although both instances' workers poll it
 *   (a local SMTP sink counts deliveries by Message-ID);
 * - a settings change on one instance is seen by the other at once (NOTIFY drops its cache).
 * Needs PUTRIGHT_TEST_DATABASE_URL (a PostgreSQL 15 server); skipped with a message without it.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { openPostgres } from '../../src/db/database.js';
import { enqueueEmail } from '../../src/services/outbox.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const URL_ = process.env.PUTRIGHT_TEST_DATABASE_URL;
const skip = URL_ ? false : 'PUTRIGHT_TEST_DATABASE_URL is not set: the two-instance test needs a real PostgreSQL (start one with scripts/pg-throwaway.sh)';

const ADMIN = { email: 'admin@two.putright.test', password: 'two-instances-password' };
let dbName: string;
let dbUrl: string;
let smtp: SMTPServer;
let smtpPort: number;
const deliveries = new Map<string, number>();
const servers: { child: ChildProcess; base: string }[] = [];
let tmp: string;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function startServer(): Promise<{ child: ChildProcess; base: string }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      PUTRIGHT_DATA_DIR: '',
      LOG_LEVEL: 'warn',
      PUTRIGHT_ADMIN_EMAIL: ADMIN.email,
      PUTRIGHT_ADMIN_PASSWORD: ADMIN.password,
      PUTRIGHT_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      PUTRIGHT_OUTBOX_DIR: path.join(tmp, 'outbox'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const end = Date.now() + 90_000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`an instance exited with code ${child.exitCode} while starting`);
    try {
      if ((await fetch(`${base}/health`)).ok) return { child, base };
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill('SIGKILL');
  throw new Error('an instance did not start');
}

async function token(base: string, email: string, password: string): Promise<string> {
  const r = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password, name: 'two-instances' }) });
  assert.equal(r.status, 201, await r.clone().text());
  return ((await r.json()) as { token: string }).token;
}

async function signIn(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/sign-in`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const pre = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const r = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password, next: '/work' }),
  });
  assert.equal(r.status, 303);
  return r.headers.getSetCookie().find((c) => c.startsWith('putright_session='))!.split(';')[0];
}

before(async () => {
  if (skip) return;
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-two-'));
  dbName = `putright_two_${crypto.randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(`create database ${dbName}`);
  await admin.end();
  dbUrl = withDatabase(URL_!, dbName);
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const mail = await simpleParser(Buffer.concat(chunks));
        deliveries.set(mail.messageId ?? '', (deliveries.get(mail.messageId ?? '') ?? 0) + 1);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  smtpPort = (smtp.server.address() as { port: number }).port;
  // Both instances start at the same moment on the empty database.
  servers.push(...(await Promise.all([startServer(), startServer()])));
});

after(async () => {
  if (skip) return;
  for (const s of servers) {
    if (s.child.exitCode === null) {
      s.child.kill('SIGTERM');
      await new Promise((r) => s.child.once('exit', r));
    }
  }
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
  const admin = new pg.Client({ connectionString: URL_ });
  await admin.connect();
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('two instances started together on a new database make one administrator', { skip }, async () => {
  const h = openPostgres(dbUrl, 1);
  try {
    const admins = await h.db.selectFrom('users').select('id').where('role', '=', 'admin').execute();
    assert.equal(admins.length, 1);
  } finally {
    await h.close();
  }
});

test('a session made on one instance works on the other', { skip }, async () => {
  const [a, b] = servers;
  const adminToken = await token(a.base, ADMIN.email, ADMIN.password);
  const r = await fetch(`${a.base}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'handler@two.putright.test', name: 'Hana Handler', role: 'handler', password: 'handler-password-123' }),
  });
  assert.equal(r.status, 201, await r.clone().text());
  const cookie = await signIn(a.base, 'handler@two.putright.test', 'handler-password-123');
  const onB = await fetch(`${b.base}/work`, { headers: { cookie }, redirect: 'manual' });
  assert.equal(onB.status, 200);
  assert.match(await onB.text(), /Hana Handler/);
  // Signing out on B ends the session on A too.
  const page = await fetch(`${b.base}/work`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  assert.ok(csrf, 'the page carries the CSRF token');
  const out = await fetch(`${b.base}/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }) });
  assert.ok([302, 303].includes(out.status), `sign-out answered ${out.status}`);
  const afterOut = await fetch(`${a.base}/work`, { headers: { cookie }, redirect: 'manual' });
  assert.notEqual(afterOut.status, 200);
});

test('an idempotent create retried on the other instance returns the same complaint, once', { skip }, async () => {
  const [a, b] = servers;
  const t = await token(a.base, ADMIN.email, ADMIN.password);
  const h = openPostgres(dbUrl, 1);
  try {
    const logger = await fetch(`${a.base}/api/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'staff@two.putright.test', name: 'Sam Staff', role: 'staff', password: 'staff-password-1234' }),
    });
    assert.equal(logger.status, 201);
    const st = await token(a.base, 'staff@two.putright.test', 'staff-password-1234');
    const key = crypto.randomUUID();
    const body = JSON.stringify({ resident: { givenName: 'Ada', familyName: 'Two', postcode: 'E1 6AN' }, channel: 'phone', description: 'The lift has been broken for a month.' });
    const send = (base: string) => fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { authorization: `Bearer ${st}`, 'content-type': 'application/json', 'idempotency-key': key }, body });
    const first = await send(a.base);
    assert.equal(first.status, 201, await first.clone().text());
    const retried = await send(b.base);
    assert.equal(retried.status, 201);
    const x = (await first.json()) as { id: string; reference: string };
    const y = (await retried.json()) as { id: string; reference: string };
    assert.equal(y.id, x.id);
    assert.equal(y.reference, x.reference);
    const n = await h.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).where('description', '=', 'The lift has been broken for a month.').executeTakeFirstOrThrow();
    assert.equal(Number(n.n), 1);
    // Both at once, on the two instances, with a new key: still one complaint.
    const key2 = crypto.randomUUID();
    const body2 = JSON.stringify({ resident: { givenName: 'Bo', familyName: 'Two', postcode: 'E1 6AN' }, channel: 'email', description: 'Two at once.' });
    const both = await Promise.all([a.base, b.base].map((base) => fetch(`${base}/api/v1/complaints`, { method: 'POST', headers: { authorization: `Bearer ${st}`, 'content-type': 'application/json', 'idempotency-key': key2 }, body: body2 })));
    const ids = await Promise.all(both.map(async (r) => ((await r.json()) as { id: string }).id));
    assert.deepEqual(both.map((r) => r.status), [201, 201]);
    assert.equal(ids[0], ids[1]);
    const n2 = await h.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).where('description', '=', 'Two at once.').executeTakeFirstOrThrow();
    assert.equal(Number(n2.n), 1);
  } finally {
    await h.close();
  }
});

test('the outbox sends each email once with two instances polling it', { skip, timeout: 120_000 }, async () => {
  const h = openPostgres(dbUrl, 2);
  const N = 40;
  try {
    const ids: string[] = [];
    for (let i = 0; i < N; i++) {
      const q = await h.db.transaction().execute((trx) =>
        enqueueEmail(trx, { kind: 'test', complaintId: null, letterId: null, to: [`resident${i}@example.net`], cc: [], subject: `Letter ${i}`, text: `Letter number ${i}.`, html: null } as any, new Date()),
      );
      ids.push(q.messageId);
    }
    const end = Date.now() + 100_000;
    for (;;) {
      const left = await h.db.selectFrom('outbox').select('id').where('status', 'in', ['pending', 'sending']).execute();
      if (left.length === 0) break;
      if (Date.now() > end) throw new Error(`${left.length} emails still unsent`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const workers = await h.db.selectFrom('outbox_attempts').select('worker').distinct().execute();
    for (const id of ids) assert.equal(deliveries.get(id), 1, `message ${id} delivered ${deliveries.get(id) ?? 0} times`);
    assert.equal([...deliveries.values()].reduce((a, b) => a + b, 0), N, 'no message delivered twice');
    const attempts = await h.db.selectFrom('outbox_attempts').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(attempts.n), N, 'one attempt per email');
    // Both instances took part (not a test of correctness, but shows the race was real).
    process.stdout.write(`# outbox workers that sent: ${workers.map((w) => w.worker).join(', ')}\n`);
  } finally {
    await h.close();
  }
});

test('a settings change on one instance applies on the other at once', { skip }, async () => {
  const [a, b] = servers;
  const t = await token(a.base, ADMIN.email, ADMIN.password);
  // Read on B first, so B has the settings cached.
  const before = await fetch(`${b.base}/api/v1/settings`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(before.status, 200);
  const name = `Two Instances Homes ${crypto.randomBytes(3).toString('hex')}`;
  const changed = await fetch(`${a.base}/api/v1/settings`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    body: JSON.stringify({ landlord: { ...((await before.json()) as any).landlord, name } }),
  });
  assert.equal(changed.status, 200, await changed.clone().text());
  // Well inside the 5-second cache: only the announcement can have refreshed B.
  await new Promise((r) => setTimeout(r, 300));
  const onB = await fetch(`${b.base}/api/v1/settings`, { headers: { authorization: `Bearer ${t}` } });
  assert.equal(((await onB.json()) as any).landlord.name, name);
});

test('a sign-out or a deactivation on one instance is refused on the other at once, though it had them cached', { skip }, async () => {
  const [a, b] = servers;
  const adminToken = await token(a.base, ADMIN.email, ADMIN.password);
  const email = 'cached@two.putright.test';
  const password = 'cached-password-1234';
  const made = await fetch(`${a.base}/api/v1/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ email, name: 'Cai Cached', role: 'handler', password }),
  });
  assert.equal(made.status, 201, await made.clone().text());
  const user = (await made.json()) as { id: string };
  const t = await token(a.base, email, password);
  const cookie = await signIn(a.base, email, password);
  // B reads both twice: from the database, then from its cache (trusted for 5 seconds).
  for (let i = 0; i < 2; i++) {
    assert.equal((await fetch(`${b.base}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } })).status, 200);
    assert.equal((await fetch(`${b.base}/work`, { headers: { cookie }, redirect: 'manual' })).status, 200);
  }
  // Sign out on A: well inside B's 5 seconds, only the announcement can make B refuse the cookie.
  const page = await fetch(`${a.base}/work`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())![1];
  const out = await fetch(`${a.base}/sign-out`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf }) });
  assert.ok([302, 303].includes(out.status), `sign-out answered ${out.status}`);
  await new Promise((r) => setTimeout(r, 300));
  assert.notEqual((await fetch(`${b.base}/work`, { headers: { cookie }, redirect: 'manual' })).status, 200);
  // Deactivated on A (through its page, by an administrator): B refuses the token.
  assert.equal((await fetch(`${b.base}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } })).status, 200);
  const adminCookie = await signIn(a.base, ADMIN.email, ADMIN.password);
  const userPage = await fetch(`${a.base}/settings/users/${user.id}`, { headers: { cookie: adminCookie } });
  const adminCsrf = /name="_csrf" value="([^"]+)"/.exec(await userPage.text())![1];
  const off = await fetch(`${a.base}/settings/users/${user.id}/active`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: adminCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: adminCsrf, active: 'false' }),
  });
  assert.equal(off.status, 303, await off.clone().text());
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await fetch(`${b.base}/api/v1/me`, { headers: { authorization: `Bearer ${t}` } })).status, 401);
});
