import { sql, type Kysely } from 'kysely';

/**
 * The remedies by type on the dashboard (issue 9) read every remedy that counts in the period:
 * at national scale 220,000 a year, scattered over 25,000 pages of the table. The index on the
 * day each remedy finished (0018) now also holds every column that count reads, so it is read
 * from the index alone (a national year: 101 → 30 ms to find them, 267 → 130 ms for the figures).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists remedies_finished_on`.execute(db);
  await sql`create index remedies_finished_on on remedies ((coalesce(completed_on, cancelled_on, declined_on, lapsed_on, case when status = 'offered' then open_until + 1 end, date '9999-12-31')))
    include (recorded_on, type, status, completed_on, due_on, cancelled_on, declined_on, lapsed_on, open_until)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
