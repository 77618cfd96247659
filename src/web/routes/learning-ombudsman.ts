/**
 * Pages for the learning register (/learning, /learning/:id, /learning/themes, the public
 * /you-said-we-did, /settings/learning) and Ombudsman cases (/ombudsman, /ombudsman/orders,
 * /complaints/:id/ombudsman, /ombudsman/:id). Form fields become service calls; problems become
 * GOV.UK error summaries through `attempt` (shared with the remedies pages).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { LEARNING_STATUSES, LEARNING_STATUS_LABELS, type LearningStatus } from '../../core/learning.js';
import { CHFO_NOTE, FINDINGS, FINDING_LABELS, ISSUE_KINDS, ISSUE_KIND_LABELS, ORDER_KINDS, type Finding, type IssueKind, type OrderKind } from '../../core/ombudsman.js';
import { actorCan } from '../../services/actor.js';
import type { FormErrors } from '../plugin.js';
import { dateField, FormProblem } from './complaint-forms.js';
import { formBody, pageContext } from './common.js';
import { attempt } from './remedies.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idParams = z.object({ id: z.string().regex(UUID) });
const doneQuery = z.object({ done: z.string().max(40).optional() }).passthrough();
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
export const FINDING_ROWS = 4;
export const ORDER_ROWS = 5;

type Extra = { failed?: { form: string; values: Record<string, any> }; errors?: FormErrors | null; done?: string | null };
const noFailure = { form: '', values: {} };

const DONE: Record<string, string> = {
  learning: 'Learning item saved.',
  'learning-added': 'Learning item added.',
  'root-causes': 'Root causes saved.',
  'case-added': 'Ombudsman case recorded.',
  request: 'Request for information recorded.',
  reply: 'Reply recorded.',
  determination: 'Determination recorded.',
  order: 'Order updated.',
  mrc: 'Report to the member responsible for complaints recorded.',
};

const pages: FastifyPluginAsync = async (app) => {
  const { learning, ombudsman, complaints, settings, users } = app.services;
  const doneText = (d: string | null | undefined) => (d && DONE[d] ? DONE[d] : null);

  // ------------------------------------------------------------------ learning register

  app.get(
    '/learning',
    { config: { access: 'learning:read' }, schema: { hide: true, querystring: z.object({ status: z.enum(LEARNING_STATUSES).optional(), complaintId: z.string().regex(UUID).optional() }).passthrough() } },
    async (req, reply) => {
      const { status, complaintId } = req.query as { status?: LearningStatus; complaintId?: string };
      const items = await learning.list(req.actor!, { status, complaintId });
      return reply.view(
        'learning/register.njk',
        await pageContext(app, req, { title: 'Learning from complaints', items, status: status ?? null, statuses: LEARNING_STATUSES.map((s) => ({ key: s, label: LEARNING_STATUS_LABELS[s] })) }),
      );
    },
  );

  const themesQuery = z.object({ from: z.string().optional(), to: z.string().optional(), by: z.enum(['quarter', 'month']).optional() }).passthrough();
  app.get('/learning/themes', { config: { access: 'learning:read' }, schema: { hide: true, querystring: themesQuery } }, async (req, reply) => {
    const q = req.query as z.infer<typeof themesQuery>;
    const today = learning.today();
    const iso = /^\d{4}-\d{2}-\d{2}$/;
    const to = q.to && iso.test(q.to) ? q.to : today;
    const from = q.from && iso.test(q.from) ? q.from : `${Number(to.slice(0, 4)) - 1}${to.slice(4, 8)}01`;
    const by = q.by ?? 'quarter';
    let themes;
    let errors: FormErrors | null = null;
    try {
      themes = await learning.themes(req.actor!, from, to, by);
    } catch {
      errors = { errorList: [{ text: 'The period must end after it starts', href: '#to' }], fields: { to: { text: 'The period must end after it starts' } } };
      themes = await learning.themes(req.actor!, to, to, by);
    }
    return reply.view('learning/themes.njk', await pageContext(app, req, { title: 'Learning themes', backLink: '/learning', themes, from, to, by, errors }), errors ? 400 : 200);
  });

  async function itemPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Extra = {}, status = 200) {
    const actor = req.actor!;
    const [item, s, ls] = await Promise.all([learning.get(actor, id), settings.get(), learning.settings()]);
    return reply.view(
      'learning/item.njk',
      await pageContext(app, req, {
        title: `Learning item${item.complaintReference ? ` – ${item.complaintReference}` : ''}`,
        backLink: '/learning',
        item,
        rootCauses: ls.rootCauses,
        serviceAreas: s.serviceAreas,
        statuses: LEARNING_STATUSES.map((k) => ({ value: k, text: LEARNING_STATUS_LABELS[k] })),
        mayWrite: actorCan(actor, 'learning:write'),
        mayPublish: actorCan(actor, 'learning:publish'),
        failed: extra.failed ?? noFailure,
        errors: extra.errors ?? null,
        done: doneText(extra.done),
      }),
      status,
    );
  }

  app.get('/learning/:id', { config: { access: 'learning:read' }, schema: { hide: true, params: idParams, querystring: doneQuery } }, async (req, reply) =>
    itemPage(req, reply, (req.params as { id: string }).id, { done: (req.query as any).done }),
  );

  app.post('/learning/:id', { config: { access: 'learning:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    return attempt(req, reply, {
      form: 'learning',
      prefix: 'l-',
      dateFields: ['improvedOn'],
      fieldFor: {},
      rerender: (failed, errors, status) => itemPage(req, reply, id, { failed, errors }, status),
      run: async () => {
        const statusValue = str(b.status);
        if (!(LEARNING_STATUSES as readonly string[]).includes(statusValue)) throw new FormProblem('status', 'Select the status');
        const mayPublish = actorCan(req.actor!, 'learning:publish');
        await learning.update(req.actor!, id, Number(b.version), {
          status: statusValue as LearningStatus,
          rootCause: str(b.rootCause) || null,
          whatWentWrong: str(b.whatWentWrong) || null,
          recommendation: str(b.recommendation) || null,
          serviceArea: str(b.serviceArea) || null,
          areaResponse: str(b.areaResponse) || null,
          improvement: str(b.improvement) || null,
          improvedOn: dateField(b, 'improvedOn', 'the date the improvement was made'),
          closedReason: str(b.closedReason) || null,
          ...(mayPublish ? { publishable: b.publishable === 'yes', youSaid: str(b.youSaid) || null, weDid: str(b.weDid) || null } : {}),
        });
        return `/learning/${id}?done=learning`;
      },
    });
  });

  // The public "you said, we did" list: nothing about any case.
  app.get('/you-said-we-did', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) =>
    reply.view('learning/you-said-we-did.njk', await pageContext(app, req, { title: 'You said, we did', items: await learning.published() })),
  );

  // ------------------------------------------------------------------ root causes in settings

  async function rootCausesPage(req: FastifyRequest, reply: FastifyReply, extra: { value?: string; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const ls = await learning.settings();
    return reply.view(
      'learning/settings.njk',
      await pageContext(app, req, { title: 'Root causes for learning', backLink: '/settings', value: extra.value ?? ls.rootCauses.map((c) => c.label).join('\n'), errors: extra.errors ?? null, done: doneText(extra.done) }),
      status,
    );
  }
  app.get('/settings/learning', { config: { access: 'settings:manage' }, schema: { hide: true, querystring: doneQuery } }, async (req, reply) => rootCausesPage(req, reply, { done: (req.query as any).done }));
  app.post('/settings/learning', { config: { access: 'settings:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const value = typeof b.rootCauses === 'string' ? b.rootCauses : '';
    const labels = value.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    const fail = (text: string) => rootCausesPage(req, reply, { value, errors: { errorList: [{ text, href: '#rootCauses' }], fields: { rootCauses: { text } } } }, 400);
    if (labels.length === 0) return fail('Enter at least one root cause, one on each line');
    if (labels.length > 50) return fail('Enter at most 50 root causes');
    if (labels.some((l) => l.length > 200)) return fail('Each root cause is at most 200 characters');
    const current = await learning.settings();
    const seen = new Set<string>();
    const rootCauses = labels.map((label) => {
      const existing = current.rootCauses.find((c) => c.label.toLowerCase() === label.toLowerCase());
      let key = existing?.key ?? (label.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 36) || 'cause');
      let n = 2;
      while (seen.has(key)) key = `${key.slice(0, 36)}_${n++}`;
      seen.add(key);
      return { key, label };
    });
    await learning.updateSettings(req.actor!, { rootCauses });
    return reply.redirect('/settings/learning?done=root-causes', 303);
  });

  // ------------------------------------------------------------------ Ombudsman cases

  app.get('/ombudsman', { config: { access: 'ombudsman:read' }, schema: { hide: true, querystring: z.object({ severe: z.enum(['true']).optional() }).passthrough() } }, async (req, reply) => {
    const severe = (req.query as any).severe === 'true';
    const cases = await ombudsman.list(req.actor!, { severe });
    return reply.view('ombudsman/list.njk', await pageContext(app, req, { title: severe ? 'Severe maladministration: for the MRC' : 'Ombudsman cases', cases, severe }));
  });

  app.get('/ombudsman/orders', { config: { access: 'ombudsman:read' }, schema: { hide: true } }, async (req, reply) => {
    const orders = await ombudsman.openOrders(req.actor!);
    return reply.view('ombudsman/orders.njk', await pageContext(app, req, { title: 'Open Ombudsman orders', backLink: '/ombudsman', orders, overdue: orders.filter((o) => o.overdue).length }));
  });

  async function complaintCasesPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Extra = {}, status = 200) {
    const actor = req.actor!;
    const complaint = await complaints.get(actor, id);
    const cases = await ombudsman.list(actor, { complaintId: id });
    return reply.view(
      'ombudsman/complaint.njk',
      await pageContext(app, req, {
        title: `Ombudsman – ${complaint.reference}`,
        backLink: `/complaints/${id}`,
        complaint,
        cases,
        mayWrite: actorCan(actor, 'ombudsman:write'),
        failed: extra.failed ?? noFailure,
        errors: extra.errors ?? null,
        done: doneText(extra.done),
      }),
      status,
    );
  }

  app.get('/complaints/:id/ombudsman', { config: { access: 'ombudsman:read' }, schema: { hide: true, params: idParams, querystring: doneQuery } }, async (req, reply) =>
    complaintCasesPage(req, reply, (req.params as { id: string }).id, { done: (req.query as any).done }),
  );

  app.post('/complaints/:id/ombudsman', { config: { access: 'ombudsman:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    return attempt(req, reply, {
      form: 'new-case',
      prefix: 'nc-',
      dateFields: ['openedOn'],
      fieldFor: {},
      rerender: (failed, errors, status) => complaintCasesPage(req, reply, id, { failed, errors }, status),
      run: async () => {
        if (!str(b.reference)) throw new FormProblem('reference', 'Enter the Ombudsman’s reference');
        if (str(b.reference).length > 100) throw new FormProblem('reference', 'The reference is at most 100 characters');
        const created = await ombudsman.create(req.actor!, { complaintId: id, reference: str(b.reference), ombudsman: b.ombudsman === 'LGSCO' ? 'LGSCO' : 'HOS', openedOn: dateField(b, 'openedOn', 'the date the Ombudsman opened the case') });
        return `/ombudsman/${created.id}?done=case-added`;
      },
    });
  });

  async function casePage(req: FastifyRequest, reply: FastifyReply, id: string, extra: Extra = {}, status = 200) {
    const actor = req.actor!;
    const oc = await ombudsman.get(actor, id);
    return reply.view(
      'ombudsman/case.njk',
      await pageContext(app, req, {
        title: `Ombudsman case ${oc.reference}`,
        backLink: `/complaints/${oc.complaintId}/ombudsman`,
        oc,
        chfoNote: CHFO_NOTE,
        findingItems: FINDINGS.map((f) => ({ value: f, text: FINDING_LABELS[f] })),
        issueItems: ISSUE_KINDS.map((k) => ({ value: k, text: ISSUE_KIND_LABELS[k] })),
        findingRows: [...Array(FINDING_ROWS).keys()],
        orderRows: [...Array(ORDER_ROWS).keys()],
        staff: (await users.list()).filter((u) => u.active),
        mayWrite: actorCan(actor, 'ombudsman:write'),
        mayMrc: actorCan(actor, 'ombudsman:mrc'),
        failed: extra.failed ?? noFailure,
        errors: extra.errors ?? null,
        done: doneText(extra.done),
      }),
      status,
    );
  }

  app.get('/ombudsman/:id', { config: { access: 'ombudsman:read' }, schema: { hide: true, params: idParams, querystring: doneQuery } }, async (req, reply) =>
    casePage(req, reply, (req.params as { id: string }).id, { done: (req.query as any).done }),
  );

  /** One change on the case page: the form's name, prefix and date fields, and what it does. */
  function caseForm(path: string, access: 'ombudsman:write' | 'ombudsman:mrc', form: (p: Record<string, string>) => { form: string; prefix: string; dateFields: string[] }, run: (req: FastifyRequest, b: Record<string, any>, p: Record<string, string>) => Promise<string>) {
    app.post(path, { config: { access }, schema: { hide: true, params: z.object({ id: z.string().regex(UUID), sub: z.string().regex(UUID).optional() }) } }, async (req, reply) => {
      const p = req.params as Record<string, string>;
      const b = formBody(req);
      return attempt(req, reply, { ...form(p), fieldFor: {}, rerender: (failed, errors, status) => casePage(req, reply, p.id, { failed, errors }, status), run: () => run(req, b, p) });
    });
  }

  caseForm('/ombudsman/:id/requests', 'ombudsman:write', () => ({ form: 'request', prefix: 'rq-', dateFields: ['requestedOn', 'dueOn'] }), async (req, b, p) => {
    if (!str(b.what)) throw new FormProblem('what', 'Say what the Ombudsman asked for');
    const requestedOn = dateField(b, 'requestedOn', 'the date of the request', true)!;
    const dueOn = dateField(b, 'dueOn', 'the date the reply is due', true)!;
    await ombudsman.addRequest(req.actor!, p.id, Number(b.version), { requestedOn, dueOn, what: str(b.what) });
    return `/ombudsman/${p.id}?done=request#requests`;
  });

  caseForm('/ombudsman/:id/requests/:sub/reply', 'ombudsman:write', (p) => ({ form: `reply-${p.sub}`, prefix: `rp-${p.sub}-`, dateFields: ['repliedOn'] }), async (req, b, p) => {
    const repliedOn = dateField(b, 'repliedOn', 'the date the reply was sent', true)!;
    await ombudsman.replyToRequest(req.actor!, p.id, p.sub, Number(b.version), { repliedOn, note: str(b.note) || null });
    return `/ombudsman/${p.id}?done=reply#requests`;
  });

  caseForm(
    '/ombudsman/:id/determination',
    'ombudsman:write',
    () => ({ form: 'determination', prefix: 'd-', dateFields: ['determinedOn', ...[...Array(ORDER_ROWS).keys()].map((i) => `order-${i}-dueOn`)] }),
    async (req, b, p) => {
      const determinedOn = dateField(b, 'determinedOn', 'the date of the determination', true)!;
      const findings = [];
      for (let i = 0; i < FINDING_ROWS; i++) {
        const issue = str(b[`finding-${i}-issue`]);
        const finding = str(b[`finding-${i}-finding`]);
        const kind = str(b[`finding-${i}-issueKind`]);
        if (!issue && !finding) continue;
        if (!issue) throw new FormProblem(`finding-${i}-issue`, `Finding ${i + 1}: say what the issue was`);
        if (!(FINDINGS as readonly string[]).includes(finding)) throw new FormProblem(`finding-${i}-finding`, `Finding ${i + 1}: select the finding`);
        findings.push({ issue, issueKind: ((ISSUE_KINDS as readonly string[]).includes(kind) ? kind : 'other') as IssueKind, finding: finding as Finding });
      }
      if (!findings.length) throw new FormProblem('finding-0-issue', 'Record a finding for each issue the Ombudsman decided');
      const orders = [];
      for (let i = 0; i < ORDER_ROWS; i++) {
        const description = str(b[`order-${i}-description`]);
        if (!description) continue;
        const kind = (str(b[`order-${i}-kind`]) === 'recommendation' ? 'recommendation' : 'order') as OrderKind;
        const dueOn = dateField(b, `order-${i}-dueOn`, `the “no later than” date of order ${i + 1}`, kind === 'order');
        orders.push({ kind, description, dueOn });
      }
      await ombudsman.determine(req.actor!, p.id, Number(b.version), { determinedOn, summary: str(b.summary) || null, findings, orders });
      return `/ombudsman/${p.id}?done=determination`;
    },
  );

  caseForm('/ombudsman/:id/orders/:sub', 'ombudsman:write', (p) => ({ form: `order-${p.sub}`, prefix: `o-${p.sub}-`, dateFields: ['compliedOn', 'evidenceSentOn'] }), async (req, b, p) => {
    const compliedOn = dateField(b, 'compliedOn', 'the date it was complied with');
    const evidenceSentOn = dateField(b, 'evidenceSentOn', 'the date the evidence went to the Ombudsman');
    await ombudsman.orderProgress(req.actor!, p.sub, Number(b.version), {
      ...(compliedOn ? { compliedOn } : {}),
      ...(str(b.evidence) ? { evidence: str(b.evidence) } : {}),
      ...(evidenceSentOn ? { evidenceSentOn } : {}),
    });
    return `/ombudsman/${p.id}?done=order#order-${p.sub}`;
  });

  caseForm('/ombudsman/:id/mrc', 'ombudsman:mrc', () => ({ form: 'mrc', prefix: 'm-', dateFields: ['on'] }), async (req, b, p) => {
    await ombudsman.reportToMrc(req.actor!, p.id, Number(b.version), dateField(b, 'on', 'the date it was reported') ?? ombudsman.today());
    return `/ombudsman/${p.id}?done=mrc`;
  });

};

export default pages;
