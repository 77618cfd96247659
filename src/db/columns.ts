/**
 * Every column of a table, by name, for the reads on the busiest pages. A statement that names its
 * columns is prepared once per connection and then only bound and run (prepared.ts); one with `*`
 * is parsed and planned every time, because a later `alter table` would change what `*` means
 * and PostgreSQL refuses a prepared statement whose result changed. On the case page that was
 * four statements planned afresh per view (issue 9).
 *
 * Each list is checked against its table's type when compiling (a column added to the type and
 * not here is an error), and against the migrated database in test/db/columns.test.ts.
 */
import type { Database } from './schema.js';

type Columns<T extends keyof Database> = readonly (keyof Database[T] & string)[];
/** True only when the list names every column of the table. */
type Complete<T extends keyof Database, C extends Columns<T>> = [Exclude<keyof Database[T], C[number]>] extends [never] ? true : { missing: Exclude<keyof Database[T], C[number]> };

function every<T extends keyof Database>() {
  return <const C extends Columns<T>>(columns: C, _complete: Complete<T, C>): C => columns;
}

export const COMPLAINT_COLUMNS = every<'complaints'>()(
  [
    'id', 'reference', 'resident_id', 'representative_id', 'anonymous', 'channel', 'received_at', 'received_on', 'issue_arose', 'description',
    'outcome_sought', 'help_needed', 'service_area', 'category', 'contractor', 'service_request_id', 'subject_staff_ids', 'logged_by',
    'rule_version', 'status', 'stage', 'stage1_handler_id', 'stage2_handler_id', 'outcome', 'next_due_on', 'next_due_kind', 'vulnerable',
    'extended', 'closed_on', 'created_at', 'updated_at', 'version', 'facts_version',
  ],
  true,
);

export const HISTORY_COLUMNS = every<'history'>()(['id', 'complaint_id', 'resident_id', 'entity', 'entity_id', 'action', 'event', 'before', 'after', 'actor_id', 'actor_label', 'at'], true);

export const CORRESPONDENCE_COLUMNS = every<'correspondence'>()(['id', 'complaint_id', 'direction', 'channel', 'subject', 'body', 'counterpart', 'occurred_at', 'recorded_by', 'created_at'], true);

export const RESIDENT_COLUMNS = every<'residents'>()(
  [
    'id', 'reference', 'title', 'given_name', 'family_name', 'email', 'phone', 'address_line1', 'address_line2', 'town', 'postcode', 'postcode_key',
    'property_reference', 'tenure', 'preferred_contact', 'communication_needs', 'language', 'created_at', 'updated_at', 'version',
  ],
  true,
);

/** The tables and their lists, for the test that compares them with the database. */
export const NAMED_COLUMNS = { complaints: COMPLAINT_COLUMNS, history: HISTORY_COLUMNS, correspondence: CORRESPONDENCE_COLUMNS, residents: RESIDENT_COLUMNS } as const;
