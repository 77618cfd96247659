/**
 * The access audit: who opened a restricted note, a resident's record or a subject access export,
 * and when. Routes call one method each; administrators review the log with filters.
 */
import type { Db } from '../../db/database.js';
import type { Actor } from '../actor.js';
import { requirePermission } from '../actor.js';
import { InvalidInput } from '../errors.js';

export const ACCESS_ACTIONS = {
  resident_record_opened: 'Opened a resident’s record',
  restricted_note_opened: 'Read a restricted note',
  subject_access_export: 'Produced a subject access export',
  subject_access_downloaded: 'Downloaded a subject access export',
} as const;
export type AccessAction = keyof typeof ACCESS_ACTIONS;

export interface AccessFilters {
  actorId?: string;
  action?: AccessAction;
  residentId?: string;
  complaintId?: string;
  from?: string; // YYYY-MM-DD, inclusive
  to?: string; // YYYY-MM-DD, inclusive
  limit?: number;
  before?: string; // id cursor
}

export class AccessAuditService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async record(actor: Actor, action: AccessAction, what: { residentId?: string | null; complaintId?: string | null; entityId?: string | null; detail?: string | null }, trx: Db = this.db): Promise<void> {
    await trx
      .insertInto('access_audit')
      .values({
        at: this.clock(),
        actor_id: actor.id,
        actor_label: actor.name,
        actor_role: actor.role,
        action,
        resident_id: what.residentId ?? null,
        complaint_id: what.complaintId ?? null,
        entity_id: what.entityId ?? null,
        detail: what.detail ?? null,
      })
      .execute();
  }

  /** A resident's record was shown to someone. */
  residentOpened(actor: Actor, residentId: string): Promise<void> {
    return this.record(actor, 'resident_record_opened', { residentId });
  }

  /** Notes were shown: record each restricted note whose text the reader could see. */
  async notesShown(actor: Actor, complaintId: string, notes: { id: string; restricted: boolean; body: string | null }[]): Promise<void> {
    const opened = notes.filter((n) => n.restricted && n.body !== null);
    if (opened.length === 0) return;
    const complaint = await this.db.selectFrom('complaints').select('resident_id').where('id', '=', complaintId).executeTakeFirst();
    for (const n of opened) await this.record(actor, 'restricted_note_opened', { complaintId, residentId: complaint?.resident_id ?? null, entityId: n.id });
  }

  /** For routes, one line: `.then(accessAudit.residentShown(actor, id))` records the opening and passes the value on. */
  residentShown<T>(actor: Actor, residentId: string): (value: T) => Promise<T> {
    return async (value) => {
      await this.residentOpened(actor, residentId);
      return value;
    };
  }

  /** For routes, one line: `.then(accessAudit.notesShownThen(actor, complaintId))` over a list of notes. */
  notesShownThen<T extends { id: string; restricted: boolean; body: string | null }[]>(actor: Actor, complaintId: string): (notes: T) => Promise<T> {
    return async (notes) => {
      await this.notesShown(actor, complaintId, notes);
      return notes;
    };
  }

  async list(actor: Actor, f: AccessFilters = {}) {
    requirePermission(actor, 'access-audit:read');
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 500);
    let q = this.db
      .selectFrom('access_audit')
      .leftJoin('residents', 'residents.id', 'access_audit.resident_id')
      .leftJoin('complaints', 'complaints.id', 'access_audit.complaint_id')
      .select([
        'access_audit.id',
        'access_audit.at',
        'access_audit.actor_id',
        'access_audit.actor_label',
        'access_audit.actor_role',
        'access_audit.action',
        'access_audit.resident_id',
        'access_audit.complaint_id',
        'access_audit.entity_id',
        'access_audit.detail',
        'residents.reference as resident_reference',
        'complaints.reference as complaint_reference',
      ]);
    if (f.actorId) q = q.where('access_audit.actor_id', '=', f.actorId);
    if (f.action) q = q.where('access_audit.action', '=', f.action);
    if (f.residentId) q = q.where('access_audit.resident_id', '=', f.residentId);
    if (f.complaintId) q = q.where('access_audit.complaint_id', '=', f.complaintId);
    if (f.from) q = q.where('access_audit.at', '>=', londonMidnight(f.from, 'from'));
    if (f.to) q = q.where('access_audit.at', '<', londonMidnight(nextDay(f.to), 'to'));
    if (f.before) {
      if (!/^\d{1,18}$/.test(f.before)) throw new InvalidInput('The cursor is not one this service gave out.', 'before');
      q = q.where('access_audit.id', '<', f.before);
    }
    const rows = await q.orderBy('access_audit.id', 'desc').limit(limit + 1).execute();
    const items = rows.slice(0, limit).map((r) => ({
      id: String(r.id),
      at: new Date(r.at).toISOString(),
      actor: { id: r.actor_id, name: r.actor_label, role: r.actor_role },
      action: r.action,
      actionLabel: ACCESS_ACTIONS[r.action as AccessAction] ?? r.action,
      resident: r.resident_id ? { id: r.resident_id, reference: r.resident_reference } : null,
      complaint: r.complaint_id ? { id: r.complaint_id, reference: r.complaint_reference } : null,
      entityId: r.entity_id,
      detail: r.detail,
    }));
    return { items, nextCursor: rows.length > limit ? items[items.length - 1].id : null };
  }
}

function nextDay(d: string): string {
  const t = new Date(`${d}T00:00:00Z`);
  t.setUTCDate(t.getUTCDate() + 1);
  return t.toISOString().slice(0, 10);
}

/** Midnight in London on a date (the audit is read in local days). */
function londonMidnight(d: string, field: string): Date {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d) || Number.isNaN(Date.parse(`${d}T00:00:00Z`))) throw new InvalidInput('must be a date (YYYY-MM-DD)', field);
  const utc = new Date(`${d}T00:00:00Z`);
  const offset = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'shortOffset' }).formatToParts(utc).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const hours = offset === 'GMT' ? 0 : Number(offset.replace('GMT', ''));
  return new Date(utc.getTime() - hours * 3_600_000);
}

