import { sql, type Kysely } from 'kysely';

/**
 * Reports (branch `measures`), PostgreSQL 15 features only:
 * - report_facts: a cache of each complaint's dated facts for the measures, folded from its events
 *   by the engine; valid only for the complaint's version and calendar it was computed with;
 * - tsm_home_counts: homes owned at the end of each reporting year, by tenure (CH01's divisor);
 * - survey_imports and survey_responses: imported tenant survey answers for TP09.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('report_facts')
    .addColumn('complaint_id', 'uuid', (c) => c.primaryKey().references('complaints.id').onDelete('cascade'))
    .addColumn('complaint_version', 'integer', (c) => c.notNull())
    .addColumn('calendar_key', 'text', (c) => c.notNull())
    .addColumn('facts', 'jsonb', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

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
  await db.schema.dropTable('report_facts').execute();
}
