/**
 * The evidence service: gathers a period's record (complaints with their lifecycle events, and the
 * contacts, service requests, needs, restrictions, letters, remedies and actions around them) and
 * hands it to the pure core, which projects each case with the lifecycle engine and writes the
 * self-assessment's evidence sentences and flags. Read-only.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { londonDateOf, type LocalDate } from '../core/dates.js';
import type { LifecycleEvent, LifecycleEventData } from '../core/lifecycle.js';
import { provisionEvidence, type CaseFacts, type EvidenceInput } from '../core/self-assessment.js';
import type { SettingsService } from './settings.js';

export const CHANNEL_NAMES: Record<string, string> = {
  phone: 'Phone',
  email: 'Email',
  letter: 'Letter',
  web: 'Website',
  in_person: 'In person',
  social_media: 'Social media',
  text: 'Text message',
  other: 'Other',
};

/** Learning items and Ombudsman findings, when the learning register is present (wired by the lead). */
export type LearningSource = (from: LocalDate, to: LocalDate) => Promise<{ raised: number; done: number } | null>;
export type OmbudsmanSource = (from: LocalDate, to: LocalDate) => Promise<{ determinations: number; nonComplianceFindings: number } | null>;

export class EvidenceService {
  learning: LearningSource | null = null;
  ombudsman: OmbudsmanSource | null = null;

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly clock: () => Date,
  ) {}

  /** The period's record, ready for the core. Figures are as at the end of the period, or today if sooner. */
  async gather(from: LocalDate, to: LocalDate): Promise<EvidenceInput> {
    const db = this.db;
    const today = londonDateOf(this.clock());
    const asAt = to < today ? to : today;
    const { settings } = await this.settings.load();
    const londonDay = (col: string) => sql<string>`(${sql.ref(col)} at time zone 'Europe/London')::date`;

    // Complaints that can have a stage, an acknowledgement or a response in the period.
    const lookback = `${Number(from.slice(0, 4)) - 2}${from.slice(4)}`;
    const rows = await db
      .selectFrom('complaints')
      .leftJoin('users', 'users.id', 'complaints.logged_by')
      .select(['complaints.id', 'complaints.reference', 'complaints.channel', 'complaints.representative_id', 'complaints.contractor', 'complaints.service_request_id', 'complaints.service_area', 'users.role as logged_by_role'])
      .where('complaints.received_on', '<=', to)
      .where('complaints.received_on', '>=', lookback)
      .execute();
    // The cases' lifecycle events in one query (jsonb read as text and parsed here: much faster
    // through the embedded database's adapter than jsonb values).
    const events = new Map<string, LifecycleEvent[]>();
    const hist = await db
      .selectFrom('history')
      .select(['complaint_id', sql<string>`event::text`.as('event'), 'actor_id', 'at'])
      .where('complaint_id', 'in', (eb) => eb.selectFrom('complaints').select('id').where('received_on', '<=', to).where('received_on', '>=', lookback))
      .where('entity', '=', 'complaint')
      .where('event', 'is not', null)
      .orderBy('id')
      .execute();
    for (const h of hist) {
      const list = events.get(h.complaint_id!) ?? [];
      list.push({ ...(JSON.parse(h.event) as LifecycleEventData), actorId: h.actor_id, at: new Date(h.at).toISOString() } as LifecycleEvent);
      events.set(h.complaint_id!, list);
    }
    const cases: CaseFacts[] = rows.map((r) => ({
      id: r.id,
      reference: r.reference,
      channel: r.channel,
      loggedByRole: r.logged_by_role ?? null,
      representative: !!r.representative_id,
      contractor: r.contractor,
      fromServiceRequest: !!r.service_request_id,
      serviceArea: r.service_area,
      events: events.get(r.id) ?? [],
    }));

    const [contacts, srs, needs, restrictions, letters, remedies, actions, caseloads, assessments, notices] = await Promise.all([
      db
        .selectFrom('contacts')
        .select([
          sql<string>`count(*)`.as('all'),
          sql<string>`count(*) filter (where choice_offered)`.as('offered'),
          sql<string>`count(*) filter (where choice = 'complaint')`.as('complaint'),
        ])
        .where(londonDay('received_at'), '>=', from)
        .where(londonDay('received_at'), '<=', to)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('service_requests')
        .select([
          sql<string>`count(*)`.as('logged'),
          sql<string>`count(*) filter (where status = 'open')`.as('open'),
          sql<string>`count(*) filter (where last_reviewed_on is not null)`.as('reviewed'),
          sql<string>`count(*) filter (where id in (select service_request_id from complaints where service_request_id is not null))`.as('raised'),
        ])
        .where(londonDay('received_at'), '>=', from)
        .where(londonDay('received_at'), '<=', to)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('resident_needs')
        .select([sql<string>`count(*)`.as('recorded'), sql<string>`count(*) filter (where review_on < ${asAt})`.as('overdue')])
        .where('ended_on', 'is', null)
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('contact_restrictions')
        .select([
          sql<string>`count(*)`.as('inforce'),
          sql<string>`count(*) filter (where review_on < ${asAt})`.as('overdue'),
          sql<string>`count(*) filter (where length(trim(equality_considerations)) > 0 and length(trim(proportionality)) > 0)`.as('equality'),
        ])
        .where('starts_on', '<=', asAt)
        .where((eb) => eb.or([eb('ends_on', 'is', null), eb('ends_on', '>=', asAt)]))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('letters')
        .select(['kind', sql<string>`count(*)`.as('n')])
        .where(londonDay('sent_at'), '>=', from)
        .where(londonDay('sent_at'), '<=', to)
        .groupBy('kind')
        .execute(),
      db
        .selectFrom('remedies')
        .select(['type', 'stage', 'status', 'due_on', 'completed_on', 'paid_on', 'amount_pence', 'impact_band'])
        .where('recorded_on', '>=', from)
        .where('recorded_on', '<=', to)
        .execute(),
      db
        .selectFrom('actions')
        .select(['stage', 'status', 'due_on', 'completed_on', 'owner_user_id', 'owner_team'])
        .where('recorded_on', '>=', from)
        .where('recorded_on', '<=', to)
        .execute(),
      db
        .selectFrom('complaints')
        .select([sql<string>`case when stage = 2 then stage2_handler_id else stage1_handler_id end`.as('handler'), sql<string>`count(*)`.as('n')])
        .where('status', 'in', ['awaiting_acknowledgement', 'investigating', 'responded'])
        .groupBy(sql`1`)
        .execute(),
      db.selectFrom('self_assessments').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
      db.selectFrom('exceptional_notices').select(sql<string>`count(*)`.as('n')).executeTakeFirstOrThrow(),
    ]);

    const byKind: Record<string, number> = {};
    for (const l of letters) byKind[l.kind] = Number(l.n);
    return {
      from,
      to,
      asAt,
      cases,
      contacts: { dissatisfied: Number(contacts.all), choiceOffered: Number(contacts.offered), choseComplaint: Number(contacts.complaint) },
      serviceRequests: { logged: Number(srs.logged), openNow: Number(srs.open), reviewed: Number(srs.reviewed), raisedComplaint: Number(srs.raised) },
      needs: { recorded: Number(needs.recorded), reviewsOverdue: Number(needs.overdue) },
      restrictions: { inForce: Number(restrictions.inforce), reviewsOverdue: Number(restrictions.overdue), withEqualityConsiderations: Number(restrictions.equality) },
      letters: { sent: Object.values(byKind).reduce((a, b) => a + b, 0), byKind },
      remedies: remedies.map((r) => ({ type: r.type, stage: r.stage, status: r.status, dueOn: r.due_on, completedOn: r.completed_on, paidOn: r.paid_on, amountPence: r.amount_pence, impactBand: r.impact_band })),
      actions: actions.map((a) => ({ stage: a.stage, status: a.status, dueOn: a.due_on, completedOn: a.completed_on, owner: a.owner_user_id ?? a.owner_team })),
      caseloads: caseloads.filter((c) => c.handler).map((c) => Number(c.n)),
      exclusionGrounds: settings.exclusionGrounds,
      channelLabels: CHANNEL_NAMES,
      assessmentsBefore: Number(assessments.n),
      notices: Number(notices.n),
      learning: this.learning ? await this.learning(from, to) : null,
      ombudsman: this.ombudsman ? await this.ombudsman(from, to) : null,
    };
  }

  /** The evidence sentences and flags for every provision, with the figures behind them. */
  async forPeriod(from: LocalDate, to: LocalDate) {
    const input = await this.gather(from, to);
    const calendar = await this.settings.calendar();
    return { asAt: input.asAt, ...provisionEvidence(input, calendar) };
  }
}
