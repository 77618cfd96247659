import { sql, type Kysely } from 'kysely';

/**
 * Reports (branch `measures`), PostgreSQL 15 features only:
 * - tsm_home_counts: homes owned at the end of each reporting year, by tenure (CH01's divisor);
 * - survey_imports and survey_responses: imported tenant survey answers for TP09.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('tsm_home_counts')
    .addColumn('year', 'integer', (c) => c.primaryKey().check(sql`year between 2000 and 2200`))
    .addColumn('lcra', 'integer', (c) => c.check(sql`lcra >= 0`))
    .addColumn('lcho', 'integer', (c) => c.check(sql`lcho >= 0`))
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('survey_imports')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('imported_by', 'uuid')
    .addColumn('imported_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('survey_responses')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('import_id', 'uuid', (c) => c.notNull().references('survey_imports.id').onDelete('cascade'))
    .addColumn('respondent_ref', 'text', (c) => c.notNull())
    .addColumn('surveyed_on', 'date', (c) => c.notNull())
    .addColumn('tenure', 'text', (c) => c.notNull().check(sql`tenure in ('LCRA', 'LCHO')`))
    .addColumn('complained', 'boolean', (c) => c.notNull())
    .addColumn('answer', 'text')
    .execute();
  await db.schema.createIndex('survey_responses_surveyed_on').on('survey_responses').column('surveyed_on').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('survey_responses').execute();
  await db.schema.dropTable('survey_imports').execute();
  await db.schema.dropTable('tsm_home_counts').execute();
}
