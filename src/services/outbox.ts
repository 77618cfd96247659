/**
 * The transactional email outbox.
 *
 * An email is written as an `outbox` row in the same transaction as the change that caused it
 * (`enqueueEmail`), so an email is sent if and only if that change committed. A worker
 * (`OutboxWorker`) claims due rows one at a time with FOR UPDATE SKIP LOCKED (PostgreSQL 15 and
 * PGlite alike), sends each through nodemailer, and records every attempt in `outbox_attempts`.
 *
 * The row's state machine:
 *
 *   pending --claim--> sending --250--> sent
 *                        |  \--4xx or connection error--> pending (next_attempt_at = backoff)
 *                        |  \--5xx, or the last allowed attempt--> failed  (history: email_failed)
 *                        \--lease expires (the worker died mid-send)--> claimed again, resent
 *
 * Exactly once, as far as email allows: a worker can die after the SMTP server accepted the
 * message but before the row was marked sent, and the message is then sent again after the lease
 * runs out. Sending is therefore at-least-once; what makes delivery exactly-once is that every
 * attempt for a row carries the same Message-ID, derived from the row's id
 * (`<outbox.{id}@{domain}>`), so a receiver that de-duplicates by Message-ID (as mail stores and
 * our own inbound filing do) keeps one copy. test/outbox/outbox-crash.test.ts kills a worker at
 * exactly that point and checks one distinct delivery per letter.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';
import { requirePermission, SYSTEM_ACTOR } from './actor.js';
import { InvalidInput, NotFound } from './errors.js';
import { recordHistory } from './history.js';

export interface EmailToSend {
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html?: string | null;
  complaintId?: string | null;
  /** What the email is: a letter kind, or e.g. 'notification'. */
  kind: string;
  letterId?: string | null;
  /** The domain of the Message-ID; the sender's domain where known. */
  messageIdDomain?: string | null;
}

export function messageIdFor(id: string, domain?: string | null): string {
  const d = (domain ?? '').toLowerCase().replace(/[^a-z0-9.-]/g, '') || 'putright.invalid';
  return `<outbox.${id}@${d}>`;
}

/**
 * Write an email to the outbox inside the caller's transaction. It is sent only if that
 * transaction commits. `at` is when it becomes due (normally now).
 */
export async function enqueueEmail(trx: Db, email: EmailToSend, at: Date): Promise<{ id: string; messageId: string }> {
  if (email.to.length === 0) throw new InvalidInput('An email needs at least one address to send to.', 'to');
  const id = crypto.randomUUID();
  const messageId = messageIdFor(id, email.messageIdDomain);
  await trx
    .insertInto('outbox')
    .values({
      id,
      kind: email.kind,
      complaint_id: email.complaintId ?? null,
      letter_id: email.letterId ?? null,
      to_addresses: JSON.stringify(email.to),
      cc_addresses: JSON.stringify(email.cc ?? []),
      subject: email.subject,
      text_body: email.text,
      html_body: email.html ?? null,
      message_id: messageId,
      status: 'pending',
      next_attempt_at: at,
      created_at: at,
      updated_at: at,
    })
    .execute();
  return { id, messageId };
}

// ---------------------------------------------------------------------------------------------
// Mailers: SMTP, or .eml files in a folder for development
// ---------------------------------------------------------------------------------------------

export interface OutgoingMail {
  from: string;
  to: string[];
  cc: string[];
  subject: string;
  text: string;
  html: string | null;
  messageId: string;
  headers: Record<string, string>;
}

export interface Mailer {
  kind: 'smtp' | 'file';
  /** Where mail goes, without credentials: for logs and the outbox page. */
  describe: string;
  send(mail: OutgoingMail): Promise<{ response: string }>;
  close(): void;
}

function toNodemailer(m: OutgoingMail) {
  return { from: m.from, to: m.to, cc: m.cc.length ? m.cc : undefined, subject: m.subject, text: m.text, html: m.html ?? undefined, messageId: m.messageId, headers: m.headers };
}

/** Send through an SMTP server given as smtp://user:pass@host:587 or smtps://…:465. */
export function smtpMailer(url: string, opts: { timeoutMs?: number } = {}): Mailer {
  const t = opts.timeoutMs ?? 60_000;
  const transport = nodemailer.createTransport({ url, connectionTimeout: t, greetingTimeout: Math.min(t, 30_000), socketTimeout: t } as any);
  const u = new URL(url);
  return {
    kind: 'smtp',
    describe: `${u.protocol}//${u.hostname}${u.port ? `:${u.port}` : ''}`,
    async send(mail) {
      const info = await transport.sendMail(toNodemailer(mail));
      return { response: String(info.response ?? '') };
    },
    close() {
      transport.close();
    },
  };
}

