/**
 * Settings pages for administrators: the landlord's details and brand colour, the lists
 * (service areas, categories, exclusion grounds), the working-day calendar, the ombudsmen,
 * performance targets and staff accounts. Every change goes through SettingsService.update or
 * UserService, so it is in the history.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { isValidLocalDate, type LocalDate } from '../../core/dates.js';
import { isRole, ROLE_LABELS, ROLES, type Role } from '../../core/permissions.js';
import { InvalidInput, NotFound } from '../../services/errors.js';
import { recordHistory } from '../../services/history.js';
import type { OidcConfig } from '../../services/oidc.js';
import type { Settings } from '../../services/settings.js';
import type { FormErrors } from '../plugin.js';
import { blankToNull, formBody, pageContext } from './common.js';

// ------------------------------------------------------------------ form helpers

/** Problems found in a form, in the order of its fields, as GOV.UK error summary items. */
export class Problems {
  private readonly list: { field: string; text: string }[] = [];

  add(field: string, text: string): void {
    if (!this.list.some((p) => p.field === field)) this.list.push({ field, text });
  }

  get any(): boolean {
    return this.list.length > 0;
  }

  toErrors(): FormErrors {
    return {
      errorList: this.list.map((p) => ({ text: p.text, href: `#${p.field}` })),
      fields: Object.fromEntries(this.list.map((p) => [p.field, { text: p.text }])),
    };
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** The non-blank lines of a textarea, trimmed. */
export function lines(v: unknown): string[] {
  return (typeof v === 'string' ? v : '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** WCAG contrast ratio of a #rrggbb colour against white. */
export function contrastWithWhite(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5);
  return 1.05 / (l + 0.05);
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH_NAMES = MONTHS.map((m) => m.charAt(0).toUpperCase() + m.slice(1));

/** '2025-12-25', '25 December 2025' (or 'Dec', '25th') or '25/12/2025'; null when not a real date. */
export function parseDate(text: string): LocalDate | null {
  const t = text.trim().replace(/\s+/g, ' ');
  let y: number, m: number, d: number;
  let match: RegExpExecArray | null;
  if ((match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t))) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(t))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(?:[a-z]+,? )?(\d{1,2})(?:st|nd|rd|th)? ([a-z]+)\.?,? (\d{4})$/i.exec(t))) {
    const word = match[2].toLowerCase();
    const index = word.length >= 3 ? MONTHS.findIndex((name) => name.startsWith(word === 'sept' ? 'sep' : word)) : -1;
    if (index < 0 || (word.length > 3 && word !== 'sept' && MONTHS[index] !== word)) return null;
    [d, m, y] = [Number(match[1]), index + 1, Number(match[3])];
  } else return null;
  const iso = `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  return isValidLocalDate(iso) ? iso : null;
}

/** '25 December 2025', as written back into the closure days box. */
export function writtenDate(d: LocalDate): string {
  return `${Number(d.slice(8, 10))} ${MONTH_NAMES[Number(d.slice(5, 7)) - 1]} ${Number(d.slice(0, 4))}`;
}

/** A list from a textarea: one item a line, no repeats, each short enough. */
function listField(problems: Problems, field: string, raw: unknown, what: { one: string; many: string; max: number; maxLength: number }): string[] {
  const items = lines(raw);
  const seen = new Set<string>();
  if (items.length === 0) problems.add(field, `Enter at least one ${what.one}`);
  if (items.length > what.max) problems.add(field, `Enter no more than ${what.max} ${what.many}`);
  for (const item of items) {
    if (item.length > what.maxLength) problems.add(field, `Each ${what.one} must be ${what.maxLength} characters or fewer: “${item.slice(0, 40)}…” is too long`);
    const key = item.toLowerCase();
    if (seen.has(key)) problems.add(field, `“${item}” is listed more than once. Remove the repeat`);
    seen.add(key);
  }
  return items;
}

const DIVISIONS = [
  { value: 'england-and-wales', text: 'England and Wales' },
  { value: 'scotland', text: 'Scotland' },
  { value: 'northern-ireland', text: 'Northern Ireland' },
] as const;

const SECTIONS: Record<string, string> = {
  landlord: 'Landlord details saved',
  lists: 'Lists saved',
  ombudsman: 'Ombudsman details saved',
  targets: 'Targets saved',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// ------------------------------------------------------------------ routes

const settingsPages: FastifyPluginAsync<{ secureCookies: boolean; oidc?: OidcConfig | null }> = async (app, opts) => {
  const { settings, users, complaints } = app.services;
  const ssoLabel = opts.oidc?.label ?? null;
  const route = (access: 'settings:manage' | 'users:manage') => ({ config: { access }, schema: { hide: true } });

  const render = async (req: FastifyRequest, reply: FastifyReply, template: string, context: Record<string, unknown>, status = 200) =>
    reply.view(`settings/${template}`, await pageContext(app, req, { backLink: '/settings', errors: null, ...context }), status);

  const notFound = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.view('error.njk', await pageContext(app, req, { title: 'Page not found', message: 'There is no member of staff at this address. Go back to the list of staff and try again.' }), 404);

  // ---------------------------------------------------------------- index

  app.get('/settings', route('settings:manage'), async (req, reply) => {
    const saved = String((req.query as Record<string, unknown>)?.saved ?? '');
    const staff = await users.list();
    return reply.view(
      'settings/index.njk',
      await pageContext(app, req, {
        title: 'Settings',
        saved: SECTIONS[saved] ?? null,
        divisionLabel: Object.fromEntries(DIVISIONS.map((d) => [d.value, d.text])),
        activeStaff: staff.filter((u) => u.active).length,
        inactiveStaff: staff.filter((u) => !u.active).length,
      }),
    );
  });

  // ---------------------------------------------------------------- landlord

  app.get('/settings/landlord', route('settings:manage'), async (req, reply) => {
    const s = await settings.get();
    return render(req, reply, 'landlord.njk', { title: 'Landlord details', values: { ...s.landlord, logoUrl: s.landlord.logoUrl ?? '' } });
  });

  app.post('/settings/landlord', route('settings:manage'), async (req, reply) => {
    const body = formBody(req);
    const values = {
      name: str(body.name),
      primaryColour: str(body.primaryColour).toLowerCase(),
      logoUrl: str(body.logoUrl),
      address: str(body.address),
      complaintsEmail: str(body.complaintsEmail),
      complaintsPhone: str(body.complaintsPhone),
    };
    if (/^[0-9a-f]{6}$/.test(values.primaryColour)) values.primaryColour = `#${values.primaryColour}`;
    const p = new Problems();
    if (!values.name) p.add('name', 'Enter the landlord’s name');
    else if (values.name.length > 200) p.add('name', 'The landlord’s name must be 200 characters or fewer');
    if (!values.primaryColour) p.add('primaryColour', 'Enter the primary colour, like #1d5c4d');
    else if (!/^#[0-9a-f]{6}$/.test(values.primaryColour)) p.add('primaryColour', 'Enter the primary colour as # followed by 6 digits or letters a to f, like #1d5c4d');
    else {
      const ratio = contrastWithWhite(values.primaryColour);
      if (ratio < 4.5) p.add('primaryColour', `The primary colour is too light: white text on it has a contrast ratio of ${ratio.toFixed(1)} to 1 and needs at least 4.5 to 1. Choose a darker colour`);
    }
    if (values.logoUrl) {
      let ok = values.logoUrl.length <= 2000 && values.logoUrl.startsWith('/') && !values.logoUrl.startsWith('//');
      if (!ok && values.logoUrl.length <= 2000) {
        try {
          ok = new URL(values.logoUrl).protocol === 'https:';
        } catch {
          ok = false;
        }
      }
      if (!ok) p.add('logoUrl', 'Enter the logo’s address starting with https:// or /, or leave it blank');
    }
    if (values.address.length > 1000) p.add('address', 'The address must be 1,000 characters or fewer');
    if (!values.complaintsEmail) p.add('complaintsEmail', 'Enter the email address residents use for complaints');
    else if (values.complaintsEmail.length > 320 || !EMAIL.test(values.complaintsEmail)) p.add('complaintsEmail', 'Enter the complaints email address in the correct format, like complaints@example.org.uk');
    if (!values.complaintsPhone) p.add('complaintsPhone', 'Enter the phone number residents use for complaints');
    else if (values.complaintsPhone.length > 50 || !/^[0-9 +()-]+$/.test(values.complaintsPhone)) p.add('complaintsPhone', 'Enter the complaints phone number using digits, spaces and + ( ) - only, like 0300 000 0000');
    if (p.any) return render(req, reply, 'landlord.njk', { title: 'Landlord details', values, errors: p.toErrors() }, 400);
    await settings.update(req.actor!, { landlord: { ...values, logoUrl: values.logoUrl || null } });
    return reply.redirect('/settings?saved=landlord', 303);
  });

  // ---------------------------------------------------------------- lists

  const groundsText = (s: Settings) => s.exclusionGrounds.map((g) => `${g.key} | ${g.label}`).join('\n');

  app.get('/settings/lists', route('settings:manage'), async (req, reply) => {
    const s = await settings.get();
    return render(req, reply, 'lists.njk', {
      title: 'Service areas, categories and exclusion grounds',
      values: { serviceAreas: s.serviceAreas.join('\n'), categories: s.categories.join('\n'), exclusionGrounds: groundsText(s) },
    });
  });

  app.post('/settings/lists', route('settings:manage'), async (req, reply) => {
    const body = formBody(req);
    const values = { serviceAreas: String(body.serviceAreas ?? ''), categories: String(body.categories ?? ''), exclusionGrounds: String(body.exclusionGrounds ?? '') };
    const p = new Problems();
    const serviceAreas = listField(p, 'serviceAreas', values.serviceAreas, { one: 'service area', many: 'service areas', max: 200, maxLength: 100 });
    const categories = listField(p, 'categories', values.categories, { one: 'category', many: 'categories', max: 500, maxLength: 100 });
    const grounds: { key: string; label: string }[] = [];
    const groundLines = lines(values.exclusionGrounds);
    if (groundLines.length === 0) p.add('exclusionGrounds', 'Enter at least one exclusion ground: the Code expects you to say when a complaint will not be accepted');
    if (groundLines.length > 50) p.add('exclusionGrounds', 'Enter no more than 50 exclusion grounds');
    groundLines.forEach((line, i) => {
      const bar = line.indexOf('|');
      const key = bar < 0 ? '' : line.slice(0, bar).trim();
      const label = bar < 0 ? '' : line.slice(bar + 1).trim();
      if (bar < 0 || !key || !label) {
        p.add('exclusionGrounds', `Line ${i + 1} of the exclusion grounds must be a key and a label separated by |, like out_of_time | The issue happened more than 12 months ago`);
      } else if (!/^[a-z0-9_]{1,60}$/.test(key)) {
        p.add('exclusionGrounds', `Line ${i + 1} of the exclusion grounds: the key “${key.slice(0, 60)}” must be lower-case letters, digits and underscores only (up to 60), like out_of_time`);
      } else if (label.length > 500) {
        p.add('exclusionGrounds', `Line ${i + 1} of the exclusion grounds: the label must be 500 characters or fewer`);
      } else if (grounds.some((g) => g.key === key)) {
        p.add('exclusionGrounds', `The key “${key}” is used on more than one line of the exclusion grounds. Each key must be different`);
      } else grounds.push({ key, label });
    });
    if (p.any) return render(req, reply, 'lists.njk', { title: 'Service areas, categories and exclusion grounds', values, errors: p.toErrors() }, 400);
    const current = await settings.get();
    const patch: Partial<Settings> = { serviceAreas, categories, exclusionGrounds: grounds };
    // Service areas that go to the LGSCO must still exist.
    const lgscoAreas = current.lgsco.serviceAreas.filter((a) => serviceAreas.includes(a));
    if (lgscoAreas.length !== current.lgsco.serviceAreas.length) patch.lgsco = { ...current.lgsco, serviceAreas: lgscoAreas };
    await settings.update(req.actor!, patch);
    return reply.redirect('/settings?saved=lists', 303);
  });

  // ---------------------------------------------------------------- calendar

  const calendarValues = (s: Settings) => ({ division: s.calendar.division, closureDays: s.calendar.closureDays.map(writtenDate).join('\n'), cutoffTime: s.calendar.cutoffTime ?? '' });

  app.get('/settings/calendar', route('settings:manage'), async (req, reply) => {
    const s = await settings.get();
    return render(req, reply, 'calendar.njk', { title: 'Working-day calendar', values: calendarValues(s), divisions: DIVISIONS });
  });

  app.post('/settings/calendar', route('settings:manage'), async (req, reply) => {
    const body = formBody(req);
    const values = { division: str(body.division), closureDays: String(body.closureDays ?? ''), cutoffTime: str(body.cutoffTime) };
    const p = new Problems();
    const division = DIVISIONS.find((d) => d.value === values.division)?.value;
    if (!division) p.add('division', 'Select the part of the UK whose bank holidays you follow');
    const days = new Set<LocalDate>();
    const dayLines = lines(values.closureDays);
    if (dayLines.length > 1000) p.add('closureDays', 'Enter no more than 1,000 closure days');
    dayLines.forEach((line, i) => {
      const d = parseDate(line);
      if (!d) p.add('closureDays', `Line ${i + 1} of the closure days, “${line.slice(0, 40)}”, is not a real date. Write one date a line, like 2025-12-24 or 24 December 2025`);
      else days.add(d);
    });
    let cutoff: string | null = null;
    if (values.cutoffTime) {
      const m = /^(\d{1,2})[:.](\d{2})$/.exec(values.cutoffTime);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) p.add('cutoffTime', 'Enter the cut-off as a 24-hour time, like 17:00, or leave it blank');
      else cutoff = `${m[1].padStart(2, '0')}:${m[2]}`;
    }
    if (p.any) return render(req, reply, 'calendar.njk', { title: 'Working-day calendar', values, divisions: DIVISIONS, errors: p.toErrors() }, 400);
    const before = await settings.get();
    const calendar = { division: division!, closureDays: [...days].sort(), cutoffTime: cutoff };
    const changed = JSON.stringify(before.calendar) !== JSON.stringify(calendar);
    let recalculated: string[] = [];
    if (changed) {
      await settings.update(req.actor!, { calendar });
      // Deadlines not yet told to residents follow the calendar; say which changed (as PATCH /api/v1/settings does).
      recalculated = (await complaints.recomputeOpenProjections()).changed;
      await recordHistory(app.db, req.actor!, { entity: 'settings', action: 'projected_deadlines_recalculated', after: { complaints: recalculated } });
    }
    const s = await settings.get();
    return render(req, reply, 'calendar.njk', { title: 'Working-day calendar', values: calendarValues(s), divisions: DIVISIONS, result: { changed, recalculated } });
  });

  // ---------------------------------------------------------------- ombudsman

  const ombudsmanValues = (s: Settings) => ({
    ombudsmanName: s.ombudsman.name,
    ombudsmanPhone: s.ombudsman.phone,
    ombudsmanEmail: s.ombudsman.email,
    ombudsmanWebsite: s.ombudsman.website,
    ombudsmanAddress: s.ombudsman.address,
    lgscoName: s.lgsco.name,
    lgscoPhone: s.lgsco.phone,
    lgscoWebsite: s.lgsco.website,
    lgscoServiceAreas: s.lgsco.serviceAreas,
  });

  app.get('/settings/ombudsman', route('settings:manage'), async (req, reply) => {
    const s = await settings.get();
    return render(req, reply, 'ombudsman.njk', { title: 'Ombudsman details', values: ombudsmanValues(s) });
  });

  app.post('/settings/ombudsman', route('settings:manage'), async (req, reply) => {
    const body = formBody(req);
    const s = await settings.get();
    const picked = ([] as unknown[]).concat(body.lgscoServiceAreas ?? []).filter((x): x is string => typeof x === 'string');
    const values = {
      ombudsmanName: str(body.ombudsmanName),
      ombudsmanPhone: str(body.ombudsmanPhone),
      ombudsmanEmail: str(body.ombudsmanEmail),
      ombudsmanWebsite: str(body.ombudsmanWebsite),
      ombudsmanAddress: str(body.ombudsmanAddress),
      lgscoName: str(body.lgscoName),
      lgscoPhone: str(body.lgscoPhone),
      lgscoWebsite: str(body.lgscoWebsite),
      lgscoServiceAreas: picked,
    };
    const p = new Problems();
    if (!values.ombudsmanName) p.add('ombudsmanName', 'Enter the Housing Ombudsman’s name');
    if (!values.ombudsmanPhone) p.add('ombudsmanPhone', 'Enter the Housing Ombudsman’s phone number');
    if (values.ombudsmanEmail && !EMAIL.test(values.ombudsmanEmail)) p.add('ombudsmanEmail', 'Enter the Housing Ombudsman’s email address in the correct format, like info@housing-ombudsman.org.uk');
    if (!values.ombudsmanWebsite) p.add('ombudsmanWebsite', 'Enter the Housing Ombudsman’s website');
    if (!values.lgscoName) p.add('lgscoName', 'Enter the Local Government and Social Care Ombudsman’s name');
    for (const [field, v] of Object.entries(values)) {
      if (typeof v === 'string' && v.length > (field.endsWith('Address') ? 1000 : 300)) p.add(field, `This must be ${field.endsWith('Address') ? '1,000' : '300'} characters or fewer`);
    }
    const unknown = picked.find((a) => !s.serviceAreas.includes(a));
    if (unknown !== undefined) p.add('lgscoServiceAreas', 'Select only service areas from the list');
    if (p.any) return render(req, reply, 'ombudsman.njk', { title: 'Ombudsman details', values, errors: p.toErrors() }, 400);
    await settings.update(req.actor!, {
      ombudsman: { name: values.ombudsmanName, phone: values.ombudsmanPhone, email: values.ombudsmanEmail, website: values.ombudsmanWebsite, address: values.ombudsmanAddress },
      lgsco: { name: values.lgscoName, phone: values.lgscoPhone, website: values.lgscoWebsite, serviceAreas: s.serviceAreas.filter((a) => picked.includes(a)) },
    });
    return reply.redirect('/settings?saved=ombudsman', 303);
  });

  // ---------------------------------------------------------------- targets

  app.get('/settings/targets', route('settings:manage'), async (req, reply) => {
    const s = await settings.get();
    return render(req, reply, 'targets.njk', { title: 'Targets', values: { acknowledgementOnTime: String(s.targets.acknowledgementOnTime), responseOnTime: String(s.targets.responseOnTime) } });
  });

  app.post('/settings/targets', route('settings:manage'), async (req, reply) => {
    const body = formBody(req);
    const values = { acknowledgementOnTime: str(body.acknowledgementOnTime).replace(/%$/, '').trim(), responseOnTime: str(body.responseOnTime).replace(/%$/, '').trim() };
    const p = new Problems();
    const percent = (field: keyof typeof values, what: string) => {
      const v = values[field];
      if (!v) p.add(field, `Enter the target for ${what}`);
      else if (!/^\d{1,3}$/.test(v) || Number(v) > 100) p.add(field, `The target for ${what} must be a whole number from 0 to 100`);
      return Number(v);
    };
    const acknowledgementOnTime = percent('acknowledgementOnTime', 'acknowledging on time');
    const responseOnTime = percent('responseOnTime', 'responding on time');
    if (p.any) return render(req, reply, 'targets.njk', { title: 'Targets', values, errors: p.toErrors() }, 400);
    await settings.update(req.actor!, { targets: { acknowledgementOnTime, responseOnTime } });
    return reply.redirect('/settings?saved=targets', 303);
  });

  // ---------------------------------------------------------------- staff accounts

  const roleItems = (selected: string) => ROLES.map((r) => ({ value: r, text: ROLE_LABELS[r], checked: r === selected }));

  app.get('/settings/users', route('users:manage'), async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const staff = await users.list();
    const noticeId = typeof q.added === 'string' ? q.added : typeof q.changed === 'string' ? q.changed : null;
    const who = noticeId && UUID.test(noticeId) ? staff.find((u) => u.id === noticeId) : undefined;
    const notice = who ? (q.added ? `Account created for ${who.name}` : `${who.name}’s account has been changed`) : null;
    return render(req, reply, 'users.njk', { title: 'Staff accounts', staff, roleLabels: ROLE_LABELS, notice });
  });

  const newUserPage = async (req: FastifyRequest, reply: FastifyReply, values: Record<string, string>, errors: FormErrors | null = null, status = 200) =>
    render(req, reply, 'user-new.njk', { title: 'Add a member of staff', backLink: '/settings/users', values, roles: roleItems(values.role ?? ''), ssoLabel, errors }, status);

  app.get('/settings/users/new', route('users:manage'), async (req, reply) => newUserPage(req, reply, {}));

  app.post('/settings/users/new', route('users:manage'), async (req, reply) => {
    const body = formBody(req);
    const values = { name: str(body.name), email: str(body.email).toLowerCase(), role: str(body.role), team: str(body.team) };
    const password = typeof body.password === 'string' ? body.password : '';
    const p = new Problems();
    if (!values.name) p.add('name', 'Enter their full name');
    else if (values.name.length > 200) p.add('name', 'Their name must be 200 characters or fewer');
    if (!values.email) p.add('email', 'Enter their email address');
    else if (values.email.length > 320 || !EMAIL.test(values.email)) p.add('email', 'Enter an email address in the correct format, like name@example.org.uk');
    if (!isRole(values.role)) p.add('role', 'Select their role');
    if (values.team.length > 100) p.add('team', 'The team must be 100 characters or fewer');
    if (!password && !ssoLabel) p.add('password', 'Enter an initial password');
    else if (password) {
      const problem = users.passwordProblem(password, values.email);
      if (problem) p.add('password', problem);
    }
    if (p.any) return newUserPage(req, reply, values, p.toErrors(), 400);
    try {
      const created = await users.create(req.actor!, { name: values.name, email: values.email, role: values.role as Role, team: blankToNull(values.team), password: password || null });
      return reply.redirect(`/settings/users?added=${created.id}`, 303);
    } catch (err) {
      if (!(err instanceof InvalidInput)) throw err;
      const problems = new Problems();
      problems.add(err.field && ['name', 'email', 'role', 'team', 'password'].includes(err.field) ? err.field : 'email', err.message.replace(/\.$/, ''));
      return newUserPage(req, reply, values, problems.toErrors(), 400);
    }
  });

  const userPage = async (req: FastifyRequest, reply: FastifyReply, id: string, errors: FormErrors | null = null, status = 200, role?: string) => {
    let user;
    try {
      user = await users.get(id);
    } catch (err) {
      if (err instanceof NotFound) return notFound(req, reply);
      throw err;
    }
    return render(
      req,
      reply,
      'user.njk',
      { title: user.name, backLink: '/settings/users', user, roleLabel: ROLE_LABELS[user.role as Role] ?? user.role, roles: roleItems(role ?? user.role), self: user.id === req.actor!.id, errors },
      status,
    );
  };

  app.get('/settings/users/:id', route('users:manage'), async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!UUID.test(id)) return notFound(req, reply);
    return userPage(req, reply, id);
  });

  app.post('/settings/users/:id/role', route('users:manage'), async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!UUID.test(id)) return notFound(req, reply);
    const role = str(formBody(req).role);
    if (!isRole(role)) {
      const p = new Problems();
      p.add('role', 'Select their role');
      return userPage(req, reply, id, p.toErrors(), 400);
    }
    try {
      await users.updateRole(req.actor!, id, role);
    } catch (err) {
      if (err instanceof NotFound) return notFound(req, reply);
      if (!(err instanceof InvalidInput)) throw err;
      const p = new Problems();
      p.add('role', err.message.replace(/\.$/, ''));
      return userPage(req, reply, id, p.toErrors(), 400, role);
    }
    return reply.redirect(`/settings/users?changed=${id}`, 303);
  });

  app.post('/settings/users/:id/active', route('users:manage'), async (req, reply) => {
    const { id } = req.params as { id: string };
    if (!UUID.test(id)) return notFound(req, reply);
    const active = str(formBody(req).active);
    if (active !== 'true' && active !== 'false') return userPage(req, reply, id);
    try {
      await users.setActive(req.actor!, id, active === 'true');
    } catch (err) {
      if (err instanceof NotFound) return notFound(req, reply);
      if (!(err instanceof InvalidInput)) throw err;
      const p = new Problems();
      p.add('active', err.message.replace(/\.$/, ''));
      return userPage(req, reply, id, p.toErrors(), 400);
    }
    return reply.redirect(`/settings/users?changed=${id}`, 303);
  });
};

export default settingsPages;
