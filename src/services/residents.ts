/** Residents, their needs (vulnerabilities, disabilities, adjustments), contact restrictions and representatives. */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ResidentRow } from '../db/schema.js';
import type { LocalDate } from '../core/dates.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory, type HistoryEntry } from './history.js';
import { updateFactsTenure } from './stage-facts.js';
import { RESIDENT_COLUMNS } from '../db/columns.js';

export interface ResidentInput {
  reference?: string | null;
  title?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  email?: string | null;
  phone?: string | null;
  addressLine1?: string | null;
  addressLine2?: string | null;
  town?: string | null;
  postcode?: string | null;
  propertyReference?: string | null;
  tenure?: 'LCRA' | 'LCHO' | 'other';
  preferredContact?: 'email' | 'phone' | 'letter' | 'text';
  communicationNeeds?: string[];
  language?: string | null;
}

export interface NeedInput {
  kind: 'vulnerability' | 'disability' | 'adjustment';
  description: string;
  disclosedOn?: LocalDate | null;
  reviewOn?: LocalDate | null;
}

export interface RestrictionInput {
  restriction: string;
  reason: string;
  proportionality: string;
  equalityConsiderations: string;
  startsOn: LocalDate;
  reviewOn: LocalDate;
  endsOn?: LocalDate | null;
}

export interface RepresentativeInput {
  name: string;
  relationship: string;
  email?: string | null;
  phone?: string | null;
  address?: string | null;
  consentEvidence: string;
  consentRecordedOn: LocalDate;
}

export function postcodeKey(p: string | null | undefined): string | null {
  if (!p) return null;
  const k = p.replace(/\s+/g, '').toUpperCase();
  return k.length > 0 ? k : null;
}

