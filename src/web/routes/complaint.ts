/** The case page and its forms: every lifecycle step, notes, messages and attachments. */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { londonDateOf, formatLongDate } from '../../core/dates.js';
import { REMEDY_TYPES, RuleViolation } from '../../core/lifecycle.js';
import { REMEDY_TYPE_LABELS } from '../../core/remedies.js';
import { actorCan } from '../../services/actor.js';
import { CHANNELS } from '../../services/complaints.js';
import { InvalidInput, NotFound, VersionConflict } from '../../services/errors.js';
import { formBody, pageContext } from './common.js';
import { autoSendAfterStep, caseLetterNotes } from './letters.js';
import { describeRemedyHistory, REMEDY_TIMELINE_LABELS } from './remedies.js';
import { ACTION_ROWS, POINT_ROWS, REMEDY_ROWS, STEPS, availableSteps, formFieldFor, FormProblem, isStep, toCommand, type Step } from './complaint-forms.js';

const idParams = z.object({ id: z.string().regex(/^[0-9a-f-]{36}$/i) });
const stepParams = idParams.extend({ step: z.string().max(40) });

const DONE: Record<string, string> = {
  logged: 'Complaint logged. It is with the complaints team.',
  assign: 'Handler assigned.',
  triage: 'Triage recorded.',
  acknowledge: 'Complaint acknowledged.',
  extend: 'Extension recorded.',
  'update-interval': 'Update interval recorded.',
  updates: 'Update recorded.',
  'related-issue': 'Related issue added to the complaint.',
  'related-new': 'The new issue was logged as a new complaint, linked to this one.',
  respond: 'Response recorded.',
  escalate: 'Complaint escalated to stage 2.',
  refuse: 'Refusal recorded.',
  'refuse-escalation': 'Refusal to escalate recorded.',
  withdraw: 'Withdrawal recorded.',
  reopen: 'Complaint reopened.',
  close: 'Complaint closed.',
  link: 'Complaints linked.',
  note: 'Note added.',
  message: 'Message recorded.',
  attachment: 'File attached.',
};

export const CHANNEL_LABELS: Record<string, string> = {
  phone: 'Phone',
  email: 'Email',
  letter: 'Letter',
  web: 'Online form',
  in_person: 'In person',
  social_media: 'Social media',
  text: 'Text message',
  other: 'Other',
};

export const REMEDY_LABELS: Record<string, string> = REMEDY_TYPE_LABELS;

const ACTION_LABELS: Record<string, string> = {
  received: 'Complaint received',
  assigned: 'Handler assigned',
  triaged: 'Triaged',
  acknowledged: 'Acknowledged',
  extended: 'Response date extended',
  update_interval_agreed: 'Update interval agreed',
  update_given: 'Update given to the resident',
  point_added: 'Related issue joined the complaint',
  responded: 'Response sent',
  escalation_requested: 'Escalation to stage 2 requested',
  refused: 'Refused',
  withdrawn: 'Withdrawn',
  reopened: 'Reopened',
  closed: 'Closed',
  linked: 'Linked to another complaint',
  note_added: 'Note added',
  restricted_note_added: 'Restricted note added',
  message_received: 'Message received',
  message_sent: 'Message sent',
  attachment_added: 'File attached',
  letter_sent: 'Letter sent',
  email_failed: 'Email failed',
  email_retried: 'Failed email sent again',
  email_failure_dealt_with: 'Failed email dealt with',
};

