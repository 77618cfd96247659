import { sql, type Kysely } from 'kysely';

/**
 * Learning from complaints, the Ombudsman's side of a case, and reminders (PostgreSQL 15 only):
 * - learning_items: the learning register (one prompted per response that upholds a complaint in
 *   whole or part), with its root cause, the owning service area's response, the improvement, and
 *   the words of a publishable "you said, we did" entry;
 * - ombudsman_cases with their requests for information, findings (one per issue), and orders and
 *   recommendations with their "no later than" dates and evidence of compliance;
 * - reminders_sent: one row per reminder (thing, kind, due date), unique, so that several app
 *   instances sweeping at once send each reminder once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  await db.schema
    .createTable('learning_items')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('stage', 'smallint', (c) => c.check(sql`stage in (1, 2)`))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('response', 'manual', 'ombudsman')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'area_responded', 'improvement_made', 'closed')`))
    .addColumn('outcome', 'text')
    .addColumn('category', 'text')
    .addColumn('root_cause', 'text')
    .addColumn('what_went_wrong', 'text')
    .addColumn('recommendation', 'text')
    .addColumn('service_area', 'text')
    .addColumn('area_response', 'text')
    .addColumn('improvement', 'text')
    .addColumn('improved_on', 'date')
    .addColumn('closed_reason', 'text')
    .addColumn('publishable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('you_said', 'text')
    .addColumn('we_did', 'text')
    .addColumn('recorded_on', 'date', (c) => c.notNull())
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('learning_improvement_dated', sql`status <> 'improvement_made' or (improvement is not null and improved_on is not null)`)
    .addCheckConstraint('learning_publishable_words', sql`publishable = false or (you_said is not null and we_did is not null)`)
    .execute();
  // One prompted item per upholding response.
  await db.schema
    .createIndex('learning_items_response')
    .unique()
    .on('learning_items')
    .columns(['complaint_id', 'stage'])
    .where(sql.ref('source'), '=', 'response')
    .execute();
  await db.schema.createIndex('learning_items_recorded_on').on('learning_items').column('recorded_on').execute();

  await db.schema
    .createTable('ombudsman_cases')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('ombudsman', 'text', (c) => c.notNull().defaultTo('HOS').check(sql`ombudsman in ('HOS', 'LGSCO')`))
    .addColumn('opened_on', 'date', (c) => c.notNull())
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'determined', 'closed')`))
    .addColumn('determined_on', 'date')
    .addColumn('determination_summary', 'text')
    .addColumn('mrc_reported_on', 'date')
    .addColumn('closed_on', 'date')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('ombudsman_cases_reference', ['ombudsman', 'reference'])
    .execute();
  await db.schema.createIndex('ombudsman_cases_complaint').on('ombudsman_cases').column('complaint_id').execute();

  await db.schema
    .createTable('ombudsman_requests')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('ombudsman_cases.id'))
    .addColumn('requested_on', 'date', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('what', 'text', (c) => c.notNull())
    .addColumn('replied_on', 'date')
    .addColumn('reply_note', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addCheckConstraint('ombudsman_requests_dates', sql`due_on >= requested_on and (replied_on is null or replied_on >= requested_on)`)
    .execute();
  await db.schema.createIndex('ombudsman_requests_case').on('ombudsman_requests').column('case_id').execute();

  await db.schema
    .createTable('ombudsman_findings')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('ombudsman_cases.id'))
    .addColumn('issue', 'text', (c) => c.notNull())
    .addColumn('issue_kind', 'text', (c) => c.notNull())
    .addColumn('finding', 'text', (c) =>
      c
        .notNull()
        .check(
          sql`finding in ('no_maladministration', 'service_failure', 'maladministration', 'severe_maladministration', 'reasonable_redress', 'mediation', 'outside_jurisdiction', 'withdrawn')`,
        ),
    )
    .addColumn('note', 'text')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('ombudsman_findings_case').on('ombudsman_findings').column('case_id').execute();

  await db.schema
    .createTable('ombudsman_orders')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('case_id', 'uuid', (c) => c.notNull().references('ombudsman_cases.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('order', 'recommendation')`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('amount_pence', 'integer', (c) => c.check(sql`amount_pence > 0`))
    .addColumn('due_on', 'date')
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('complied_on', 'date')
    .addColumn('evidence', 'text')
    .addColumn('evidence_sent_on', 'date')
    .addColumn('declined_reason', 'text')
    .addColumn('position', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('ombudsman_orders_due', sql`kind <> 'order' or due_on is not null`)
    .addCheckConstraint('ombudsman_orders_evidence', sql`complied_on is null or evidence is not null`)
    .execute();
  await db.schema.createIndex('ombudsman_orders_case').on('ombudsman_orders').column('case_id').execute();

  await db.schema
    .createTable('reminders_sent')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'uuid', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('complaint_id', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('recipient_user_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('outbox_id', 'uuid')
    .addColumn('instance', 'text')
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addUniqueConstraint('reminders_sent_once', ['subject', 'subject_id', 'kind', 'due_on'])
    .execute();
  await db.schema.createIndex('reminders_sent_at').on('reminders_sent').column('sent_at').execute();
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
