/** /api/v1/users and /api/v1/settings: accounts, tokens and the landlord's settings. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ROLES } from '../../core/permissions.js';
import { settingsSchema } from '../../services/settings.js';
import { idParams, text } from '../schemas.js';

const adminApi: FastifyPluginAsyncZod = async (app) => {
  const { users, settings, complaints } = app.services;

  app.post(
    '/tokens',
    {
      config: { access: 'public' },
      schema: {
        tags: ['users'],
        summary: 'Exchange your email and password for an API token of your own (shown once). Repeated failures lock the account.',
        body: z.object({ email: z.string().max(320), password: z.string().max(256), name: text(100) }).strict(),
      },
    },
    async (req, reply) => {
      const result = await users.verifyPassword(req.body.email, req.body.password);
      if (!result.ok) {
        return reply.status(401).send({
          error: result.locked ? 'locked' : 'unauthenticated',
          message: result.locked ? 'Too many failed attempts: the account is locked for 15 minutes.' : 'The email address or password is not right.',
        });
      }
      return reply.status(201).send(await users.issueOwnToken(result.actor, req.body.name));
    },
  );

  app.get('/me', { config: { access: 'authenticated' }, schema: { tags: ['users'], summary: 'Who the token belongs to' } }, async (req) => req.actor);

  app.get('/users', { config: { access: 'users:read' }, schema: { tags: ['users'], summary: 'Staff accounts' } }, async () => ({ items: await users.list() }));

  app.post(
    '/users',
    {
      config: { access: 'users:manage' },
      schema: {
        tags: ['users'],
        summary: 'Create a staff account',
        body: z
          .object({ email: z.string().email('must be an email address').max(320), name: text(200), role: z.enum(ROLES), team: z.string().max(100).nullish(), password: z.string().min(12, 'must be at least 12 characters').max(256).nullish() })
          .strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await users.create(req.actor!, req.body)),
  );

  app.post(
    '/users/:id/tokens',
    { config: { access: 'users:manage' }, schema: { tags: ['users'], summary: 'Issue an API token for an integration (shown once)', params: idParams, body: z.object({ name: text(100) }).strict() } },
    async (req, reply) => reply.status(201).send(await users.createToken(req.actor!, req.params.id, req.body.name)),
  );

  app.get('/settings', { config: { access: 'settings:read' }, schema: { tags: ['settings'], summary: 'The landlord’s settings' } }, async () => settings.get());

  app.patch(
    '/settings',
    { config: { access: 'settings:manage' }, schema: { tags: ['settings'], summary: 'Change some sections of the settings', body: settingsSchema.partial().strict() } },
    async (req) => {
      const before = await settings.get();
      const next = await settings.update(req.actor!, req.body);
      // Deadlines not yet told to residents follow the calendar; say which changed.
      const recalculated = JSON.stringify(before.calendar) !== JSON.stringify(next.calendar) ? (await complaints.recomputeOpenProjections()).changed : [];
      return { settings: next, recalculatedComplaints: recalculated };
    },
  );
};

export default adminApi;
