import { sql, type Kysely } from 'kysely';

/**
 * Self-assessments against the Complaint Handling Code (one row per provision, changes in the
 * history table), the annual complaints performance and service improvement report with its
 * uploads, and exceptional circumstances notices (Code 8.1 to 8.5). Only PostgreSQL 15 features.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  await db.schema
    .createTable('self_assessments')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('code_version', 'text', (c) => c.notNull().defaultTo('2024'))
    .addColumn('period_from', 'date', (c) => c.notNull())
    .addColumn('period_to', 'date', (c) => c.notNull())
    .addColumn('reason', 'text', (c) =>
      c.notNull().check(sql`reason in ('annual', 'restructure', 'merger', 'procedure_change', 'ombudsman_request', 'other')`),
    )
    .addColumn('ombudsman_case_ref', 'text')
    .addColumn('based_on_id', 'uuid', (c) => c.references('self_assessments.id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('draft').check(sql`status in ('draft', 'final')`))
    .addColumn('completed_on', 'date')
    .addColumn('evidence_as_at', 'date')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('self_assessments_period', sql`period_from <= period_to`)
    .execute();

  await db.schema
    .createTable('self_assessment_rows')
    .addColumn('assessment_id', 'uuid', (c) => c.notNull().references('self_assessments.id').onDelete('cascade'))
    .addColumn('provision', 'text', (c) => c.notNull())
    .addColumn('comply', 'text', (c) => c.check(sql`comply in ('yes', 'no')`))
    .addColumn('evidence', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('commentary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('actions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('generated_evidence', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('flag', 'text')
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('self_assessment_rows_pk', ['assessment_id', 'provision'])
    .execute();

  await db.schema
    .createTable('annual_reports')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('year_start', 'date', (c) => c.notNull().unique())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('self_assessment_id', 'uuid', (c) => c.references('self_assessments.id'))
    .addColumn('introduction', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('performance_commentary', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('ombudsman_findings_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('service_improvements_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('ombudsman_annual_report_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('other_reports_text', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('governing_body_response', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('governing_body_response_on', 'date')
    .addColumn('published_at', 'timestamptz')
    .addColumn('published_by', 'uuid')
    .addColumn('snapshot', 'jsonb')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('annual_reports_year_start', sql`extract(month from year_start) = 4 and extract(day from year_start) = 1`)
    .execute();

  await db.schema
    .createTable('annual_report_files')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('report_id', 'uuid', (c) => c.notNull().references('annual_reports.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('ombudsman_annual_report', 'other_report')`))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('uploaded_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('exceptional_notices')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('circumstances', 'text', (c) => c.notNull())
    .addColumn('effect', 'text', (c) => c.notNull())
    .addColumn('provisions', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('starts_on', 'date', (c) => c.notNull())
    .addColumn('expected_return_on', 'date', (c) => c.notNull())
    .addColumn('ended_on', 'date')
    .addColumn('ombudsman_told_on', 'date')
    .addColumn('residents_told_how', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('published', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('exceptional_notices_dates', sql`starts_on <= expected_return_on and (ended_on is null or ended_on >= starts_on)`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('exceptional_notices').execute();
  await db.schema.dropTable('annual_report_files').execute();
  await db.schema.dropTable('annual_reports').execute();
  await db.schema.dropTable('self_assessment_rows').execute();
  await db.schema.dropTable('self_assessments').execute();
}
