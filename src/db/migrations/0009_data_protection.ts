import { sql, type Kysely } from 'kysely';

/**
 * Data protection (#8): the access audit, subject access requests, retention holds, anonymised
 * complaints and retention runs. The history stays append-only, except that the retention job may
 * blank the personal data inside an event (never its type, time, actor or case) when it says so
 * for its own transaction (`set_config('putright.anonymising', 'on', true)`).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const now = sql`now()`;
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);

  await db.schema
    .createTable('access_audit')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('actor_id', 'uuid')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('actor_role', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resident_id', 'uuid')
    .addColumn('complaint_id', 'uuid')
    .addColumn('entity_id', 'uuid')
    .addColumn('detail', 'text')
    .execute();
  await sql`create index access_audit_at on access_audit (at desc, id desc)`.execute(db);
  await sql`create index access_audit_actor on access_audit (actor_id, at desc)`.execute(db);
  await sql`create index access_audit_resident on access_audit (resident_id, at desc) where resident_id is not null`.execute(db);

  await db.schema
    .createTable('subject_access_requests')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('resident_id', 'uuid', (c) => c.notNull().references('residents.id'))
    .addColumn('requested_by', 'uuid')
    .addColumn('requested_by_name', 'text', (c) => c.notNull())
    .addColumn('received_on', 'date')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('size_bytes', 'integer', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull())
    .addColumn('complaints', 'integer', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('retention_holds')
    .addColumn('complaint_id', 'uuid', (c) => c.primaryKey().references('complaints.id'))
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('placed_by', 'uuid')
    .addColumn('placed_by_name', 'text', (c) => c.notNull())
    .addColumn('placed_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await db.schema
    .createTable('retention_runs')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('seq', 'bigserial', (c) => c.notNull().unique())
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('dry_run', 'boolean', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('triggered_by', 'uuid')
    .addColumn('triggered_by_name', 'text', (c) => c.notNull())
    .addColumn('instance', 'text', (c) => c.notNull())
    .addColumn('retention_years', 'integer', (c) => c.notNull())
    .addColumn('cutoff', 'date', (c) => c.notNull())
    .addColumn('eligible', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('anonymised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('held', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('skipped', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('residents_anonymised', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('references', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('error', 'text')
    .execute();

  await db.schema
    .createTable('anonymised_complaints')
    .addColumn('complaint_id', 'uuid', (c) => c.primaryKey().references('complaints.id'))
    .addColumn('run_id', 'uuid', (c) => c.references('retention_runs.id'))
    .addColumn('anonymised_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .execute();

  await sql`
    create or replace function history_append_only() returns trigger language plpgsql as $$
    begin
      if tg_op = 'UPDATE'
         and current_setting('putright.anonymising', true) = 'on'
         and new.id = old.id
         and new.complaint_id is not distinct from old.complaint_id
         and new.resident_id is not distinct from old.resident_id
         and new.entity = old.entity
         and new.entity_id is not distinct from old.entity_id
         and new.action = old.action
         and new.actor_id is not distinct from old.actor_id
         and new.at = old.at then
        return new;
      end if;
      raise exception 'the history is append-only';
    end $$`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
