/** Letters on the case page: preview with the Code's checks and readability, send, and download as sent. */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Actor } from '../../services/actor.js';
import { actorCan } from '../../services/actor.js';
import { z } from 'zod';
import { RuleViolation } from '../../core/lifecycle.js';
import { LETTER_KINDS, LETTER_TITLES, isLetterKind, type LetterKind } from '../../core/letters.js';
import { LetterIncomplete } from '../../services/letters.js';
import { InvalidInput } from '../../services/errors.js';
import { formBody, pageContext } from './common.js';

const uuid = z.string().regex(/^[0-9a-f-]{36}$/i);

/** The letter each step on the case page calls for, by the step's name in its form's address. */
const STEP_LETTER: Record<string, (stage: number) => LetterKind> = {
  acknowledge: (s) => (s === 2 ? 'stage2_acknowledgement' : 'stage1_acknowledgement'),
  extend: () => 'extension',
  updates: () => 'update',
  respond: (s) => (s === 2 ? 'stage2_response' : 'stage1_response'),
  refuse: () => 'refusal_acceptance',
  'refuse-escalation': () => 'refusal_escalation',
  close: () => 'closure',
};

/** The kinds that may be sent by themselves after their step (every letter a step calls for). */
export const AUTO_SEND_KINDS: LetterKind[] = ['stage1_acknowledgement', 'stage2_acknowledgement', 'extension', 'stage1_response', 'stage2_response', 'refusal_acceptance', 'refusal_escalation', 'closure'];

/**
 * After a step recorded on the case page: when the landlord has chosen to send its letter
 * automatically, send it now (its own transaction, through the outbox). 'sent', 'unsent' (the
 * letter could not be written: the case page then leads to it, and says why on its preview), or
 * null when nothing is set up to be sent.
 */
export async function autoSendAfterStep(app: FastifyInstance, actor: Actor, complaintId: string, step: string): Promise<'sent' | 'unsent' | null> {
  const { letters: cfg } = await app.services.settings.get();
  if (!STEP_LETTER[step] || !actorCan(actor, 'letters:send')) return null;
  const c = await app.db.selectFrom('complaints').select('stage').where('id', '=', complaintId).executeTakeFirst();
  if (!c) return null;
  const kind = STEP_LETTER[step](Number(c.stage));
  if (!cfg.autoSend.includes(kind)) return null;
  try {
    await app.services.letters.send(actor, complaintId, kind, {});
    return 'sent';
  } catch (err) {
    if (err instanceof LetterIncomplete || err instanceof InvalidInput || err instanceof RuleViolation) return 'unsent';
    throw err;
  }
}

/**
 * What the case page says about letters: the letter the step just recorded calls for (a link
 * straight to its preview), the letters due but not sent, and emails that failed and wait for a
 * person to act.
 */
export async function caseLetterNotes(app: FastifyInstance, actor: Actor, complaint: { id: string; stage: number }, done: string | undefined, auto?: string) {
  if (!actorCan(actor, 'letters:read')) return { letterNext: null, lettersDue: [], failedEmails: [] };
  const due = (await app.services.letters.due([complaint.id])).get(complaint.id) ?? [];
  const maySend = actorCan(actor, 'letters:send');
  const nextKind = done && STEP_LETTER[done] ? STEP_LETTER[done](complaint.stage) : null;
  const letterNext =
    maySend && nextKind && (nextKind === 'update' || due.some((d) => d.kind === nextKind))
      ? { kind: nextKind, title: LETTER_TITLES[nextKind], href: `/complaints/${complaint.id}/letters?kind=${nextKind}#preview`, autoFailed: auto === 'unsent' }
      : null;
  const autoSent = nextKind && auto === 'sent' ? { title: LETTER_TITLES[nextKind], href: `/complaints/${complaint.id}/letters` } : null;
  const failed = await app.services.outbox.failedFor(complaint.id);
  return {
    letterNext,
    lettersDue: due.map((d) => ({ ...d, href: `/complaints/${complaint.id}/letters?kind=${d.kind}#preview` })),
    failedEmails: failed.map((f) => ({ id: f.id, subject: f.subject, to: (f.to_addresses as string[]).join(', '), error: f.last_error, failedAt: f.failed_at ? new Date(f.failed_at).toISOString() : null })),
    mayManageOutbox: actorCan(actor, 'outbox:manage'),
    autoSent,
  };
}

/** Work-list rows with the letters each case owes (one batched look-up for the page). */
export async function withLettersDue<T extends { id: string }>(app: FastifyInstance, actor: Actor, items: T[]): Promise<(T & { lettersDue: string[] })[]> {
  if (!actorCan(actor, 'letters:read')) return items.map((i) => ({ ...i, lettersDue: [] }));
  const due = await app.services.letters.due(items.map((i) => i.id));
  return items.map((i) => ({ ...i, lettersDue: (due.get(i.id) ?? []).map((d) => d.title) }));
}

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
