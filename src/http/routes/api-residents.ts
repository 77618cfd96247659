/** /api/v1/residents: the record of residents, their needs, restrictions and representatives. */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { idempotentCreate } from '../../services/idempotency.js';
import { residentView } from '../../services/residents.js';
import { idParams, idempotencyHeaders, localDate, optionalText, text, version } from '../schemas.js';

export const residentInput = z
  .object({
    reference: optionalText(50).describe('The landlord’s own reference (tenancy or person); generated when absent'),
    title: optionalText(20),
    givenName: optionalText(100),
    familyName: optionalText(100),
    email: z.string().email('must be an email address').max(320).nullish(),
    phone: optionalText(50),
    addressLine1: optionalText(200),
    addressLine2: optionalText(200),
    town: optionalText(100),
    postcode: z.string().max(10).regex(/^[A-Za-z0-9 ]*$/, 'must be a postcode').nullish(),
    propertyReference: optionalText(50),
    tenure: z.enum(['LCRA', 'LCHO', 'other']).optional(),
    preferredContact: z.enum(['email', 'phone', 'letter', 'text']).optional(),
    communicationNeeds: z.array(z.string().max(100)).max(20).optional(),
    language: optionalText(50),
  })
  .strict();

export const representativeInput = z
  .object({
    name: text(200),
    relationship: text(100),
    email: z.string().email('must be an email address').max(320).nullish(),
    phone: optionalText(50),
    address: optionalText(500),
    consentEvidence: text(2_000).describe('How the resident’s consent was given and where it is held'),
    consentRecordedOn: localDate,
  })
  .strict();

const residentsApi: FastifyPluginAsyncZod = async (app) => {
  const { residents } = app.services.complaints;

  app.post(
    '/residents',
    { config: { access: 'residents:write' }, schema: { tags: ['residents'], summary: 'Record a resident', headers: idempotencyHeaders, body: residentInput } },
    async (req, reply) => {
      const r = await idempotentCreate(app.db, { userId: req.actor!.id, key: req.headers['idempotency-key'] as string | undefined, route: 'POST /api/v1/residents', request: req.body }, async (trx) => ({
        status: 201,
        body: residentView(await residents.createIn(trx, req.actor!, req.body)),
      }));
      return reply.status(r.status).send(r.body);
    },
  );

  app.get(
    '/residents',
    {
      config: { access: 'residents:read' },
      schema: {
        tags: ['residents'],
        summary: 'Find residents by name, postcode or reference',
        querystring: z.object({ name: z.string().max(200).optional(), postcode: z.string().max(10).optional(), reference: z.string().max(50).optional(), limit: z.coerce.number().int().min(1).max(200).optional() }).strict(),
      },
    },
    async (req) => ({ items: await residents.search(req.actor!, req.query) }),
  );

  app.get(
    '/residents/:id',
    { config: { access: 'residents:read' }, schema: { tags: ['residents'], summary: 'A resident with needs, restrictions, representatives, complaints and service requests', params: idParams } },
    async (req) => residents.details(req.actor!, req.params.id).then(app.services.accessAudit.residentShown(req.actor!, req.params.id)),
  );

  app.patch(
    '/residents/:id',
    { config: { access: 'residents:write' }, schema: { tags: ['residents'], summary: 'Change a resident’s details', params: idParams, body: residentInput.omit({ reference: true }).extend({ version }).strict() } },
    async (req) => {
      const { version: v, ...rest } = req.body;
      return residents.update(req.actor!, req.params.id, v, rest);
    },
  );

  app.post(
    '/residents/:id/needs',
    {
      config: { access: 'residents:write' },
      schema: {
        tags: ['residents'],
        summary: 'Record a disclosed vulnerability or disability, or a reasonable adjustment, with its review date (Code 5.10)',
        params: idParams,
        body: z.object({ kind: z.enum(['vulnerability', 'disability', 'adjustment']), description: text(5_000), disclosedOn: localDate.nullish(), reviewOn: localDate.nullish() }).strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await residents.addNeed(req.actor!, req.params.id, req.body)),
  );

  app.post(
    '/residents/:id/restrictions',
    {
      config: { access: 'residents:write' },
      schema: {
        tags: ['residents'],
        summary: 'Record a contact restriction with its reasons, proportionality, equality considerations and review date (Code 5.14, 5.15)',
        params: idParams,
        body: z
          .object({
            restriction: text(2_000),
            reason: text(5_000),
            proportionality: text(5_000),
            equalityConsiderations: text(5_000),
            startsOn: localDate,
            reviewOn: localDate,
            endsOn: localDate.nullish(),
          })
          .strict()
          .refine((b) => b.reviewOn >= b.startsOn, { message: 'must be on or after startsOn', path: ['reviewOn'] }),
      },
    },
    async (req, reply) => reply.status(201).send(await residents.addRestriction(req.actor!, req.params.id, req.body)),
  );

  app.post(
    '/residents/:id/representatives',
    { config: { access: 'residents:write' }, schema: { tags: ['residents'], summary: 'Record a representative with evidence of consent (Code 1.3, 3.6)', params: idParams, body: representativeInput } },
    async (req, reply) => reply.status(201).send(await residents.addRepresentative(req.actor!, req.params.id, req.body)),
  );
};

export default residentsApi;
