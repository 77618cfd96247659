/** Search: complaints by reference and by words in the description, residents by name, postcode and reference. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { getPage, signIn, textOf } from './session.js';

const PASSWORD = 'a long enough password 3';

forEachBackend('search', (backend) => {
  let t: TestApp;
  let handler: string;
  let staff: string;
  let board: string;
  let reference: string;
  let residentRef: string;

  before(async () => {
    t = await startTestApp(await backend.open());
    const { users } = t.app.services;
    await users.create(SYSTEM_ACTOR, { email: 'hana.search@test.example', name: 'Hana Search', role: 'handler', password: PASSWORD });
    await users.create(SYSTEM_ACTOR, { email: 'sam.search@test.example', name: 'Sam Search', role: 'staff', password: PASSWORD });
    await users.create(SYSTEM_ACTOR, { email: 'bea.search@test.example', name: 'Bea Search', role: 'governance', password: PASSWORD });
    handler = await signIn(t.app, 'hana.search@test.example', PASSWORD);
    staff = await signIn(t.app, 'sam.search@test.example', PASSWORD);
    board = await signIn(t.app, 'bea.search@test.example', PASSWORD);
    const r = await t.call('POST', '/api/v1/residents', { body: { givenName: 'Wilma', familyName: 'Quayle', postcode: 'ZX9 8YW', tenure: 'LCRA', preferredContact: 'letter', addressLine1: '1 Quay Street' } });
    residentRef = r.body.reference;
    const a = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Black MOULD in the bathroom ceiling', residentId: r.body.id } });
    reference = a.body.reference;
    await t.call('POST', '/api/v1/complaints', { body: { channel: 'email', description: 'Noisy neighbours at night', anonymous: true } });
    await t.call('POST', '/api/v1/complaints', { body: { channel: 'email', description: '100%_sure this is a test', anonymous: true } });
  });
  after(async () => {
    await t?.close();
  });

  const complaintRefs = (html: string) => [...html.matchAll(/href="\/complaints\/[0-9a-f-]{36}">(CMP-\d+)</g)].map((m) => m[1]);
  const residentLinks = (html: string) => [...html.matchAll(/href="\/residents\/([0-9a-f-]{36})">/g)].map((m) => m[1]);

  test('finds a complaint by its exact reference, in any case', async () => {
    for (const q of [reference, reference.toLowerCase()]) {
      const res = await getPage(t.app, `/search?q=${encodeURIComponent(q)}`, handler);
      assert.equal(res.statusCode, 200);
      assert.deepEqual(complaintRefs(res.body), [reference]);
    }
  });

  test('finds complaints by words in the description, case-insensitively, every word needed', async () => {
    const res = await getPage(t.app, '/search?q=mould', handler);
    assert.deepEqual(complaintRefs(res.body), [reference]);
    assert.ok(textOf(res.body).includes('Wilma Quayle'), 'the table shows the resident');
    const both = await getPage(t.app, '/search?q=mould+kitchen', handler);
    assert.deepEqual(complaintRefs(both.body), []);
    assert.ok(textOf(both.body).includes('No complaints match ‘mould kitchen’'));
    const wild = await getPage(t.app, '/search?q=%25_', handler);
    assert.equal(complaintRefs(wild.body).length, 1, 'LIKE wildcards are searched for literally');
  });

  test('finds residents by postcode, name and reference', async () => {
    for (const q of ['zx9 8yw', 'ZX9', 'Quayle', 'wil qua', residentRef]) {
      const res = await getPage(t.app, `/search?q=${encodeURIComponent(q)}`, handler);
      assert.equal(residentLinks(res.body).length, 1, `"${q}" finds the resident`);
      assert.ok(textOf(res.body).includes('Wilma Quayle'));
    }
    const none = await getPage(t.app, '/search?q=Nobody', handler);
    assert.equal(residentLinks(none.body).length, 0);
    assert.ok(textOf(none.body).includes('No residents match ‘Nobody’'));
  });

  test('shows only what the role may read', async () => {
    const s = await getPage(t.app, '/search?q=Quayle', staff);
    assert.equal(s.statusCode, 200);
    assert.equal(residentLinks(s.body).length, 1);
    assert.ok(!textOf(s.body).includes('Complaints ('), 'staff see no complaints');
    assert.ok(!textOf(s.body).includes('No complaints match'));

    const g = await getPage(t.app, '/search?q=mould', board);
    assert.equal(g.statusCode, 200);
    assert.deepEqual(complaintRefs(g.body), [reference]);
    assert.equal(residentLinks(g.body).length, 0);
    assert.ok(!textOf(g.body).includes('No residents match'), 'governance see no residents');
  });

  test('an empty search shows just the box; signing in is needed', async () => {
    const res = await getPage(t.app, '/search', handler);
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /<form method="get" action="\/search" role="search">/);
    assert.deepEqual(complaintRefs(res.body), []);
    const anon = await t.app.inject({ method: 'GET', url: '/search?q=mould' });
    assert.equal(anon.statusCode, 303);
  });
});
