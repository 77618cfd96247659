/**
 * /api/v1/letter-templates, /api/v1/complaints/{id}/letters and /api/v1/outbox: the letters the
 * Code requires, their wording, the letters sent on a case (as Word and PDF too), and the email outbox.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { LETTER_KINDS, TemplateProblem } from '../../core/letters.js';
import { LetterIncomplete } from '../../services/letters.js';
import { OUTBOX_STATUSES } from '../../services/outbox.js';
import { errorHandler } from '../errors.js';
import { idempotencyHeaders, idParams, optionalText, queryBool, uuid } from '../schemas.js';

const kindParams = z.object({ kind: z.enum(LETTER_KINDS) });
const letterParams = z.object({ id: uuid, letterId: uuid });
const sendBody = z
  .object({
    kind: z.enum(LETTER_KINDS),
    channel: z.enum(['email', 'post']).nullish().describe('By default: email when the resident has an email address and does not prefer letters'),
    summary: optionalText(5_000).describe('Update letters: what to tell the resident, if not the last update recorded on the case'),
    actionId: uuid.nullish().describe('Action-completed letters: which completed action (the latest by default)'),
  })
  .strict();

const lettersApi: FastifyPluginAsyncZod = async (app) => {
  const { letters, outbox } = app.services;

  // A refused template or an incomplete letter names every missing element.
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof TemplateProblem) {
      return reply.status(422).send({ error: err.missing.length ? 'template_missing_elements' : 'template_invalid', message: err.message, missing: err.missing });
    }
    if (err instanceof LetterIncomplete) return reply.status(422).send({ error: 'letter_incomplete', message: err.message, missing: err.missing });
    return errorHandler(err, req, reply);
  });

  app.get(
    '/letter-templates',
    { config: { access: 'letters:read' }, schema: { tags: ['letters'], summary: 'Every letter kind’s wording, its required elements and the fields a template may use' } },
    async (req) => letters.listTemplates(req.actor!),
  );

  app.get(
    '/letter-templates/:kind',
    { config: { access: 'letters:read' }, schema: { tags: ['letters'], summary: 'One letter kind’s wording and required elements', params: kindParams } },
    async (req) => letters.getTemplate(req.actor!, req.params.kind),
  );

  app.put(
    '/letter-templates/:kind',
    {
      config: { access: 'letter-templates:manage' },
      schema: {
        tags: ['letters'],
        summary: 'Change a letter’s wording. Refused (422) if it drops an element the Code requires, naming what is missing.',
        params: kindParams,
        body: z.object({ subject: z.string().trim().min(1, 'must not be empty').max(500), body: z.string().trim().min(1, 'must not be empty').max(30_000), version: z.number().int().min(0).nullish() }).strict(),
      },
    },
    async (req) => letters.saveTemplate(req.actor!, req.params.kind, req.body),
  );

  app.delete(
    '/letter-templates/:kind',
    { config: { access: 'letter-templates:manage' }, schema: { tags: ['letters'], summary: 'Go back to the default wording', params: kindParams } },
    async (req) => letters.resetTemplate(req.actor!, req.params.kind),
  );

  app.get(
    '/complaints/:id/letters',
    { config: { access: 'letters:read' }, schema: { tags: ['letters'], summary: 'The letters sent on the case, with each email’s delivery status', params: idParams } },
    async (req) => ({ items: await letters.list(req.actor!, req.params.id) }),
  );

  app.post(
    '/complaints/:id/letters/preview',
    {
      config: { access: 'letters:send' },
      schema: { tags: ['letters'], summary: 'Render a letter from the case without sending it: words, required-element check, readability, and how it would go', params: idParams, body: sendBody },
    },
    async (req) => letters.preview(req.actor!, req.params.id, req.body.kind, req.body),
  );

  app.post(
    '/complaints/:id/letters',
    {
      config: { access: 'letters:send' },
      schema: {
        tags: ['letters'],
        summary: 'Render the letter from the case, check every required element, and send it (email through the outbox, or post). Returns prompts for the handler, e.g. an interpreter is needed.',
        params: idParams,
        headers: idempotencyHeaders,
        body: sendBody,
      },
    },
    async (req, reply) => {
      const r = await letters.send(req.actor!, req.params.id, req.body.kind, req.body, req.headers['idempotency-key'] as string | undefined);
      return reply.status(r.status).send(r.body);
    },
  );

  app.get(
    '/complaints/:id/letters/:letterId',
    { config: { access: 'letters:read' }, schema: { tags: ['letters'], summary: 'A letter as sent: its words (text and HTML), to whom, by whom, when', params: letterParams } },
    async (req) => letters.get(req.actor!, req.params.id, req.params.letterId),
  );

  for (const format of ['docx', 'pdf'] as const) {
    app.get(
      `/complaints/:id/letters/:letterId.${format}`,
      {
        config: { access: 'letters:read' },
        schema: { tags: ['letters'], summary: `The letter as ${format === 'docx' ? 'a Word document' : 'a PDF'}, for post`, params: letterParams },
      },
      async (req, reply) => {
        const d = await letters.document(req.actor!, req.params.id, req.params.letterId, format);
        return reply
          .header('content-type', d.contentType)
          .header('content-disposition', `attachment; filename="${d.filename.replace(/[^\w.\- ]/g, '_')}"`)
          .header('x-content-type-options', 'nosniff')
          .send(d.data);
      },
    );
  }

  app.get(
    '/outbox',
    {
      config: { access: 'outbox:read' },
      schema: {
        tags: ['outbox'],
        summary: 'Emails waiting, sent and failed, newest first, with counts by status',
        querystring: z
          .object({
            status: z.enum(OUTBOX_STATUSES).optional(),
            complaintId: uuid.optional(),
            reference: z.string().regex(/^CMP-\d{6}$/i, 'must be a complaint reference like CMP-000123').optional(),
            needsAction: queryBool.optional().describe('true: failed emails nobody has yet retried or recorded as dealt with'),
            limit: z.coerce.number().int().min(1).max(500).optional(),
          })
          .strict(),
      },
    },
    async (req) => outbox.list(req.actor!, { ...req.query, unresolved: req.query.needsAction === true }),
  );

  app.get(
    '/outbox/:id',
    { config: { access: 'outbox:read' }, schema: { tags: ['outbox'], summary: 'One email with every attempt to send it', params: idParams } },
    async (req) => outbox.get(req.actor!, req.params.id),
  );

  app.post(
    '/outbox/:id/retry',
    { config: { access: 'outbox:manage' }, schema: { tags: ['outbox'], summary: 'Send a failed email again, once the address or server has been checked', params: idParams } },
    async (req) => outbox.retry(req.actor!, req.params.id),
  );

  app.post(
    '/outbox/:id/dealt-with',
    {
      config: { access: 'outbox:manage' },
      schema: {
        tags: ['outbox'],
        summary: 'Record that a failed email was dealt with another way (e.g. sent by post); written to the case history',
        params: idParams,
        body: z.object({ note: z.string().trim().min(1, 'must say what was done instead').max(2_000) }).strict(),
      },
    },
    async (req) => outbox.markDealtWith(req.actor!, req.params.id, req.body.note),
  );
};

export default lettersApi;
