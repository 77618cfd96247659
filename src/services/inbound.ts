/**
 * Inbound email: an SMTP endpoint the product runs (behind the landlord's mail server, which
 * relays the complaints mailbox to it), parsing each message with mailparser.
 *
 * A message whose subject names a complaint reference (CMP-000123) is filed on that case as
 * correspondence in, with its attachments kept; any other message is queued as a new contact for
 * triage (matched to a resident by the sender's address when exactly one resident has it).
 *
 * Exactly once: the message's Message-ID (or, without one, a hash of the whole message) is the
 * primary key of `inbound_messages`, written in the same transaction as the correspondence, the
 * attachments and the history. The same message delivered twice (a sender's retry, a relay's
 * duplicate) conflicts on that key and is filed once; the second delivery is still answered 250.
 * That is why filing writes the tables here rather than through ComplaintService's
 * addCorrespondence/addAttachment, which each run their own transaction: it uses the same checks
 * (checkAttachment) and writes the same history entries.
 */
import crypto from 'node:crypto';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';
import { checkAttachment } from './complaints.js';
import { recordHistory } from './history.js';

/** Who files inbound email in the history. */
export const INBOUND_ACTOR: Actor = { id: null, name: 'Email (received automatically)', role: 'system' };

const REFERENCE = /\bCMP-\d{6}\b/i;
const MAX_BODY = 100_000;

export type InboundResult =
  | { status: 'filed'; complaintId: string; reference: string; correspondenceId: string; attachments: number; skipped: { filename: string; reason: string }[] }
  | { status: 'triage'; contactId: string; residentId: string | null; attachments: number }
  | { status: 'duplicate'; messageId: string };

function addressOf(m: ParsedMail): { address: string | null; display: string | null } {
  const v = (m.from as any)?.value?.[0];
  return { address: v?.address?.toLowerCase() ?? null, display: (m.from as any)?.text ?? null };
}

