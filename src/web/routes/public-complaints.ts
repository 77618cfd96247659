/**
 * Pages for residents and their representatives, with no account (Code 3.1–3.7, 5.1–5.2, 6.11–6.12):
 * a start page; make a complaint, one question a page, check your answers and a confirmation
 * with the acknowledgement date; follow a complaint (a one-time emailed link, or the reference,
 * surname and postcode); add information or files; escalate to stage 2 in one step.
 *
 * In-progress answers are held server-side in a short-lived draft whose opaque id is in a
 * cookie, never in the address. Every form carries the draft's or follow session's own token
 * (`_pt`) as well as the staff session's `_csrf` when someone is signed in.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { formatLongDate, londonDateOf } from '../../core/dates.js';
import { RuleViolation } from '../../core/lifecycle.js';
import { InvalidInput } from '../../services/errors.js';
import { HELP_OPTIONS, MAX_ATTACHMENT_BYTES, MAX_DRAFT_FILES, ONLINE_ACTOR, PublicIntakeService, RateLimited, type DraftAnswers, type HelpOption, type LimitName } from '../../services/public-intake.js';
import { LETTER_TITLES } from '../../core/letters.js';
import { pageContext } from './common.js';
import { dateValues, formValues, Problems, readDate, readText, str, type Values } from './intake.js';

export const DRAFT_COOKIE = 'putright_draft';
export const FOLLOW_COOKIE = 'putright_follow';

const QUESTIONS = ['who', 'representative', 'name', 'address', 'contact', 'what-happened', 'when', 'put-right', 'help'] as const;
type Question = (typeof QUESTIONS)[number];
const isQuestion = (q: string): q is Question => (QUESTIONS as readonly string[]).includes(q);

const POSTCODE = /^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9()\s-]{7,20}$/;
const REFERENCE = /^CMP-?\d{1,12}$/i;

const CONTACT_LABELS: Record<string, string> = { email: 'Email', phone: 'Phone call', letter: 'Letter', text: 'Text message' };
const FILE_HINT = `Photos (JPG, PNG, GIF, HEIC), PDFs, Word documents (.docx) or text files, each smaller than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB. Up to ${MAX_DRAFT_FILES} files.`;

/** The pages in order for these answers. */
function flow(a: DraftAnswers): string[] {
  return ['who', ...(a.who === 'representative' ? ['representative'] : []), 'name', 'address', 'contact', 'what-happened', 'when', 'put-right', 'help', 'files', 'check'];
}
function nextAfter(page: string, a: DraftAnswers): string {
  const f = flow(a);
  return f[f.indexOf(page) + 1] ?? 'check';
}
function previousOf(page: string, a: DraftAnswers): string | null {
  const f = flow(a);
  const i = f.indexOf(page);
  return i > 0 ? `/complain/new/${f[i - 1]}` : '/complain';
}

function tokensMatch(sent: unknown, expected: string): boolean {
  return typeof sent === 'string' && sent.length === expected.length && crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(expected));
}

