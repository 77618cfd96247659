import { sql, type Kysely } from 'kysely';

// Only PostgreSQL 15 features: production may run 15 while PGlite is newer.
export async function up(db: Kysely<any>): Promise<void> {
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'jsonb', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_by', 'uuid')
    .execute();

  await db.schema
    .createTable('users')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('team', 'text')
    .addColumn('password_hash', 'text')
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('failed_logins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('user_id', 'uuid', (c) => c.notNull().references('users.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('last_used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();

  await sql`create sequence resident_ref_seq`.execute(db);
  await sql`create sequence complaint_ref_seq`.execute(db);
  await sql`create sequence service_request_ref_seq`.execute(db);

  await db.schema
    .createTable('residents')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('title', 'text')
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('address_line1', 'text')
    .addColumn('address_line2', 'text')
    .addColumn('town', 'text')
    .addColumn('postcode', 'text')
    .addColumn('postcode_key', 'text')
    .addColumn('property_reference', 'text')
    .addColumn('tenure', 'text', (c) => c.notNull().check(sql`tenure in ('LCRA', 'LCHO', 'other')`))
    .addColumn('preferred_contact', 'text', (c) => c.notNull())
    .addColumn('communication_needs', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('language', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('residents_postcode_key').on('residents').column('postcode_key').execute();
  await sql`create index residents_family_name_lower on residents (lower(family_name) text_pattern_ops)`.execute(db);

  await db.schema
    .createTable('resident_needs')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('resident_id', 'uuid', (c) => c.notNull().references('residents.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('vulnerability', 'disability', 'adjustment')`))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('disclosed_on', 'date')
    .addColumn('review_on', 'date')
    .addColumn('ended_on', 'date')
    .addColumn('recorded_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('resident_needs_resident').on('resident_needs').column('resident_id').execute();

  await db.schema
    .createTable('contact_restrictions')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('resident_id', 'uuid', (c) => c.notNull().references('residents.id'))
    .addColumn('restriction', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('proportionality', 'text', (c) => c.notNull())
    .addColumn('equality_considerations', 'text', (c) => c.notNull())
    .addColumn('starts_on', 'date', (c) => c.notNull())
    .addColumn('review_on', 'date', (c) => c.notNull())
    .addColumn('ends_on', 'date')
    .addColumn('decided_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('contact_restrictions_resident').on('contact_restrictions').column('resident_id').execute();

  await db.schema
    .createTable('representatives')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('resident_id', 'uuid', (c) => c.notNull().references('residents.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('relationship', 'text', (c) => c.notNull())
    .addColumn('email', 'text')
    .addColumn('phone', 'text')
    .addColumn('address', 'text')
    .addColumn('consent_evidence', 'text', (c) => c.notNull())
    .addColumn('consent_recorded_on', 'date', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('service_requests')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('resident_id', 'uuid', (c) => c.references('residents.id'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('service_area', 'text')
    .addColumn('category', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'closed')`))
    .addColumn('last_reviewed_on', 'date')
    .addColumn('closed_on', 'date')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('service_requests_resident').on('service_requests').column('resident_id').execute();

  await db.schema
    .createTable('complaints')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('reference', 'text', (c) => c.notNull().unique())
    .addColumn('resident_id', 'uuid', (c) => c.references('residents.id'))
    .addColumn('representative_id', 'uuid', (c) => c.references('representatives.id'))
    .addColumn('anonymous', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('issue_arose', 'date')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('outcome_sought', 'text')
    .addColumn('help_needed', 'text')
    .addColumn('service_area', 'text')
    .addColumn('category', 'text')
    .addColumn('contractor', 'text')
    .addColumn('service_request_id', 'uuid', (c) => c.references('service_requests.id'))
    .addColumn('subject_staff_ids', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('logged_by', 'uuid')
    .addColumn('rule_version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('stage', 'smallint', (c) => c.notNull().check(sql`stage in (1, 2)`))
    .addColumn('stage1_handler_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('stage2_handler_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('outcome', 'text')
    .addColumn('next_due_on', 'date')
    .addColumn('next_due_kind', 'text')
    .addColumn('vulnerable', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('extended', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('closed_on', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('complaints_resident').on('complaints').column('resident_id').execute();
  await db.schema.createIndex('complaints_received_on').on('complaints').column('received_on').execute();
  await sql`create index complaints_open_due on complaints (next_due_on, id) where next_due_on is not null`.execute(db);
  await sql`create index complaints_handler1_due on complaints (stage1_handler_id, next_due_on, id) where next_due_on is not null`.execute(db);
  await sql`create index complaints_handler2_due on complaints (stage2_handler_id, next_due_on, id) where next_due_on is not null`.execute(db);

  await db.schema
    .createTable('complaint_links')
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('other_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('relation', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('complaint_links_pk', ['complaint_id', 'other_id'])
    .execute();

  await db.schema
    .createTable('contacts')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('resident_id', 'uuid', (c) => c.references('residents.id'))
    .addColumn('received_at', 'timestamptz', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('choice_offered', 'boolean', (c) => c.notNull())
    .addColumn('choice', 'text', (c) => c.notNull())
    .addColumn('complaint_id', 'uuid', (c) => c.references('complaints.id'))
    .addColumn('service_request_id', 'uuid', (c) => c.references('service_requests.id'))
    .addColumn('recorded_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('complaint_id', 'uuid')
    .addColumn('resident_id', 'uuid')
    .addColumn('entity', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'uuid')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('event', 'jsonb')
    .addColumn('before', 'jsonb')
    .addColumn('after', 'jsonb')
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create index history_complaint on history (complaint_id, id) where complaint_id is not null`.execute(db);
  await sql`create index history_resident on history (resident_id, id) where resident_id is not null`.execute(db);
  // The history is append-only: no row is ever changed or removed.
  await sql`
    create function history_append_only() returns trigger language plpgsql as $$
    begin
      raise exception 'the history is append-only';
    end $$`.execute(db);
  await sql`create trigger history_no_update before update or delete on history for each row execute function history_append_only()`.execute(db);

  await db.schema
    .createTable('notes')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('restricted', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('author_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('notes_complaint').on('notes').column('complaint_id').execute();

  await db.schema
    .createTable('correspondence')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('direction', 'text', (c) => c.notNull().check(sql`direction in ('in', 'out')`))
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('counterpart', 'text')
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('recorded_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('correspondence_complaint').on('correspondence').column('complaint_id').execute();

  await db.schema
    .createTable('attachments')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('filename', 'text', (c) => c.notNull())
    .addColumn('content_type', 'text', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('uploaded_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();
  await db.schema.createIndex('attachments_complaint').on('attachments').column('complaint_id').execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('user_id', 'uuid', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('route', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status_code', 'integer', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
