import { sql, type Kysely } from 'kysely';

/**
 * Indexes for the self-assessment's evidence and the annual report at national scale (issue 9):
 * a period's letters, contacts, service requests and actions are read by their dates, and a
 * service request's complaints by the request.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index if not exists letters_sent_at on letters (sent_at)`.execute(db);
  await sql`create index if not exists contacts_received_at on contacts (received_at)`.execute(db);
  await sql`create index if not exists service_requests_received_at on service_requests (received_at)`.execute(db);
  await sql`create index if not exists complaints_service_request on complaints (service_request_id) where service_request_id is not null`.execute(db);
  await sql`create index if not exists actions_recorded_on on actions (recorded_on)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
