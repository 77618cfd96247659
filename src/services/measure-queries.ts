/**
 * The measures counted in PostgreSQL over the stored facts (stage-facts.ts). A year's CH01 and
 * CH02 and a period's dashboard add up the facts' day-by-day counts (stage-day-counts.ts, kept by
 * triggers beside every change) and count the stages open at the period's end, so they read a few
 * thousand rows whatever the size of the landlord. The complaints behind each CH01/CH02 figure
 * are found from the facts themselves, with each figure's condition written once here
 * (`TSM_CONDITIONS`). The definitions are the pure ones in src/core/measures.ts (`tsmFiguresOf`,
 * `tallyDashboard`); test/reports/measure-queries.test.ts checks, on random facts and on both
 * databases, that both ways count exactly what they do.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { asBulkRead } from '../db/snapshot.js';
import type { LocalDate } from '../core/dates.js';
import { dayCounts } from './stage-day-counts.js';
import {
  emptyStageTally,
  FACTS_VERSION,
  TSM_TALLY_FIGURES,
  periodAsOf,
  tsmAsOf,
  type ComplaintFacts,
  type Counted,
  type DashboardStageTally,
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
  if (!withIds) return tsmCounts(db, w, unknownTenure);
  const cols = TSM_TALLY_FIGURES.map(
    (k) => sql`count(*) filter (where ${TSM_CONDITIONS[k](w)})::int as ${sql.ref(k)}, coalesce(array_agg(complaint_id::text) filter (where ${TSM_CONDITIONS[k](w)}), '{}') as ${sql.ref(`${k}Ids`)}`,
  );
  const { rows } = await sql<Record<string, unknown>>`
    select stage, coalesce(tenure, ${unknownTenure}) as tenure, ${sql.join(cols)}
    from complaint_stage_facts f
    where ${overlaps(w)}
    group by 1, 2`.execute(db);
  return rows.map((r) => {
    const t = { stage: Number(r.stage) as 1 | 2, tenure: r.tenure as Tenure } as TsmTally;
    for (const k of TSM_TALLY_FIGURES) t[k] = { count: Number(r[k]), ids: r[`${k}Ids`] as string[] } satisfies Counted;
    return t;
  });
}

/** The booleans a day count's keys carry ('true'/'false', two joined by '/'). */
const isTrue = (k: string) => k === 'true';
const firstTrue = (k: string) => k.startsWith('true/');
const secondTrue = (k: string) => k.endsWith('/true');

/**
 * CH01 and CH02 tallies for a year from the day-by-day counts (stage-day-counts.ts) and the stages
 * open at its end, without the complaints behind them: the same figures as TSM_CONDITIONS count,
 * given what the engine holds true of every stored stage (its dates are on or after the
 * complaint's received date, and none is after today).
 */
