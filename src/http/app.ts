/**
 * The Fastify application: plugins, route access, error mapping, the JSON API and its OpenAPI
 * document. Built around a database handle so tests and the server share one construction.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DatabaseHandle, Db } from '../db/database.js';
import { refreshStageFacts } from '../services/stage-facts.js';
import { buildServices, type Services } from '../services/index.js';
import { authorise, enforceRouteAccess, type RouteTable } from './access.js';
import { errorHandler, isDatabaseUnavailable } from './errors.js';
import complaintsApi from './routes/api-complaints.js';
import residentsApi from './routes/api-residents.js';
import serviceRequestsApi from './routes/api-service-requests.js';
import adminApi from './routes/api-admin.js';
import lettersApi from './routes/api-letters.js';
import remediesApi from './routes/api-remedies.js';
import dataProtectionApi from './routes/api-data-protection.js';
import learningOmbudsmanApi from './routes/api-learning-ombudsman.js';
import reportsApi from './routes/api-reports.js';
import selfAssessmentsApi from './routes/api-self-assessments.js';
import cookie from '@fastify/cookie';
import { isPage, registerWeb, SESSION_COOKIE } from '../web/plugin.js';
import pageRoutes from '../web/routes/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    services: Services;
    db: Db;
    routeTable: RouteTable;
  }
}

export interface AppOptions {
  database: DatabaseHandle;
  clock?: () => Date;
  /** A pino logger to use, or true for a default one; none when absent. */
  logger?: boolean | import('pino').Logger;
  bodyLimit?: number;
  trustProxy?: boolean;
  /** Mark cookies Secure (behind TLS, in production). */
  secureCookies?: boolean;
  /** Single sign-on through OpenID Connect; off when absent. */
  oidc?: import('../services/oidc.js').OidcConfig | null;
  /** The address residents use, for links in emails; without it, the request's own address. */
  publicUrl?: string | null;
  /** How long a token or session may be trusted without asking the database (ms; 0: never). Default 5 s. */
  authCacheMs?: number;
  /** The data export's batch size and workbook limit (tests make them small); its snapshot follows the database. */
  dataExport?: Omit<import('../services/data-export.js').DataExportOptions, 'snapshot'>;
}

/** Log lines carry the method, the path without its query string, and ids: never personal data. */
/**
 * Paths pino removes: credentials in request headers, including the copy @fastify/multipart logs
 * at trace level when it sets up an upload (busboyOptions.headers).
 */
export const logRedact = ['req.headers.authorization', 'req.headers.cookie', 'busboyOptions.headers.cookie', 'busboyOptions.headers.authorization'];

export const logSerializers = {
  req(req: any) {
    return { method: req.method, path: String(req.url ?? '').split('?')[0], id: req.id };
  },
  res(res: any) {
    return { statusCode: res.statusCode };
  },
};

export async function buildApp(opts: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(typeof opts.logger === 'object' ? { loggerInstance: opts.logger as any } : { logger: opts.logger === true ? { serializers: logSerializers } : false }),
    bodyLimit: opts.bodyLimit ?? 1_048_576,
    trustProxy: opts.trustProxy ?? false,
    return503OnClosing: true,
    requestIdHeader: false,
    ajv: undefined,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'not_found', message: `There is nothing at ${req.method} ${req.url.split('?')[0]}.` }));

  const routeTable: RouteTable = [];
  app.decorate('routeTable', routeTable);
  app.decorate('db', opts.database.db);
  app.decorate('services', buildServices(opts.database.db, opts.clock, { authCacheMs: opts.authCacheMs, dataExport: { ...opts.dataExport, snapshot: opts.database.kind === 'postgres' }, parallelReads: opts.database.kind === 'postgres' }));
  // The measures' stored facts and case summaries: fold any that are stale (a database from before
  // they were stored, or a calendar change another instance did not finish) before serving, so
  // reports only ever read them.
  app.addHook('onReady', async () => {
    const folded = await refreshStageFacts(opts.database.db, await app.services.settings.calendar());
    if (folded > 0) app.log.info({ folded }, 'stored facts folded again for complaints whose facts were out of date');
  });
  enforceRouteAccess(app, routeTable);
  await app.register(cookie);

  // The API takes bearer tokens; pages take the session cookie (and so need CSRF tokens).
  authorise(
    app,
    async (req) => {
      if (!isPage(req)) {
        const h = req.headers.authorization;
        if (h && /^Bearer\s+/i.test(h)) return app.services.users.actorForToken(h.replace(/^Bearer\s+/i, '').trim());
        return null;
      }
      const sid = req.cookies?.[SESSION_COOKIE];
      if (!sid) return null;
      const session = await app.services.sessions.resolve(sid);
      if (!session) return null;
      req.sessionId = sid;
      req.csrfToken = session.csrfToken;
      return session.actor;
    },
    async (req, reply, status) => {
      if (!isPage(req)) {
        return reply
          .status(status)
          .send(status === 401 ? { error: 'unauthenticated', message: 'Sign in, or send an API token as "Authorization: Bearer …".' } : { error: 'forbidden', message: 'You do not have permission to do that.' });
      }
      if (status === 401) return reply.redirect(`/sign-in?next=${encodeURIComponent(req.url.split('?')[0])}`, 303);
      const settings = await app.services.settings.get();
      return reply.view('error.njk', { __settings: settings, title: 'You cannot see this page', message: 'Your role does not allow this. Ask your complaints manager or administrator if you need it.' }, 403);
    },
  );

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Putright API',
        version: '1.0.0',
        description: 'Complaint handling under the Housing Ombudsman’s Complaint Handling Code (2024). Send an API token as "Authorization: Bearer …".',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.get('/health', { config: { access: 'public' }, schema: { hide: true } }, async (_req, reply) => {
    try {
      const t = Date.now();
      await opts.database.ping();
      return { status: 'UP', database: { kind: opts.database.kind, status: 'UP', ms: Date.now() - t } };
    } catch (err) {
      return reply.status(503).send({ status: 'DOWN', database: { kind: opts.database.kind, status: 'DOWN', error: isDatabaseUnavailable(err) ? 'unreachable' : 'error' } });
    }
  });

  await app.register(
    async (api) => {
      await api.register(complaintsApi);
      await api.register(residentsApi);
      await api.register(serviceRequestsApi);
      await api.register(adminApi);
      await api.register(lettersApi);
      await api.register(remediesApi);
      await api.register(dataProtectionApi);
      await api.register(learningOmbudsmanApi);
      await api.register(reportsApi);
      await api.register(selfAssessmentsApi);
      api.get('/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: '/api/v1' },
  );
  await app.register(swaggerUi, { routePrefix: '/api/v1/docs' });

  await registerWeb(app);
  await app.register(pageRoutes, { secureCookies: opts.secureCookies ?? false, oidc: opts.oidc ?? null, publicUrl: opts.publicUrl ?? null });

  return app;
}
