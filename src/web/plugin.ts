/**
 * The web layer's plumbing: form bodies, cookies, sessions, CSRF tokens on every form, a CSP
 * nonce per request, security headers, static assets and `reply.view`.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { assets } from './assets.js';
import { createViews } from './render.js';
import { can } from '../core/permissions.js';

export const SESSION_COOKIE = 'putright_session';

declare module 'fastify' {
  interface FastifyRequest {
    cspNonce: string;
    csrfToken: string | null;
    sessionId: string | null;
  }
  interface FastifyReply {
    view(template: string, context?: Record<string, unknown>, status?: number): FastifyReply;
  }
  interface FastifyContextConfig {
    /** A multipart (file upload) form whose handler reads the parts and checks the CSRF token itself. */
    csrfInHandler?: boolean;
  }
}

export interface FormErrors {
  errorList: { text: string; href: string }[];
  fields: Record<string, { text: string }>;
}

export function singleError(field: string, text: string): FormErrors {
  return { errorList: [{ text, href: `#${field.replace(/\./g, '-')}` }], fields: { [field]: { text } } };
}

export function isPage(req: FastifyRequest): boolean {
  const p = req.url.split('?')[0];
  return !p.startsWith('/api/') && !p.startsWith('/assets/') && p !== '/health';
}

export async function registerWeb(app: FastifyInstance) {
  const views = createViews();
  await app.register(formbody, { bodyLimit: 1_048_576 });

  app.decorateRequest('cspNonce', '');
  app.decorateRequest('csrfToken', null);
  app.decorateRequest('sessionId', null);

  app.addHook('onRequest', async (req) => {
    req.cspNonce = crypto.randomBytes(16).toString('base64');
  });

  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !req.url.startsWith('/api/v1/docs')) {
      reply.header(
        'content-security-policy',
        `default-src 'self'; script-src 'self' 'nonce-${req.cspNonce}'; style-src 'self' 'nonce-${req.cspNonce}'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'`,
      );
      reply.header('cache-control', 'no-store');
    }
    return payload;
  });

  app.decorateReply('view', function (this: FastifyReply, template: string, context: Record<string, unknown> = {}, status = 200) {
    const req = this.request;
    const settings = (context.__settings as any) ?? null;
    const actor = req.actor;
    const html = views.render(template, {
      ...context,
      cspNonce: req.cspNonce,
      csrfToken: req.csrfToken,
      actor,
      can: (p: string) => !!actor && actor.role !== 'system' && actor.role !== 'resident' && can(actor.role as any, p as any),
      currentPath: req.url.split('?')[0],
      landlord: settings?.landlord ?? context.landlord,
    });
    return this.status(status).type('text/html; charset=utf-8').send(html);
  });

  const table = assets();
  app.get('/assets/*', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const a = table.get(req.url.split('?')[0]);
    if (!a) return reply.status(404).type('text/plain').send('Not found');
    if (req.headers['if-none-match'] === a.etag) return reply.status(304).send();
    return reply.header('etag', a.etag).header('cache-control', 'public, max-age=3600').type(a.type).send(a.body);
  });

  // CSRF: every form post from a signed-in session must carry the session's token.
  app.addHook('preHandler', async (req, reply) => {
    if (req.method !== 'POST' || !isPage(req) || !req.sessionId) return;
    // A file upload's fields are read by its route, which checks the token itself; only routes that say so.
    if (req.routeOptions.config?.csrfInHandler && (req as any).isMultipart?.()) return;
    const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
    const expected = req.csrfToken ?? '';
    const ok = typeof sent === 'string' && sent.length === expected.length && crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
    if (!ok) {
      const s = await app.services.settings.get();
      return reply.view('error.njk', { __settings: s, title: 'This form has expired', message: 'For your security the form could not be sent. Go back, reload the page and try again.' }, 403);
    }
  });
}

export function setSessionCookie(reply: FastifyReply, id: string, secure: boolean) {
  reply.setCookie(SESSION_COOKIE, id, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: 12 * 3600 });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}