/**
 * Development: write each email as an .eml file named by its Message-ID (so a resend overwrites
 * the same file: one file per email however often it is sent). Open them with any mail program.
 */
export function fileMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'file',
    describe: `files in ${dir}`,
    async send(mail) {
      const info: any = await transport.sendMail(toNodemailer(mail));
      fs.mkdirSync(dir, { recursive: true });
      const name = `${mail.messageId.replace(/[<>]/g, '').replace(/[^A-Za-z0-9.@_-]/g, '_')}.eml`;
      const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
      fs.writeFileSync(tmp, info.message as Buffer);
      fs.renameSync(tmp, path.join(dir, name));
      return { response: `250 written to ${name}` };
    },
    close() {},
  };
}

// ---------------------------------------------------------------------------------------------
// The worker
// ---------------------------------------------------------------------------------------------

export interface OutboxWorkerOptions {
  mailer: Mailer;
  /** The From address, e.g. '"Example Housing" <complaints@example.org.uk>'. */
  from: () => Promise<string> | string;
  clock?: () => Date;
  /** After this many attempts an email is marked failed for a person to act on. */
  maxAttempts?: number;
  /** How long a claim lasts: longer than the slowest send. An expired claim is taken again. */
  leaseMs?: number;
  pollMs?: number;
  /** Retry delays: base × 2^(attempt − 1), capped. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  workerId?: string;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

interface Claimed {
  id: string;
  kind: string;
  complaint_id: string | null;
  letter_id: string | null;
  to_addresses: string[];
  cc_addresses: string[];
  subject: string;
  text_body: string;
  html_body: string | null;
  message_id: string;
  attempts: number;
  previous_status: string;
}

export type ProcessOutcome = 'none' | 'sent' | 'retry' | 'failed' | 'lost';

/** A permanent SMTP refusal (5xx): sending again will not help. */
export function isPermanent(err: any): boolean {
  const code = Number(err?.responseCode);
  return Number.isInteger(code) && code >= 500 && code < 600;
}

export class OutboxWorker {
  readonly id: string;
  private readonly clock: () => Date;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly base: number;
  private readonly cap: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  private again = false;
  private stopping = false;

  constructor(
    private readonly db: Db,
    private readonly opts: OutboxWorkerOptions,
  ) {
    this.id = opts.workerId ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
    this.clock = opts.clock ?? (() => new Date());
    this.maxAttempts = opts.maxAttempts ?? 6;
    this.leaseMs = opts.leaseMs ?? 180_000;
    this.pollMs = opts.pollMs ?? 2_000;
    this.base = opts.backoffBaseMs ?? 30_000;
    this.cap = opts.backoffMaxMs ?? 3_600_000;
  }

  backoffMs(attempt: number): number {
    return Math.min(this.base * 2 ** Math.max(attempt - 1, 0), this.cap);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.stopping = false;
    this.schedule(0);
  }

  /** Look for due email now (e.g. just after a letter was committed). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  /** Stop polling and wait for an email being sent to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
    this.stopping = false;
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        const soon = this.again;
        this.again = false;
        this.schedule(soon ? 0 : this.pollMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick() {
    try {
      await this.runOnce();
    } catch (err) {
      this.opts.log?.warn({ err: { message: (err as Error).message } }, 'outbox: could not process due email; will try again');
    }
  }

  /** Send every email now due, one at a time. Returns what happened to each. */
  async runOnce(limit = 100): Promise<ProcessOutcome[]> {
    const done: ProcessOutcome[] = [];
    for (let i = 0; i < limit && !this.stopping; i++) {
      const r = await this.processOne();
      if (r === 'none') break;
      done.push(r);
    }
    return done;
  }

  /** Claim one due email (or one whose claim has expired), send it and record the result. */
  async processOne(): Promise<ProcessOutcome> {
    const row = await this.claim();
    if (!row) return 'none';
    let from: string;
    try {
      from = await this.opts.from();
    } catch (err) {
      return this.finish(row, { ok: false, err });
    }
    try {
      const { response } = await this.opts.mailer.send({
        from,
        to: row.to_addresses,
        cc: row.cc_addresses,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        messageId: row.message_id,
        headers: { 'X-Putright-Outbox-Id': row.id, 'Auto-Submitted': 'auto-generated' },
      });
      return this.finish(row, { ok: true, response });
    } catch (err) {
      return this.finish(row, { ok: false, err });
    }
  }

