/**
 * Letters end to end as managers meet them: template pages (refused save naming what is missing,
 * preview, revert, history), the outbox (filter, retry, dealt with, recorded on the case), letters
 * due on the case page and work list, and inbound email for triage with its files kept.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { DEFAULT_TEMPLATES } from '../../src/core/letters.js';
import { OutboxWorker, type Mailer } from '../../src/services/outbox.js';
import { signIn, csrfFrom } from './session.js';
import { makePng } from '../helpers/png.js';

const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;|&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

forEachBackend('letter administration pages', (backend) => {
  let t: TestApp;
  let manager: string;
  let handler: string;
  let c: any;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'val@test.example', name: 'Val Manager', role: 'manager', password: 'a long enough password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'hal@test.example', name: 'Hal Handler', role: 'handler', password: 'a long enough password' });
    manager = await signIn(t.app, 'val@test.example', 'a long enough password');
    handler = await signIn(t.app, 'hal@test.example', 'a long enough password');
    const r = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Leak', resident: { givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.org', postcode: 'N1 1AA' } } });
    c = r.body;
    const a = await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } });
    c = a.body;
  });
  after(async () => {
    await t?.close();
  });

  const post = (url: string, cookie: string, payload: Record<string, string>) =>
    t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(payload).toString() });
  const get = (url: string, cookie = manager) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  test('after acknowledging, the case page leads to the acknowledgement letter; it shows as due until sent', async () => {
    const form = await get(`/complaints/${c.id}/acknowledge`, handler);
    assert.equal(form.statusCode, 200);
    const ack = await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, {
      body: { version: c.version, definition: { understanding: 'The leak is not fixed', outcomesSought: 'Fix it', points: [{ summary: 'Repair delayed', landlordResponsible: true }] } },
    });
    assert.equal(ack.status, 200);
    const page = await get(`/complaints/${c.id}?done=acknowledge`, handler);
    assert.match(page.body, new RegExp(`href="/complaints/${c.id}/letters\\?kind=stage1_acknowledgement#preview">Send the stage 1 acknowledgement letter`));
    assert.match(text(page.body), /Letters due but not sent: The stage 1 acknowledgement/);
    const work = await get('/work?handler=all', manager);
    assert.match(text(work.body), /Letter due The stage 1 acknowledgement/);
    // Sending it clears both.
    const preview = await get(`/complaints/${c.id}/letters?kind=stage1_acknowledgement`, handler);
    const key = /name="idempotencyKey" value="([^"]+)"/.exec(preview.body)![1];
    assert.equal((await post(`/complaints/${c.id}/letters`, handler, { _csrf: csrfFrom(preview.body), kind: 'stage1_acknowledgement', idempotencyKey: key })).statusCode, 303);
    const after = await get(`/complaints/${c.id}?done=acknowledge`, handler);
    assert.doesNotMatch(after.body, /Letters due but not sent/);
    assert.doesNotMatch(after.body, /id="letter-next"/);
    assert.doesNotMatch(text((await get('/work?handler=all', manager)).body), /Letter due/);
  });

  test('with the extension notice set to go automatically, recording an extension sends it', async () => {
    const admin = { id: t.users.admin.id, name: 'Ada Admin', role: 'admin' as const };
    await t.app.services.settings.update(admin, { letters: { autoSend: ['extension'] } });
    const current = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
    const due = current.stages[0].responseDue as string;
    const next = new Date(`${due}T12:00:00Z`);
    next.setUTCDate(next.getUTCDate() + 7);
    const form = await get(`/complaints/${c.id}/extend`, handler);
    const r = await post(`/complaints/${c.id}/extend`, handler, {
      _csrf: csrfFrom(form.body),
      version: String(current.version),
      reason: 'We are waiting for the surveyor’s report.',
      'newDue-day': String(next.getUTCDate()),
      'newDue-month': String(next.getUTCMonth() + 1),
      'newDue-year': String(next.getUTCFullYear()),
      'residentToldOn-day': '17',
      'residentToldOn-month': '4',
      'residentToldOn-year': '2025',
      ombudsmanDetailsGiven: 'yes',
      updateEveryWorkingDays: '5',
    });
    assert.equal(r.statusCode, 303, text(r.body).slice(0, 2000));
    assert.equal(r.headers.location, `/complaints/${c.id}?done=extend&letter=sent`);
    const letters = (await t.call('GET', `/api/v1/complaints/${c.id}/letters`)).body.items;
    assert.deepEqual(letters.map((l: any) => l.kind).sort(), ['extension', 'stage1_acknowledgement'], 'sent at the same moment of the test clock');
    assert.match(letters.find((l: any) => l.kind === 'extension').subject, /We need more time/);
    const page = await get(r.headers.location as string, handler);
    assert.match(text(page.body), /The extension notice letter was sent automatically/);
    assert.doesNotMatch(page.body, /Letters due but not sent/);
    await t.app.services.settings.update(admin, { letters: { autoSend: [] } });
  });

  test('template pages: a save that drops a required element is refused naming it; preview; save; history; revert', async () => {
    const list = await get('/letter-templates');
    assert.equal(list.statusCode, 200);
    for (const title of ['The stage 1 acknowledgement', 'The remedy offer', 'The letter saying an action is done', 'The closure letter']) assert.match(list.body, new RegExp(title));
    assert.equal((await get('/letter-templates', handler)).statusCode, 403, 'handlers do not edit wording');
    const edit = await get('/letter-templates/extension');
    assert.equal(edit.statusCode, 200, text(edit.body).slice(0, 3000));
    assert.match(edit.body, /\{\{ ombudsman\.phone \}\}/, 'the documented fields are listed');
    assert.match(edit.body, /The Ombudsman’s phone number/, 'each field explained');
    const csrf = csrfFrom(edit.body);
    const dropped = DEFAULT_TEMPLATES.extension.body.replace('{{ ombudsman }}', 'Call us if unhappy.');
    const refused = await post('/letter-templates/extension', manager, { _csrf: csrf, version: '0', subject: DEFAULT_TEMPLATES.extension.subject, body: dropped, action: 'save' });
    assert.equal(refused.statusCode, 422);
    assert.match(refused.body, /govuk-error-summary/);
    assert.match(text(refused.body), /Add the Ombudsman's contact details: use \{\{ ombudsman \}\}/);
    assert.equal((await t.call('GET', '/api/v1/letter-templates/extension')).body.edited, false, 'nothing saved');

    const changed = DEFAULT_TEMPLATES.extension.body.replace('We are sorry, but we need more time', 'We are very sorry, but we need a little more time');
    const preview = await post('/letter-templates/extension', manager, { _csrf: csrf, version: '0', subject: DEFAULT_TEMPLATES.extension.subject, body: changed, action: 'preview' });
    assert.equal(preview.statusCode, 200);
    assert.match(text(preview.body), /Preview against the sample case/);
    assert.match(text(preview.body), /We are very sorry, but we need a little more time to send you our stage 1 response to your complaint CMP-000123/);
    const noCase = await post('/letter-templates/extension', manager, { _csrf: csrf, version: '0', subject: DEFAULT_TEMPLATES.extension.subject, body: changed, action: 'preview', reference: 'CMP-999999' });
    assert.equal(noCase.statusCode, 422);
    assert.match(text(noCase.body), /There is no complaint with the reference CMP-999999/);
    const onCase = await post('/letter-templates/stage1_acknowledgement', manager, { _csrf: csrf, version: '0', subject: DEFAULT_TEMPLATES.stage1_acknowledgement.subject, body: DEFAULT_TEMPLATES.stage1_acknowledgement.body, action: 'preview', reference: c.reference });
    assert.equal(onCase.statusCode, 200);
    assert.match(text(onCase.body), new RegExp(`Preview against ${c.reference}`));
    assert.match(text(onCase.body), /The leak is not fixed/);

    const saved = await post('/letter-templates/extension', manager, { _csrf: csrf, version: '0', subject: DEFAULT_TEMPLATES.extension.subject, body: changed, action: 'save' });
    assert.equal(saved.statusCode, 303);
    const again = await get('/letter-templates/extension');
    assert.match(text(again.body), /Val Manager Changed the wording \(version 1\)/);
    const reverted = await post('/letter-templates/extension/revert', manager, { _csrf: csrfFrom(again.body) });
    assert.equal(reverted.statusCode, 303);
    const last = await get('/letter-templates/extension?reverted=1');
    assert.match(text(last.body), /Val Manager Went back to the shipped wording/);
    assert.equal((await t.call('GET', '/api/v1/letter-templates/extension')).body.edited, false);
  });

  test('outbox page: filters; a failed email shows on the case, can be retried or recorded as dealt with', async () => {
    const refusing: Mailer = { kind: 'smtp', describe: 'test', async send() { throw Object.assign(new Error('550 mailbox unavailable'), { responseCode: 550, response: '550 mailbox unavailable' }); }, close() {} };
    const worker = new OutboxWorker(t.app.db, { mailer: refusing, from: () => 'a@example.org', clock: t.clock.now });
    assert.deepEqual(await worker.runOnce(), ['failed', 'failed'], 'the acknowledgement and the extension notice');
    const casePage = await get(`/complaints/${c.id}`, manager);
    assert.match(text(casePage.body), /An email to the resident failed/);
    const id = new RegExp('href="/outbox/([0-9a-f-]{36})"').exec(casePage.body)![1];
    const failed = await get('/outbox?status=needs-action');
    assert.equal(failed.statusCode, 200);
    assert.match(failed.body, new RegExp(`/outbox/${id}`));
    assert.doesNotMatch((await get('/outbox?status=sent')).body, new RegExp(`/outbox/${id}`));
    assert.match((await get(`/outbox?reference=${c.reference}`)).body, new RegExp(`/outbox/${id}`));
    assert.equal((await get('/outbox?reference=nonsense')).statusCode, 400);
    assert.equal((await get('/outbox', handler)).statusCode, 403);

    const page = await get(`/outbox/${id}`);
    assert.match(text(page.body), /550 mailbox unavailable/);
    const empty = await post(`/outbox/${id}/dealt-with`, manager, { _csrf: csrfFrom(page.body), note: ' ' });
    assert.equal(empty.statusCode, 422);
    assert.match(empty.body, /govuk-error-summary/);
    const dealt = await post(`/outbox/${id}/dealt-with`, manager, { _csrf: csrfFrom(page.body), note: 'Sent by post on 18 April' });
    assert.equal(dealt.statusCode, 303);
    const history = (await t.call('GET', `/api/v1/complaints/${c.id}/history`)).body.items;
    assert.ok(history.some((h: any) => h.action === 'email_failure_dealt_with' && h.after.note === 'Sent by post on 18 April'), 'recorded on the case');
    assert.doesNotMatch((await get(`/complaints/${c.id}`, manager)).body, new RegExp(`href="/outbox/${id}"`), 'no longer asks for action on the case page');
    assert.doesNotMatch((await get('/outbox?status=needs-action')).body, new RegExp(`/outbox/${id}`));
    const retry = await post(`/outbox/${id}/retry`, manager, { _csrf: csrfFrom(page.body) });
    assert.equal(retry.statusCode, 303);
    assert.equal((await t.app.db.selectFrom('outbox').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status, 'pending');
    // Through the API too: it fails again, shows as needing action, and is recorded as dealt with.
    assert.deepEqual(await worker.runOnce(), ['failed']);
    const needs = await t.call('GET', '/api/v1/outbox?needsAction=true');
    assert.ok(needs.body.items.some((i: any) => i.id === id));
    assert.equal((await t.call('POST', `/api/v1/outbox/${id}/dealt-with`, { body: { note: '' } })).status, 400);
    const api = await t.call('POST', `/api/v1/outbox/${id}/dealt-with`, { body: { note: 'Phoned the resident and read it out' } });
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.dealtWith.note, 'Phoned the resident and read it out');
    assert.ok(!(await t.call('GET', '/api/v1/outbox?needsAction=true')).body.items.some((i: any) => i.id === id));
    assert.equal((await t.call('POST', `/api/v1/outbox/${id}/dealt-with`, { body: { note: 'again' } })).status, 422, 'once only');
    const timeline = text((await get(`/complaints/${c.id}`, manager)).body);
    assert.match(timeline, /Failed email dealt with .*Phoned the resident and read it out/);
    assert.match(timeline, /Email failed/);
    assert.match(timeline, /Letter sent .*The stage 1 acknowledgement by email to ada@example\.org/);
  });

  test('email naming no case is queued for triage with its files, on a page', async () => {
    const raw = Buffer.from(
      [
        'From: Stranger <stranger@example.com>',
        'To: complaints@example.org.uk',
        'Subject: My boiler',
        'Message-ID: <triage-1@example.com>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain',
        '',
        'The boiler has failed again.',
        '--b',
        'Content-Type: application/pdf; name="photo.pdf"',
        'Content-Disposition: attachment; filename="photo.pdf"',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from('%PDF-1.4\n%test\n').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    const r = await t.app.services.inbound.receive(raw);
    assert.equal(r.status, 'triage');
    const page = await get('/inbound-email', handler);
    assert.equal(page.statusCode, 200);
    assert.match(text(page.body), /My boiler/);
    assert.match(text(page.body), /The boiler has failed again\./);
    const file = /href="(\/inbound-email\/attachments\/[0-9a-f-]{36})">photo\.pdf/.exec(page.body);
    assert.ok(file, 'the file is listed');
    const dl = await get(file![1], handler);
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
  });
});

forEachBackend('letters and email settings', (backend) => {
  let t: TestApp;
  let admin: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'ada@test.example', name: 'Ada Admin', role: 'admin', password: 'a long enough password' });
    admin = await signIn(t.app, 'ada@test.example', 'a long enough password');
  });
  after(async () => {
    await t?.close();
  });

  const PNG = makePng(120, 40);
  // A PNG header over broken image data: its size reads, but it cannot be drawn.
  const BROKEN = Buffer.concat([PNG.subarray(0, 33), Buffer.from('0000000a49444154deadbeefdeadbeefdead00000000', 'hex'), PNG.subarray(PNG.length - 12)]);

  function multipart(fields: Record<string, string>, file: { name: string; filename: string; type: string; data: Buffer }) {
    const boundary = 'x-boundary-1234';
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: ${file.type}\r\n\r\n`), file.data, Buffer.from(`\r\n--${boundary}--\r\n`));
    return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
  }

  test('sender identity is checked and saved; a logo is uploaded, served from the app and put on letters', async () => {
    const page = await t.app.inject({ method: 'GET', url: '/settings/letters', headers: { cookie: admin } });
    assert.equal(page.statusCode, 200);
    const csrf = csrfFrom(page.body);
    const bad = await t.app.inject({ method: 'POST', url: '/settings/letters', headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, fromName: 'Complaints', fromAddress: 'not an address' }).toString() });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#fromAddress"/);
    const ok = await t.app.inject({ method: 'POST', url: '/settings/letters', headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, fromName: 'Complaints team', fromAddress: 'letters@example.org.uk' }).toString() });
    assert.equal(ok.statusCode, 303);
    t.app.services.settings.invalidate();
    assert.deepEqual((await t.app.services.settings.get()).mail, { fromName: 'Complaints team', fromAddress: 'letters@example.org.uk' });

    const notImage = multipart({ _csrf: csrf }, { name: 'logo', filename: 'logo.png', type: 'image/png', data: Buffer.from('not an image') });
    const refused = await t.app.inject({ method: 'POST', url: '/settings/letters/logo', headers: { cookie: admin, ...notImage.headers }, payload: notImage.payload });
    assert.equal(refused.statusCode, 400);
    assert.match(text(refused.body), /The logo must be a PNG or JPEG image/);
    const broken = multipart({ _csrf: csrf }, { name: 'logo', filename: 'logo.png', type: 'image/png', data: BROKEN });
    const unreadable = await t.app.inject({ method: 'POST', url: '/settings/letters/logo', headers: { cookie: admin, ...broken.headers }, payload: broken.payload });
    assert.equal(unreadable.statusCode, 400);
    assert.match(text(unreadable.body), /The logo could not be read/);
    const forged = multipart({ _csrf: 'wrong' }, { name: 'logo', filename: 'logo.png', type: 'image/png', data: PNG });
    assert.equal((await t.app.inject({ method: 'POST', url: '/settings/letters/logo', headers: { cookie: admin, ...forged.headers }, payload: forged.payload })).statusCode, 403, 'an upload without the form token is refused');
    const up = multipart({ _csrf: csrf }, { name: 'logo', filename: 'logo.png', type: 'image/png', data: PNG });
    const saved = await t.app.inject({ method: 'POST', url: '/settings/letters/logo', headers: { cookie: admin, ...up.headers }, payload: up.payload });
    assert.equal(saved.statusCode, 303, saved.body);
    t.app.services.settings.invalidate();
    const logoUrl = (await t.app.services.settings.get()).landlord.logoUrl!;
    assert.match(logoUrl, /^\/letterhead\/logo\?v=[0-9a-f]{12}$/, 'served from the app, so img-src self allows it');
    const served = await t.app.inject({ method: 'GET', url: logoUrl });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/png');
    assert.deepEqual(served.rawPayload, PNG);
    const after = await t.app.inject({ method: 'GET', url: '/settings/letters', headers: { cookie: admin } });
    assert.match(after.body, /<img src="\/letterhead\/logo\?v=/);
    const auto = await t.app.inject({ method: 'POST', url: '/settings/letters/auto', headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'autoSend=closure&autoSend=extension&_csrf=' + encodeURIComponent(csrf) });
    assert.equal(auto.statusCode, 303);
    t.app.services.settings.invalidate();
    assert.deepEqual((await t.app.services.settings.get()).letters.autoSend, ['extension', 'closure']);
    const badAuto = await t.app.inject({ method: 'POST', url: '/settings/letters/auto', headers: { cookie: admin, 'content-type': 'application/x-www-form-urlencoded' }, payload: 'autoSend=update&_csrf=' + encodeURIComponent(csrf) });
    assert.equal(badAuto.statusCode, 400);
  });
});
