/**
 * The resident page: needs, restrictions and representatives added through their forms, review
 * reminders, contact details changed with a version, and who may see and change what.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from './session.js';

const PASSWORD = 'a long enough password 2';

forEachBackend('the resident page', (backend) => {
  let t: TestApp;
  let handler: string;
  let board: string;
  let residentId: string;

  before(async () => {
    t = await startTestApp(await backend.open()); // clock: 17 April 2025
    const { users } = t.app.services;
    await users.create(SYSTEM_ACTOR, { email: 'hana.res@test.example', name: 'Hana Res', role: 'handler', password: PASSWORD });
    await users.create(SYSTEM_ACTOR, { email: 'bea.res@test.example', name: 'Bea Res', role: 'governance', password: PASSWORD });
    handler = await signIn(t.app, 'hana.res@test.example', PASSWORD);
    board = await signIn(t.app, 'bea.res@test.example', PASSWORD);
    const r = await t.call('POST', '/api/v1/residents', {
      body: { givenName: 'Grace', familyName: 'Hopper', addressLine1: '12 Park Road', town: 'Anytown', postcode: 'AN3 4BB', email: 'grace@example.org', tenure: 'LCRA', preferredContact: 'email', language: 'Welsh', communicationNeeds: ['Large print'] },
    });
    residentId = r.body.id;
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'letter', description: 'Damp in the bedroom', residentId } });
    assert.equal(c.status, 201);
  });
  after(async () => {
    await t?.close();
  });

  test('shows contact details, preferences and complaints with their status and next due date', async () => {
    const res = await getPage(t.app, `/residents/${residentId}`, handler);
    assert.equal(res.statusCode, 200);
    const text = textOf(res.body);
    assert.ok(text.includes('Grace Hopper'));
    assert.ok(text.includes('12 Park Road'));
    assert.ok(text.includes('AN3 4BB'));
    assert.ok(text.includes('Large print'));
    assert.ok(text.includes('Welsh'));
    assert.match(text, /CMP-\d{6}/);
    assert.ok(text.includes('Awaiting acknowledgement'));
    assert.ok(text.includes('Acknowledgement by'));
    assert.ok(!text.includes('Review due'), 'no reminders yet');
  });

  test('adding a need with a review date today shows it, with a review reminder at the top', async () => {
    const form = await getPage(t.app, `/residents/${residentId}/needs`, handler);
    assert.equal(form.statusCode, 200);
    const csrf = csrfFrom(form.body);

    const bad = await postForm(t.app, `/residents/${residentId}/needs`, handler, { _csrf: csrf, description: 'Keep me', 'reviewOn-day': '40', 'reviewOn-month': '1', 'reviewOn-year': '2026' });
    assert.equal(bad.statusCode, 400);
    const badText = textOf(bad.body);
    assert.ok(badText.includes('Select whether this is a vulnerability, a disability or a reasonable adjustment'));
    assert.ok(badText.includes('Enter a real review date'));
    assert.ok(bad.body.includes('>Keep me</textarea>'));

    const res = await postForm(t.app, `/residents/${residentId}/needs`, handler, {
      _csrf: csrf,
      kind: 'disability',
      description: 'Hearing impairment: prefers email to phone calls',
      'disclosedOn-day': '1',
      'disclosedOn-month': '4',
      'disclosedOn-year': '2025',
      'reviewOn-day': '17',
      'reviewOn-month': '4',
      'reviewOn-year': '2025',
    });
    assert.equal(res.statusCode, 303);
    assert.equal(res.headers.location, `/residents/${residentId}?done=need`);

    const page = await getPage(t.app, String(res.headers.location), handler);
    const text = textOf(page.body);
    assert.ok(text.includes('Need or adjustment recorded'));
    assert.ok(text.includes('Hearing impairment: prefers email to phone calls'));
    assert.ok(text.includes('Review due: Disability: Hearing impairment'), 'the reminder names what is due');
    assert.match(page.body, /govuk-notification-banner"[^>]*role="region"/);
    const complaint = await t.app.db.selectFrom('complaints').select('vulnerable').where('resident_id', '=', residentId).executeTakeFirstOrThrow();
    assert.equal(complaint.vulnerable, true, 'their complaints are flagged');
  });

  test('adding a contact restriction with its reasons; an overdue review is a reminder too', async () => {
    const form = await getPage(t.app, `/residents/${residentId}/restrictions`, handler);
    const csrf = csrfFrom(form.body);
    const bad = await postForm(t.app, `/residents/${residentId}/restrictions`, handler, {
      _csrf: csrf,
      restriction: 'Contact in writing only',
      'startsOn-day': '10',
      'startsOn-month': '4',
      'startsOn-year': '2025',
      'reviewOn-day': '1',
      'reviewOn-month': '4',
      'reviewOn-year': '2025',
    });
    assert.equal(bad.statusCode, 400);
    for (const m of ['Enter the reason for the restriction', 'Enter why the restriction is proportionate', 'Enter the equality considerations', 'The review date must be on or after the start date']) {
      assert.ok(textOf(bad.body).includes(m), m);
    }
    assert.ok(bad.body.includes('>Contact in writing only</textarea>'));

    const res = await postForm(t.app, `/residents/${residentId}/restrictions`, handler, {
      _csrf: csrf,
      restriction: 'Contact in writing only, to one named officer',
      reason: 'Repeated abusive calls to the repairs team',
      proportionality: 'Still lets the resident raise any issue, in writing',
      equalityConsiderations: 'Her hearing impairment makes writing easier, not harder',
      'startsOn-day': '1',
      'startsOn-month': '1',
      'startsOn-year': '2025',
      'reviewOn-day': '1',
      'reviewOn-month': '4',
      'reviewOn-year': '2025',
    });
    assert.equal(res.statusCode, 303);
    const page = await getPage(t.app, `/residents/${residentId}?done=restriction`, handler);
    const text = textOf(page.body);
    assert.ok(text.includes('Contact restriction recorded'));
    assert.ok(text.includes('Repeated abusive calls to the repairs team'));
    assert.ok(text.includes('Still lets the resident raise any issue, in writing'));
    assert.ok(text.includes('Review due: Contact restriction: Contact in writing only, to one named officer – was due Tuesday 1 April 2025'));
    assert.ok(text.includes('2 reviews are due'));
    assert.ok(text.includes('Contact with this resident is restricted'));
  });

  test('adding a representative with consent', async () => {
    const form = await getPage(t.app, `/residents/${residentId}/representatives`, handler);
    const csrf = csrfFrom(form.body);
    const bad = await postForm(t.app, `/residents/${residentId}/representatives`, handler, { _csrf: csrf, repName: 'Alan Hopper', 'repConsent-day': '1', 'repConsent-month': '5', 'repConsent-year': '2025' });
    assert.equal(bad.statusCode, 400);
    assert.ok(textOf(bad.body).includes('Enter the representative’s relationship to the resident'));
    assert.ok(textOf(bad.body).includes('The date consent was given cannot be in the future'));
    const res = await postForm(t.app, `/residents/${residentId}/representatives`, handler, {
      _csrf: csrf,
      repName: 'Alan Hopper',
      repRelationship: 'Brother',
      repEmail: 'alan@example.org',
      repConsentEvidence: 'Signed consent form, scanned to the tenancy file',
      'repConsent-day': '2',
      'repConsent-month': '4',
      'repConsent-year': '2025',
    });
    assert.equal(res.statusCode, 303);
    const page = await getPage(t.app, `/residents/${residentId}?done=representative`, handler);
    const text = textOf(page.body);
    assert.ok(text.includes('Alan Hopper (Brother)'));
    assert.ok(text.includes('Signed consent form, scanned to the tenancy file'));
    assert.ok(text.includes('Wednesday 2 April 2025'));
  });

  test('contact details change with the version; a stale version is refused and the form shows what is saved', async () => {
    const form = await getPage(t.app, `/residents/${residentId}/contact`, handler);
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /name="familyName"[^>]* value="Hopper"/);
    const version = /name="version" value="(\d+)"/.exec(form.body)![1];
    const csrf = csrfFrom(form.body);
    const fields = {
      _csrf: csrf,
      version,
      givenName: 'Grace',
      familyName: 'Hopper',
      addressLine1: '12 Park Road',
      town: 'Anytown',
      postcode: 'AN3 4BB',
      email: 'grace@example.org',
      phone: '01632 960001',
      tenure: 'LCRA',
      preferredContact: 'text',
      communicationNeeds: 'Large print\nEasy read',
      language: 'Welsh',
    };
    const res = await postForm(t.app, `/residents/${residentId}/contact`, handler, fields);
    assert.equal(res.statusCode, 303);
    const r = await t.app.services.complaints.residents.details(SYSTEM_ACTOR, residentId);
    assert.equal(r.preferredContact, 'text');
    assert.equal(r.phone, '01632 960001');
    assert.deepEqual(r.communicationNeeds, ['Large print', 'Easy read']);

    const stale = await postForm(t.app, `/residents/${residentId}/contact`, handler, { ...fields, phone: '' });
    assert.equal(stale.statusCode, 400, 'a text preference needs a phone number');
    assert.ok(textOf(stale.body).includes('Enter the resident’s phone number, or choose another way to contact them'));

    const conflict = await postForm(t.app, `/residents/${residentId}/contact`, handler, { ...fields, preferredContact: 'letter' });
    assert.equal(conflict.statusCode, 409);
    assert.ok(textOf(conflict.body).includes('Someone else changed these details after you opened the form'));
    assert.match(conflict.body, new RegExp(`name="version" value="${r.version}"`));
    assert.equal((await t.app.services.complaints.residents.details(SYSTEM_ACTOR, residentId)).preferredContact, 'text');
  });

  test('governance cannot open resident pages; an unknown resident is a 404 page', async () => {
    assert.equal((await getPage(t.app, `/residents/${residentId}`, board)).statusCode, 403);
    assert.equal((await getPage(t.app, '/residents/00000000-0000-4000-8000-000000000000', handler)).statusCode, 404);
    assert.equal((await getPage(t.app, '/residents/nope', handler)).statusCode, 404);
  });
});
