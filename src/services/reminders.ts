/**
 * Reminders as scheduled sweeps (Code 6.6, 7.3; issue #6 part 7): outstanding actions due or
 * overdue, updates owed to the resident on an action, remedies due (payments owed, offers about to
 * lapse, other remedies by their date), a complaint's agreed update interval, reviews of
 * reasonable adjustments and contact restrictions, and the Ombudsman's deadlines (requests for
 * information and orders).
 *
 * Exactly once with several app instances: each reminder has a key (subject, subject id, kind,
 * due date). Sending it means inserting that key into `reminders_sent` (unique) and, in the same
 * transaction, writing the email to the outbox. A second instance's insert of the same key waits
 * for the first transaction and then does nothing (ON CONFLICT DO NOTHING), so the email is queued
 * once; the outbox then sends it once per its own rules. A changed due date is a new reminder.
 *
 * `ReminderSweeper` runs `sweep()` every `intervalMs` (started from src/server.ts like the outbox
 * worker; PUTRIGHT_REMINDER_INTERVAL_SECONDS) and stops cleanly, waiting for a sweep in progress.
 * Reminders also show in the app: `forUser` lists a user's recent ones for "my actions".
 */
import crypto from 'node:crypto';
import os from 'node:os';
import { sql, type RawBuilder, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { addDays, formatLongDate, londonDateOf, type LocalDate } from '../core/dates.js';
import { pounds } from '../core/remedies.js';
import { enqueueEmail } from './outbox.js';

type Clock = () => Date;

export const REMINDER_KINDS = {
  action_due: 'Action due soon',
  action_overdue: 'Action overdue',
  action_resident_update_due: 'Update owed to the resident on an action',
  remedy_due: 'Remedy due',
  remedy_payment_due: 'Compensation accepted, payment due',
  remedy_offer_lapsing: 'Offer about to lapse',
  remedy_awaiting_approval: 'Offer waiting for approval',
  complaint_update_due: 'Update owed to the resident on a complaint',
  adjustment_review_due: 'Reasonable adjustment due for review',
  restriction_review_due: 'Contact restriction due for review',
  ombudsman_information_due: 'Information due to the Ombudsman',
  ombudsman_order_due: 'Ombudsman order due',
} as const;
export type ReminderKind = keyof typeof REMINDER_KINDS;

/** One reminder a sweep found: who gets it and what it says. */
export interface Candidate {
  subject: string;
  subjectId: string;
  kind: ReminderKind;
  dueOn: LocalDate;
  complaintId: string | null;
  recipients: string[];
  text: string;
}

export interface ReminderOptions {
  /** Remind this many days before a due date (and again once it is overdue). */
  leadDays?: number;
  /** A name for this instance, stored with each reminder it sends. */
  instance?: string;
}

export class ReminderService {
  readonly instance: string;
  private readonly leadDays: number;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock = () => new Date(),
    opts: ReminderOptions = {},
  ) {
    this.leadDays = opts.leadDays ?? 2;
    this.instance = opts.instance ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
  }

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  /** Every reminder due now, before de-duplication (all batches of `batches()` at once: for tests and small data). */
  async candidates(): Promise<Candidate[]> {
    const out: Candidate[] = [];
    for await (const batch of this.batches({ unsentOnly: false })) out.push(...batch);
    return out;
  }

  /**
   * The reminders due now, a batch at a time, each source read in pages by id so that memory and
   * each query stay small whatever the size of the landlord. With `unsentOnly`, PostgreSQL leaves
   * out those already in `reminders_sent` (by their whole key), so a sweep with nothing new to send
   * reads nothing but the index; the claim in `sendOne` still decides between instances.
   */
  async *batches(opts: { unsentOnly: boolean; size?: number }): AsyncGenerator<Candidate[]> {
    const size = opts.size ?? 500;
    const today = this.today();
    const horizon = addDays(today, this.leadDays);
    const teams = new Map<string, string[]>();
    const teamMembers = async (team: string | null): Promise<string[]> => {
      if (!team) return [];
      const k = team.toLowerCase();
      if (!teams.has(k)) {
        const rows = await this.db.selectFrom('users').select('id').where('active', '=', true).where(sql<string>`lower(team)`, '=', k).execute();
        teams.set(k, rows.map((r) => r.id));
      }
      return teams.get(k)!;
    };
    const owners = async (userId: string | null, team: string | null, fallback?: string | null) => {
      if (userId) return [userId];
      const members = await teamMembers(team);
      return members.length ? members : fallback ? [fallback] : [];
    };
    const when = (d: LocalDate) => (d < today ? `was due on ${formatLongDate(d)} and is overdue` : d === today ? 'is due today' : `is due on ${formatLongDate(d)}`);
    /** Not yet sent: no row in reminders_sent with this key (the unique index answers it). */
    const unsent = (subject: string, id: RawBuilder<unknown>, kind: RawBuilder<unknown>, due: RawBuilder<unknown>) =>
      opts.unsentOnly
        ? sql<boolean>`not exists (select 1 from reminders_sent s where s.subject = ${subject} and s.subject_id = ${id} and s.kind = ${kind} and s.due_on = ${due})`
        : sql<boolean>`true`;
    /** Page through one source by its id. */
    async function* pages<R extends { id: string }>(read: (after: string | null) => Promise<R[]>): AsyncGenerator<R[]> {
      let after: string | null = null;
      for (;;) {
        const rows = await read(after);
        if (rows.length) yield rows;
        if (rows.length < size) return;
        after = rows[rows.length - 1].id;
      }
    }
    const afterId = (col: string, after: string | null) => (after ? sql<boolean>`${sql.ref(col)} > ${after}` : sql<boolean>`true`);
    /** One source's rows due (and, with `unsentOnly`, not yet sent under `key`), a page at a time in order of `id`. */
    const source = <R extends { id: string }>(id: string, key: { subject: string; kind: RawBuilder<unknown>; due: RawBuilder<unknown> }, base: () => SelectQueryBuilder<any, any, R>) =>
      pages<R>((after) => base().where(afterId(id, after)).where(unsent(key.subject, sql.ref(id), key.kind, key.due)).orderBy(sql.ref(id)).limit(size).execute() as Promise<R[]>);
    const emit = function* (list: Candidate[]) {
      const kept = list.filter((c) => c.recipients.length > 0);
      if (kept.length) yield kept;
    };

    // Outstanding actions: due soon or overdue (a reminder each way), and updates owed to the resident.
    const actionKind = sql`case when a.due_on < ${today}::date then 'action_overdue' else 'action_due' end`;
    for await (const rows of source('a.id', { subject: 'action', kind: actionKind, due: sql`a.due_on` }, () =>
      this.db
        .selectFrom('actions as a')
        .innerJoin('complaints as c', 'c.id', 'a.complaint_id')
        .select(['a.id', 'a.complaint_id', 'a.description', 'a.due_on', 'a.owner_user_id', 'a.owner_team', 'a.created_by', 'c.reference'])
        .where('a.status', '=', 'open')
        .where('a.due_on', '<=', horizon),
    )) {
      const out: Candidate[] = [];
      for (const a of rows) {
        const due = a.due_on!;
        out.push({ subject: 'action', subjectId: a.id, kind: due < today ? 'action_overdue' : 'action_due', dueOn: due, complaintId: a.complaint_id, recipients: await owners(a.owner_user_id, a.owner_team, a.created_by), text: `Action on ${a.reference}: “${a.description}” ${when(due)}.` });
      }
      yield* emit(out);
    }
    for await (const rows of source('a.id', { subject: 'action', kind: sql`'action_resident_update_due'`, due: sql`a.resident_update_due_on` }, () =>
      this.db
        .selectFrom('actions as a')
        .innerJoin('complaints as c', 'c.id', 'a.complaint_id')
        .select(['a.id', 'a.complaint_id', 'a.description', 'a.resident_update_due_on', 'a.owner_user_id', 'a.owner_team', 'a.created_by', 'c.reference'])
        .where('a.status', '=', 'open')
        .where('a.resident_update_due_on', '<=', horizon),
    )) {
      const out: Candidate[] = [];
      for (const a of rows) {
        const due = a.resident_update_due_on!;
        out.push({ subject: 'action', subjectId: a.id, kind: 'action_resident_update_due', dueOn: due, complaintId: a.complaint_id, recipients: await owners(a.owner_user_id, a.owner_team, a.created_by), text: `An update to the resident on ${a.reference} about “${a.description}” ${when(due)}.` });
      }
      yield* emit(out);
    }

    // Remedies: payments owed, offers lapsing, approvals waiting, other remedies by their date.
    // Each remedy's kind and date, as the loop below decides them, so the key can be checked in SQL.
    const remedyKind = sql`case r.status when 'offered' then 'remedy_offer_lapsing' when 'accepted' then 'remedy_payment_due' when 'awaiting_approval' then 'remedy_awaiting_approval' else 'remedy_due' end`;
    const remedyDue = sql`case r.status when 'offered' then r.open_until when 'accepted' then coalesce(r.due_on, r.accepted_on, ${today}::date) when 'awaiting_approval' then r.recorded_on else r.due_on end`;
    let approvers: string[] | null = null;
    for await (const rows of source('r.id', { subject: 'remedy', kind: remedyKind, due: remedyDue }, () =>
      this.db
        .selectFrom('remedies as r')
        .innerJoin('complaints as c', 'c.id', 'r.complaint_id')
        .select(['r.id', 'r.complaint_id', 'r.status', 'r.description', 'r.amount_pence', 'r.due_on', 'r.accepted_on', 'r.open_until', 'r.recorded_on', 'r.owner_user_id', 'r.owner_team', 'r.created_by', 'c.reference'])
        .where((eb) =>
          eb.or([
            eb.and([eb('r.status', 'in', ['open', 'approved', 'accepted']), eb('r.due_on', '<=', horizon)]),
            eb.and([eb('r.status', '=', 'accepted'), eb('r.due_on', 'is', null)]),
            eb.and([eb('r.status', '=', 'offered'), eb('r.open_until', '>=', today), eb('r.open_until', '<=', horizon)]),
            eb('r.status', '=', 'awaiting_approval'),
          ]),
        ),
    )) {
      const out: Candidate[] = [];
      for (const r of rows) {
        const ref = r.reference;
        const amount = r.amount_pence ? pounds(r.amount_pence) : '';
        if (r.status === 'offered' && r.open_until) {
          const to = await owners(r.owner_user_id, r.owner_team, r.created_by);
          out.push({ subject: 'remedy', subjectId: r.id, kind: 'remedy_offer_lapsing', dueOn: r.open_until, complaintId: r.complaint_id, recipients: to, text: `The offer of ${amount} on ${ref} lapses after ${formatLongDate(r.open_until)} unless the resident accepts it.` });
        } else if (r.status === 'accepted') {
          const to = await owners(r.owner_user_id, r.owner_team, r.created_by);
          const due = r.due_on ?? r.accepted_on ?? today;
          out.push({ subject: 'remedy', subjectId: r.id, kind: 'remedy_payment_due', dueOn: due, complaintId: r.complaint_id, recipients: to, text: `The resident accepted ${amount} on ${ref}: payment ${when(due)}. Never offset it against arrears.` });
        } else if (r.status === 'awaiting_approval') {
          approvers ??= (await this.db.selectFrom('users').select('id').where('active', '=', true).where('role', '=', 'manager').execute()).map((u) => u.id);
          out.push({ subject: 'remedy', subjectId: r.id, kind: 'remedy_awaiting_approval', dueOn: r.recorded_on, complaintId: r.complaint_id, recipients: approvers, text: `An offer of ${amount} on ${ref} is waiting for a manager’s approval.` });
        } else if (r.due_on) {
          const to = await owners(r.owner_user_id, r.owner_team, r.created_by);
          out.push({ subject: 'remedy', subjectId: r.id, kind: 'remedy_due', dueOn: r.due_on, complaintId: r.complaint_id, recipients: to, text: `A remedy on ${ref} (“${r.description}”) ${when(r.due_on)}.` });
        }
      }
      yield* emit(out);
    }

    // A complaint's agreed update interval: the next update to the resident.
    for await (const rows of source('c.id', { subject: 'complaint', kind: sql`'complaint_update_due'`, due: sql`c.next_due_on` }, () =>
      this.db
        .selectFrom('complaints as c')
        .select(['c.id', 'c.reference', 'c.stage', 'c.stage1_handler_id', 'c.stage2_handler_id', 'c.next_due_on'])
        .where('c.next_due_kind', '=', 'update')
        .where('c.next_due_on', '<=', horizon),
    )) {
      yield* emit(
        rows.map((c) => {
          const handler = c.stage === 2 ? c.stage2_handler_id : c.stage1_handler_id;
          return { subject: 'complaint', subjectId: c.id, kind: 'complaint_update_due', dueOn: c.next_due_on!, complaintId: c.id, recipients: handler ? [handler] : [], text: `The agreed update to the resident on ${c.reference} ${when(c.next_due_on!)}.` };
        }),
      );
    }

    // Reviews of reasonable adjustments and contact restrictions.
    for await (const rows of source('n.id', { subject: 'resident_need', kind: sql`'adjustment_review_due'`, due: sql`n.review_on` }, () =>
      this.db
        .selectFrom('resident_needs as n')
        .select(['n.id', 'n.resident_id', 'n.description', 'n.review_on', 'n.recorded_by'])
        .where('n.ended_on', 'is', null)
        .where('n.review_on', '<=', horizon),
    )) {
      yield* emit(
        rows.map((n) => ({ subject: 'resident_need', subjectId: n.id, kind: 'adjustment_review_due', dueOn: n.review_on!, complaintId: null, recipients: n.recorded_by ? [n.recorded_by] : [], text: `The review of a resident’s recorded need (“${n.description}”) ${when(n.review_on!)}.` })),
      );
    }
    for await (const rows of source('r.id', { subject: 'contact_restriction', kind: sql`'restriction_review_due'`, due: sql`r.review_on` }, () =>
      this.db
        .selectFrom('contact_restrictions as r')
        .select(['r.id', 'r.restriction', 'r.review_on', 'r.decided_by'])
        .where((eb) => eb.or([eb('r.ends_on', 'is', null), eb('r.ends_on', '>=', today)]))
        .where('r.review_on', '<=', horizon),
    )) {
      yield* emit(
        rows.map((r) => ({ subject: 'contact_restriction', subjectId: r.id, kind: 'restriction_review_due', dueOn: r.review_on, complaintId: null, recipients: r.decided_by ? [r.decided_by] : [], text: `The review of a contact restriction (“${r.restriction}”) ${when(r.review_on)}.` })),
      );
    }

    // The Ombudsman's deadlines.
    for await (const rows of source('r.id', { subject: 'ombudsman_request', kind: sql`'ombudsman_information_due'`, due: sql`r.due_on` }, () =>
      this.db
        .selectFrom('ombudsman_requests as r')
        .innerJoin('ombudsman_cases as c', 'c.id', 'r.case_id')
        .select(['r.id', 'r.due_on', 'r.what', 'c.reference', 'c.complaint_id', 'c.owner_user_id', 'c.created_by'])
        .where('r.replied_on', 'is', null)
        .where('r.due_on', '<=', horizon),
    )) {
      yield* emit(
        rows.map((r) => {
          const to = r.owner_user_id ?? r.created_by;
          return { subject: 'ombudsman_request', subjectId: r.id, kind: 'ombudsman_information_due', dueOn: r.due_on, complaintId: r.complaint_id, recipients: to ? [to] : [], text: `Information for the Ombudsman on case ${r.reference} (“${r.what}”) ${when(r.due_on)}. A late reply risks a Complaint Handling Failure Order.` };
        }),
      );
    }
    for await (const rows of source('o.id', { subject: 'ombudsman_order', kind: sql`'ombudsman_order_due'`, due: sql`o.due_on` }, () =>
      this.db
        .selectFrom('ombudsman_orders as o')
        .innerJoin('ombudsman_cases as c', 'c.id', 'o.case_id')
        .select(['o.id', 'o.due_on', 'o.description', 'o.owner_user_id', 'c.reference', 'c.complaint_id', 'c.owner_user_id as case_owner'])
        .where('o.kind', '=', 'order')
        .where('o.complied_on', 'is', null)
        .where('o.due_on', '<=', horizon),
    )) {
      yield* emit(
        rows.map((o) => {
          const to = o.owner_user_id ?? o.case_owner;
          return { subject: 'ombudsman_order', subjectId: o.id, kind: 'ombudsman_order_due', dueOn: o.due_on!, complaintId: o.complaint_id, recipients: to ? [to] : [], text: `The Ombudsman’s order on case ${o.reference} (“${o.description}”) ${when(o.due_on!)}: comply no later than that date and send the evidence.` };
        }),
      );
    }
  }

  /**
   * Send each reminder due now that no instance has sent: claim its key, queue the email in the
   * same transaction. Reads the unsent ones a batch at a time. Returns the reminders this call sent.
   */
  async sweep(opts: { shouldStop?: () => boolean; size?: number } = {}): Promise<Candidate[]> {
    const sent: Candidate[] = [];
    for await (const batch of this.batches({ unsentOnly: true, size: opts.size })) {
      for (const c of batch) {
        if (opts.shouldStop?.()) return sent;
        if (await this.sendOne(c)) sent.push(c);
      }
    }
    return sent;
  }

  /** Claim and queue one reminder; false when another instance (or an earlier sweep) sent it. */
  async sendOne(c: Candidate): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const claimed = await trx
        .insertInto('reminders_sent')
        .values({
          subject: c.subject,
          subject_id: c.subjectId,
          kind: c.kind,
          due_on: c.dueOn,
          complaint_id: c.complaintId,
          recipient_user_ids: JSON.stringify(c.recipients),
          message: c.text,
          instance: this.instance,
          sent_at: this.clock(),
        })
        .onConflict((oc) => oc.columns(['subject', 'subject_id', 'kind', 'due_on']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!claimed) return false;
      const users = await trx.selectFrom('users').select(['email', 'name']).where('id', 'in', c.recipients).where('active', '=', true).execute();
      if (users.length) {
        const { id } = await enqueueEmail(
          trx,
          {
            to: users.map((u) => u.email),
            subject: `Reminder: ${REMINDER_KINDS[c.kind]}`,
            text: `${c.text}\n\nThis is an automatic reminder from Putright. Open the case to record progress.`,
            complaintId: c.complaintId,
            kind: 'reminder',
          },
          this.clock(),
        );
        await trx.updateTable('reminders_sent').set({ outbox_id: id }).where('id', '=', claimed.id).execute();
      }
      return true;
    });
  }

  /** A user's reminders from the last `days` days, newest first (for "my actions"). */
  async forUser(userId: string, days = 14) {
    const since = new Date(this.clock().getTime() - days * 86_400_000);
    const rows = await this.db
      .selectFrom('reminders_sent')
      .select(['id', 'kind', 'due_on', 'complaint_id', 'message', 'sent_at'])
      .where('sent_at', '>=', since)
      .where(sql<boolean>`recipient_user_ids @> ${JSON.stringify([userId])}::jsonb`)
      .orderBy('sent_at', 'desc')
      .orderBy('id')
      .limit(50)
      .execute();
    return rows.map((r) => ({ id: r.id, kind: r.kind, label: REMINDER_KINDS[r.kind as ReminderKind] ?? r.kind, dueOn: r.due_on, complaintId: r.complaint_id, message: r.message, sentAt: new Date(r.sent_at).toISOString() }));
  }
}

/** Runs the sweep on a timer; `stop()` waits for a sweep in progress to finish. */
export class ReminderSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(
    private readonly reminders: ReminderService,
    private readonly opts: { intervalMs: number; log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void }; onSent?: (n: number) => void },
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(ms: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.tick().finally(() => {
        this.running = null;
        this.schedule(this.opts.intervalMs);
      });
    }, ms);
    this.timer.unref?.();
  }

  private async tick() {
    try {
      const sent = await this.reminders.sweep({ shouldStop: () => this.stopped });
      if (sent.length) {
        this.opts.log?.info({ sent: sent.length }, 'reminders sent');
        this.opts.onSent?.(sent.length);
      }
    } catch (err) {
      this.opts.log?.warn({ err: { message: (err as Error).message } }, 'reminders: sweep failed; will try again');
    }
  }
}
