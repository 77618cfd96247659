/**
 * Pages for putting things right and following through: a complaint's remedies and actions
 * (/complaints/:id/remedies-and-actions) with forms to add them, approve, record the offer, the
 * resident's answer and the payment, and complete; "my actions" (/actions), overdue first; and
 * the remedy settings (/settings/remedies). The rules are the services' and the core's: these
 * pages turn form fields into calls and errors into GOV.UK error summaries.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { formatLongDate } from '../../core/dates.js';
import { RuleViolation } from '../../core/lifecycle.js';
import {
  GUIDANCE_NOTE,
  HEAD_LABELS,
  HEADS_OF_AWARD,
  PAYMENT_METHODS,
  PAYMENT_METHOD_LABELS,
  REMEDY_TYPE_LABELS,
  REMEDY_TYPES,
  approvalLimitFor,
  pounds,
  type AwardHead,
  type RemedyType,
} from '../../core/remedies.js';
import { actorCan } from '../../services/actor.js';
import { Forbidden, InvalidInput, NotFound, VersionConflict } from '../../services/errors.js';
import type { FormErrors } from '../plugin.js';
import { dateField, FormProblem } from './complaint-forms.js';
import { formBody, pageContext, safeNext } from './common.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idParams = z.object({ id: z.string().regex(UUID) });
const REMEDY_STEPS = ['approve', 'offer', 'accept', 'decline', 'pay', 'complete', 'cancel'] as const;
type RemedyStep = (typeof REMEDY_STEPS)[number];
const ACTION_STEPS = ['update', 'complete', 'cancel'] as const;
type ActionStep = (typeof ACTION_STEPS)[number];

export const REMEDY_STEP_LABELS: Record<RemedyStep, string> = {
  approve: 'Approve the offer',
  offer: 'Record that the offer was made',
  accept: 'Record acceptance',
  decline: 'Record that it was declined',
  pay: 'Record the payment',
  complete: 'Mark as done',
  cancel: 'Cancel',
};

export const ACTION_STEP_LABELS: Record<ActionStep, string> = {
  update: 'Record an update to the resident',
  complete: 'Mark as done',
  cancel: 'Cancel the action',
};

const DONE: Record<string, string> = {
  'remedy-added': 'Remedy recorded.',
  'remedy-approve': 'Offer approved.',
  'remedy-offer': 'Offer recorded as made.',
  'remedy-accept': 'Acceptance recorded.',
  'remedy-decline': 'Decline recorded.',
  'remedy-pay': 'Payment recorded.',
  'remedy-complete': 'Remedy marked as done.',
  'remedy-cancel': 'Remedy cancelled.',
  'action-added': 'Action added.',
  'action-update': 'Update recorded.',
  'action-complete': 'Action marked as done.',
  'action-cancel': 'Action cancelled.',
  settings: 'Remedy settings saved.',
};

/** Labels for the case timeline (entity 'learning_item' or 'ombudsman_case'). */
export const LEARNING_OMBUDSMAN_TIMELINE_LABELS: Record<string, string> = {
  learning_prompted: 'Learning item opened (complaint upheld in whole or part)',
  learning_added: 'Learning item added',
  learning_changed: 'Learning item changed',
  learning_area_responded: 'Service area responded to the learning',
  learning_improvement_made: 'Improvement made',
  learning_closed: 'Learning item closed',
  learning_published: 'Published as “you said, we did”',
  ombudsman_case_opened: 'Ombudsman case opened',
  ombudsman_information_requested: 'Ombudsman asked for information',
  ombudsman_information_sent: 'Information sent to the Ombudsman',
  ombudsman_determination: 'Ombudsman determination',
  ombudsman_order_complied: 'Ombudsman order complied with',
  ombudsman_order_evidence_sent: 'Evidence of compliance sent to the Ombudsman',
  ombudsman_order_changed: 'Ombudsman order changed',
  ombudsman_reported_to_mrc: 'Reported to the member responsible for complaints',
  ombudsman_case_closed: 'Ombudsman case closed',
};

