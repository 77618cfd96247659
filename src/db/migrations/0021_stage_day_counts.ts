import { sql, type Kysely } from 'kysely';

/**
 * Day-by-day counts of the stored stage facts (issue 9), so a year's CH01/CH02 and dashboard add
 * up a few thousand day rows instead of testing a dozen conditions on each of the year's 190,000
 * stages (national scale).
 *
 * `complaint_stage_day_contributions(f)` says what one stage row counts towards, each with the
 * day it counts on. Which `kind`s, and their keys:
 *   received      started_on    tenure ('' none), key1 = ended_how ('' none)
 *   channel       started_on    key1 = channel
 *   area          started_on    key1 = service area ('Not recorded' none)
 *   category      started_on    key1 = category ('Not recorded' none)
 *   acknowledged  acknowledged_on   key1 = 'true' when on or before the acknowledgement was due
 *   responded     responded_on  tenure, key1 = outcome ('not_recorded' none),
 *                               key2 = on time against the original due date, then against the
 *                               compliant one, as 'true'/'false' joined by '/'
 *   ended         ended_on      key1 = ended_how, key2 = ground ('not_recorded' none)
 *
 * A trigger on complaint_stage_facts appends what each row's change adds and takes away to
 * `complaint_stage_day_deltas` (grouped: an update that changes nothing counted adds no row), in
 * the writer's transaction and without touching any shared row, so complaints are never queued
 * behind one another for a count. `compactStageDayCounts` (src/services/stage-day-counts.ts)
 * moves the deltas into `complaint_stage_day_totals` in one statement; a reader adds both tables
 * in one statement, so it sees every committed change exactly once whenever it runs.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const keyCols = sql`kind text not null, day date not null, stage smallint not null, tenure text not null, key1 text not null, key2 text not null`;
  await sql`create table complaint_stage_day_totals (${keyCols}, n integer not null, primary key (kind, day, stage, tenure, key1, key2))`.execute(db);
  await sql`create table complaint_stage_day_deltas (${keyCols}, n integer not null)`.execute(db);
  await sql`
    create function complaint_stage_day_contributions(f complaint_stage_facts)
    returns table (kind text, day date, stage smallint, tenure text, key1 text, key2 text)
    language sql immutable as $$
      -- One row per kind; a kind whose day is null (not acknowledged, answered or ended) counts nothing.
      select v.* from (values
        ('received', f.started_on, f.stage, coalesce(f.tenure, ''), coalesce(f.ended_how, ''), ''),
        ('channel', f.started_on, f.stage, '', f.channel, ''),
        ('area', f.started_on, f.stage, '', coalesce(f.service_area, 'Not recorded'), ''),
        ('category', f.started_on, f.stage, '', coalesce(f.category, 'Not recorded'), ''),
        ('acknowledged', f.acknowledged_on, f.stage, '', (f.acknowledged_on <= f.acknowledgement_due)::text, ''),
        ('responded', f.responded_on, f.stage, coalesce(f.tenure, ''), coalesce(f.outcome, 'not_recorded'),
          (f.responded_on <= f.due_original)::text || '/' || (f.responded_on <= f.due_compliant)::text),
        ('ended', case when f.ended_how is not null then f.ended_on end, f.stage, '', f.ended_how, coalesce(f.ended_ground, 'not_recorded'))
      ) v (kind, day, stage, tenure, key1, key2)
      where v.day is not null
    $$`.execute(db);
  // Row by row: a statement that changes no row (the engine's updates that change nothing, say)
  // costs nothing. NEW is null on delete and OLD on insert, and a null row counts towards nothing.
  await sql`
    create function complaint_stage_facts_counted() returns trigger language plpgsql as $$
    begin
      insert into complaint_stage_day_deltas (kind, day, stage, tenure, key1, key2, n)
      select kind, day, stage, tenure, key1, key2, sum(n)
      from (
        select c.*, 1 as n from complaint_stage_day_contributions(new) c
        union all
        select c.*, -1 as n from complaint_stage_day_contributions(old) c
      ) x
      group by 1, 2, 3, 4, 5, 6
      having sum(n) <> 0;
      return null;
    end $$`.execute(db);
  await sql`create trigger complaint_stage_facts_counted after insert or update or delete on complaint_stage_facts for each row execute function complaint_stage_facts_counted()`.execute(db);
  // The counts of the facts already stored (the trigger, made in this transaction, sees every change after it).
  await sql`
    insert into complaint_stage_day_totals (kind, day, stage, tenure, key1, key2, n)
    select c.kind, c.day, c.stage, c.tenure, c.key1, c.key2, count(*)
    from complaint_stage_facts f cross join lateral complaint_stage_day_contributions(f) c
    group by 1, 2, 3, 4, 5, 6`.execute(db);
  // The stages open at a day (open past their due dates on it) are first dated by it and last dated
  // after it or not yet: the period index, now with what that count reads, so it is read from the
  // index alone.
  await sql`drop index complaint_stage_facts_period`.execute(db);
  await sql`create index complaint_stage_facts_period on complaint_stage_facts ((coalesce(last_on, 'infinity'::date)), first_on) include (stage, tenure, started_on, responded_on, ended_on, due_original, due_compliant, due_in_force)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
