import { sql, type Kysely } from 'kysely';

/**
 * Indexes for national scale (issue 9), PostgreSQL 15 features only:
 * - a handler's open caseload and the team's, counted for the worklist's due badges without
 *   reading closed cases (partial on the open statuses);
 * - residents by postcode prefix and by given name prefix under any collation (text_pattern_ops:
 *   a plain index serves LIKE 'x%' only under the C collation, which managed databases rarely use);
 * - complaints newest first (the default list order and search results).
 */
const OPEN = sql`status in ('awaiting_acknowledgement', 'investigating', 'responded')`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index complaints_open_handler1 on complaints (stage1_handler_id, next_due_on) where ${OPEN}`.execute(db);
  await sql`create index complaints_open_handler2 on complaints (stage2_handler_id, next_due_on) where ${OPEN}`.execute(db);
  await sql`create index complaints_open_next_due on complaints (next_due_on, id) where ${OPEN}`.execute(db);
  await sql`create index complaints_received_at on complaints (received_at, id)`.execute(db);
  await sql`create index residents_postcode_key_prefix on residents (postcode_key text_pattern_ops)`.execute(db);
  await sql`create index residents_given_name_lower on residents (lower(given_name) text_pattern_ops)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
