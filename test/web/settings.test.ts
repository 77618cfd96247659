/**
 * The settings pages, driven through real forms: sign in with the sign-in form, read each page's
 * CSRF token and post the form as a browser would (no JavaScript).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { parseDate, contrastWithWhite } from '../../src/web/routes/settings.js';

const PASSWORD = 'plum kettle mountain';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the page has a CSRF field');
  return m[1];
}

function decode(s: string): string {
  return s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Sign in through the real form; returns a small browser bound to the session. */
async function signIn(app: FastifyInstance, email: string, password = PASSWORD) {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  assert.equal(page.statusCode, 200);
  const loginCookie = page.cookies.find((c) => c.name === 'putright_login_csrf');
  assert.ok(loginCookie);
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    headers: FORM,
    cookies: { putright_login_csrf: loginCookie.value },
    payload: new URLSearchParams({ _csrf: csrfOf(page.body), email, password, next: '/' }).toString(),
  });
  const session = res.cookies.find((c) => c.name === 'putright_session');
  return { status: res.statusCode, body: res.body, session: session?.value ?? null };
}

async function browserFor(app: FastifyInstance, email: string) {
  const s = await signIn(app, email);
  assert.equal(s.status, 303, `sign-in as ${email} failed: ${s.body.slice(0, 300)}`);
  const cookies = { putright_session: s.session! };
  const get = (url: string) => app.inject({ method: 'GET', url, cookies });
  return {
    cookies,
    get,
    /** GET the form page, then post it with its CSRF token and these fields. */
    async submit(formUrl: string, action: string, fields: Record<string, string | string[]>) {
      const page = await get(formUrl);
      assert.equal(page.statusCode, 200, `GET ${formUrl}`);
      const params = new URLSearchParams({ _csrf: csrfOf(page.body) });
      for (const [k, v] of Object.entries(fields)) for (const one of ([] as string[]).concat(v)) params.append(k, one);
      return app.inject({ method: 'POST', url: action, headers: FORM, cookies, payload: params.toString() });
    },
  };
}

async function history(app: FastifyInstance, action: string) {
  return app.db.selectFrom('history').selectAll().where('action', '=', action).orderBy('at', 'asc').execute();
}

test('closure days may be written as 2025-12-25, 25 December 2025, 25 Dec 2025 or 25/12/2025; nonsense is refused', () => {
  for (const s of ['2025-12-25', '25 December 2025', '25 Dec 2025', '25th December 2025', 'Thursday 25 December 2025', '25/12/2025', ' 25  december 2025 ']) assert.equal(parseDate(s), '2025-12-25', s);
  for (const s of ['31 June 2025', '2025-02-29', '25 Decembr 2025', '25 Ma 2025', 'tomorrow', '', '12/25/2025']) assert.equal(parseDate(s), null, s);
  assert.equal(parseDate('1 Sept 2025'), '2025-09-01');
  assert.ok(contrastWithWhite('#1d5c4d') > 4.5);
  assert.ok(contrastWithWhite('#ffdd00') < 2);
});

