/**
 * The resident page: contact details and preferences, complaints and service requests, needs and
 * adjustments, contact restrictions and representatives, with reminders when a review is due.
 * Each change has its own form page, posting to its own path and coming back with a banner.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { dueStatus } from '../../core/lifecycle.js';
import { londonDateOf, type LocalDate } from '../../core/dates.js';
import { actorCan } from '../../services/actor.js';
import { STATUS_LABELS } from '../../services/complaints.js';
import { NotFound, VersionConflict } from '../../services/errors.js';
import type { NeedInput } from '../../services/residents.js';
import { pageContext } from './common.js';
import {
  CHANNEL_LABELS,
  CONTACT_LABELS,
  dateValues,
  formValues,
  isUuid,
  notFoundPage,
  Problems,
  readDate,
  readRepresentative,
  readResidentFields,
  readText,
  serviceProblem,
  str,
  TENURE_LABELS,
  type Values,
} from './intake.js';

const NEED_KINDS: Record<NeedInput['kind'], string> = { vulnerability: 'Vulnerability', disability: 'Disability', adjustment: 'Reasonable adjustment' };

const DONE: Record<string, string> = {
  contact: 'Contact details saved',
  need: 'Need or adjustment recorded',
  restriction: 'Contact restriction recorded',
  representative: 'Representative recorded',
};

type Details = Awaited<ReturnType<import('../../services/residents.js').ResidentService['details']>>;

const residentsPages: FastifyPluginAsync = async (app) => {
  const { complaints } = app.services;
  const residents = complaints.residents;
  const today = (): LocalDate => londonDateOf(complaints.now());

  /** The resident's details, or a 404 page (null) when the id is not a resident. */
  async function load(req: FastifyRequest, reply: FastifyReply): Promise<Details | null> {
    const { id } = req.params as { id: string };
    if (!isUuid(id)) {
      await notFoundPage(app, req, reply, 'The resident');
      return null;
    }
    try {
      return await residents.details(req.actor!, id);
    } catch (err) {
      if (err instanceof NotFound) {
        await notFoundPage(app, req, reply, 'The resident');
        return null;
      }
      throw err;
    }
  }

  const nameOf = (r: Details) => r.name || `Resident ${r.reference}`;

  app.get('/residents/:id', { config: { access: 'residents:read' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    await app.services.accessAudit.residentOpened(req.actor!, r.id);
    const actor = req.actor!;
    const now = today();
    const calendar = await app.services.settings.calendar();
    const live = (ends: LocalDate | null) => !ends || ends > now;
    const reminders = [
      ...r.needs
        .filter((n) => n.reviewOn && n.reviewOn <= now && live(n.endedOn))
        .map((n) => ({ text: `${NEED_KINDS[n.kind as NeedInput['kind']] ?? n.kind}: ${n.description}`, reviewOn: n.reviewOn as LocalDate, href: `#need-${n.id}` })),
      ...r.restrictions
        .filter((x) => x.reviewOn <= now && live(x.endsOn))
        .map((x) => ({ text: `Contact restriction: ${x.restriction}`, reviewOn: x.reviewOn, href: `#restriction-${x.id}` })),
    ].map((x) => ({ ...x, overdue: x.reviewOn < now }));
    const q = (req.query ?? {}) as Record<string, unknown>;
    const done = typeof q.done === 'string' ? DONE[q.done] ?? null : null;
    return reply.view(
      'residents/show.njk',
      await pageContext(app, req, {
        title: nameOf(r),
        r,
        today: now,
        reminders,
        activeRestrictions: r.restrictions.filter((x) => x.startsOn <= now && live(x.endsOn)).length,
        done,
        tenureLabel: TENURE_LABELS[r.tenure] ?? r.tenure,
        contactLabel: CONTACT_LABELS[r.preferredContact] ?? r.preferredContact,
        needKinds: NEED_KINDS,
        complaints: r.complaints.map((c) => ({
          ...c,
          statusLabel: STATUS_LABELS[c.status] ?? c.status,
          due: c.nextDueOn ? { date: c.nextDueOn, kind: c.nextDueKind, status: dueStatus(c.nextDueOn, now, calendar) } : null,
        })),
        serviceRequests: r.serviceRequests.map((s) => ({ ...s, receivedAt: new Date(s.receivedAt).toISOString() })),
        canWrite: actorCan(actor, 'residents:write'),
        canReadComplaints: actorCan(actor, 'complaints:read'),
        canLogComplaint: actorCan(actor, 'complaints:log'),
        canLogRequest: actorCan(actor, 'service-requests:write'),
        channelLabels: CHANNEL_LABELS,
      }),
    );
  });

  // ---------------------------------------------------------------- contact details

  const contactValues = (r: Details): Values => ({
    givenName: r.givenName ?? '',
    familyName: r.familyName ?? '',
    addressLine1: r.address.line1 ?? '',
    addressLine2: r.address.line2 ?? '',
    town: r.address.town ?? '',
    postcode: r.address.postcode ?? '',
    email: r.email ?? '',
    phone: r.phone ?? '',
    tenure: r.tenure,
    preferredContact: r.preferredContact,
    communicationNeeds: (r.communicationNeeds as string[] | null ?? []).join('\n'),
    language: r.language ?? '',
  });

  async function form(req: FastifyRequest, reply: FastifyReply, r: Details, template: string, title: string, values: Values, p: Problems | null, status = 200, extra: Record<string, unknown> = {}) {
    return reply.view(
      template,
      await pageContext(app, req, { title: `${title} – ${nameOf(r)}`, heading: title, r, residentName: nameOf(r), values, errors: p?.toErrors() ?? null, backLink: `/residents/${r.id}`, ...extra }),
      status,
    );
  }

  app.get('/residents/:id/contact', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    return form(req, reply, r, 'residents/contact.njk', 'Change contact details', contactValues(r), null, 200, { version: r.version });
  });

  app.post('/residents/:id/contact', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    const v = formValues(req);
    const p = new Problems();
    const input = readResidentFields(v, p, { full: true });
    const version = Number(str(v, 'version'));
    if (!Number.isInteger(version) || version < 1) p.add('givenName', 'The form was missing its version: reload the page and try again');
    if (p.any) return form(req, reply, r, 'residents/contact.njk', 'Change contact details', v, p, 400, { version: str(v, 'version') });
    try {
      await residents.update(req.actor!, r.id, version, input);
      return reply.redirect(`/residents/${r.id}?done=contact`, 303);
    } catch (err) {
      if (err instanceof VersionConflict) {
        // Show what is saved now, with the new version, so the change can be made again on top of it.
        const fresh = await residents.details(req.actor!, r.id);
        p.add('givenName', 'Someone else changed these details after you opened the form. The form now shows the saved details: make your change again', '#givenName');
        return form(req, reply, fresh, 'residents/contact.njk', 'Change contact details', contactValues(fresh), p, 409, { version: fresh.version });
      }
      if (!serviceProblem(err, p, { email: ['email'], postcode: ['postcode'], tenure: ['tenure'], preferredContact: ['preferredContact'] }, ['givenName'])) throw err;
      return form(req, reply, r, 'residents/contact.njk', 'Change contact details', v, p, 400, { version });
    }
  });

  // ---------------------------------------------------------------- needs and adjustments

  const needItems = Object.entries(NEED_KINDS).map(([value, text]) => ({
    value,
    text,
    hint: {
      text:
        value === 'vulnerability'
          ? 'Circumstances that make the resident more at risk, for example a recent bereavement'
          : value === 'disability'
            ? 'A disability the resident has told us about'
            : 'Something we will do differently for them, for example large print or calls from one named person',
    },
  }));

  app.get('/residents/:id/needs', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    return form(req, reply, r, 'residents/need.njk', 'Add a need or adjustment', { ...dateValues('disclosedOn', today()) }, null, 200, { needItems });
  });

  app.post('/residents/:id/needs', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    const v = formValues(req);
    const p = new Problems();
    const kind = str(v, 'kind');
    if (!(kind in NEED_KINDS)) p.add('kind', 'Select whether this is a vulnerability, a disability or a reasonable adjustment');
    const description = readText(v, p, 'description', { name: 'description', required: 'Enter a description of the need or adjustment', max: 5_000 });
    const disclosedOn = readDate(v, p, 'disclosedOn', { label: 'date disclosed', real: 'Enter a real date disclosed' });
    if (disclosedOn && disclosedOn > today()) p.add('disclosedOn', 'The date disclosed cannot be in the future', '#disclosedOn-day');
    const reviewOn = readDate(v, p, 'reviewOn', { label: 'review date', required: 'Enter the date to review this', real: 'Enter a real review date' });
    if (reviewOn && disclosedOn && reviewOn < disclosedOn) p.add('reviewOn', 'The review date must be on or after the date disclosed', '#reviewOn-day');
    if (p.any || !description || !reviewOn) return form(req, reply, r, 'residents/need.njk', 'Add a need or adjustment', v, p, 400, { needItems });
    try {
      await residents.addNeed(req.actor!, r.id, { kind: kind as NeedInput['kind'], description, disclosedOn: disclosedOn ?? null, reviewOn });
      return reply.redirect(`/residents/${r.id}?done=need`, 303);
    } catch (err) {
      if (!serviceProblem(err, p, { description: ['description'], kind: ['kind'] }, ['description'])) throw err;
      return form(req, reply, r, 'residents/need.njk', 'Add a need or adjustment', v, p, 400, { needItems });
    }
  });

  // ---------------------------------------------------------------- contact restrictions

  app.get('/residents/:id/restrictions', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    return form(req, reply, r, 'residents/restriction.njk', 'Add a contact restriction', { ...dateValues('startsOn', today()) }, null);
  });

  app.post('/residents/:id/restrictions', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    const v = formValues(req);
    const p = new Problems();
    const restriction = readText(v, p, 'restriction', { name: 'restriction', required: 'Enter the restriction, for example all contact in writing to one named officer', max: 2_000 });
    const reason = readText(v, p, 'reason', { name: 'reason', required: 'Enter the reason for the restriction', max: 5_000 });
    const proportionality = readText(v, p, 'proportionality', { name: 'proportionality', required: 'Enter why the restriction is proportionate', max: 5_000 });
    const equalityConsiderations = readText(v, p, 'equalityConsiderations', {
      name: 'equality considerations',
      required: 'Enter the equality considerations, including any disability or vulnerability',
      max: 5_000,
    });
    const startsOn = readDate(v, p, 'startsOn', { label: 'start date', required: 'Enter the date the restriction starts', real: 'Enter a real start date' });
    const reviewOn = readDate(v, p, 'reviewOn', { label: 'review date', required: 'Enter the date to review the restriction', real: 'Enter a real review date' });
    if (startsOn && reviewOn && reviewOn < startsOn) p.add('reviewOn', 'The review date must be on or after the start date', '#reviewOn-day');
    if (p.any || !restriction || !reason || !proportionality || !equalityConsiderations || !startsOn || !reviewOn) {
      return form(req, reply, r, 'residents/restriction.njk', 'Add a contact restriction', v, p, 400);
    }
    try {
      await residents.addRestriction(req.actor!, r.id, { restriction, reason, proportionality, equalityConsiderations, startsOn, reviewOn });
      return reply.redirect(`/residents/${r.id}?done=restriction`, 303);
    } catch (err) {
      if (!serviceProblem(err, p, { reviewOn: ['reviewOn', '#reviewOn-day'], startsOn: ['startsOn', '#startsOn-day'] }, ['restriction'])) throw err;
      return form(req, reply, r, 'residents/restriction.njk', 'Add a contact restriction', v, p, 400);
    }
  });

  // ---------------------------------------------------------------- representatives

  app.get('/residents/:id/representatives', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    return form(req, reply, r, 'residents/representative.njk', 'Add a representative', {}, null);
  });

  app.post('/residents/:id/representatives', { config: { access: 'residents:write' }, schema: { hide: true } }, async (req, reply) => {
    const r = await load(req, reply);
    if (!r) return reply;
    const v = formValues(req);
    const p = new Problems();
    const rep = readRepresentative(v, p, today(), { optional: false, contact: true });
    if (p.any || !rep) return form(req, reply, r, 'residents/representative.njk', 'Add a representative', v, p, 400);
    try {
      await residents.addRepresentative(req.actor!, r.id, rep);
      return reply.redirect(`/residents/${r.id}?done=representative`, 303);
    } catch (err) {
      if (!serviceProblem(err, p, { email: ['repEmail'], consentRecordedOn: ['repConsent', '#repConsent-day'] }, ['repName'])) throw err;
      return form(req, reply, r, 'residents/representative.njk', 'Add a representative', v, p, 400);
    }
  });
};

export default residentsPages;
