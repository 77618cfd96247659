/**
 * Tokens and sessions are remembered for a few seconds (services/auth-cache.ts) so that a request
 * does not ask the database who it is from every time. What must still hold:
 * - on the instance where it happens, deactivation, a role change and sign-out apply at once;
 * - another instance on the same database sees them within the cache's bound (here a short one,
 *   so the test need not wait 5 s; the NOTIFY that makes it immediate is tested with two real
 *   processes in test/scale/two-instances.test.ts);
 * - a refusal is never remembered, and a read in flight during a clear cannot undo it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { AuthCache } from '../../src/services/auth-cache.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const BOUND_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

forEachBackend('tokens and sessions remembered briefly', (backend) => {
  let db: DatabaseHandle;
  let a: TestApp;
  let b: FastifyInstance;
  const me = (app: FastifyInstance, token: string) => app.inject({ method: 'GET', url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    db = await backend.open();
    a = await startTestApp(db);
    // A second instance on the same database, with a short bound so the test does not wait long.
    b = await buildApp({ database: db, clock: a.clock.now, authCacheMs: BOUND_MS });
    await b.ready();
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('deactivation applies at once on the instance that made it, even to a token it remembers', async () => {
    const u = a.users.staff;
    assert.equal((await me(a.app, u.token)).statusCode, 200);
    assert.equal((await me(a.app, u.token)).statusCode, 200); // now remembered
    await a.app.services.users.setActive({ id: a.users.admin.id, name: a.users.admin.name, role: 'admin' }, u.id, false);
    assert.equal((await me(a.app, u.token)).statusCode, 401);
    await a.app.services.users.setActive({ id: a.users.admin.id, name: a.users.admin.name, role: 'admin' }, u.id, true);
    // A refusal is not remembered: reactivated, the token works again at once.
    assert.equal((await me(a.app, u.token)).statusCode, 200);
  });

  test('another instance stops accepting a deactivated account’s token within its bound', async () => {
    const u = a.users.governance;
    assert.equal((await me(b, u.token)).statusCode, 200); // B remembers it
    await a.app.services.users.setActive({ id: a.users.admin.id, name: a.users.admin.name, role: 'admin' }, u.id, false);
    await sleep(BOUND_MS + 100);
    assert.equal((await me(b, u.token)).statusCode, 401);
  });

  test('a role change is seen at once here and within the bound on another instance', async () => {
    const u = a.users.handler2;
    assert.equal((await me(a.app, u.token)).json().role, 'handler');
    assert.equal((await me(b, u.token)).json().role, 'handler');
    await a.app.services.users.updateRole({ id: a.users.admin.id, name: a.users.admin.name, role: 'admin' }, u.id, 'staff');
    assert.equal((await me(a.app, u.token)).json().role, 'staff');
    await sleep(BOUND_MS + 100);
    assert.equal((await me(b, u.token)).json().role, 'staff');
    // And the narrower role is what the permission check uses: staff cannot assign.
    const assign = await b.inject({ method: 'GET', url: '/api/v1/users', headers: { authorization: `Bearer ${u.token}` } });
    assert.equal(assign.statusCode, 403);
  });

  test('a session ended on one instance is refused here at once and on another within the bound', async () => {
    const u = a.users.handler;
    const s1 = await a.app.services.sessions.start(u.id);
    assert.equal((await a.app.services.sessions.resolve(s1.id))?.actor.id, u.id);
    assert.equal((await b.services.sessions.resolve(s1.id))?.actor.id, u.id); // B remembers it
    await a.app.services.sessions.end(s1.id);
    assert.equal(await a.app.services.sessions.resolve(s1.id), null);
    await sleep(BOUND_MS + 100);
    assert.equal(await b.services.sessions.resolve(s1.id), null);
    // And the other way round: ended on B, refused on B at once.
    const s2 = await b.services.sessions.start(u.id);
    assert.ok(await b.services.sessions.resolve(s2.id));
    await b.services.sessions.end(s2.id);
    assert.equal(await b.services.sessions.resolve(s2.id), null);
  });
});

describe('AuthCache', () => {
  const actor = { id: '00000000-0000-4000-8000-000000000001', name: 'Hana Handler', role: 'handler' as const };

  test('an entry is trusted for its bound and no longer', () => {
    let now = 1_000;
    const c = new AuthCache({ ttlMs: 5_000, now: () => now });
    c.rememberToken('k', actor, c.ticket());
    now += 4_999;
    assert.deepEqual(c.tokens.get('k'), actor);
    now += 1;
    assert.equal(c.tokens.get('k'), undefined);
  });

  test('a read that started before a clear does not put its answer back', () => {
    const c = new AuthCache({ ttlMs: 5_000, now: () => 0 });
    const ticket = c.ticket(); // the read starts
    c.clear(); // a deactivation commits meanwhile
    c.rememberToken('k', actor, ticket); // the read returns the old answer
    assert.equal(c.tokens.get('k'), undefined);
  });

  test('holds at most its maximum, dropping the oldest', () => {
    const c = new AuthCache({ ttlMs: 5_000, max: 3, now: () => 0 });
    for (const k of ['a', 'b', 'c', 'd']) c.rememberToken(k, actor, c.ticket());
    assert.equal(c.tokens.size, 3);
    assert.equal(c.tokens.get('a'), undefined);
    assert.deepEqual(c.tokens.get('d'), actor);
  });

  test('off when its bound is 0', () => {
    const c = new AuthCache({ ttlMs: 0 });
    c.rememberToken('k', actor, c.ticket());
    assert.equal(c.tokens.get('k'), undefined);
  });
});