  private async claim(): Promise<Claimed | null> {
    const now = this.clock();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    return this.db.transaction().execute(async (trx) => {
      const { rows } = await sql<Claimed>`
        with due as (
          select id, status as previous_status from outbox
          where (status = 'pending' and next_attempt_at <= ${now})
             or (status = 'sending' and lease_until < ${now})
          order by next_attempt_at, id
          limit 1
          for update skip locked
        )
        update outbox o
           set status = 'sending', attempts = o.attempts + 1, lease_until = ${leaseUntil}, claimed_by = ${this.id}, updated_at = ${now}
          from due
         where o.id = due.id
        returning o.id, o.kind, o.complaint_id, o.letter_id, o.to_addresses, o.cc_addresses, o.subject, o.text_body,
                  o.html_body, o.message_id, o.attempts, due.previous_status`.execute(trx);
      const row = rows[0];
      if (!row) return null;
      if (row.previous_status === 'sending') {
        // The last worker to claim it stopped mid-send: its attempt may or may not have reached the
        // server. Sending again with the same Message-ID is safe for a de-duplicating receiver.
        await trx
          .updateTable('outbox_attempts')
          .set({ outcome: 'interrupted', finished_at: now, detail: 'the worker stopped before recording a result; sending again with the same Message-ID' })
          .where('outbox_id', '=', row.id)
          .where('outcome', 'is', null)
          .execute();
      }
      await trx.insertInto('outbox_attempts').values({ outbox_id: row.id, attempt: row.attempts, worker: this.id, started_at: now }).execute();
      return row;
    });
  }

