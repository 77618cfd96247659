import { sql, type Kysely } from 'kysely';

/**
 * The measures' facts, stored (issue 9): one row per complaint stage and one per extension, as
 * `complaintFacts` (src/core/measures.ts) folds them from the complaint's events, and one summary
 * per complaint for the self-assessment's evidence and the annual report (`caseSummary`). The services
 * write them in the same transaction as the events; the reports count them in SQL instead of
 * folding every complaint's history in the server.
 *
 * `complaints.facts_version` is the complaint version the facts were folded at: a row whose
 * facts_version differs from its version (older databases, or anything that changes a complaint
 * without the engine) is found through a partial index and folded again before a report runs.
 * Tenure, channel, service area and category are copied so a year's figures read one table; the
 * services keep them in step (a resident's tenure change updates their complaints' facts).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table complaints add column facts_version integer`.execute(db);
  await sql`create index complaints_facts_stale on complaints (id) where facts_version is distinct from version`.execute(db);
  await sql`
    create table complaint_stage_facts (
      complaint_id uuid not null references complaints (id) on delete cascade,
      stage smallint not null check (stage in (1, 2)),
      received_on date not null,
      tenure text,
      channel text not null,
      service_area text,
      category text,
      started_on date not null,
      acknowledgement_due date not null,
      acknowledged_on date,
      due_original date not null,
      due_compliant date not null,
      due_in_force date not null,
      responded_on date,
      outcome text,
      ended_how text check (ended_how in ('refused', 'withdrawn')),
      ended_on date,
      ended_ground text,
      first_on date not null,
      last_on date,
      primary key (complaint_id, stage)
    )`.execute(db);
  // A period's figures read the stages that overlap it: first dated by its end, and still open or
  // last dated on or after its start.
  await sql`create index complaint_stage_facts_period on complaint_stage_facts ((coalesce(last_on, 'infinity'::date)), first_on)`.execute(db);
  await sql`
    create table complaint_extension_facts (
      complaint_id uuid not null references complaints (id) on delete cascade,
      stage smallint not null,
      seq smallint not null,
      received_on date not null,
      previous_due date not null,
      new_due date not null,
      resident_told_on date not null,
      beyond_cap boolean not null,
      good_reason boolean not null,
      told_late boolean not null,
      compliant boolean not null,
      primary key (complaint_id, stage, seq)
    )`.execute(db);
  await sql`create index complaint_extension_facts_told on complaint_extension_facts (resident_told_on)`.execute(db);
  // What the self-assessment's evidence and the annual report count from each complaint
  // (caseSummary in src/core/self-assessment.ts, as JSON text: it is only ever parsed by the
  // server), with the first and last days it carries and the complaint's columns they need.
  await sql`
    create table complaint_case_summaries (
      complaint_id uuid primary key references complaints (id) on delete cascade,
      first_on date not null,
      last_on date not null,
      channel text not null,
      service_area text,
      contractor text,
      representative boolean not null,
      from_service_request boolean not null,
      logged_by uuid,
      summary text not null
    )`.execute(db);
  await sql`create index complaint_case_summaries_span on complaint_case_summaries (last_on, complaint_id)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
