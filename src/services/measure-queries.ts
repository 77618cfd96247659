/**
 * The measures counted in PostgreSQL over the stored facts (stage-facts.ts), so a year's CH01 and
 * CH02, or a period's dashboard, is one grouped query over the stages that overlap it, whatever
 * the size of the landlord. Each figure's condition is written once here (`TSM_CONDITIONS`) and
 * serves both the count and the list of complaints behind it. The definitions are the pure ones in
 * src/core/measures.ts (`tsmFiguresOf`, `tallyDashboard`); test/reports/measure-queries.test.ts
 * checks, on random facts and on both databases, that these queries count exactly what they do.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { asBulkRead } from '../db/snapshot.js';
import { addDays, type LocalDate } from '../core/dates.js';
import {
  DASHBOARD_STAGE_FIGURES,
  FACTS_VERSION,
  TSM_TALLY_FIGURES,
  periodAsOf,
  tsmAsOf,
  type ComplaintFacts,
  type Counted,
  type DashboardTally,
  type ReportingYear,
  type StageFacts,
  type Tenure,
  type TsmTally,
  type TsmTallyFigure,
} from '../core/measures.js';

const d = (x: LocalDate) => sql`${x}::date`;

/** A year's window: the figures count stages started, answered or open in it. */
interface Window {
  from: LocalDate;
  to: LocalDate;
  asOf: LocalDate;
  /** Only complaints received on or before this day (London date). */
  receivedBy: LocalDate;
}

/** The stages that can count in a window: first dated by its end, open or last dated since its start. */
function overlaps(w: Window, alias = 'f') {
  const lower = w.asOf < w.from ? w.asOf : w.from;
  return sql`${sql.ref(`${alias}.received_on`)} <= ${d(w.receivedBy)} and ${sql.ref(`${alias}.first_on`)} <= ${d(w.to)} and coalesce(${sql.ref(`${alias}.last_on`)}, 'infinity'::date) >= ${d(lower)}`;
}

/** Whether the stage was open at the end of `asOf` (as `openAt` in measures.ts). */
const openAt = (asOf: LocalDate) => sql`(started_on <= ${d(asOf)} and (responded_on is null or responded_on > ${d(asOf)}) and (ended_on is null or ended_on > ${d(asOf)}))`;
const startedIn = (w: Window) => sql`(started_on between ${d(w.from)} and ${d(w.to)})`;
const respondedIn = (w: Window) => sql`(responded_on between ${d(w.from)} and ${d(w.to)})`;

/** Each CH01/CH02 tally figure's condition on a stage row (as `tsmFiguresOf` in measures.ts). */
export const TSM_CONDITIONS: Record<TsmTallyFigure, (w: Window) => RawBuilder<unknown>> = {
  received: (w) => startedIn(w),
  refused: (w) => sql`(${startedIn(w)} and ended_how = 'refused')`,
  withdrawn: (w) => sql`(${startedIn(w)} and ended_how = 'withdrawn')`,
  responded: (w) => respondedIn(w),
  onTimeOriginal: (w) => sql`(${respondedIn(w)} and responded_on <= due_original)`,
  onTimeCompliant: (w) => sql`(${respondedIn(w)} and responded_on <= due_compliant)`,
  lateOriginal: (w) => sql`(${respondedIn(w)} and responded_on > due_original)`,
  lateCompliant: (w) => sql`(${respondedIn(w)} and responded_on > due_compliant)`,
  openPastOriginal: (w) => sql`(${openAt(w.asOf)} and due_original < ${d(w.asOf)})`,
  openPastCompliant: (w) => sql`(${openAt(w.asOf)} and due_compliant < ${d(w.asOf)})`,
};

export function tsmWindow(year: ReportingYear, today: LocalDate): Window {
  return { from: year.from, to: year.to, asOf: tsmAsOf(year, today), receivedBy: year.to < today ? year.to : today };
}

