/**
 * Inbound email through the product's SMTP endpoint (smtp-server), sent with nodemailer on
 * loopback and parsed with mailparser: a reply naming its case's reference is filed on that case
 * as correspondence in, with its allowed attachments kept; the same Message-ID twice is filed
 * once; a message naming no case becomes a contact for triage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { startInboundSmtp } from '../../src/services/inbound.js';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n', 'latin1');

forEachBackend('inbound email', (backend) => {
  let t: TestApp;
  let smtp: { port: number; close(): Promise<void> };
  let c: any;
  let transport: ReturnType<typeof nodemailer.createTransport>;

  before(async () => {
    t = await startTestApp(await backend.open());
    smtp = await startInboundSmtp(t.app.services.inbound, { host: '127.0.0.1', port: 0 });
    transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtp.port, secure: false, ignoreTLS: true });
    c = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'email', description: 'Noise from the flat above.', resident: { givenName: 'Priya', familyName: 'Shah', email: 'Priya.Shah@example.net' } } })).body;
  });
  after(async () => {
    transport?.close();
    await smtp?.close();
    await t?.close();
  });

  const correspondence = async () => (await t.call('GET', `/api/v1/complaints/${c.id}/correspondence`)).body.items as any[];

  test('a reply naming the reference is filed on the case, with its attachments', async () => {
    const info = await transport.sendMail({
      from: '"Priya Shah" <priya.shah@example.net>',
      to: 'complaints@example.org.uk',
      subject: `Re: We have received your complaint (${c.reference})`,
      text: 'Thank you. I have attached the noise diary you asked for.',
      messageId: '<reply-1@example.net>',
      attachments: [
        { filename: 'noise-diary.pdf', content: PDF, contentType: 'application/pdf' },
        { filename: 'run-me.exe', content: Buffer.from('MZ...'), contentType: 'application/octet-stream' },
      ],
    });
    assert.match(info.response, /^250/);
    const items = await correspondence();
    assert.equal(items.length, 1);
    assert.equal(items[0].direction, 'in');
    assert.equal(items[0].channel, 'email');
    assert.equal(items[0].subject, `Re: We have received your complaint (${c.reference})`);
    assert.match(items[0].body, /attached the noise diary/);
    assert.match(items[0].body, /Not kept: run-me\.exe/);
    assert.equal(items[0].counterpart, '"Priya Shah" <priya.shah@example.net>');
    const attachments = (await t.call('GET', `/api/v1/complaints/${c.id}/attachments`)).body.items;
    assert.deepEqual(attachments.map((a: any) => [a.filename, a.contentType, a.sizeBytes]), [['noise-diary.pdf', 'application/pdf', PDF.length]]);
    const download = await t.app.inject({ method: 'GET', url: `/api/v1/complaints/${c.id}/attachments/${attachments[0].id}`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.deepEqual(download.rawPayload, PDF);
    const history = (await t.call('GET', `/api/v1/complaints/${c.id}/history`)).body.items;
    assert.ok(history.some((h: any) => h.action === 'message_received' && h.actor.name === 'Email (received automatically)'));
    assert.ok(history.some((h: any) => h.action === 'attachment_added'));
  });

  test('the same Message-ID twice is filed once (and still answered 250)', async () => {
    const again = await transport.sendMail({
      from: 'priya.shah@example.net',
      to: 'complaints@example.org.uk',
      subject: `Re: We have received your complaint (${c.reference})`,
      text: 'Thank you. I have attached the noise diary you asked for.',
      messageId: '<reply-1@example.net>',
      attachments: [{ filename: 'noise-diary.pdf', content: PDF, contentType: 'application/pdf' }],
    });
    assert.match(again.response, /^250/);
    assert.equal((await correspondence()).length, 1);
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}/attachments`)).body.items.length, 1);
    // Straight to the service: the same bytes twice, the second a duplicate.
    const raw = Buffer.from(`From: a@example.net\r\nTo: b@example.org\r\nSubject: ${c.reference.toLowerCase()} update\r\nMessage-ID: <raw-2@example.net>\r\n\r\nHello\r\n`);
    assert.equal((await t.app.services.inbound.receive(raw)).status, 'filed', 'the reference is found in any case');
    assert.equal((await t.app.services.inbound.receive(raw)).status, 'duplicate');
    assert.equal((await correspondence()).length, 2);
  });

  test('a message naming no case becomes a contact for triage, matched to the resident by address', async () => {
    const before = await t.app.db.selectFrom('contacts').select('id').execute();
    await transport.sendMail({ from: 'PRIYA.SHAH@example.net', to: 'complaints@example.org.uk', subject: 'The lift is broken again', text: 'Nobody has come to fix it.', messageId: '<new-1@example.net>' });
    const contacts = await t.app.db.selectFrom('contacts').selectAll().orderBy('created_at', 'desc').execute();
    assert.equal(contacts.length, before.length + 1);
    assert.equal(contacts[0].channel, 'email');
    assert.equal(contacts[0].resident_id, c.residentId);
    assert.equal(contacts[0].choice, 'undecided');
    assert.match(contacts[0].summary, /The lift is broken again/);
    assert.match(contacts[0].summary, /Nobody has come to fix it\./);
    await transport.sendMail({ from: 'stranger@example.com', to: 'complaints@example.org.uk', subject: 'Hello', text: 'Who do I talk to about my rent?', messageId: '<new-2@example.net>' });
    const row = await t.app.db.selectFrom('inbound_messages').selectAll().where('message_id', '=', '<new-2@example.net>').executeTakeFirstOrThrow();
    assert.equal(row.status, 'triage');
    const contact = await t.app.db.selectFrom('contacts').selectAll().where('id', '=', row.contact_id!).executeTakeFirstOrThrow();
    assert.equal(contact.resident_id, null);
  });
});