export function residentView(r: ResidentRow) {
  return {
    id: r.id,
    reference: r.reference,
    title: r.title,
    givenName: r.given_name,
    familyName: r.family_name,
    name: [r.title, r.given_name, r.family_name].filter(Boolean).join(' '),
    email: r.email,
    phone: r.phone,
    address: { line1: r.address_line1, line2: r.address_line2, town: r.town, postcode: r.postcode },
    propertyReference: r.property_reference,
    tenure: r.tenure,
    preferredContact: r.preferred_contact,
    communicationNeeds: r.communication_needs,
    language: r.language,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toColumns(input: ResidentInput) {
  const cols: Record<string, unknown> = {};
  const map: [keyof ResidentInput, string][] = [
    ['title', 'title'],
    ['givenName', 'given_name'],
    ['familyName', 'family_name'],
    ['email', 'email'],
    ['phone', 'phone'],
    ['addressLine1', 'address_line1'],
    ['addressLine2', 'address_line2'],
    ['town', 'town'],
    ['propertyReference', 'property_reference'],
    ['tenure', 'tenure'],
    ['preferredContact', 'preferred_contact'],
    ['language', 'language'],
  ];
  for (const [k, c] of map) if (input[k] !== undefined) cols[c] = typeof input[k] === 'string' ? (input[k] as string).trim() || null : input[k];
  if (input.postcode !== undefined) {
    cols.postcode = input.postcode ? input.postcode.trim().toUpperCase() : null;
    cols.postcode_key = postcodeKey(input.postcode);
  }
  if (input.communicationNeeds !== undefined) cols.communication_needs = JSON.stringify(input.communicationNeeds);
  return cols;
}

export class ResidentService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private record(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.clock());
  }

  /** Create a resident inside the caller's transaction. */
  async createIn(trx: Db, actor: Actor, input: ResidentInput): Promise<ResidentRow> {
    let reference = input.reference?.trim();
    if (reference && (await this.findByReference(trx, reference))) throw new InvalidInput(`A resident with the reference ${reference} already exists.`, 'reference');
    if (!reference) {
      const { rows } = await sql<{ n: string }>`select nextval('resident_ref_seq') as n`.execute(trx);
      reference = `R${String(rows[0].n).padStart(7, '0')}`;
    }
    const cols = toColumns({ tenure: 'LCRA', preferredContact: 'email', communicationNeeds: [], ...input });
    const row = await trx
      .insertInto('residents')
      .values({ ...(cols as any), reference, created_at: this.clock(), updated_at: this.clock() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.record(trx, actor, { residentId: row.id, entity: 'resident', entityId: row.id, action: 'resident_created', after: residentView(row) });
    return row;
  }

  async get(actor: Actor, id: string, trx: Db = this.db): Promise<ResidentRow> {
    requirePermission(actor, 'residents:read');
    const r = await trx.selectFrom('residents').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound('The resident');
    return r;
  }

  async findByReference(trx: Db, reference: string): Promise<ResidentRow | undefined> {
    return trx.selectFrom('residents').selectAll().where('reference', '=', reference).executeTakeFirst();
  }

  async details(actor: Actor, id: string) {
    const r = await this.get(actor, id);
    const [needs, restrictions, representatives, complaints, serviceRequests] = await Promise.all([
      this.db.selectFrom('resident_needs').selectAll().where('resident_id', '=', id).orderBy('created_at').execute(),
      this.db.selectFrom('contact_restrictions').selectAll().where('resident_id', '=', id).orderBy('created_at').execute(),
      this.db.selectFrom('representatives').selectAll().where('resident_id', '=', id).orderBy('created_at').execute(),
      this.db
        .selectFrom('complaints')
        .select(['id', 'reference', 'status', 'stage', 'received_on', 'next_due_on', 'next_due_kind', 'outcome'])
        .where('resident_id', '=', id)
        .orderBy('received_at', 'desc')
        .execute(),
      this.db.selectFrom('service_requests').select(['id', 'reference', 'status', 'received_at', 'description']).where('resident_id', '=', id).orderBy('received_at', 'desc').execute(),
    ]);
    return {
      ...residentView(r),
      needs: needs.map((n) => ({ id: n.id, kind: n.kind, description: n.description, disclosedOn: n.disclosed_on, reviewOn: n.review_on, endedOn: n.ended_on })),
      restrictions: restrictions.map((x) => ({
        id: x.id,
        restriction: x.restriction,
        reason: x.reason,
        proportionality: x.proportionality,
        equalityConsiderations: x.equality_considerations,
        startsOn: x.starts_on,
        reviewOn: x.review_on,
        endsOn: x.ends_on,
      })),
      representatives: representatives.map(representativeView),
      complaints: complaints.map((c) => ({ id: c.id, reference: c.reference, status: c.status, stage: c.stage, receivedOn: c.received_on, nextDueOn: c.next_due_on, nextDueKind: c.next_due_kind, outcome: c.outcome })),
      serviceRequests: serviceRequests.map((s) => ({ id: s.id, reference: s.reference, status: s.status, receivedAt: s.received_at, description: s.description })),
    };
  }

  /**
   * What anyone contacting the resident must see first, in one query: needs and restrictions in
   * force, representatives, preferences.
   */
  async essentials(actor: Actor, id: string) {
    requirePermission(actor, 'residents:read');
    const { rows } = await sql<any>`
      select ${sql.join(RESIDENT_COLUMNS.map((c) => sql.ref(`r.${c}`)))},
        coalesce((select jsonb_agg(jsonb_build_object('id', n.id, 'kind', n.kind, 'description', n.description, 'disclosedOn', n.disclosed_on, 'reviewOn', n.review_on, 'endedOn', n.ended_on) order by n.created_at)
                  from resident_needs n where n.resident_id = r.id and n.ended_on is null), '[]'::jsonb) as needs,
        coalesce((select jsonb_agg(jsonb_build_object('id', x.id, 'restriction', x.restriction, 'reason', x.reason, 'reviewOn', x.review_on, 'endsOn', x.ends_on) order by x.created_at)
                  from contact_restrictions x where x.resident_id = r.id and (x.ends_on is null or x.ends_on >= current_date)), '[]'::jsonb) as restrictions,
        coalesce((select jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, 'relationship', p.relationship, 'consentEvidence', p.consent_evidence) order by p.created_at)
                  from representatives p where p.resident_id = r.id), '[]'::jsonb) as representatives
      from residents r where r.id = ${id}`.execute(this.db);
    const r = rows[0];
    if (!r) throw new NotFound('The resident');
    return { ...residentView(r), needs: r.needs, restrictions: r.restrictions, representatives: r.representatives };
  }

  /**
   * Residents by reference, postcode prefix and/or name. A name is words, each the start of the
   * family or the given name (any case). Name results come in two parts: residents whose family
   * name starts with the first word, by family name then given name; then those whose given name
   * (and not family name) starts with it, by given name then family name. Each part is read in
   * the order of its index (migration 0014), so a common surname costs the page asked for, not
   * every household with that name.
   */
  async search(actor: Actor, q: { name?: string; postcode?: string; reference?: string; limit?: number }) {
    requirePermission(actor, 'residents:read');
    const limit = q.limit ?? 50;
    const base = () => {
      let query = this.db.selectFrom('residents').selectAll();
      if (q.reference) query = query.where('reference', '=', q.reference.trim());
      if (q.postcode) query = query.where('postcode_key', 'like', `${postcodeKey(q.postcode)}%`);
      return query;
    };
    const words = q.name ? q.name.trim().toLowerCase().split(/\s+/).filter(Boolean) : [];
    if (words.length === 0) {
      const rows = await base().orderBy('family_name').orderBy('given_name').orderBy('id').limit(limit).execute();
      return rows.map(residentView);
    }
    // Lower-cased in the C collation: the expressions of the indexes, whose order is the result's.
    const family = sql<string>`lower(family_name) collate "C"`;
    const given = sql<string>`lower(given_name) collate "C"`;
    const prefix = (w: string) => `${w.replace(/[%_\\]/g, '\\$&')}%`;
    const first = prefix(words[0]);
    const restMatch = <Q extends ReturnType<typeof base>>(query: Q): Q => {
      let out = query;
      for (const w of words.slice(1)) out = out.where((eb) => eb.or([eb(family, 'like', prefix(w)), eb(given, 'like', prefix(w))])) as Q;
      return out;
    };
    const byFamily = await restMatch(base().where(family, 'like', first)).orderBy(family).orderBy(given).orderBy('id').limit(limit).execute();
    if (byFamily.length >= limit) return byFamily.map(residentView);
    const byGiven = await restMatch(base().where(given, 'like', first).where((eb) => eb.or([eb(family, 'is', null), eb.not(eb(family, 'like', first))])))
      .orderBy(given)
      .orderBy(family)
      .orderBy('id')
      .limit(limit - byFamily.length)
      .execute();
    return byFamily.concat(byGiven).map(residentView);
  }

  async update(actor: Actor, id: string, version: number, input: ResidentInput) {
    requirePermission(actor, 'residents:write');
    return this.db.transaction().execute(async (trx) => {
      const before = await trx.selectFrom('residents').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!before) throw new NotFound('The resident');
      if (before.version !== version) throw new VersionConflict('The resident', before.version);
      const after = await trx
        .updateTable('residents')
        .set({ ...(toColumns(input) as any), version: version + 1, updated_at: this.clock() })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (after.tenure !== before.tenure) await updateFactsTenure(trx, id, after.tenure);
      await this.record(trx, actor, { residentId: id, entity: 'resident', entityId: id, action: 'resident_updated', before: residentView(before), after: residentView(after) });
      return residentView(after);
    });
  }

  async addNeed(actor: Actor, residentId: string, input: NeedInput) {
    requirePermission(actor, 'residents:write');
    return this.db.transaction().execute(async (trx) => {
      await this.get(actor, residentId, trx);
      const row = await trx
        .insertInto('resident_needs')
        .values({ resident_id: residentId, kind: input.kind, description: input.description.trim(), disclosed_on: input.disclosedOn ?? null, review_on: input.reviewOn ?? null, recorded_by: actor.id, created_at: this.clock() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { residentId, entity: 'resident_need', entityId: row.id, action: `${input.kind}_recorded`, after: input });
      // Complaints for a resident with a vulnerability are flagged on the worklist.
      if (input.kind !== 'adjustment') await trx.updateTable('complaints').set({ vulnerable: true }).where('resident_id', '=', residentId).execute();
      return { id: row.id, kind: row.kind, description: row.description, disclosedOn: row.disclosed_on, reviewOn: row.review_on, endedOn: row.ended_on };
    });
  }

  async addRestriction(actor: Actor, residentId: string, input: RestrictionInput) {
    requirePermission(actor, 'residents:write');
    return this.db.transaction().execute(async (trx) => {
      await this.get(actor, residentId, trx);
      const row = await trx
        .insertInto('contact_restrictions')
        .values({
          resident_id: residentId,
          restriction: input.restriction.trim(),
          reason: input.reason.trim(),
          proportionality: input.proportionality.trim(),
          equality_considerations: input.equalityConsiderations.trim(),
          starts_on: input.startsOn,
          review_on: input.reviewOn,
          ends_on: input.endsOn ?? null,
          decided_by: actor.id,
          created_at: this.clock(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { residentId, entity: 'contact_restriction', entityId: row.id, action: 'contact_restriction_recorded', after: input });
      return { id: row.id, ...input };
    });
  }

  async addRepresentative(actor: Actor, residentId: string, input: RepresentativeInput, trxDb?: Db) {
    requirePermission(actor, 'residents:write');
    const run = async (trx: Db) => {
      await this.get(actor, residentId, trx);
      const row = await trx
        .insertInto('representatives')
        .values({
          resident_id: residentId,
          name: input.name.trim(),
          relationship: input.relationship.trim(),
          email: input.email ?? null,
          phone: input.phone ?? null,
          address: input.address ?? null,
          consent_evidence: input.consentEvidence.trim(),
          consent_recorded_on: input.consentRecordedOn,
          created_at: this.clock(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { residentId, entity: 'representative', entityId: row.id, action: 'representative_recorded', after: input });
      return representativeView(row);
    };
    return trxDb ? run(trxDb) : this.db.transaction().execute(run);
  }
}

export function representativeView(x: {
  id: string;
  name: string;
  relationship: string;
  email: string | null;
  phone: string | null;
  address: string | null;
  consent_evidence: string;
  consent_recorded_on: string;
}) {
  return { id: x.id, name: x.name, relationship: x.relationship, email: x.email, phone: x.phone, address: x.address, consentEvidence: x.consent_evidence, consentRecordedOn: x.consent_recorded_on };
}