async function tsmCounts(db: Db, w: Window, unknownTenure: Tenure): Promise<TsmTally[]> {
  const rows = await dayCounts(db, w.from, w.to, ['received', 'responded'], { openOn: w.asOf });
  const byKey = new Map<string, Record<TsmTallyFigure, number> & { stage: 1 | 2; tenure: Tenure }>();
  for (const r of rows) {
    const tenure = (r.tenure || unknownTenure) as Tenure;
    const key = `${r.stage}:${tenure}`;
    let t = byKey.get(key);
    if (!t) byKey.set(key, (t = { stage: r.stage, tenure, ...(Object.fromEntries(TSM_TALLY_FIGURES.map((k) => [k, 0])) as Record<TsmTallyFigure, number>) }));
    if (r.kind === 'received') {
      t.received += r.n;
      if (r.key1 === 'refused') t.refused += r.n;
      if (r.key1 === 'withdrawn') t.withdrawn += r.n;
    } else if (r.kind === 'responded') {
      t.responded += r.n;
      if (firstTrue(r.key2)) t.onTimeOriginal += r.n;
      else t.lateOriginal += r.n;
      if (secondTrue(r.key2)) t.onTimeCompliant += r.n;
      else t.lateCompliant += r.n;
    } else if (r.kind === 'open') {
      if (isTrue(r.key1)) t.openPastOriginal += r.n;
      if (firstTrue(r.key2)) t.openPastCompliant += r.n;
    }
  }
  return [...byKey.values()].map((t) => {
    const out = { stage: t.stage, tenure: t.tenure } as TsmTally;
    for (const k of TSM_TALLY_FIGURES) out[k] = { count: t[k], ids: [] };
    return out;
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

/** A bulk read (db/snapshot.ts) in a transaction of its own, without PostgreSQL's parallel workers (it runs beside other queries). */
function ownWorkersOnly<T>(db: Db, query: (trx: Db) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await asBulkRead(trx, { ownWorkersOnly: true });
    return query(trx);
  });
}

/**
 * The dashboard's tally for a period (London dates, both ends included), judged on `today`: from
 * the day-by-day counts and the stages open at its end (one statement), and the extensions told
 * in it from their own table, side by side. The same figures as `tallyDashboard` counts, given
 * what the engine holds true of every stored stage (see tsmCounts).
 */
export async function dashboardTally(db: Db, from: LocalDate, to: LocalDate, today: LocalDate): Promise<DashboardTally> {
  const w: Window = { from, to, asOf: periodAsOf(to, today), receivedBy: to < today ? to : today };
  const [counts, extensions] = await Promise.all([
    dayCounts(db, from, to, ['received', 'channel', 'area', 'category', 'acknowledged', 'responded', 'ended'], { byMonth: true, openOn: w.asOf }),
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
  const stages = new Map<1 | 2, DashboardStageTally>([1, 2].map((stage) => [stage as 1 | 2, emptyStageTally(stage as 1 | 2)]));
  const add = <K extends string>(list: { key: K; count: number; stage?: 1 | 2 }[], key: K, n: number, stage?: 1 | 2) => {
    const seen = list.find((x) => x.key === key && x.stage === stage);
    if (seen) seen.count += n;
    else list.push(stage === undefined ? { key, count: n } : { stage, key, count: n });
  };
  for (const r of counts) {
    const s = stages.get(r.stage)!;
    const n = r.n;
    switch (r.kind) {
      case 'received': {
        s.received += n;
        const month = r.month!.slice(0, 7);
        const seen = tally.months.find((m) => m.month === month && m.stage === r.stage);
        if (seen) seen.count += n;
        else tally.months.push({ month, stage: r.stage, count: n });
        break;
      }
      case 'channel':
        if (r.stage === 1) add(tally.channel, r.key1, n);
        break;
      case 'area':
        if (r.stage === 1) add(tally.serviceArea, r.key1, n);
        break;
      case 'category':
        if (r.stage === 1) add(tally.category, r.key1, n);
        break;
      case 'acknowledged':
        s.acknowledged += n;
        if (isTrue(r.key1)) s.acknowledgedOnTime += n;
        break;
      case 'responded':
        s.responded += n;
        if (firstTrue(r.key2)) s.onTimeOriginal += n;
        if (secondTrue(r.key2)) s.onTimeCompliant += n;
        add(tally.outcomes, r.key1, n, r.stage);
        break;
      case 'ended':
        if (r.key1 === 'withdrawn') s.withdrawn += n;
        if (r.key1 === 'refused') add(tally.refusals, r.key2, n, r.stage);
        break;
      case 'open':
        if (secondTrue(r.key2)) s.openPastDue += n;
        break;
    }
  }
  for (const stage of [1, 2] as const) {
    const s = stages.get(stage)!;
    const e = extensions.rows.find((x) => Number(x.stage) === stage);
    s.extended = e?.extended ?? 0;
    s.extensionsCompliant = e?.compliant ?? 0;
    s.beyondCapWithGoodReason = e?.beyond_cap_with_good_reason ?? 0;
    s.toldLate = e?.told_late ?? 0;
    tally.stages.push(s);
  }
  return tally;
}
