/**
 * Intake: log a complaint from any channel in under a minute, log a service request, and raise a
 * complaint about how a service request is being handled. Also the form helpers the resident
 * pages share: reading GOV.UK date inputs, the resident chooser, resident and representative fields.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { RuleViolation } from '../../core/lifecycle.js';
import { addMonths, isValidLocalDate, londonDateTimeOf, londonStartOfDay, type LocalDate } from '../../core/dates.js';
import type { Actor } from '../../services/actor.js';
import { actorCan } from '../../services/actor.js';
import { CHANNELS, type Channel, type ComplaintInput } from '../../services/complaints.js';
import { Forbidden, InvalidInput, NotFound, VersionConflict } from '../../services/errors.js';
import type { RepresentativeInput, ResidentInput } from '../../services/residents.js';
import type { FormErrors } from '../plugin.js';
import { formBody, pageContext } from './common.js';
import { formatCount } from '../../core/numbers.js';

// ------------------------------------------------------------------ form helpers (shared)

export const CHANNEL_LABELS: Record<Channel, string> = {
  phone: 'Phone',
  email: 'Email',
  letter: 'Letter',
  web: 'Website or online form',
  in_person: 'In person',
  social_media: 'Social media',
  text: 'Text message',
  other: 'Other',
};

export const TENURE_LABELS: Record<string, string> = { LCRA: 'Rented (low cost rental)', LCHO: 'Shared ownership (low cost home ownership)', other: 'Other' };
export const CONTACT_LABELS: Record<string, string> = { email: 'Email', phone: 'Phone', letter: 'Letter', text: 'Text message' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

/** Problems found in a form, in the order of the page, as the error summary and inline messages need them. */
export class Problems {
  readonly errorList: { text: string; href: string }[] = [];
  readonly fields: Record<string, { text: string }> = {};
  add(field: string, text: string, href = `#${field}`) {
    if (this.fields[field]) return;
    this.fields[field] = { text };
    this.errorList.push({ text, href });
  }
  has(field: string) {
    return !!this.fields[field];
  }
  get any() {
    return this.errorList.length > 0;
  }
  toErrors(): FormErrors | null {
    return this.any ? { errorList: this.errorList, fields: this.fields } : null;
  }
}

export type Values = Record<string, string>;

