/**
 * The putting-things-right figures counted in PostgreSQL (RemedyService.figures), so a period's
 * figures are a few grouped queries whatever the size of the landlord, and no remedy or action is
 * held in memory. What needs the landlord's guidance bands (bandsFor, bandFit) is folded in
 * JavaScript over the offers grouped by amount and impact band, read in bounded batches.
 *
 * Each condition here is the rule the figures have always used, written in SQL:
 * - a remedy counts in a period when it was recorded by its end and had not finished before its
 *   start (`REMEDY_IN_PERIOD`, the filter the figures have always read the rows with);
 * - an offer not accepted by its open-until date has lapsed the day after it, by `today`
 *   (effectiveStatus and lapseDate in src/core/remedies.ts): a remedy stored as lapsed, or offered
 *   and open until before today, lapsed on `open_until + 1` when no lapsed_on was stored;
 * - an approval's day is the London date of `approved_at` (londonDateOf): compared here with the
 *   first instant of a London day, found with londonDateOf itself (`firstInstantOf`).
 * test/reports/remedy-figures.test.ts checks, on random remedies and actions and on both
 * databases, that the figures equal the ones folded in memory from every row.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import type { SnapshotRead } from '../db/snapshot.js';
import { addDays, londonDateOf, type LocalDate } from '../core/dates.js';

const d = (x: LocalDate) => sql`${x}::date`;

/** The first instant whose London date (londonDateOf) is `day` or later. */
export function firstInstantOf(day: LocalDate): Date {
  const noonUtc = Date.parse(`${day}T12:00:00Z`);
  // London is within a day of UTC: the first instant of `day` lies within 36 hours of its noon in UTC.
  let lo = noonUtc - 36 * 3_600_000; // before it
  let hi = noonUtc + 36 * 3_600_000; // on or after it
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (londonDateOf(new Date(mid)) >= day) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** A period's window: `from` to `to` (both included), `today`, and `asAt`, the day taken as its end. */
export interface FiguresWindow {
  from: LocalDate;
  to: LocalDate;
  today: LocalDate;
  asAt: LocalDate;
}

interface Instants {
  /** The first instant of `from`, and of the day after `to` (null: no day after). */
  periodStart: Date;
  periodEnd: Date | null;
  /** The first instant of the day after `asAt`. */
  asAtEnd: Date | null;
}

const LAST_DAY = '9999-12-31';
const dayAfterStart = (x: LocalDate) => (x >= LAST_DAY ? null : firstInstantOf(addDays(x, 1)));

function instantsOf(w: FiguresWindow): Instants {
  return { periodStart: firstInstantOf(w.from), periodEnd: dayAfterStart(w.to), asAtEnd: dayAfterStart(w.asAt) };
}

const inPeriod = (column: string, w: FiguresWindow) => sql`(${sql.ref(column)} between ${d(w.from)} and ${d(w.to)})`;

/** The remedies the figures read: recorded by the period's end, not finished before its start. */
// Indexed as written (migration 0018_dashboard_indexes): keep the coalesce exactly as it is.
export const REMEDY_IN_PERIOD = (w: FiguresWindow) =>
  sql`(recorded_on <= ${d(w.to)} and coalesce(completed_on, cancelled_on, declined_on, lapsed_on, case when status = 'offered' then open_until + 1 end, date '9999-12-31') >= ${d(w.from)})`;

/**
 * The day an offer lapsed: as recorded, else the day after it was last open (lapseDate) if its status
 * today is lapsed (effectiveStatus: stored as lapsed, or offered and open until before today).
 */
const lapsedOn = (w: FiguresWindow) =>
  sql`coalesce(lapsed_on, case when status = 'lapsed' or (status = 'offered' and open_until < ${d(w.today)}) then open_until + 1 end)`;
/** The day nothing more was left to do on a remedy, as far as is known today. */
const finishedOn = (w: FiguresWindow) => sql`coalesce(completed_on, cancelled_on, declined_on, ${lapsedOn(w)})`;
const remedyOpenAtEnd = (w: FiguresWindow) => sql`(recorded_on <= ${d(w.asAt)} and (${finishedOn(w)} is null or ${finishedOn(w)} > ${d(w.asAt)}))`;
const completedIn = (w: FiguresWindow) => sql`(status in ('done', 'paid') and ${inPeriod('completed_on', w)})`;

/** Remedies by type: each figure's condition. */
const TYPE_FIGURES = {
  recorded: (w: FiguresWindow) => inPeriod('recorded_on', w),
  completed: (w: FiguresWindow) => completedIn(w),
  completedOnTime: (w: FiguresWindow) => sql`(${completedIn(w)} and completed_on <= due_on)`,
  completedLate: (w: FiguresWindow) => sql`(${completedIn(w)} and completed_on > due_on)`,
  completedWithoutDate: (w: FiguresWindow) => sql`(${completedIn(w)} and due_on is null)`,
  cancelled: (w: FiguresWindow) => sql`(status = 'cancelled' and ${inPeriod('cancelled_on', w)})`,
  openAtEnd: (w: FiguresWindow) => remedyOpenAtEnd(w),
  overdueAtEnd: (w: FiguresWindow) => sql`(${remedyOpenAtEnd(w)} and due_on < ${d(w.asAt)})`,
} as const;
export type TypeFigure = keyof typeof TYPE_FIGURES;
const TYPE_FIGURE_KEYS = Object.keys(TYPE_FIGURES) as TypeFigure[];

/** A financial remedy with an amount: the only ones compensation counts. */
const FINANCIAL = sql`(type = 'financial' and amount_pence is not null and amount_pence <> 0)`;
const offeredIn = (w: FiguresWindow) => sql`(${FINANCIAL} and ${inPeriod('offered_on', w)})`;
const paidIn = (w: FiguresWindow) => sql`(${FINANCIAL} and status = 'paid' and ${inPeriod('paid_on', w)})`;

/** Compensation: each count-and-amount figure's condition (on financial remedies). */
const MONEY_FIGURES = {
  offered: (w: FiguresWindow) => inPeriod('offered_on', w),
  accepted: (w: FiguresWindow) => inPeriod('accepted_on', w),
  declined: (w: FiguresWindow) => inPeriod('declined_on', w),
  lapsed: (w: FiguresWindow) => sql`(${lapsedOn(w)} between ${d(w.from)} and ${d(w.to)})`,
  paid: (w: FiguresWindow) => sql`(status = 'paid' and ${inPeriod('paid_on', w)})`,
  approvedByAnother: (w: FiguresWindow, i: Instants) =>
    sql`(approved_by is not null and approved_at >= ${i.periodStart}${i.periodEnd ? sql` and approved_at < ${i.periodEnd}` : sql``})`,
  recordedAboveProposerLimit: (w: FiguresWindow) => sql`(${inPeriod('recorded_on', w)} and approval_required)`,
  acceptedUnpaidAtEnd: (w: FiguresWindow) => sql`(accepted_on <= ${d(w.asAt)} and (paid_on is null or paid_on > ${d(w.asAt)}))`,
  awaitingApprovalAtEnd: (w: FiguresWindow, i: Instants) =>
    sql`(approval_required and recorded_on <= ${d(w.asAt)} and (approved_at is null${i.asAtEnd ? sql` or approved_at >= ${i.asAtEnd}` : sql``}) and (cancelled_on is null or cancelled_on > ${d(w.asAt)}))`,
} as const;
export type MoneyFigure = keyof typeof MONEY_FIGURES;
const MONEY_FIGURE_KEYS = Object.keys(MONEY_FIGURES) as MoneyFigure[];

const column = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

export interface Money {
  count: number;
  totalPence: number;
}

export interface RemedyTallies {
  byType: Map<string, Record<TypeFigure, number>>;
  money: Record<MoneyFigure, Money>;
  /** Amounts offered and paid under each of `headKeys`, as the remedies' heads of award give them. */
  heads: Map<string, { offeredPence: number; paidPence: number }>;
  /** The whole amounts offered and paid of remedies with no heads of award. */
  notBrokenDown: { offeredPence: number; paidPence: number };
}

/**
 * The period's remedies: every figure by type, compensation, and amounts by head of award. Three
 * queries side by side: the figures by type over the period's remedies, and the compensation
 * figures and the heads of award over its financial ones only (most remedies are not financial,
 * and each compensation figure would otherwise be tested on every one of them).
 */
export async function remedyTallies(read: SnapshotRead, w: FiguresWindow, headKeys: readonly string[] | null): Promise<RemedyTallies> {
  const i = instantsOf(w);
  const typeCols = TYPE_FIGURE_KEYS.map((k) => sql`count(*) filter (where ${TYPE_FIGURES[k](w)})::int as ${sql.ref(column(k))}`);
  // The rows are financial remedies with an amount (the where clause): FINANCIAL need not be tested again.
  const moneyCols: RawBuilder<unknown>[] = [
    ...MONEY_FIGURE_KEYS.flatMap((k) => [
      sql`count(*) filter (where ${MONEY_FIGURES[k](w, i)})::int as ${sql.ref(`${column(k)}_count`)}`,
      sql`coalesce(sum(amount_pence) filter (where ${MONEY_FIGURES[k](w, i)}), 0)::float8 as ${sql.ref(`${column(k)}_pence`)}`,
    ]),
    // A remedy with no heads counts whole under "not broken down" (headTallies counts the others).
    sql`coalesce(sum(amount_pence) filter (where ${inPeriod('offered_on', w)} and heads = '[]'::jsonb), 0)::float8 as unbroken_offered`,
    sql`coalesce(sum(amount_pence) filter (where status = 'paid' and ${inPeriod('paid_on', w)} and heads = '[]'::jsonb), 0)::float8 as unbroken_paid`,
  ];
  const [heads, types, moneyRows] = await Promise.all([
    // headKeys null: amounts by head not asked for (left empty).
    headKeys ? read((db) => headTallies(db, w, headKeys)) : new Map<string, { offeredPence: number; paidPence: number }>(),
    read((db) =>
      sql<Record<string, number | string>>`
      select type, ${sql.join(typeCols)}
      from remedies
      where ${REMEDY_IN_PERIOD(w)}
      group by type`.execute(db),
    ),
    read((db) =>
      sql<Record<string, number | string>>`
      select ${sql.join(moneyCols)}
      from remedies
      where ${REMEDY_IN_PERIOD(w)} and ${FINANCIAL}`.execute(db),
    ),
  ]);
  const byType = new Map<string, Record<TypeFigure, number>>();
  const money = Object.fromEntries(MONEY_FIGURE_KEYS.map((k) => [k, { count: 0, totalPence: 0 }])) as Record<MoneyFigure, Money>;
  const notBrokenDown = { offeredPence: 0, paidPence: 0 };
  for (const r of types.rows) byType.set(String(r.type), Object.fromEntries(TYPE_FIGURE_KEYS.map((k) => [k, Number(r[column(k)])])) as Record<TypeFigure, number>);
  for (const r of moneyRows.rows) {
    for (const k of MONEY_FIGURE_KEYS) {
      money[k].count += Number(r[`${column(k)}_count`]);
      money[k].totalPence += Number(r[`${column(k)}_pence`]);
    }
    notBrokenDown.offeredPence += Number(r.unbroken_offered);
    notBrokenDown.paidPence += Number(r.unbroken_paid);
  }
  return { byType, money, heads, notBrokenDown };
}

interface OfferGroupRow {
  amount_pence: number;
  impact_band: string;
  n: number;
  pence: number;
}

export interface OfferGroup {
  amountPence: number;
  /** '' when none was recorded. */
  impactBand: string;
  count: number;
  pence: number;
}

/**
 * Amounts offered and paid in the period under each of `headKeys`, summed over the heads of award of
 * the financial remedies offered or paid in it (a head named twice counts twice, as it always has).
 */
async function headTallies(db: Db, w: FiguresWindow, headKeys: readonly string[]) {
  const heads = new Map<string, { offeredPence: number; paidPence: number }>(headKeys.map((h) => [h, { offeredPence: 0, paidPence: 0 }]));
  if (headKeys.length === 0) return heads;
  const { rows } = await sql<{ head: string; offered: number; paid: number }>`
    select e->>'head' as head,
      coalesce(sum((e->>'amountPence')::numeric) filter (where ${offeredIn(w)}), 0)::float8 as offered,
      coalesce(sum((e->>'amountPence')::numeric) filter (where ${paidIn(w)}), 0)::float8 as paid
    from remedies cross join lateral jsonb_array_elements(heads) e
    where ${REMEDY_IN_PERIOD(w)} and (${offeredIn(w)} or ${paidIn(w)}) and heads <> '[]'::jsonb and e->>'head' in (${sql.join([...headKeys])})
    group by 1`.execute(db);
  for (const r of rows) {
    const h = heads.get(r.head)!;
    h.offeredPence += Number(r.offered);
    h.paidPence += Number(r.paid);
  }
  return heads;
}

/** The offers made in the period, grouped by amount and impact band (null as ''), `batch` groups at a time. */
export async function* offersByAmountAndBand(db: Db, w: FiguresWindow, batch = 5_000): AsyncGenerator<OfferGroup[]> {
  let after: OfferGroup | null = null;
  for (;;) {
    const page: OfferGroup[] = (
      await sql<OfferGroupRow>`
        select amount_pence, coalesce(impact_band, '') as impact_band, count(*)::int as n, sum(amount_pence)::float8 as pence
        from remedies
        where ${REMEDY_IN_PERIOD(w)} and ${offeredIn(w)}
          ${after ? sql`and (amount_pence, coalesce(impact_band, '')) > (${after.amountPence}::int, ${after.impactBand}::text)` : sql``}
        group by 1, 2
        order by 1, 2
        limit ${batch}`.execute(db)
    ).rows.map((r) => ({ amountPence: Number(r.amount_pence), impactBand: r.impact_band, count: Number(r.n), pence: Number(r.pence) }));
    if (page.length) yield page;
    if (page.length < batch) return;
    after = page[page.length - 1]!;
  }
}

/** Outstanding actions: each figure's condition (an action finishes when done or cancelled). */
const actionFinishedOn = sql`coalesce(a.completed_on, a.cancelled_on)`;
const actionOpenAtEnd = (w: FiguresWindow) => sql`(a.recorded_on <= ${d(w.asAt)} and (${actionFinishedOn} is null or ${actionFinishedOn} > ${d(w.asAt)}))`;
const actionDoneIn = (w: FiguresWindow) => sql`(a.status = 'done' and ${inPeriod('a.completed_on', w)})`;
const actionOverdueAtEnd = (w: FiguresWindow) => sql`(${actionOpenAtEnd(w)} and a.due_on < ${d(w.asAt)})`;
const ACTION_FIGURES = {
  recorded: (w: FiguresWindow) => inPeriod('a.recorded_on', w),
  completed: (w: FiguresWindow) => actionDoneIn(w),
  completedOnTime: (w: FiguresWindow) => sql`(${actionDoneIn(w)} and a.completed_on <= a.due_on)`,
  completedLate: (w: FiguresWindow) => sql`(${actionDoneIn(w)} and a.completed_on > a.due_on)`,
  completedWithoutDate: (w: FiguresWindow) => sql`(${actionDoneIn(w)} and a.due_on is null)`,
  cancelled: (w: FiguresWindow) => sql`(a.status = 'cancelled' and ${inPeriod('a.cancelled_on', w)})`,
  dueInPeriod: (w: FiguresWindow) => inPeriod('a.due_on', w),
  dueInPeriodDoneByDate: (w: FiguresWindow) => sql`(${inPeriod('a.due_on', w)} and a.status = 'done' and a.completed_on <= a.due_on)`,
  openAtEnd: (w: FiguresWindow) => actionOpenAtEnd(w),
  overdueAtEnd: (w: FiguresWindow) => actionOverdueAtEnd(w),
  // Looked up only for the actions overdue at the end (the condition is read left to right).
  overdueAtEndWithClosedComplaint: (w: FiguresWindow) =>
    // Answered from the index of closed complaints' ids alone (migration 0020): keep the statuses as they are there.
    sql`(${actionOverdueAtEnd(w)} and exists (select 1 from complaints c where c.id = a.complaint_id and c.status in ('closed', 'withdrawn', 'refused')))`,
} as const;
export type ActionFigure = keyof typeof ACTION_FIGURES;
const ACTION_FIGURE_KEYS = Object.keys(ACTION_FIGURES) as ActionFigure[];

/** One scan of the actions recorded by the period's end and not finished before its start. */
export async function actionTallies(db: Db, w: FiguresWindow): Promise<Record<ActionFigure, number>> {
  const { rows } = await sql<Record<string, number>>`
    select ${sql.join(ACTION_FIGURE_KEYS.map((k) => sql`count(*) filter (where ${ACTION_FIGURES[k](w)})::int as ${sql.ref(column(k))}`))}
    from actions a
    where a.recorded_on <= ${d(w.to)} and coalesce(a.completed_on, a.cancelled_on, date '9999-12-31') >= ${d(w.from)}`.execute(db);
  const r = rows[0]!;
  return Object.fromEntries(ACTION_FIGURE_KEYS.map((k) => [k, Number(r[column(k)])])) as Record<ActionFigure, number>;
}
