import { sql, type Kysely, type RawBuilder } from 'kysely';

/**
 * What the "letters due" rule reads (`lettersDue` in src/core/letters.ts; LetterService.due), in
 * one narrow table (issue 9): each complaint's steps that call for a letter (from the history),
 * the letters sent, the offers of redress waiting for an answer (not made in a response) and the
 * actions done. A page of 50 complaints then reads 50 runs of one index (index only), instead of
 * four tables' rows scattered over a thousand pages: the worklists' heaviest query.
 *
 * Triggers on the four tables keep it, in the writer's transaction, whoever writes; the sources
 * stay the record. `rebuild_complaint_letter_inputs()` fills it from them (here, and after the
 * seed loads the tables with the triggers off).
 */
const STEP_ACTIONS = sql.raw(`'acknowledged', 'extended', 'responded', 'refused', 'closed', 'withdrawn', 'reopened', 'escalation_requested'`);

export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    create table complaint_letter_inputs (
      complaint_id uuid not null references complaints (id) on delete cascade,
      source text not null check (source in ('step', 'letter', 'offer', 'done')),
      source_id text not null,
      -- A step's history entry id: steps are read in the order they were recorded.
      seq bigint not null,
      kind text,
      at timestamptz not null,
      -- A step's event's stage and kind (a refusal's), as the event holds them.
      stage jsonb,
      refusal_kind jsonb,
      primary key (complaint_id, source, source_id) include (seq, kind, at, stage, refusal_kind)
    )`.execute(db);
  await sql`
    create function complaint_letter_inputs_kept() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') and tg_table_name <> 'history' then
        delete from complaint_letter_inputs
         where complaint_id = old.complaint_id and source_id = old.id::text
           and source = case tg_table_name when 'letters' then 'letter' when 'remedies' then 'offer' else 'done' end;
      end if;
      if tg_op = 'DELETE' then
        return null;
      end if;
      if tg_table_name = 'history' then
        if new.complaint_id is not null and new.action in (${STEP_ACTIONS}) then
          insert into complaint_letter_inputs (complaint_id, source, source_id, seq, kind, at, stage, refusal_kind)
          values (new.complaint_id, 'step', new.id::text, new.id, new.action, new.at, new.event->'stage', new.event->'kind')
          on conflict (complaint_id, source, source_id) do update set kind = excluded.kind, at = excluded.at, stage = excluded.stage, refusal_kind = excluded.refusal_kind;
        end if;
      elsif tg_table_name = 'letters' then
        insert into complaint_letter_inputs (complaint_id, source, source_id, seq, kind, at) values (new.complaint_id, 'letter', new.id::text, 0, new.kind, new.sent_at);
      elsif tg_table_name = 'remedies' then
        if new.status = 'offered' and new.source <> 'response' then
          insert into complaint_letter_inputs (complaint_id, source, source_id, seq, at) values (new.complaint_id, 'offer', new.id::text, 0, new.updated_at);
        end if;
      elsif new.status = 'done' then
        insert into complaint_letter_inputs (complaint_id, source, source_id, seq, at) values (new.complaint_id, 'done', new.id::text, 0, new.updated_at);
      end if;
      return null;
    end $$`.execute(db);
  // Each trigger fires only for the rows the rule reads (its WHEN is tested without calling the
  // function): most history entries, remedies and actions never count. The history is append-only
  // (anonymising may rewrite an event, never its action or time).
  const offered = (r: 'new' | 'old') => sql.raw(`${r}.status = 'offered' and ${r}.source <> 'response'`);
  const done = (r: 'new' | 'old') => sql.raw(`${r}.status = 'done'`);
  const triggers: [string, string, string, RawBuilder<unknown> | null][] = [
    ['history_letter_inputs', 'insert or update', 'history', sql`new.complaint_id is not null and new.action in (${STEP_ACTIONS})`],
    ['letters_letter_inputs', 'insert or update or delete', 'letters', null],
    ['remedies_letter_inputs_added', 'insert', 'remedies', offered('new')],
    ['remedies_letter_inputs_changed', 'update', 'remedies', sql`(${offered('old')}) or (${offered('new')})`],
    ['remedies_letter_inputs_removed', 'delete', 'remedies', offered('old')],
    ['actions_letter_inputs_added', 'insert', 'actions', done('new')],
    ['actions_letter_inputs_changed', 'update', 'actions', sql`(${done('old')}) or (${done('new')})`],
    ['actions_letter_inputs_removed', 'delete', 'actions', done('old')],
  ];
  for (const [name, events, table, when] of triggers) {
    await sql`create trigger ${sql.raw(name)} after ${sql.raw(events)} on ${sql.table(table)} for each row ${when ? sql`when (${when})` : sql``} execute function complaint_letter_inputs_kept()`.execute(db);
  }
  await sql`
    create function rebuild_complaint_letter_inputs() returns void language sql as $$
      delete from complaint_letter_inputs;
      insert into complaint_letter_inputs (complaint_id, source, source_id, seq, kind, at, stage, refusal_kind)
        select complaint_id, 'step', id::text, id, action, at, event->'stage', event->'kind' from history
         where complaint_id is not null and action in (${STEP_ACTIONS})
        union all
        select complaint_id, 'letter', id::text, 0, kind, sent_at, null, null from letters
        union all
        select complaint_id, 'offer', id::text, 0, null, updated_at, null, null from remedies where status = 'offered' and source <> 'response'
        union all
        select complaint_id, 'done', id::text, 0, null, updated_at, null, null from actions where status = 'done';
    $$`.execute(db);
  await sql`select rebuild_complaint_letter_inputs()`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Putright migrations are forward-only');
}
