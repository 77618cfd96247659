import { sql, type Kysely } from 'kysely';

/**
 * Issue 9, the API's speed (branch api-speed), PostgreSQL 15 and PGlite alike:
 * - residents by name: the name search finds family-name matches in family-name order, then
 *   given-name matches in given-name order, each straight from one of these indexes (lower-cased,
 *   in the C collation, so that a prefix is a range of the index under any database collation and
 *   the index order is the result order): it reads the 50 rows it returns, not every Smith. They
 *   replace the single-column lower-case name indexes of 0001 and 0011, which they cover.
 * - complaints: vacuumed sooner than PostgreSQL's default (a fifth of the table changed), so
 *   that the visibility map stays current and the due badges' count over the open cases is an
 *   index-only scan of `complaints_open_next_due` rather than a heap visit per open case.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index residents_family_given_c on residents ((lower(family_name) collate "C"), (lower(given_name) collate "C"), id)`.execute(db);
  await sql`create index residents_given_family_c on residents ((lower(given_name) collate "C"), (lower(family_name) collate "C"), id)`.execute(db);
  await sql`drop index if exists residents_family_name_lower`.execute(db);
  await sql`drop index if exists residents_given_name_lower`.execute(db);
  await sql`alter table complaints set (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_insert_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
