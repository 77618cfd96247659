/**
 * Data protection API (#8): subject access exports, retention (settings, dry run, runs, holds) and
 * the access audit.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACCESS_ACTIONS } from '../../services/data-protection/access-audit.js';
import { idParams, localDate, text, uuid } from '../schemas.js';

const dataProtectionApi: FastifyPluginAsyncZod = async (app) => {
  const { subjectAccess, retention, accessAudit } = app.services;

  app.post(
    '/subject-access-requests',
    {
      config: { access: 'subject-access:manage' },
      schema: {
        tags: ['data protection'],
        summary: 'Export everything held about a resident as one zip archive with a readable index (logged). Answers the archive itself.',
        body: z.object({ residentId: uuid, receivedOn: localDate.nullish() }).strict(),
      },
    },
    async (req, reply) => {
      const a = await subjectAccess.export(req.actor!, req.body.residentId, { receivedOn: req.body.receivedOn ?? null });
      return reply
        .status(201)
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="${a.filename}"`)
        .header('x-subject-access-request', a.request.id)
        .header('x-export-duration-ms', String(a.request.durationMs))
        .send(Buffer.from(a.zip));
    },
  );

  app.get(
    '/subject-access-requests',
    {
      config: { access: 'subject-access:manage' },
      schema: { tags: ['data protection'], summary: 'Subject access exports produced, newest first', querystring: z.object({ residentId: uuid.optional() }).strict() },
    },
    async (req) => ({ items: await subjectAccess.list(req.actor!, req.query.residentId) }),
  );

  app.get(
    '/subject-access-requests/:id/archive',
    { config: { access: 'subject-access:manage' }, schema: { tags: ['data protection'], summary: 'Download an export again (built from what is held now; logged)', params: idParams } },
    async (req, reply) => {
      const a = await subjectAccess.download(req.actor!, req.params.id);
      return reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${a.filename}"`).send(Buffer.from(a.zip));
    },
  );

  app.get('/retention/settings', { config: { access: 'retention:manage' }, schema: { tags: ['data protection'], summary: 'The retention period and whether the scheduled job anonymises' } }, async () =>
    retention.settings(),
  );

  app.put(
    '/retention/settings',
    {
      config: { access: 'retention:manage' },
      schema: {
        tags: ['data protection'],
        summary: 'Set the retention period after closure (years) and turn automatic anonymisation on or off',
        body: z.object({ years: z.number().int().min(1).max(100).optional(), enabled: z.boolean().optional() }).strict(),
      },
    },
    async (req) => retention.updateSettings(req.actor!, req.body),
  );

  app.get('/retention/preview', { config: { access: 'retention:manage' }, schema: { tags: ['data protection'], summary: 'Dry-run report: the complaints that would be anonymised now (held ones marked)' } }, async (req) =>
    retention.preview(req.actor!),
  );

  app.get(
    '/retention/runs',
    { config: { access: 'retention:manage' }, schema: { tags: ['data protection'], summary: 'Retention runs, newest first', querystring: z.object({ limit: z.coerce.number().int().min(1).max(200).optional() }).strict() } },
    async (req) => ({ items: await retention.runs(req.actor!, req.query.limit) }),
  );

  app.post(
    '/retention/runs',
    {
      config: { access: 'retention:manage' },
      schema: { tags: ['data protection'], summary: 'Run the retention job now (dryRun: true only reports)', body: z.object({ dryRun: z.boolean() }).strict() },
    },
    async (req, reply) => reply.status(201).send(await retention.runNow(req.actor!, { dryRun: req.body.dryRun })),
  );

  app.get('/retention/holds', { config: { access: 'retention:hold' }, schema: { tags: ['data protection'], summary: 'Complaints held from anonymisation' } }, async (req) => ({
    items: await retention.holds(req.actor!),
  }));

  app.put(
    '/complaints/:id/retention-hold',
    {
      config: { access: 'retention:hold' },
      schema: { tags: ['data protection'], summary: 'Hold a complaint from anonymisation (a case under dispute)', params: idParams, body: z.object({ reason: text(2000) }).strict() },
    },
    async (req) => retention.hold(req.actor!, req.params.id, req.body.reason),
  );

  app.delete(
    '/complaints/:id/retention-hold',
    { config: { access: 'retention:hold' }, schema: { tags: ['data protection'], summary: 'Lift a retention hold', params: idParams } },
    async (req) => retention.release(req.actor!, req.params.id),
  );

  app.get(
    '/access-audit',
    {
      config: { access: 'access-audit:read' },
      schema: {
        tags: ['data protection'],
        summary: 'Who opened restricted notes, resident records and exports, newest first',
        querystring: z
          .object({
            actorId: uuid.optional(),
            action: z.enum(Object.keys(ACCESS_ACTIONS) as [keyof typeof ACCESS_ACTIONS, ...(keyof typeof ACCESS_ACTIONS)[]]).optional(),
            residentId: uuid.optional(),
            complaintId: uuid.optional(),
            from: localDate.optional(),
            to: localDate.optional(),
            before: z.string().regex(/^\d{1,18}$/, 'must be a cursor from an earlier page').optional(),
            limit: z.coerce.number().int().min(1).max(500).optional(),
          })
          .strict(),
      },
    },
    async (req) => accessAudit.list(req.actor!, req.query),
  );
};

export default dataProtectionApi;
