/**
 * /api/v1 learning items (the learning register, themes, "you said, we did") and Ombudsman cases
 * (requests for information, the determination with a finding per issue, orders and
 * recommendations with evidence of compliance, the open-orders view, the MRC flag), and the
 * reminders a signed-in user has been sent.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LEARNING_STATUSES } from '../../core/learning.js';
import { FINDINGS, ISSUE_KINDS, OMBUDSMEN, ORDER_KINDS } from '../../core/ombudsman.js';
import { learningSettingsSchema } from '../../services/learning.js';
import { idParams, localDate, optionalText, queryBool, text, uuid, version } from '../schemas.js';

const learningPatch = z
  .object({
    version,
    status: z.enum(LEARNING_STATUSES).optional(),
    rootCause: z.string().max(40).nullish().describe('A root cause key from the learning settings'),
    whatWentWrong: optionalText(5_000),
    recommendation: optionalText(5_000),
    serviceArea: optionalText(200).describe('The service area that owns the learning'),
    areaResponse: optionalText(5_000).describe('The service area’s response'),
    improvement: optionalText(5_000).describe('The improvement made'),
    improvedOn: localDate.nullish().describe('When the improvement was made'),
    closedReason: optionalText(2_000),
    publishable: z.boolean().optional().describe('Publish as “you said, we did” (managers and governance only; needs the words below and an improvement made)'),
    youSaid: optionalText(1_000).describe('For publication: what residents said, with no personal details'),
    weDid: optionalText(1_000).describe('For publication: what was done, with no personal details'),
  })
  .strict();

const learningInput = z
  .object({
    complaintId: uuid.nullish(),
    rootCause: z.string().max(40).nullish(),
    whatWentWrong: optionalText(5_000),
    recommendation: optionalText(5_000),
    serviceArea: optionalText(200),
    category: optionalText(200),
  })
  .strict();

const determination = z
  .object({
    version,
    determinedOn: localDate,
    summary: optionalText(5_000),
    findings: z
      .array(z.object({ issue: text(1_000), issueKind: z.enum(ISSUE_KINDS), finding: z.enum(FINDINGS), note: optionalText(2_000) }).strict())
      .min(1)
      .max(50)
      .describe('One finding per issue the Ombudsman decided (record keeping often has its own)'),
    orders: z
      .array(
        z
          .object({
            kind: z.enum(ORDER_KINDS),
            description: text(2_000),
            dueOn: localDate.nullish().describe('The “no later than” date (required for an order)'),
            amountPence: z.number().int().min(1).max(100_000_000).nullish(),
            ownerUserId: uuid.nullish(),
          })
          .strict(),
      )
      .max(50)
      .optional(),
  })
  .strict();

const api: FastifyPluginAsyncZod = async (app) => {
  const { learning, ombudsman, reminders } = app.services;

  // ------------------------------------------------------------------ learning

  app.get(
    '/learning-items',
    {
      config: { access: 'learning:read' },
      schema: {
        tags: ['learning'],
        summary: 'The learning register: open items first',
        querystring: z.object({ status: z.enum(LEARNING_STATUSES).optional(), complaintId: uuid.optional(), serviceArea: z.string().max(200).optional(), rootCause: z.string().max(40).optional(), limit: z.coerce.number().int().min(1).max(500).optional() }).strict(),
      },
    },
    async (req) => ({ items: await learning.list(req.actor!, req.query) }),
  );

  app.post(
    '/learning-items',
    { config: { access: 'learning:write' }, schema: { tags: ['learning'], summary: 'Add a learning item by hand (one is opened automatically for every upheld or partly upheld response)', body: learningInput } },
    async (req, reply) => reply.status(201).send(await learning.create(req.actor!, req.body)),
  );

  app.get(
    '/learning-items/themes',
    {
      config: { access: 'learning:read' },
      schema: { tags: ['learning'], summary: 'Themes: counts by root cause, service area and category, per quarter or month', querystring: z.object({ from: localDate, to: localDate, by: z.enum(['quarter', 'month']).optional() }).strict() },
    },
    async (req) => learning.themes(req.actor!, req.query.from, req.query.to, req.query.by ?? 'quarter'),
  );

  app.get('/learning-items/published', { config: { access: 'learning:read' }, schema: { tags: ['learning'], summary: 'The published “you said, we did” list, exactly as the public page /you-said-we-did shows it (no personal data)' } }, async () => ({ items: await learning.published() }));

  app.get('/learning-items/:id', { config: { access: 'learning:read' }, schema: { tags: ['learning'], summary: 'A learning item', params: idParams } }, async (req) => learning.get(req.actor!, req.params.id));

  app.patch(
    '/learning-items/:id',
    { config: { access: 'learning:write' }, schema: { tags: ['learning'], summary: 'Record the learning, the area’s response, the improvement, the status or publication', params: idParams, body: learningPatch } },
    async (req) => {
      const { version: v, ...patch } = req.body;
      return learning.update(req.actor!, req.params.id, v, patch);
    },
  );

  app.get('/settings/learning', { config: { access: 'settings:read' }, schema: { tags: ['settings'], summary: 'The root causes learning items choose from' } }, async () => learning.settings());

  app.put(
    '/settings/learning',
    { config: { access: 'settings:manage' }, schema: { tags: ['settings'], summary: 'Replace the list of root causes', body: learningSettingsSchema } },
    async (req) => learning.updateSettings(req.actor!, req.body),
  );

  // ------------------------------------------------------------------ Ombudsman cases

  app.get(
    '/ombudsman-cases',
    {
      config: { access: 'ombudsman:read' },
      schema: {
        tags: ['ombudsman'],
        summary: 'Ombudsman cases; severe=true lists those with severe maladministration (for the MRC)',
        querystring: z.object({ complaintId: uuid.optional(), status: z.enum(['open', 'determined', 'closed']).optional(), severe: queryBool.optional(), limit: z.coerce.number().int().min(1).max(500).optional() }).strict(),
      },
    },
    async (req) => ({ items: await ombudsman.list(req.actor!, req.query) }),
  );

  app.post(
    '/ombudsman-cases',
    {
      config: { access: 'ombudsman:write' },
      schema: {
        tags: ['ombudsman'],
        summary: 'Record an Ombudsman case on a complaint, with the Ombudsman’s reference',
        body: z.object({ complaintId: uuid, reference: text(100), ombudsman: z.enum(OMBUDSMEN).optional(), openedOn: localDate.nullish(), ownerUserId: uuid.nullish() }).strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await ombudsman.create(req.actor!, req.body)),
  );

  app.get('/ombudsman-cases/open-orders', { config: { access: 'ombudsman:read' }, schema: { tags: ['ombudsman'], summary: 'Orders and recommendations not yet complied with and evidenced, overdue first' } }, async (req) => ({
    items: await ombudsman.openOrders(req.actor!),
  }));

  app.get('/ombudsman-cases/:id', { config: { access: 'ombudsman:read' }, schema: { tags: ['ombudsman'], summary: 'An Ombudsman case', params: idParams } }, async (req) => ombudsman.get(req.actor!, req.params.id));

  app.post(
    '/ombudsman-cases/:id/requests',
    {
      config: { access: 'ombudsman:write' },
      schema: { tags: ['ombudsman'], summary: 'Record a request for information and its due date (a late reply risks a Complaint Handling Failure Order)', params: idParams, body: z.object({ version, requestedOn: localDate, dueOn: localDate, what: text(2_000) }).strict() },
    },
    async (req) => {
      const { version: v, ...input } = req.body;
      return ombudsman.addRequest(req.actor!, req.params.id, v, input);
    },
  );

  app.post(
    '/ombudsman-cases/:id/requests/:requestId/reply',
    {
      config: { access: 'ombudsman:write' },
      schema: { tags: ['ombudsman'], summary: 'Record the reply sent to a request for information', params: idParams.extend({ requestId: uuid }), body: z.object({ version, repliedOn: localDate, note: optionalText(2_000) }).strict() },
    },
    async (req) => {
      const { version: v, ...input } = req.body;
      return ombudsman.replyToRequest(req.actor!, req.params.id, req.params.requestId, v, input);
    },
  );

  app.post(
    '/ombudsman-cases/:id/determination',
    { config: { access: 'ombudsman:write' }, schema: { tags: ['ombudsman'], summary: 'Record the determination: a finding per issue, and the orders and recommendations', params: idParams, body: determination } },
    async (req) => {
      const { version: v, ...input } = req.body;
      return ombudsman.determine(req.actor!, req.params.id, v, input);
    },
  );

  app.post(
    '/ombudsman-cases/:id/mrc-report',
    { config: { access: 'ombudsman:mrc' }, schema: { tags: ['ombudsman'], summary: 'Record that the case was reported to the member responsible for complaints', params: idParams, body: z.object({ version, on: localDate }).strict() } },
    async (req) => ombudsman.reportToMrc(req.actor!, req.params.id, req.body.version, req.body.on),
  );

  app.post(
    '/ombudsman-cases/:id/close',
    { config: { access: 'ombudsman:write' }, schema: { tags: ['ombudsman'], summary: 'Close the case once every order is complied with and evidenced', params: idParams, body: z.object({ version, on: localDate }).strict() } },
    async (req) => ombudsman.close(req.actor!, req.params.id, req.body.version, req.body.on),
  );

  app.patch(
    '/ombudsman-orders/:id',
    {
      config: { access: 'ombudsman:write' },
      schema: {
        tags: ['ombudsman'],
        summary: 'Record compliance with an order or recommendation, the evidence, and the date it went to the Ombudsman',
        params: idParams,
        body: z.object({ version, compliedOn: localDate.nullish(), evidence: optionalText(5_000), evidenceSentOn: localDate.nullish(), declinedReason: optionalText(2_000) }).strict(),
      },
    },
    async (req) => {
      const { version: v, ...p } = req.body;
      return ombudsman.orderProgress(req.actor!, req.params.id, v, p);
    },
  );

  // ------------------------------------------------------------------ reminders

  app.get('/reminders/mine', { config: { access: 'actions:read' }, schema: { tags: ['actions'], summary: 'Reminders sent to you in the last 14 days' } }, async (req) => ({
    items: req.actor!.id ? await reminders.forUser(req.actor!.id) : [],
  }));
};

export default api;