  private async finish(row: Claimed, result: { ok: true; response: string } | { ok: false; err: unknown }): Promise<ProcessOutcome> {
    const now = this.clock();
    const mine = (q: any) => q.where('id', '=', row.id).where('status', '=', 'sending').where('claimed_by', '=', this.id).where('attempts', '=', row.attempts);
    const attempt = (trx: Db, set: Record<string, unknown>) =>
      trx.updateTable('outbox_attempts').set({ finished_at: now, ...set }).where('outbox_id', '=', row.id).where('attempt', '=', row.attempts).where('worker', '=', this.id).where('outcome', 'is', null).execute();
    return this.db.transaction().execute(async (trx) => {
      if (result.ok) {
        const u = await mine(trx.updateTable('outbox').set({ status: 'sent', sent_at: now, smtp_response: result.response.slice(0, 1000), lease_until: null, last_error: null, updated_at: now })).executeTakeFirst();
        await attempt(trx, { outcome: 'sent', smtp_code: Number(/^\d{3}/.exec(result.response)?.[0] ?? 250), detail: result.response.slice(0, 1000) });
        if (Number(u.numUpdatedRows) === 0) return 'lost';
        this.opts.log?.info({ outboxId: row.id, attempt: row.attempts }, 'outbox: email sent');
        return 'sent';
      }
      const err = result.err as any;
      const code = Number.isInteger(Number(err?.responseCode)) ? Number(err.responseCode) : null;
      const message = String(err?.response ?? err?.message ?? err).slice(0, 1000);
      const permanent = isPermanent(err) || row.attempts >= this.maxAttempts;
      if (permanent) {
        const u = await mine(trx.updateTable('outbox').set({ status: 'failed', failed_at: now, last_error: message, lease_until: null, updated_at: now })).executeTakeFirst();
        await attempt(trx, { outcome: 'failed', smtp_code: code, detail: message });
        if (Number(u.numUpdatedRows) === 0) return 'lost';
        if (row.complaint_id) {
          const c = await trx.selectFrom('complaints').select('resident_id').where('id', '=', row.complaint_id).executeTakeFirst();
          await recordHistory(
            trx,
            SYSTEM_ACTOR,
            {
              complaintId: row.complaint_id,
              residentId: c?.resident_id ?? null,
              entity: 'email',
              entityId: row.id,
              action: 'email_failed',
              after: {
                outboxId: row.id,
                letterId: row.letter_id,
                kind: row.kind,
                to: row.to_addresses,
                subject: row.subject,
                attempts: row.attempts,
                error: message,
                why: isPermanent(err) ? 'the mail server refused it' : `it could not be sent after ${row.attempts} attempts`,
                whatToDo: 'Check the address, then send the letter by another way (post or phone) or retry it from the outbox.',
              },
            },
            now,
          );
        }
        this.opts.log?.warn({ outboxId: row.id, attempt: row.attempts, code }, 'outbox: email failed permanently');
        return 'failed';
      }
      const next = new Date(now.getTime() + this.backoffMs(row.attempts));
      const u = await mine(trx.updateTable('outbox').set({ status: 'pending', next_attempt_at: next, last_error: message, lease_until: null, updated_at: now })).executeTakeFirst();
      await attempt(trx, { outcome: 'retry', smtp_code: code, detail: message });
      if (Number(u.numUpdatedRows) === 0) return 'lost';
      this.opts.log?.info({ outboxId: row.id, attempt: row.attempts, next: next.toISOString() }, 'outbox: email will be retried');
      return 'retry';
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Reading the outbox, and retrying a failed email
// ---------------------------------------------------------------------------------------------

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;

export class OutboxService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async list(actor: Actor, f: { status?: string; complaintId?: string; reference?: string; unresolved?: boolean; limit?: number } = {}) {
    requirePermission(actor, 'outbox:read');
    let q = this.db
      .selectFrom('outbox')
      .leftJoin('complaints', 'complaints.id', 'outbox.complaint_id')
      .leftJoin('outbox_resolutions', 'outbox_resolutions.outbox_id', 'outbox.id')
      .select([
        'outbox_resolutions.note as resolution_note',
        'outbox_resolutions.resolved_by_name',
        'outbox_resolutions.resolved_at',
        'outbox.id',
        'outbox.kind',
        'outbox.status',
        'outbox.complaint_id',
        'complaints.reference',
        'outbox.letter_id',
        'outbox.to_addresses',
        'outbox.cc_addresses',
        'outbox.subject',
        'outbox.message_id',
        'outbox.attempts',
        'outbox.next_attempt_at',
        'outbox.last_error',
        'outbox.sent_at',
        'outbox.failed_at',
        'outbox.created_at',
      ]);
    if (f.status) q = q.where('outbox.status', '=', f.status);
    if (f.complaintId) q = q.where('outbox.complaint_id', '=', f.complaintId);
    if (f.reference) q = q.where('complaints.reference', '=', f.reference.trim().toUpperCase());
    if (f.unresolved) q = q.where('outbox.status', '=', 'failed').where('outbox_resolutions.outbox_id', 'is', null);
    const rows = await q.orderBy('outbox.created_at', 'desc').orderBy('outbox.id').limit(Math.min(Math.max(f.limit ?? 100, 1), 500)).execute();
    const counts = await this.db.selectFrom('outbox').select(['status', (eb) => eb.fn.countAll<string>().as('n')]).groupBy('status').execute();
    return {
      counts: Object.fromEntries(OUTBOX_STATUSES.map((s) => [s, Number(counts.find((c) => c.status === s)?.n ?? 0)])),
      items: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        status: r.status,
        complaint: r.complaint_id ? { id: r.complaint_id, reference: r.reference } : null,
        letterId: r.letter_id,
        to: r.to_addresses,
        cc: r.cc_addresses,
        subject: r.subject,
        messageId: r.message_id,
        attempts: r.attempts,
        nextAttemptAt: r.status === 'pending' ? new Date(r.next_attempt_at).toISOString() : null,
        lastError: r.last_error,
        sentAt: r.sent_at ? new Date(r.sent_at).toISOString() : null,
        failedAt: r.failed_at ? new Date(r.failed_at).toISOString() : null,
        createdAt: new Date(r.created_at).toISOString(),
        dealtWith: r.resolved_at ? { note: r.resolution_note as string, by: r.resolved_by_name as string, at: new Date(r.resolved_at).toISOString() } : null,
      })),
    };
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'outbox:read');
    const row = await this.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The email');
    const attempts = await this.db.selectFrom('outbox_attempts').selectAll().where('outbox_id', '=', id).orderBy('id').execute();
    const resolution = await this.db.selectFrom('outbox_resolutions').selectAll().where('outbox_id', '=', id).executeTakeFirst();
    const ref = row.complaint_id ? await this.db.selectFrom('complaints').select('reference').where('id', '=', row.complaint_id).executeTakeFirst() : undefined;
    return {
      reference: ref?.reference ?? null,
      textBody: row.text_body,
      dealtWith: resolution ? { note: resolution.note, by: resolution.resolved_by_name, at: new Date(resolution.resolved_at).toISOString() } : null,
      id: row.id,
      kind: row.kind,
      status: row.status,
      complaintId: row.complaint_id,
      letterId: row.letter_id,
      to: row.to_addresses,
      cc: row.cc_addresses,
      subject: row.subject,
      messageId: row.message_id,
      attempts: row.attempts,
      lastError: row.last_error,
      smtpResponse: row.smtp_response,
      sentAt: row.sent_at ? new Date(row.sent_at).toISOString() : null,
      failedAt: row.failed_at ? new Date(row.failed_at).toISOString() : null,
      history: attempts.map((a) => ({
        attempt: a.attempt,
        worker: a.worker,
        startedAt: new Date(a.started_at).toISOString(),
        finishedAt: a.finished_at ? new Date(a.finished_at).toISOString() : null,
        outcome: a.outcome,
        smtpCode: a.smtp_code,
        detail: a.detail,
      })),
    };
  }

