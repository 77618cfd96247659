/**
 * The outbox end to end on loopback: a letter sent through the API goes into the outbox in the
 * same transaction, the worker sends it with nodemailer to a local SMTP server (smtp-server)
 * started here, and mailparser reads it back: same subject, words, addresses and Message-ID.
 * Temporary refusals are retried with exponential backoff; a permanent refusal (5xx), or running
 * out of attempts, marks the email failed and shows it on the case for a person to act on. In
 * development, email is written to .eml files instead.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { enqueueEmail, fileMailer, OutboxWorker, smtpMailer } from '../../src/services/outbox.js';

const FROM = '"Example Housing Association" <complaints@example.org.uk>';

interface Inbox {
  server: SMTPServer;
  port: number;
  mail: ParsedMail[];
  envelopes: { from: string; to: string[] }[];
  /** Answer the next DATA commands with these SMTP codes instead of 250. */
  refuse: number[];
}

async function startInbox(): Promise<Inbox> {
  const inbox: Inbox = { server: null as any, port: 0, mail: [], envelopes: [], refuse: [] };
  inbox.server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const code = inbox.refuse.shift();
        if (code) {
          const err: any = new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later');
          err.responseCode = code;
          return callback(err);
        }
        inbox.mail.push(await simpleParser(Buffer.concat(chunks)));
        inbox.envelopes.push({ from: (session.envelope.mailFrom as any)?.address ?? '', to: session.envelope.rcptTo.map((r) => r.address) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => inbox.server.listen(0, '127.0.0.1', resolve));
  inbox.port = (inbox.server.server.address() as any).port;
  return inbox;
}

forEachBackend('the email outbox', (backend) => {
  let t: TestApp;
  let inbox: Inbox;
  let c: any;
  let worker: OutboxWorker;

  before(async () => {
    t = await startTestApp(await backend.open());
    inbox = await startInbox();
    worker = new OutboxWorker(t.app.db, { mailer: smtpMailer(`smtp://127.0.0.1:${inbox.port}`), from: () => FROM, clock: t.clock.now, maxAttempts: 4, backoffBaseMs: 30_000 });
    c = (
      await t.call('POST', '/api/v1/complaints', {
        body: {
          channel: 'phone',
          description: 'Damp in the bedroom.',
          resident: { givenName: 'Zofia', familyName: 'Wójcik', email: 'zofia@example.net', addressLine1: '3 Mill Lane', postcode: 'AB1 2CD' },
          representative: { name: 'Cllr Ann Smith', relationship: 'Councillor', email: 'cllr.smith@example.gov.uk', consentEvidence: 'Email from the resident', consentRecordedOn: '2025-04-17' },
        },
      })
    ).body;
    c = (await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } })).body;
    t.clock.set('2025-04-18T10:00:00Z');
    c = (
      await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, {
        body: {
          version: c.version,
          definition: { understanding: 'There is black mould on the bedroom wall & ceiling <again>.', outcomesSought: 'Treat the mould and find the cause.', points: [{ summary: 'Mould has come back', landlordResponsible: true }] },
        },
      })
    ).body;
  });
  after(async () => {
    await worker?.stop();
    await new Promise<void>((resolve) => inbox.server.close(() => resolve()));
    await t?.close();
  });

  async function sendLetter(kind: string, summary?: string) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind, summary } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body.letter;
  }
  const row = (id: string) => t.app.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  test('round trip: the letter as mailparser reads it back from a local SMTP server', async () => {
    const letter = await sendLetter('stage1_acknowledgement');
    assert.deepEqual(await worker.runOnce(), ['sent']);
    assert.equal(inbox.mail.length, 1);
    const m = inbox.mail[0];
    assert.equal(m.subject, letter.subject);
    assert.equal(m.messageId, letter.email.messageId, 'the Message-ID is the one derived from the outbox row');
    assert.equal(m.text?.trim(), letter.text.trim(), 'the text part is the letter’s words');
    assert.ok(m.html && m.html.includes('There is black mould on the bedroom wall &amp; ceiling &lt;again&gt;.'), 'HTML escapes what the case holds');
    assert.ok(!String(m.html).includes('<again>'));
    assert.equal((m.from as any).value[0].address, 'complaints@example.org.uk');
    assert.deepEqual((m.to as any).value.map((a: any) => a.address), ['zofia@example.net']);
    assert.deepEqual((m.cc as any).value.map((a: any) => a.address), ['cllr.smith@example.gov.uk'], 'a copy to the representative');
    assert.deepEqual(inbox.envelopes[0].to.sort(), ['cllr.smith@example.gov.uk', 'zofia@example.net']);
    assert.equal(m.headers.get('x-putright-outbox-id'), letter.email.outboxId);
    const r = await row(letter.email.outboxId);
    assert.equal(r.status, 'sent');
    assert.equal(r.attempts, 1);
    const view = (await t.call('GET', `/api/v1/complaints/${c.id}/letters/${letter.id}`)).body;
    assert.equal(view.email.status, 'sent');
    const ob = await t.call('GET', `/api/v1/outbox/${letter.email.outboxId}`);
    assert.deepEqual(ob.body.history.map((a: any) => [a.attempt, a.outcome, a.smtpCode]), [[1, 'sent', 250]]);
  });

  test('a temporary refusal is retried with exponential backoff, then sent', async () => {
    const letter = await sendLetter('update', 'A damp survey is booked for Monday.');
    inbox.refuse.push(451, 421);
    t.clock.set('2025-04-22T10:00:00Z');
    assert.deepEqual(await worker.runOnce(), ['retry']);
    let r = await row(letter.email.outboxId);
    assert.equal(r.status, 'pending');
    assert.equal(r.attempts, 1);
    assert.equal(new Date(r.next_attempt_at).toISOString(), '2025-04-22T10:00:30.000Z', '30 seconds after the first attempt');
    assert.match(String(r.last_error), /451/);
    assert.deepEqual(await worker.runOnce(), [], 'not due yet');
    t.clock.set('2025-04-22T10:00:30Z');
    assert.deepEqual(await worker.runOnce(), ['retry']);
    r = await row(letter.email.outboxId);
    assert.equal(new Date(r.next_attempt_at).toISOString(), '2025-04-22T10:01:30.000Z', 'then 60 seconds');
    t.clock.set('2025-04-22T10:01:30Z');
    assert.deepEqual(await worker.runOnce(), ['sent']);
    assert.equal((await row(letter.email.outboxId)).attempts, 3);
    assert.equal(inbox.mail.length, 2);
    assert.equal(inbox.mail[1].messageId, letter.email.messageId);
  });

  test('a permanent refusal (5xx) fails at once and shows on the case; a manager can retry it', async () => {
    const letter = await sendLetter('update', 'The surveyor found a leaking gutter.');
    inbox.refuse.push(550);
    assert.deepEqual(await worker.runOnce(), ['failed']);
    const r = await row(letter.email.outboxId);
    assert.equal(r.status, 'failed');
    assert.equal(r.attempts, 1);
    const history = (await t.call('GET', `/api/v1/complaints/${c.id}/history`)).body.items;
    const failed = history.filter((h: any) => h.action === 'email_failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].after.outboxId, letter.email.outboxId);
    assert.equal(failed[0].after.letterId, letter.id);
    assert.match(failed[0].after.error, /550/);
    assert.equal(failed[0].actor.name, 'Putright (automatic)');
    const list = await t.call('GET', '/api/v1/outbox?status=failed');
    assert.equal(list.body.counts.failed, 1);
    assert.equal(list.body.items[0].id, letter.email.outboxId);

    assert.equal((await t.call('POST', `/api/v1/outbox/${letter.email.outboxId}/retry`, { as: t.users.handler })).status, 403);
    const retried = await t.call('POST', `/api/v1/outbox/${letter.email.outboxId}/retry`);
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.status, 'pending');
    assert.equal((await t.call('POST', `/api/v1/outbox/${letter.email.outboxId}/retry`)).status, 422, 'only a failed email can be retried');
    assert.deepEqual(await worker.runOnce(), ['sent']);
  });

  test('running out of attempts marks the email failed', async () => {
    const letter = await sendLetter('update', 'The gutter will be repaired on Thursday.');
    inbox.refuse.push(451, 451, 451, 451);
    for (let i = 0; i < 4; i++) {
      const r = await row(letter.email.outboxId);
      t.clock.set(new Date(r.next_attempt_at).toISOString());
      assert.deepEqual(await worker.runOnce(), [i < 3 ? 'retry' : 'failed']);
    }
    const r = await row(letter.email.outboxId);
    assert.equal(r.status, 'failed');
    assert.equal(r.attempts, 4);
    const history = (await t.call('GET', `/api/v1/complaints/${c.id}/history`)).body.items.filter((h: any) => h.action === 'email_failed');
    assert.match(history[history.length - 1].after.why, /after 4 attempts/);
  });

  test('an email is written only if its transaction commits', async () => {
    const before = (await t.app.db.selectFrom('outbox').select('id').execute()).length;
    await assert.rejects(
      t.app.db.transaction().execute(async (trx) => {
        await enqueueEmail(trx, { to: ['x@example.net'], subject: 'Never', text: 'Never sent', kind: 'test' }, new Date());
        throw new Error('rolled back');
      }),
    );
    assert.equal((await t.app.db.selectFrom('outbox').select('id').execute()).length, before);
  });

  test('two workers at once (FOR UPDATE SKIP LOCKED): every email sent once, none twice', async () => {
    const now = t.clock.now();
    for (let i = 0; i < 12; i++) {
      await t.app.db.transaction().execute((trx) => enqueueEmail(trx, { to: [`r${i}@example.net`], subject: `Bulk ${i}`, text: `Message ${i}`, kind: 'test' }, now));
    }
    const sentIds: string[] = [];
    const slowMailer = {
      kind: 'smtp' as const,
      describe: 'test',
      async send(m: { messageId: string }) {
        sentIds.push(m.messageId);
        await new Promise((r) => setTimeout(r, 5));
        return { response: '250 OK' };
      },
      close() {},
    };
    const a = new OutboxWorker(t.app.db, { mailer: slowMailer, from: () => FROM, clock: t.clock.now, workerId: 'a' });
    const b = new OutboxWorker(t.app.db, { mailer: slowMailer, from: () => FROM, clock: t.clock.now, workerId: 'b' });
    const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
    assert.equal(ra.length + rb.length, 12);
    assert.equal(sentIds.length, 12);
    assert.equal(new Set(sentIds).size, 12, 'no email was sent twice');
    const left = await t.app.db.selectFrom('outbox').select('id').where('kind', '=', 'test').where('status', '!=', 'sent').execute();
    assert.equal(left.length, 0);
  });

  test('development: without SMTP, email is written as .eml files, one per email however often sent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-eml-'));
    try {
      const dev = new OutboxWorker(t.app.db, { mailer: fileMailer(dir), from: () => FROM, clock: t.clock.now });
      const letter = await sendLetter('update', 'We have treated the mould.');
      assert.deepEqual(await dev.runOnce(), ['sent']);
      const files = fs.readdirSync(dir);
      assert.equal(files.length, 1);
      assert.match(files[0], /^outbox\.[0-9a-f-]{36}@example\.org\.uk\.eml$/);
      const parsed = await simpleParser(fs.readFileSync(path.join(dir, files[0])));
      assert.equal(parsed.messageId, letter.email.messageId);
      assert.equal(parsed.text?.trim(), letter.text.trim());
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