/** CH01 and CH02 tallies for a year, by stage and tenure; with the complaint ids behind each when asked. */
export async function tsmTallies(db: Db, year: ReportingYear, today: LocalDate, unknownTenure: Tenure, withIds: boolean): Promise<TsmTally[]> {
  const w = tsmWindow(year, today);
  const cols = TSM_TALLY_FIGURES.map((k) =>
    withIds
      ? sql`count(*) filter (where ${TSM_CONDITIONS[k](w)})::int as ${sql.ref(k)}, coalesce(array_agg(complaint_id::text) filter (where ${TSM_CONDITIONS[k](w)}), '{}') as ${sql.ref(`${k}Ids`)}`
      : sql`count(*) filter (where ${TSM_CONDITIONS[k](w)})::int as ${sql.ref(k)}`,
  );
  const { rows } = await sql<Record<string, unknown>>`
    select stage, coalesce(tenure, ${unknownTenure}) as tenure, ${sql.join(cols)}
    from complaint_stage_facts f
    where ${overlaps(w)}
    group by 1, 2`.execute(db);
  return rows.map((r) => {
    const t = { stage: Number(r.stage) as 1 | 2, tenure: r.tenure as Tenure } as TsmTally;
    for (const k of TSM_TALLY_FIGURES) t[k] = { count: Number(r[k]), ids: withIds ? (r[`${k}Ids`] as string[]) : [] } satisfies Counted;
    return t;
  });
}

/** The stored facts of the complaints behind one CH01/CH02 figure (a stage, a tenure or the total, a figure). */
export async function tsmFigureFacts(db: Db, year: ReportingYear, today: LocalDate, unknownTenure: Tenure, stage: 1 | 2, tenure: Tenure | 'total', figure: TsmTallyFigure): Promise<ComplaintFacts[]> {
  const w = tsmWindow(year, today);
  const tenureIs = tenure === 'total' ? sql`coalesce(f.tenure, ${unknownTenure}) in ('LCRA', 'LCHO')` : sql`coalesce(f.tenure, ${unknownTenure}) = ${tenure}`;
  const { rows } = await sql<{ complaint_id: string }>`
    select f.complaint_id from complaint_stage_facts f
    where ${overlaps(w)} and f.stage = ${stage} and ${tenureIs} and ${TSM_CONDITIONS[figure](w)}`.execute(db);
  return storedFacts(db, rows.map((r) => r.complaint_id), unknownTenure);
}

/**
 * A stored stage's extensions (the stage facts row aliased `alias`), in order, as a JSON array of
 * StageFacts' extensions: previousDue, newDue, residentToldOn, beyondCap, goodReason, toldLate, compliant.
 */
export function storedExtensions(alias: string): RawBuilder<unknown> {
  return sql`coalesce((select jsonb_agg(jsonb_build_object('previousDue', e.previous_due, 'newDue', e.new_due, 'residentToldOn', e.resident_told_on, 'beyondCap', e.beyond_cap,
                                 'goodReason', e.good_reason, 'toldLate', e.told_late, 'compliant', e.compliant) order by e.seq)
                from complaint_extension_facts e where e.complaint_id = ${sql.ref(`${alias}.complaint_id`)} and e.stage = ${sql.ref(`${alias}.stage`)}), '[]'::jsonb)`;
}

/**
 * The stored facts of the given complaints (or of every complaint received on or before
 * `receivedBy`), as the pure core's ComplaintFacts.
 */
export async function storedFacts(db: Db, ids: string[] | { receivedBy: LocalDate }, unknownTenure: Tenure): Promise<ComplaintFacts[]> {
  if (Array.isArray(ids) && ids.length === 0) return [];
  const where = Array.isArray(ids) ? sql`c.id = any(${ids}::uuid[])` : sql`c.received_on <= ${d(ids.receivedBy)}`;
  const { rows } = await sql<any>`
    select c.id, c.reference, c.status, c.received_on, c.closed_on, f.*, ${storedExtensions('f')} as extensions
    from complaints c join complaint_stage_facts f on f.complaint_id = c.id
    where ${where}
    order by c.received_at, c.id, f.stage`.execute(db);
  const out: ComplaintFacts[] = [];
  let cur: ComplaintFacts | null = null;
  for (const r of rows) {
    if (!cur || cur.id !== r.id) {
      cur = {
        v: FACTS_VERSION,
        id: r.id,
        reference: r.reference,
        tenure: (r.tenure ?? unknownTenure) as Tenure,
        channel: r.channel,
        serviceArea: r.service_area,
        category: r.category,
        status: r.status,
        receivedOn: r.received_on,
        closedOn: r.closed_on,
        stages: [],
      };
      out.push(cur);
    }
    const s: StageFacts = {
      stage: Number(r.stage) as 1 | 2,
      startedOn: r.started_on,
      acknowledgementDue: r.acknowledgement_due,
      acknowledgedOn: r.acknowledged_on,
      dueOriginal: r.due_original,
      dueCompliant: r.due_compliant,
      dueInForce: r.due_in_force,
      respondedOn: r.responded_on,
      outcome: r.outcome,
      ended: r.ended_how ? { how: r.ended_how, on: r.ended_on, ground: r.ended_ground } : null,
      extensions: r.extensions,
    };
    cur.stages.push(s);
  }
  return out;
}

