/**
 * Single sign-on through OpenID Connect, when configured (PUTRIGHT_OIDC_*). The sign-in page then
 * offers "Sign in with <label>"; the provider's answer signs in the existing, active member of
 * staff whose email address matches the ID token's email claim. Accounts are never created here.
 */
import crypto from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { OidcRefused, OidcService, OidcUnavailable, type OidcConfig, type PendingSignIn } from '../../services/oidc.js';
import { setSessionCookie } from '../plugin.js';
import { pageContext, safeNext } from './common.js';

export const SSO_COOKIE = 'putright_sso';
const COOKIE_PATH = '/sign-in/sso';
const FLOW_MINUTES = 10;

interface FlowCookie extends PendingSignIn {
  next: string;
  /** When the flow started (ms since the epoch). */
  at: number;
}

function encodeFlow(flow: FlowCookie): string {
  return Buffer.from(JSON.stringify(flow)).toString('base64url');
}

function decodeFlow(raw: string | undefined): FlowCookie | null {
  if (!raw || raw.length > 2000) return null;
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    const ok = v && typeof v.state === 'string' && typeof v.nonce === 'string' && typeof v.codeVerifier === 'string' && typeof v.next === 'string' && typeof v.at === 'number';
    return ok ? v : null;
  } catch {
    return null;
  }
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

const sso: FastifyPluginAsync<{ secureCookies: boolean; oidc?: OidcConfig | null }> = async (app, opts) => {
  if (!opts.oidc) return;
  const oidc = new OidcService(opts.oidc);
  const label = opts.oidc.label;

  const problem = async (req: FastifyRequest, reply: FastifyReply, status: number, title: string, paragraphs: string[]) =>
    reply.view('sso-problem.njk', await pageContext(app, req, { title, paragraphs, label }), status);

  app.get(
    '/sign-in/sso',
    { config: { access: 'public' }, schema: { hide: true, querystring: z.object({ next: z.string().max(500).optional() }).passthrough() } },
    async (req, reply) => {
      const next = safeNext((req.query as { next?: string }).next);
      if (req.actor) return reply.redirect(next, 303);
      let started;
      try {
        started = await oidc.begin();
      } catch (err) {
        if (!(err instanceof OidcUnavailable)) throw err;
        req.log.warn({ err: err.cause }, 'single sign-on provider unavailable');
        return problem(req, reply, 503, `Signing in with ${label} is not working at the moment`, [
          'We could not reach the sign-in service. Try again in a few minutes.',
          'You can still sign in with your email address and password if you have one.',
        ]);
      }
      reply.setCookie(SSO_COOKIE, encodeFlow({ ...started.pending, next, at: Date.now() }), {
        path: COOKIE_PATH,
        httpOnly: true,
        // lax, not strict: the cookie must come back with the provider's top-level redirect.
        sameSite: 'lax',
        secure: opts.secureCookies,
        maxAge: FLOW_MINUTES * 60,
      });
      return reply.redirect(started.url, 303);
    },
  );

  app.get('/sign-in/sso/callback', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const flow = decodeFlow(req.cookies[SSO_COOKIE]);
    // Each flow can be finished once only.
    reply.clearCookie(SSO_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: opts.secureCookies });
    const query = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    const tryAgain = 'Go back to the sign-in page and try again.';

    if (!flow || Date.now() - flow.at > FLOW_MINUTES * 60_000) {
      return problem(req, reply, 400, 'Your sign-in could not be completed', ['The sign-in took too long, or was started in another browser or window.', tryAgain]);
    }
    const state = params.get('state');
    if (!state || !sameString(state, flow.state)) {
      req.log.warn('single sign-on callback with a state that does not match');
      return problem(req, reply, 400, 'Your sign-in could not be completed', ['The answer from the sign-in service did not match the sign-in you started, so we have not signed you in.', tryAgain]);
    }

    let identity;
    try {
      identity = await oidc.complete(query, flow);
    } catch (err) {
      if (err instanceof OidcUnavailable) {
        req.log.warn({ err: err.cause }, 'single sign-on provider unavailable');
        return problem(req, reply, 503, `Signing in with ${label} is not working at the moment`, ['We could not reach the sign-in service. Try again in a few minutes.']);
      }
      if (!(err instanceof OidcRefused)) throw err;
      req.log.warn({ err: err.cause ?? err, providerError: err.providerError }, 'single sign-on refused');
      const cancelled = err.providerError === 'access_denied';
      return problem(req, reply, 401, cancelled ? 'You have not been signed in' : 'Your sign-in could not be completed', [
        cancelled ? `Signing in with ${label} was cancelled or refused.` : 'The answer from the sign-in service could not be checked, so we have not signed you in.',
        tryAgain,
      ]);
    }

    if (!identity.email) {
      return problem(req, reply, 403, 'Your account has no email address', [
        `Your ${label} account did not give us a verified email address, so we cannot tell which member of staff you are.`,
        'Ask your IT team or an administrator of this service for help.',
      ]);
    }
    const actor = await app.services.users.findActiveByEmail(identity.email);
    if (!actor) {
      return reply.view(
        'sso-problem.njk',
        await pageContext(app, req, {
          title: 'You do not have an account for this service',
          label,
          paragraphs: [
            `You signed in with ${label} as ${identity.email}, but there is no active account for that email address here.`,
            'Ask an administrator of this service to add you (or to reactivate your account) with that email address. Accounts are not created automatically.',
          ],
        }),
        403,
      );
    }

    // Exactly as the password sign-in: a fresh session id, so any id planted before is worthless.
    if (req.sessionId) await app.services.sessions.end(req.sessionId);
    const session = await app.services.sessions.start(actor.id!);
    setSessionCookie(reply, session.id, opts.secureCookies);
    return reply.redirect(safeNext(flow.next), 303);
  });
};


export default sso;