/** Read one question's answers from its form. */
function readQuestion(q: Question, v: Values, p: Problems, rep: boolean, today: string): Partial<DraftAnswers> {
  const you = rep ? 'the resident’s' : 'your';
  switch (q) {
    case 'who': {
      const who = str(v, 'who');
      if (who !== 'resident' && who !== 'representative') p.add('who', 'Select whether you are the resident or complaining for someone else');
      return { who: who as DraftAnswers['who'] };
    }
    case 'representative': {
      const repName = readText(v, p, 'repName', { name: 'your name', required: 'Enter your full name', max: 200 }) ?? undefined;
      const repRelationship = readText(v, p, 'repRelationship', { name: 'how you know the resident', required: 'Enter how you know the resident, for example daughter, friend, advocate or MP', max: 100 }) ?? undefined;
      const repConsent = readText(v, p, 'repConsent', { name: 'how the resident gave permission', required: 'Enter how the resident gave you permission to complain for them', max: 2000 }) ?? undefined;
      return { repName, repRelationship, repConsent };
    }
    case 'name': {
      const givenName = readText(v, p, 'givenName', { name: 'first name', max: 100 }) ?? '';
      const familyName = readText(v, p, 'familyName', { name: 'last name', required: `Enter ${you} last name`, max: 100 }) ?? undefined;
      return { givenName, familyName };
    }
    case 'address': {
      const addressLine1 = readText(v, p, 'addressLine1', { name: 'address line 1', required: 'Enter the first line of the address, like the house number and street', max: 200 }) ?? undefined;
      const addressLine2 = readText(v, p, 'addressLine2', { name: 'address line 2', max: 200 }) ?? '';
      const town = readText(v, p, 'town', { name: 'town or city', max: 100 }) ?? '';
      let postcode: string | undefined = str(v, 'postcode') || undefined;
      if (!postcode) p.add('postcode', 'Enter the postcode');
      else {
        const m = POSTCODE.exec(postcode.replace(/\s+/g, ' '));
        if (!m) p.add('postcode', 'Enter a real postcode, like AB1 2CD');
        else postcode = `${m[1]} ${m[2]}`.toUpperCase();
      }
      return { addressLine1, addressLine2, town, postcode };
    }
    case 'contact': {
      const email = str(v, 'email');
      if (email && (email.length > 320 || !EMAIL.test(email))) p.add('email', 'Enter an email address in the correct format, like name@example.com');
      const phone = str(v, 'phone');
      if (phone && !PHONE.test(phone)) p.add('phone', 'Enter a phone number, like 01632 960 001 or 07700 900 982');
      const preferredContact = str(v, 'preferredContact');
      if (!['email', 'phone', 'letter', 'text'].includes(preferredContact)) p.add('preferredContact', 'Select how you would like us to contact you');
      if (preferredContact === 'email' && !email) p.add('email', 'Enter your email address, or choose another way for us to contact you');
      if ((preferredContact === 'phone' || preferredContact === 'text') && !phone) p.add('phone', 'Enter your phone number, or choose another way for us to contact you');
      return { email, phone, preferredContact: preferredContact as DraftAnswers['preferredContact'] };
    }
    case 'what-happened':
      return { description: readText(v, p, 'description', { name: 'what happened', required: 'Enter what happened', max: 10_000 }) ?? undefined };
    case 'when': {
      const d = readDate(v, p, 'issueArose', { label: 'date it happened', real: 'Enter a real date, like 27 3 2025' });
      if (d && d > today) p.add('issueArose', 'The date it happened must be today or in the past', '#issueArose-day');
      return { issueArose: d ?? null, issueAroseAnswered: true };
    }
    case 'put-right':
      return { outcomeSought: readText(v, p, 'outcomeSought', { name: 'what would put things right', max: 5_000 }) ?? '' };
    case 'help': {
      const raw = [v.help ?? ''].flat();
      const chosen = Object.keys(HELP_OPTIONS).filter((k) => raw.includes(k)) as HelpOption[];
      const none = raw.includes('none');
      if (!none && chosen.length === 0) p.add('help', 'Select the help you need, or select that you do not need any');
      if (none && chosen.length) p.add('help', 'Select the help you need, or that you do not need any, not both');
      const helpLanguage = chosen.includes('language') ? readText(v, p, 'helpLanguage', { name: 'language', required: 'Enter the language you need', max: 50 }) ?? '' : '';
      const helpOther = chosen.includes('other') ? readText(v, p, 'helpOther', { name: 'the help you need', required: 'Describe the help you need', max: 500 }) ?? '' : '';
      return { help: none ? [] : chosen, helpLanguage, helpOther, helpAnswered: true };
    }
  }
}

