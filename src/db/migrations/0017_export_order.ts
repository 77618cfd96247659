import { sql, type Kysely } from 'kysely';

/**
 * The data export reads every table a few thousand rows at a time, in the order it has always
 * written them (when each row was made), continuing after the last row it read: `(created_at, id)`
 * (`sent_at` for letters) is a unique order, and with these indexes each batch is a short index
 * range instead of a scan and sort of the whole table (1.8 million letters at national scale).
 * Complaints already have `complaints_received_at (received_at, id)` and history its id.
 * `letters_sent_at_id` serves every query `letters_sent_at` (0016) did, so it replaces it.
 */
const BY_CREATED = ['residents', 'resident_needs', 'contact_restrictions', 'representatives', 'notes', 'correspondence', 'attachments', 'remedies', 'actions', 'service_requests'];

export async function up(db: Kysely<any>): Promise<void> {
  for (const t of BY_CREATED) await sql`create index if not exists ${sql.id(`${t}_created_at_id`)} on ${sql.table(t)} (created_at, id)`.execute(db);
  await sql`create index if not exists letters_sent_at_id on letters (sent_at, id)`.execute(db);
  await sql`drop index if exists letters_sent_at`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
