import { sql, type Kysely } from 'kysely';

/**
 * Letters, finished (PostgreSQL 15 features only):
 * - outbox_resolutions: a failed email a person has dealt with another way (post, phone), and how;
 * - inbound_attachments: the files of an email that named no case, kept with the new contact for triage;
 * - letterhead_logo: the landlord's logo for letters, served from the application itself.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  await db.schema
    .createTable('outbox_resolutions')
    .addColumn('outbox_id', 'uuid', (c) => c.primaryKey().references('outbox.id'))
    .addColumn('note', 'text', (c) => c.notNull())
    .addColumn('resolved_by', 'uuid')
    .addColumn('resolved_by_name', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('inbound_attachments')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('message_id', 'text', (c) => c.notNull().references('inbound_messages.message_id'))
    .addColumn('contact_id', 'uuid', (c) => c.references('contacts.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('inbound_attachments_contact').on('inbound_attachments').column('contact_id').execute();

  await db.schema
    .createTable('letterhead_logo')
    .addColumn('id', 'text', (c) => c.primaryKey().check(sql`id = 'logo'`))
    .addColumn('content_type', 'text', (c) => c.notNull().check(sql`content_type in ('image/png', 'image/jpeg')`))
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('updated_by', 'uuid')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