  /** Send a failed email again, after a person has checked the address or the server. */
  async retry(actor: Actor, id: string) {
    requirePermission(actor, 'outbox:manage');
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('outbox').select(['id', 'status', 'complaint_id', 'subject']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFound('The email');
      if (row.status !== 'failed') throw new InvalidInput(`Only a failed email can be retried; this one is ${row.status}.`, 'status');
      await trx.updateTable('outbox').set({ status: 'pending', attempts: 0, next_attempt_at: now, failed_at: null, updated_at: now }).where('id', '=', id).execute();
      await trx.deleteFrom('outbox_resolutions').where('outbox_id', '=', id).execute();
      if (row.complaint_id) {
        await recordHistory(trx, actor, { complaintId: row.complaint_id, entity: 'email', entityId: id, action: 'email_retried', after: { outboxId: id, subject: row.subject } }, now);
      }
    });
    return this.get(actor, id);
  }

  /**
   * A failed email a person has dealt with another way (sent by post, told by phone): recorded
   * with what they did, on the outbox and in the case's history, so it stops asking for action.
   */
  async markDealtWith(actor: Actor, id: string, note: string) {
    requirePermission(actor, 'outbox:manage');
    const what = note.trim();
    if (!what) throw new InvalidInput('Say what was done instead, for example "Sent by post on 3 June".', 'note');
    if (what.length > 2000) throw new InvalidInput('What was done must be 2,000 characters or fewer.', 'note');
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('outbox').select(['id', 'status', 'complaint_id', 'subject']).where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFound('The email');
      if (row.status !== 'failed') throw new InvalidInput(`Only a failed email can be marked as dealt with; this one is ${row.status}.`, 'status');
      const existing = await trx.selectFrom('outbox_resolutions').select('outbox_id').where('outbox_id', '=', id).executeTakeFirst();
      if (existing) throw new InvalidInput('This email is already marked as dealt with.', 'status');
      await trx.insertInto('outbox_resolutions').values({ outbox_id: id, note: what, resolved_by: actor.id, resolved_by_name: actor.name, resolved_at: now }).execute();
      if (row.complaint_id) {
        const c = await trx.selectFrom('complaints').select('resident_id').where('id', '=', row.complaint_id).executeTakeFirst();
        await recordHistory(trx, actor, { complaintId: row.complaint_id, residentId: c?.resident_id ?? null, entity: 'email', entityId: id, action: 'email_failure_dealt_with', after: { outboxId: id, subject: row.subject, note: what } }, now);
      }
    });
    return this.get(actor, id);
  }

  /** Failed emails on a case that nobody has yet dealt with (for the case page). */
  async failedFor(complaintId: string) {
    return this.db
      .selectFrom('outbox')
      .leftJoin('outbox_resolutions', 'outbox_resolutions.outbox_id', 'outbox.id')
      .select(['outbox.id', 'outbox.subject', 'outbox.to_addresses', 'outbox.last_error', 'outbox.failed_at'])
      .where('outbox.complaint_id', '=', complaintId)
      .where('outbox.status', '=', 'failed')
      .where('outbox_resolutions.outbox_id', 'is', null)
      .orderBy('outbox.failed_at')
      .execute();
  }
}
