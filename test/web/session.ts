/** Signing in through the real sign-in form, for page tests. */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/** The value of the first hidden `_csrf` field in a page. */
export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]*)"/.exec(html);
  assert.ok(m, 'the page has a _csrf field');
  return m[1].replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}

/** `name=value` of a cookie set by a response, or null. */
export function cookieFrom(headers: Record<string, unknown>, name: string): string | null {
  const raw = headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw ? [String(raw)] : [];
  for (const c of list) {
    const pair = String(c).split(';')[0];
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return null;
}

/** Sign in with an email and password; returns the Cookie header for the new session. */
export async function signIn(app: FastifyInstance, email: string, password: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  assert.equal(page.statusCode, 200);
  const loginCookie = cookieFrom(page.headers, 'putright_login_csrf');
  assert.ok(loginCookie, 'the sign-in page sets its CSRF cookie');
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: loginCookie },
    payload: new URLSearchParams({ _csrf: csrfFrom(page.body), email, password, next: '/' }).toString(),
  });
  assert.equal(res.statusCode, 303, `signing in as ${email} redirects`);
  const session = cookieFrom(res.headers, 'putright_session');
  assert.ok(session, 'signing in sets the session cookie');
  return session;
}

/** A form post from a signed-in session. Values may repeat (arrays). */
export function postForm(app: FastifyInstance, url: string, cookie: string, fields: Record<string, string | string[] | undefined>) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    for (const x of [v].flat()) body.append(k, x);
  }
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, payload: body.toString() });
}

/** A page fetched as a signed-in user. */
export function getPage(app: FastifyInstance, url: string, cookie: string) {
  return app.inject({ method: 'GET', url, headers: { cookie } });
}

/** The visible text of a page, roughly: tags removed, entities for quotes decoded, spaces collapsed. */
export function textOf(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}
