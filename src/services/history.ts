/** The append-only history: every change to a case is written here in the same transaction. */
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';

export interface HistoryEntry {
  complaintId?: string | null;
  residentId?: string | null;
  entity: string;
  entityId?: string | null;
  action: string;
  event?: unknown;
  before?: unknown;
  after?: unknown;
}

export async function recordHistory(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[], at?: Date): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await trx
    .insertInto('history')
    .values(
      list.map((e) => ({
        complaint_id: e.complaintId ?? null,
        resident_id: e.residentId ?? null,
        entity: e.entity,
        entity_id: e.entityId ?? null,
        action: e.action,
        event: e.event === undefined ? null : JSON.stringify(e.event),
        before: e.before === undefined ? null : JSON.stringify(e.before),
        after: e.after === undefined ? null : JSON.stringify(e.after),
        actor_id: actor.id,
        actor_label: actor.name,
        ...(at ? { at } : {}),
      })),
    )
    .execute();
}
