import { sql, type Kysely } from 'kysely';

/**
 * The putting-things-right figures (issue 9): the offers made and the payments made in a period are
 * found through these partial indexes, so the guidance bands and the heads of award read only the
 * financial remedies concerned instead of scanning every remedy again (RemedyService.figures,
 * src/services/remedy-figure-queries.ts). PostgreSQL 15 features only.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index remedies_financial_offered_on on remedies (offered_on) where type = 'financial'`.execute(db);
  await sql`create index remedies_financial_paid_on on remedies (paid_on) where type = 'financial' and status = 'paid'`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
