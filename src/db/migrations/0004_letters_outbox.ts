import { sql, type Kysely } from 'kysely';

/**
 * Letters and the email outbox (PostgreSQL 15 features only):
 * - letter_templates: the landlord's edited wording per letter kind (defaults live in code);
 * - letters: every letter as sent, with its rendered words, so it can be reproduced exactly;
 * - outbox: emails written in the same transaction as the change that caused them, sent by a
 *   worker that claims rows with FOR UPDATE SKIP LOCKED; outbox_attempts records every try;
 * - inbound_messages: emails received, one row per Message-ID, so the same message is filed once.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  await db.schema
    .createTable('letter_templates')
    .addColumn('kind', 'text', (c) => c.primaryKey())
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('outbox')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('complaint_id', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('letter_id', 'uuid')
    .addColumn('to_addresses', 'jsonb', (c) => c.notNull())
    .addColumn('cc_addresses', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('text_body', 'text', (c) => c.notNull())
    .addColumn('html_body', 'text')
    .addColumn('message_id', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'sending', 'sent', 'failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull())
    .addColumn('lease_until', 'timestamptz')
    .addColumn('claimed_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('smtp_response', 'text')
    .addColumn('sent_at', 'timestamptz')
    .addColumn('failed_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create index outbox_due on outbox (next_attempt_at, id) where status = 'pending'`.execute(db);
  await sql`create index outbox_leased on outbox (lease_until) where status = 'sending'`.execute(db);
  await sql`create index outbox_complaint on outbox (complaint_id) where complaint_id is not null`.execute(db);
  await sql`create index outbox_status_created on outbox (status, created_at desc)`.execute(db);

  await db.schema
    .createTable('outbox_attempts')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('outbox_id', 'uuid', (c) => c.notNull().references('outbox.id'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('worker', 'text', (c) => c.notNull())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz')
    .addColumn('outcome', 'text', (c) => c.check(sql`outcome in ('sent', 'retry', 'failed', 'interrupted')`))
    .addColumn('smtp_code', 'integer')
    .addColumn('detail', 'text')
    .execute();
  await db.schema.createIndex('outbox_attempts_outbox').on('outbox_attempts').columns(['outbox_id', 'attempt']).execute();

  await db.schema
    .createTable('letters')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('stage', 'smallint', (c) => c.notNull().check(sql`stage in (1, 2)`))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('body_text', 'text', (c) => c.notNull())
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('blocks', 'jsonb', (c) => c.notNull())
    .addColumn('letterhead', 'jsonb', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('email', 'post')`))
    .addColumn('to_address', 'text', (c) => c.notNull())
    .addColumn('cc', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('large_print', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('readability', 'jsonb', (c) => c.notNull())
    .addColumn('prompts', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('template_version', 'integer')
    .addColumn('outbox_id', 'uuid', (c) => c.references('outbox.id'))
    .addColumn('sent_by', 'uuid')
    .addColumn('sent_by_name', 'text', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('letters_complaint').on('letters').columns(['complaint_id', 'sent_at']).execute();

  await db.schema
    .createTable('inbound_messages')
    .addColumn('message_id', 'text', (c) => c.primaryKey())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('from_address', 'text')
    .addColumn('subject', 'text')
    .addColumn('complaint_id', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('contact_id', 'uuid', (c) => c.references('contacts.id'))
    .addColumn('correspondence_id', 'uuid')
    .addColumn('attachments', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('filed', 'triage')`))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
