/**
 * Single sign-on through OpenID Connect, against a real OpenID provider (the oidc-provider
 * package) started here on 127.0.0.1 with one client and an interaction that signs in at once.
 * The browser is played by hand: redirects and cookies are followed with fetch (at the provider)
 * and inject (at Putright).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { backends, forEachBackend } from '../helpers/db.js';
import { buildApp } from '../../src/http/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import type { OidcConfig } from '../../src/services/oidc.js';
import { loadConfig } from '../../src/config.js';

const CLIENT_ID = 'putright';
const CLIENT_SECRET = crypto.randomBytes(32).toString('base64url');
const APP_ORIGIN = 'http://putright.test';
const REDIRECT_URL = `${APP_ORIGIN}/sign-in/sso/callback`;

/** What the provider says about whoever signs in, and whether to spoil the ID token's signature. */
const idp = { email: 'sasha@test.example', tamperSignature: false };

async function startProvider(): Promise<{ issuer: string; close(): Promise<void> }> {
  // Loaded by name so the type checker does not need the package's types.
  const { default: Provider } = (await import('oidc-provider' as string)) as { default: any };
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URL],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(16).toString('hex')] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // Put the email claim in the ID token itself (as Entra ID does with the optional email claim).
    conformIdTokenClaims: false,
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub, email: idp.email, email_verified: true, name: 'Sasha SSO' }) }),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // First-party client: consent is taken as given.
    loadExistingGrant: async (ctx: any) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile');
      await grant.save();
      return grant;
    },
  });
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    // The login "page": signs in at once as a fixed account.
    if (req.url?.startsWith('/interaction/')) {
      try {
        await provider.interactionFinished(req, res, { login: { accountId: 'entra-user-1' } }, { mergeWithLastSubmission: false });
      } catch (err) {
        res.statusCode = 500;
        res.end(String(err));
      }
      return;
    }
    if (idp.tamperSignature && req.url === '/token' && req.method === 'POST') {
      // Change one character in the middle of the ID token's signature (same length, so the
      // Content-Length the provider set stays right).
      const end = res.end.bind(res) as (...args: any[]) => any;
      (res as any).end = (chunk: any, ...rest: any[]) => {
        if (chunk) {
          const body = JSON.parse(chunk.toString());
          if (body.id_token) {
            const [h, p, s] = body.id_token.split('.');
            const mid = Math.floor(s.length / 2);
            body.id_token = [h, p, s.slice(0, mid) + (s[mid] === 'A' ? 'B' : 'A') + s.slice(mid + 1)].join('.');
            chunk = JSON.stringify(body);
          }
        }
        return end(chunk, ...rest);
      };
    }
    callback(req, res);
  });

  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Start the flow at Putright and follow the provider's redirects until it sends the browser back. */
async function throughProvider(app: FastifyInstance, next = '/work') {
  const start = await app.inject({ method: 'GET', url: `/sign-in/sso?next=${encodeURIComponent(next)}` });
  assert.equal(start.statusCode, 303, start.body.slice(0, 500));
  const flow = start.cookies.find((c) => c.name === 'putright_sso');
  assert.ok(flow, 'the flow cookie is set');
  assert.equal(flow.httpOnly, true);
  assert.equal(flow.path, '/sign-in/sso');
  assert.ok(Number(flow.maxAge) > 0 && Number(flow.maxAge) <= 900, 'the flow cookie is short-lived');
  const authorise = new URL(String(start.headers.location));
  assert.equal(authorise.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorise.searchParams.get('code_challenge'));
  assert.ok(authorise.searchParams.get('state'));
  assert.ok(authorise.searchParams.get('nonce'));
  assert.equal(authorise.searchParams.get('redirect_uri'), REDIRECT_URL);

  const jar = new Map<string, string>();
  let url = authorise.href;
  for (let hop = 0; hop < 10; hop++) {
    if (url.startsWith(`${APP_ORIGIN}/`)) return { callback: new URL(url), flowCookie: flow.value };
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0];
      const i = pair.indexOf('=');
      jar.set(pair.slice(0, i), pair.slice(i + 1));
    }
    const location = res.headers.get('location');
    if (!location) throw new Error(`the provider stopped at ${url}: ${res.status} ${(await res.text()).slice(0, 500)}`);
    url = new URL(location, url).href;
  }
  throw new Error('too many redirects');
}

function callbackAt(app: FastifyInstance, callback: URL, flowCookie: string | null) {
  return app.inject({ method: 'GET', url: `${callback.pathname}${callback.search}`, cookies: flowCookie ? { putright_sso: flowCookie } : {} });
}

