/** Worklists: "My work" for every caseworker and the manager's team view with bulk assignment. */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { RuleViolation } from '../../core/lifecycle.js';
import { VersionConflict, InvalidInput } from '../../services/errors.js';
import { formBody, pageContext } from './common.js';
import { withLettersDue } from './letters.js';
import { escapeHtml } from '../../core/letters.js';
import { actorCan } from '../../services/actor.js';

const filtersSchema = z
  .object({
    stage: z.enum(['', '1', '2']).optional(),
    handler: z.string().max(60).optional(),
    serviceArea: z.string().max(100).optional(),
    category: z.string().max(100).optional(),
    vulnerable: z.enum(['', 'true']).optional(),
    extended: z.enum(['', 'true']).optional(),
    due: z.enum(['', 'overdue', 'due_today', 'due_this_week']).optional(),
    cursor: z.string().max(500).optional(),
    done: z.string().max(40).optional(),
  })
  .passthrough();

/**
 * Whose work the handler filter offers by name. A landlord's whole staff can run to hundreds of
 * caseworkers, too many for one list to be of use (or cheap to send with every page): someone in a
 * team is offered their own team, and anyone else chosen (from the Team page's links) is added.
 * Without teams, everyone is listed.
 */
export function handlerChoices<T extends { id: string; team: string | null }>(caseworkers: T[], actorId: string | null, chosen: string): { handlers: T[]; teamOnly: boolean } {
  const team = caseworkers.find((c) => c.id === actorId)?.team?.trim().toLowerCase();
  if (!team) return { handlers: caseworkers, teamOnly: false };
  const handlers = caseworkers.filter((c) => c.team?.trim().toLowerCase() === team || c.id === chosen);
  return { handlers, teamOnly: handlers.length < caseworkers.length };
}

const work: FastifyPluginAsync = async (app) => {
  const { complaints, users } = app.services;

  app.get('/', { config: { access: 'authenticated' }, schema: { hide: true } }, async (req, reply) => {
    const role = req.actor!.role;
    if (role === 'staff') return reply.redirect('/complaints/new', 303);
    if (role === 'admin') return reply.redirect('/settings', 303);
    return reply.redirect('/work', 303);
  });

  app.get('/work', { config: { access: 'complaints:read' }, schema: { hide: true, querystring: filtersSchema } }, async (req, reply) => {
    const q = req.query as z.infer<typeof filtersSchema>;
    const actor = req.actor!;
    const defaultHandler = actor.role === 'handler' || actor.role === 'manager' ? 'me' : 'all';
    const handler = q.handler || defaultHandler;
    const filters = {
      open: true,
      sort: 'due' as const,
      stage: q.stage ? (Number(q.stage) as 1 | 2) : undefined,
      handlerId: handler === 'me' ? actor.id! : handler !== 'all' && handler !== 'unassigned' ? handler : undefined,
      unassigned: handler === 'unassigned' ? true : undefined,
      serviceArea: q.serviceArea || undefined,
      category: q.category || undefined,
      vulnerable: q.vulnerable === 'true' ? true : undefined,
      extended: q.extended === 'true' ? true : undefined,
      due: q.due || undefined,
    };
    if (filters.handlerId && !/^[0-9a-f-]{36}$/i.test(filters.handlerId)) filters.handlerId = undefined;
    const [list, counts, caseworkers] = await Promise.all([
      complaints.list(actor, { ...filters, cursor: q.cursor, limit: 50 }),
      complaints.dueCounts(actor, filters),
      users.caseworkers(),
    ]);
    const { handlers, teamOnly } = handlerChoices(caseworkers, actor.id, handler);
    const handlerOptions = [{ value: 'me', text: 'Me' }, { value: 'all', text: 'Everyone' }, { value: 'unassigned', text: 'Unassigned' }, ...handlers.map((h) => ({ value: h.id, text: h.name }))]
      .map((o) => `<option value="${escapeHtml(o.value)}"${o.value === handler ? ' selected' : ''}>${escapeHtml(o.text)}</option>`)
      .join('');
    const params = new URLSearchParams(Object.entries({ ...q, cursor: '', done: '' }).filter(([, v]) => v) as [string, string][]);
    return reply.view(
      'work.njk',
      await pageContext(app, req, {
        title: 'My work',
        items: await withLettersDue(app, actor, list.items),
        nextCursor: list.nextCursor,
        counts,
        q: { ...q, handler },
        handlers,
        handlerOptions,
        teamOnly,
        mayAssign: actorCan(actor, 'complaints:assign'),
        baseQuery: params.toString(),
        done: q.done,
      }),
    );
  });

  app.get('/team', { config: { access: 'complaints:assign' }, schema: { hide: true } }, async (req, reply) => {
    return renderTeam(req, reply, null);
  });

  async function renderTeam(
    req: any,
    reply: any,
    result: { assigned: string[]; refused: { reference: string; reason: string }[] } | null,
    status = 200,
    errorList: { text: string; href: string }[] = [],
  ) {
    const actor = req.actor!;
    const [loads, unassigned, staff] = await Promise.all([
      complaints.caseloads(actor),
      complaints.list(actor, { open: true, unassigned: true, sort: 'due', limit: 200 }),
      users.list(),
    ]);
    const handlers = staff.filter((u) => u.active && (u.role === 'handler' || u.role === 'manager'));
    const byId = new Map(loads.map((l) => [l.handlerId, l]));
    const caseloads = handlers.map((h) => ({ ...h, open: byId.get(h.id)?.open ?? 0, overdue: byId.get(h.id)?.overdue ?? 0 }));
    const errors = errorList.length ? { errorList, fields: Object.fromEntries(errorList.map((e) => [e.href.slice(1), { text: e.text }])) } : null;
    return reply.view('team.njk', await pageContext(app, req, { title: 'Team', caseloads, unassigned: unassigned.items, handlers, result, errors }), status);
  }

  app.post('/team/assign', { config: { access: 'complaints:assign' }, schema: { hide: true } }, async (req, reply) => {
    const body = formBody(req);
    const picked = ([] as string[]).concat(body.complaints ?? []).filter((x) => typeof x === 'string');
    const handlerId = typeof body.handlerId === 'string' ? body.handlerId : '';
    const declared = body.noConflict === 'yes';
    const errors: { text: string; href: string }[] = [];
    if (picked.length === 0) errors.push({ text: 'Select at least one complaint to assign', href: '#complaints' });
    if (!/^[0-9a-f-]{36}$/i.test(handlerId)) errors.push({ text: 'Select the handler to assign them to', href: '#handlerId' });
    if (!declared) errors.push({ text: 'Confirm that the handler has no conflict of interest with these complaints', href: '#noConflict' });
    if (errors.length) return renderTeam(req, reply, null, 400, errors);
    const result = { assigned: [] as string[], refused: [] as { reference: string; reason: string }[] };
    for (const item of picked) {
      const [id, version] = item.split(':');
      try {
        const c = await complaints.command(req.actor!, id, Number(version), { type: 'assign', handlerId, conflict: { hasConflict: false, statement: `No conflict confirmed by ${req.actor!.name} at bulk assignment` } });
        result.assigned.push(c.reference);
      } catch (err) {
        if (err instanceof RuleViolation || err instanceof VersionConflict || err instanceof InvalidInput) {
          const row = await app.db.selectFrom('complaints').select('reference').where('id', '=', id).executeTakeFirst();
          result.refused.push({ reference: row?.reference ?? id, reason: err.message });
        } else throw err;
      }
    }
    return renderTeam(req, reply, result);
  });

};

export default work;
