/**
 * Route access: every route the app registers declares who may use it, a route that declares
 * nothing stops the app from building, and every non-public API route refuses an unauthenticated
 * or wrongly authenticated caller with a 401 that carries no data.
 */
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { enforceRouteAccess, RouteWithoutAccess, type RouteTable } from '../../src/http/access.js';
import { PERMISSIONS } from '../../src/core/permissions.js';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const NEW_COMPLAINT = { channel: 'phone', description: 'Leak not fixed', resident: { givenName: 'Test', familyName: 'Person', postcode: 'AB1 2CD' } };

/** The routes the API must have, each with the access it must declare. */
const EXPECTED: [string, string, string][] = [
  ['POST', '/api/v1/complaints', 'complaints:log'],
  ['GET', '/api/v1/complaints', 'complaints:read'],
  ['GET', '/api/v1/complaints/:id', 'complaints:read'],
  ['GET', '/api/v1/complaints/by-reference/:reference', 'complaints:read'],
  ['GET', '/api/v1/complaints/:id/history', 'complaints:read'],
  ['POST', '/api/v1/complaints/:id/triage', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/assign', 'complaints:assign'],
  ['POST', '/api/v1/complaints/:id/acknowledge', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/extend', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/update-interval', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/updates', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/respond', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/escalate', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/refuse', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/refuse-escalation', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/withdraw', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/reopen', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/close', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/related-issues', 'complaints:handle'],
  ['POST', '/api/v1/complaints/:id/links', 'complaints:handle'],
  ['GET', '/api/v1/complaints/:id/notes', 'complaints:read'],
  ['POST', '/api/v1/complaints/:id/notes', 'complaints:handle'],
  ['GET', '/api/v1/complaints/:id/correspondence', 'complaints:read'],
  ['POST', '/api/v1/complaints/:id/correspondence', 'complaints:handle'],
  ['GET', '/api/v1/complaints/:id/attachments', 'complaints:read'],
  ['POST', '/api/v1/complaints/:id/attachments', 'complaints:handle'],
  ['GET', '/api/v1/complaints/:id/attachments/:attachmentId', 'complaints:read'],
  ['POST', '/api/v1/residents', 'residents:write'],
  ['GET', '/api/v1/residents', 'residents:read'],
  ['GET', '/api/v1/residents/:id', 'residents:read'],
  ['PATCH', '/api/v1/residents/:id', 'residents:write'],
  ['POST', '/api/v1/residents/:id/needs', 'residents:write'],
  ['POST', '/api/v1/residents/:id/restrictions', 'residents:write'],
  ['POST', '/api/v1/residents/:id/representatives', 'residents:write'],
  ['POST', '/api/v1/service-requests', 'service-requests:write'],
  ['GET', '/api/v1/service-requests', 'service-requests:read'],
  ['GET', '/api/v1/service-requests/:id', 'service-requests:read'],
  ['PATCH', '/api/v1/service-requests/:id', 'service-requests:write'],
  ['POST', '/api/v1/service-requests/:id/complaint', 'complaints:log'],
  ['POST', '/api/v1/contacts', 'complaints:log'],
  ['GET', '/api/v1/me', 'authenticated'],
  ['GET', '/api/v1/users', 'users:read'],
  ['POST', '/api/v1/users', 'users:manage'],
  ['POST', '/api/v1/users/:id/tokens', 'users:manage'],
  ['GET', '/api/v1/settings', 'settings:read'],
  ['PATCH', '/api/v1/settings', 'settings:manage'],
  ['GET', '/api/v1/letter-templates', 'letters:read'],
  ['GET', '/api/v1/letter-templates/:kind', 'letters:read'],
  ['PUT', '/api/v1/letter-templates/:kind', 'letter-templates:manage'],
  ['DELETE', '/api/v1/letter-templates/:kind', 'letter-templates:manage'],
  ['GET', '/api/v1/complaints/:id/letters', 'letters:read'],
  ['POST', '/api/v1/complaints/:id/letters', 'letters:send'],
  ['POST', '/api/v1/complaints/:id/letters/preview', 'letters:send'],
  ['GET', '/api/v1/complaints/:id/letters/:letterId', 'letters:read'],
  ['GET', '/api/v1/complaints/:id/letters/:letterId.docx', 'letters:read'],
  ['GET', '/api/v1/complaints/:id/letters/:letterId.pdf', 'letters:read'],
  ['GET', '/api/v1/outbox', 'outbox:read'],
  ['GET', '/api/v1/outbox/:id', 'outbox:read'],
  ['POST', '/api/v1/outbox/:id/retry', 'outbox:manage'],
];

/** The only routes anyone may call without signing in (POST /api/v1/tokens exchanges a password for a token). */
function isExpectedPublic(url: string, method = 'GET') {
  if (url === '/api/v1/tokens') return method === 'POST';
  return url === '/health' || url === '/api/v1/openapi.json' || url === '/api/v1/docs' || url.startsWith('/api/v1/docs/');
}

/**
 * Parses fastify's own route tree (printRoutes with commonPrefix: false) into method + path pairs,
 * independently of the onRoute hook that fills routeTable.
 */
function routesFromPrintout(printout: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: string[] = [];
  for (const line of printout.split('\n')) {
    const m = /^(.*?)[├└]── (.+?)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = [...m[1]].length / 4;
    assert.ok(Number.isInteger(depth), `unexpected indentation in route printout: ${JSON.stringify(line)}`);
    stack.length = depth;
    stack.push(m[2]);
    if (m[3]) for (const method of m[3].split(',').map((s) => s.trim())) out.push({ method, path: stack.join('') });
  }
  return out;
}

/** A concrete URL for a route: real ids where the route has them. */
function concrete(url: string, ids: { complaint: string; resident: string; serviceRequest: string; user: string }) {
  let u = url;
  if (u.startsWith('/api/v1/residents/')) u = u.replace(':id', ids.resident);
  else if (u.startsWith('/api/v1/service-requests/')) u = u.replace(':id', ids.serviceRequest);
  else if (u.startsWith('/api/v1/users/')) u = u.replace(':id', ids.user);
  else u = u.replace(':id', ids.complaint);
  return u.replace(':attachmentId', crypto.randomUUID()).replace(':reference', 'CMP-000001').replace('*', 'index.html');
}

describe('a route without access cannot be registered', () => {
  async function register(config: Record<string, unknown> | undefined, url = '/x') {
    const app = Fastify();
    const table: RouteTable = [];
    enforceRouteAccess(app, table);
    try {
      app.get(url, config ? { config } : {}, async () => ({ secret: true }));
      await app.ready();
      return { error: null as unknown, table };
    } catch (error) {
      return { error, table };
    } finally {
      await app.close().catch(() => {});
    }
  }

  test('a route with no config.access makes the app fail to build', async () => {
    const { error, table } = await register(undefined);
    assert.ok(error instanceof RouteWithoutAccess, `expected RouteWithoutAccess, got ${String(error)}`);
    assert.match((error as Error).message, /GET \/x declares no access/);
    assert.equal(table.length, 0);
  });

  test('a route with an empty config fails too', async () => {
    const { error } = await register({});
    assert.ok(error instanceof RouteWithoutAccess);
  });

  test('a route naming an unknown permission fails', async () => {
    const { error } = await register({ access: 'complaints:destroy' });
    assert.ok(error instanceof RouteWithoutAccess);
    assert.match((error as Error).message, /unknown permission complaints:destroy/);
  });

  test('a route declaring access registers and is recorded (GET and its HEAD)', async () => {
    const { error, table } = await register({ access: 'complaints:read' });
    assert.equal(error, null);
    assert.deepEqual(
      table.map((r) => `${r.method} ${r.url} ${r.access}`),
      ['GET /x complaints:read', 'HEAD /x complaints:read'],
    );
  });

  test('only the API docs plugin prefix is made public automatically', async () => {
    const docs = await register(undefined, '/api/v1/docs/extra');
    assert.equal(docs.error, null);
    assert.equal(docs.table[0]?.access, 'public');
    const near = await register(undefined, '/api/v1/documents');
    assert.ok(near.error instanceof RouteWithoutAccess);
  });
});

forEachBackend('route access', (backend) => {
  let t: TestApp;
  const ids = { complaint: '', resident: '', serviceRequest: '', user: '' };
  before(async () => {
    t = await startTestApp(await backend.open());
    const c = await t.call('POST', '/api/v1/complaints', { body: NEW_COMPLAINT });
    assert.equal(c.status, 201);
    ids.complaint = c.body.id;
    ids.resident = c.body.residentId;
    const sr = await t.call('POST', '/api/v1/service-requests', { body: { channel: 'phone', description: 'Boiler broken', residentId: ids.resident } });
    assert.equal(sr.status, 201);
    ids.serviceRequest = sr.body.id;
    ids.user = t.users.handler.id;
  });
  after(async () => {
    await t?.close();
  });

  test('every registered route declares a known access', () => {
    const table = t.app.routeTable;
    assert.ok(table.length >= EXPECTED.length, `only ${table.length} routes in the table`);
    for (const r of table) {
      assert.ok(r.access, `${r.method} ${r.url} has no access`);
      assert.ok(r.access === 'public' || r.access === 'authenticated' || r.access in PERMISSIONS, `${r.method} ${r.url} has unknown access ${r.access}`);
    }
  });

  test('the table holds every main API route with the access it must have', () => {
    const byKey = new Map(t.app.routeTable.map((r) => [`${r.method} ${r.url}`, r.access]));
    for (const [method, url, access] of EXPECTED) {
      assert.equal(byKey.get(`${method} ${url}`), access, `${method} ${url}`);
      if (method === 'GET') assert.equal(byKey.get(`HEAD ${url}`), access, `HEAD ${url}`);
    }
  });

  test('in the API only the health check, the token exchange, the OpenAPI document and the docs are public', () => {
    const pub = t.app.routeTable.filter((r) => r.access === 'public' && (r.url === '/health' || r.url.startsWith('/api/')));
    assert.ok(pub.length > 0);
    for (const r of pub) assert.ok(isExpectedPublic(r.url, r.method), `${r.method} ${r.url} is public but should not be`);
    for (const r of t.app.routeTable) if (isExpectedPublic(r.url, r.method)) assert.equal(r.access, 'public', `${r.method} ${r.url}`);
  });

  test('the table matches fastify’s own router, route for route', () => {
    const printed = routesFromPrintout(t.app.printRoutes({ commonPrefix: false }));
    // The parser must have understood the tree: it has to find routes nested several levels deep.
    assert.ok(printed.some((r) => r.method === 'POST' && r.path === '/api/v1/complaints/:id/refuse-escalation'));
    assert.ok(printed.some((r) => r.method === 'GET' && r.path === '/api/v1/complaints/:id/attachments/:attachmentId'));
    const table = t.app.routeTable;
    const inTable = (method: string, path: string) =>
      table.some(
        (r) =>
          r.method === method &&
          // find-my-way prints a wildcard child as '*' without its static parent segment
          // ('/api/v1/docs/static/*' appears as '/api/v1/docs/*'), so match wildcards by prefix.
          (r.url === path || (path.endsWith('*') && r.url.endsWith('*') && r.url.startsWith(path.slice(0, -1)))),
      );
    for (const r of printed) assert.ok(inTable(r.method, r.path), `fastify serves ${r.method} ${r.path} but routeTable does not list it`);
    // Both lists hold each method + path once, so equal sizes mean neither has a route the other lacks.
    assert.equal(new Set(table.map((r) => `${r.method} ${r.url}`)).size, table.length, 'routeTable has duplicates');
    assert.equal(printed.length, table.length);
    for (const r of table) assert.ok(t.app.hasRoute({ method: r.method as any, url: r.url }), `routeTable lists ${r.method} ${r.url} but fastify does not serve it`);
  });

  test('unauthenticated requests to every non-public API route get 401 and no data', async () => {
    const guarded = t.app.routeTable.filter((r) => r.access !== 'public' && r.url.startsWith('/api/'));
    assert.ok(guarded.length >= EXPECTED.length);
    for (const r of guarded) {
      const url = concrete(r.url, ids);
      const bodies = r.method === 'POST' || r.method === 'PATCH' ? [{}, NEW_COMPLAINT, { version: 1, body: 'x' }] : [undefined];
      for (const body of bodies) {
        const res = await t.call(r.method, url, { as: null, body });
        assert.equal(res.status, 401, `${r.method} ${url} without a token gave ${res.status}`);
        if (r.method === 'HEAD') continue;
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message'], `${r.method} ${url}`);
        assert.equal(res.body.error, 'unauthenticated');
      }
    }
  });

  test('a bad or malformed token gets 401 on every non-public API route', async () => {
    const bad = [`Bearer ${crypto.randomBytes(24).toString('hex')}`, `Bearer ${t.users.manager.token}x`, 'Bearer ', `Basic ${Buffer.from('manager@test.example:pw').toString('base64')}`, t.users.manager.token];
    for (const r of t.app.routeTable.filter((x) => x.access !== 'public' && x.method !== 'HEAD' && x.url.startsWith('/api/'))) {
      const url = concrete(r.url, ids);
      for (const authorization of bad) {
        const res = await t.call(r.method, url, { as: null, headers: { authorization }, body: r.method === 'GET' ? undefined : {} });
        assert.equal(res.status, 401, `${r.method} ${url} with "${authorization.slice(0, 12)}…" gave ${res.status}`);
        assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message']);
        assert.equal(res.body.error, 'unauthenticated');
      }
    }
  });

  test('reading the complaint needs a token: without one nothing of it comes back', async () => {
    for (const url of [`/api/v1/complaints/${ids.complaint}`, '/api/v1/complaints', `/api/v1/complaints/${ids.complaint}/history`, `/api/v1/residents/${ids.resident}`]) {
      const res = await t.call('GET', url, { as: null });
      assert.equal(res.status, 401);
      const raw = JSON.stringify(res.body);
      for (const leak of [ids.complaint, 'Leak not fixed', 'AB1 2CD', 'Person']) assert.ok(!raw.includes(leak), `${url} leaked ${leak}`);
    }
    // and with a token it does, so the check above is not vacuous
    const ok = await t.call('GET', `/api/v1/complaints/${ids.complaint}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.description, 'Leak not fixed');
  });

  test('public routes answer without a token; an unknown URL is 404, not 401 or 403', async () => {
    const health = await t.call('GET', '/health', { as: null });
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'UP');
    const openapi = await t.call('GET', '/api/v1/openapi.json', { as: null });
    assert.equal(openapi.status, 200);
    assert.equal(openapi.body.openapi, '3.1.0');
    const docs = await t.call('GET', '/api/v1/docs/json', { as: null });
    assert.equal(docs.status, 200);
    for (const as of [null, t.users.manager]) {
      const missing = await t.call('GET', '/api/v1/no-such-thing', { as });
      assert.equal(missing.status, 404);
      assert.equal(missing.body.error, 'not_found');
    }
  });
});