/** Labels for the case timeline: the lead can merge these into the case page's own. */
export const REMEDY_TIMELINE_LABELS: Record<string, string> = {
  remedy_added: 'Remedy recorded',
  remedy_changed: 'Remedy changed',
  remedy_amount_changed: 'Offer amount changed',
  remedy_approved: 'Offer approved',
  remedy_offered: 'Offer made',
  remedy_accepted: 'Offer accepted',
  remedy_declined: 'Offer declined',
  remedy_paid: 'Compensation paid',
  remedy_lapsed: 'Offer lapsed',
  remedy_completed: 'Remedy done',
  remedy_cancelled: 'Remedy cancelled',
  action_added: 'Action added',
  action_changed: 'Action changed',
  action_update_given: 'Update on an action given to the resident',
  action_done: 'Action done',
  action_cancelled: 'Action cancelled',
  action_reopened: 'Action reopened',
  ...LEARNING_OMBUDSMAN_TIMELINE_LABELS,
};

/** A line for the case timeline from a remedy or action history item (entity 'remedy' or 'action'). */
export function describeRemedyHistory(item: { action: string; after?: any; before?: any }): string {
  const a = item.after ?? {};
  const typeLabel = REMEDY_TYPE_LABELS[a.type as RemedyType] ?? 'Remedy';
  const amount = typeof a.amountPence === 'number' ? ` ${pounds(a.amountPence)}` : '';
  switch (item.action) {
    case 'remedy_added':
      return `${typeLabel}${amount}: ${a.description ?? ''}${a.status === 'awaiting_approval' ? ' (awaiting approval)' : ''}${a.dueOn ? `, by ${formatLongDate(a.dueOn)}` : ''}.`;
    case 'remedy_approved':
      return `${typeLabel}${amount} approved.`;
    case 'remedy_offered':
      return `${typeLabel}${amount} offered on ${a.offeredOn ? formatLongDate(a.offeredOn) : ''}${a.openUntil ? `, open until ${formatLongDate(a.openUntil)}` : ''}.`;
    case 'remedy_accepted':
      return `${typeLabel}${amount} accepted on ${a.acceptedOn ? formatLongDate(a.acceptedOn) : ''}.`;
    case 'remedy_declined':
      return `${typeLabel}${amount} declined.`;
    case 'remedy_paid':
      return `${amount.trim()} paid on ${a.paidOn ? formatLongDate(a.paidOn) : ''} by ${PAYMENT_METHOD_LABELS[a.paymentMethod as 'cheque']?.toLowerCase() ?? a.paymentMethod}, reference ${a.paymentReference}. Not offset against arrears.`;
    case 'remedy_lapsed':
      return `${typeLabel}${amount} lapsed unaccepted.`;
    case 'remedy_completed':
      return `${typeLabel}: done.`;
    case 'remedy_cancelled':
      return `${typeLabel} cancelled: ${a.cancelledReason ?? ''}`;
    case 'action_added':
      return `${a.description ?? ''}${a.dueOn ? `, due ${formatLongDate(a.dueOn)}` : ''}${a.contractor ? ` (${a.contractor})` : ''}.`;
    case 'action_update_given':
      return a.update?.note ?? '';
    case 'action_done':
      return `${a.description ?? ''}${a.completionNote ? `: ${a.completionNote}` : ''}`;
    case 'action_cancelled':
      return `${a.description ?? ''}: ${a.cancelledReason ?? ''}`;
    case 'learning_prompted':
      return 'The complaint was upheld in whole or part: record what went wrong and what will change.';
    case 'learning_improvement_made':
      return `${a.improvement ?? ''}${a.improvedOn ? ` (${formatLongDate(a.improvedOn)})` : ''}`;
    case 'ombudsman_case_opened':
      return `Ombudsman’s reference ${a.reference ?? ''}, opened ${a.openedOn ? formatLongDate(a.openedOn) : ''}.`;
    case 'ombudsman_information_requested':
      return `${a.what ?? ''}: reply due ${a.dueOn ? formatLongDate(a.dueOn) : ''}.`;
    case 'ombudsman_information_sent':
      return `Sent ${a.repliedOn ? formatLongDate(a.repliedOn) : ''}${a.late ? ', after the due date' : ''}.`;
    case 'ombudsman_determination':
      return `${(a.findings ?? []).length} finding(s), ${(a.orders ?? []).length} order(s) or recommendation(s)${a.severeMaladministration ? '; severe maladministration' : ''}.`;
    case 'ombudsman_order_complied':
    case 'ombudsman_order_evidence_sent':
      return a.description ?? '';
    default:
      return a.description ?? '';
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Pounds as typed ("150", "£1,000.50") to pence; blank is null. */
function penceOf(v: unknown, field: string): number | null {
  const s = str(v).replace(/[£,\s]/g, '');
  if (!s) return null;
  if (!/^\d{1,7}(\.\d{1,2})?$/.test(s)) throw new FormProblem(field, 'Enter an amount in pounds, like 150 or 150.50');
  return Math.round(Number(s) * 100);
}

/** A problem on one form: its field's id is the form's prefix and the field's name. */
export function problemFor(prefix: string, field: string, text: string, dateFields: string[]): FormErrors {
  const id = `${prefix}${field}`;
  const href = dateFields.includes(field) ? `#${id}-day` : `#${id}`;
  return { errorList: [{ text, href }], fields: { [id]: { text } } };
}

/** A service field name as a form field name. */
const FIELD_FOR: Record<string, string> = { amountPence: 'amount', offeredOn: 'offerNow', ownerUserId: 'owner', ownerTeam: 'ownerTeam', residentUpdateEveryDays: 'every' };

/**
 * Run a change from a form; on a problem, show the page again with the form's values and an error
 * summary naming the field (`fieldFor` maps a service's field name to the form's).
 */
export async function attempt(
  req: FastifyRequest,
  reply: FastifyReply,
  opts: {
    form: string;
    prefix: string;
    dateFields: string[];
    rerender: (failed: { form: string; values: Record<string, any> }, errors: FormErrors, status: number) => Promise<unknown>;
    run: () => Promise<string>;
    fieldFor?: Record<string, string>;
  },
) {
  const values = formBody(req);
  const fieldFor = opts.fieldFor ?? FIELD_FOR;
  const fail = (field: string, text: string, status: number) => opts.rerender({ form: opts.form, values }, problemFor(opts.prefix, field, text, opts.dateFields), status);
  try {
    return reply.redirect(await opts.run(), 303);
  } catch (err) {
    if (err instanceof FormProblem) return fail(err.field, err.message, 400);
    if (err instanceof RuleViolation || err instanceof InvalidInput) return fail(fieldFor[err.field ?? ''] ?? err.field ?? 'form', err.message, 422);
    if (err instanceof VersionConflict) return fail('form', 'Someone else changed this while you were working on it. Nothing was saved: check it and try again.', 409);
    if (err instanceof Forbidden) return fail('form', err.message, 403);
    throw err;
  }
}

const remedyPages: FastifyPluginAsync = async (app) => {
  const { remedies, actions, complaints, users } = app.services;

  async function staffList() {
    return (await users.list()).filter((u) => u.active);
  }

  // ------------------------------------------------------------------ a complaint's remedies and actions

  async function complaintPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: { failed?: { form: string; values: Record<string, any> }; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const actor = req.actor!;
    const complaint = await complaints.get(actor, id);
    const [items, acts, settings, staff] = await Promise.all([remedies.listForComplaint(actor, id), actions.listForComplaint(actor, id), remedies.settings(), staffList()]);
    const limit = approvalLimitFor(actor.role, settings);
    return reply.view(
      'remedies/complaint.njk',
      await pageContext(app, req, {
        title: `Remedies and actions – ${complaint.reference}`,
        backLink: `/complaints/${id}`,
        complaint,
        remedies: items,
        actions: acts,
        remedySettings: settings,
        guidanceNote: GUIDANCE_NOTE,
        money: pounds,
        limitText: limit === null ? 'You have no approval limit.' : `Your approval limit is ${pounds(limit)}: an offer above it waits for a manager’s approval before it can be made.`,
        staff,
        remedyTypes: REMEDY_TYPES.map((t) => ({ value: t, text: REMEDY_TYPE_LABELS[t] })),
        heads: HEADS_OF_AWARD.map((h) => ({ key: h, label: HEAD_LABELS[h] })),
        paymentMethods: PAYMENT_METHODS.map((m) => ({ value: m, text: PAYMENT_METHOD_LABELS[m] })),
        stepLabels: REMEDY_STEP_LABELS,
        actionStepLabels: ACTION_STEP_LABELS,
        mayWrite: actorCan(actor, 'remedies:write'),
        mayApprove: actorCan(actor, 'remedies:approve'),
        mayUpdateActions: actorCan(actor, 'actions:update'),
        mayReadComplaints: true,
        back: `/complaints/${id}/remedies-and-actions`,
        failed: extra.failed ?? { form: '', values: {} },
        errors: extra.errors ?? null,
        done: extra.done && DONE[extra.done] ? DONE[extra.done] : null,
      }),
      status,
    );
  }

  app.get(
    '/complaints/:id/remedies-and-actions',
    { config: { access: 'remedies:read' }, schema: { hide: true, params: idParams, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } },
    async (req, reply) => complaintPage(req, reply, (req.params as any).id, { done: (req.query as any).done ?? null }),
  );

  app.post('/complaints/:id/remedies-and-actions/remedies', { config: { access: 'remedies:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    const prefix = 'nr-';
    return attempt(req, reply, {
      form: 'new-remedy',
      prefix,
      dateFields: ['dueOn'],
      rerender: (failed, errors, status) => complaintPage(req, reply, id, { failed, errors }, status),
      run: async () => {
        const type = str(b.type);
        if (!(REMEDY_TYPES as readonly string[]).includes(type)) throw new FormProblem('type', 'Select the kind of remedy');
        if (!str(b.description)) throw new FormProblem('description', 'Say what will happen to put things right');
        const dueOn = dateField(b, 'dueOn', 'the date it will happen by');
        const financial = type === 'financial';
        const amount = financial ? penceOf(b.amount, 'amount') : null;
        if (financial && !amount) throw new FormProblem('amount', 'Enter the amount of the financial remedy');
        const heads: AwardHead[] = [];
        if (financial) {
          for (const h of HEADS_OF_AWARD) {
            const p = penceOf(b[`head-${h}`], `head-${h}`);
            if (p) heads.push({ head: h, amountPence: p });
          }
        }
        const owner = str(b.owner);
        if (owner === 'team' && !str(b.ownerTeam)) throw new FormProblem('ownerTeam', 'Enter the team that owns it');
        const created = await remedies.create(req.actor!, id, {
          type: type as RemedyType,
          description: str(b.description),
          dueOn,
          ownerUserId: owner && owner !== 'team' && UUID.test(owner) ? owner : null,
          ownerTeam: owner === 'team' ? str(b.ownerTeam) : null,
          agreedWithResident: b.agreedWithResident === 'yes' ? true : null,
          amountPence: amount,
          heads: heads.length ? heads : null,
          impactBand: financial && str(b.impactBand) ? str(b.impactBand) : null,
          offeredOn: financial && b.offerNow === 'yes' ? remedies.today() : null,
        });
        return `/complaints/${id}/remedies-and-actions?done=remedy-added#remedy-${created.body.id}`;
      },
    });
  });

  app.post(
    '/complaints/:id/remedies-and-actions/remedies/:remedyId/:step',
    { config: { access: 'remedies:write' }, schema: { hide: true, params: idParams.extend({ remedyId: z.string().regex(UUID), step: z.enum(REMEDY_STEPS) }) } },
    async (req, reply) => {
      const { id, remedyId, step } = req.params as { id: string; remedyId: string; step: RemedyStep };
      // Approving needs its own permission: the route lets handlers in for the other steps.
      if (step === 'approve' && !actorCan(req.actor!, 'remedies:approve')) {
        return complaintPage(req, reply, id, { failed: { form: `${remedyId}-${step}`, values: {} }, errors: problemFor(`r-${remedyId}-${step}-`, 'form', 'Only a manager can approve an offer.', []) }, 403);
      }
      const b = formBody(req);
      return attempt(req, reply, {
        form: `${remedyId}-${step}`,
        prefix: `r-${remedyId}-${step}-`,
        dateFields: ['on'],
        rerender: (failed, errors, status) => complaintPage(req, reply, id, { failed, errors }, status),
        run: async () => {
          const current = await remedies.get(req.actor!, remedyId);
          if (current.complaintId !== id) throw new NotFound('The remedy');
          const version = Number(b.version);
          const on = step === 'approve' || step === 'cancel' ? null : dateField(b, 'on', 'the date');
          switch (step) {
            case 'approve':
              await remedies.command(req.actor!, remedyId, version, { type: 'approve', note: str(b.note) || null });
              break;
            case 'offer':
            case 'accept':
              await remedies.command(req.actor!, remedyId, version, { type: step, on });
              break;
            case 'decline':
              await remedies.command(req.actor!, remedyId, version, { type: 'decline', on, reason: str(b.reason) || null });
              break;
            case 'pay':
              if (!str(b.method)) throw new FormProblem('method', 'Select how it was paid');
              if (!str(b.reference)) throw new FormProblem('reference', 'Enter the payment reference');
              await remedies.command(req.actor!, remedyId, version, { type: 'pay', on, method: str(b.method), reference: str(b.reference), notOffsetConfirmed: b.notOffsetConfirmed === 'yes' });
              break;
            case 'complete':
              await remedies.command(req.actor!, remedyId, version, { type: 'complete', on, note: str(b.note) || null });
              break;
            case 'cancel':
              if (!str(b.reason)) throw new FormProblem('reason', 'Give the reason for cancelling it');
              await remedies.command(req.actor!, remedyId, version, { type: 'cancel', reason: str(b.reason) });
              break;
          }
          return `/complaints/${id}/remedies-and-actions?done=remedy-${step}#remedy-${remedyId}`;
        },
      });
    },
  );

  app.post('/complaints/:id/remedies-and-actions/actions', { config: { access: 'remedies:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    return attempt(req, reply, {
      form: 'new-action',
      prefix: 'na-',
      dateFields: ['dueOn'],
      rerender: (failed, errors, status) => complaintPage(req, reply, id, { failed, errors }, status),
      run: async () => {
        if (!str(b.description)) throw new FormProblem('description', 'Say what will be done');
        const owner = str(b.owner);
        if (!owner) throw new FormProblem('owner', 'Select who owns the action');
        if (owner === 'team' && !str(b.ownerTeam)) throw new FormProblem('ownerTeam', 'Enter the team that owns it');
        const dueOn = dateField(b, 'dueOn', 'the date it is due', true);
        const everyText = str(b.every);
        if (everyText && !/^\d{1,3}$/.test(everyText)) throw new FormProblem('every', 'Enter a number of days, like 7');
        const every = everyText ? Number(everyText) : null;
        if (every !== null && (every < 1 || every > 365)) throw new FormProblem('every', 'Enter a number of days from 1 to 365');
        const created = await actions.create(req.actor!, id, {
          description: str(b.description),
          ownerUserId: owner !== 'team' && UUID.test(owner) ? owner : null,
          ownerTeam: owner === 'team' ? str(b.ownerTeam) : null,
          contractor: str(b.contractor) || null,
          dueOn,
          residentUpdateEveryDays: every,
        });
        return `/complaints/${id}/remedies-and-actions?done=action-added#action-${created.body.id}`;
      },
    });
  });

  // ------------------------------------------------------------------ my actions

  const actionsQuery = z.object({ view: z.enum(['mine', 'overdue', 'open']).optional(), done: z.string().max(40).optional() }).passthrough();

  async function actionsPage(req: FastifyRequest, reply: FastifyReply, view: 'mine' | 'overdue' | 'open', extra: { failed?: { form: string; values: Record<string, any> }; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const actor = req.actor!;
    const seeAll = actorCan(actor, 'remedies:read');
    const v = seeAll ? view : 'mine';
    const list = await actions.list(actor, v === 'mine' ? { owner: 'me', status: 'open' } : v === 'overdue' ? { overdue: true } : { status: 'open' });
    return reply.view(
      'remedies/actions.njk',
      await pageContext(app, req, {
        title: v === 'mine' ? 'My actions' : v === 'overdue' ? 'Overdue actions' : 'Open actions',
        items: list.items,
        counts: list.counts,
        view: v,
        reminders: v === 'mine' && actor.id ? await app.services.reminders.forUser(actor.id) : [],
        seeAll,
        mayReadComplaints: actorCan(actor, 'complaints:read'),
        mayWrite: actorCan(actor, 'remedies:write'),
        mayUpdateActions: actorCan(actor, 'actions:update'),
        actionStepLabels: ACTION_STEP_LABELS,
        back: `/actions${v === 'mine' ? '' : `?view=${v}`}`,
        failed: extra.failed ?? { form: '', values: {} },
        errors: extra.errors ?? null,
        done: extra.done && DONE[extra.done] ? DONE[extra.done] : null,
      }),
      status,
    );
  }

  app.get('/actions', { config: { access: 'actions:read' }, schema: { hide: true, querystring: actionsQuery } }, async (req, reply) => {
    const q = req.query as z.infer<typeof actionsQuery>;
    return actionsPage(req, reply, q.view ?? 'mine', { done: q.done ?? null });
  });

  app.post(
    '/actions/:id/:step',
    { config: { access: 'actions:update' }, schema: { hide: true, params: idParams.extend({ step: z.enum(ACTION_STEPS) }) } },
    async (req, reply) => {
      const { id, step } = req.params as { id: string; step: ActionStep };
      const b = formBody(req);
      const back = safeNext(b.back);
      const onComplaintPage = /^\/complaints\/[0-9a-f-]{36}\/remedies-and-actions$/i.exec(back.split('?')[0]);
      const view = (/[?&]view=(overdue|open)/.exec(back)?.[1] ?? 'mine') as 'mine' | 'overdue' | 'open';
      return attempt(req, reply, {
        form: `${id}-${step}`,
        prefix: `a-${id}-${step}-`,
        dateFields: ['on', 'nextUpdateDueOn'],
        rerender: (failed, errors, status) =>
          onComplaintPage ? complaintPage(req, reply, back.split('/')[2], { failed, errors }, status) : actionsPage(req, reply, view, { failed, errors }, status),
        run: async () => {
          const version = Number(b.version);
          if (step === 'update') {
            if (!str(b.note)) throw new FormProblem('note', 'Say what the resident was told');
            await actions.command(req.actor!, id, version, { type: 'update', note: str(b.note), on: dateField(b, 'on', 'the date of the update'), nextUpdateDueOn: dateField(b, 'nextUpdateDueOn', 'the date the next update is due') });
          } else if (step === 'complete') {
            await actions.command(req.actor!, id, version, { type: 'complete', on: dateField(b, 'on', 'the date it was done'), note: str(b.note) || null });
          } else {
            if (!actorCan(req.actor!, 'remedies:write')) throw new Forbidden('Only a complaint handler or manager can cancel an action.');
            if (!str(b.reason)) throw new FormProblem('reason', 'Give the reason for cancelling the action');
            await actions.command(req.actor!, id, version, { type: 'cancel', reason: str(b.reason) });
          }
          const sep = back.includes('?') ? '&' : '?';
          return `${back}${sep}done=action-${step}#action-${id}`;
        },
      });
    },
  );

  // ------------------------------------------------------------------ settings

  async function settingsPage(req: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, any>; errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const s = await remedies.settings();
    const inPounds = (p: number | null | undefined) => (p === null || p === undefined ? '' : String(p / 100));
    const values = extra.values ?? {
      lapseMonths: s.lapseMonths === null ? '' : String(s.lapseMonths),
      ...Object.fromEntries(['handler', 'manager', 'governance'].map((r) => [`limit-${r}`, inPounds(s.approvalLimitsPence[r] === undefined ? 0 : s.approvalLimitsPence[r])])),
      ...Object.fromEntries(s.bands.flatMap((b, i) => [[`band-${i}-label`, b.label], [`band-${i}-from`, inPounds(b.fromPence)], [`band-${i}-to`, inPounds(b.toPence)]])),
    };
    return reply.view(
      'remedies/settings.njk',
      await pageContext(app, req, { title: 'Remedy settings', backLink: '/settings', bands: s.bands, values, errors: extra.errors ?? null, done: extra.done && DONE[extra.done] ? DONE[extra.done] : null, guidanceNote: GUIDANCE_NOTE }),
      status,
    );
  }

  app.get('/settings/remedies', { config: { access: 'settings:manage' }, schema: { hide: true, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } }, async (req, reply) =>
    settingsPage(req, reply, { done: (req.query as any).done ?? null }),
  );

  app.post('/settings/remedies', { config: { access: 'settings:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const current = await remedies.settings();
    const fail = (field: string, text: string, status = 400) => settingsPage(req, reply, { values: b, errors: { errorList: [{ text, href: `#${field}` }], fields: { [field]: { text } } } }, status);
    try {
      const lapse = str(b.lapseMonths);
      if (lapse && !/^\d{1,2}$/.test(lapse)) return fail('lapseMonths', 'Enter a number of months from 1 to 24, or leave it blank so that offers never lapse');
      const limits: Record<string, number | null> = {};
      for (const r of ['handler', 'manager', 'governance']) limits[r] = penceOf(b[`limit-${r}`], `limit-${r}`);
      const bands = current.bands.map((band, i) => {
        const label = str(b[`band-${i}-label`]);
        if (!label) throw new FormProblem(`band-${i}-label`, `Enter a name for band ${i + 1}`);
        const from = penceOf(b[`band-${i}-from`], `band-${i}-from`);
        if (from === null) throw new FormProblem(`band-${i}-from`, `Enter where band ${i + 1} starts`);
        return { key: band.key, label, fromPence: from, toPence: penceOf(b[`band-${i}-to`], `band-${i}-to`) };
      });
      await remedies.updateSettings(req.actor!, { lapseMonths: lapse ? Number(lapse) : null, approvalLimitsPence: limits, bands });
      return reply.redirect('/settings/remedies?done=settings', 303);
    } catch (err) {
      if (err instanceof FormProblem) return fail(err.field, err.message);
      if (err instanceof z.ZodError) {
        const issue = err.issues[0];
        const path = issue.path.map(String);
        const field = path[0] === 'lapseMonths' ? 'lapseMonths' : path[0] === 'bands' ? `band-${path[1] ?? 0}-${path[2] === 'toPence' ? 'to' : 'from'}` : path[0] === 'approvalLimitsPence' ? `limit-${path[1]}` : 'lapseMonths';
        return fail(field, path[0] === 'lapseMonths' ? 'Enter a number of months from 1 to 24, or leave it blank so that offers never lapse' : `Check this value: ${issue.message}`);
      }
      throw err;
    }
  });
};

export default remedyPages;
