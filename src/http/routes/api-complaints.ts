/** /api/v1/complaints: receipt, lists, the case and every lifecycle step. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { REMEDY_TYPES, type Command } from '../../core/lifecycle.js';
import { CHANNELS } from '../../services/complaints.js';
import { idParams, idempotencyHeaders, instant, localDate, optionalText, queryBool, text, uuid, version } from '../schemas.js';
import { residentInput, representativeInput } from './api-residents.js';

const complaintInput = z
  .object({
    residentId: uuid.nullish(),
    resident: residentInput.nullish(),
    anonymous: z.boolean().optional(),
    representativeId: uuid.nullish(),
    representative: representativeInput.nullish(),
    channel: z.enum(CHANNELS),
    receivedAt: instant.nullish(),
    issueArose: localDate.nullish().describe('When the issue arose or the resident became aware of it (the 12-month check, Code 2.3)'),
    description: text(20_000).describe('What happened, in the resident’s words'),
    outcomeSought: optionalText(5_000),
    helpNeeded: optionalText(2_000),
    serviceArea: optionalText(100),
    category: optionalText(100),
    contractor: optionalText(200),
    subjectStaffIds: z.array(uuid).max(20).optional().describe('Staff the complaint is about: they cannot handle it'),
    serviceRequestId: uuid.nullish(),
  })
  .strict();

const definitionPoint = z.object({
  id: z.string().max(20).nullish(),
  summary: z.string().max(5_000).nullish(),
  landlordResponsible: z.boolean().nullish(),
  responsibilityNote: optionalText(2_000),
});

const commands = {
  triage: z.object({ version, complexity: z.enum(['straightforward', 'complex']), vulnerable: z.boolean(), atRisk: z.boolean(), notes: optionalText(5_000) }).strict(),
  assign: z
    .object({
      version,
      handlerId: uuid,
      stage: z.union([z.literal(1), z.literal(2)]).optional(),
      conflict: z.object({ hasConflict: z.boolean(), statement: optionalText(2_000) }).nullish().describe('The handler’s conflict-of-interest declaration (Code 5.8)'),
    })
    .strict(),
  acknowledge: z
    .object({
      version,
      on: localDate.nullish(),
      definition: z
        .object({ understanding: z.string().max(20_000).nullish(), outcomesSought: z.string().max(10_000).nullish(), points: z.array(definitionPoint).max(100).nullish() })
        .nullish(),
      discretion: z.object({ decision: z.enum(['accept', 'refuse']), reasons: z.string().max(5_000) }).nullish(),
    })
    .strict(),
  extend: z
    .object({
      version,
      reason: optionalText(5_000),
      newDue: localDate,
      residentToldOn: localDate.nullish(),
      ombudsmanDetailsGiven: z.boolean().nullish(),
      goodReason: optionalText(5_000),
      updateEveryWorkingDays: z.number().int().min(1).max(20).nullish(),
    })
    .strict(),
  'update-interval': z.object({ version, everyWorkingDays: z.number().int().min(1).max(20), agreedOn: localDate.nullish(), agreedWith: optionalText(200) }).strict(),
  updates: z.object({ version, on: localDate.nullish(), summary: text(5_000), method: optionalText(50) }).strict(),
  respond: z
    .object({
      version,
      on: localDate.nullish(),
      points: z.array(z.object({ pointId: z.string().max(20), decision: z.enum(['upheld', 'partly_upheld', 'not_upheld', 'outside_responsibility']), reasons: optionalText(20_000) })).max(100).nullish(),
      outcome: z.enum(['upheld', 'partly_upheld', 'not_upheld']).nullish(),
      remedies: z
        .array(z.object({ type: z.enum(REMEDY_TYPES), description: text(5_000), dueBy: localDate.nullish(), amountPence: z.number().int().min(0).max(100_000_000).nullish() }))
        .max(50)
        .nullish(),
      outstandingActions: z.array(z.object({ description: text(5_000), dueBy: localDate.nullish(), owner: optionalText(200) })).max(100).nullish(),
      nextSteps: optionalText(10_000).describe('(g) how to escalate to stage 2, or how to go to the Ombudsman'),
      contributors: z.array(z.string().max(200)).max(50).nullish(),
    })
    .strict(),
  escalate: z.object({ version, requestedAt: instant.nullish(), reason: optionalText(10_000).describe('Optional: residents need not give a reason (Code 6.12)'), via: optionalText(50) }).strict(),
  refuse: z
    .object({
      version,
      on: localDate.nullish(),
      ground: optionalText(60),
      reasoning: optionalText(10_000),
      ombudsmanRightGiven: z.boolean().nullish(),
      discretion: z.object({ decision: z.enum(['accept', 'refuse']), reasons: z.string().max(5_000) }).nullish(),
    })
    .strict(),
  withdraw: z.object({ version, on: localDate.nullish(), reason: optionalText(5_000), how: optionalText(100) }).strict(),
  reopen: z.object({ version, on: localDate.nullish(), reason: optionalText(5_000) }).strict(),
  close: z.object({ version, on: localDate.nullish(), summary: optionalText(5_000) }).strict(),
};

function toCommand(step: string, b: any): Command {
  const { version: _v, ...rest } = b;
  switch (step) {
    case 'update-interval':
      return { type: 'agree_update_interval', ...rest };
    case 'updates':
      return { type: 'record_update', ...rest };
    case 'refuse':
      return { type: 'refuse', kind: 'acceptance', ...rest };
    case 'refuse-escalation':
      return { type: 'refuse', kind: 'escalation', ...rest };
    default:
      return { type: step, ...rest } as Command;
  }
}

const STEP_DESCRIPTIONS: Record<string, string> = {
  triage: 'Triage at stage 1: complexity, vulnerability and risk (Code 6.1)',
  assign: 'Assign a handler for the current stage, with their conflict-of-interest declaration (Code 5.8, 6.13)',
  acknowledge: 'Acknowledge, define and log the complaint at the current stage (Code 5.6, 5.7, 6.2, 6.11)',
  extend: 'Extend the response date, telling the resident the reason, new date and Ombudsman details (Code 6.4, 6.5, 6.15, 6.16)',
  'update-interval': 'Record the update interval agreed with the resident (Code 5.9)',
  updates: 'Record an update given to the resident',
  respond: 'Record the stage response, answering every point (Code 6.7, 6.9, 6.18, 6.19)',
  escalate: 'Escalate to stage 2 at the resident’s request; no reason required (Code 6.10, 6.12)',
  refuse: 'Refuse to accept the complaint on a policy ground (Code 2.1–2.5)',
  'refuse-escalation': 'Refuse to escalate on a section 2 ground (Code 5.11)',
  withdraw: 'Record that the resident withdrew the complaint',
  reopen: 'Reopen a closed, withdrawn or refused complaint, with the reason',
  close: 'Close the complaint after its response',
};

const complaintsApi: FastifyPluginAsyncZod = async (app) => {
  const { complaints } = app.services;

  app.post(
    '/complaints',
    {
      config: { access: 'complaints:log' },
      schema: { tags: ['complaints'], summary: 'Log a complaint received by any channel', headers: idempotencyHeaders, body: complaintInput },
    },
    async (req, reply) => {
      const result = await complaints.create(req.actor!, req.body, req.headers['idempotency-key'] as string | undefined);
      return reply.status(result.status).send(result.body);
    },
  );

  app.get(
    '/complaints',
    {
      config: { access: 'complaints:read' },
      schema: {
        tags: ['complaints'],
        summary: 'List complaints, filtered, paged by cursor',
        querystring: z
          .object({
            stage: z.enum(['1', '2']).transform(Number).optional(),
            status: z.enum(['awaiting_acknowledgement', 'investigating', 'responded', 'refused', 'withdrawn', 'closed']).optional(),
            open: queryBool.optional(),
            handlerId: uuid.optional(),
            unassigned: queryBool.optional(),
            serviceArea: z.string().max(100).optional(),
            category: z.string().max(100).optional(),
            due: z.enum(['overdue', 'due_today', 'due_this_week']).optional(),
            vulnerable: queryBool.optional(),
            extended: queryBool.optional(),
            residentId: uuid.optional(),
            sort: z.enum(['due', 'received']).optional(),
            cursor: z.string().max(500).optional(),
            limit: z.coerce.number().int().min(1).max(200).optional(),
          })
          .strict(),
      },
    },
    async (req) => complaints.list(req.actor!, req.query as any),
  );

  app.get(
    '/complaints/:id',
    { config: { access: 'complaints:read' }, schema: { tags: ['complaints'], summary: 'The complaint with its stages, deadlines and state', params: idParams } },
    async (req) => complaints.get(req.actor!, req.params.id),
  );

  app.get(
    '/complaints/by-reference/:reference',
    { config: { access: 'complaints:read' }, schema: { tags: ['complaints'], summary: 'Find a complaint by its reference', params: z.object({ reference: z.string().min(1).max(40) }) } },
    async (req) => complaints.getByReference(req.actor!, req.params.reference),
  );

  app.get(
    '/complaints/:id/history',
    { config: { access: 'complaints:read' }, schema: { tags: ['complaints'], summary: 'The append-only history of the case: who did what, when, before and after', params: idParams } },
    async (req) => ({ items: await complaints.timeline(req.actor!, req.params.id) }),
  );

  for (const [step, body] of Object.entries({ ...commands, 'refuse-escalation': commands.refuse })) {
    app.post(
      `/complaints/:id/${step}`,
      {
        config: { access: step === 'assign' ? 'complaints:assign' : 'complaints:handle' },
        schema: { tags: ['lifecycle'], summary: STEP_DESCRIPTIONS[step], params: idParams, body },
      },
      async (req) => {
        const b = req.body as any;
        return complaints.command(req.actor!, req.params.id, b.version, toCommand(step, b));
      },
    );
  }

  app.post(
    '/complaints/:id/related-issues',
    {
      config: { access: 'complaints:handle' },
      schema: {
        tags: ['lifecycle'],
        summary: 'A new issue from the resident: joins the complaint before the stage 1 response, otherwise becomes a new linked complaint (Code 6.8)',
        params: idParams,
        body: z
          .object({
            version,
            summary: text(5_000),
            landlordResponsible: z.boolean(),
            responsibilityNote: optionalText(2_000),
            raisedAt: instant.nullish(),
            separate: z.boolean().optional().describe('Raise it as a new complaint even before the response, e.g. where joining would unreasonably delay it'),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const result = await complaints.relatedIssue(req.actor!, req.params.id, b.version, b);
      return reply.status(result.joined ? 200 : 201).send(result);
    },
  );

  app.post(
    '/complaints/:id/links',
    {
      config: { access: 'complaints:handle' },
      schema: { tags: ['complaints'], summary: 'Link a related complaint', params: idParams, body: z.object({ version, otherComplaintId: uuid }).strict() },
    },
    async (req) => complaints.link(req.actor!, req.params.id, req.body.version, req.body.otherComplaintId),
  );

  app.get(
    '/complaints/:id/notes',
    { config: { access: 'complaints:read' }, schema: { tags: ['record'], summary: 'Notes; restricted notes show who holds them but not their text without permission', params: idParams } },
    async (req) => ({ items: await complaints.notes(req.actor!, req.params.id).then(app.services.accessAudit.notesShownThen(req.actor!, req.params.id)) }),
  );
  app.post(
    '/complaints/:id/notes',
    {
      config: { access: 'complaints:handle' },
      schema: { tags: ['record'], summary: 'Add a note', params: idParams, body: z.object({ body: text(20_000), restricted: z.boolean().optional() }).strict() },
    },
    async (req, reply) => reply.status(201).send(await complaints.addNote(req.actor!, req.params.id, req.body)),
  );

  app.get(
    '/complaints/:id/correspondence',
    { config: { access: 'complaints:read' }, schema: { tags: ['record'], summary: 'Messages in and out', params: idParams } },
    async (req) => ({ items: await complaints.correspondence(req.actor!, req.params.id) }),
  );
  app.post(
    '/complaints/:id/correspondence',
    {
      config: { access: 'complaints:handle' },
      schema: {
        tags: ['record'],
        summary: 'Record a message in or out',
        params: idParams,
        body: z
          .object({
            direction: z.enum(['in', 'out']),
            channel: z.enum(CHANNELS),
            subject: optionalText(500),
            body: text(100_000),
            counterpart: optionalText(300),
            occurredAt: instant.nullish(),
          })
          .strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await complaints.addCorrespondence(req.actor!, req.params.id, req.body)),
  );

  app.get(
    '/complaints/:id/attachments',
    { config: { access: 'complaints:read' }, schema: { tags: ['record'], summary: 'Attachments on the case', params: idParams } },
    async (req) => ({ items: await complaints.attachments(req.actor!, req.params.id) }),
  );
  app.post(
    '/complaints/:id/attachments',
    {
      config: { access: 'complaints:handle' },
      bodyLimit: 15 * 1024 * 1024,
      schema: {
        tags: ['record'],
        summary: 'Attach a file (PDF, image, Word document or text, up to 10 MB), sent as base64',
        params: idParams,
        body: z
          .object({
            filename: text(200),
            contentType: z.string().max(200).optional(),
            contentBase64: z.string().min(1).max(14_500_000).regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64'),
            description: optionalText(1_000),
          })
          .strict(),
      },
    },
    async (req, reply) => {
      const b = req.body;
      const data = Buffer.from(b.contentBase64, 'base64');
      return reply.status(201).send(await complaints.addAttachment(req.actor!, req.params.id, { filename: b.filename, contentType: b.contentType ?? '', data, description: b.description }));
    },
  );
  app.get(
    '/complaints/:id/attachments/:attachmentId',
    { config: { access: 'complaints:read' }, schema: { tags: ['record'], summary: 'Download an attachment', params: z.object({ id: uuid, attachmentId: uuid }) } },
    async (req, reply) => {
      const a = await complaints.attachmentContent(req.actor!, req.params.id, req.params.attachmentId);
      return reply
        .header('content-type', a.contentType)
        .header('content-disposition', `attachment; filename="${a.filename.replace(/[^\w.\- ]/g, '_')}"`)
        .header('x-content-type-options', 'nosniff')
        .send(a.data);
    },
  );
};

export default complaintsApi;
