/**
 * The measures' facts, stored: one row per complaint stage (`complaint_stage_facts`) and one per
 * extension (`complaint_extension_facts`), exactly as `complaintFacts` (src/core/measures.ts)
 * folds them from the complaint's events with the working-day calendar, and one case summary per
 * complaint (`complaint_case_summaries`, `caseSummary` in src/core/self-assessment.ts). The
 * reports count these rows in SQL (measure-queries.ts) and the evidence reads the summaries
 * (evidence.ts), so a year's figures never fold a complaint's history.
 *
 * - The engine writes them in the transaction that changes the complaint (`writeStageFacts`,
 *   called by ComplaintService) and stamps `complaints.facts_version` with the new version.
 * - `refreshStageFacts` runs when the server starts and after a calendar change (the settings
 *   service's callers run ComplaintService.recomputeOpenProjections): it folds again every
 *   complaint whose facts_version is not its version (a database from before migration 0012, or a
 *   change made without the engine), found through a partial index, and all of them when the
 *   calendar the facts were folded with has changed (a closure day added, say), which is recorded
 *   in the settings table. Reports only read.
 * - The resident's tenure and the complaint's channel, service area and category are copied onto
 *   the rows; ResidentService updates the tenure when it changes.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { WorkingDayCalendar } from '../core/calendar.js';
import type { LocalDate } from '../core/dates.js';
import { project, type ComplaintState, type LifecycleEvent, type LifecycleEventData } from '../core/lifecycle.js';
import { FACTS_VERSION, complaintFacts, type StageFacts } from '../core/measures.js';
import { CASE_SUMMARY_VERSION, caseSummary, summarySpan } from '../core/self-assessment.js';

/** The settings row that records which calendar the stored facts were folded with. */
export const FACTS_CALENDAR_KEY = 'facts_calendar';

/** Identifies the facts' logic and the calendar together: stored facts of another key are folded again. */
export function factsCalendarKey(calendar: WorkingDayCalendar): string {
  return `${FACTS_VERSION}.${CASE_SUMMARY_VERSION}:${JSON.stringify(calendar.settings)}`;
}

/** The complaint's own columns the evidence counts (beside its summary). */
export interface SummaryMetaRow {
  channel: string;
  service_area: string | null;
  contractor: string | null;
  representative_id: string | null;
  service_request_id: string | null;
  logged_by: string | null;
}
export const SUMMARY_COLUMNS = ['complaint_id', 'first_on', 'last_on', 'channel', 'service_area', 'contractor', 'representative', 'from_service_request', 'logged_by', 'summary'] as const;

export interface FactsMetaRow {
  received_on: LocalDate;
  /** The resident's tenure; null for an anonymous complaint (the report settings choose one). */
  tenure: string | null;
  channel: string;
  service_area: string | null;
  category: string | null;
}

/**
 * The earliest and latest dates a stage's facts carry; `last` is null while the stage is open (not
 * answered or ended), so a period's query finds it whatever the period's end.
 */
export function stageSpan(s: StageFacts): { first: LocalDate; last: LocalDate | null } {
  let first = s.startedOn;
  let last = s.startedOn;
  for (const d of [s.acknowledgedOn, s.respondedOn, s.ended?.on, ...s.extensions.map((e) => e.residentToldOn)]) {
    if (!d) continue;
    if (d < first) first = d;
    if (d > last) last = d;
  }
  return { first, last: !s.respondedOn && !s.ended ? null : last };
}

/** The columns of the two tables, in order (the seed streams them with COPY). */
export const STAGE_FACT_COLUMNS = ['complaint_id', 'stage', 'received_on', 'tenure', 'channel', 'service_area', 'category', 'started_on', 'acknowledgement_due', 'acknowledged_on', 'due_original', 'due_compliant', 'due_in_force', 'responded_on', 'outcome', 'ended_how', 'ended_on', 'ended_ground', 'first_on', 'last_on'] as const;
export const EXTENSION_FACT_COLUMNS = ['complaint_id', 'stage', 'seq', 'received_on', 'previous_due', 'new_due', 'resident_told_on', 'beyond_cap', 'good_reason', 'told_late', 'compliant'] as const;

/** The rows of one complaint's facts, from its projected state. */
export function stageFactRows(complaintId: string, state: ComplaintState, meta: FactsMetaRow) {
  const f = complaintFacts(state, { id: complaintId, reference: '', tenure: 'LCRA', channel: meta.channel, serviceArea: meta.service_area, category: meta.category });
  return factRows(complaintId, f.stages, meta);
}