interface GroupRow {
  g: number;
  stage: number;
  month: string | null;
  channel: string | null;
  area: string | null;
  category: string | null;
  outcome: string | null;
  refusal: string | null;
  n: number;
}

/** Rows of the same group from counts over disjoint sets of stages, added together. */
export function mergeGroups(rows: GroupRow[]): GroupRow[] {
  const byKey = new Map<string, GroupRow>();
  for (const r of rows) {
    const key = JSON.stringify([Number(r.g), Number(r.stage), r.month, r.channel, r.area, r.category, r.outcome, r.refusal]);
    const seen = byKey.get(key);
    if (seen) seen.n += Number(r.n);
    else byKey.set(key, { ...r, n: Number(r.n) });
  }
  return [...byKey.values()];
}

/** The dashboard's queries run side by side, four connections at once, each a bulk read (db/snapshot.ts) in a transaction of its own. */
function ownWorkersOnly<T>(db: Db, query: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await asBulkRead(trx, { ownWorkersOnly: true });
    return query(trx);
  });
}

/** The dashboard's tally for a period (London dates, both ends included), judged on `today`. */
export async function dashboardTally(db: Db, from: LocalDate, to: LocalDate, today: LocalDate): Promise<DashboardTally> {
  const w: Window = { from, to, asOf: periodAsOf(to, today), receivedBy: to < today ? to : today };
  const ackIn = sql`(acknowledged_on between ${d(from)} and ${d(to)})`;
  const endedIn = sql`(ended_on between ${d(from)} and ${d(to)})`;
  const stageCols: Record<(typeof DASHBOARD_STAGE_FIGURES)[number], RawBuilder<unknown> | null> = {
    received: startedIn(w),
    acknowledged: ackIn,
    acknowledgedOnTime: sql`(${ackIn} and acknowledged_on <= acknowledgement_due)`,
    responded: respondedIn(w),
    onTimeOriginal: TSM_CONDITIONS.onTimeOriginal(w),
    onTimeCompliant: TSM_CONDITIONS.onTimeCompliant(w),
    openPastDue: sql`(${openAt(w.asOf)} and due_in_force < ${d(w.asOf)})`,
    withdrawn: sql`(${endedIn} and ended_how = 'withdrawn')`,
    // Extensions are counted from their own table below.
    extended: null,
    extensionsCompliant: null,
    beyondCapWithGoodReason: null,
    toldLate: null,
  };
  const counted = DASHBOARD_STAGE_FIGURES.filter((k) => stageCols[k]);
  const mid = addDays(from, Math.floor((Date.parse(to) - Date.parse(from)) / 86_400_000 / 2));
  const [stages, groups, extensions] = await Promise.all([
    ownWorkersOnly(db, (trx) =>
      sql<Record<string, number>>`
      select stage, ${sql.join(counted.map((k) => sql`count(*) filter (where ${stageCols[k]})::int as ${sql.ref(k)}`))}
      from complaint_stage_facts f where ${overlaps(w)} group by stage`.execute(trx),
    ),
    // Month, channel, service area, category, outcome and refusal ground, in one pass (grouping
    // sets). With room to hash every set at once (work_mem for this query alone), PostgreSQL reads
    // the year's stages once; with the default 4 MB it sorted them to disk, four times over.
    // PostgreSQL does not share grouping sets between parallel workers, so the stages are split
    // in two by when they began and counted side by side; the counts add up (mergeGroups).
    Promise.all(
      [sql`f.first_on < ${d(mid)}`, sql`f.first_on >= ${d(mid)}`].map((half) =>
        ownWorkersOnly(db, async (trx) => {
          await sql`set local work_mem = '64MB'`.execute(trx);
          return sql<GroupRow>`
          with x as (
            select stage,
              case when ${startedIn(w)} then date_trunc('month', started_on)::date end as month,
              case when stage = 1 and ${startedIn(w)} then channel end as channel,
              case when stage = 1 and ${startedIn(w)} then coalesce(service_area, 'Not recorded') end as area,
              case when stage = 1 and ${startedIn(w)} then coalesce(category, 'Not recorded') end as category,
              case when ${respondedIn(w)} then coalesce(outcome, 'not_recorded') end as outcome,
              case when ${endedIn} and ended_how = 'refused' then coalesce(ended_ground, 'not_recorded') end as refusal
            from complaint_stage_facts f where ${overlaps(w)} and ${half}
          )
          select grouping(month, channel, area, category, outcome, refusal)::int as g, stage, month, channel, area, category, outcome, refusal, count(*)::int as n
          from x
          group by grouping sets ((stage, month), (stage, channel), (stage, area), (stage, category), (stage, outcome), (stage, refusal))`.execute(trx);
        }),
      ),
    ).then((parts) => ({ rows: mergeGroups(parts.flatMap((p) => p.rows)) })),
    ownWorkersOnly(db, (trx) => sql<{ stage: number; extended: number; compliant: number; beyond_cap_with_good_reason: number; told_late: number }>`
      select stage, count(*)::int as extended, count(*) filter (where all_compliant)::int as compliant,
        count(*) filter (where any_beyond_good)::int as beyond_cap_with_good_reason, count(*) filter (where any_told_late)::int as told_late
      from (
        select complaint_id, stage, bool_and(compliant) as all_compliant, bool_or(beyond_cap and good_reason) as any_beyond_good, bool_or(told_late) as any_told_late
        from complaint_extension_facts
        where received_on <= ${d(w.receivedBy)} and resident_told_on between ${d(from)} and ${d(to)}
        group by complaint_id, stage
      ) x group by stage`.execute(trx)),
  ]);
  const tally: DashboardTally = { stages: [], months: [], channel: [], serviceArea: [], category: [], outcomes: [], refusals: [] };
  for (const stage of [1, 2] as const) {
    const r = stages.rows.find((x) => Number(x.stage) === stage);
    const e = extensions.rows.find((x) => Number(x.stage) === stage);
    tally.stages.push({
      stage,
      received: r?.received ?? 0,
      acknowledged: r?.acknowledged ?? 0,
      acknowledgedOnTime: r?.acknowledgedOnTime ?? 0,
      responded: r?.responded ?? 0,
      onTimeOriginal: r?.onTimeOriginal ?? 0,
      onTimeCompliant: r?.onTimeCompliant ?? 0,
      openPastDue: r?.openPastDue ?? 0,
      withdrawn: r?.withdrawn ?? 0,
      extended: e?.extended ?? 0,
      extensionsCompliant: e?.compliant ?? 0,
      beyondCapWithGoodReason: e?.beyond_cap_with_good_reason ?? 0,
      toldLate: e?.told_late ?? 0,
    });
  }
  // grouping() sets a bit for each column not grouped: 0b011111 is the month's set, 0b111110 the refusal's.
  for (const r of groups.rows) {
    const stage = Number(r.stage) as 1 | 2;
    const g = Number(r.g);
    if (g === 0b011111 && r.month) tally.months.push({ month: r.month.slice(0, 7), stage, count: r.n });
    else if (g === 0b101111 && r.channel) tally.channel.push({ key: r.channel, count: r.n });
    else if (g === 0b110111 && r.area) tally.serviceArea.push({ key: r.area, count: r.n });
    else if (g === 0b111011 && r.category) tally.category.push({ key: r.category, count: r.n });
    else if (g === 0b111101 && r.outcome) tally.outcomes.push({ stage, key: r.outcome, count: r.n });
    else if (g === 0b111110 && r.refusal) tally.refusals.push({ stage, key: r.refusal, count: r.n });
  }
  return tally;
}
