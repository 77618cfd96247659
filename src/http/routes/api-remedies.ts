/**
 * /api/v1 remedies and outstanding actions: putting things right (Code section 7) and following
 * through. Financial remedies carry heads of award, the guidance bands (guidance, not a tariff),
 * approval above the proposer's limit, the resident's answer, payment and lapse.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ACTION_STATUSES, HEADS_OF_AWARD, PAYMENT_METHOD_CHOICES, REMEDY_STATUSES, REMEDY_TYPES } from '../../core/remedies.js';
import type { Actor } from '../../services/actor.js';
import { reportFigures } from '../../services/remedy-figures.js';
import { remedySettingsSchema } from '../../services/remedies.js';
import { idParams, idempotencyHeaders, localDate, optionalText, queryBool, text, uuid, version } from '../schemas.js';

const pence = z.number().int().min(1).max(100_000_000);
const heads = z
  .array(z.object({ head: z.enum(HEADS_OF_AWARD), amountPence: pence, note: optionalText(1_000) }).strict())
  .max(HEADS_OF_AWARD.length)
  .describe('The heads of award the amount is made of; where given they must add up to the amount');
const stage = z.union([z.literal(1), z.literal(2)]);

const remedyInput = z
  .object({
    type: z.enum(REMEDY_TYPES).describe('The kind of remedy (Code 7.1)'),
    description: text(5_000).describe('What will happen to put things right'),
    stage: stage.nullish().describe('The stage it is offered at; the complaint’s current stage when absent'),
    dueOn: localDate.nullish().describe('By when it will happen (Code 7.3)'),
    ownerUserId: uuid.nullish().describe('The member of staff who owns it; the caller when neither this nor ownerTeam is given'),
    ownerTeam: optionalText(200),
    agreedWithResident: z.boolean().nullish(),
    amountPence: pence.nullish().describe('Financial remedies: the total, in pence'),
    heads: heads.nullish(),
    impactBand: z.string().max(40).nullish().describe('The guidance band matching the impact of the fault (a band key from the remedy settings)'),
    offeredOn: localDate.nullish().describe('Financial remedies: make the offer now. Refused when the amount is above your approval limit'),
  })
  .strict();

const remedyPatch = z
  .object({
    version,
    description: text(5_000).optional(),
    dueOn: localDate.nullish(),
    ownerUserId: uuid.nullish(),
    ownerTeam: optionalText(200),
    agreedWithResident: z.boolean().nullish(),
    amountPence: pence.optional().describe('Only before the offer is made; a new amount is checked against your approval limit again'),
    heads: heads.nullish(),
    impactBand: z.string().max(40).nullish(),
  })
  .strict();

const remedySteps = {
  approve: {
    access: 'remedies:approve' as const,
    summary: 'Approve an offer above the proposer’s limit (within your own); records who approved it and when',
    body: z.object({ version, note: optionalText(2_000) }).strict(),
  },
  offer: {
    access: 'remedies:write' as const,
    summary: 'Record that the offer was made to the resident; refused until an offer above the proposer’s limit is approved',
    body: z.object({ version, on: localDate.nullish() }).strict(),
  },
  accept: { access: 'remedies:write' as const, summary: 'Record that the resident accepted the offer (before it lapses)', body: z.object({ version, on: localDate.nullish() }).strict() },
  decline: { access: 'remedies:write' as const, summary: 'Record that the resident declined the offer', body: z.object({ version, on: localDate.nullish(), reason: optionalText(2_000) }).strict() },
  pay: {
    access: 'remedies:write' as const,
    summary: 'Record the payment: date, method and reference, with confirmation that it was not offset against rent arrears (offsetting is refused)',
    body: z
      .object({
        version,
        on: localDate.nullish(),
        method: z.enum(PAYMENT_METHOD_CHOICES),
        reference: text(200),
        notOffsetConfirmed: z.boolean().describe('Must be true: compensation is never offset against rent arrears'),
      })
      .strict(),
  },
  complete: { access: 'remedies:write' as const, summary: 'Record that a non-financial remedy has been carried out', body: z.object({ version, on: localDate.nullish(), note: optionalText(2_000) }).strict() },
  cancel: {
    access: 'remedies:write' as const,
    summary: 'Cancel a remedy with the reason (a financial one only before the offer is made)',
    body: z.object({ version, on: localDate.nullish(), reason: text(2_000) }).strict(),
  },
};

const actionInput = z
  .object({
    description: text(5_000).describe('What will be done'),
    dueOn: localDate.describe('By when'),
    ownerUserId: uuid.nullish().describe('The member of staff who owns it'),
    ownerTeam: optionalText(200).describe('Or the team that owns it; the caller owns it when neither is given'),
    contractor: optionalText(200).describe('The contractor doing the work, where one is'),
    stage: stage.nullish(),
    remedyId: uuid.nullish().describe('The remedy this action delivers, if any'),
    residentUpdateDueOn: localDate.nullish().describe('When the resident is next owed an update on it'),
    residentUpdateEveryDays: z.number().int().min(1).max(365).nullish().describe('Update the resident every so many days while it is open'),
  })
  .strict();

const actionPatch = z
  .object({
    version,
    description: text(5_000).optional(),
    dueOn: localDate.nullish(),
    ownerUserId: uuid.nullish(),
    ownerTeam: optionalText(200),
    contractor: optionalText(200),
    residentUpdateDueOn: localDate.nullish(),
    residentUpdateEveryDays: z.number().int().min(1).max(365).nullish(),
  })
  .strict();

const remediesApi: FastifyPluginAsyncZod = async (app) => {
  const { remedies, actions } = app.services;

  // ------------------------------------------------------------------ remedies

  app.get(
    '/complaints/:id/remedies',
    { config: { access: 'remedies:read' }, schema: { tags: ['remedies'], summary: 'The complaint’s remedies, with the guidance bands beside each amount', params: idParams } },
    async (req) => ({ items: await remedies.listForComplaint(req.actor!, req.params.id), settings: await remedies.settings() }),
  );

  /** An idempotent create on a complaint (Idempotency-Key header), answering with the stored status. */
  function createOnComplaint<B extends z.ZodType>(
    what: 'remedies' | 'actions',
    summary: string,
    body: B,
    create: (actor: Actor, complaintId: string, input: z.infer<B>, key: string | undefined) => Promise<{ status: number; body: unknown }>,
  ) {
    app.post(
      `/complaints/:id/${what}`,
      { config: { access: 'remedies:write' }, schema: { tags: [what], summary, params: idParams, headers: idempotencyHeaders, body } },
      async (req, reply) => {
        const r = await create(req.actor!, req.params.id, req.body as z.infer<B>, req.headers['idempotency-key'] as string | undefined);
        return reply.status(r.status).send(r.body);
      },
    );
  }

  createOnComplaint('remedies', 'Record a remedy at either stage (Code 7.1): what will happen, by when, who owns it', remedyInput, (a, id, input, key) => remedies.create(a, id, input, key));

  app.get(
    '/remedies',
    {
      config: { access: 'remedies:read' },
      schema: {
        tags: ['remedies'],
        summary: 'Remedies across complaints, e.g. the approvals queue (status=awaiting_approval) or overdue ones',
        querystring: z
          .object({ status: z.enum(REMEDY_STATUSES as [string, ...string[]]).optional(), type: z.enum(REMEDY_TYPES).optional(), overdue: queryBool.optional(), limit: z.coerce.number().int().min(1).max(500).optional() })
          .strict(),
      },
    },
    async (req) => ({ items: await remedies.list(req.actor!, req.query as any) }),
  );

  app.get(
    '/remedies/figures',
    {
      config: { access: 'reports:read' },
      schema: {
        tags: ['remedies', 'reports'],
        summary: 'Figures for a period: remedies by type, compensation offered, accepted and paid, approvals, actions overdue, learning themes, Ombudsman findings and orders',
        querystring: z.object({ from: localDate, to: localDate }).strict(),
      },
    },
    async (req) => reportFigures(req.actor!, app.services, req.query.from, req.query.to),
  );

  app.post(
    '/remedies/lapse-due',
    { config: { access: 'remedies:write' }, schema: { tags: ['remedies'], summary: 'Record as lapsed every offer past its open-until date without acceptance (for a daily job)', body: z.object({}).strict().optional() } },
    async (req) => remedies.lapseDue(req.actor!),
  );

  app.get(
    '/remedies/:id',
    { config: { access: 'remedies:read' }, schema: { tags: ['remedies'], summary: 'A remedy', params: idParams } },
    async (req) => remedies.get(req.actor!, req.params.id),
  );

  app.patch(
    '/remedies/:id',
    { config: { access: 'remedies:write' }, schema: { tags: ['remedies'], summary: 'Change a remedy’s description, date, owner, heads, band, or (before the offer) its amount', params: idParams, body: remedyPatch } },
    async (req) => {
      const { version: v, ...patch } = req.body;
      return remedies.amend(req.actor!, req.params.id, v, patch as any);
    },
  );

  for (const [step, def] of Object.entries(remedySteps)) {
    app.post(
      `/remedies/:id/${step}`,
      { config: { access: def.access }, schema: { tags: ['remedies'], summary: def.summary, params: idParams, body: def.body } },
      async (req) => {
        const { version: v, ...rest } = req.body as any;
        return remedies.command(req.actor!, req.params.id, v, { type: step, ...rest } as any);
      },
    );
  }

  // ------------------------------------------------------------------ actions

  app.get(
    '/complaints/:id/actions',
    { config: { access: 'remedies:read' }, schema: { tags: ['actions'], summary: 'The complaint’s outstanding actions, open and finished', params: idParams } },
    async (req) => ({ items: await actions.listForComplaint(req.actor!, req.params.id) }),
  );

  createOnComplaint('actions', 'Add an outstanding action: owner, contractor, due date, updates owed to the resident', actionInput, (a, id, input, key) => actions.create(a, id, input, key));

  app.get(
    '/actions',
    {
      config: { access: 'actions:read' },
      schema: {
        tags: ['actions'],
        summary: 'Actions across complaints, overdue first. owner=me for your own (and your team’s); staff who cannot read complaints always see only their own',
        querystring: z
          .object({
            owner: z.union([z.literal('me'), uuid]).optional(),
            team: z.string().trim().min(1).max(200).optional(),
            overdue: queryBool.optional(),
            status: z.enum(ACTION_STATUSES).optional(),
            complaintId: uuid.optional(),
            limit: z.coerce.number().int().min(1).max(500).optional(),
          })
          .strict(),
      },
    },
    async (req) => actions.list(req.actor!, req.query as any),
  );

  app.get(
    '/actions/:id',
    { config: { access: 'actions:read' }, schema: { tags: ['actions'], summary: 'An action, with the updates given to the resident', params: idParams } },
    async (req) => ({ ...(await actions.get(req.actor!, req.params.id)), updates: await actions.updates(req.actor!, req.params.id) }),
  );

  app.patch(
    '/actions/:id',
    { config: { access: 'remedies:write' }, schema: { tags: ['actions'], summary: 'Change an open action: description, owner, contractor, dates', params: idParams, body: actionPatch } },
    async (req) => {
      const { version: v, ...patch } = req.body;
      return actions.amend(req.actor!, req.params.id, v, patch as any);
    },
  );

  app.post(
    '/actions/:id/updates',
    {
      config: { access: 'actions:update' },
      schema: {
        tags: ['actions'],
        summary: 'Record an update given to the resident on the action, and when the next is due',
        params: idParams,
        body: z.object({ version, note: text(5_000), on: localDate.nullish(), nextUpdateDueOn: localDate.nullish() }).strict(),
      },
    },
    async (req) => {
      const { version: v, ...rest } = req.body;
      return actions.command(req.actor!, req.params.id, v, { type: 'update', ...rest });
    },
  );

  app.post(
    '/actions/:id/complete',
    {
      config: { access: 'actions:update' },
      schema: { tags: ['actions'], summary: 'Mark the action done (also after the complaint is closed)', params: idParams, body: z.object({ version, on: localDate.nullish(), note: optionalText(5_000) }).strict() },
    },
    async (req) => {
      const { version: v, ...rest } = req.body;
      return actions.command(req.actor!, req.params.id, v, { type: 'complete', ...rest });
    },
  );

  app.post(
    '/actions/:id/cancel',
    { config: { access: 'remedies:write' }, schema: { tags: ['actions'], summary: 'Cancel the action, with the reason', params: idParams, body: z.object({ version, on: localDate.nullish(), reason: text(2_000) }).strict() } },
    async (req) => {
      const { version: v, ...rest } = req.body;
      return actions.command(req.actor!, req.params.id, v, { type: 'cancel', ...rest });
    },
  );

  app.post(
    '/actions/:id/reopen',
    { config: { access: 'remedies:write' }, schema: { tags: ['actions'], summary: 'Reopen a done or cancelled action, with the reason', params: idParams, body: z.object({ version, reason: text(2_000) }).strict() } },
    async (req) => {
      const { version: v, ...rest } = req.body;
      return actions.command(req.actor!, req.params.id, v, { type: 'reopen', ...rest });
    },
  );

  // ------------------------------------------------------------------ settings

  app.get(
    '/settings/remedies',
    { config: { access: 'settings:read' }, schema: { tags: ['settings'], summary: 'Remedy settings: the guidance bands (guidance, not a tariff), approval limits by role, the lapse period' } },
    async () => remedies.settings(),
  );

  app.patch(
    '/settings/remedies',
    { config: { access: 'settings:manage' }, schema: { tags: ['settings'], summary: 'Change the remedy settings', body: remedySettingsSchema.partial().strict() } },
    async (req) => remedies.updateSettings(req.actor!, req.body as any),
  );
};

export default remediesApi;