/** The rows of one complaint's stage facts. */
export function factRows(complaintId: string, facts: readonly StageFacts[], meta: FactsMetaRow) {
  const stages = facts.map((s) => {
    const span = stageSpan(s);
    return {
      complaint_id: complaintId,
      stage: s.stage,
      received_on: meta.received_on,
      tenure: meta.tenure,
      channel: meta.channel,
      service_area: meta.service_area,
      category: meta.category,
      started_on: s.startedOn,
      acknowledgement_due: s.acknowledgementDue,
      acknowledged_on: s.acknowledgedOn,
      due_original: s.dueOriginal,
      due_compliant: s.dueCompliant,
      due_in_force: s.dueInForce,
      responded_on: s.respondedOn,
      outcome: s.outcome,
      ended_how: s.ended?.how ?? null,
      ended_on: s.ended?.on ?? null,
      ended_ground: s.ended?.ground ?? null,
      first_on: span.first,
      last_on: span.last,
    };
  });
  const extensions = facts.flatMap((s) =>
    s.extensions.map((e, i) => ({
      complaint_id: complaintId,
      stage: s.stage,
      seq: i + 1,
      received_on: meta.received_on,
      previous_due: e.previousDue,
      new_due: e.newDue,
      resident_told_on: e.residentToldOn,
      beyond_cap: e.beyondCap,
      good_reason: e.goodReason,
      told_late: e.toldLate,
      compliant: e.compliant,
    })),
  );
  return { stages, extensions };
}

/** The row of one complaint's case summary. */
export function summaryRow(complaintId: string, events: readonly LifecycleEvent[], calendar: WorkingDayCalendar, meta: SummaryMetaRow, state?: ComplaintState) {
  const summary = caseSummary(events, calendar, state);
  const span = summarySpan(summary);
  return {
    complaint_id: complaintId,
    first_on: span.first,
    last_on: span.last,
    channel: meta.channel,
    service_area: meta.service_area,
    contractor: meta.contractor,
    representative: !!meta.representative_id,
    from_service_request: !!meta.service_request_id,
    logged_by: meta.logged_by,
    summary: JSON.stringify(summary),
  };
}

/**
 * Replace one complaint's stored facts and summary, inside the caller's transaction (which must
 * hold the complaint's row lock, as the engine's commands do). `state` is `project(events)`; the
 * resident's tenure is read by the insert itself.
 */
export async function writeStageFacts(
  trx: Db,
  complaintId: string,
  events: readonly LifecycleEvent[],
  state: ComplaintState,
  calendar: WorkingDayCalendar,
  meta: Omit<FactsMetaRow, 'tenure'> & SummaryMetaRow & { resident_id: string | null },
): Promise<void> {
  const { stages, extensions } = stageFactRows(complaintId, state, { ...meta, tenure: null });
  const tenure = meta.resident_id ? sql<string | null>`(select tenure from residents where id = ${meta.resident_id})` : null;
  await trx.deleteFrom('complaint_extension_facts').where('complaint_id', '=', complaintId).execute();
  // Each stage's row is updated in place, and only when it changes: the day counts (migration
  // 0021) then change by what changed, not by everything the stage counts taken away and added.
  if (stages.length < 2) {
    let gone = trx.deleteFrom('complaint_stage_facts').where('complaint_id', '=', complaintId);
    if (stages.length) gone = gone.where('stage', 'not in', stages.map((r) => r.stage));
    await gone.execute();
  }
  if (stages.length) await upsertStageFacts(trx, stages.map((r) => ({ ...r, tenure })));
  if (extensions.length) await trx.insertInto('complaint_extension_facts').values(extensions).execute();
  const { complaint_id: _, ...sum } = summaryRow(complaintId, events, calendar, meta, state);
  await trx
    .insertInto('complaint_case_summaries')
    .values({ complaint_id: complaintId, ...sum })
    .onConflict((oc) => oc.column('complaint_id').doUpdateSet(sum))
    .execute();
}

/** Every stage facts column but the key, set from the row offered (`excluded`). */
const STAGE_FACTS_UPDATED = Object.fromEntries(STAGE_FACT_COLUMNS.filter((c) => c !== 'complaint_id' && c !== 'stage').map((c) => [c, sql.ref(`excluded.${c}`)]));

/** Insert stage facts rows, or update the stored ones in place, and only those that differ. */
export async function upsertStageFacts(trx: Db, rows: readonly Record<(typeof STAGE_FACT_COLUMNS)[number], unknown>[]): Promise<void> {
  await trx
    .insertInto('complaint_stage_facts')
    .values(rows as never)
    .onConflict((oc) =>
      oc
        .columns(['complaint_id', 'stage'])
        .doUpdateSet(STAGE_FACTS_UPDATED)
        .where(sql<boolean>`row(complaint_stage_facts.*) is distinct from row(excluded.*)`),
    )
    .execute();
}

/** A complaint no longer has a representative (their details were erased): its summary says so too. */
export async function clearSummaryRepresentative(trx: Db, residentId: string): Promise<void> {
  await trx
    .updateTable('complaint_case_summaries')
    .set({ representative: false })
    .where('complaint_id', 'in', (eb) => eb.selectFrom('complaints').select('id').where('resident_id', '=', residentId))
    .execute();
}

