/**
 * The stage facts counted day by day (migration 0021): what each stage counts towards, on the day
 * it counts, kept by triggers on complaint_stage_facts as deltas, and compacted here into totals.
 *
 * - `dayCounts` adds up the totals and the deltas not yet compacted, in one statement (one
 *   snapshot), for a range of days: what the year's CH01/CH02 and the dashboard count, from a few
 *   thousand rows whatever the number of complaints.
 * - `compactStageDayCounts` moves the deltas into the totals in one statement: a reader sees each
 *   change in one table or the other, never both, never neither. Any instance may run it at any
 *   time; runs that meet one already under way leave it to that one.
 * - `rebuildStageDayCounts` counts every stored stage again (after the seed loads them with the
 *   triggers off).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { LocalDate } from '../core/dates.js';

/** What a stage counts towards (see migration 0021 for each kind's day and keys). */
export type DayCountKind = 'received' | 'channel' | 'area' | 'category' | 'acknowledged' | 'responded' | 'ended';

export interface DayCount {
  kind: DayCountKind | 'open';
  /** The first day of the month the counted days fall in (when asked by month), else null. */
  month: LocalDate | null;
  stage: 1 | 2;
  /** '' when the resident's tenure is not known (or the kind is not counted by tenure). */
  tenure: string;
  key1: string;
  key2: string;
  n: number;
}

const COLUMNS = sql`kind, day, stage, tenure, key1, key2, n`;

/**
 * The counts of `kinds` over the days `from` to `to` (both included), by stage, tenure and keys,
 * and also by month when `byMonth`. With `openOn`, also the stages open at the end of that day,
 * as kind 'open' (no month): key1 'true' when past their original due date on it, key2 past the
 * compliant one, then the one in force, as 'true'/'false' joined by '/'. One statement, so every
 * count is of the same moment. Rows that add up to nothing are left out.
 */
export async function dayCounts(
  db: Db,
  from: LocalDate,
  to: LocalDate,
  kinds: readonly DayCountKind[],
  opts: { byMonth?: boolean; openOn?: LocalDate } = {},
): Promise<DayCount[]> {
  const month = opts.byMonth ? sql`date_trunc('month', day)::date` : sql`null::date`;
  const d = (x: LocalDate) => sql`${x}::date`;
  const { openOn } = opts;
  // Open at the end of `openOn`: started by it, neither answered nor ended by it. Such a stage is
  // first dated by it and last dated after it or not at all, which the period index finds, and
  // the index holds every column read here.
  const open = openOn
    ? sql`
      union all
      select 'open', null::date, f.stage, coalesce(f.tenure, ''), (f.due_original < ${d(openOn)})::text,
        (f.due_compliant < ${d(openOn)})::text || '/' || (f.due_in_force < ${d(openOn)})::text, 1
      from complaint_stage_facts f
      where coalesce(f.last_on, 'infinity'::date) > ${d(openOn)} and f.first_on <= ${d(openOn)}
        and f.started_on <= ${d(openOn)} and (f.responded_on is null or f.responded_on > ${d(openOn)}) and (f.ended_on is null or f.ended_on > ${d(openOn)})`
    : sql``;
  const { rows } = await sql<{ kind: DayCountKind | 'open'; month: LocalDate | null; stage: number; tenure: string; key1: string; key2: string; n: number }>`
    select kind, month, stage, tenure, key1, key2, sum(n)::int as n
    from (
      select kind, ${month} as month, stage, tenure, key1, key2, n from complaint_stage_day_totals where kind = any(${[...kinds]}::text[]) and day between ${d(from)} and ${d(to)}
      union all
      select kind, ${month} as month, stage, tenure, key1, key2, n from complaint_stage_day_deltas where kind = any(${[...kinds]}::text[]) and day between ${d(from)} and ${d(to)}
      ${open}
    ) x
    group by 1, 2, 3, 4, 5, 6
    having sum(n) <> 0`.execute(db);
  return rows.map((r) => ({ ...r, stage: Number(r.stage) as 1 | 2, n: Number(r.n) }));
}

/** An arbitrary constant naming the compaction's advisory lock. */
const COMPACTION_LOCK = 7_402_913_021;

/**
 * Move the deltas into the totals. Returns how many deltas it moved (0 when another run held the
 * lock: that run moves them).
 */
export async function compactStageDayCounts(db: Db): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ got: boolean }>`select pg_try_advisory_xact_lock(${COMPACTION_LOCK}::bigint) as got`.execute(trx);
    if (!rows[0]?.got) return 0;
    const { rows: moved } = await sql<{ moved: number }>`
      with moved as (
        delete from complaint_stage_day_deltas returning ${COLUMNS}
      ), added as (
        insert into complaint_stage_day_totals (${COLUMNS})
        select kind, day, stage, tenure, key1, key2, sum(n) from moved group by 1, 2, 3, 4, 5, 6
        on conflict (kind, day, stage, tenure, key1, key2) do update set n = complaint_stage_day_totals.n + excluded.n
      )
      select count(*)::int as moved from moved`.execute(trx);
    return Number(moved[0]?.moved ?? 0);
  });
}

/** Count every stored stage again, from nothing (inside the caller's transaction, or its own). */
export async function rebuildStageDayCounts(db: Db): Promise<void> {
  const run = async (trx: Db) => {
    await sql`lock table complaint_stage_facts in share mode`.execute(trx);
    await sql`delete from complaint_stage_day_deltas`.execute(trx);
    await sql`delete from complaint_stage_day_totals`.execute(trx);
    await sql`
      insert into complaint_stage_day_totals (${COLUMNS})
      select c.kind, c.day, c.stage, c.tenure, c.key1, c.key2, count(*)
      from complaint_stage_facts f cross join lateral complaint_stage_day_contributions(f) c
      group by 1, 2, 3, 4, 5, 6`.execute(trx);
  };
  if (db.isTransaction) await run(db);
  else await db.transaction().execute(run);
}

/**
 * Compact on a timer (every instance; a run already under way elsewhere is left to finish), so a
 * reader adds up at most a minute or so of changes beside the totals.
 */
export class StageDayCompactor {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly db: Db,
    private readonly intervalMs: number,
    private readonly log?: { warn: (o: object, m: string) => void },
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.runOnce(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  runOnce(): Promise<unknown> {
    this.running ??= compactStageDayCounts(this.db)
      .catch((err) => this.log?.warn({ err }, 'compacting the day counts failed; the next run will try again'))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Stop the timer and wait for a run under way. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
