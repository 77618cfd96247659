/**
 * Intake pages: logging a complaint from any channel through the real form (with a session and
 * its CSRF token), validation that names the fields and keeps what was typed, and service
 * requests from which a complaint is raised while the request stays open.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from './session.js';

const PASSWORD = 'a long enough password 1';

forEachBackend('logging complaints and service requests through the pages', (backend) => {
  let t: TestApp;
  let handler: string;
  let staff: string;
  let residentId: string;

  before(async () => {
    t = await startTestApp(await backend.open()); // clock: 17 April 2025, 11:00 in London
    const { users } = t.app.services;
    await users.create(SYSTEM_ACTOR, { email: 'hana.page@test.example', name: 'Hana Page', role: 'handler', password: PASSWORD });
    await users.create(SYSTEM_ACTOR, { email: 'sam.page@test.example', name: 'Sam Page', role: 'staff', password: PASSWORD });
    handler = await signIn(t.app, 'hana.page@test.example', PASSWORD);
    staff = await signIn(t.app, 'sam.page@test.example', PASSWORD);
    const r = await t.call('POST', '/api/v1/residents', {
      body: { givenName: 'Olive', familyName: 'Okafor', addressLine1: '4 Mill Lane', town: 'Anytown', postcode: 'AN2 7QT', email: 'olive@example.org', tenure: 'LCRA', preferredContact: 'email' },
    });
    assert.equal(r.status, 201);
    residentId = r.body.id;
  });
  after(async () => {
    await t?.close();
  });

  const complaintCount = async () => Number((await t.app.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);

  const base = (csrf: string) => ({
    _csrf: csrf,
    channel: 'email',
    'received-day': '16',
    'received-month': '4',
    'received-year': '2025',
    receivedTime: '14:30',
    description: 'The leak under the kitchen sink was reported three times and nobody came.',
    action: 'log',
  });

  test('the form opens with the date and time received filled in as now', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<h1 class="govuk-heading-l">Log a complaint<\/h1>/);
    assert.match(page.body, /name="received-day"[^>]*value="17"/);
    assert.match(page.body, /name="received-year"[^>]*value="2025"/);
    assert.match(page.body, /name="receivedTime"[^>]*value="11:00"/);
    assert.match(page.body, /<form method="post" action="\/complaints\/new" id="complaint-form" novalidate>/);
    for (const label of ['Phone', 'Email', 'Letter', 'Website or online form', 'In person', 'Social media', 'Text message']) assert.ok(page.body.includes(label), label);
  });

  test('finding a resident without JavaScript lists matches to choose from, keeping what was typed', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), residentMode: 'existing', residentQuery: 'an2 7qt', action: 'find', contractor: 'Acme Plumbing' });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, new RegExp(`name="residentId" type="radio" value="${residentId}" checked`));
    assert.ok(textOf(res.body).includes('Olive Okafor'));
    assert.match(res.body, /value="Acme Plumbing"/);
    assert.equal(await complaintCount(), 0, 'finding does not log anything');

    const none = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), residentMode: 'existing', residentQuery: 'Zebedee', action: 'find' });
    assert.equal(none.statusCode, 200);
    assert.ok(textOf(none.body).includes('No residents match “Zebedee”'));
  });

  test('a complaint logged for a resident on the records lands on the case, with its channel and time received', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), residentMode: 'existing', residentQuery: 'Okafor', residentId, serviceArea: 'Repairs', category: 'Delay', contractor: 'Acme Plumbing' });
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    const m = /^\/complaints\/([0-9a-f-]{36})\?done=logged$/.exec(String(res.headers.location));
    assert.ok(m, `redirects to the case: ${res.headers.location}`);
    const c = await t.app.services.complaints.get(SYSTEM_ACTOR, m[1]);
    assert.equal(c.channel, 'email');
    assert.equal(c.residentId, residentId);
    assert.equal(c.receivedAt, '2025-04-16T13:30:00.000Z', '14:30 in London in April is 13:30 UTC');
    assert.equal(c.receivedOn, '2025-04-16');
    assert.equal(c.serviceArea, 'Repairs');
    assert.equal(c.category, 'Delay');
    assert.equal(c.contractor, 'Acme Plumbing');
    assert.equal(c.status, 'awaiting_acknowledgement');
    assert.equal(c.stages[0].handler, null, 'it lands unassigned');
    const casePage = await getPage(t.app, String(res.headers.location), handler);
    assert.equal(casePage.statusCode, 200, 'the redirect lands on the case page');
    assert.ok(textOf(casePage.body).includes(c.reference));
  });

  test('a new resident with a representative and an old issue: logged, with the resident and representative recorded', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const fields = {
      ...base(csrfFrom(page.body)),
      channel: 'phone',
      residentMode: 'new',
      givenName: 'Priya',
      familyName: 'Patel',
      addressLine1: '9 Canal Street',
      town: 'Anytown',
      postcode: 'an11aa',
      phone: '07700 900982',
      tenure: 'LCHO',
      preferredContact: 'phone',
      repName: 'Ravi Patel',
      repRelationship: 'Son',
      repConsentEvidence: 'Verbal consent on the phone, noted on the call record',
      'repConsent-day': '16',
      'repConsent-month': '4',
      'repConsent-year': '2025',
      'issueArose-day': '1',
      'issueArose-month': 'March',
      'issueArose-year': '2023',
    };
    const res = await postForm(t.app, '/complaints/new', handler, fields);
    assert.equal(res.statusCode, 303, textOf(res.body).slice(0, 800));
    const id = /\/complaints\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1];
    const c = await t.app.services.complaints.get(SYSTEM_ACTOR, id);
    assert.equal(c.channel, 'phone');
    assert.equal(c.issueArose, '2023-03-01');
    assert.equal(c.lateIssue, true, 'the engine knows a discretion decision is needed');
    const r = await t.app.services.complaints.residents.details(SYSTEM_ACTOR, c.residentId!);
    assert.equal(r.name, 'Priya Patel');
    assert.equal(r.address.postcode, 'AN1 1AA');
    assert.equal(r.tenure, 'LCHO');
    assert.equal(r.representatives.length, 1);
    assert.equal(r.representatives[0].name, 'Ravi Patel');
    assert.equal(c.representativeId, r.representatives[0].id);
  });

  test('an anonymous complaint needs no resident', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), channel: 'social_media', residentMode: 'anonymous' });
    assert.equal(res.statusCode, 303);
    const id = /\/complaints\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1];
    const c = await t.app.services.complaints.get(SYSTEM_ACTOR, id);
    assert.equal(c.anonymous, true);
    assert.equal(c.residentId, null);
    assert.equal(c.channel, 'social_media');
  });

  test('errors come back with status 400, an error summary naming each field, inline messages, and every value kept', async () => {
    const before = await complaintCount();
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, {
      _csrf: csrfFrom(page.body),
      residentMode: 'new',
      givenName: 'Keep Me',
      postcode: 'not a postcode',
      tenure: 'LCRA',
      preferredContact: 'email',
      'received-day': '31',
      'received-month': '2',
      'received-year': '2025',
      receivedTime: '25:99',
      description: '   ',
      outcomeSought: 'An apology & a visit <soon>',
      contractor: 'Acme Plumbing',
      action: 'log',
    });
    assert.equal(res.statusCode, 400);
    const text = textOf(res.body);
    assert.ok(text.includes('There is a problem'));
    assert.match(res.body, /<title>Error: Log a complaint/);
    for (const [message, href] of [
      ['Enter the resident’s family name', '#familyName'],
      ['Enter a real postcode, like AB1 2CD', '#postcode'],
      ['Enter the resident’s email address, or choose another way to contact them', '#email'],
      ['Select how the complaint was made', '#channel'],
      ['Enter a real date received', '#received-day'],
      ['Enter a real time received, like 14:30', '#receivedTime'],
      ['Enter what happened', '#description'],
    ] as const) {
      assert.ok(res.body.includes(`<a href="${href}">${message.replace(/&/g, '&amp;')}</a>`), `summary links "${message}" to ${href}`);
      assert.ok(text.includes(`Error: ${message}`), `inline error "${message}"`);
    }
    assert.match(res.body, /name="givenName"[^>]* value="Keep Me"/);
    assert.match(res.body, /name="received-day"[^>]* value="31"/);
    assert.match(res.body, /name="receivedTime"[^>]* value="25:99"/);
    assert.match(res.body, /value="Acme Plumbing"/);
    assert.ok(res.body.includes('An apology &amp; a visit &lt;soon&gt;</textarea>'), 'textareas keep their values, escaped');
    assert.match(res.body, /id="residentMode-2" name="residentMode" type="radio" value="new" checked/);
    assert.equal(await complaintCount(), before, 'nothing was logged');
  });

  test('a date received in the future, and an issue after receipt, are refused by name', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, {
      ...base(csrfFrom(page.body)),
      residentMode: 'anonymous',
      'received-day': '18',
      'issueArose-day': '19',
      'issueArose-month': '4',
      'issueArose-year': '2025',
    });
    assert.equal(res.statusCode, 400);
    const text = textOf(res.body);
    assert.ok(text.includes('The date received cannot be in the future'));
    assert.ok(text.includes('The date the issue happened cannot be after the date received'));

    const missing = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), residentMode: 'existing', residentQuery: '', 'received-month': '' });
    assert.equal(missing.statusCode, 400);
    assert.ok(textOf(missing.body).includes('Date received must include a month'));
    assert.ok(textOf(missing.body).includes('Enter a name, reference or postcode to find the resident'));
  });

  test('an issue more than 12 months before receipt shows a warning that a discretion decision will be needed', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    assert.match(page.body, /id="late-issue-warning" aria-live="polite" hidden>/);
    const res = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), description: '', residentMode: 'anonymous', 'issueArose-day': '15', 'issueArose-month': '4', 'issueArose-year': '2024' });
    assert.equal(res.statusCode, 400);
    assert.match(res.body, /id="late-issue-warning" aria-live="polite">/);
    assert.ok(textOf(res.body).includes('discretion decision'));
  });

  test('a service error (an unknown service area) is shown against its field', async () => {
    const page = await getPage(t.app, '/complaints/new', handler);
    const res = await postForm(t.app, '/complaints/new', handler, { ...base(csrfFrom(page.body)), residentMode: 'anonymous', serviceArea: 'Swimming pools' });
    assert.equal(res.statusCode, 400);
    assert.ok(res.body.includes('<a href="#serviceArea">&quot;Swimming pools&quot; is not one of the service areas in settings</a>'));
  });

  test('a post without the CSRF token is refused with 403 and logs nothing', async () => {
    const before = await complaintCount();
    const page = await getPage(t.app, '/complaints/new', handler);
    const { _csrf, ...fields } = { ...base(csrfFrom(page.body)), residentMode: 'anonymous' };
    void _csrf;
    const res = await postForm(t.app, '/complaints/new', handler, fields);
    assert.equal(res.statusCode, 403);
    const wrong = await postForm(t.app, '/complaints/new', handler, { ...fields, _csrf: 'not-the-token-at-all-not-the-token' });
    assert.equal(wrong.statusCode, 403);
    assert.equal(await complaintCount(), before);
  });

  test('without a session the form sends you to sign in', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/complaints/new' });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, '/sign-in?next=%2Fcomplaints%2Fnew');
  });

  test('other staff can log a complaint (and are told its reference) but cannot open My work', async () => {
    const page = await getPage(t.app, '/complaints/new', staff);
    assert.equal(page.statusCode, 200);
    const res = await postForm(t.app, '/complaints/new', staff, { ...base(csrfFrom(page.body)), channel: 'in_person', residentMode: 'existing', residentId });
    assert.equal(res.statusCode, 303);
    const m = /^\/complaints\/new\?logged=(CMP-\d+)$/.exec(String(res.headers.location));
    assert.ok(m, `staff cannot read cases, so they come back to the form: ${res.headers.location}`);
    const row = await t.app.db.selectFrom('complaints').selectAll().where('reference', '=', m[1]).executeTakeFirstOrThrow();
    assert.equal(row.channel, 'in_person');
    assert.equal(row.resident_id, residentId);
    const back = await getPage(t.app, String(res.headers.location), staff);
    assert.ok(textOf(back.body).includes(`Complaint ${m[1]} logged`));
    const work = await getPage(t.app, '/work', staff);
    assert.equal(work.statusCode, 403);
  });

  // ---------------------------------------------------------------- service requests

  test('a service request, then a complaint about how it is handled: the request stays open', async () => {
    const form = await getPage(t.app, '/service-requests/new', staff);
    assert.equal(form.statusCode, 200);
    const bad = await postForm(t.app, '/service-requests/new', staff, { _csrf: csrfFrom(form.body), residentMode: 'existing', residentId, channel: 'phone', action: 'log' });
    assert.equal(bad.statusCode, 400);
    assert.ok(textOf(bad.body).includes('Select the service area'));
    assert.ok(textOf(bad.body).includes('Enter what the resident is asking for'));

    const res = await postForm(t.app, '/service-requests/new', staff, {
      _csrf: csrfFrom(form.body),
      residentMode: 'existing',
      residentId,
      channel: 'phone',
      serviceArea: 'Repairs',
      category: 'Delay',
      description: 'Boiler not working',
      action: 'log',
    });
    assert.equal(res.statusCode, 303);
    const srId = /^\/service-requests\/([0-9a-f-]{36})\?done=logged$/.exec(String(res.headers.location))![1];

    const page = await getPage(t.app, `/service-requests/${srId}?done=logged`, handler);
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.ok(text.includes('Boiler not working'));
    assert.ok(text.includes('Raise a complaint about how this is being handled'));
    assert.ok(text.includes('The service request stays open'));
    assert.ok(/Service request SR-\d+ logged/.test(text));

    const empty = await postForm(t.app, `/service-requests/${srId}/complaint`, handler, { _csrf: csrfFrom(page.body) });
    assert.equal(empty.statusCode, 400);
    assert.ok(textOf(empty.body).includes('Enter what the resident is unhappy about'));
    assert.ok(textOf(empty.body).includes('Select how the complaint was made'));

    const raised = await postForm(t.app, `/service-requests/${srId}/complaint`, handler, { _csrf: csrfFrom(page.body), complaintDescription: 'Three missed appointments', complaintChannel: 'phone' });
    assert.equal(raised.statusCode, 303);
    const cId = /^\/complaints\/([0-9a-f-]{36})\?done=logged$/.exec(String(raised.headers.location))![1];
    const c = await t.app.services.complaints.get(SYSTEM_ACTOR, cId);
    assert.equal(c.serviceRequestId, srId);
    assert.equal(c.residentId, residentId);
    const sr = await t.app.services.serviceRequests.get(SYSTEM_ACTOR, srId);
    assert.equal(sr.status, 'open', 'the request stays open');
    assert.equal(sr.complaints.length, 1);
  });

  test('a service request from a new resident; reviews and closing, with a stale version refused clearly', async () => {
    const form = await getPage(t.app, '/service-requests/new', handler);
    const res = await postForm(t.app, '/service-requests/new', handler, {
      _csrf: csrfFrom(form.body),
      residentMode: 'new',
      familyName: 'Nowak',
      email: 'nowak@example.org',
      tenure: 'other',
      preferredContact: 'email',
      channel: 'web',
      serviceArea: 'Estate services',
      description: 'Communal light out',
      action: 'log',
    });
    assert.equal(res.statusCode, 303, textOf(res.body).slice(0, 600));
    const srId = /\/service-requests\/([0-9a-f-]{36})/.exec(String(res.headers.location))![1];
    const sr = await t.app.services.serviceRequests.get(SYSTEM_ACTOR, srId);
    assert.ok(sr.residentId);
    const page = await getPage(t.app, `/service-requests/${srId}`, handler);
    const csrf = csrfFrom(page.body);
    assert.match(page.body, new RegExp(`name="version" value="${sr.version}"`));

    const reviewed = await postForm(t.app, `/service-requests/${srId}/review`, handler, { _csrf: csrf, version: String(sr.version), reviewAction: 'review', 'reviewed-day': '17', 'reviewed-month': '4', 'reviewed-year': '2025' });
    assert.equal(reviewed.statusCode, 303);
    assert.equal(reviewed.headers.location, `/service-requests/${srId}?done=reviewed`);
    assert.equal((await t.app.services.serviceRequests.get(SYSTEM_ACTOR, srId)).lastReviewedOn, '2025-04-17');

    const stale = await postForm(t.app, `/service-requests/${srId}/review`, handler, { _csrf: csrf, version: String(sr.version), reviewAction: 'close' });
    assert.equal(stale.statusCode, 409);
    assert.ok(textOf(stale.body).includes('Someone else changed this service request after you opened it'));
    assert.equal((await t.app.services.serviceRequests.get(SYSTEM_ACTOR, srId)).status, 'open');

    const closed = await postForm(t.app, `/service-requests/${srId}/review`, handler, { _csrf: csrf, version: String(sr.version + 1), reviewAction: 'close' });
    assert.equal(closed.statusCode, 303);
    assert.equal((await t.app.services.serviceRequests.get(SYSTEM_ACTOR, srId)).status, 'closed');
    const after = await getPage(t.app, `/service-requests/${srId}?done=closed`, handler);
    assert.ok(textOf(after.body).includes('Service request closed'));
    assert.ok(!after.body.includes(`action="/service-requests/${srId}/review"`), 'a closed request offers no review form');
  });

  test('an unknown service request is a 404 page', async () => {
    const res = await getPage(t.app, '/service-requests/00000000-0000-4000-8000-000000000000', handler);
    assert.equal(res.statusCode, 404);
    assert.ok(textOf(res.body).includes('Page not found'));
    const bad = await getPage(t.app, '/service-requests/not-an-id', handler);
    assert.equal(bad.statusCode, 404);
  });
});
