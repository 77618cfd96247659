/**
 * Service requests (Code 1.4–1.5): recorded, monitored and reviewed; a complaint raised from one
 * leaves it open and linked. Also the record of contacts that express dissatisfaction (Code 1.3).
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ServiceRequestsTable } from '../db/schema.js';
import type { Selectable } from 'kysely';
import type { LocalDate } from '../core/dates.js';
import { londonDateOf } from '../core/dates.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import type { ComplaintService, ComplaintView } from './complaints.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory, type HistoryEntry } from './history.js';
import { idempotentCreate, type Created } from './idempotency.js';
import type { SettingsService } from './settings.js';

export interface ServiceRequestInput {
  residentId?: string | null;
  receivedAt?: string | null;
  channel: string;
  serviceArea?: string | null;
  category?: string | null;
  description: string;
}

function view(r: Selectable<ServiceRequestsTable>) {
  return {
    id: r.id,
    reference: r.reference,
    residentId: r.resident_id,
    receivedAt: new Date(r.received_at).toISOString(),
    channel: r.channel,
    serviceArea: r.service_area,
    category: r.category,
    description: r.description,
    status: r.status,
    lastReviewedOn: r.last_reviewed_on,
    closedOn: r.closed_on,
    version: r.version,
  };
}
export type ServiceRequestView = ReturnType<typeof view>;

export class ServiceRequestService {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly complaints: ComplaintService,
  ) {}

  private record(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.complaints.now());
  }

  async create(actor: Actor, input: ServiceRequestInput, idempotencyKey?: string | null): Promise<Created<ServiceRequestView>> {
    requirePermission(actor, 'service-requests:write');
    const settings = await this.settings.get();
    if (input.serviceArea && !settings.serviceAreas.includes(input.serviceArea)) throw new InvalidInput(`"${input.serviceArea}" is not one of the service areas in settings.`, 'serviceArea');
    const receivedAt = input.receivedAt ? new Date(input.receivedAt) : this.complaints.now();
    if (receivedAt.getTime() > this.complaints.now().getTime() + 60_000) throw new InvalidInput('The date and time received cannot be in the future.', 'receivedAt');
    return idempotentCreate(this.db, { userId: actor.id, key: idempotencyKey, route: 'POST /api/v1/service-requests', request: input }, async (trx) => {
      if (input.residentId) {
        const r = await trx.selectFrom('residents').select('id').where('id', '=', input.residentId).executeTakeFirst();
        if (!r) throw new InvalidInput('There is no resident with that id.', 'residentId');
      }
      const { rows } = await sql<{ n: string }>`select nextval('service_request_ref_seq') as n`.execute(trx);
      const row = await trx
        .insertInto('service_requests')
        .values({
          reference: `SR-${String(rows[0].n).padStart(6, '0')}`,
          resident_id: input.residentId ?? null,
          received_at: receivedAt,
          channel: input.channel,
          service_area: input.serviceArea ?? null,
          category: input.category ?? null,
          description: input.description.trim(),
          status: 'open',
          created_by: actor.id,
          created_at: this.complaints.now(),
          updated_at: this.complaints.now(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { residentId: row.resident_id, entity: 'service_request', entityId: row.id, action: 'service_request_recorded', after: view(row) });
      return { status: 201, body: view(row) };
    });
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'service-requests:read');
    const r = await this.db.selectFrom('service_requests').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound('The service request');
    const complaints = await this.db.selectFrom('complaints').select(['id', 'reference', 'status']).where('service_request_id', '=', id).execute();
    return { ...view(r), complaints };
  }

  async list(actor: Actor, f: { status?: 'open' | 'closed'; residentId?: string; limit?: number }) {
    requirePermission(actor, 'service-requests:read');
    let q = this.db.selectFrom('service_requests').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.residentId) q = q.where('resident_id', '=', f.residentId);
    const rows = await q.orderBy('received_at', 'desc').orderBy('id').limit(Math.min(f.limit ?? 50, 200)).execute();
    return { items: rows.map(view) };
  }

  /** Record a review (monitoring, Code 1.4) or close the request. */
  async update(actor: Actor, id: string, version: number, change: { reviewedOn?: LocalDate | null; close?: boolean; description?: string | null }) {
    requirePermission(actor, 'service-requests:write');
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('service_requests').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!before) throw new NotFound('The service request');
      if (before.version !== version) throw new VersionConflict('The service request', before.version);
      const today = londonDateOf(this.complaints.now());
      if (change.reviewedOn && change.reviewedOn > today) throw new InvalidInput('The review date cannot be in the future.', 'reviewedOn');
      const after = await trx
        .updateTable('service_requests')
        .set({
          ...(change.reviewedOn ? { last_reviewed_on: change.reviewedOn } : {}),
          ...(change.close ? { status: 'closed', closed_on: today } : {}),
          ...(change.description ? { description: change.description.trim() } : {}),
          version: version + 1,
          updated_at: this.complaints.now(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { residentId: after.resident_id, entity: 'service_request', entityId: id, action: change.close ? 'service_request_closed' : 'service_request_updated', before: view(before), after: view(after) });
      return view(after);
    });
  }

  /**
   * The resident is dissatisfied with how the request is being handled: raise a stage 1
   * complaint, linked to it. The service request stays open and its work carries on (Code 1.5).
   */
  async raiseComplaint(
    actor: Actor,
    id: string,
    input: { description: string; channel: string; receivedAt?: string | null; outcomeSought?: string | null; category?: string | null },
    idempotencyKey?: string | null,
  ): Promise<Created<ComplaintView>> {
    const sr = await this.get(actor, id);
    if (!sr.residentId) throw new InvalidInput('Record who made the service request before raising a complaint about it.', 'residentId');
    return this.complaints.create(
      actor,
      {
        residentId: sr.residentId,
        channel: input.channel as any,
        receivedAt: input.receivedAt ?? null,
        description: input.description,
        outcomeSought: input.outcomeSought ?? null,
        serviceArea: sr.serviceArea,
        category: input.category ?? sr.category,
        serviceRequestId: id,
      },
      idempotencyKey,
    );
  }
}

