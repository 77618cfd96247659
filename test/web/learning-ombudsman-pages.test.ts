/** The learning and Ombudsman pages through plain form posts: who may see them, the root-cause settings, and form errors. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from './session.js';

forEachBackend('learning and Ombudsman pages', (backend) => {
  let t: TestApp;
  let handler: string;
  let staff: string;
  let admin: string;
  let complaintId: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2026-01-05T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'lee@test.example', name: 'Lee Handler', role: 'handler', password: 'another long password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'sam@test.example', name: 'Sam Staff', role: 'staff', password: 'a staff long password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'ada@test.example', name: 'Ada Admin', role: 'admin', password: 'the admin password' });
    handler = await signIn(t.app, 'lee@test.example', 'another long password');
    staff = await signIn(t.app, 'sam@test.example', 'a staff long password');
    admin = await signIn(t.app, 'ada@test.example', 'the admin password');
    complaintId = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Leak', resident: { givenName: 'Ann', familyName: 'Lee', postcode: 'N1 1AA' } } })).body.id;
  });
  after(async () => {
    await t?.close();
  });

  test('staff cannot open the learning register or Ombudsman pages; the public list needs no sign-in', async () => {
    for (const url of ['/learning', '/learning/themes', '/ombudsman', '/ombudsman/orders', `/complaints/${complaintId}/ombudsman`]) {
      assert.equal((await getPage(t.app, url, staff)).statusCode, 403, url);
      assert.equal((await getPage(t.app, url, handler)).statusCode, 200, url);
    }
    const pub = await t.app.inject({ method: 'GET', url: '/you-said-we-did' });
    assert.equal(pub.statusCode, 200);
    assert.match(textOf(pub.body), /Nothing has been published yet/);
    const nav = textOf((await getPage(t.app, '/learning', handler)).body);
    assert.match(nav, /Learning/);
    assert.match(nav, /Ombudsman/);
  });

  test('an administrator edits the root causes; learning items then choose from the new list', async () => {
    const page = await getPage(t.app, '/settings/learning', admin);
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Poor or no communication/);
    const empty = await postForm(t.app, '/settings/learning', admin, { _csrf: csrfFrom(page.body), rootCauses: '  ' });
    assert.equal(empty.statusCode, 400);
    assert.match(textOf(empty.body), /There is a problem Enter at least one root cause/);
    const saved = await postForm(t.app, '/settings/learning', admin, { _csrf: csrfFrom(page.body), rootCauses: 'Poor or no communication\nDamp not treated\nDamp not treated' });
    assert.equal(saved.statusCode, 303);
    const s = (await t.call('GET', '/api/v1/settings/learning')).body;
    assert.deepEqual(s.rootCauses, [
      { key: 'communication', label: 'Poor or no communication' },
      { key: 'damp_not_treated', label: 'Damp not treated' },
      { key: 'damp_not_treated_2', label: 'Damp not treated' },
    ]);
    assert.equal((await getPage(t.app, '/settings/learning', handler)).statusCode, 403);
  });

  test('an Ombudsman case is recorded from the complaint; a determination without findings comes back with an error summary', async () => {
    const page = await getPage(t.app, `/complaints/${complaintId}/ombudsman`, handler);
    const noRef = await postForm(t.app, `/complaints/${complaintId}/ombudsman`, handler, { _csrf: csrfFrom(page.body), reference: '' });
    assert.equal(noRef.statusCode, 400);
    assert.match(textOf(noRef.body), /Enter the Ombudsman’s reference/);
    const made = await postForm(t.app, `/complaints/${complaintId}/ombudsman`, handler, { _csrf: csrfFrom(page.body), reference: '202600999', ombudsman: 'HOS' });
    assert.equal(made.statusCode, 303);
    const casePath = made.headers.location!.split('?')[0];
    const cp = await getPage(t.app, casePath, handler);
    assert.equal(cp.statusCode, 200);
    assert.match(textOf(cp.body), /Complaint Handling Failure Order/);
    const version = /name="version" value="(\d+)"/.exec(cp.body)![1];
    const bad = await postForm(t.app, `${casePath}/determination`, handler, { _csrf: csrfFrom(cp.body), version, 'determinedOn-day': '5', 'determinedOn-month': '1', 'determinedOn-year': '2026' });
    assert.equal(bad.statusCode, 400);
    assert.match(textOf(bad.body), /There is a problem Record a finding for each issue/);
    const dup = await postForm(t.app, `/complaints/${complaintId}/ombudsman`, handler, { _csrf: csrfFrom(page.body), reference: '202600999', ombudsman: 'HOS' });
    assert.equal(dup.statusCode, 422);
    assert.match(textOf(dup.body), /recorded already/);
  });
});
