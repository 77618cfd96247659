/** The record around a complaint: residents and their needs, restrictions, notes, correspondence, attachments, contacts, settings. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

forEachBackend('the case record', (backend) => {
  let t: TestApp;
  let complaint: any;
  before(async () => {
    t = await startTestApp(await backend.open());
    const r = await t.call('POST', '/api/v1/complaints', {
      body: { channel: 'phone', description: 'Damp in the bedroom', resident: { givenName: 'Priya', familyName: 'Shah', postcode: 'b15 2tt', email: 'priya@example.org', preferredContact: 'phone', communicationNeeds: ['large_print'] } },
    });
    assert.equal(r.status, 201);
    complaint = r.body;
  });
  after(async () => {
    await t?.close();
  });

  test('residents: found by name, postcode and reference; details changed with a version', async () => {
    const byName = await t.call('GET', '/api/v1/residents?name=pri%20sha');
    assert.equal(byName.body.items.length, 1);
    assert.equal(byName.body.items[0].address.postcode, 'B15 2TT');
    const byPostcode = await t.call('GET', '/api/v1/residents?postcode=b152');
    assert.equal(byPostcode.body.items[0].id, complaint.residentId);
    const ref = byName.body.items[0].reference;
    assert.match(ref, /^R\d{7}$/);
    assert.equal((await t.call('GET', `/api/v1/residents?reference=${ref}`)).body.items.length, 1);
    const resident = byName.body.items[0];
    const changed = await t.call('PATCH', `/api/v1/residents/${resident.id}`, { body: { version: resident.version, phone: '07700 900123' } });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.equal(changed.body.phone, '07700 900123');
    const stale = await t.call('PATCH', `/api/v1/residents/${resident.id}`, { body: { version: resident.version, phone: '0' } });
    assert.equal(stale.status, 409);
  });

  test('a receipt before 2000 or in the future is refused, naming the field, and nothing is created', async () => {
    const before = (await t.call('GET', '/api/v1/complaints?limit=200')).body.items.length;
    for (const receivedAt of ['0001-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '2099-01-01T00:00:00Z']) {
      const r = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Old', receivedAt, resident: { givenName: 'Ann', familyName: 'Old', postcode: 'B1 1AA' } } });
      assert.equal(r.status, 422, `${receivedAt}: ${JSON.stringify(r.body)}`);
      assert.match(JSON.stringify(r.body), /receivedAt/);
    }
    assert.equal((await t.call('GET', '/api/v1/complaints?limit=200')).body.items.length, before);
  });

  test('vulnerabilities, adjustments and restrictions with review dates; complaints flagged vulnerable', async () => {
    const id = complaint.residentId;
    const need = await t.call('POST', `/api/v1/residents/${id}/needs`, { body: { kind: 'vulnerability', description: 'Asthma made worse by damp', disclosedOn: '2025-04-10', reviewOn: '2025-10-10' } });
    assert.equal(need.status, 201, JSON.stringify(need.body));
    const adj = await t.call('POST', `/api/v1/residents/${id}/needs`, { body: { kind: 'adjustment', description: 'Letters in large print', reviewOn: '2026-04-10' } });
    assert.equal(adj.status, 201);
    const badRestriction = await t.call('POST', `/api/v1/residents/${id}/restrictions`, { body: { restriction: 'Contact by email only', reason: 'x', proportionality: 'y', equalityConsiderations: 'z', startsOn: '2025-05-01', reviewOn: '2025-04-01' } });
    assert.equal(badRestriction.status, 400);
    assert.equal(badRestriction.body.field, 'reviewOn');
    const restriction = await t.call('POST', `/api/v1/residents/${id}/restrictions`, {
      body: { restriction: 'Contact by email only', reason: 'Abusive calls on 3 occasions', proportionality: 'Email keeps contact open', equalityConsiderations: 'No disability affects email use', startsOn: '2025-05-01', reviewOn: '2025-08-01' },
    });
    assert.equal(restriction.status, 201);
    const r = await t.call('GET', `/api/v1/residents/${id}`);
    assert.equal(r.body.needs.length, 2);
    assert.equal(r.body.restrictions[0].reviewOn, '2025-08-01');
    assert.equal(r.body.complaints[0].id, complaint.id);
    const c = await t.call('GET', `/api/v1/complaints/${complaint.id}`);
    assert.equal(c.body.vulnerable, true);
    const vulnerable = await t.call('GET', '/api/v1/complaints?vulnerable=true');
    assert.ok(vulnerable.body.items.some((i: any) => i.id === complaint.id));
    const h = await t.call('GET', `/api/v1/complaints/${complaint.id}/history`);
    assert.ok(h.body.items.length >= 1);
  });

  test('notes and correspondence are on the case and in its history', async () => {
    const note = await t.call('POST', `/api/v1/complaints/${complaint.id}/notes`, { body: { body: 'Called the resident; surveyor booked.' } });
    assert.equal(note.status, 201);
    const msg = await t.call('POST', `/api/v1/complaints/${complaint.id}/correspondence`, { body: { direction: 'in', channel: 'email', subject: 'Photos', body: 'Please see the photos of the mould.', counterpart: 'priya@example.org' } });
    assert.equal(msg.status, 201);
    const notes = (await t.call('GET', `/api/v1/complaints/${complaint.id}/notes`)).body.items;
    assert.equal(notes.length, 1);
    assert.equal(notes[0].createdAt, '2025-04-17T10:00:00.000Z', 'records are stamped with the service clock');
    assert.equal((await t.call('GET', `/api/v1/complaints/${complaint.id}/correspondence`)).body.items[0].subject, 'Photos');
    const actions = (await t.call('GET', `/api/v1/complaints/${complaint.id}/history`)).body.items.map((i: any) => i.action);
    assert.ok(actions.includes('note_added') && actions.includes('message_received'));
  });

  test('attachments: kept exactly; wrong type, disguised content and oversize files refused with nothing saved', async () => {
    const ok = await t.call('POST', `/api/v1/complaints/${complaint.id}/attachments`, { body: { filename: 'mould.png', contentBase64: PNG.toString('base64') } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.contentType, 'image/png');
    const dl = await t.app.inject({ method: 'GET', url: `/api/v1/complaints/${complaint.id}/attachments/${ok.body.id}`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(dl.statusCode, 200);
    assert.deepEqual(dl.rawPayload, PNG);
    const exe = await t.call('POST', `/api/v1/complaints/${complaint.id}/attachments`, { body: { filename: 'photo.jpg', contentBase64: Buffer.from('MZ\x90\x00 this is a program').toString('base64') } });
    assert.equal(exe.status, 422);
    assert.equal(exe.body.field, 'file');
    const script = await t.call('POST', `/api/v1/complaints/${complaint.id}/attachments`, { body: { filename: 'run.exe', contentBase64: Buffer.from('MZ').toString('base64') } });
    assert.equal(script.status, 422);
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 0x20);
    const tooBig = await t.call('POST', `/api/v1/complaints/${complaint.id}/attachments`, { body: { filename: 'big.txt', contentBase64: big.toString('base64') } });
    assert.equal(tooBig.status, 422);
    assert.equal(tooBig.body.field, 'file');
    assert.match(tooBig.body.message, /10 MB/);
    const huge = await t.call('POST', `/api/v1/complaints/${complaint.id}/attachments`, { body: { filename: 'huge.txt', contentBase64: Buffer.alloc(20 * 1024 * 1024, 0x20).toString('base64') } });
    assert.equal(huge.status, 413);
    const list = await t.call('GET', `/api/v1/complaints/${complaint.id}/attachments`);
    assert.equal(list.body.items.length, 1);
  });

  test('a contact expressing dissatisfaction records whether the choice to complain was offered', async () => {
    const r = await t.call('POST', '/api/v1/contacts', { as: t.users.staff, body: { residentId: complaint.residentId, channel: 'phone', summary: 'Unhappy about repeat visits', choiceOffered: true, choice: 'service_request' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const bad = await t.call('POST', '/api/v1/contacts', { body: { channel: 'phone', summary: 'x', choiceOffered: false, choice: 'complaint' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.field, 'choiceOffered');
  });

  test('service areas and categories come from settings; a calendar change recalculates projected deadlines and says which', async () => {
    const bad = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'x', anonymous: true, serviceArea: 'Space programme' } });
    assert.equal(bad.status, 422);
    assert.equal(bad.body.field, 'serviceArea');
    const before = (await t.call('GET', `/api/v1/complaints/${complaint.id}`)).body;
    assert.equal(before.nextDue.date, '2025-04-28');
    const denied = await t.call('PATCH', '/api/v1/settings', { as: t.users.handler, body: { calendar: { division: 'england-and-wales', closureDays: ['2025-04-22'], cutoffTime: null } } });
    assert.equal(denied.status, 403);
    const r = await t.call('PATCH', '/api/v1/settings', { as: t.users.admin, body: { calendar: { division: 'england-and-wales', closureDays: ['2025-04-22'], cutoffTime: null } } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(r.body.recalculatedComplaints.includes(complaint.reference));
    const after = (await t.call('GET', `/api/v1/complaints/${complaint.id}`)).body;
    assert.equal(after.nextDue.date, '2025-04-29', 'the closure day on 22 April moves the acknowledgement a day later');
    const list = await t.call('GET', '/api/v1/complaints?limit=200');
    assert.equal(list.body.items.find((i: any) => i.id === complaint.id).nextDue.date, '2025-04-29');
  });

  test('tokens: exchange a password for a token; wrong passwords lock the account', async () => {
    await t.app.services.users.create({ id: null, name: 'system', role: 'system' }, { email: 'pat@test.example', name: 'Pat', role: 'handler', password: 'correct horse battery staple' });
    const ok = await t.call('POST', '/api/v1/tokens', { as: null, body: { email: 'pat@test.example', password: 'correct horse battery staple', name: 'cli' } });
    assert.equal(ok.status, 201);
    const me = await t.call('GET', '/api/v1/me', { as: { id: '', name: '', role: 'handler', token: ok.body.token } });
    assert.equal(me.body.name, 'Pat');
    for (let i = 0; i < 5; i++) {
      const bad = await t.call('POST', '/api/v1/tokens', { as: null, body: { email: 'pat@test.example', password: 'wrong', name: 'cli' } });
      assert.equal(bad.status, 401);
    }
    const locked = await t.call('POST', '/api/v1/tokens', { as: null, body: { email: 'pat@test.example', password: 'correct horse battery staple', name: 'cli' } });
    assert.equal(locked.status, 401);
    assert.equal(locked.body.error, 'locked');
  });
});