/** The form's fields as single strings (the first of any repeated field), without the CSRF token. */
export function formValues(req: FastifyRequest): Values {
  const out: Values = {};
  for (const [k, v] of Object.entries(formBody(req))) {
    if (k === '__proto__' || k === 'constructor' || k === 'prototype') continue;
    const x = Array.isArray(v) ? v[0] : v;
    if (typeof x === 'string') out[k] = x;
  }
  return out;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
export const str = (v: Values, k: string) => (v[k] ?? '').trim();

/** A text field: trimmed; a problem when required and blank, or longer than `max`. */
export function readText(v: Values, p: Problems, key: string, o: { name: string; required?: string; max?: number }): string | null {
  const t = str(v, key);
  if (!t) {
    if (o.required) p.add(key, o.required);
    return null;
  }
  const max = o.max ?? 10_000;
  if (t.length > max) p.add(key, `${cap(o.name)} must be ${formatCount(max)} characters or fewer`);
  return t;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function monthNumber(s: string): number | null {
  if (/^\d{1,2}$/.test(s)) return Number(s);
  const i = MONTHS.indexOf(s.slice(0, 3).toLowerCase());
  return i >= 0 && /^[a-z]+$/i.test(s) ? i + 1 : null;
}

/**
 * A GOV.UK date input (`<name>-day`, `-month`, `-year`). Returns null when blank and optional,
 * undefined when there is a problem (recorded in `p`), else the date as YYYY-MM-DD.
 * Month names ("Jan", "January") are accepted as well as numbers.
 */
export function readDate(v: Values, p: Problems, name: string, o: { label: string; required?: string; real: string }): LocalDate | null | undefined {
  const parts = { day: str(v, `${name}-day`), month: str(v, `${name}-month`), year: str(v, `${name}-year`) };
  const missing = (Object.keys(parts) as (keyof typeof parts)[]).filter((k) => !parts[k]);
  if (missing.length === 3) {
    if (o.required) {
      p.add(name, o.required, `#${name}-day`);
      return undefined;
    }
    return null;
  }
  if (missing.length > 0) {
    p.add(name, `${cap(o.label)} must include a ${missing.join(' and ')}`, `#${name}-${missing[0]}`);
    return undefined;
  }
  const m = monthNumber(parts.month);
  if (!/^\d{1,2}$/.test(parts.day) || m === null || !/^\d{4}$/.test(parts.year)) {
    p.add(name, o.real, `#${name}-day`);
    return undefined;
  }
  const iso = `${parts.year}-${String(m).padStart(2, '0')}-${parts.day.padStart(2, '0')}`;
  if (!isValidLocalDate(iso) || iso < '1900-01-01') {
    p.add(name, o.real, `#${name}-day`);
    return undefined;
  }
  return iso;
}

/** A time of day typed as 14:30, 14.30, 9:05, 2:30pm or 2pm. Returns 'HH:MM', or undefined with a problem. */
export function readTime(v: Values, p: Problems, key: string, o: { required: string; real: string }): string | undefined {
  const t = str(v, key).toLowerCase().replace(/\s+/g, '');
  if (!t) {
    p.add(key, o.required);
    return undefined;
  }
  const m = /^(\d{1,2})(?:[:.](\d{2}))?(am|pm)?$/.exec(t);
  if (!m || (!m[2] && !m[3])) {
    p.add(key, o.real);
    return undefined;
  }
  let h = Number(m[1]);
  const min = Number(m[2] ?? '0');
  if (m[3]) {
    if (h < 1 || h > 12) {
      p.add(key, o.real);
      return undefined;
    }
    h = (h % 12) + (m[3] === 'pm' ? 12 : 0);
  }
  if (h > 23 || min > 59) {
    p.add(key, o.real);
    return undefined;
  }
  return `${String(h).padStart(2, '0')}:${String(min).padStart(2, '0')}`;
}

/** The instant of a wall-clock date and time in Europe/London (the later hour when clocks go back). */
export function londonInstant(date: LocalDate, time: string): Date {
  const [h, m] = time.split(':').map(Number);
  const base = londonStartOfDay(date).getTime() + (h * 60 + m) * 60_000;
  for (const delta of [0, -3_600_000, 3_600_000]) {
    const t = new Date(base + delta);
    const l = londonDateTimeOf(t);
    if (l.date === date && l.time === time) return t;
  }
  return new Date(base); // a time that does not exist (clocks going forward): take it as GMT + offset
}

/** Values for a date input, from a date. */
export function dateValues(name: string, d: LocalDate | null | undefined): Values {
  if (!d) return {};
  return { [`${name}-day`]: String(Number(d.slice(8, 10))), [`${name}-month`]: String(Number(d.slice(5, 7))), [`${name}-year`]: d.slice(0, 4) };
}

const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$/i;
const PARTIAL_POSTCODE = /^[A-Z]{1,2}[0-9][A-Z0-9]?(\s*[0-9][A-Z]{0,2})?$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9()\s-]{7,20}$/;

/** A resident's contact fields. `full` adds the second address line, communication needs and language (the edit form). */
export function readResidentFields(v: Values, p: Problems, o: { full: boolean }): ResidentInput {
  const givenName = readText(v, p, 'givenName', { name: 'given name', max: 100 });
  const familyName = readText(v, p, 'familyName', { name: 'family name', required: 'Enter the resident’s family name', max: 100 });
  const addressLine1 = readText(v, p, 'addressLine1', { name: 'address line 1', max: 200 });
  const addressLine2 = o.full ? readText(v, p, 'addressLine2', { name: 'address line 2', max: 200 }) : undefined;
  const town = readText(v, p, 'town', { name: 'town or city', max: 100 });
  let postcode = str(v, 'postcode') || null;
  if (postcode) {
    const m = POSTCODE.exec(postcode.replace(/\s+/g, ' '));
    if (!m) p.add('postcode', 'Enter a real postcode, like AB1 2CD');
    else postcode = `${m[1]} ${m[2]}`.toUpperCase();
  }
  const email = str(v, 'email') || null;
  if (email && (email.length > 320 || !EMAIL.test(email))) p.add('email', 'Enter an email address in the correct format, like name@example.com');
  const phone = str(v, 'phone') || null;
  if (phone && !PHONE.test(phone)) p.add('phone', 'Enter a phone number, like 01632 960 001 or 07700 900 982');
  const tenure = str(v, 'tenure');
  if (!['LCRA', 'LCHO', 'other'].includes(tenure)) p.add('tenure', 'Select the resident’s tenure');
  const preferredContact = str(v, 'preferredContact');
  if (!['email', 'phone', 'letter', 'text'].includes(preferredContact)) p.add('preferredContact', 'Select how the resident prefers to be contacted');
  if (preferredContact === 'email' && !email) p.add('email', 'Enter the resident’s email address, or choose another way to contact them');
  if ((preferredContact === 'phone' || preferredContact === 'text') && !phone) p.add('phone', 'Enter the resident’s phone number, or choose another way to contact them');
  if (preferredContact === 'letter') {
    if (!addressLine1) p.add('addressLine1', 'Enter the first line of the resident’s address, or choose another way to contact them');
    if (!postcode) p.add('postcode', 'Enter the resident’s postcode, or choose another way to contact them');
  }
  const input: ResidentInput = {
    givenName,
    familyName,
    addressLine1,
    town,
    postcode,
    email,
    phone,
    tenure: tenure as ResidentInput['tenure'],
    preferredContact: preferredContact as ResidentInput['preferredContact'],
  };
  if (o.full) {
    input.addressLine2 = addressLine2;
    const needs = str(v, 'communicationNeeds')
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter(Boolean);
    if (needs.length > 20 || needs.some((n) => n.length > 100)) p.add('communicationNeeds', 'Enter up to 20 communication needs, one per line, each 100 characters or fewer');
    input.communicationNeeds = needs;
    input.language = readText(v, p, 'language', { name: 'language', max: 50 });
  }
  return input;
}

/**
 * A representative's fields (`rep…`). With `optional`, all blank means none; anything filled in
 * means the rest is needed too.
 */
export function readRepresentative(v: Values, p: Problems, today: LocalDate, o: { optional: boolean; contact: boolean }): RepresentativeInput | null {
  const keys = ['repName', 'repRelationship', 'repConsentEvidence', 'repConsent-day', 'repConsent-month', 'repConsent-year', ...(o.contact ? ['repEmail', 'repPhone', 'repAddress'] : [])];
  if (o.optional && keys.every((k) => !str(v, k))) return null;
  const name = readText(v, p, 'repName', { name: 'representative’s name', required: 'Enter the representative’s name', max: 200 });
  const relationship = readText(v, p, 'repRelationship', { name: 'relationship', required: 'Enter the representative’s relationship to the resident, for example daughter or MP', max: 100 });
  let email: string | null = null;
  let phone: string | null = null;
  let address: string | null = null;
  if (o.contact) {
    email = str(v, 'repEmail') || null;
    if (email && (email.length > 320 || !EMAIL.test(email))) p.add('repEmail', 'Enter the representative’s email address in the correct format, like name@example.com');
    phone = str(v, 'repPhone') || null;
    if (phone && !PHONE.test(phone)) p.add('repPhone', 'Enter the representative’s phone number, like 01632 960 001 or 07700 900 982');
    address = readText(v, p, 'repAddress', { name: 'representative’s address', max: 500 });
  }
  const consentEvidence = readText(v, p, 'repConsentEvidence', {
    name: 'consent evidence',
    required: 'Enter how the resident gave consent and where the evidence is held',
    max: 2_000,
  });
  const consentRecordedOn = readDate(v, p, 'repConsent', { label: 'date consent was given', required: 'Enter the date consent was given', real: 'Enter a real date consent was given' });
  if (consentRecordedOn && consentRecordedOn > today) p.add('repConsent', 'The date consent was given cannot be in the future', '#repConsent-day');
  if (!name || !relationship || !consentEvidence || !consentRecordedOn) return null;
  return { name, relationship, consentEvidence, consentRecordedOn, ...(o.contact ? { email, phone, address } : {}) };
}

export interface ResidentMatch {
  id: string;
  reference: string;
  name: string;
  address: { line1: string | null; line2: string | null; town: string | null; postcode: string | null };
}

/**
 * Residents matching one search box: their reference (exact), a postcode (or its start) and
 * names (every word the start of a given or family name).
 */
export async function findResidents(app: FastifyInstance, actor: Actor, q: string, limit = 20): Promise<ResidentMatch[]> {
  const text = q.trim().slice(0, 200);
  if (!text) return [];
  const { residents } = app.services.complaints;
  const searches = [residents.search(actor, { reference: text, limit })];
  if (text.toUpperCase() !== text) searches.push(residents.search(actor, { reference: text.toUpperCase(), limit }));
  if (PARTIAL_POSTCODE.test(text)) searches.push(residents.search(actor, { postcode: text, limit }));
  if (/[a-z]/i.test(text)) searches.push(residents.search(actor, { name: text, limit }));
  const seen = new Set<string>();
  const out: ResidentMatch[] = [];
  for (const list of await Promise.all(searches)) {
    for (const r of list) {
      if (seen.has(r.id) || out.length >= limit) continue;
      seen.add(r.id);
      out.push(r);
    }
  }
  return out;
}

export type ResidentChoice = { mode: 'existing'; residentId: string } | { mode: 'new'; resident: ResidentInput } | { mode: 'anonymous' };

/** Who the complaint or request is from: a resident on the records, a new one, or (complaints only) anonymous. */
export function readResidentChoice(v: Values, p: Problems, o: { allowAnonymous: boolean; matches: number }): ResidentChoice | null {
  const mode = str(v, 'residentMode');
  const modes = o.allowAnonymous ? ['existing', 'new', 'anonymous'] : ['existing', 'new'];
  if (!modes.includes(mode)) {
    p.add(
      'residentMode',
      o.allowAnonymous ? 'Select whether the resident is already on your records, is new, or wants to stay anonymous' : 'Select whether the resident is already on your records or is new',
    );
    return null;
  }
  if (mode === 'existing') {
    const id = str(v, 'residentId');
    if (isUuid(id)) return { mode: 'existing', residentId: id };
    if (!str(v, 'residentQuery')) p.add('residentQuery', 'Enter a name, reference or postcode to find the resident');
    else if (o.matches === 0) p.add('residentQuery', 'No residents match your search: search again, or enter them as a new resident');
    else p.add('residentId', 'Select the resident from the list, or search again');
    return null;
  }
  if (mode === 'anonymous') return { mode: 'anonymous' };
  return { mode: 'new', resident: readResidentFields(v, p, { full: false }) };
}

/** The residents to list in the chooser: the search results, plus the one already chosen. */
export async function chooserMatches(app: FastifyInstance, actor: Actor, v: Values): Promise<ResidentMatch[]> {
  const matches = str(v, 'residentQuery') ? await findResidents(app, actor, str(v, 'residentQuery')) : [];
  const chosen = str(v, 'residentId');
  if (isUuid(chosen) && !matches.some((m) => m.id === chosen)) {
    const r = await app.db.selectFrom('residents').selectAll().where('id', '=', chosen).executeTakeFirst();
    if (r) matches.unshift({ id: r.id, reference: r.reference, name: [r.title, r.given_name, r.family_name].filter(Boolean).join(' '), address: { line1: r.address_line1, line2: r.address_line2, town: r.town, postcode: r.postcode } });
  }
  return matches;
}

/** A resident named in the query (`?residentId=`) starts the form with that resident chosen. */
async function preselectedResident(app: FastifyInstance, actor: Actor, q: Record<string, unknown>, v: Values): Promise<ResidentMatch[]> {
  if (!isUuid(q.residentId)) return [];
  v.residentMode = 'existing';
  v.residentId = q.residentId;
  return chooserMatches(app, actor, v);
}

/**
 * The "Find resident" button: search, keep everything typed so far, and choose the resident when
 * exactly one matches. Returns null when the form was submitted for real.
 */
async function findResidentStep(app: FastifyInstance, actor: Actor, v: Values): Promise<{ problems: Problems | null; matches: ResidentMatch[] } | null> {
  const mode = str(v, 'residentMode');
  if (v.action !== 'find' || !(mode === 'existing' || mode === '')) return null;
  v.residentMode = 'existing';
  const p = new Problems();
  if (!str(v, 'residentQuery')) p.add('residentQuery', 'Enter a name, reference or postcode to find the resident');
  const matches = await chooserMatches(app, actor, v);
  if (matches.length === 1 && !isUuid(v.residentId)) v.residentId = matches[0].id;
  return { problems: p.any ? p : null, matches };
}

/**
 * Show an error from a service (InvalidInput with its field, a RuleViolation, a refusal) against
 * the form's fields. Returns false for anything else, which the caller rethrows.
 */
export function serviceProblem(err: unknown, p: Problems, fields: Record<string, [string, string?]>, fallback: [string, string?]): boolean {
  if (err instanceof InvalidInput || err instanceof RuleViolation) {
    const [field, href] = (err.field && fields[err.field]) || fallback;
    p.add(field, err.message.replace(/\.$/, ''), href ?? `#${field}`);
    return true;
  }
  if (err instanceof Forbidden) {
    const [field, href] = fallback;
    p.add(field, 'Your role does not allow part of this; ask a complaints handler to record it', href ?? `#${field}`);
    return true;
  }
  return false;
}

export async function notFoundPage(app: FastifyInstance, req: FastifyRequest, reply: FastifyReply, what: string) {
  return reply.view('error.njk', await pageContext(app, req, { title: 'Page not found', message: `${what} was not found. Check the address, or find it with search.` }), 404);
}

const options = (list: readonly string[], blank: string) => [{ value: '', text: blank }, ...list.map((x) => ({ value: x, text: x }))];
const channelItems = () => CHANNELS.map((c) => ({ value: c, text: CHANNEL_LABELS[c] }));

function nowValues(now: Date): Values {
  const { date, time } = londonDateTimeOf(now);
  return { ...dateValues('received', date), receivedTime: time };
}

// ------------------------------------------------------------------ routes

const intake: FastifyPluginAsync = async (app) => {
  const { complaints, serviceRequests } = app.services;
  const today = () => londonDateTimeOf(complaints.now()).date;

  // ---------------------------------------------------------------- log a complaint

  async function complaintForm(req: FastifyRequest, reply: FastifyReply, v: Values, p: Problems | null, matches: ResidentMatch[], searched: boolean, status = 200, extra: Record<string, unknown> = {}) {
    const ctx = await pageContext(app, req);
    const received = readDate(v, new Problems(), 'received', { label: '', real: '' });
    const arose = readDate(v, new Problems(), 'issueArose', { label: '', real: '' });
    const lateIssue = !!received && !!arose && arose < addMonths(received, -12);
    return reply.view(
      'intake/complaint-new.njk',
      {
        ...ctx,
        title: 'Log a complaint',
        values: v,
        errors: p?.toErrors() ?? null,
        matches,
        searched,
        lateIssue,
        channelItems: channelItems(),
        serviceAreaItems: options(ctx.settings.serviceAreas, 'Not known yet'),
        categoryItems: options(ctx.settings.categories, 'Not known yet'),
        ...extra,
      },
      status,
    );
  }

  app.get('/complaints/new', { config: { access: 'complaints:log' }, schema: { hide: true } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const v: Values = nowValues(complaints.now());
    const matches = await preselectedResident(app, req.actor!, q, v);
    const logged = typeof q.logged === 'string' && /^CMP-\d{1,12}$/.test(q.logged) ? q.logged : null;
    return complaintForm(req, reply, v, null, matches, false, 200, { logged });
  });

  app.post('/complaints/new', { config: { access: 'complaints:log' }, schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor!;
    const v = formValues(req);
    const mode = str(v, 'residentMode');

    const found = await findResidentStep(app, actor, v);
    if (found) return complaintForm(req, reply, v, found.problems, found.matches, !found.problems, found.problems ? 400 : 200);

    const p = new Problems();
    const matches = mode === 'existing' ? await chooserMatches(app, actor, v) : [];
    const who = readResidentChoice(v, p, { allowAnonymous: true, matches: matches.length });
    const representative = readRepresentative(v, p, today(), { optional: true, contact: false });
    if (who?.mode === 'anonymous' && representative) p.add('repName', 'An anonymous complaint cannot have a representative: remove the representative, or name the resident');

    const channel = str(v, 'channel');
    if (!(CHANNELS as readonly string[]).includes(channel)) p.add('channel', 'Select how the complaint was made');
    const receivedOn = readDate(v, p, 'received', { label: 'date received', required: 'Enter the date the complaint was received', real: 'Enter a real date received' });
    const receivedTime = readTime(v, p, 'receivedTime', { required: 'Enter the time the complaint was received', real: 'Enter a real time received, like 14:30' });
    let receivedAt: Date | null = null;
    if (receivedOn && receivedTime) {
      receivedAt = londonInstant(receivedOn, receivedTime);
      if (receivedOn > today()) p.add('received', 'The date received cannot be in the future', '#received-day');
      else if (receivedAt.getTime() > complaints.now().getTime() + 60_000) p.add('receivedTime', 'The time received cannot be in the future');
    }
    const issueArose = readDate(v, p, 'issueArose', { label: 'date the issue happened', real: 'Enter a real date for when the issue happened or the resident became aware of it' });
    if (issueArose && receivedOn && issueArose > receivedOn) p.add('issueArose', 'The date the issue happened cannot be after the date received', '#issueArose-day');
    const description = readText(v, p, 'description', { name: 'what happened', required: 'Enter what happened', max: 10_000 });
    const outcomeSought = readText(v, p, 'outcomeSought', { name: 'what would put it right', max: 5_000 });
    const helpNeeded = readText(v, p, 'helpNeeded', { name: 'help or adjustments needed', max: 5_000 });
    const serviceArea = str(v, 'serviceArea') || null;
    const category = str(v, 'category') || null;
    const contractor = readText(v, p, 'contractor', { name: 'contractor', max: 200 });

    if (p.any || !who || !description || !receivedAt) return complaintForm(req, reply, v, p, matches, !!str(v, 'residentQuery'), 400);

    const input: ComplaintInput = {
      ...(who.mode === 'existing' ? { residentId: who.residentId } : who.mode === 'new' ? { resident: who.resident } : { anonymous: true }),
      representative,
      channel: channel as Channel,
      receivedAt: receivedAt.toISOString(),
      issueArose: issueArose ?? null,
      description,
      outcomeSought,
      helpNeeded,
      serviceArea,
      category,
      contractor,
    };
    try {
      const created = await complaints.create(actor, input);
      const c = created.body;
      if (actorCan(actor, 'complaints:read')) return reply.redirect(`/complaints/${c.id}?done=logged`, 303);
      return reply.redirect(`/complaints/new?logged=${encodeURIComponent(c.reference)}`, 303);
    } catch (err) {
      const handled = serviceProblem(
        err,
        p,
        {
          receivedAt: ['received', '#received-day'],
          issueArose: ['issueArose', '#issueArose-day'],
          serviceArea: ['serviceArea'],
          category: ['category'],
          residentId: ['residentId'],
          resident: ['residentMode'],
          anonymous: ['residentMode'],
          representative: ['repName'],
          representativeId: ['repName'],
          description: ['description'],
          channel: ['channel'],
        },
        ['description'],
      );
      if (!handled) throw err;
      return complaintForm(req, reply, v, p, matches, !!str(v, 'residentQuery'), 400);
    }
  });

  // ---------------------------------------------------------------- service requests

  async function requestForm(req: FastifyRequest, reply: FastifyReply, v: Values, p: Problems | null, matches: ResidentMatch[], searched: boolean, status = 200) {
    const ctx = await pageContext(app, req);
    return reply.view(
      'intake/service-request-new.njk',
      {
        ...ctx,
        title: 'Log a service request',
        values: v,
        errors: p?.toErrors() ?? null,
        matches,
        searched,
        channelItems: channelItems(),
        serviceAreaItems: options(ctx.settings.serviceAreas, 'Select a service area'),
        categoryItems: options(ctx.settings.categories, 'Not known yet'),
      },
      status,
    );
  }

  app.get('/service-requests/new', { config: { access: 'service-requests:write' }, schema: { hide: true } }, async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const v: Values = {};
    const matches = await preselectedResident(app, req.actor!, q, v);
    return requestForm(req, reply, v, null, matches, false);
  });

  app.post('/service-requests/new', { config: { access: 'service-requests:write' }, schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor!;
    const v = formValues(req);
    const mode = str(v, 'residentMode');
    const found = await findResidentStep(app, actor, v);
    if (found) return requestForm(req, reply, v, found.problems, found.matches, !found.problems, found.problems ? 400 : 200);
    const p = new Problems();
    const matches = mode === 'existing' ? await chooserMatches(app, actor, v) : [];
    const who = readResidentChoice(v, p, { allowAnonymous: false, matches: matches.length });
    const channel = str(v, 'channel');
    if (!(CHANNELS as readonly string[]).includes(channel)) p.add('channel', 'Select how the request was made');
    const settings = await app.services.settings.get();
    const serviceArea = str(v, 'serviceArea');
    if (!serviceArea) p.add('serviceArea', 'Select the service area');
    else if (!settings.serviceAreas.includes(serviceArea)) p.add('serviceArea', 'Select one of the service areas in the list');
    const category = str(v, 'category') || null;
    if (category && !settings.categories.includes(category)) p.add('category', 'Select one of the categories in the list');
    const description = readText(v, p, 'description', { name: 'description', required: 'Enter what the resident is asking for', max: 10_000 });
    if (p.any || !who || who.mode === 'anonymous' || !description) return requestForm(req, reply, v, p, matches, !!str(v, 'residentQuery'), 400);

    let residentId: string;
    if (who.mode === 'existing') residentId = who.residentId;
    else {
      const row = await app.db.transaction().execute((trx) => complaints.residents.createIn(trx, actor, who.resident));
      residentId = row.id;
      // From here the resident exists: if the request fails, the form offers them as chosen, not new again.
      v.residentMode = 'existing';
      v.residentId = row.id;
    }
    try {
      const created = await serviceRequests.create(actor, { residentId, channel, serviceArea, category, description });
      return reply.redirect(`/service-requests/${created.body.id}?done=logged`, 303);
    } catch (err) {
      if (!serviceProblem(err, p, { serviceArea: ['serviceArea'], residentId: ['residentMode'], receivedAt: ['description'] }, ['description'])) throw err;
      return requestForm(req, reply, v, p, await chooserMatches(app, actor, v), false, 400);
    }
  });

  async function requestPage(req: FastifyRequest, reply: FastifyReply, id: string, o: { p?: Problems | null; values?: Values; status?: number } = {}) {
    const actor = req.actor!;
    let sr;
    try {
      sr = await serviceRequests.get(actor, id);
    } catch (err) {
      if (err instanceof NotFound) return notFoundPage(app, req, reply, 'The service request');
      throw err;
    }
    const resident = sr.residentId && actorCan(actor, 'residents:read') ? await complaints.residents.get(actor, sr.residentId).catch(() => null) : null;
    const q = (req.query ?? {}) as Record<string, unknown>;
    const done = typeof q.done === 'string' ? q.done : null;
    const loggedComplaint = typeof q.complaint === 'string' && /^CMP-\d{1,12}$/.test(q.complaint) ? q.complaint : null;
    const values: Values = { reviewAction: '', ...dateValues('reviewed', today()), ...(o.values ?? {}) };
    return reply.view(
      'intake/service-request.njk',
      await pageContext(app, req, {
        title: `Service request ${sr.reference}`,
        sr,
        resident: resident ? { id: resident.id, reference: resident.reference, name: [resident.title, resident.given_name, resident.family_name].filter(Boolean).join(' ') } : null,
        channelLabel: CHANNEL_LABELS[sr.channel as Channel] ?? sr.channel,
        channelItems: channelItems(),
        values,
        errors: o.p?.toErrors() ?? null,
        done,
        loggedComplaint,
        canRaise: actorCan(actor, 'complaints:log') && !!sr.residentId,
        canUpdate: actorCan(actor, 'service-requests:write') && sr.status === 'open',
        canReadComplaints: actorCan(actor, 'complaints:read'),
      }),
      o.status ?? 200,
    );
  }

  app.get('/service-requests/:id', { config: { access: 'service-requests:read' }, schema: { hide: true } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!isUuid(id)) return notFoundPage(app, req, reply, 'The service request');
    return requestPage(req, reply, id);
  });

  app.post('/service-requests/:id/complaint', { config: { access: 'complaints:log' }, schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor!;
    const { id } = req.params as { id: string };
    if (!isUuid(id)) return notFoundPage(app, req, reply, 'The service request');
    const v = formValues(req);
    const p = new Problems();
    const description = readText(v, p, 'complaintDescription', { name: 'what the resident is unhappy about', required: 'Enter what the resident is unhappy about', max: 10_000 });
    const channel = str(v, 'complaintChannel');
    if (!(CHANNELS as readonly string[]).includes(channel)) p.add('complaintChannel', 'Select how the complaint was made');
    if (p.any || !description) return requestPage(req, reply, id, { p, values: v, status: 400 });
    try {
      const created = await serviceRequests.raiseComplaint(actor, id, { description, channel });
      const c = created.body;
      if (actorCan(actor, 'complaints:read')) return reply.redirect(`/complaints/${c.id}?done=logged`, 303);
      return reply.redirect(`/service-requests/${id}?done=complaint&complaint=${encodeURIComponent(c.reference)}`, 303);
    } catch (err) {
      if (err instanceof NotFound) return notFoundPage(app, req, reply, 'The service request');
      if (!serviceProblem(err, p, { description: ['complaintDescription'], channel: ['complaintChannel'] }, ['complaintDescription'])) throw err;
      return requestPage(req, reply, id, { p, values: v, status: 400 });
    }
  });

  app.post('/service-requests/:id/review', { config: { access: 'service-requests:write' }, schema: { hide: true } }, async (req, reply) => {
    const actor = req.actor!;
    const { id } = req.params as { id: string };
    if (!isUuid(id)) return notFoundPage(app, req, reply, 'The service request');
    const v = formValues(req);
    const p = new Problems();
    const version = Number(str(v, 'version'));
    const action = str(v, 'reviewAction');
    let reviewedOn: LocalDate | null | undefined = null;
    if (action !== 'review' && action !== 'close') p.add('reviewAction', 'Select whether to record a review or close the request');
    if (action === 'review') {
      reviewedOn = readDate(v, p, 'reviewed', { label: 'date reviewed', required: 'Enter the date of the review', real: 'Enter a real date of the review' });
      if (reviewedOn && reviewedOn > today()) p.add('reviewed', 'The date of the review cannot be in the future', '#reviewed-day');
    }
    if (!Number.isInteger(version) || version < 1) p.add('reviewAction', 'The form was missing its version: reload the page and try again');
    if (p.any) return requestPage(req, reply, id, { p, values: v, status: 400 });
    try {
      await serviceRequests.update(actor, id, version, action === 'close' ? { close: true } : { reviewedOn });
      return reply.redirect(`/service-requests/${id}?done=${action === 'close' ? 'closed' : 'reviewed'}`, 303);
    } catch (err) {
      if (err instanceof NotFound) return notFoundPage(app, req, reply, 'The service request');
      if (err instanceof VersionConflict) {
        p.add('reviewAction', 'Someone else changed this service request after you opened it. Check its details below, then record your review or close it again');
        return requestPage(req, reply, id, { p, values: v, status: 409 });
      }
      if (!serviceProblem(err, p, { reviewedOn: ['reviewed', '#reviewed-day'] }, ['reviewAction'])) throw err;
      return requestPage(req, reply, id, { p, values: v, status: 400 });
    }
  });
};

export default intake;
