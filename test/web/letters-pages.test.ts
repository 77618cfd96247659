/** Letters from the case: preview with the Code's checks, send once, download as sent. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { signIn, csrfFrom } from './session.js';

forEachBackend('letter pages', (backend) => {
  let t: TestApp;
  let cookie: string;
  let id: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'val@test.example', name: 'Val Manager', role: 'manager', password: 'a long enough password' });
    cookie = await signIn(t.app, 'val@test.example', 'a long enough password');
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Leak', resident: { givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.org', postcode: 'N1 1AA' } } });
    id = c.body.id;
    const a = await t.call('POST', `/api/v1/complaints/${id}/assign`, { body: { version: c.body.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } });
    const ack = await t.call('POST', `/api/v1/complaints/${id}/acknowledge`, {
      body: { version: a.body.version, definition: { understanding: 'The leak is not fixed', outcomesSought: 'Fix it', points: [{ summary: 'Repair delayed', landlordResponsible: true }] } },
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
  });
  after(async () => {
    await t?.close();
  });

  test('preview shows the letter, its checks and readability; sending once keeps it on the case; PDF and Word download', async () => {
    const preview = await t.app.inject({ method: 'GET', url: `/complaints/${id}/letters?kind=stage1_acknowledgement`, headers: { cookie } });
    assert.equal(preview.statusCode, 200);
    assert.match(preview.body, /Preview: The stage 1 acknowledgement/);
    assert.match(preview.body, /The leak is not fixed/);
    assert.match(preview.body, /Reading ease \d+/);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(preview.body)![1];
    const payload = { _csrf: csrfFrom(preview.body), kind: 'stage1_acknowledgement', idempotencyKey: key };
    const sent = await t.app.inject({ method: 'POST', url: `/complaints/${id}/letters`, headers: { cookie }, payload });
    assert.equal(sent.statusCode, 303, sent.body);
    const again = await t.app.inject({ method: 'POST', url: `/complaints/${id}/letters`, headers: { cookie }, payload });
    assert.equal(again.statusCode, 303);
    const list = await t.call('GET', `/api/v1/complaints/${id}/letters`);
    assert.equal(list.body.items?.length ?? list.body.length, 1, 'a resubmitted form sends one letter');
    const page = await t.app.inject({ method: 'GET', url: `/complaints/${id}/letters?sent=1`, headers: { cookie } });
    assert.match(page.body, /Letter sent and kept on the case/);
    const letterId = /\/letters\/([0-9a-f-]{36})\/pdf/.exec(page.body)![1];
    const pdf = await t.app.inject({ method: 'GET', url: `/complaints/${id}/letters/${letterId}/pdf`, headers: { cookie } });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
    const docx = await t.app.inject({ method: 'GET', url: `/complaints/${id}/letters/${letterId}/docx`, headers: { cookie } });
    assert.equal(docx.statusCode, 200);
    assert.equal(docx.rawPayload.subarray(0, 2).toString('latin1'), 'PK');
  });

  test('a letter the case cannot yet support is not offered for sending', async () => {
    const r = await t.app.inject({ method: 'GET', url: `/complaints/${id}/letters?kind=stage1_response`, headers: { cookie } });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /govuk-error-summary/);
    assert.doesNotMatch(r.body, /Send this letter/);
  });
});