export interface ContactInput {
  residentId?: string | null;
  receivedAt?: string | null;
  channel: string;
  summary: string;
  choiceOffered: boolean;
  choice: 'complaint' | 'service_request' | 'no_further_action' | 'undecided';
  complaintId?: string | null;
  serviceRequestId?: string | null;
}

/** Contacts in which a resident expressed dissatisfaction, with whether they were offered the choice to complain (Code 1.3). */
export class ContactService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
  ) {}

  private writeHistory(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.clock());
  }

  async record(actor: Actor, input: ContactInput) {
    requirePermission(actor, 'complaints:log');
    const receivedAt = input.receivedAt ? new Date(input.receivedAt) : this.clock();
    if (input.choice === 'complaint' && !input.choiceOffered) throw new InvalidInput('The resident chose to complain, so the choice was offered.', 'choiceOffered');
    return this.db.transaction().execute(async (trx) => {
      if (input.residentId && !(await trx.selectFrom('residents').select('id').where('id', '=', input.residentId).executeTakeFirst())) {
        throw new InvalidInput('There is no resident with that id.', 'residentId');
      }
      if (input.complaintId && !(await trx.selectFrom('complaints').select('id').where('id', '=', input.complaintId).executeTakeFirst())) {
        throw new InvalidInput('There is no complaint with that id.', 'complaintId');
      }
      if (input.serviceRequestId && !(await trx.selectFrom('service_requests').select('id').where('id', '=', input.serviceRequestId).executeTakeFirst())) {
        throw new InvalidInput('There is no service request with that id.', 'serviceRequestId');
      }
      const row = await trx
        .insertInto('contacts')
        .values({
          resident_id: input.residentId ?? null,
          received_at: receivedAt,
          channel: input.channel,
          summary: input.summary.trim(),
          choice_offered: input.choiceOffered,
          choice: input.choice,
          complaint_id: input.complaintId ?? null,
          service_request_id: input.serviceRequestId ?? null,
          recorded_by: actor.id,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.writeHistory(trx, actor, { residentId: row.resident_id, complaintId: row.complaint_id, entity: 'contact', entityId: row.id, action: 'dissatisfaction_recorded', after: input });
      return {
        id: row.id,
        residentId: row.resident_id,
        receivedAt: new Date(row.received_at).toISOString(),
        channel: row.channel,
        summary: row.summary,
        choiceOffered: row.choice_offered,
        choice: row.choice,
        complaintId: row.complaint_id,
        serviceRequestId: row.service_request_id,
      };
    });
  }
}
