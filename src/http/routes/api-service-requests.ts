/** /api/v1/service-requests and /api/v1/contacts (Code 1.3–1.5). */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CHANNELS } from '../../services/complaints.js';
import { idParams, idempotencyHeaders, instant, localDate, optionalText, text, uuid, version } from '../schemas.js';

const serviceRequestsApi: FastifyPluginAsyncZod = async (app) => {
  const { serviceRequests, contacts } = app.services;

  app.post(
    '/service-requests',
    {
      config: { access: 'service-requests:write' },
      schema: {
        tags: ['service requests'],
        summary: 'Record a service request',
        headers: idempotencyHeaders,
        body: z.object({ residentId: uuid.nullish(), receivedAt: instant.nullish(), channel: z.enum(CHANNELS), serviceArea: optionalText(100), category: optionalText(100), description: text(20_000) }).strict(),
      },
    },
    async (req, reply) => {
      const r = await serviceRequests.create(req.actor!, req.body, req.headers['idempotency-key'] as string | undefined);
      return reply.status(r.status).send(r.body);
    },
  );

  app.get(
    '/service-requests',
    {
      config: { access: 'service-requests:read' },
      schema: { tags: ['service requests'], summary: 'List service requests', querystring: z.object({ status: z.enum(['open', 'closed']).optional(), residentId: uuid.optional(), limit: z.coerce.number().int().min(1).max(200).optional() }).strict() },
    },
    async (req) => serviceRequests.list(req.actor!, req.query),
  );

  app.get(
    '/service-requests/:id',
    { config: { access: 'service-requests:read' }, schema: { tags: ['service requests'], summary: 'A service request and the complaints raised from it', params: idParams } },
    async (req) => serviceRequests.get(req.actor!, req.params.id),
  );

  app.patch(
    '/service-requests/:id',
    {
      config: { access: 'service-requests:write' },
      schema: {
        tags: ['service requests'],
        summary: 'Record a review of a service request, or close it',
        params: idParams,
        body: z.object({ version, reviewedOn: localDate.nullish(), close: z.boolean().optional(), description: optionalText(20_000) }).strict(),
      },
    },
    async (req) => serviceRequests.update(req.actor!, req.params.id, req.body.version, req.body),
  );

  app.post(
    '/service-requests/:id/complaint',
    {
      config: { access: 'complaints:log' },
      schema: {
        tags: ['service requests'],
        summary: 'Raise a stage 1 complaint about the handling of a service request; the request stays open (Code 1.5)',
        params: idParams,
        headers: idempotencyHeaders,
        body: z.object({ description: text(20_000), channel: z.enum(CHANNELS), receivedAt: instant.nullish(), outcomeSought: optionalText(5_000), category: optionalText(100) }).strict(),
      },
    },
    async (req, reply) => {
      const r = await serviceRequests.raiseComplaint(req.actor!, req.params.id, req.body, req.headers['idempotency-key'] as string | undefined);
      return reply.status(r.status).send(r.body);
    },
  );

  app.post(
    '/contacts',
    {
      config: { access: 'complaints:log' },
      schema: {
        tags: ['service requests'],
        summary: 'Record a contact in which the resident expressed dissatisfaction, and whether they were offered the choice to complain (Code 1.3)',
        body: z
          .object({
            residentId: uuid.nullish(),
            receivedAt: instant.nullish(),
            channel: z.enum(CHANNELS),
            summary: text(10_000),
            choiceOffered: z.boolean(),
            choice: z.enum(['complaint', 'service_request', 'no_further_action', 'undecided']),
            complaintId: uuid.nullish(),
            serviceRequestId: uuid.nullish(),
          })
          .strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await contacts.record(req.actor!, req.body)),
  );
};

export default serviceRequestsApi;
