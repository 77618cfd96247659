import { sql, type Kysely } from 'kysely';

/**
 * Remedies (Code 7.1, every type; financial ones with their approval, offer, answer and payment)
 * and outstanding actions, each tracked to completion and outliving the response and closure.
 * Only PostgreSQL 15 features.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const uuidPk = (c: any) => c.primaryKey().defaultTo(sql`gen_random_uuid()`);
  const now = sql`now()`;

  await db.schema
    .createTable('remedies')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('stage', 'smallint', (c) => c.notNull().check(sql`stage in (1, 2)`))
    .addColumn('type', 'text', (c) =>
      c.notNull().check(sql`type in ('apology', 'acknowledgement_of_fault', 'explanation', 'action_on_delay', 'reconsidered_decision', 'amended_record', 'financial', 'policy_change')`),
    )
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('owner_team', 'text')
    .addColumn('due_on', 'date')
    .addColumn('agreed_with_resident', 'boolean')
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('open', 'done', 'awaiting_approval', 'approved', 'offered', 'accepted', 'declined', 'paid', 'lapsed', 'cancelled')`),
    )
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('response', 'manual')`))
    .addColumn('recorded_on', 'date', (c) => c.notNull())
    .addColumn('amount_pence', 'integer', (c) => c.check(sql`amount_pence > 0`))
    .addColumn('heads', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('impact_band', 'text')
    .addColumn('approval_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('approval_limit_pence', 'integer')
    .addColumn('approved_by', 'uuid', (c) => c.references('users.id'))
    .addColumn('approved_at', 'timestamptz')
    .addColumn('approval_note', 'text')
    .addColumn('offered_on', 'date')
    .addColumn('open_until', 'date')
    .addColumn('accepted_on', 'date')
    .addColumn('declined_on', 'date')
    .addColumn('decline_reason', 'text')
    .addColumn('lapsed_on', 'date')
    .addColumn('paid_on', 'date')
    .addColumn('payment_method', 'text', (c) => c.check(sql`payment_method is null or payment_method <> 'offset_against_arrears'`))
    .addColumn('payment_reference', 'text')
    .addColumn('not_offset_confirmed', 'boolean')
    .addColumn('completed_on', 'date')
    .addColumn('completion_note', 'text')
    .addColumn('cancelled_on', 'date')
    .addColumn('cancelled_reason', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    // A financial remedy has an amount and nothing else does; a payment is never recorded without
    // the confirmation that it was not offset against arrears.
    .addCheckConstraint('remedies_amount_iff_financial', sql`(type = 'financial') = (amount_pence is not null)`)
    .addCheckConstraint('remedies_paid_not_offset', sql`status <> 'paid' or (not_offset_confirmed = true and paid_on is not null and payment_method is not null)`)
    .addCheckConstraint('remedies_offered_after_approval', sql`offered_on is null or approval_required = false or approved_by is not null`)
    .execute();
  await db.schema.createIndex('remedies_complaint').on('remedies').column('complaint_id').execute();
  await db.schema.createIndex('remedies_status').on('remedies').column('status').execute();
  await db.schema.createIndex('remedies_recorded_on').on('remedies').column('recorded_on').execute();

  await db.schema
    .createTable('actions')
    .addColumn('id', 'uuid', uuidPk)
    .addColumn('complaint_id', 'uuid', (c) => c.notNull().references('complaints.id'))
    .addColumn('stage', 'smallint', (c) => c.check(sql`stage in (1, 2)`))
    .addColumn('remedy_id', 'uuid', (c) => c.references('remedies.id'))
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_user_id', 'uuid', (c) => c.references('users.id'))
    .addColumn('owner_team', 'text')
    .addColumn('contractor', 'text')
    .addColumn('due_on', 'date')
    .addColumn('resident_update_due_on', 'date')
    .addColumn('resident_update_every_days', 'integer', (c) => c.check(sql`resident_update_every_days between 1 and 365`))
    .addColumn('last_resident_update_on', 'date')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open', 'done', 'cancelled')`))
    .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('response', 'manual')`))
    .addColumn('recorded_on', 'date', (c) => c.notNull())
    .addColumn('completed_on', 'date')
    .addColumn('completion_note', 'text')
    .addColumn('cancelled_on', 'date')
    .addColumn('cancelled_reason', 'text')
    .addColumn('created_by', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(now))
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('actions_owner', sql`owner_user_id is not null or owner_team is not null`)
    .addCheckConstraint('actions_cancel_reason', sql`status <> 'cancelled' or cancelled_reason is not null`)
    .execute();
  await db.schema.createIndex('actions_complaint').on('actions').column('complaint_id').execute();
  await db.schema.createIndex('actions_owner_open').on('actions').columns(['owner_user_id', 'status']).execute();
  await db.schema.createIndex('actions_due_open').on('actions').column('due_on').where(sql.ref('status'), '=', 'open').execute();
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
