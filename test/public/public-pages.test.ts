/**
 * Residents' pages through HTTP, on PGlite and PostgreSQL: making a complaint (as the resident and
 * as a representative), matching an existing resident, following it by emailed one-time link or by
 * reference, surname and postcode, adding information and files, escalating; and the protections:
 * rate limits, honeypot, refused uploads with nothing half-saved, no way to learn whether a
 * reference exists, and no personal data in addresses.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { acknowledgeBody, respondBody, step } from '../browser/support/seed.js';
import { fillDraft, ptFrom, ResidentClient, send, TINY_PNG } from './client.js';
import { textOf } from '../web/session.js';

const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(1022, 0x90)]); // a Windows executable's header

async function counts(t: TestApp) {
  const db = t.app.db;
  const n = async (table: 'complaints' | 'residents' | 'attachments' | 'correspondence' | 'representatives' | 'resident_needs' | 'public_draft_files' | 'history') =>
    Number((await db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
  return {
    complaints: await n('complaints'),
    residents: await n('residents'),
    attachments: await n('attachments'),
    correspondence: await n('correspondence'),
    representatives: await n('representatives'),
    needs: await n('resident_needs'),
    draftFiles: await n('public_draft_files'),
    history: await n('history'),
  };
}

async function outboxTo(t: TestApp, email: string) {
  const rows = await t.app.db.selectFrom('outbox').selectAll().orderBy('created_at').execute();
  return rows.filter((r) => (r.to_addresses as unknown as string[]).includes(email));
}

function linkIn(text: string): string {
  const m = /\/complain\/follow\/link\?t=([A-Za-z0-9_-]+)/.exec(text);
  assert.ok(m, `a follow link in: ${text}`);
  return m[1];
}

async function submitted(t: TestApp, c: ResidentClient, o: Parameters<typeof fillDraft>[1] = {}, opts: { file?: boolean } = {}) {
  const check = await fillDraft(c, o, opts);
  assert.equal(check.status, 200, check.body.slice(0, 500));
  const r = await send(c);
  assert.equal(r.location, '/complain/new/confirmation', r.body.slice(0, 500));
  const conf = await c.get('/complain/new/confirmation');
  const reference = /CMP-\d{6}/.exec(conf.body)![0];
  const row = await t.app.db.selectFrom('complaints').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
  return { reference, id: row.id, row, confirmation: textOf(conf.body) };
}

forEachBackend('residents’ own pages', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z'); // Thursday before Easter
  });
  after(async () => t?.close());

  test('a representative makes a complaint: question pages, check answers, confirmation with the acknowledgement date; staff see it all', async () => {
    const c = new ResidentClient(t.app, '198.51.100.1');
    const before = await counts(t);
    const { reference, id, row, confirmation } = await submitted(t, c, { who: 'representative', givenName: 'Nadia', familyName: 'Okafor', help: ['large_print', 'language', 'phone_instead_of_letters'] }, { file: true });
    // Received Thursday 17 April 2025: Good Friday and Easter Monday are not working days.
    assert.match(confirmation, /We will acknowledge your complaint by Monday 28 April 2025/);
    assert.match(confirmation, new RegExp(`Your reference is ${reference}`));
    assert.equal(row.channel, 'web');
    assert.equal(row.help_needed, 'Large print; Another language: Polish; A phone call instead of letters');
    const after = await counts(t);
    assert.deepEqual(
      { complaints: after.complaints - before.complaints, residents: after.residents - before.residents, reps: after.representatives - before.representatives, attachments: after.attachments - before.attachments, draftFiles: after.draftFiles },
      { complaints: 1, residents: 1, reps: 1, attachments: 1, draftFiles: 0 },
    );
    const resident = await t.app.db.selectFrom('residents').selectAll().where('id', '=', row.resident_id!).executeTakeFirstOrThrow();
    assert.deepEqual(resident.communication_needs, ['Large print', 'Another language: Polish', 'A phone call instead of letters']);
    assert.equal(resident.language, 'Polish');
    assert.equal(resident.email, null, 'the representative’s email is theirs, not the resident’s');
    const rep = await t.app.db.selectFrom('representatives').selectAll().where('id', '=', row.representative_id!).executeTakeFirstOrThrow();
    assert.equal(rep.name, 'Rita Helper');
    assert.equal(rep.email, 'nadia@example.net');
    assert.match(rep.consent_evidence, /My mother asked me/);
    // The receipt email with the reference is in the outbox.
    const mail = await outboxTo(t, 'nadia@example.net');
    assert.ok(mail.some((m) => m.subject === `We have your complaint: ${reference}` && m.complaint_id === id));

    // Staff: the case page shows the needs, the representative, the file and the answers as a message in.
    const file = await t.app.services.complaints.caseFile({ id: t.users.manager.id, name: 'Mo', role: 'manager' }, id);
    assert.equal(file.attachments.length, 1);
    assert.equal(file.attachments[0].filename, 'mould.png');
    assert.ok(file.messages.some((m) => m.subject === 'Online complaint form' && /Rita Helper \(Daughter\)/.test(m.body)));
    assert.ok(file.history.some((h) => h.action === 'received' && h.actor.name === 'Resident (online)'));
    const ess = await t.app.services.complaints.residents.essentials({ id: t.users.manager.id, name: 'Mo', role: 'manager' }, row.resident_id!);
    assert.equal(ess.representatives.length, 1);

    // The confirmation page cannot be used to send the same draft again.
    const again = await c.post('/complain/new/check', { _pt: 'x' });
    assert.equal(again.location, '/complain/new/who');
    assert.equal((await counts(t)).complaints, after.complaints);
  });

  test('an existing resident with the same name and postcode is matched, not duplicated, and their record is not changed', async () => {
    const existing = await t.call('POST', '/api/v1/residents', { body: { givenName: 'Olu', familyName: 'Adeyemi', postcode: 'M1 1AE', addressLine1: '5 Canal St', email: 'olu@old.example', tenure: 'LCRA', preferredContact: 'letter' } });
    assert.equal(existing.status, 201, JSON.stringify(existing.body));
    const before = await counts(t);
    const c = new ResidentClient(t.app, '198.51.100.2');
    const { row } = await submitted(t, c, { givenName: 'olu', familyName: 'ADEYEMI', postcode: 'm11ae', email: 'olu@new.example', help: ['bsl'] });
    assert.equal(row.resident_id, existing.body.id);
    const after = await counts(t);
    assert.equal(after.residents, before.residents, 'no new resident');
    const r = await t.app.db.selectFrom('residents').selectAll().where('id', '=', existing.body.id).executeTakeFirstOrThrow();
    assert.equal(r.email, 'olu@old.example', 'the record is not overwritten from an unchecked form');
    const needs = await t.app.db.selectFrom('resident_needs').selectAll().where('resident_id', '=', existing.body.id).execute();
    assert.deepEqual(needs.map((n) => [n.kind, n.description]), [['adjustment', 'British Sign Language (BSL)']]);
  });

  test('question pages: errors name the field; answers are kept server-side, not in the address; change links return to check', async () => {
    const c = new ResidentClient(t.app, '198.51.100.3');
    const noDraft = await c.get('/complain/new/address');
    assert.equal(noDraft.location, '/complain/new/who', 'no skipping ahead without a draft');
    const bad = await c.post('/complain/new/who', {});
    assert.equal(bad.status, 400);
    assert.match(bad.body, /govuk-error-summary/);
    assert.match(textOf(bad.body), /Select whether you are the resident or complaining for someone else/);
    assert.match(bad.body, /<title>Error: /);
    assert.match(bad.body, /href="\/complain" class="app-header__name/, 'the header leads residents to the complaints start page');
    await fillDraft(c, { familyName: 'Bell', email: 'bell@example.net' });
    assert.ok(c.cookies.get('putright_draft'), 'the draft id is in a cookie');
    const postcode = await c.answer('address', { addressLine1: '1 Road', postcode: 'not a postcode' });
    assert.equal(postcode.status, 400);
    assert.match(textOf(postcode.body), /Enter a real postcode, like AB1 2CD/);
    const ch = await c.get('/complain/new/contact?change=1');
    const changed = await c.post('/complain/new/contact', { _pt: ptFrom(ch.body), change: '1', email: '', phone: '', preferredContact: 'email' });
    assert.equal(changed.status, 400);
    assert.match(textOf(changed.body), /Enter your email address, or choose another way for us to contact you/);
    const ok = await c.post('/complain/new/contact', { _pt: ptFrom(ch.body), change: '1', email: 'bell@example.net', phone: '', preferredContact: 'letter' });
    assert.equal(ok.location, '/complain/new/check');
    const check = await c.get('/complain/new/check');
    assert.match(textOf(check.body), /Prefers: Letter/);
    // A form without the draft's token is refused and changes nothing.
    const forged = await c.post('/complain/new/contact', { email: 'evil@example.net', preferredContact: 'email' });
    assert.equal(forged.status, 403);
    assert.doesNotMatch(textOf((await c.get('/complain/new/check')).body), /evil@example/);
  });

  test('uploads: an executable renamed .jpg and a 20 MB file are refused with a clear message, and nothing is half-saved', async () => {
    const c = new ResidentClient(t.app, '198.51.100.4');
    await fillDraft(c, { familyName: 'Upload' });
    const files = await c.get('/complain/new/files');
    const pt = ptFrom(files.body);
    const exe = await c.postMultipart('/complain/new/files', { _pt: pt, action: 'upload' }, { name: 'photo.jpg', data: EXE, type: 'image/jpeg' });
    assert.equal(exe.status, 400);
    assert.match(textOf(exe.body), /The file's content is not a JPG file\. It has not been added\./);
    const big = Buffer.alloc(20 * 1024 * 1024, 0xff);
    big[0] = 0xff;
    big[1] = 0xd8;
    big[2] = 0xff;
    const large = await c.postMultipart('/complain/new/files', { _pt: pt, action: 'upload' }, { name: 'huge.jpg', data: big, type: 'image/jpeg' });
    assert.equal(large.status, 400);
    assert.match(textOf(large.body), /The file must be smaller than 10 MB\. It has not been added\./);
    assert.equal((await counts(t)).draftFiles, 0, 'no refused file kept with the draft');
    const before = await counts(t);
    const r = await send(c);
    assert.equal(r.location, '/complain/new/confirmation');
    const after = await counts(t);
    assert.equal(after.attachments, before.attachments, 'the complaint went without the refused files');
  });

  test('following by email: one-time link to the email on the complaint, identical answer for unknown references, single use, expiry, session bound to one complaint', async () => {
    const c = new ResidentClient(t.app, '198.51.100.5');
    const { reference, id } = await submitted(t, c, { familyName: 'Follow', email: 'follow@example.net' });
    const other = await submitted(t, new ResidentClient(t.app, '198.51.100.6'), { familyName: 'Other', email: 'other@example.net' });

    const r = new ResidentClient(t.app, '198.51.100.7');
    const known = await r.post('/complain/follow/email', { reference: reference.toLowerCase() });
    const unknown = await r.post('/complain/follow/email', { reference: 'CMP-999999' });
    assert.equal(known.status, 303);
    assert.deepEqual([known.status, known.location], [unknown.status, unknown.location], 'the same answer whether or not the reference exists');
    const page1 = await r.get(known.location!);
    assert.match(textOf(page1.body), /If the reference matches a complaint with an email address, we have sent a link/);
    const mails = (await outboxTo(t, 'follow@example.net')).filter((m) => m.kind === 'follow_link');
    assert.equal(mails.length, 1);
    assert.equal(mails[0].complaint_id, id);
    const token = linkIn(mails[0].text_body);

    // Opening the link shows a button (a mail scanner fetching it does not use it up).
    const open = await r.get(`/complain/follow/link?t=${token}`);
    assert.equal(open.status, 200);
    const used = await r.post('/complain/follow/link', { t: token });
    assert.equal(used.location, '/complain/follow/case');
    const casePage = await r.get('/complain/follow/case');
    assert.equal(casePage.status, 200);
    assert.match(textOf(casePage.body), new RegExp(`${reference} Stage 1: Awaiting acknowledgement`));
    assert.match(textOf(casePage.body), /Stage 1 acknowledgement Due by Monday 28 April 2025/);
    assert.doesNotMatch(casePage.body, new RegExp(other.reference), 'only this complaint');

    // Single use: a second try (another browser) fails.
    const again = await new ResidentClient(t.app, '198.51.100.8').post('/complain/follow/link', { t: token });
    assert.equal(again.status, 400);
    assert.match(textOf(again.body), /Links work once, for 30 minutes/);

    // Expiry: a link used after 30 minutes fails.
    await r.post('/complain/follow/email', { reference });
    const second = (await outboxTo(t, 'follow@example.net')).filter((m) => m.kind === 'follow_link');
    const token2 = linkIn(second[1].text_body);
    t.clock.set('2025-04-17T09:31:00Z');
    const late = await new ResidentClient(t.app, '198.51.100.9').post('/complain/follow/link', { t: token2 });
    assert.equal(late.status, 400);
    t.clock.set('2025-04-17T09:00:00Z');

    // Signing out ends the session.
    await r.post('/complain/follow/sign-out', {});
    assert.equal((await r.get('/complain/follow/case')).location, '/complain/follow');
  });

  test('following by reference, surname and postcode: a wrong reference and a wrong surname look exactly the same', async () => {
    const c = new ResidentClient(t.app, '198.51.100.10');
    const { reference } = await submitted(t, c, { familyName: "O'Brien", postcode: 'LS6 2AB', email: 'ob@example.net' });
    const r = new ResidentClient(t.app, '198.51.100.11');
    const wrongRef = await r.post('/complain/follow/details', { detailsReference: 'CMP-999998', surname: "O'Brien", postcode: 'LS6 2AB' });
    const wrongName = await r.post('/complain/follow/details', { detailsReference: 'CMP-999998', surname: 'Smith', postcode: 'LS6 2AB' });
    const wrongSurname = await r.post('/complain/follow/details', { detailsReference: reference, surname: 'Smith', postcode: 'LS6 2AB' });
    assert.equal(wrongRef.status, 400);
    const strip = (b: string, ref: string) => b.replace(/nonce-[^"']+|nonce="[^"]+"/g, '').replace(ref, 'REF').replace(/value="CMP-\d+"/g, 'value="REF"').replace(/Smith|O&#39;Brien/g, 'NAME');
    assert.equal(strip(wrongRef.body, 'CMP-999998'), strip(wrongSurname.body, reference), 'identical pages for a wrong reference and a wrong surname');
    assert.equal(strip(wrongName.body, 'CMP-999998'), strip(wrongSurname.body, reference));
    const ok = await r.post('/complain/follow/details', { detailsReference: reference.toLowerCase(), surname: 'obrien', postcode: 'ls62ab' });
    assert.equal(ok.location, '/complain/follow/case');
    assert.match(textOf((await r.get('/complain/follow/case')).body), new RegExp(reference));
  });

  test('adding information and a file files them on the case with history; a refused file saves nothing; escalation in one step shows the stage 2 date', async () => {
    const c = new ResidentClient(t.app, '198.51.100.12');
    const { reference, id } = await submitted(t, c, { familyName: 'Escalate', postcode: 'LS1 1AA', email: 'esc@example.net' });
    const r = new ResidentClient(t.app, '198.51.100.13');
    assert.equal((await r.post('/complain/follow/details', { detailsReference: reference, surname: 'Escalate', postcode: 'LS1 1AA' })).location, '/complain/follow/case');
    let page = await r.get('/complain/follow/case');
    const pt = ptFrom(page.body);

    const before = await counts(t);
    const refused = await r.postMultipart('/complain/follow/add', { _pt: pt, information: 'Here is the photo' }, { name: 'bedroom.jpg', data: EXE });
    assert.equal(refused.status, 400);
    assert.match(textOf(refused.body), /The file's content is not a JPG file\. Nothing has been sent\./);
    assert.deepEqual(await counts(t), before, 'nothing half-saved: no message without its file');

    const added = await r.postMultipart('/complain/follow/add', { _pt: pt, information: 'The mould has spread to the hall' }, { name: 'hall.png', data: TINY_PNG, type: 'image/png' });
    assert.equal(added.location, '/complain/follow/case?done=added');
    const manager = { id: t.users.manager.id, name: 'Mo', role: 'manager' as const };
    let file = await t.app.services.complaints.caseFile(manager, id);
    assert.ok(file.messages.some((m) => m.subject === 'Information added online' && m.body === 'The mould has spread to the hall'));
    assert.ok(file.attachments.some((a) => a.filename === 'hall.png' && a.description === 'Added online by the resident'));
    assert.ok(file.history.some((h) => h.action === 'attachment_added' && h.actor.name === 'Resident (online)'));

    // No escalation before the stage 1 answer.
    assert.equal((await r.get('/complain/follow/escalate')).location, '/complain/follow/case');
    await step(t, id, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
    await step(t, id, 'acknowledge', acknowledgeBody);
    t.clock.set('2025-04-24T09:00:00Z');
    await step(t, id, 'respond', respondBody);
    assert.equal((await r.get('/complain/follow/case')).location, '/complain/follow', 'a follow session lasts an hour');
    assert.equal((await r.post('/complain/follow/details', { detailsReference: reference, surname: 'Escalate', postcode: 'LS1 1AA' })).location, '/complain/follow/case');
    page = await r.get('/complain/follow/case');
    assert.match(textOf(page.body), /Stage 1 answer Sent Thursday 24 April 2025/);
    assert.match(textOf(page.body), /Repair the ceiling: by Friday 30 May 2025/, 'outstanding actions shown');
    const form = await r.get('/complain/follow/escalate');
    assert.equal(form.status, 200);
    const esc = await r.post('/complain/follow/escalate', { _pt: ptFrom(form.body), reason: '' });
    assert.equal(esc.location, '/complain/follow/escalated');
    const done = textOf((await r.get('/complain/follow/escalated')).body);
    assert.match(done, /We will acknowledge your stage 2 request by Thursday 1 May 2025/);
    file = await t.app.services.complaints.caseFile(manager, id);
    assert.equal(file.complaint.stage, 2);
    assert.ok(file.history.some((h) => h.action === 'escalation_requested' && h.actor.name === 'Resident (online)'));
    // A second click changes nothing.
    await r.post('/complain/follow/escalate', { _pt: ptFrom(form.body) });
    assert.equal((await t.app.services.complaints.caseFile(manager, id)).history.filter((h) => h.action === 'escalation_requested').length, 1);
    t.clock.set('2025-04-17T09:00:00Z');
  });

  test('honeypot: a filled hidden field is refused and nothing is saved', async () => {
    const c = new ResidentClient(t.app, '198.51.100.14');
    await fillDraft(c, { familyName: 'Robot' });
    const before = await counts(t);
    const r = await send(c, { website: 'http://spam.example' });
    assert.equal(r.status, 400);
    assert.match(textOf(r.body), /Your form could not be sent/);
    assert.deepEqual(await counts(t), before);
  });

  test('50 rapid submissions from one address are throttled, and nothing is half-saved', async () => {
    const c = new ResidentClient(t.app, '192.0.2.50');
    const before = await counts(t);
    let throttled = 0;
    let sent = 0;
    for (let i = 0; i < 50; i++) {
      const fresh = new ResidentClient(t.app, '192.0.2.50'); // a new draft each time, same address
      const check = await fillDraft(fresh, { familyName: `Flood${i}`, email: `flood${i}@example.net` });
      const r = check.status === 429 ? check : await send(fresh);
      if (r.status === 429) {
        throttled++;
        assert.match(textOf(r.body), /You have tried too many times/);
        assert.ok(Number(r.headers['retry-after']) > 0);
      } else if (r.location === '/complain/new/confirmation') sent++;
      else assert.fail(`unexpected ${r.status} ${r.location}`);
    }
    void c;
    assert.equal(sent, 10, 'ten complaints an hour from one address');
    assert.equal(throttled, 40);
    const after = await counts(t);
    assert.equal(after.complaints - before.complaints, 10);
    assert.equal(after.residents - before.residents, 10, 'no resident without a complaint');
    // Another address is not affected.
    const other = new ResidentClient(t.app, '192.0.2.51');
    await fillDraft(other, { familyName: 'Neighbour' });
    assert.equal((await send(other)).location, '/complain/new/confirmation');
  });

  test('follow links: limited per email address; lookups limited per address', async () => {
    const c = new ResidentClient(t.app, '198.51.100.20');
    const { reference } = await submitted(t, c, { familyName: 'Limit', email: 'limit@example.net' });
    const r = new ResidentClient(t.app, '198.51.100.21');
    for (let i = 0; i < 6; i++) assert.equal((await r.post('/complain/follow/email', { reference })).location, '/complain/follow/check-your-email');
    assert.equal((await outboxTo(t, 'limit@example.net')).filter((m) => m.kind === 'follow_link').length, 3, 'three links an hour to one inbox');
    const g = new ResidentClient(t.app, '198.51.100.22');
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await g.post('/complain/follow/details', { detailsReference: `CMP-99${String(i).padStart(4, '0')}`, surname: 'Guess', postcode: 'LS1 1AA' })).status);
    assert.deepEqual(statuses, [...Array(10).fill(400), 429, 429]);
  });

  test('no personal data in addresses: every redirect and link names only pages', async () => {
    const c = new ResidentClient(t.app, '198.51.100.30');
    const seen: string[] = [];
    const orig = c.post.bind(c);
    c.post = async (url, fields) => {
      const r = await orig(url, fields);
      if (r.location) seen.push(r.location);
      seen.push(url);
      return r;
    };
    await fillDraft(c, { familyName: 'Privacy', email: 'privacy@example.net', postcode: 'LS2 9JT' });
    await send(c);
    for (const u of seen) assert.doesNotMatch(u, /Privacy|privacy@|LS2|9JT|Mill Lane|mould/i, u);
  });
});
