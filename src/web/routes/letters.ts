/** Letters on the case page: preview with the Code's checks and readability, send, and download as sent. */
import crypto from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { RuleViolation } from '../../core/lifecycle.js';
import { LETTER_KINDS, LETTER_TITLES, isLetterKind } from '../../core/letters.js';
import { LetterIncomplete } from '../../services/letters.js';
import { InvalidInput } from '../../services/errors.js';
import { formBody, pageContext } from './common.js';

const uuid = z.string().regex(/^[0-9a-f-]{36}$/i);

const letterPages: FastifyPluginAsync = async (app) => {
  const { letters, complaints } = app.services;

  async function render(req: any, reply: any, extra: Record<string, unknown> = {}, status = 200) {
    const { id } = req.params as { id: string };
    const complaint = await complaints.get(req.actor!, id);
    const sent = await letters.list(req.actor!, id);
    const kinds = LETTER_KINDS.map((k) => ({ value: k, text: LETTER_TITLES[k] }));
    return reply.view('letters/index.njk', await pageContext(app, req, { title: `Letters – ${complaint.reference}`, complaint, sent, kinds, backLink: `/complaints/${id}`, ...extra }), status);
  }

  app.get('/complaints/:id/letters', { config: { access: 'letters:read' }, schema: { hide: true, params: z.object({ id: uuid }), querystring: z.object({ kind: z.string().max(40).optional(), sent: z.string().max(10).optional() }).passthrough() } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const kind = (req.query as any).kind as string | undefined;
    if (!kind) return render(req, reply, { done: (req.query as any).sent ? 'Letter sent and kept on the case.' : null });
    if (!isLetterKind(kind)) return render(req, reply, { errors: { errorList: [{ text: 'Choose a letter', href: '#kind' }], fields: { kind: { text: 'Choose a letter' } } } }, 400);
    let preview;
    try {
      preview = await letters.preview(req.actor!, id, kind);
    } catch (err) {
      if (err instanceof LetterIncomplete || err instanceof InvalidInput || err instanceof RuleViolation) {
        return render(req, reply, { chosen: kind, errors: { errorList: [{ text: err.message, href: '#kind' }], fields: { kind: { text: err.message } } } }, 422);
      }
      throw err;
    }
    // A key per preview: sending twice (a double click, a resubmitted form) sends one letter.
    return render(req, reply, { preview, chosen: kind, sendKey: crypto.randomUUID() });
  });

  app.post('/complaints/:id/letters', { config: { access: 'letters:send' }, schema: { hide: true, params: z.object({ id: uuid }) } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = formBody(req);
    const kind = String(body.kind ?? '');
    if (!isLetterKind(kind)) return render(req, reply, { errors: { errorList: [{ text: 'Choose a letter', href: '#kind' }], fields: { kind: { text: 'Choose a letter' } } } }, 400);
    try {
      await letters.send(req.actor!, id, kind, {}, String(body.idempotencyKey ?? '') || null);
    } catch (err) {
      if (err instanceof LetterIncomplete || err instanceof InvalidInput) {
        const preview = await letters.preview(req.actor!, id, kind).catch(() => null);
        return render(req, reply, { preview, chosen: kind, errors: { errorList: [{ text: err.message, href: '#kind' }], fields: { kind: { text: err.message } } } }, 422);
      }
      throw err;
    }
    return reply.redirect(`/complaints/${id}/letters?sent=1`, 303);
  });

  app.get('/complaints/:id/letters/:letterId/:format', { config: { access: 'letters:read' }, schema: { hide: true, params: z.object({ id: uuid, letterId: uuid, format: z.enum(['docx', 'pdf']) }) } }, async (req, reply) => {
    const { id, letterId, format } = req.params as { id: string; letterId: string; format: 'docx' | 'pdf' };
    const doc = await letters.document(req.actor!, id, letterId, format);
    return reply.header('content-type', doc.contentType).header('content-disposition', `attachment; filename="${doc.filename.replace(/[^\w.\- ]/g, '_')}"`).send(doc.data);
  });
};

export default letterPages;