forEachBackend('settings pages', (backend) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof browserFor>>;

  before(async () => {
    t = await startTestApp(await backend.open());
    const { users } = t.app.services;
    await users.create(SYSTEM_ACTOR, { email: 'root@test.example', name: 'Rosa Root', role: 'admin', password: PASSWORD });
    await users.create(SYSTEM_ACTOR, { email: 'helen@test.example', name: 'Helen Handler', role: 'handler', password: PASSWORD });
    admin = await browserFor(t.app, 'root@test.example');
  });
  after(async () => {
    await t?.close();
  });

  test('the settings index summarises every section with a Change link', async () => {
    const res = await admin.get('/settings');
    assert.equal(res.statusCode, 200);
    for (const href of ['/settings/landlord', '/settings/lists', '/settings/calendar', '/settings/ombudsman', '/settings/targets', '/settings/users']) {
      assert.ok(res.body.includes(`href="${href}"`), `link to ${href}`);
    }
    assert.match(res.body, /Example Housing Association/);
    assert.match(res.body, /England and Wales/);
    assert.match(res.body, /95%/);
  });

  test('an administrator changes the landlord’s name and colour; the next page shows both', async () => {
    const res = await admin.submit('/settings/landlord', '/settings/landlord', {
      name: 'Riverside Homes',
      primaryColour: '#4B0082',
      logoUrl: '',
      address: '2 Quay Street, Riverton, RT1 2AB',
      complaintsEmail: 'complaints@riverside.example',
      complaintsPhone: '0300 123 4567',
    });
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    assert.equal(res.headers.location, '/settings?saved=landlord');
    const next = await admin.get('/settings?saved=landlord');
    assert.match(next.body, /Landlord details saved/);
    assert.match(next.body, /class="app-header__name[^"]*">\s*Riverside Homes/);
    assert.match(next.body, /--app-brand: #4b0082;/);
    assert.match(next.body, /<title>Settings – Riverside Homes<\/title>/);
    // Every page follows at once, not only this one.
    const other = await admin.get('/settings/lists');
    assert.match(other.body, /--app-brand: #4b0082;/);
    const rows = await history(t.app, 'settings_landlord_changed');
    assert.equal(rows.length, 1);
    assert.equal((rows[0].before as any).name, 'Example Housing Association');
    assert.equal((rows[0].after as any).name, 'Riverside Homes');
    assert.equal((rows[0].after as any).primaryColour, '#4b0082');
    assert.equal(rows[0].actor_label, 'Rosa Root');
  });

  test('a bad colour re-renders the form with an error naming the field, keeping what was typed', async () => {
    const fields = { name: 'Riverside Homes', primaryColour: 'purple', logoUrl: '', address: '', complaintsEmail: 'complaints@riverside.example', complaintsPhone: '0300 123 4567' };
    const res = await admin.submit('/settings/landlord', '/settings/landlord', fields);
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /<title>Error: Landlord details/);
    assert.match(res.body, /govuk-error-summary/);
    assert.match(res.body, /href="#primaryColour">Enter the primary colour as # followed by 6 digits/);
    assert.match(res.body, /id="primaryColour-error"/);
    assert.match(res.body, /value="purple"/);
    // Too light for white header text: refused with the reason.
    const light = await admin.submit('/settings/landlord', '/settings/landlord', { ...fields, primaryColour: '#ffdd00' });
    assert.equal(light.statusCode, 400);
    assert.match(decode(light.body), /The primary colour is too light/);
    // Nothing was saved.
    assert.equal((await t.app.services.settings.get()).landlord.primaryColour, '#4b0082');
    assert.equal((await history(t.app, 'settings_landlord_changed')).length, 1);
  });

  test('a handler gets 403 on every settings page and cannot post to them', async () => {
    const helen = await browserFor(t.app, 'helen@test.example');
    for (const url of ['/settings', '/settings/landlord', '/settings/calendar', '/settings/users', '/settings/users/new']) {
      const res = await helen.get(url);
      assert.equal(res.statusCode, 403, url);
      assert.match(res.body, /You cannot see this page/);
    }
    const work = await helen.get('/work');
    const post = await t.app.inject({
      method: 'POST',
      url: '/settings/landlord',
      headers: FORM,
      cookies: helen.cookies,
      payload: new URLSearchParams({ _csrf: csrfOf(work.body), name: 'Hacked', primaryColour: '#000000' }).toString(),
    });
    assert.equal(post.statusCode, 403);
    assert.equal((await t.app.services.settings.get()).landlord.name, 'Riverside Homes');
  });

  test('lists: one a line; the exclusion grounds must keep at least one and be key | label', async () => {
    const empty = await admin.submit('/settings/lists', '/settings/lists', { serviceAreas: 'Repairs\nGardens', categories: 'Delay', exclusionGrounds: '  \n' });
    assert.equal(empty.statusCode, 400);
    assert.match(empty.body, /href="#exclusionGrounds">Enter at least one exclusion ground/);
    const bad = await admin.submit('/settings/lists', '/settings/lists', { serviceAreas: 'Repairs\nrepairs', categories: 'Delay', exclusionGrounds: 'Out of time' });
    assert.equal(bad.statusCode, 400);
    assert.match(decode(bad.body), /“repairs” is listed more than once/);
    assert.match(bad.body, /Line 1 of the exclusion grounds must be a key and a label/);
    const ok = await admin.submit('/settings/lists', '/settings/lists', {
      serviceAreas: 'Repairs\r\nDamp and mould\r\n\r\nGardens\r\nSupport services',
      categories: 'Delay\nQuality of work',
      exclusionGrounds: 'out_of_time | The issue happened more than 12 months ago\nlegal_proceedings | Legal proceedings have started',
    });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 500));
    const s = await t.app.services.settings.get();
    assert.deepEqual(s.serviceAreas, ['Repairs', 'Damp and mould', 'Gardens', 'Support services']);
    assert.deepEqual(s.exclusionGrounds.map((g) => g.key), ['out_of_time', 'legal_proceedings']);
    for (const action of ['settings_serviceAreas_changed', 'settings_categories_changed', 'settings_exclusionGrounds_changed']) assert.equal((await history(t.app, action)).length, 1, action);
  });

  test('ombudsman details and the service areas that go to the LGSCO', async () => {
    const res = await admin.submit('/settings/ombudsman', '/settings/ombudsman', {
      ombudsmanName: 'Housing Ombudsman Service',
      ombudsmanPhone: '0300 111 3000',
      ombudsmanEmail: 'info@housing-ombudsman.org.uk',
      ombudsmanWebsite: 'www.housing-ombudsman.org.uk',
      ombudsmanAddress: 'PO Box 1484, Preston, PR2 0ET',
      lgscoName: 'Local Government and Social Care Ombudsman',
      lgscoPhone: '0300 061 0614',
      lgscoWebsite: 'www.lgo.org.uk',
      lgscoServiceAreas: ['Support services', 'Gardens'],
    });
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    assert.deepEqual((await t.app.services.settings.get()).lgsco.serviceAreas, ['Gardens', 'Support services']);
    const bad = await admin.submit('/settings/ombudsman', '/settings/ombudsman', { ombudsmanName: '', ombudsmanPhone: '1', ombudsmanWebsite: 'x', lgscoName: 'L', lgscoServiceAreas: 'Space programme' });
    assert.equal(bad.statusCode, 400);
    assert.match(decode(bad.body), /href="#ombudsmanName">Enter the Housing Ombudsman’s name/);
    assert.match(bad.body, /href="#lgscoServiceAreas">Select only service areas from the list/);
    assert.equal((await history(t.app, 'settings_lgsco_changed')).length, 1);
    assert.equal((await history(t.app, 'settings_ombudsman_changed')).length, 1);
  });

  test('targets: whole percentages from 0 to 100', async () => {
    const bad = await admin.submit('/settings/targets', '/settings/targets', { acknowledgementOnTime: '101', responseOnTime: '' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#acknowledgementOnTime">The target for acknowledging on time must be a whole number from 0 to 100/);
    assert.match(bad.body, /href="#responseOnTime">Enter the target for responding on time/);
    const ok = await admin.submit('/settings/targets', '/settings/targets', { acknowledgementOnTime: '98', responseOnTime: '90%' });
    assert.equal(ok.statusCode, 303);
    assert.deepEqual((await t.app.services.settings.get()).targets, { acknowledgementOnTime: 98, responseOnTime: 90 });
    assert.equal((await history(t.app, 'settings_targets_changed')).length, 1);
  });

  test('a calendar change says which open complaints’ projected deadlines were recalculated, and records it', async () => {
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Leak not fixed', anonymous: true } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    assert.equal(c.body.nextDue.date, '2025-04-28');
    const bad = await admin.submit('/settings/calendar', '/settings/calendar', { division: 'england-and-wales', closureDays: '2025-12-24\n31 June 2025', cutoffTime: '25:00' });
    assert.equal(bad.statusCode, 400);
    assert.match(decode(bad.body), /href="#closureDays">Line 2 of the closure days, “31 June 2025”, is not a real date/);
    assert.match(bad.body, /href="#cutoffTime">Enter the cut-off as a 24-hour time/);
    assert.match(bad.body, />2025-12-24\n31 June 2025<\/textarea>/);

    const res = await admin.submit('/settings/calendar', '/settings/calendar', { division: 'england-and-wales', closureDays: '22 April 2025\n2025-12-29', cutoffTime: '17:00' });
    assert.equal(res.statusCode, 200, res.body.slice(0, 500));
    assert.match(res.body, /Calendar saved/);
    assert.match(res.body, new RegExp(`<ul class="govuk-list govuk-list--bullet" id="recalculated"><li>${c.body.reference}</li>`));
    const s = await t.app.services.settings.get();
    assert.deepEqual(s.calendar, { division: 'england-and-wales', closureDays: ['2025-04-22', '2025-12-29'], cutoffTime: '17:00' });
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.body.id}`)).body.nextDue.date, '2025-04-29');

    const changed = await history(t.app, 'settings_calendar_changed');
    assert.equal(changed.length, 1);
    assert.deepEqual((changed[0].after as any).closureDays, ['2025-04-22', '2025-12-29']);
    const recalculated = await history(t.app, 'projected_deadlines_recalculated');
    assert.equal(recalculated.length, 1);
    assert.deepEqual((recalculated[0].after as any).complaints, [c.body.reference]);

    // Saving the same calendar again changes nothing and records nothing.
    const same = await admin.submit('/settings/calendar', '/settings/calendar', { division: 'england-and-wales', closureDays: '2025-04-22\n29 December 2025', cutoffTime: '17:00' });
    assert.equal(same.statusCode, 200);
    assert.match(same.body, /Nothing has changed/);
    assert.equal((await history(t.app, 'settings_calendar_changed')).length, 1);
  });

  test('adding a member of staff: short and common passwords are refused; a good one works', async () => {
    const base = { name: 'Nina New', email: 'nina@test.example', role: 'handler', team: 'North' };
    const short = await admin.submit('/settings/users/new', '/settings/users/new', { ...base, password: 'short pass' });
    assert.equal(short.statusCode, 400);
    assert.match(short.body, /href="#password">The password must be 12 characters or more/);
    for (const common of ['password1234', 'Qwertyuiop12', '123456789012']) {
      const res = await admin.submit('/settings/users/new', '/settings/users/new', { ...base, password: common });
      assert.equal(res.statusCode, 400, common);
      assert.match(res.body, /href="#password">This password is one of the most commonly used passwords/, common);
    }
    const noRole = await admin.submit('/settings/users/new', '/settings/users/new', { ...base, role: '', password: PASSWORD });
    assert.equal(noRole.statusCode, 400);
    assert.match(noRole.body, /href="#role">Select their role/);
    assert.equal(await t.app.db.selectFrom('users').select('id').where('email', '=', 'nina@test.example').executeTakeFirst(), undefined);

    const page = await admin.get('/settings/users/new');
    for (const label of ['Complaint handler', 'Complaints manager', 'Other staff', 'Governance (senior lead, MRC, board)', 'Administrator']) assert.ok(page.body.includes(label), label);
    const ok = await admin.submit('/settings/users/new', '/settings/users/new', { ...base, email: 'Nina@Test.Example', password: PASSWORD });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 800));
    const list = await admin.get(String(ok.headers.location));
    assert.match(list.body, /Account created for Nina New/);
    assert.match(list.body, /nina@test\.example/);
    const again = await admin.submit('/settings/users/new', '/settings/users/new', { ...base, password: PASSWORD });
    assert.equal(again.statusCode, 400);
    assert.match(again.body, /href="#email">A user with this email address already exists/);
    const created = await history(t.app, 'user_created');
    assert.ok(created.some((h) => (h.after as any).email === 'nina@test.example' && h.actor_label === 'Rosa Root'));
    const nina = await signIn(t.app, 'nina@test.example');
    assert.equal(nina.status, 303);
  });

  test('changing a role and deactivating: a deactivated member of staff cannot sign in, and their session ends', async () => {
    const { users } = t.app.services;
    const dan = await users.create(SYSTEM_ACTOR, { email: 'dan@test.example', name: 'Dan Departing', role: 'handler', password: PASSWORD });
    const danBrowser = await browserFor(t.app, 'dan@test.example');
    assert.equal((await danBrowser.get('/work')).statusCode, 200);

    const role = await admin.submit(`/settings/users/${dan.id}`, `/settings/users/${dan.id}/role`, { role: 'manager' });
    assert.equal(role.statusCode, 303);
    assert.equal((await users.get(dan.id)).role, 'manager');
    const roleRows = await history(t.app, 'user_role_changed');
    assert.ok(roleRows.some((h) => h.entity_id === dan.id && (h.before as any).role === 'handler' && (h.after as any).role === 'manager'));

    const off = await admin.submit(`/settings/users/${dan.id}`, `/settings/users/${dan.id}/active`, { active: 'false' });
    assert.equal(off.statusCode, 303);
    const list = await admin.get(String(off.headers.location));
    assert.match(list.body, /Deactivated/);
    assert.equal((await danBrowser.get('/work')).statusCode, 303, 'the open session no longer works');
    const again = await signIn(t.app, 'dan@test.example');
    assert.equal(again.status, 401);
    assert.equal(again.session, null);
    assert.match(again.body, /The email address or password is not right/);
    const offRows = await history(t.app, 'user_deactivated');
    assert.ok(offRows.some((h) => h.entity_id === dan.id && h.actor_label === 'Rosa Root'));

    const on = await admin.submit(`/settings/users/${dan.id}`, `/settings/users/${dan.id}/active`, { active: 'true' });
    assert.equal(on.statusCode, 303);
    assert.equal((await signIn(t.app, 'dan@test.example')).status, 303);
    assert.equal((await history(t.app, 'user_reactivated')).length, 1);
  });

  test('there is always an active administrator: you cannot deactivate yourself or demote the last one', async () => {
    const { users } = t.app.services;
    const me = (await users.list()).find((u) => u.email === 'root@test.example')!;
    const self = await admin.submit(`/settings/users/${me.id}`, `/settings/users/${me.id}/active`, { active: 'false' });
    assert.equal(self.statusCode, 400);
    assert.match(self.body, /You cannot deactivate your own account/);
    // Deactivate the helper's administrator, then try to demote the last one.
    const other = (await users.list()).find((u) => u.email === 'admin@test.example')!;
    assert.equal((await admin.submit(`/settings/users/${other.id}`, `/settings/users/${other.id}/active`, { active: 'false' })).statusCode, 303);
    const demote = await admin.submit(`/settings/users/${me.id}`, `/settings/users/${me.id}/role`, { role: 'manager' });
    assert.equal(demote.statusCode, 400);
    assert.match(demote.body, /href="#role">There must always be at least one active administrator/);
    assert.equal((await users.get(me.id)).role, 'admin');
    const missing = await admin.get('/settings/users/00000000-0000-4000-8000-000000000000');
    assert.equal(missing.statusCode, 404);
  });

  test('every change made through these pages is in the history, with who made it', async () => {
    const rows = await t.app.db.selectFrom('history').select(['action', 'actor_label', 'entity']).where('actor_label', '=', 'Rosa Root').execute();
    const actions = new Set(rows.map((r) => r.action));
    for (const a of [
      'settings_landlord_changed',
      'settings_serviceAreas_changed',
      'settings_categories_changed',
      'settings_exclusionGrounds_changed',
      'settings_ombudsman_changed',
      'settings_lgsco_changed',
      'settings_targets_changed',
      'settings_calendar_changed',
      'projected_deadlines_recalculated',
      'user_created',
      'user_role_changed',
      'user_deactivated',
      'user_reactivated',
    ]) {
      assert.ok(actions.has(a), `history has ${a}`);
    }
  });
});
