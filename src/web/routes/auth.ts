/** Sign in and out. Sessions get a new id at every sign-in; repeated failures lock the account. */
import crypto from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { OidcConfig } from '../../services/oidc.js';
import { clearSessionCookie, setSessionCookie, singleError } from '../plugin.js';
import { formBody, pageContext, safeNext } from './common.js';

const LOGIN_CSRF_COOKIE = 'putright_login_csrf';

const auth: FastifyPluginAsync<{ secureCookies: boolean; oidc?: OidcConfig | null }> = async (app, opts) => {
  const loginPage = async (req: any, reply: any, extra: Record<string, unknown> = {}, status = 200) => {
    const token = crypto.randomBytes(18).toString('base64url');
    reply.setCookie(LOGIN_CSRF_COOKIE, token, { path: '/sign-in', httpOnly: true, sameSite: 'strict', secure: opts.secureCookies });
    return reply.view('sign-in.njk', await pageContext(app, req, { loginCsrf: token, next: safeNext(req.query?.next ?? extra.next), values: {}, errors: null, sso: opts.oidc?.label ?? null, ...extra }), status);
  };

  app.get('/sign-in', { config: { access: 'public' }, schema: { hide: true, querystring: z.object({ next: z.string().max(500).optional() }).passthrough() } }, async (req, reply) => {
    if (req.actor) return reply.redirect(safeNext((req.query as any).next), 303);
    return loginPage(req, reply);
  });

  app.post('/sign-in', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const body = formBody(req);
    const sent = (req.body as any)?._csrf;
    const expected = req.cookies[LOGIN_CSRF_COOKIE];
    if (!expected || typeof sent !== 'string' || sent !== expected) {
      return loginPage(req, reply, { message: 'Your sign-in form expired. Please try again.', next: body.next }, 403);
    }
    const email = String(body.email ?? '').trim();
    const password = String(body.password ?? '');
    if (!email || !password) {
      const errors = !email ? singleError('email', 'Enter your email address') : singleError('password', 'Enter your password');
      return loginPage(req, reply, { errors, values: { email }, next: body.next }, 400);
    }
    const parsed = z.string().email().safeParse(email);
    if (!parsed.success) return loginPage(req, reply, { errors: singleError('email', 'Enter an email address in the correct format, like name@example.org'), values: { email }, next: body.next }, 400);
    const result = await app.services.users.verifyPassword(email, password);
    if (!result.ok) {
      const text = result.locked
        ? 'Too many failed attempts. Your account is locked for 15 minutes; try again later or ask an administrator.'
        : 'The email address or password is not right';
      return loginPage(req, reply, { errors: singleError('email', text), values: { email }, next: body.next }, 401);
    }
    // A fresh session id at every sign-in: any id planted before sign-in is worthless.
    if (req.sessionId) await app.services.sessions.end(req.sessionId);
    const session = await app.services.sessions.start(result.actor.id!);
    setSessionCookie(reply, session.id, opts.secureCookies);
    reply.clearCookie(LOGIN_CSRF_COOKIE, { path: '/sign-in' });
    return reply.redirect(safeNext(body.next), 303);
  });

  app.post('/sign-out', { config: { access: 'authenticated' }, schema: { hide: true } }, async (req, reply) => {
    if (req.sessionId) await app.services.sessions.end(req.sessionId);
    clearSessionCookie(reply, opts.secureCookies);
    return reply.redirect('/sign-in', 303);
  });
};

export default auth;