/** Copy a resident's new tenure onto the facts of their complaints (inside the caller's transaction). */
export async function updateFactsTenure(trx: Db, residentId: string, tenure: string | null): Promise<void> {
  await trx
    .updateTable('complaint_stage_facts')
    .set({ tenure })
    .where('complaint_id', 'in', (eb) => eb.selectFrom('complaints').select('id').where('resident_id', '=', residentId))
    .execute();
}

/**
 * Fold again the facts of every complaint whose stored facts are not current: all of them when
 * the calendar has changed since they were folded, otherwise those whose facts_version is not
 * their version. Works in batches, each in its own transaction holding the complaints' row locks
 * (skipping any another process holds), so several instances may run it at once. Returns how many
 * complaints it folded.
 */
export async function refreshStageFacts(db: Db, calendar: WorkingDayCalendar, batch = 500): Promise<number> {
  const key = factsCalendarKey(calendar);
  const stored = await db.selectFrom('settings').select('value').where('key', '=', FACTS_CALENDAR_KEY).executeTakeFirst();
  if (stored?.value !== key) {
    await db.transaction().execute(async (trx) => {
      const again = await trx.selectFrom('settings').select('value').where('key', '=', FACTS_CALENDAR_KEY).forUpdate().executeTakeFirst();
      if (again?.value === key) return;
      await trx.updateTable('complaints').set({ facts_version: null }).where('facts_version', 'is not', null).execute();
      await trx
        .insertInto('settings')
        .values({ key: FACTS_CALENDAR_KEY, value: JSON.stringify(key) })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(key) }))
        .execute();
    });
  }
  let folded = 0;
  for (;;) {
    const n = await db.transaction().execute(async (trx) => {
      // The stale rows, from the partial index complaints_facts_stale.
      const stale = await trx
        .selectFrom('complaints')
        .select(['id', 'version', 'received_on', 'channel', 'service_area', 'category', 'resident_id', 'contractor', 'representative_id', 'service_request_id', 'logged_by'])
        .where(sql<boolean>`facts_version is distinct from version`)
        // In id order, so the partial index is walked (the planner misjudges the condition's rows).
        .orderBy('id')
        .limit(batch)
        .forUpdate()
        .skipLocked()
        .execute();
      const residentIds = [...new Set(stale.map((r) => r.resident_id).filter((x): x is string => !!x))];
      const tenures = new Map(residentIds.length ? (await trx.selectFrom('residents').select(['id', 'tenure']).where('id', 'in', residentIds).execute()).map((r) => [r.id, r.tenure]) : []);
      const rows = stale.map((r) => ({ ...r, tenure: r.resident_id ? (tenures.get(r.resident_id) ?? null) : null }));
      if (!rows.length) return 0;
      const events = await trx
        .selectFrom('history')
        .select(['complaint_id', 'event', 'actor_id', 'at'])
        .where('complaint_id', 'in', rows.map((r) => r.id))
        .where('entity', '=', 'complaint')
        .where('event', 'is not', null)
        .orderBy('complaint_id')
        .orderBy('id')
        .execute();
      const byId = new Map<string, LifecycleEvent[]>();
      for (const e of events) {
        const list = byId.get(e.complaint_id!) ?? [];
        list.push({ ...(e.event as LifecycleEventData), actorId: e.actor_id, at: new Date(e.at).toISOString() });
        byId.set(e.complaint_id!, list);
      }
      const ids = rows.map((r) => r.id);
      await trx.deleteFrom('complaint_extension_facts').where('complaint_id', 'in', ids).execute();
      await trx.deleteFrom('complaint_stage_facts').where('complaint_id', 'in', ids).execute();
      await trx.deleteFrom('complaint_case_summaries').where('complaint_id', 'in', ids).execute();
      const summaries: ReturnType<typeof summaryRow>[] = [];
      const stages: ReturnType<typeof stageFactRows>['stages'] = [];
      const extensions: ReturnType<typeof stageFactRows>['extensions'] = [];
      for (const r of rows) {
        const evs = byId.get(r.id);
        if (!evs?.length) continue;
        const state = project(evs, calendar);
        const out = stageFactRows(r.id, state, r);
        stages.push(...out.stages);
        extensions.push(...out.extensions);
        summaries.push(summaryRow(r.id, evs, calendar, r, state));
      }
      for (let i = 0; i < summaries.length; i += 1000) await trx.insertInto('complaint_case_summaries').values(summaries.slice(i, i + 1000)).execute();
      for (let i = 0; i < stages.length; i += 1000) await trx.insertInto('complaint_stage_facts').values(stages.slice(i, i + 1000)).execute();
      for (let i = 0; i < extensions.length; i += 1000) await trx.insertInto('complaint_extension_facts').values(extensions.slice(i, i + 1000)).execute();
      await sql`update complaints set facts_version = version where id = any(${ids}::uuid[])`.execute(trx);
      return rows.length;
    });
    folded += n;
    if (n < batch) return folded;
  }
}
