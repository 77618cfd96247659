/**
 * Data protection pages (#8): subject access exports (managers and administrators), retention —
 * the period, the dry-run report, a manual run and the log of runs (administrators) — holds on
 * cases under dispute (managers and administrators), and the access audit (administrators).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { actorCan } from '../../services/actor.js';
import { InvalidInput, NotFound } from '../../services/errors.js';
import { ACCESS_ACTIONS, type AccessAction } from '../../services/data-protection/access-audit.js';
import type { FormErrors } from '../plugin.js';
import { singleError } from '../plugin.js';
import { formBody, pageContext } from './common.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const doneQuery = z.object({ done: z.string().max(40).optional() }).passthrough();
const DONE: Record<string, string> = {
  settings: 'Retention settings saved.',
  run: 'The retention job has run. The result is at the top of the list of runs.',
  dryrun: 'Dry run recorded. Nothing was changed.',
  held: 'The complaint is held from anonymisation.',
  lifted: 'The hold is lifted.',
};
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

const dataProtectionPages: FastifyPluginAsync = async (app) => {
  const { subjectAccess, retention, accessAudit } = app.services;

  async function indexPage(req: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: FormErrors | null } = {}, status = 200) {
    const actor = req.actor!;
    const requests = actorCan(actor, 'subject-access:manage') ? await subjectAccess.list(actor) : [];
    return reply.view(
      'data-protection/index.njk',
      await pageContext(app, req, {
        title: 'Data protection',
        requests,
        values: extra.values ?? {},
        errors: extra.errors ?? null,
        mayExport: actorCan(actor, 'subject-access:manage'),
        mayRetention: actorCan(actor, 'retention:manage'),
        mayHold: actorCan(actor, 'retention:hold'),
        mayAudit: actorCan(actor, 'access-audit:read'),
      }),
      status,
    );
  }

  app.get('/data-protection', { config: { access: 'subject-access:manage' }, schema: { hide: true } }, async (req, reply) => indexPage(req, reply));

  app.post('/data-protection/subject-access', { config: { access: 'subject-access:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const reference = str(b.residentReference);
    const receivedOn = str(b.receivedOn);
    const values = { residentReference: reference, receivedOn };
    if (!reference) return indexPage(req, reply, { values, errors: singleError('residentReference', 'Enter the resident’s reference') }, 400);
    if (receivedOn && (!DATE.test(receivedOn) || Number.isNaN(Date.parse(receivedOn)))) return indexPage(req, reply, { values, errors: singleError('receivedOn', 'Enter the date the request was received as YYYY-MM-DD, or leave it blank') }, 400);
    const resident = await app.db.selectFrom('residents').select('id').where('reference', '=', reference.slice(0, 100)).executeTakeFirst();
    if (!resident) return indexPage(req, reply, { values, errors: singleError('residentReference', 'There is no resident with that reference') }, 400);
    const a = await subjectAccess.export(req.actor!, resident.id, { receivedOn: receivedOn || null });
    return reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${a.filename}"`).send(Buffer.from(a.zip));
  });

  app.get('/data-protection/subject-access/:id/archive', { config: { access: 'subject-access:manage' }, schema: { hide: true, params: z.object({ id: z.string().regex(UUID) }) } }, async (req, reply) => {
    const a = await subjectAccess.download(req.actor!, (req.params as { id: string }).id);
    return reply.header('content-type', 'application/zip').header('content-disposition', `attachment; filename="${a.filename}"`).send(Buffer.from(a.zip));
  });

  async function retentionPage(req: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const actor = req.actor!;
    const [preview, runs] = await Promise.all([retention.preview(actor), retention.runs(actor, 20)]);
    return reply.view(
      'data-protection/retention.njk',
      await pageContext(app, req, {
        title: 'Retention',
        preview,
        willAnonymise: preview.candidates.filter((c) => !c.hold),
        held: preview.candidates.filter((c) => c.hold),
        runs,
        values: extra.values ?? { years: String(preview.years), enabled: preview.enabled ? 'yes' : 'no' },
        errors: extra.errors ?? null,
        done: extra.done ? (DONE[extra.done] ?? null) : null,
      }),
      status,
    );
  }

  app.get('/data-protection/retention', { config: { access: 'retention:manage' }, schema: { hide: true, querystring: doneQuery } }, async (req, reply) =>
    retentionPage(req, reply, { done: (req.query as { done?: string }).done ?? null }),
  );

  app.post('/data-protection/retention/settings', { config: { access: 'retention:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const years = str(b.years);
    const enabled = str(b.enabled);
    const values = { years, enabled };
    if (!/^\d{1,3}$/.test(years) || Number(years) < 1 || Number(years) > 100) return retentionPage(req, reply, { values, errors: singleError('years', 'Enter the retention period as a whole number of years from 1 to 100') }, 400);
    if (enabled !== 'yes' && enabled !== 'no') return retentionPage(req, reply, { values, errors: singleError('enabled', 'Say whether the scheduled job should anonymise') }, 400);
    await retention.updateSettings(req.actor!, { years: Number(years), enabled: enabled === 'yes' });
    return reply.redirect('/data-protection/retention?done=settings', 303);
  });

  app.post('/data-protection/retention/run', { config: { access: 'retention:manage' }, schema: { hide: true } }, async (req, reply) => {
    const dryRun = str(formBody(req).dryRun) !== 'no';
    await retention.runNow(req.actor!, { dryRun });
    return reply.redirect(`/data-protection/retention?done=${dryRun ? 'dryrun' : 'run'}`, 303);
  });

  async function holdsPage(req: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, string>; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    return reply.view(
      'data-protection/holds.njk',
      await pageContext(app, req, { title: 'Retention holds', holds: await retention.holds(req.actor!), values: extra.values ?? {}, errors: extra.errors ?? null, done: extra.done ? (DONE[extra.done] ?? null) : null }),
      status,
    );
  }

  app.get('/data-protection/holds', { config: { access: 'retention:hold' }, schema: { hide: true, querystring: doneQuery } }, async (req, reply) => holdsPage(req, reply, { done: (req.query as { done?: string }).done ?? null }));

  app.post('/data-protection/holds', { config: { access: 'retention:hold' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const reference = str(b.reference).toUpperCase();
    const reason = str(b.reason);
    const values = { reference, reason };
    if (!reference) return holdsPage(req, reply, { values, errors: singleError('reference', 'Enter the complaint reference, for example CMP-000123') }, 400);
    if (!reason) return holdsPage(req, reply, { values, errors: singleError('reason', 'Say why the case is held, for example the dispute or claim') }, 400);
    if (reason.length > 2000) return holdsPage(req, reply, { values, errors: singleError('reason', 'The reason must be 2,000 characters or fewer') }, 400);
    const c = await app.db.selectFrom('complaints').select('id').where('reference', '=', reference.slice(0, 40)).executeTakeFirst();
    if (!c) return holdsPage(req, reply, { values, errors: singleError('reference', 'There is no complaint with that reference') }, 400);
    try {
      await retention.hold(req.actor!, c.id, reason);
    } catch (err) {
      if (err instanceof InvalidInput) return holdsPage(req, reply, { values, errors: singleError('reference', err.message) }, 400);
      throw err;
    }
    return reply.redirect('/data-protection/holds?done=held', 303);
  });

  app.post('/data-protection/holds/:id/lift', { config: { access: 'retention:hold' }, schema: { hide: true, params: z.object({ id: z.string().regex(UUID) }) } }, async (req, reply) => {
    try {
      await retention.release(req.actor!, (req.params as { id: string }).id);
    } catch (err) {
      if (!(err instanceof NotFound)) throw err;
    }
    return reply.redirect('/data-protection/holds?done=lifted', 303);
  });

  app.get('/data-protection/access-audit', { config: { access: 'access-audit:read' }, schema: { hide: true } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const values = { action: str(q.action), actorId: str(q.actorId), from: str(q.from), to: str(q.to), residentReference: str(q.residentReference), before: str(q.before) };
    let errors: FormErrors | null = null;
    const filters: Parameters<typeof accessAudit.list>[1] = { limit: 100 };
    if (values.action) {
      if (values.action in ACCESS_ACTIONS) filters.action = values.action as AccessAction;
      else errors = singleError('action', 'Choose what was opened from the list');
    }
    if (values.actorId) {
      if (UUID.test(values.actorId)) filters.actorId = values.actorId;
      else errors = singleError('actorId', 'Choose a member of staff from the list');
    }
    for (const f of ['from', 'to'] as const) {
      if (!values[f]) continue;
      if (DATE.test(values[f]) && !Number.isNaN(Date.parse(values[f]))) filters[f] = values[f];
      else errors = singleError(f, `Enter the ${f === 'from' ? 'first' : 'last'} date as YYYY-MM-DD`);
    }
    if (values.before && /^\d{1,18}$/.test(values.before)) filters.before = values.before;
    let unknownResident = false;
    if (values.residentReference) {
      const r = await app.db.selectFrom('residents').select('id').where('reference', '=', values.residentReference.slice(0, 100)).executeTakeFirst();
      if (r) filters.residentId = r.id;
      else unknownResident = true;
    }
    if (unknownResident) errors = singleError('residentReference', 'There is no resident with that reference');
    const page = errors ? { items: [], nextCursor: null } : await accessAudit.list(req.actor!, filters);
    const staff = await app.services.users.list();
    const nextQuery = page.nextCursor ? new URLSearchParams({ ...Object.fromEntries(Object.entries(values).filter(([k, v]) => v && k !== 'before')), before: page.nextCursor }).toString() : null;
    return reply.view(
      'data-protection/access-audit.njk',
      await pageContext(app, req, {
        title: 'Access audit',
        items: page.items,
        nextQuery,
        values,
        errors,
        actionItems: [{ value: '', text: 'Anything' }, ...Object.entries(ACCESS_ACTIONS).map(([value, text]) => ({ value, text, selected: value === values.action }))],
        staffItems: [{ value: '', text: 'Anyone' }, ...staff.map((u) => ({ value: u.id, text: u.name, selected: u.id === values.actorId }))],
      }),
      errors ? 400 : 200,
    );
  });
};

export default dataProtectionPages;