test('single sign-on configuration: all or nothing, https only (except on this machine)', () => {
  assert.equal(loadConfig({}).oidc, null);
  const ok = loadConfig({
    PUTRIGHT_OIDC_ISSUER: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    PUTRIGHT_OIDC_CLIENT_ID: 'abc',
    PUTRIGHT_OIDC_CLIENT_SECRET: 'shh',
    PUTRIGHT_OIDC_REDIRECT_URL: 'https://complaints.example.org.uk/sign-in/sso/callback',
    PUTRIGHT_OIDC_LABEL: 'Microsoft',
  }).oidc;
  assert.deepEqual(ok, {
    issuer: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0',
    clientId: 'abc',
    clientSecret: 'shh',
    redirectUrl: 'https://complaints.example.org.uk/sign-in/sso/callback',
    label: 'Microsoft',
  });
  assert.throws(() => loadConfig({ PUTRIGHT_OIDC_ISSUER: 'https://idp.example' }), /PUTRIGHT_OIDC_CLIENT_ID[\s\S]*PUTRIGHT_OIDC_REDIRECT_URL/);
  assert.throws(() => loadConfig({ PUTRIGHT_OIDC_CLIENT_ID: 'abc' }), /PUTRIGHT_OIDC_ISSUER/);
  assert.throws(
    () => loadConfig({ PUTRIGHT_OIDC_ISSUER: 'http://idp.example', PUTRIGHT_OIDC_CLIENT_ID: 'a', PUTRIGHT_OIDC_REDIRECT_URL: 'https://c.example/sign-in/sso/callback' }),
    /PUTRIGHT_OIDC_ISSUER: must be an https/,
  );
  assert.throws(() => loadConfig({ PUTRIGHT_OIDC_ISSUER: 'https://idp.example', PUTRIGHT_OIDC_CLIENT_ID: 'a', PUTRIGHT_OIDC_REDIRECT_URL: 'https://c.example/callback' }), /\/sign-in\/sso\/callback/);
  assert.doesNotThrow(() => loadConfig({ PUTRIGHT_OIDC_ISSUER: 'http://127.0.0.1:9999', PUTRIGHT_OIDC_CLIENT_ID: 'a', PUTRIGHT_OIDC_REDIRECT_URL: 'http://localhost:3000/sign-in/sso/callback' }));
});