export class InboundMailService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** File one raw message (RFC 5322 bytes). */
  async receive(raw: Buffer): Promise<InboundResult> {
    const mail = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
    const messageId = (mail.messageId?.trim() || `<sha256.${crypto.createHash('sha256').update(raw).digest('hex')}@inbound.putright>`).slice(0, 998);
    const now = this.clock();
    const occurredAt = mail.date && !Number.isNaN(mail.date.getTime()) && mail.date.getTime() <= now.getTime() + 60_000 ? mail.date : now;
    const subject = (mail.subject ?? '').slice(0, 500);
    const from = addressOf(mail);
    const body = (mail.text ?? (mail.html ? String(mail.html).replace(/<[^>]+>/g, ' ') : '') ?? '').trim().slice(0, MAX_BODY) || '(no text)';
    const reference = REFERENCE.exec(subject)?.[0]?.toUpperCase() ?? null;

    try {
      return await this.db.transaction().execute(async (trx) => {
        const complaint = reference ? await trx.selectFrom('complaints').select(['id', 'reference', 'resident_id']).where('reference', '=', reference).executeTakeFirst() : undefined;
        // Claim the Message-ID first: a second delivery stops here, inside its own transaction.
        const claimed = await trx
          .insertInto('inbound_messages')
          .values({ message_id: messageId, received_at: now, from_address: from.address, subject, complaint_id: complaint?.id ?? null, status: complaint ? 'filed' : 'triage' })
          .onConflict((oc) => oc.column('message_id').doNothing())
          .returning('message_id')
          .executeTakeFirst();
        if (!claimed) return { status: 'duplicate', messageId } as const;

        if (complaint) {
          const skipped: { filename: string; reason: string }[] = [];
          const kept: { filename: string; contentType: string; data: Buffer }[] = [];
          for (const a of mail.attachments ?? []) {
            const filename = a.filename || `attachment.${(a.contentType ?? '').split('/')[1] ?? 'bin'}`;
            try {
              const ok = checkAttachment(filename, a.contentType ?? '', a.content);
              kept.push({ ...ok, data: a.content });
            } catch (err) {
              skipped.push({ filename, reason: (err as Error).message });
            }
          }
          const note = skipped.length ? `\n\n[Not kept: ${skipped.map((s) => `${s.filename} (${s.reason})`).join('; ')}]` : '';
          const c = await trx
            .insertInto('correspondence')
            .values({ complaint_id: complaint.id, direction: 'in', channel: 'email', subject: subject || null, body: body + note, counterpart: from.display, occurred_at: occurredAt, recorded_by: null, created_at: now })
            .returning('id')
            .executeTakeFirstOrThrow();
          await recordHistory(
            trx,
            INBOUND_ACTOR,
            { complaintId: complaint.id, residentId: complaint.resident_id, entity: 'correspondence', entityId: c.id, action: 'message_received', after: { channel: 'email', subject, counterpart: from.display, occurredAt: occurredAt.toISOString(), messageId } },
            now,
          );
          for (const a of kept) {
            const sha256 = crypto.createHash('sha256').update(a.data).digest('hex');
            const row = await trx
              .insertInto('attachments')
              .values({ complaint_id: complaint.id, filename: a.filename, content_type: a.contentType, size_bytes: a.data.length, sha256, data: a.data, description: `Attached to the email "${subject}"`.slice(0, 1000), uploaded_by: null, created_at: now })
              .returning('id')
              .executeTakeFirstOrThrow();
            await recordHistory(
              trx,
              INBOUND_ACTOR,
              { complaintId: complaint.id, residentId: complaint.resident_id, entity: 'attachment', entityId: row.id, action: 'attachment_added', after: { filename: a.filename, contentType: a.contentType, sizeBytes: a.data.length, sha256 } },
              now,
            );
          }
          await trx.updateTable('inbound_messages').set({ correspondence_id: c.id, attachments: kept.length }).where('message_id', '=', messageId).execute();
          return { status: 'filed', complaintId: complaint.id, reference: complaint.reference, correspondenceId: c.id, attachments: kept.length, skipped } as const;
        }

        // No case named: a new contact for someone to triage (complaint, service request or nothing).
        const residents = from.address ? await trx.selectFrom('residents').select('id').where(({ eb, fn }) => eb(fn('lower', ['email']), '=', from.address)).limit(2).execute() : [];
        const residentId = residents.length === 1 ? residents[0].id : null;
        const summary = `Email from ${from.display ?? 'an unknown sender'}${subject ? `: ${subject}` : ''}\n\n${body}`.slice(0, 20_000);
        const contact = await trx
          .insertInto('contacts')
          .values({ resident_id: residentId, received_at: occurredAt, channel: 'email', summary, choice_offered: false, choice: 'undecided', complaint_id: null, service_request_id: null, recorded_by: null })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recordHistory(trx, INBOUND_ACTOR, { residentId, entity: 'contact', entityId: contact.id, action: 'email_received_for_triage', after: { from: from.display, subject, messageId, attachments: (mail.attachments ?? []).length } }, now);
        // Its files are kept with the contact, checked as a case's files are, for whoever triages it.
        let keptFiles = 0;
        for (const a of mail.attachments ?? []) {
          const filename = a.filename || `attachment.${(a.contentType ?? '').split('/')[1] ?? 'bin'}`;
          let ok: { filename: string; contentType: string };
          try {
            ok = checkAttachment(filename, a.contentType ?? '', a.content);
          } catch {
            continue;
          }
          const sha256 = crypto.createHash('sha256').update(a.content).digest('hex');
          await trx.insertInto('inbound_attachments').values({ message_id: messageId, contact_id: contact.id, filename: ok.filename, content_type: ok.contentType, size_bytes: a.content.length, sha256, data: a.content, created_at: now }).execute();
          keptFiles++;
        }
        await trx.updateTable('inbound_messages').set({ contact_id: contact.id, attachments: keptFiles }).where('message_id', '=', messageId).execute();
        return { status: 'triage', contactId: contact.id, residentId, attachments: keptFiles } as const;
      });
    } catch (err: any) {
      // Two deliveries of one message racing: the loser's insert hits the key after waiting.
      if (err?.code === '23505') return { status: 'duplicate', messageId };
      throw err;
    }
  }
}