/** Form values for a question from saved answers. */
function valuesFor(a: DraftAnswers): Record<string, unknown> {
  return { ...a, ...dateValues('issueArose', a.issueArose ?? null), help: a.helpAnswered ? ((a.help ?? []).length ? a.help : ['none']) : [] };
}

/** The form's values with repeated fields (checkboxes) kept as lists. */
function rawValues(req: FastifyRequest): Values & { help?: any } {
  const v = formValues(req) as Values & { help?: any };
  const b = (req.body ?? {}) as Record<string, unknown>;
  if (b.help !== undefined) v.help = [b.help].flat().filter((x) => typeof x === 'string');
  return v;
}

const publicComplaints: FastifyPluginAsync<{ secureCookies: boolean; publicUrl?: string | null }> = async (app, opts) => {
  const svc = app.services.publicIntake;
  // A file over the limit is cut short and flagged (not an error), so the page can say why it was refused.
  await app.register(multipart, { throwFileSizeLimit: false, limits: { fileSize: MAX_ATTACHMENT_BYTES + 1, files: 1, fields: 10, fieldSize: 20_000 } });
  const secure = opts.secureCookies;
  const cfg = { config: { access: 'public' as const, csrfInHandler: true } };

  const setCookie = (reply: FastifyReply, name: string, value: string, path: string, maxAgeS: number) =>
    reply.setCookie(name, value, { path, httpOnly: true, sameSite: 'lax', secure, maxAge: maxAgeS });

  async function view(req: FastifyRequest, reply: FastifyReply, template: string, ctx: Record<string, unknown>, status = 200) {
    return reply.view(template, await pageContext(app, req, ctx), status);
  }

  function clientAddress(req: FastifyRequest) {
    return req.ip || 'unknown';
  }

  /** Count a hit; answer 429 with a clear page when over the limit. Returns true when refused. */
  async function limited(req: FastifyRequest, reply: FastifyReply, checks: [LimitName, string][]): Promise<boolean> {
    try {
      for (const [name, value] of checks) await svc.hit(name, value);
      return false;
    } catch (err) {
      if (!(err instanceof RateLimited)) throw err;
      const minutes = Math.max(1, Math.ceil(err.retryAfterSeconds / 60));
      reply.header('retry-after', String(err.retryAfterSeconds));
      await view(req, reply, 'public/problem.njk', { title: 'Too many attempts', heading: 'You have tried too many times', message: `For your security, wait ${minutes} ${minutes === 1 ? 'minute' : 'minutes'} and try again.`, showContact: true }, 429);
      return true;
    }
  }

  function honeypotFilled(v: Record<string, unknown>): boolean {
    return typeof v.website === 'string' && v.website.trim() !== '';
  }

  async function refusedAsBot(req: FastifyRequest, reply: FastifyReply) {
    return view(req, reply, 'public/problem.njk', { title: 'Your form could not be sent', heading: 'Your form could not be sent', message: 'Something about the form looked automated, so it was not sent. Nothing has been saved. Go back and try again, or contact us another way.', showContact: true }, 400);
  }

  // ---------------------------------------------------------------- start page and policy links

  app.get('/complain', { ...cfg, schema: { hide: true } }, async (req, reply) => view(req, reply, 'public/start.njk', { title: 'Complaints' }));

  // ---------------------------------------------------------------- make a complaint

  async function currentDraft(req: FastifyRequest) {
    const d = await svc.draft(req.cookies?.[DRAFT_COOKIE]);
    return d && !d.complaintId ? d : null;
  }

  async function questionPage(req: FastifyRequest, reply: FastifyReply, q: Question, answers: DraftAnswers, token: string | null, values: Record<string, unknown>, problems: Problems | null, change: boolean) {
    const settings = await app.services.settings.get();
    return view(
      req,
      reply,
      `public/q-${q}.njk`,
      {
        title: QUESTION_TITLES[q](answers.who === 'representative'),
        heading: QUESTION_TITLES[q](answers.who === 'representative'),
        rep: answers.who === 'representative',
        values,
        errors: problems?.toErrors() ?? null,
        publicToken: token,
        change,
        action: `/complain/new/${q}`,
        backLink: change ? '/complain/new/check' : previousOf(q, answers),
        helpOptions: HELP_OPTIONS,
        landlordPhone: settings.landlord.complaintsPhone,
      },
      problems?.any ? 400 : 200,
    );
  }

  app.get('/complain/new', { ...cfg, schema: { hide: true } }, async (_req, reply) => reply.redirect('/complain/new/who', 303));

  app.get('/complain/new/:question', { ...cfg, schema: { hide: true, params: z.object({ question: z.string().max(40) }), querystring: z.object({ change: z.string().max(5).optional() }).passthrough() } }, async (req, reply) => {
    const { question } = req.params as { question: string };
    if (question === 'files') return filesPage(req, reply, null);
    if (question === 'check') return checkPage(req, reply, null);
    if (question === 'confirmation') return confirmationPage(req, reply);
    if (!isQuestion(question)) return view(req, reply, 'public/problem.njk', { title: 'Page not found', heading: 'Page not found', message: 'There is no such page.' }, 404);
    const d = await currentDraft(req);
    if (!d && question !== 'who') return reply.redirect('/complain/new/who', 303);
    const a = d?.answers ?? {};
    if (question === 'representative' && a.who !== 'representative') return reply.redirect('/complain/new/name', 303);
    return questionPage(req, reply, question, a, d?.csrf ?? null, valuesFor(a), null, (req.query as any).change === '1');
  });

  app.post('/complain/new/:question', { ...cfg, schema: { hide: true, params: z.object({ question: z.string().max(40) }) } }, async (req, reply) => {
    const { question } = req.params as { question: string };
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)]])) return;
    if (question === 'check') return submit(req, reply);
    if (question === 'files') return filesPost(req, reply);
    if (question === 'files-remove') return filesRemove(req, reply);
    if (!isQuestion(question)) return view(req, reply, 'public/problem.njk', { title: 'Page not found', heading: 'Page not found', message: 'There is no such page.' }, 404);
    const v = rawValues(req);
    if (honeypotFilled(v)) return refusedAsBot(req, reply);
    let d = await currentDraft(req);
    if (d && !tokensMatch(v._pt, d.csrf)) return expired(req, reply);
    if (!d && question !== 'who') return reply.redirect('/complain/new/who', 303);
    const a: DraftAnswers = d?.answers ?? {};
    const p = new Problems();
    const patch = readQuestion(question, v, p, (question === 'who' ? v.who : a.who) === 'representative', londonDateOf(app.services.complaints.now()));
    const change = v.change === '1';
    if (p.any) return questionPage(req, reply, question, a, d?.csrf ?? null, v, p, change);
    if (!d) {
      if (await limited(req, reply, [['draftsPerAddress', clientAddress(req)]])) return;
      const created = await svc.createDraft();
      setCookie(reply, DRAFT_COOKIE, created.id, '/complain', 24 * 3600);
      d = (await svc.draft(created.id))!;
    }
    await svc.saveAnswers(d.hash, patch);
    const after = { ...a, ...patch };
    const target = change ? (PublicIntakeService.missing(after) ?? 'check') : nextAfter(question, after);
    return reply.redirect(`/complain/new/${target}`, 303);
  });

  async function expired(req: FastifyRequest, reply: FastifyReply) {
    return view(req, reply, 'public/problem.njk', { title: 'This form has expired', heading: 'This form has expired', message: 'For your security the form could not be sent. Go back, reload the page and try again.', startAgain: true }, 403);
  }

  async function filesPage(req: FastifyRequest, reply: FastifyReply, problems: Problems | null) {
    const d = await currentDraft(req);
    if (!d) return reply.redirect('/complain/new/who', 303);
    return view(
      req,
      reply,
      'public/q-files.njk',
      { title: 'Add photos or documents (optional)', files: d.files, publicToken: d.csrf, errors: problems?.toErrors() ?? null, fileHint: FILE_HINT, maxFiles: MAX_DRAFT_FILES, backLink: previousOf('files', d.answers) },
      problems?.any ? 400 : 200,
    );
  }

  /** Read a multipart form: its fields and at most one file. A file over the limit is flagged, not kept. */
  async function readMultipart(req: FastifyRequest) {
    const fields: Record<string, string> = {};
    let file: { filename: string; data: Buffer; tooLarge: boolean } | null = null;
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        let data: Buffer | null = null;
        try {
          data = await part.toBuffer();
        } catch {
          data = null; // over the size limit: the rest of the stream is drained and thrown away
        }
        if (part.filename) file = { filename: part.filename, data: data ?? Buffer.alloc(0), tooLarge: data === null || part.file.truncated || (data?.length ?? 0) > MAX_ATTACHMENT_BYTES };
      } else fields[part.fieldname] = String(part.value);
    }
    return { fields, file };
  }

  async function filesPost(req: FastifyRequest, reply: FastifyReply) {
    const d = await currentDraft(req);
    if (!d) return reply.redirect('/complain/new/who', 303);
    if (!req.isMultipart()) {
      const v = formValues(req);
      if (!tokensMatch(v._pt, d.csrf)) return expired(req, reply);
      return reply.redirect('/complain/new/check', 303);
    }
    const { fields, file } = await readMultipart(req);
    if (!tokensMatch(fields._pt, d.csrf)) return expired(req, reply);
    if (honeypotFilled(fields)) return refusedAsBot(req, reply);
    const p = new Problems();
    if (fields.action === 'continue' && !file) return reply.redirect('/complain/new/check', 303);
    if (!file) p.add('file', 'Choose a file to add, or continue without one');
    else if (file.tooLarge) p.add('file', `The file must be smaller than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB. It has not been added.`);
    else {
      try {
        await svc.addDraftFile(d.hash, file);
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err;
        p.add('file', `${err.message.replace(/\.$/, '')}. It has not been added.`);
      }
    }
    if (p.any) return filesPage(req, reply, p);
    return reply.redirect(fields.action === 'continue' ? '/complain/new/check' : '/complain/new/files', 303);
  }

  async function filesRemove(req: FastifyRequest, reply: FastifyReply) {
    const d = await currentDraft(req);
    if (!d) return reply.redirect('/complain/new/who', 303);
    const v = formValues(req);
    if (!tokensMatch(v._pt, d.csrf)) return expired(req, reply);
    if (/^[0-9a-f-]{36}$/i.test(v.fileId ?? '')) await svc.removeDraftFile(d.hash, v.fileId);
    return reply.redirect('/complain/new/files', 303);
  }

  async function checkPage(req: FastifyRequest, reply: FastifyReply, problems: Problems | null) {
    const d = await currentDraft(req);
    if (!d) return reply.redirect('/complain/new/who', 303);
    const gap = PublicIntakeService.missing(d.answers);
    if (gap) return reply.redirect(`/complain/new/${gap}`, 303);
    const a = d.answers;
    return view(
      req,
      reply,
      'public/check.njk',
      {
        title: 'Check your answers before sending your complaint',
        a,
        rep: a.who === 'representative',
        files: d.files,
        publicToken: d.csrf,
        errors: problems?.toErrors() ?? null,
        help: PublicIntakeService.helpText(a),
        contactLabel: CONTACT_LABELS[a.preferredContact ?? ''] ?? '',
        issueArose: a.issueArose ? formatLongDate(a.issueArose) : 'Not given',
        backLink: '/complain/new/files',
      },
      problems?.any ? 400 : 200,
    );
  }

  async function submit(req: FastifyRequest, reply: FastifyReply) {
    const v = formValues(req);
    if (honeypotFilled(v)) return refusedAsBot(req, reply);
    const d = await currentDraft(req);
    if (!d) return reply.redirect('/complain/new/who', 303);
    if (!tokensMatch(v._pt, d.csrf)) return expired(req, reply);
    if (await limited(req, reply, [['submitPerAddress', clientAddress(req)]])) return;
    try {
      await svc.submit(d.hash);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      const p = new Problems();
      p.add('submit', err.message);
      return checkPage(req, reply, p);
    }
    return reply.redirect('/complain/new/confirmation', 303);
  }

  async function confirmationPage(req: FastifyRequest, reply: FastifyReply) {
    const d = await svc.draft(req.cookies?.[DRAFT_COOKIE]);
    if (!d?.complaintId) return reply.redirect('/complain', 303);
    const row = await app.services.complaints.getRow(d.complaintId);
    const state = await app.services.complaints.loadState(app.db, d.complaintId);
    const emailed = !!(await app.db.selectFrom('public_submissions').select('email').where('complaint_id', '=', d.complaintId).executeTakeFirst())?.email;
    return view(req, reply, 'public/confirmation.njk', {
      title: 'Complaint sent',
      reference: row.reference,
      acknowledgementDue: formatLongDate(state.stages[1].acknowledgementDue),
      responseDue: formatLongDate(state.stages[1].responseDue),
      emailed,
    });
  }

  // ---------------------------------------------------------------- follow a complaint

  async function followStart(req: FastifyRequest, reply: FastifyReply, values: Record<string, unknown> = {}, problems: Problems | null = null, status = 200) {
    return view(req, reply, 'public/follow-start.njk', { title: 'Follow your complaint', values, errors: problems?.toErrors() ?? null, backLink: '/complain' }, problems?.any ? status : 200);
  }

  app.get('/complain/follow', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    if (await svc.session(req.cookies?.[FOLLOW_COOKIE])) return reply.redirect('/complain/follow/case', 303);
    return followStart(req, reply);
  });

  app.post('/complain/follow/email', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    const v = formValues(req);
    if (honeypotFilled(v)) return refusedAsBot(req, reply);
    const ref = str(v, 'reference').toUpperCase().replace(/\s+/g, '');
    const p = new Problems();
    if (!ref) p.add('reference', 'Enter your complaint reference, like CMP-000123');
    else if (!REFERENCE.test(ref)) p.add('reference', 'Enter the reference as it is written on our letters or emails, like CMP-000123');
    if (p.any) return followStart(req, reply, v, p, 400);
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)], ['linksPerAddress', clientAddress(req)]])) return;
    const normal = ref.startsWith('CMP-') ? ref : `CMP-${ref.slice(3)}`;
    // Links use the configured public address, so a forged Host header cannot redirect them.
    await svc.requestLink(normal, opts.publicUrl ?? `${req.protocol}://${req.host}`);
    return reply.redirect('/complain/follow/check-your-email', 303);
  });

  app.get('/complain/follow/check-your-email', { ...cfg, schema: { hide: true } }, async (req, reply) => view(req, reply, 'public/follow-emailed.njk', { title: 'Check your email', backLink: '/complain/follow' }));

  app.post('/complain/follow/details', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    const v = formValues(req);
    if (honeypotFilled(v)) return refusedAsBot(req, reply);
    const p = new Problems();
    const ref = str(v, 'detailsReference').toUpperCase().replace(/\s+/g, '');
    if (!ref) p.add('detailsReference', 'Enter your complaint reference, like CMP-000123');
    if (!str(v, 'surname')) p.add('surname', 'Enter the resident’s last name');
    if (!str(v, 'postcode')) p.add('postcode', 'Enter the postcode of the home');
    if (p.any) return followStart(req, reply, v, p, 400);
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)], ['lookupsPerAddress', clientAddress(req)], ['lookupsPerReference', ref]])) return;
    const normal = REFERENCE.test(ref) ? (ref.startsWith('CMP-') ? ref : `CMP-${ref.slice(3)}`) : '';
    const found = normal ? await svc.lookup(normal, str(v, 'surname'), str(v, 'postcode')) : null;
    if (!found) {
      // The same answer whichever detail was wrong, and whether or not the reference exists.
      p.add('detailsReference', 'We could not find a complaint with those details. Check them and try again, or ask for a link by email.');
      return followStart(req, reply, v, p, 400);
    }
    setCookie(reply, FOLLOW_COOKIE, found.sessionId, '/complain/follow', 3600);
    return reply.redirect('/complain/follow/case', 303);
  });

  const linkQuery = z.object({ t: z.string().max(100).optional() }).passthrough();

  // The link opens a page with a button: mail scanners that fetch links do not use up the link.
  app.get('/complain/follow/link', { ...cfg, schema: { hide: true, querystring: linkQuery } }, async (req, reply) =>
    view(req, reply, 'public/follow-link.njk', { title: 'Open your complaint', token: (req.query as any).t ?? '' }),
  );

  app.post('/complain/follow/link', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)]])) return;
    const v = formValues(req);
    const found = await svc.redeemLink(str(v, 't'));
    if (!found) {
      return view(req, reply, 'public/problem.njk', { title: 'This link cannot be used', heading: 'This link cannot be used', message: 'Links work once, for 30 minutes. Ask for a new link, or use your reference, last name and postcode.', followAgain: true }, 400);
    }
    setCookie(reply, FOLLOW_COOKIE, found.sessionId, '/complain/follow', 3600);
    return reply.redirect('/complain/follow/case', 303);
  });

  async function followSession(req: FastifyRequest) {
    return svc.session(req.cookies?.[FOLLOW_COOKIE]);
  }

  async function casePage(req: FastifyRequest, reply: FastifyReply, complaintId: string, token: string, extra: Record<string, unknown> = {}, status = 200) {
    const f = await svc.followView(complaintId);
    const settings = await app.services.settings.get();
    return view(
      req,
      reply,
      'public/follow-case.njk',
      {
        title: `Your complaint ${f.complaint.reference}`,
        ...f,
        c: f.complaint,
        publicToken: token,
        letterTitles: LETTER_TITLES,
        fileHint: `${FILE_HINT.replace(/ Up to \d+ files\./, '')}`,
        ombudsman: settings.ombudsman,
        values: {},
        ...extra,
      },
      status,
    );
  }

  app.get('/complain/follow/case', { ...cfg, schema: { hide: true, querystring: z.object({ done: z.string().max(20).optional() }).passthrough() } }, async (req, reply) => {
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    const done = (req.query as any).done;
    return casePage(req, reply, s.complaintId, s.csrf, { done: done === 'added' ? 'Thank you. We have added what you sent to your complaint.' : null });
  });

  app.post('/complain/follow/add', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)]])) return;
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    if (!req.isMultipart()) return expired(req, reply);
    const { fields, file } = await readMultipart(req);
    if (!tokensMatch(fields._pt, s.csrf)) return expired(req, reply);
    if (honeypotFilled(fields)) return refusedAsBot(req, reply);
    const text = (fields.information ?? '').trim();
    const p = new Problems();
    if (text.length > 10_000) p.add('information', 'The information must be 10,000 characters or fewer');
    if (file?.tooLarge) p.add('file', `The file must be smaller than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB. Nothing has been sent.`);
    if (!p.any && !text && !file) p.add('information', 'Enter the information, or choose a file to send');
    if (!p.any) {
      if (await limited(req, reply, [['additionsPerComplaint', s.complaintId]])) return;
      try {
        await svc.addInformation(s.complaintId, { text: text || null, file: file ? { filename: file.filename, data: file.data } : null });
      } catch (err) {
        if (!(err instanceof InvalidInput)) throw err;
        p.add(err.field === 'information' ? 'information' : 'file', `${err.message.replace(/\.$/, '')}. Nothing has been sent.`);
      }
    }
    if (p.any) return casePage(req, reply, s.complaintId, s.csrf, { errors: p.toErrors(), values: { information: text } }, 400);
    return reply.redirect('/complain/follow/case?done=added', 303);
  });

  app.get('/complain/follow/letters/:letterId', { ...cfg, schema: { hide: true, params: z.object({ letterId: z.string().regex(/^[0-9a-f-]{36}$/i) }) } }, async (req, reply) => {
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    const { letterId } = req.params as { letterId: string };
    // The letter must be on this session's complaint: document() looks it up by both ids.
    const doc = await app.services.letters.document(ONLINE_ACTOR, s.complaintId, letterId, 'pdf');
    return reply.header('content-type', doc.contentType).header('content-disposition', `attachment; filename="${doc.filename.replace(/[^\w.\- ]/g, '_')}"`).send(doc.data);
  });

  app.get('/complain/follow/escalate', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    const f = await svc.followView(s.complaintId);
    if (!f.mayEscalate) return reply.redirect('/complain/follow/case', 303);
    return view(req, reply, 'public/follow-escalate.njk', { title: 'Ask for stage 2', c: f.complaint, publicToken: s.csrf, values: {}, backLink: '/complain/follow/case' });
  });

  app.post('/complain/follow/escalate', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    if (await limited(req, reply, [['postsPerAddress', clientAddress(req)]])) return;
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    const v = formValues(req);
    if (!tokensMatch(v._pt, s.csrf)) return expired(req, reply);
    const reason = str(v, 'reason');
    if (reason.length > 5000) {
      const f = await svc.followView(s.complaintId);
      const p = new Problems();
      p.add('reason', 'Why you are still unhappy must be 5,000 characters or fewer');
      return view(req, reply, 'public/follow-escalate.njk', { title: 'Ask for stage 2', c: f.complaint, publicToken: s.csrf, values: v, errors: p.toErrors(), backLink: '/complain/follow/case' }, 400);
    }
    try {
      await svc.escalate(s.complaintId, reason || null);
    } catch (err) {
      if (!(err instanceof RuleViolation)) throw err;
      // Already escalated (a second click), or not yet answered at stage 1: show where it is.
    }
    return reply.redirect('/complain/follow/escalated', 303);
  });

  app.get('/complain/follow/escalated', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    const s = await followSession(req);
    if (!s) return reply.redirect('/complain/follow', 303);
    const f = await svc.followView(s.complaintId);
    if (f.complaint.stage !== 2) return reply.redirect('/complain/follow/case', 303);
    return view(req, reply, 'public/follow-escalated.njk', { title: 'Stage 2 requested', c: f.complaint, acknowledgementDue: formatLongDate(f.complaint.stages[1].acknowledgementDue) });
  });

  app.post('/complain/follow/sign-out', { ...cfg, schema: { hide: true } }, async (req, reply) => {
    await svc.endSession(req.cookies?.[FOLLOW_COOKIE]);
    reply.clearCookie(FOLLOW_COOKIE, { path: '/complain/follow', httpOnly: true, sameSite: 'lax', secure });
    return reply.redirect('/complain', 303);
  });

  // Expired drafts, links and sessions are removed now and then.
  const sweep = setInterval(() => void svc.sweep().catch(() => {}), 15 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
};

const QUESTION_TITLES: Record<Question, (rep: boolean) => string> = {
  who: () => 'Who is making the complaint?',
  representative: () => 'About you',
  name: (rep) => (rep ? 'What is the resident’s name?' : 'What is your name?'),
  address: (rep) => (rep ? 'What is the address of the resident’s home?' : 'What is the address of your home?'),
  contact: () => 'How should we contact you?',
  'what-happened': () => 'What happened?',
  when: () => 'When did it happen?',
  'put-right': () => 'What would put things right?',
  help: () => 'Do you need any help or changes to how we contact you?',
};

export type PublicApp = FastifyInstance;
export default publicComplaints;