forEachBackend('single sign-on', (backend) => {
  let provider: Awaited<ReturnType<typeof startProvider>>;
  let app: FastifyInstance;
  let close: () => Promise<void>;
  /** What the app logs at warn and above (never personal data). */
  const logs: any[] = [];

  before(async () => {
    provider = await startProvider();
    const database = await backend.open();
    const oidc: OidcConfig = { issuer: provider.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: REDIRECT_URL, label: 'Microsoft' };
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    app = await buildApp({ database, oidc, logger });
    await app.ready();
    close = async () => {
      await app.close();
      await database.close();
    };
    await app.services.users.create(SYSTEM_ACTOR, { email: 'sasha@test.example', name: 'Sasha Sign-on', role: 'handler' });
    const gone = await app.services.users.create(SYSTEM_ACTOR, { email: 'gone@test.example', name: 'Gita Gone', role: 'handler' });
    await app.services.users.setActive(SYSTEM_ACTOR, gone.id, false);
  });
  after(async () => {
    await close?.();
    await provider?.close();
  });

  test('the sign-in page offers the button', async () => {
    const page = await app.inject({ method: 'GET', url: '/sign-in' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<a class="govuk-button govuk-button--secondary" href="\/sign-in\/sso">Sign in with Microsoft<\/a>/);
  });

  test('an existing member of staff whose email matches the token signs in, and the session works on /work', async () => {
    idp.email = 'Sasha@Test.Example';
    const { callback, flowCookie } = await throughProvider(app);
    assert.ok(callback.searchParams.get('code'));
    const res = await callbackAt(app, callback, flowCookie);
    assert.equal(res.statusCode, 303, res.body.slice(0, 800));
    assert.equal(res.headers.location, '/work');
    const session = res.cookies.find((c) => c.name === 'putright_session');
    assert.ok(session?.value);
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Lax');
    assert.ok(res.cookies.some((c) => c.name === 'putright_sso' && (c.value === '' || Number(c.maxAge) === 0)), 'the flow cookie is cleared');
    const work = await app.inject({ method: 'GET', url: '/work', cookies: { putright_session: session.value } });
    assert.equal(work.statusCode, 200);
    assert.match(work.body, /Sasha Sign-on/);
    // The same answer cannot be used twice: its flow cookie has gone with it.
    const replay = await callbackAt(app, callback, null);
    assert.equal(replay.statusCode, 400);
    assert.equal(replay.cookies.find((c) => c.name === 'putright_session'), undefined);
  });

  test('a wrong state is refused, and nobody is signed in', async () => {
    idp.email = 'sasha@test.example';
    const { callback, flowCookie } = await throughProvider(app);
    const forged = new URL(callback);
    forged.searchParams.set('state', crypto.randomBytes(32).toString('base64url'));
    const res = await callbackAt(app, forged, flowCookie);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /did not match the sign-in you started/);
    assert.equal(res.cookies.find((c) => c.name === 'putright_session'), undefined);
    // Without the flow cookie at all (a callback from a flow started elsewhere): refused too.
    const other = await callbackAt(app, callback, null);
    assert.equal(other.statusCode, 400);
    assert.equal(other.cookies.find((c) => c.name === 'putright_session'), undefined);
  });

  test('an email with no account here is refused with a page saying to ask an administrator', async () => {
    idp.email = 'stranger@elsewhere.example';
    const { callback, flowCookie } = await throughProvider(app);
    const res = await callbackAt(app, callback, flowCookie);
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /You do not have an account for this service/);
    assert.match(res.body, /stranger@elsewhere\.example/);
    assert.match(res.body, /Ask an administrator of this service to add you/);
    assert.equal(res.cookies.find((c) => c.name === 'putright_session'), undefined);
    assert.equal(await app.db.selectFrom('users').select('id').where('email', '=', 'stranger@elsewhere.example').executeTakeFirst(), undefined, 'no account is created');
  });

  test('a deactivated member of staff is refused the same way', async () => {
    idp.email = 'gone@test.example';
    const { callback, flowCookie } = await throughProvider(app);
    const res = await callbackAt(app, callback, flowCookie);
    assert.equal(res.statusCode, 403);
    assert.match(res.body, /no active account for that email address/);
    assert.equal(res.cookies.find((c) => c.name === 'putright_session'), undefined);
  });

  test('the ID token is checked: a nonce that does not match, or a spoiled signature, is refused', async () => {
    idp.email = 'sasha@test.example';
    const a = await throughProvider(app);
    const flow = JSON.parse(Buffer.from(a.flowCookie, 'base64url').toString());
    const wrongNonce = Buffer.from(JSON.stringify({ ...flow, nonce: crypto.randomBytes(32).toString('base64url') })).toString('base64url');
    logs.length = 0;
    const nonceRes = await callbackAt(app, a.callback, wrongNonce);
    assert.equal(nonceRes.statusCode, 401);
    assert.match(nonceRes.body, /could not be checked/);
    assert.equal(nonceRes.cookies.find((c) => c.name === 'putright_session'), undefined);
    assert.match(JSON.stringify(logs), /nonce/i, 'refused for its nonce');

    idp.tamperSignature = true;
    try {
      const b = await throughProvider(app);
      logs.length = 0;
      const sigRes = await callbackAt(app, b.callback, b.flowCookie);
      assert.equal(sigRes.statusCode, 401);
      assert.match(sigRes.body, /could not be checked/);
      assert.equal(sigRes.cookies.find((c) => c.name === 'putright_session'), undefined);
      assert.match(JSON.stringify(logs), /signature/i, 'refused for its signature');
    } finally {
      idp.tamperSignature = false;
    }
    // And with the signature left alone the same flow works, so the refusal above was the signature's.
    const c = await throughProvider(app);
    assert.equal((await callbackAt(app, c.callback, c.flowCookie)).statusCode, 303);
  });
});

test('without single sign-on configured there is no button and no route; an unreachable provider gets a clear page', async () => {
  const database = await backends()[0].open();
  try {
    const plain = await buildApp({ database });
    try {
      const page = await plain.inject({ method: 'GET', url: '/sign-in' });
      assert.equal(page.statusCode, 200);
      assert.doesNotMatch(page.body, /Sign in with/);
      assert.equal((await plain.inject({ method: 'GET', url: '/sign-in/sso' })).statusCode, 404);
    } finally {
      await plain.close();
    }

    // A port nobody listens on.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const down = await buildApp({ database, oidc: { issuer: `http://127.0.0.1:${port}`, clientId: 'x', clientSecret: null, redirectUrl: REDIRECT_URL, label: 'Microsoft' } });
    try {
      const res = await down.inject({ method: 'GET', url: '/sign-in/sso' });
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /Signing in with Microsoft is not working at the moment/);
      assert.equal(res.cookies.find((c) => c.name === 'putright_sso'), undefined);
    } finally {
      await down.close();
    }
  } finally {
    await database.close();
  }
});
