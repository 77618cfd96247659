/**
 * Exactly once across a crash between the SMTP server accepting a message and the outbox row
 * being marked sent.
 *
 * What "exactly once" means here: the outbox sends at least once (a worker that dies mid-send
 * leaves its row claimed; when the claim's lease runs out another worker sends it again), and
 * every attempt for a row carries the same Message-ID, derived from the row's id. A receiver that
 * de-duplicates by Message-ID, as mail stores do, therefore files exactly one copy: one distinct
 * delivery per letter, even though the wire may carry the message twice.
 *
 * The test runs the worker in a child process against an embedded database on disk, and a local
 * SMTP server in this process that counts deliveries by Message-ID. When the server has received
 * the whole DATA of the second letter, and before it answers 250, it SIGKILLs the worker. A new
 * worker process then starts on the same database: it must resend that letter (same Message-ID)
 * once the lease expires, send the third, and record the interrupted attempt.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';
import { migrate, openEmbedded } from '../../src/db/database.js';
import { startTestApp } from '../helpers/app.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker-child.ts');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
let server: SMTPServer;
let port: number;
/** Every message the server received in full, in order: Message-ID and subject. */
const received: { messageId: string; subject: string }[] = [];
/** What a de-duplicating receiver keeps: one entry per Message-ID. */
const delivered = new Map<string, number>();
let killAt: ((messageId: string) => Promise<void>) | null = null;

/** An embedded data directory made from an in-memory database's files: much faster than initdb on disk. */
async function seedDataDir(d: string) {
  const mem = new PGlite();
  await mem.waitReady;
  const files = await mem.dumpDataDir('none');
  await mem.close();
  const disk = new PGlite(path.join(d, 'pgdata'), { loadDataDir: files });
  await disk.waitReady;
  await disk.close();
}

function startChild(env: Record<string, string> = {}): ChildProcess {
  return fork(CHILD, [dir, String(port)], { cwd: ROOT, execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-outbox-crash-'));
  server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', async () => {
        const mail = await simpleParser(Buffer.concat(chunks));
        const id = mail.messageId ?? '';
        received.push({ messageId: id, subject: mail.subject ?? '' });
        delivered.set(id, (delivered.get(id) ?? 0) + 1);
        // The whole DATA is here; the sender has not yet been told 250.
        if (killAt) await killAt(id);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as any).port;
});

after(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a worker killed after DATA but before marking the row sent: one distinct delivery per letter', { timeout: 60_000 }, async () => {
  // Three letters on one case, each with its outbox row, written through the API.
  await seedDataDir(dir);
  const h = await openEmbedded(dir);
  await migrate(h.db);
  const t = await startTestApp(h);
  let c = (
    await t.call('POST', '/api/v1/complaints', {
      body: { channel: 'email', description: 'The lift has been broken for a month.', resident: { givenName: 'Ada', familyName: 'Lovelace', email: 'ada@example.net', postcode: 'AB1 2CD' } },
    })
  ).body;
  c = (await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } })).body;
  t.clock.set('2025-04-18T10:00:00Z');
  c = (
    await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, {
      body: { version: c.version, definition: { understanding: 'The lift has not worked for a month.', outcomesSought: 'Repair the lift.', points: [{ summary: 'The lift is broken', landlordResponsible: true }] } },
    })
  ).body;
  const letters: any[] = [];
  for (const [kind, summary] of [['stage1_acknowledgement', null], ['update', 'An engineer is booked for Tuesday.'], ['update', 'The part has been ordered.']] as const) {
    t.clock.set(`2025-04-2${letters.length + 1}T10:00:00Z`);
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind, summary } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    letters.push(r.body.letter);
  }
  await t.close();
  const ids = letters.map((l) => l.email.messageId);
  assert.equal(new Set(ids).size, 3);

  // The first worker: killed once the server holds all of the second letter's DATA.
  const first = startChild({ LEASE_MS: '1500' });
  let killed = false;
  killAt = async (messageId) => {
    if (messageId !== ids[1] || killed) return;
    killed = true;
    first.kill('SIGKILL');
    await exited(first);
  };
  const end1 = await exited(first);
  assert.equal(end1.signal, 'SIGKILL', `the worker was killed mid-send (${JSON.stringify(end1)}, received ${JSON.stringify(received)})`);
  assert.deepEqual(received.map((r) => r.messageId), [ids[0], ids[1]], 'the first letter was sent; the second reached the server');

  // A new worker on the same database: after the lease runs out it resends the second letter with
  // the same Message-ID, and it sends the third (which may go first: the second waits for its lease).
  killAt = null;
  const second = startChild({ LEASE_MS: '1500', EXIT_WHEN_DONE: '1' });
  const end2 = await exited(second);
  assert.equal(end2.code, 0);

  // At least once on the wire: the second letter arrived twice, with one Message-ID.
  assert.deepEqual(received.map((r) => r.messageId).slice(0, 2), [ids[0], ids[1]]);
  assert.deepEqual(received.map((r) => r.messageId).sort(), [ids[0], ids[1], ids[1], ids[2]].sort());
  // Exactly once for a receiver that de-duplicates by Message-ID: one distinct delivery per letter.
  assert.deepEqual([...delivered.keys()].sort(), [...ids].sort());
  assert.equal(delivered.size, letters.length);

  // The record shows what happened: all sent; the second with an interrupted attempt and a resend.
  const h2 = await openEmbedded(dir);
  try {
    const rows = await h2.db.selectFrom('outbox').select(['id', 'message_id', 'status', 'attempts']).orderBy('next_attempt_at').execute();
    assert.deepEqual(rows.map((r) => [r.message_id, r.status, r.attempts]), [
      [ids[0], 'sent', 1],
      [ids[1], 'sent', 2],
      [ids[2], 'sent', 1],
    ]);
    const attempts = await h2.db.selectFrom('outbox_attempts').select(['attempt', 'outcome', 'worker']).where('outbox_id', '=', rows[1].id).orderBy('id').execute();
    assert.deepEqual(attempts.map((a) => [a.attempt, a.outcome]), [
      [1, 'interrupted'],
      [2, 'sent'],
    ]);
    assert.notEqual(attempts[0].worker, attempts[1].worker);
  } finally {
    await h2.close();
  }
});