function plural(n: number, one: string, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

function describe(item: any, names: Map<string, string>): string {
  const e = item.event ?? {};
  switch (item.action) {
    case 'received':
      return `Received ${e.receivedAt ? `on ${formatLongDate(londonDateOf(new Date(e.receivedAt)))}` : ''}.`;
    case 'assigned':
      return `Stage ${e.stage} handler: ${names.get(e.handlerId) ?? 'unknown'}. Conflict of interest declared: none${e.conflict?.statement ? ` (${e.conflict.statement})` : ''}.`;
    case 'triaged':
      return `${e.complexity === 'complex' ? 'Complex' : 'Straightforward'}; vulnerable: ${e.vulnerable ? 'yes' : 'no'}; at risk: ${e.atRisk ? 'yes' : 'no'}.`;
    case 'acknowledged':
      return `Stage ${e.stage} acknowledged on ${formatLongDate(e.on)} with ${plural(e.definition?.points?.length ?? 0, 'point')} to answer. Response due ${formatLongDate(e.responseDueTold)}.`;
    case 'extended':
      return `New date ${formatLongDate(e.newDue)} (was ${formatLongDate(e.previousDue)}). Reason: ${e.reason}. Resident told on ${formatLongDate(e.residentToldOn)} with the Ombudsman’s details.${e.beyondCap ? ` Beyond the cap: ${e.goodReason}.` : ''}${e.toldLate ? ' Told after the date in force had passed.' : ''}`;
    case 'update_interval_agreed':
      return `Every ${e.everyWorkingDays} working days from ${formatLongDate(e.agreedOn)}.`;
    case 'update_given':
      return `${formatLongDate(e.on)}: ${e.summary}`;
    case 'point_added':
      return `${e.point?.id}: ${e.point?.summary}`;
    case 'responded':
      return `Stage ${e.stage} response on ${formatLongDate(e.on)}: ${String(e.outcome).replace(/_/g, ' ')}. ${plural(e.remedies?.length ?? 0, 'remedy', 'remedies')}, ${plural(e.outstandingActions?.length ?? 0, 'outstanding action')}.`;
    case 'escalation_requested':
      return e.reason ? `Reason given: ${e.reason}` : 'No reason needed or given.';
    case 'refused':
      return `${e.kind === 'escalation' ? 'Escalation refused' : 'Not accepted'} on the ground “${e.ground}”: ${e.reasoning}`;
    case 'withdrawn':
      return `${e.reason}${e.how ? ` (${e.how})` : ''}`;
    case 'reopened':
      return e.reason;
    case 'closed':
      return e.summary ?? '';
    case 'restricted_note_added':
      return `A restricted note held by ${item.after?.heldBy ?? item.actor.name}.`;
    case 'note_added':
      return item.after?.body ?? (item.after?.restricted ? `A restricted note held by ${item.after?.heldBy}.` : '');
    case 'message_received':
    case 'message_sent':
      return `${item.after?.subject ?? ''} (${item.after?.channel ?? ''})`;
    case 'attachment_added':
      return `${item.after?.filename ?? ''}`;
    case 'letter_sent':
      return `${item.after?.title ?? 'Letter'} ${item.after?.channel === 'email' ? `by email to ${item.after?.to}` : 'by post'}${item.after?.largePrint ? ', large print' : ''}.`;
    case 'email_failed':
      return `“${item.after?.subject ?? ''}” to ${(item.after?.to ?? []).join(', ')}: ${item.after?.why ?? 'it could not be sent'} (${item.after?.error ?? ''}).`;
    case 'email_retried':
      return `“${item.after?.subject ?? ''}”.`;
    case 'email_failure_dealt_with':
      return `“${item.after?.subject ?? ''}”: ${item.after?.note ?? ''}`;
    default:
      return '';
  }
}

const complaintPages: FastifyPluginAsync = async (app) => {
  const { complaints, users } = app.services;
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024 + 1, files: 1, fields: 10 } });

  async function caseContext(req: FastifyRequest, id: string) {
    const actor = req.actor!;
    const { complaint, state, history, notes, messages, attachments } = await complaints.caseFile(actor, id);
    const names = await users.names();
    const resident = complaint.residentId && actorCan(actor, 'residents:read') ? await complaints.residents.essentials(actor, complaint.residentId) : null;
    const timeline = history
      .filter((h) => ACTION_LABELS[h.action] || REMEDY_TIMELINE_LABELS[h.action])
      .map((h) =>
        ACTION_LABELS[h.action]
          ? { label: ACTION_LABELS[h.action], by: h.actor.name, at: h.at, text: describe(h, names) }
          : { label: REMEDY_TIMELINE_LABELS[h.action], by: h.actor.name, at: h.at, text: describeRemedyHistory(h) },
      )
      .reverse();
    return { complaint, state, timeline, notes, messages, attachments, resident, names, steps: actorCan(actor, 'complaints:handle') ? availableSteps(state) : [] };
  }

  app.get('/complaints/:id', { config: { access: 'complaints:read' }, schema: { hide: true, params: idParams, querystring: z.object({ done: z.string().max(40).optional(), letter: z.string().max(10).optional() }).passthrough() } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const ctx = await caseContext(req, id);
    await app.services.accessAudit.notesShown(req.actor!, id, ctx.notes);
    const done = (req.query as any).done;
    const letterNotes = await caseLetterNotes(app, req.actor!, ctx.complaint, done, (req.query as any).letter);
    return reply.view(
      'complaint/case.njk',
      await pageContext(app, req, {
        title: `Complaint ${ctx.complaint.reference}`,
        ...ctx,
        stepLabels: STEPS,
        done: done && DONE[done] ? DONE[done] : null,
        ...letterNotes,
        channelLabels: CHANNEL_LABELS,
        remedyLabels: REMEDY_LABELS,
        channels: CHANNELS,
        mayRestricted: actorCan(req.actor!, 'notes:restricted'),
        mayHandle: actorCan(req.actor!, 'complaints:handle'),
      }),
    );
  });

  async function stepPage(req: FastifyRequest, reply: FastifyReply, step: Step, extra: Record<string, unknown> = {}, status = 200) {
    const { id } = req.params as { id: string };
    const actor = req.actor!;
    const [complaint, state, staff, settings] = await Promise.all([complaints.get(actor, id), complaints.loadState(app.db, id), users.list(), app.services.settings.get()]);
    const handlers = staff.filter((u) => u.active && (u.role === 'handler' || u.role === 'manager'));
    const stage = state.stages[state.stage]!;
    const defaultNextSteps =
      state.stage === 1
        ? `If you are not satisfied with this response, you can ask us to escalate your complaint to stage 2. You do not need to give a reason. Contact us by phone on ${settings.landlord.complaintsPhone}, by email at ${settings.landlord.complaintsEmail}, or write to ${settings.landlord.address}. You can contact the ${settings.ombudsman.name} at any time for advice: ${settings.ombudsman.phone}, ${settings.ombudsman.website}.`
        : `This is our final response. If you remain unhappy you can refer your complaint to the ${settings.ombudsman.name}: phone ${settings.ombudsman.phone}, email ${settings.ombudsman.email}, website ${settings.ombudsman.website}, or write to ${settings.ombudsman.address}. You have 12 months from this response to do so.`;
    return reply.view(
      `complaint/step-${step}.njk`,
      await pageContext(app, req, {
        title: `${STEPS[step]} – ${complaint.reference}`,
        step,
        stepLabel: STEPS[step],
        complaint,
        state,
        stageState: stage,
        handlers,
        values: {},
        errors: null,
        backLink: `/complaints/${id}`,
        pointRows: Array.from({ length: POINT_ROWS }, (_, i) => i),
        remedyRows: Array.from({ length: REMEDY_ROWS }, (_, i) => i),
        actionRows: Array.from({ length: ACTION_ROWS }, (_, i) => i),
        remedyTypes: REMEDY_TYPES.map((t) => ({ value: t, text: REMEDY_LABELS[t] })),
        grounds: settings.exclusionGrounds,
        defaultNextSteps,
        ombudsman: settings.ombudsman,
        channelLabels: CHANNEL_LABELS,
        ...extra,
      }),
      status,
    );
  }

  app.get('/complaints/:id/:step', { config: { access: 'complaints:handle' }, schema: { hide: true, params: stepParams } }, async (req, reply) => {
    const { step } = req.params as { step: string };
    if (!isStep(step)) throw new NotFound('That page');
    return stepPage(req, reply, step);
  });

  app.post('/complaints/:id/:step', { config: { access: 'complaints:handle' }, schema: { hide: true, params: stepParams } }, async (req, reply) => {
    const { id, step } = req.params as { id: string; step: string };
    if (!isStep(step)) throw new NotFound('That page');
    const body = formBody(req);
    const actor = req.actor!;
    const version = Number(body.version);
    const problem = (field: string, text: string, status = 400) =>
      stepPage(req, reply, step, { values: body, errors: { errorList: [{ text, href: `#${field}` }], fields: { [field]: { text } } } }, status);
    try {
      if (step === 'related-issue') {
        if (!String(body.summary ?? '').trim()) return problem('summary', 'Describe the new issue');
        if (!body.landlordResponsible) return problem('landlordResponsible', 'Say whether the issue is the landlord’s responsibility');
        const r = await complaints.relatedIssue(actor, id, version, {
          summary: String(body.summary),
          landlordResponsible: body.landlordResponsible === 'yes',
          responsibilityNote: String(body.responsibilityNote ?? '') || null,
          separate: body.separate === 'yes',
        });
        return reply.redirect(r.joined ? `/complaints/${id}?done=related-issue` : `/complaints/${r.newComplaint!.id}?done=related-new`, 303);
      }
      if (step === 'link') {
        const ref = String(body.reference ?? '').trim().toUpperCase();
        if (!ref) return problem('reference', 'Enter the reference of the complaint to link, like CMP-000123');
        const other = await app.db.selectFrom('complaints').select('id').where('reference', '=', ref).executeTakeFirst();
        if (!other) return problem('reference', `There is no complaint with the reference ${ref}`);
        await complaints.link(actor, id, version, other.id);
        return reply.redirect(`/complaints/${id}?done=link`, 303);
      }
      const state = await complaints.loadState(app.db, id);
      const cmd = toCommand(step, body, state);
      await complaints.command(actor, id, version, cmd);
      const auto = await autoSendAfterStep(app, actor, id, step);
      return reply.redirect(`/complaints/${id}?done=${step}${auto ? `&letter=${auto}` : ''}`, 303);
    } catch (err) {
      if (err instanceof FormProblem) return problem(err.field, err.message);
      if (err instanceof RuleViolation) return problem(formFieldFor(step, err.field), err.message, 422);
      if (err instanceof InvalidInput) return problem(formFieldFor(step, err.field), err.message, 422);
      if (err instanceof VersionConflict) return problem('form', 'Someone else changed this complaint while you were working on it. Your changes have not been saved: check the complaint and try again.', 409);
      throw err;
    }
  });

  app.post('/complaints/:id/notes/add', { config: { access: 'complaints:handle' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = formBody(req);
    const text = String(body.body ?? '').trim();
    if (!text) return casePageWithError(req, reply, id, 'note-body', 'Enter the note');
    try {
      await complaints.addNote(req.actor!, id, { body: text, restricted: body.restricted === 'yes' });
    } catch (err) {
      if (err instanceof InvalidInput) return casePageWithError(req, reply, id, 'note-restricted', err.message);
      throw err;
    }
    return reply.redirect(`/complaints/${id}?done=note#notes`, 303);
  });

  app.post('/complaints/:id/messages/add', { config: { access: 'complaints:handle' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const body = formBody(req);
    if (!['in', 'out'].includes(body.direction)) return casePageWithError(req, reply, id, 'message-direction', 'Say whether the message was received or sent');
    if (!(CHANNELS as readonly string[]).includes(body.channel)) return casePageWithError(req, reply, id, 'message-channel', 'Select how the message came or went');
    if (!String(body.body ?? '').trim()) return casePageWithError(req, reply, id, 'message-body', 'Enter the message');
    await complaints.addCorrespondence(req.actor!, id, { direction: body.direction, channel: body.channel, subject: String(body.subject ?? '') || null, body: String(body.body), counterpart: String(body.counterpart ?? '') || null });
    return reply.redirect(`/complaints/${id}?done=message#messages`, 303);
  });

  app.post('/complaints/:id/attachments/add', { config: { access: 'complaints:handle', csrfInHandler: true }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!req.isMultipart()) return casePageWithError(req, reply, id, 'file', 'Choose a file to attach');
    let file: { filename: string; mimetype: string; data: Buffer; truncated: boolean } | null = null;
    const fields: Record<string, string> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer().catch(() => null);
        file = { filename: part.filename, mimetype: part.mimetype, data: data ?? Buffer.alloc(0), truncated: data === null || part.file.truncated };
      } else fields[part.fieldname] = String(part.value);
    }
    // Multipart bodies bypass the form parser, so check the CSRF token here.
    if (!req.csrfToken || fields._csrf !== req.csrfToken) return reply.view('error.njk', await pageContext(app, req, { title: 'This form has expired', message: 'Go back, reload the page and try again.' }), 403);
    if (!file || !file.filename) return casePageWithError(req, reply, id, 'file', 'Choose a file to attach');
    if (file.truncated || file.data.length > 10 * 1024 * 1024) return casePageWithError(req, reply, id, 'file', 'The file must be smaller than 10 MB');
    try {
      await complaints.addAttachment(req.actor!, id, { filename: file.filename, contentType: file.mimetype, data: file.data, description: fields.description || null });
    } catch (err) {
      if (err instanceof InvalidInput) return casePageWithError(req, reply, id, 'file', err.message);
      throw err;
    }
    return reply.redirect(`/complaints/${id}?done=attachment#attachments`, 303);
  });

  app.get('/complaints/:id/attachments/:attachmentId', { config: { access: 'complaints:read' }, schema: { hide: true, params: idParams.extend({ attachmentId: z.string().regex(/^[0-9a-f-]{36}$/i) }) } }, async (req, reply) => {
    const { id, attachmentId } = req.params as { id: string; attachmentId: string };
    const a = await complaints.attachmentContent(req.actor!, id, attachmentId);
    return reply
      .header('content-type', a.contentType)
      .header('content-disposition', `attachment; filename="${a.filename.replace(/[^\w.\- ]/g, '_')}"`)
      .send(a.data);
  });

  async function casePageWithError(req: FastifyRequest, reply: FastifyReply, id: string, field: string, text: string) {
    const ctx = await caseContext(req, id);
    return reply.view(
      'complaint/case.njk',
      await pageContext(app, req, {
        title: `Complaint ${ctx.complaint.reference}`,
        ...ctx,
        stepLabels: STEPS,
        channelLabels: CHANNEL_LABELS,
        remedyLabels: REMEDY_LABELS,
        channels: CHANNELS,
        mayRestricted: actorCan(req.actor!, 'notes:restricted'),
        mayHandle: actorCan(req.actor!, 'complaints:handle'),
        values: formBody(req),
        errors: { errorList: [{ text, href: `#${field}` }], fields: { [field]: { text } } },
      }),
      400,
    );
  }
};

export default complaintPages;
