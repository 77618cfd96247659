/**
 * Route access: every route declares `config.access` (a permission, 'authenticated' or 'public').
 * Registering a route without one fails at start-up, so no route can be left open by mistake.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { can, PERMISSIONS, type RouteAccess } from '../core/permissions.js';
import type { Actor } from '../services/actor.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export class RouteWithoutAccess extends Error {}

/** Routes added by third-party plugins (the API docs) that we mark public. */
const PLUGIN_PUBLIC_PREFIXES = ['/api/v1/docs'];

export type RouteTable = { method: string; url: string; access: RouteAccess }[];

export function enforceRouteAccess(app: FastifyInstance, registeredRoutes: RouteTable) {
  app.addHook('onRoute', (route: RouteOptions) => {
    const cfg = (route.config ?? {}) as { access?: RouteAccess };
    if (!cfg.access && PLUGIN_PUBLIC_PREFIXES.some((p) => route.url.startsWith(p))) {
      route.config = { ...(route.config as object), access: 'public' } as any;
      cfg.access = 'public';
    }
    if (!cfg.access) throw new RouteWithoutAccess(`Route ${String(route.method)} ${route.url} declares no access (config.access).`);
    if (cfg.access !== 'public' && cfg.access !== 'authenticated' && !(cfg.access in PERMISSIONS)) {
      throw new RouteWithoutAccess(`Route ${String(route.method)} ${route.url} declares an unknown permission ${cfg.access}.`);
    }
    // A plugin's '/' route under a prefix is also served at prefix + '/' (prefixTrailingSlash 'both'),
    // with the same options, but fastify runs onRoute only for the first: list the twin as well.
    const r = route as RouteOptions & { routePath?: string; prefix?: string };
    const ignoreTrailingSlash = (app.initialConfig.routerOptions as { ignoreTrailingSlash?: boolean } | undefined)?.ignoreTrailingSlash === true;
    const twin = r.routePath === '' && !!r.prefix && (route.prefixTrailingSlash ?? 'both') === 'both' && !ignoreTrailingSlash;
    for (const m of [route.method].flat()) {
      registeredRoutes.push({ method: String(m), url: route.url, access: cfg.access });
      if (twin && m !== 'HEAD') registeredRoutes.push({ method: String(m), url: `${route.url}/`, access: cfg.access });
    }
  });
}

export type ActorResolver = (req: FastifyRequest) => Promise<Actor | null>;

export function authorise(app: FastifyInstance, resolve: ActorResolver, onDenied: (req: FastifyRequest, reply: FastifyReply, status: 401 | 403) => unknown) {
  app.decorateRequest('actor', null);
  // preValidation, not preHandler: callers without access get 401/403 before their input is
  // validated, so schema errors never reach someone who may not use the route.
  app.addHook('preValidation', async (req, reply) => {
    if (req.is404) return; // the not-found handler has no route config; it answers 404 itself
    const access = (req.routeOptions.config as { access?: RouteAccess }).access;
    if (!access) return onDenied(req, reply, 403); // unreachable: onRoute refuses such routes
    if (access === 'public') {
      req.actor = await resolve(req).catch(() => null);
      return;
    }
    const actor = await resolve(req);
    if (!actor) return onDenied(req, reply, 401);
    req.actor = actor;
    if (access === 'authenticated') return;
    if (actor.role === 'system' || actor.role === 'resident' || !can(actor.role, access)) return onDenied(req, reply, 403);
  });
}
