/**
 * The evidence service: gathers a period's record (each complaint's case summary, folded by the
 * lifecycle engine when the complaint last changed and stored beside it, and the contacts, service
 * requests, needs, restrictions, letters, remedies and actions around them) and hands it to the
 * pure core, which counts the cases and writes the self-assessment's evidence sentences and flags.
 * Reads only.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { londonDateOf, type LocalDate } from '../core/dates.js';
import { newCaseTally, provisionEvidence, tallyCase, type ActionTally, type CaseSummary, type EvidenceInput, type RemedyTally } from '../core/self-assessment.js';

import { reportGate } from './report-gate.js';

/** How many complaints the evidence reads at a time. */
const EVIDENCE_BATCH = 5000;
interface CaseRow {
  complaint_id: string;
  last_on: LocalDate;
  summary: string;
  channel: string;
  representative: boolean;
  contractor: string | null;
  from_service_request: boolean;
  service_area: string | null;
  logged_by_role: string | null;
}
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
    return reportGate.run(() => this.gatherNow(from, to));
  }

  private async gatherNow(from: LocalDate, to: LocalDate): Promise<EvidenceInput> {
    const db = this.db;
    const today = londonDateOf(this.clock());
    const asAt = to < today ? to : today;
    const { settings } = await this.settings.load();
    // An instant on a London day from `from` to `to`, as a range its index can serve.
    const onLondonDays = (col: string) =>
      sql<boolean>`${sql.ref(col)} >= (${from}::date::timestamp at time zone 'Europe/London') and ${sql.ref(col)} < ((${to}::date + 1)::timestamp at time zone 'Europe/London')`;

    // The complaints with any day in the period (from their stored summaries), read in batches and
    // counted as they come, so none is held longer than its batch.
    const cases = newCaseTally();
    const period = { from, to, asAt };
    let after: { lastOn: LocalDate; id: string } | null = null;
    for (;;) {
      const batch: CaseRow[] = await db
        .selectFrom('complaint_case_summaries as s')
        .leftJoin('users as u', 'u.id', 's.logged_by')
        .select(['s.complaint_id', 's.last_on', 's.summary', 's.channel', 's.representative', 's.contractor', 's.from_service_request', 's.service_area', 'u.role as logged_by_role'])
        .where('s.last_on', '>=', from)
        .where('s.first_on', '<=', to)
        .$if(after !== null, (q) => q.where(sql<boolean>`(s.last_on, s.complaint_id) > (${after!.lastOn}::date, ${after!.id}::uuid)`))
        .orderBy('s.last_on')
        .orderBy('s.complaint_id')
        .limit(EVIDENCE_BATCH)
        .execute();
      for (const r of batch) {
        tallyCase(
          cases,
          {
            id: r.complaint_id,
            reference: '',
            channel: r.channel,
            loggedByRole: r.logged_by_role ?? null,
            representative: r.representative,
            contractor: r.contractor,
            fromServiceRequest: r.from_service_request,
            serviceArea: r.service_area,
            summary: JSON.parse(r.summary) as CaseSummary,
          },
          period,
        );
      }
      if (batch.length < EVIDENCE_BATCH) break;
      const last = batch[batch.length - 1];
      after = { lastOn: last.last_on, id: last.complaint_id };
    }

    const [contacts, srs, needs, restrictions, letters, remedies, actions, caseloads, assessments, notices] = await Promise.all([
      db
        .selectFrom('contacts')
        .select([
          sql<string>`count(*)`.as('all'),
          sql<string>`count(*) filter (where choice_offered)`.as('offered'),
          sql<string>`count(*) filter (where choice = 'complaint')`.as('complaint'),
        ])
        .where(onLondonDays('received_at'))
        .executeTakeFirstOrThrow(),
      db
        .selectFrom('service_requests')
        .select([
          sql<string>`count(*)`.as('logged'),
          sql<string>`count(*) filter (where status = 'open')`.as('open'),
          sql<string>`count(*) filter (where last_reviewed_on is not null)`.as('reviewed'),
          sql<string>`count(*) filter (where exists (select 1 from complaints c where c.service_request_id = service_requests.id))`.as('raised'),
        ])
        .where(onLondonDays('received_at'))
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
        .where(onLondonDays('sent_at'))
        .groupBy('kind')
        .execute(),
      sql<{ type: string; n: number; with_band: number; paid_pence: string; dated: number; on_time: number; late: number }>`
        select type, count(*)::int as n, count(*) filter (where impact_band is not null)::int as with_band,
          coalesce(sum(amount_pence) filter (where paid_on is not null), 0)::text as paid_pence,
          count(*) filter (where due_on is not null and status <> 'cancelled')::int as dated,
          count(*) filter (where due_on is not null and status <> 'cancelled' and coalesce(completed_on, paid_on) <= due_on)::int as on_time,
          count(*) filter (where due_on is not null and status <> 'cancelled' and status not in ('declined', 'lapsed')
                             and (case when coalesce(completed_on, paid_on) is not null then coalesce(completed_on, paid_on) > due_on else due_on < ${asAt}::date end))::int as late
        from remedies where recorded_on >= ${from}::date and recorded_on <= ${to}::date
        group by type`.execute(db),
      sql<{ stage: number | null; n: number; open: number; overdue: number; done: number; done_by_date: number; owners: number }>`
        select grouping(stage)::int as g, stage, count(*)::int as n, count(*) filter (where status = 'open')::int as open,
          count(*) filter (where status = 'open' and due_on < ${asAt}::date)::int as overdue,
          count(*) filter (where status = 'done')::int as done,
          count(*) filter (where status = 'done' and (due_on is null or completed_on <= due_on))::int as done_by_date,
          count(distinct coalesce(owner_user_id::text, owner_team))::int as owners
        from actions where recorded_on >= ${from}::date and recorded_on <= ${to}::date
        group by grouping sets ((stage), ())`.execute(db),
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
      remedies: remedyTally(remedies.rows),
      actions: actionTally(actions.rows),
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
    return { asAt: input.asAt, ...provisionEvidence(input) };
  }
}

function remedyTally(rows: { type: string; n: number; with_band: number; paid_pence: string; dated: number; on_time: number; late: number }[]): RemedyTally {
  const t: RemedyTally = { recorded: 0, byType: {}, financial: 0, financialWithImpactBand: 0, paidPence: 0, dated: 0, datedOnTime: 0, datedLateOrOverdue: 0 };
  for (const r of rows) {
    t.recorded += r.n;
    t.byType[r.type] = r.n;
    if (r.type === 'financial') {
      t.financial += r.n;
      t.financialWithImpactBand += r.with_band;
    }
    t.paidPence += Number(r.paid_pence);
    t.dated += r.dated;
    t.datedOnTime += r.on_time;
    t.datedLateOrOverdue += r.late;
  }
  return t;
}

function actionTally(rows: { g?: number; stage: number | null; n: number; open: number; overdue: number; done: number; done_by_date: number; owners: number }[]): ActionTally {
  const empty = () => ({ recorded: 0, open: 0, overdue: 0, done: 0, doneByDate: 0 });
  const t: ActionTally = { recorded: 0, owners: 0, byStage: { 1: empty(), 2: empty() } };
  for (const r of rows) {
    if (Number(r.g) === 1) {
      t.recorded = r.n;
      t.owners = r.owners;
    } else if (r.stage === 1 || r.stage === 2) {
      t.byStage[r.stage] = { recorded: r.n, open: r.open, overdue: r.overdue, done: r.done, doneByDate: r.done_by_date };
    }
  }
  return t;
}
