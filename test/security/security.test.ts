/**
 * Security: headers (CSP with per-request nonces, HSTS behind TLS, frame-ancestors), session
 * fixation and cookie flags, NCSC password rules, lockout, and no personal data in the logs.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { buildApp, logSerializers } from '../../src/http/app.js';
import { migrate, openEmbedded } from '../../src/db/database.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { fileMailer, OutboxWorker } from '../../src/services/outbox.js';
import { cookieFrom, csrfFrom, signIn } from '../web/session.js';
import { buildCase, RESIDENT } from '../data-protection/fixture.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const PASSWORD = 'lantern orbit meadow 17';

describe('security headers, sessions, passwords and lockout', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  before(async () => {
    const db = await openEmbedded(null);
    await migrate(db.db);
    app = await buildApp({ database: db, trustProxy: true, secureCookies: true });
    await app.ready();
    await app.services.users.create(SYSTEM_ACTOR, { email: 'ruth@example.org', name: 'Ruth Reader', role: 'manager', password: PASSWORD });
  });
  after(async () => {
    await app.close();
  });

  test('every page has a CSP whose nonce is new per request and on every inline script and style; framing is refused', async () => {
    const a = await app.inject({ method: 'GET', url: '/sign-in' });
    const b = await app.inject({ method: 'GET', url: '/sign-in' });
    const nonceOf = (csp: string) => /'nonce-([^']+)'/.exec(csp)?.[1];
    const [na, nb] = [nonceOf(String(a.headers['content-security-policy'])), nonceOf(String(b.headers['content-security-policy']))];
    assert.ok(na && nb && na !== nb, 'a fresh nonce per request');
    const csp = String(a.headers['content-security-policy']);
    for (const d of ["default-src 'self'", `script-src 'self' 'nonce-${na}'`, "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), `CSP has ${d}`);
    assert.ok(!/unsafe-inline|unsafe-eval/.test(csp));
    for (const tag of a.body.match(/<script\b[^>]*>/g) ?? []) assert.ok(tag.includes(`nonce="${na}"`) || /\bsrc=/.test(tag), `inline script without the nonce: ${tag}`);
    assert.equal(a.headers['x-frame-options'], 'DENY');
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
  });

  test('HSTS only over TLS (here behind a proxy that says https)', async () => {
    const tls = await app.inject({ method: 'GET', url: '/sign-in', headers: { 'x-forwarded-proto': 'https' } });
    assert.match(String(tls.headers['strict-transport-security']), /max-age=31536000/);
    const plain = await app.inject({ method: 'GET', url: '/sign-in' });
    assert.equal(plain.headers['strict-transport-security'], undefined);
    const api = await app.inject({ method: 'GET', url: '/health', headers: { 'x-forwarded-proto': 'https' } });
    assert.ok(api.headers['strict-transport-security'], 'the API too');
  });

  test('the session id changes at sign-in (a planted id is worthless); cookies are HttpOnly, SameSite=Lax and Secure', async () => {
    const planted = 'putright_session=attacker-chosen-session-id-0123456789';
    const page = await app.inject({ method: 'GET', url: '/sign-in', headers: { cookie: planted } });
    const login = cookieFrom(page.headers, 'putright_login_csrf')!;
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `${planted}; ${login}` },
      payload: new URLSearchParams({ _csrf: csrfFrom(page.body), email: 'ruth@example.org', password: PASSWORD, next: '/' }).toString(),
    });
    assert.equal(res.statusCode, 303);
    const raw = ([res.headers['set-cookie']].flat() as string[]).find((c) => c.startsWith('putright_session='))!;
    assert.ok(raw, 'a session cookie is set');
    assert.notEqual(raw.split(';')[0], planted);
    for (const flag of ['HttpOnly', 'SameSite=Lax', 'Secure', 'Path=/']) assert.ok(raw.includes(flag), `cookie has ${flag}: ${raw}`);
    // The planted id does not sign anyone in.
    assert.equal((await app.inject({ method: 'GET', url: '/work', headers: { cookie: planted } })).statusCode, 303);
    // Signing in again gives another id, and the first one stops working.
    const first = raw.split(';')[0];
    const second = await signIn(app, 'ruth@example.org', PASSWORD);
    assert.notEqual(second, first);
    assert.equal((await app.inject({ method: 'GET', url: '/work', headers: { cookie: second } })).statusCode, 200);
  });

  test('passwords follow NCSC guidance: length over complexity, common passwords refused, no composition rules', () => {
    const users = app.services.users;
    assert.match(users.passwordProblem('Sh0rt!Pw#1')!, /12 characters/);
    assert.match(users.passwordProblem('Password1234')!, /commonly used/);
    assert.match(users.passwordProblem('qwertyuiop123')!, /commonly used/);
    assert.match(users.passwordProblem('aaaaaaaaaaaaaaa')!, /repeated/);
    assert.equal(users.passwordProblem('correct horse battery staple'), null, 'three or four random words, all lower case, no digits: fine');
    assert.equal(users.passwordProblem('purple tractor singing'), null);
  });

  test('five wrong passwords lock the account for 15 minutes, even against the right password', async () => {
    await app.services.users.create(SYSTEM_ACTOR, { email: 'lock@example.org', name: 'Lock Test', role: 'handler', password: PASSWORD });
    for (let i = 0; i < 4; i++) assert.deepEqual(await app.services.users.verifyPassword('lock@example.org', 'wrong password here'), { ok: false, locked: false });
    assert.deepEqual(await app.services.users.verifyPassword('lock@example.org', 'wrong password here'), { ok: false, locked: true });
    assert.deepEqual(await app.services.users.verifyPassword('lock@example.org', PASSWORD), { ok: false, locked: true }, 'locked even with the right password');
    const api = await app.inject({ method: 'POST', url: '/api/v1/tokens', payload: { email: 'lock@example.org', password: PASSWORD, name: 'x' } });
    assert.equal(api.statusCode, 401);
    assert.equal(api.json().error, 'locked');
  });
});

describe('personal data never reaches the logs', () => {
  let t: TestApp;
  const lines: string[] = [];
  before(async () => {
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = pino({ level: 'debug', serializers: logSerializers, redact: ['req.headers.authorization', 'req.headers.cookie'] }, sink);
    const db = await openEmbedded(null);
    await migrate(db.db);
    // startTestApp builds its own app without a logger: build one with the capturing logger instead.
    const app = await buildApp({ database: db, logger: log });
    t = await startTestApp(db).then(async (plain) => {
      await plain.app.close(); // keep its users and tokens; use the logging app
      await app.ready();
      return { ...plain, app, close: async () => (await app.close(), await db.close()) } as TestApp;
    });
    (t as any).call = async (method: string, url: string, opts: any = {}) => {
      const as = opts.as === undefined ? t.users.manager : opts.as;
      const res = await app.inject({ method, url, headers: { ...(as ? { authorization: `Bearer ${as.token}` } : {}), ...(opts.headers ?? {}) }, ...(opts.body !== undefined ? { payload: opts.body } : {}) });
      let body: any = res.body;
      try {
        body = res.json();
      } catch {
        /* not JSON */
      }
      return { status: res.statusCode, body, headers: res.headers };
    };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-logmail-'));
    const outbox = new OutboxWorker(db.db, { mailer: fileMailer(dir), maxAttempts: 3, log, from: async () => 'complaints@landlord.example' });
    (t as any).outbox = { outbox, dir };
  });
  after(async () => {
    await t?.close();
  });

  test('a full journey — create, acknowledge, letter, notes, messages, attachment, respond, close, a refused bad request, export — logs no name, email, phone or address', async () => {
    const c = await buildCase(t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'logs' });
    const bad = await t.call('POST', '/api/v1/complaints', { body: { channel: 'carrier pigeon', description: 'x', resident: { givenName: RESIDENT.givenName, email: RESIDENT.email } } });
    assert.equal(bad.status, 400);
    assert.equal((await t.call('GET', `/api/v1/residents?name=${encodeURIComponent(RESIDENT.familyName)}`)).status, 200);
    assert.equal((await t.call('POST', '/api/v1/subject-access-requests', { body: { residentId: c.residentId } })).status, 201);
    const { outbox, dir } = (t as any).outbox;
    await outbox.runOnce();
    assert.ok(fs.readdirSync(dir).length >= 1, 'the letter email was sent (so its path was logged too)');
    fs.rmSync(dir, { recursive: true, force: true });
    const log = lines.join('');
    const count = log.split('\n').filter(Boolean).length;
    assert.ok(count >= 20, `the journey was logged (${count} lines)`);
    assert.ok(log.includes('"statusCode":201'), 'request logs are there');
    for (const v of [RESIDENT.givenName, RESIDENT.familyName, RESIDENT.email, RESIDENT.phone, RESIDENT.phone.replace(/\s/g, ''), RESIDENT.addressLine1, RESIDENT.postcode, 'Quennell', 'Larkspur', 'safeguarding']) {
      assert.ok(!log.toLowerCase().includes(v.toLowerCase()), `"${v}" appears in the logs`);
    }
  });
});
