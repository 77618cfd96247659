/**
 * Letters for managers and administrators: the templates' wording (edit, preview against a sample
 * or a chosen case, go back to the shipped wording, who changed it), the email outbox (filter,
 * retry a failure, record what was done instead) and inbound email waiting for triage.
 */
import crypto from 'node:crypto';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { imageReadable, imageSize } from '../../services/letter-documents.js';
import { z } from 'zod';
import { LETTER_KINDS, LETTER_TITLES, TEMPLATE_FIELDS, TemplateProblem, isLetterKind } from '../../core/letters.js';
import { OUTBOX_STATUSES } from '../../services/outbox.js';
import { triageQueue } from '../../services/inbound.js';
import { InvalidInput, NotFound } from '../../services/errors.js';
import { formBody, pageContext } from './common.js';
import { AUTO_SEND_KINDS } from './letters.js';

const uuid = z.string().regex(/^[0-9a-f-]{36}$/i);
const hide = { hide: true };

const STATUS_LABELS: Record<string, string> = { pending: 'Queued', sending: 'Sending', sent: 'Sent', failed: 'Failed' };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOGO_MAX = 200 * 1024;

const letterAdmin: FastifyPluginAsync = async (app) => {
  const { letters, outbox, settings } = app.services;
  await app.register(multipart, { limits: { fileSize: LOGO_MAX + 1, files: 1, fields: 5 } });

  // ------------------------------------------------------------------ settings: sender, logo, where mail goes

  async function mailSettingsPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const s = await settings.get();
    const logo = await app.db.selectFrom('letterhead_logo').select(['content_type', 'sha256', 'updated_at']).where('id', '=', 'logo').executeTakeFirst();
    const mailInfo = ((app as any).mailInfo as { mode: string; describe: string } | undefined) ?? null;
    return reply.view(
      'letters/settings.njk',
      await pageContext(app, req, {
        title: 'Letters and email',
        values: { fromName: s.mail.fromName, fromAddress: s.mail.fromAddress },
        autoItems: AUTO_SEND_KINDS.map((k) => ({ value: k, text: LETTER_TITLES[k], checked: s.letters.autoSend.includes(k) })), logo: logo ? { src: `/letterhead/logo?v=${logo.sha256.slice(0, 12)}` } : null, mailInfo, backLink: '/settings', ...extra }),
      status,
    );
  }

  app.get('/settings/letters', { config: { access: 'settings:manage' }, schema: hide }, async (req, reply) => {
    const saved = (req.query as any)?.saved;
    return mailSettingsPage(req, reply, { notice: saved === 'auto' ? 'Automatic letters saved.' : saved === 'sender' ? 'Sender saved.' : saved === 'logo' ? 'Logo saved: it is on every letter from now on.' : saved === 'logo-removed' ? 'Logo removed.' : null });
  });

  app.post('/settings/letters', { config: { access: 'settings:manage' }, schema: hide }, async (req, reply) => {
    const b = formBody(req);
    const values = { fromName: String(b.fromName ?? '').trim(), fromAddress: String(b.fromAddress ?? '').trim() };
    const errorList: { text: string; href: string }[] = [];
    const fields: Record<string, { text: string }> = {};
    if (values.fromName.length > 200 || /["\r\n<>]/.test(values.fromName)) {
      errorList.push({ text: 'The sender’s name must be 200 characters or fewer, without quotation marks or angle brackets', href: '#fromName' });
      fields.fromName = { text: errorList[errorList.length - 1].text };
    }
    if (values.fromAddress && (values.fromAddress.length > 320 || !EMAIL.test(values.fromAddress))) {
      errorList.push({ text: 'Enter the sender’s email address in the correct format, like complaints@example.org.uk, or leave it blank', href: '#fromAddress' });
      fields.fromAddress = { text: errorList[errorList.length - 1].text };
    }
    if (errorList.length) return mailSettingsPage(req, reply, { values, errors: { errorList, fields } }, 400);
    await settings.update(req.actor!, { mail: values });
    return reply.redirect('/settings/letters?saved=sender', 303);
  });

  app.post('/settings/letters/auto', { config: { access: 'settings:manage' }, schema: hide }, async (req, reply) => {
    const raw = formBody(req).autoSend;
    const chosen = (Array.isArray(raw) ? raw : raw ? [raw] : []).map(String);
    const autoSend = AUTO_SEND_KINDS.filter((k) => chosen.includes(k));
    if (chosen.some((k) => !(AUTO_SEND_KINDS as string[]).includes(k))) {
      return mailSettingsPage(req, reply, { errors: { errorList: [{ text: 'Choose letters from the list', href: '#autoSend' }], fields: { autoSend: { text: 'Choose letters from the list' } } } }, 400);
    }
    await settings.update(req.actor!, { letters: { autoSend } });
    return reply.redirect('/settings/letters?saved=auto', 303);
  });

  app.post('/settings/letters/logo', { config: { access: 'settings:manage', csrfInHandler: true }, schema: hide }, async (req, reply) => {
    const fail = (text: string) => mailSettingsPage(req, reply, { errors: { errorList: [{ text, href: '#logo' }], fields: { logo: { text } } } }, 400);
    if (!req.isMultipart()) return fail('Choose a PNG or JPEG file for the logo');
    let file: { data: Buffer; truncated: boolean } | null = null;
    const fields: Record<string, string> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer().catch(() => null);
        file = { data: data ?? Buffer.alloc(0), truncated: data === null || part.file.truncated };
      } else fields[part.fieldname] = String(part.value);
    }
    // Multipart bodies bypass the form parser, so check the CSRF token here.
    if (!req.csrfToken || fields._csrf !== req.csrfToken) return reply.view('error.njk', await pageContext(app, req, { title: 'This form has expired', message: 'Go back, reload the page and try again.' }), 403);
    if (!file || file.data.length === 0) return fail('Choose a PNG or JPEG file for the logo');
    if (file.truncated || file.data.length > LOGO_MAX) return fail('The logo must be smaller than 200 KB');
    const size = imageSize(file.data);
    if (!size || !size.width || !size.height) return fail('The logo must be a PNG or JPEG image');
    if (!imageReadable(file.data)) return fail('The logo could not be read: save it again as a PNG or JPEG and upload it');
    const contentType = size.type === 'png' ? 'image/png' : 'image/jpeg';
    const sha256 = crypto.createHash('sha256').update(file.data).digest('hex');
    const now = new Date();
    const s = await settings.get();
    await app.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('letterhead_logo')
        .values({ id: 'logo', content_type: contentType, data: file!.data, sha256, updated_by: req.actor!.id, updated_at: now })
        .onConflict((oc) => oc.column('id').doUpdateSet({ content_type: contentType, data: file!.data, sha256, updated_by: req.actor!.id, updated_at: now }))
        .execute();
      await settings.update(req.actor!, { landlord: { ...s.landlord, logoUrl: `/letterhead/logo?v=${sha256.slice(0, 12)}` } }, trx);
    });
    return reply.redirect('/settings/letters?saved=logo', 303);
  });

  app.post('/settings/letters/logo/remove', { config: { access: 'settings:manage' }, schema: hide }, async (req, reply) => {
    const s = await settings.get();
    await app.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('letterhead_logo').where('id', '=', 'logo').execute();
      if (s.landlord.logoUrl?.startsWith('/letterhead/logo')) await settings.update(req.actor!, { landlord: { ...s.landlord, logoUrl: null } }, trx);
    });
    return reply.redirect('/settings/letters?saved=logo-removed', 303);
  });

  // Served from the application itself, so the pages' Content-Security-Policy (img-src 'self') allows it.
  app.get('/letterhead/logo', { config: { access: 'public' }, schema: { ...hide, querystring: z.object({ v: z.string().max(64).optional() }).passthrough() } }, async (_req, reply) => {
    const row = await app.db.selectFrom('letterhead_logo').select(['content_type', 'data']).where('id', '=', 'logo').executeTakeFirst();
    if (!row) throw new NotFound('The logo');
    return reply.header('content-type', row.content_type).header('x-content-type-options', 'nosniff').header('cache-control', 'public, max-age=3600').send(Buffer.from(row.data));
  });

  // ------------------------------------------------------------------ templates

  app.get('/letter-templates', { config: { access: 'letter-templates:manage' }, schema: hide }, async (req, reply) => {
    const { items } = await letters.listTemplates(req.actor!);
    const saved = (req.query as any)?.saved;
    return reply.view('letters/templates.njk', await pageContext(app, req, { title: 'Letter templates', items, saved: saved && isLetterKind(saved) ? `${LETTER_TITLES[saved]}: wording saved.` : null }));
  });

  const fields = Object.entries(TEMPLATE_FIELDS).map(([name, text]) => ({ name, text }));

  async function editPage(req: FastifyRequest, reply: FastifyReply, kind: string, extra: Record<string, unknown> = {}, status = 200) {
    const t = await letters.getTemplate(req.actor!, kind);
    const history = await letters.templateHistory(req.actor!, kind);
    return reply.view(
      'letters/template-edit.njk',
      await pageContext(app, req, { title: `Edit ${t.title.replace(/^The /, 'the ')}`, t, fields, history, values: { subject: t.subject, body: t.body, version: t.version, reference: '' }, backLink: '/letter-templates', ...extra }),
      status,
    );
  }

  app.get('/letter-templates/:kind', { config: { access: 'letter-templates:manage' }, schema: { ...hide, params: z.object({ kind: z.enum(LETTER_KINDS) }) } }, async (req, reply) => {
    const { kind } = req.params as { kind: string };
    const reverted = (req.query as any)?.reverted;
    return editPage(req, reply, kind, { notice: reverted ? 'The wording is back to the shipped default.' : null });
  });

  app.post('/letter-templates/:kind', { config: { access: 'letter-templates:manage' }, schema: { ...hide, params: z.object({ kind: z.enum(LETTER_KINDS) }) } }, async (req, reply) => {
    const { kind } = req.params as { kind: string };
    const b = formBody(req);
    const values = { subject: String(b.subject ?? ''), body: String(b.body ?? ''), version: Number(b.version ?? 0), reference: String(b.reference ?? '').trim().slice(0, 20) };
    const action = b.action === 'preview' ? 'preview' : 'save';
    const problem = (err: unknown) => {
      if (err instanceof TemplateProblem) {
        const list = err.missing.length ? err.missing.map((m) => ({ text: `Add ${m.label}: use {{ ${m.field.split(', ').join(' }} and {{ ')} }}`, href: m.key === 'reference' ? '#subject' : '#body' })) : [{ text: err.message, href: '#body' }];
        return { errorList: list, fields: { body: { text: err.missing.length ? err.message : err.message } } };
      }
      if (err instanceof InvalidInput) return { errorList: [{ text: err.message, href: err.field === 'reference' ? '#reference' : '#body' }], fields: { [err.field === 'reference' ? 'reference' : 'body']: { text: err.message } } };
      return null;
    };
    if (!values.subject.trim()) return editPage(req, reply, kind, { values, errors: { errorList: [{ text: 'Enter the subject line', href: '#subject' }], fields: { subject: { text: 'Enter the subject line' } } } }, 400);
    if (!values.body.trim()) return editPage(req, reply, kind, { values, errors: { errorList: [{ text: 'Enter the wording of the letter', href: '#body' }], fields: { body: { text: 'Enter the wording of the letter' } } } }, 400);
    if (values.subject.length > 500 || values.body.length > 30_000) {
      return editPage(req, reply, kind, { values, errors: { errorList: [{ text: 'The subject must be 500 characters or fewer and the wording 30,000 or fewer', href: '#body' }], fields: {} } }, 400);
    }
    try {
      if (action === 'preview') {
        const preview = await letters.previewTemplate(req.actor!, kind, values, { reference: values.reference || null });
        return editPage(req, reply, kind, { values, preview });
      }
      await letters.saveTemplate(req.actor!, kind, { subject: values.subject, body: values.body, version: Number.isInteger(values.version) ? values.version : null });
    } catch (err) {
      const errors = problem(err);
      if (errors) return editPage(req, reply, kind, { values, errors }, 422);
      if ((err as any)?.name === 'VersionConflict') {
        return editPage(req, reply, kind, { values, errors: { errorList: [{ text: 'Someone else changed this wording while you were editing it. Check their version below, then make your change again.', href: '#body' }], fields: {} } }, 409);
      }
      throw err;
    }
    return reply.redirect(`/letter-templates?saved=${kind}`, 303);
  });

  app.post('/letter-templates/:kind/revert', { config: { access: 'letter-templates:manage' }, schema: { ...hide, params: z.object({ kind: z.enum(LETTER_KINDS) }) } }, async (req, reply) => {
    const { kind } = req.params as { kind: string };
    await letters.resetTemplate(req.actor!, kind);
    return reply.redirect(`/letter-templates/${kind}?reverted=1`, 303);
  });

  // ------------------------------------------------------------------ outbox

  const outboxQuery = z.object({ status: z.string().max(20).optional(), reference: z.string().max(20).optional(), done: z.string().max(20).optional() }).passthrough();

  app.get('/outbox', { config: { access: 'outbox:read' }, schema: { ...hide, querystring: outboxQuery } }, async (req, reply) => {
    const q = req.query as { status?: string; reference?: string };
    const errors: { errorList: { text: string; href: string }[]; fields: Record<string, { text: string }> } = { errorList: [], fields: {} };
    const status = q.status && (OUTBOX_STATUSES as readonly string[]).includes(q.status) ? q.status : q.status === 'needs-action' ? 'needs-action' : '';
    if (q.status && !status) {
      errors.errorList.push({ text: 'Choose a status from the list', href: '#status' });
      errors.fields.status = { text: 'Choose a status from the list' };
    }
    const reference = (q.reference ?? '').trim();
    if (reference && !/^CMP-\d{6}$/i.test(reference)) {
      errors.errorList.push({ text: 'Enter a complaint reference like CMP-000123', href: '#reference' });
      errors.fields.reference = { text: 'Enter a complaint reference like CMP-000123' };
    }
    const ok = errors.errorList.length === 0;
    const list = await outbox.list(req.actor!, ok ? { status: status && status !== 'needs-action' ? status : undefined, unresolved: status === 'needs-action', reference: reference || undefined, limit: 200 } : { limit: 200 });
    const statuses = [
      { value: '', text: 'Any status' },
      { value: 'needs-action', text: 'Failed, needing action' },
      ...OUTBOX_STATUSES.map((s) => ({ value: s, text: STATUS_LABELS[s] })),
    ].map((s) => ({ ...s, selected: s.value === status }));
    return reply.view(
      'letters/outbox.njk',
      await pageContext(app, req, { title: 'Email outbox', list, statuses, statusLabels: STATUS_LABELS, q: { status, reference }, errors: ok ? null : errors }),
      ok ? 200 : 400,
    );
  });

  async function emailPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const email = await outbox.get(req.actor!, id);
    return reply.view('letters/outbox-email.njk', await pageContext(app, req, { title: `Email: ${email.subject}`, email, statusLabels: STATUS_LABELS, backLink: '/outbox', ...extra }), status);
  }

  app.get('/outbox/:id', { config: { access: 'outbox:read' }, schema: { ...hide, params: z.object({ id: uuid }) } }, async (req, reply) => {
    const done = (req.query as any)?.done;
    return emailPage(req, reply, (req.params as any).id, { notice: done === 'retried' ? 'The email is queued to be sent again.' : done === 'dealt-with' ? 'Recorded as dealt with, on the case too.' : null });
  });

  app.post('/outbox/:id/retry', { config: { access: 'outbox:manage' }, schema: { ...hide, params: z.object({ id: uuid }) } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    try {
      await outbox.retry(req.actor!, id);
    } catch (err) {
      if (err instanceof InvalidInput) return emailPage(req, reply, id, { errors: { errorList: [{ text: err.message, href: '#retry' }], fields: {} } }, 422);
      throw err;
    }
    return reply.redirect(`/outbox/${id}?done=retried`, 303);
  });

  app.post('/outbox/:id/dealt-with', { config: { access: 'outbox:manage' }, schema: { ...hide, params: z.object({ id: uuid }) } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const note = String(formBody(req).note ?? '');
    try {
      await outbox.markDealtWith(req.actor!, id, note);
    } catch (err) {
      if (err instanceof InvalidInput) return emailPage(req, reply, id, { note, errors: { errorList: [{ text: err.message, href: '#note' }], fields: { note: { text: err.message } } } }, 422);
      throw err;
    }
    return reply.redirect(`/outbox/${id}?done=dealt-with`, 303);
  });

  // ------------------------------------------------------------------ inbound email for triage

  app.get('/inbound-email', { config: { access: 'inbound:triage' }, schema: hide }, async (req, reply) => {
    const items = await triageQueue(app.db);
    return reply.view('letters/inbound.njk', await pageContext(app, req, { title: 'Email to triage', items }));
  });

  app.get('/inbound-email/attachments/:id', { config: { access: 'inbound:triage' }, schema: { ...hide, params: z.object({ id: uuid }) } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const row = await app.db.selectFrom('inbound_attachments').select(['filename', 'content_type', 'data']).where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The file');
    return reply
      .header('content-type', row.content_type)
      .header('x-content-type-options', 'nosniff')
      .header('content-disposition', `attachment; filename="${row.filename.replace(/[^\w.\- ]/g, '_')}"`)
      .send(row.data);
  });
};

export default letterAdmin;