export interface TriageItem {
  messageId: string;
  receivedAt: string;
  from: string | null;
  subject: string;
  contactId: string | null;
  residentId: string | null;
  summary: string;
  choice: string;
  attachments: { id: string; filename: string; contentType: string; sizeBytes: number }[];
}

/** Email that named no case: new contacts waiting for someone to decide what they are. */
export async function triageQueue(db: Db, opts: { all?: boolean; limit?: number } = {}): Promise<TriageItem[]> {
  let q = db
    .selectFrom('inbound_messages')
    .leftJoin('contacts', 'contacts.id', 'inbound_messages.contact_id')
    .select(['inbound_messages.message_id', 'inbound_messages.received_at', 'inbound_messages.from_address', 'inbound_messages.subject', 'inbound_messages.contact_id', 'contacts.resident_id', 'contacts.summary', 'contacts.choice'])
    .where('inbound_messages.status', '=', 'triage');
  if (!opts.all) q = q.where('contacts.choice', '=', 'undecided');
  const rows = await q.orderBy('inbound_messages.received_at', 'desc').limit(opts.limit ?? 200).execute();
  const ids = rows.map((r) => r.message_id);
  const files = ids.length
    ? await db.selectFrom('inbound_attachments').select(['id', 'message_id', 'filename', 'content_type', 'size_bytes']).where('message_id', 'in', ids).orderBy('created_at').orderBy('id').execute()
    : [];
  return rows.map((r) => ({
    messageId: r.message_id,
    receivedAt: new Date(r.received_at).toISOString(),
    from: r.from_address,
    subject: r.subject ?? '',
    contactId: r.contact_id,
    residentId: r.resident_id ?? null,
    summary: r.summary ?? '',
    choice: r.choice ?? 'undecided',
    attachments: files.filter((f) => f.message_id === r.message_id).map((f) => ({ id: f.id, filename: f.filename, contentType: f.content_type, sizeBytes: f.size_bytes })),
  }));
}

export interface InboundSmtpOptions {
  host: string;
  port: number;
  /** The largest message accepted, in bytes. */
  maxBytes?: number;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void };
}

/**
 * The SMTP endpoint: accepts mail for filing. It is meant to sit behind the landlord's own mail
 * server (which does spam and sender checks and relays the complaints mailbox here), so it offers
 * no AUTH or STARTTLS and should listen on a private address. A message is answered 250 only
 * once it is filed (or found to be a duplicate); a database problem answers 451 so the sender
 * retries.
 */
export async function startInboundSmtp(service: InboundMailService, opts: InboundSmtpOptions): Promise<{ port: number; close(): Promise<void> }> {
  const maxBytes = opts.maxBytes ?? 25 * 1024 * 1024;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    size: maxBytes,
    logger: false,
    banner: 'Putright inbound mail',
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if ((stream as any).sizeExceeded) {
          const err: any = new Error('Message is too large');
          err.responseCode = 552;
          return callback(err);
        }
        service.receive(Buffer.concat(chunks)).then(
          (r) => {
            opts.log?.info({ inbound: r.status }, 'inbound email');
            callback(null, r.status === 'duplicate' ? 'Already received' : 'Filed');
          },
          (err) => {
            opts.log?.error({ err: { message: (err as Error).message } }, 'inbound email could not be filed');
            const e: any = new Error('Could not file the message just now; please try again later');
            e.responseCode = 451;
            callback(e);
          },
        );
      });
    },
  });
  server.on('error', (err) => opts.log?.warn({ err: { message: err.message } }, 'inbound SMTP connection error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  return {
    port: (server.server.address() as any).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
