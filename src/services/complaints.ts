/**
 * Complaints: receipt, every lifecycle step, notes, correspondence, attachments and links.
 * Each change is made in one transaction with its history event; the lifecycle state is folded
 * from those events by the pure core, and the row's due-date columns are a projection of it.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ComplaintRow, HistoryRow } from '../db/schema.js';
import type { WorkingDayCalendar } from '../core/calendar.js';
import { refreshStageFacts, writeStageFacts } from './stage-facts.js';
import { addDays, dayOfWeek, isValidLocalDate, londonDateOf, type LocalDate } from '../core/dates.js';
import {
  decide,
  dueStatus,
  nextDue,
  project,
  relatedIssueRoute,
  stageTimeliness,
  type Command,
  type ComplaintState,
  type LifecycleEvent,
  type LifecycleEventData,
  type StageState,
  historySummary,
  projectionColumns,
} from '../core/lifecycle.js';
import { ruleVersionForReceipt } from '../core/rules.js';
import type { Actor } from './actor.js';
import { actorCan, requirePermission } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { Kept } from './kept.js';
import { COMPLAINT_COLUMNS, CORRESPONDENCE_COLUMNS, HISTORY_COLUMNS } from '../db/columns.js';
import { recordHistory, type HistoryEntry } from './history.js';
import { idempotentCreate, type Created } from './idempotency.js';
import { ResidentService, type RepresentativeInput, type ResidentInput } from './residents.js';
import { QueryShapes, type Put } from './query-shapes.js';
import type { SettingsService } from './settings.js';
import type { RemedyService } from './remedies.js';

/** The earliest receipt the product accepts (the calendar and the Code's timescales mean nothing before it). */
const EARLIEST_RECEIPT = Date.UTC(2000, 0, 1);

export const CHANNELS = ['phone', 'email', 'letter', 'web', 'in_person', 'social_media', 'text', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];

export interface ComplaintInput {
  residentId?: string | null;
  resident?: ResidentInput | null;
  anonymous?: boolean;
  representativeId?: string | null;
  representative?: RepresentativeInput | null;
  channel: Channel;
  receivedAt?: string | null;
  issueArose?: LocalDate | null;
  description: string;
  outcomeSought?: string | null;
  helpNeeded?: string | null;
  serviceArea?: string | null;
  category?: string | null;
  contractor?: string | null;
  subjectStaffIds?: string[];
  serviceRequestId?: string | null;
}

export interface DueCounts {
  total: number;
  overdue: number;
  due_today: number;
  due_soon: number;
  on_track: number;
}

/** Due counts of this many complaints or more are kept for DUE_COUNTS_KEPT_MS (display only). */
export const DUE_COUNTS_KEPT_FROM = 2_000;
export const DUE_COUNTS_KEPT_MS = 5_000;

export interface ListFilters {
  stage?: 1 | 2;
  status?: string;
  open?: boolean;
  handlerId?: string;
  unassigned?: boolean;
  serviceArea?: string;
  category?: string;
  due?: 'overdue' | 'due_today' | 'due_this_week';
  vulnerable?: boolean;
  extended?: boolean;
  residentId?: string;
  sort?: 'due' | 'received';
  cursor?: string;
  limit?: number;
}

export const STATUS_LABELS: Record<string, string> = {
  awaiting_acknowledgement: 'Awaiting acknowledgement',
  investigating: 'Investigating',
  responded: 'Responded',
  refused: 'Refused',
  withdrawn: 'Withdrawn',
  closed: 'Closed',
};

const OPEN_STATUSES = ['awaiting_acknowledgement', 'investigating', 'responded'];
/**
 * "Open" written into the SQL as constants, not sent as values: PostgreSQL can then see, when it
 * makes one plan for every request (a prepared statement's generic plan), that the indexes kept
 * for open complaints only (migration 0011) apply. With the statuses as values it could not, so
 * it judged its generic plan worse and planned the worklists afresh on every request: 0.7 ms of
 * its time per team worklist, against 0.01 ms (issue 9).
 */
const OPEN_LITERALS = sql.join(OPEN_STATUSES.map((s) => sql.lit(s)));
const IS_OPEN = sql<boolean>`complaints.status in (${OPEN_LITERALS})`;
const IS_NOT_OPEN = sql<boolean>`complaints.status not in (${OPEN_LITERALS})`;

type Clock = () => Date;

function encodeCursor(values: unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A cursor is [a date or instant, a complaint id], exactly as `list` gave it out. */
function decodeCursor(c: string): [string, string] {
  try {
    const v = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
    if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || typeof v[1] !== 'string' || !UUID.test(v[1])) throw new Error();
    if (!isValidLocalDate(v[0].slice(0, 10)) || Number.isNaN(Date.parse(v[0]))) throw new Error();
    return [v[0], v[1]];
  } catch {
    throw new InvalidInput('The cursor is not one this service gave out.', 'cursor');
  }
}

/** The columns a list row needs, from complaints joined to residents (r) and handlers (h1, h2). */
const LIST_COLUMNS = [
  'complaints.id',
  'complaints.reference',
  'complaints.status',
  'complaints.stage',
  'complaints.received_at',
  'complaints.received_on',
  'complaints.service_area',
  'complaints.category',
  'complaints.channel',
  'complaints.stage1_handler_id',
  'complaints.stage2_handler_id',
  'complaints.next_due_on',
  'complaints.next_due_kind',
  'complaints.vulnerable',
  'complaints.extended',
  'complaints.outcome',
  'complaints.version',
  'complaints.anonymous',
  'residents.given_name',
  'residents.family_name',
  'residents.postcode',
  'h1.name as stage1_handler_name',
  'h2.name as stage2_handler_name',
] as const;

interface ListRow {
  id: string;
  reference: string;
  status: string;
  stage: number;
  received_at: Date;
  received_on: string;
  service_area: string | null;
  category: string | null;
  channel: string;
  stage1_handler_id: string | null;
  stage2_handler_id: string | null;
  next_due_on: string | null;
  next_due_kind: string | null;
  vulnerable: boolean;
  extended: boolean;
  outcome: string | null;
  version: number;
  anonymous: boolean;
  given_name: string | null;
  family_name: string | null;
  postcode: string | null;
  stage1_handler_name: string | null;
  stage2_handler_name: string | null;
}

function listItem(r: ListRow, today: LocalDate, calendar: WorkingDayCalendar) {
  const handlerId = r.stage === 2 ? r.stage2_handler_id : r.stage1_handler_id;
  const handlerName = r.stage === 2 ? r.stage2_handler_name : r.stage1_handler_name;
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    statusLabel: STATUS_LABELS[r.status],
    stage: r.stage,
    receivedAt: new Date(r.received_at).toISOString(),
    receivedOn: r.received_on,
    resident: r.anonymous ? 'Anonymous' : [r.given_name, r.family_name].filter(Boolean).join(' ') || null,
    postcode: r.postcode,
    serviceArea: r.service_area,
    category: r.category,
    channel: r.channel,
    handler: handlerId ? { id: handlerId, name: handlerName } : null,
    nextDue: r.next_due_on
      ? { kind: r.next_due_kind, date: r.next_due_on, status: dueStatus(r.next_due_on, today, calendar), workingDaysLeft: calendar.workingDaysBetween(today, r.next_due_on) }
      : null,
    vulnerable: r.vulnerable,
    extended: r.extended,
    outcome: r.outcome,
    version: r.version,
  };
}

export class ComplaintService {
  readonly residents: ResidentService;
  /** The list query compiled once per shape (query-shapes.ts); `new QueryShapes(0)` builds it every time. */
  listShapes = new QueryShapes();

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly clock: Clock = () => new Date(),
    /** Tracks each response's remedies and outstanding actions to completion (Code 6.6, 7.3). */
    private readonly remedies: RemedyService | null = null,
    /** Staff names by id, kept in memory (UserService.namesOf), read through `db` when they must be read. */
    private readonly staffNames: (ids: (string | null)[], db: Db) => Promise<Map<string, string>>,
  ) {
    this.residents = new ResidentService(db, clock);
  }

  now(): Date {
    return this.clock();
  }

  private record(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.clock());
  }

  // ------------------------------------------------------------------ create

  async create(actor: Actor, input: ComplaintInput, idempotencyKey?: string | null): Promise<Created<ComplaintView>> {
    requirePermission(actor, 'complaints:log');
    const { settings, calendar } = await this.settings.load();
    const now = this.clock();
    const receivedAt = input.receivedAt ? new Date(input.receivedAt) : now;
    if (receivedAt.getTime() > now.getTime() + 60_000) throw new InvalidInput('The date and time received cannot be in the future.', 'receivedAt');
    if (receivedAt.getTime() < EARLIEST_RECEIPT) throw new InvalidInput('The date and time received cannot be before 1 January 2000.', 'receivedAt');
    const receivedLondon = londonDateOf(receivedAt);
    if (input.issueArose && input.issueArose > receivedLondon) throw new InvalidInput('The date the issue arose cannot be after the complaint was received.', 'issueArose');
    if (input.serviceArea && !settings.serviceAreas.includes(input.serviceArea)) {
      throw new InvalidInput(`"${input.serviceArea}" is not one of the service areas in settings.`, 'serviceArea');
    }
    if (input.category && !settings.categories.includes(input.category)) throw new InvalidInput(`"${input.category}" is not one of the categories in settings.`, 'category');
    const anonymous = input.anonymous === true;
    if (anonymous && (input.residentId || input.resident)) throw new InvalidInput('An anonymous complaint cannot name a resident.', 'anonymous');
    if (!anonymous && !input.residentId && !input.resident) throw new InvalidInput('Say who is complaining: give residentId, a new resident, or mark the complaint anonymous.', 'resident');
    if (input.residentId && input.resident) throw new InvalidInput('Give either residentId or a new resident, not both.', 'resident');
    if ((input.representativeId || input.representative) && anonymous) throw new InvalidInput('An anonymous complaint has no representative.', 'representative');

    return idempotentCreate(this.db, { userId: actor.id, key: idempotencyKey, route: 'POST /api/v1/complaints', request: input }, async (trx) => {
      const row = await this.insertComplaint(trx, actor, input, { receivedAt, calendar });
      const state = await this.loadState(trx, row.id, calendar);
      return { status: 201, body: await this.view(row, state, calendar, trx) };
    });
  }

  /** Insert a complaint and its receipt event inside the caller's transaction. */
  async insertComplaint(trx: Db, actor: Actor, input: ComplaintInput, ctx: { receivedAt: Date; calendar: WorkingDayCalendar; serviceRequestOpen?: boolean }): Promise<ComplaintRow> {
    let residentId = input.residentId ?? null;
    if (residentId) {
      const exists = await trx.selectFrom('residents').select('id').where('id', '=', residentId).executeTakeFirst();
      if (!exists) throw new InvalidInput('There is no resident with that id.', 'residentId');
    } else if (input.resident) {
      residentId = (await this.residents.createIn(trx, actor, input.resident)).id;
    }
    let representativeId = input.representativeId ?? null;
    if (representativeId) {
      const rep = await trx.selectFrom('representatives').select(['id', 'resident_id']).where('id', '=', representativeId).executeTakeFirst();
      if (!rep || rep.resident_id !== residentId) throw new InvalidInput("There is no representative with that id for this resident.", 'representativeId');
    } else if (input.representative && residentId) {
      representativeId = (await this.residents.addRepresentative(actor, residentId, input.representative, trx)).id;
    }
    if (input.serviceRequestId) {
      const sr = await trx.selectFrom('service_requests').select('id').where('id', '=', input.serviceRequestId).executeTakeFirst();
      if (!sr) throw new InvalidInput('There is no service request with that id.', 'serviceRequestId');
    }
    const subjectStaffIds = [...new Set(input.subjectStaffIds ?? [])];
    if (subjectStaffIds.length > 0) {
      const found = await trx.selectFrom('users').select('id').where('id', 'in', subjectStaffIds).execute();
      if (found.length !== subjectStaffIds.length) throw new InvalidInput('A member of staff named in the complaint does not exist.', 'subjectStaffIds');
    }
    const received: LifecycleEventData = {
      type: 'received',
      receivedAt: ctx.receivedAt.toISOString(),
      issueArose: input.issueArose ?? null,
      subjectStaffIds,
      ruleVersion: ruleVersionForReceipt(londonDateOf(ctx.receivedAt)),
    };
    const receivedEvents: LifecycleEvent[] = [{ ...received, actorId: actor.id, at: this.clock().toISOString() }];
    const state = project(receivedEvents, ctx.calendar);
    const vulnerable = residentId
      ? !!(await trx.selectFrom('resident_needs').select('id').where('resident_id', '=', residentId).where('kind', '!=', 'adjustment').where('ended_on', 'is', null).executeTakeFirst())
      : false;
    const { rows } = await sql<{ n: string }>`select nextval('complaint_ref_seq') as n`.execute(trx);
    const reference = `CMP-${String(rows[0].n).padStart(6, '0')}`;
    const row = await trx
      .insertInto('complaints')
      .values({
        reference,
        resident_id: residentId,
        representative_id: representativeId,
        anonymous: input.anonymous === true,
        channel: input.channel,
        received_at: ctx.receivedAt,
        received_on: state.receivedOn,
        issue_arose: input.issueArose ?? null,
        description: input.description.trim(),
        outcome_sought: input.outcomeSought?.trim() || null,
        help_needed: input.helpNeeded?.trim() || null,
        service_area: input.serviceArea ?? null,
        category: input.category ?? null,
        contractor: input.contractor?.trim() || null,
        service_request_id: input.serviceRequestId ?? null,
        subject_staff_ids: JSON.stringify(subjectStaffIds),
        logged_by: actor.id,
        vulnerable,
        created_at: this.clock(),
        updated_at: this.clock(),
        ...projectionColumns(state),
        facts_version: 1,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeStageFacts(trx, row.id, receivedEvents, state, ctx.calendar, row);
    await this.record(trx, actor, {
      complaintId: row.id,
      residentId,
      entity: 'complaint',
      entityId: row.id,
      action: 'received',
      event: received,
      after: { reference, channel: input.channel, description: row.description, serviceArea: row.service_area, category: row.category, ...historySummary(state) },
    });
    return row;
  }

  // ------------------------------------------------------------------ read

  async getRow(id: string, trx: Db = this.db, forUpdate = false): Promise<ComplaintRow> {
    let q = trx.selectFrom('complaints').select(COMPLAINT_COLUMNS).where('id', '=', id);
    if (forUpdate) q = q.forUpdate();
    const row = await q.executeTakeFirst();
    if (!row) throw new NotFound('The complaint');
    return row;
  }

  async events(trx: Db, complaintId: string): Promise<LifecycleEvent[]> {
    const rows = await trx
      .selectFrom('history')
      .select(['event', 'actor_id', 'at'])
      .where('complaint_id', '=', complaintId)
      .where('entity', '=', 'complaint')
      .where('event', 'is not', null)
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...(r.event as LifecycleEventData), actorId: r.actor_id, at: new Date(r.at).toISOString() }));
  }

  async loadState(trx: Db, complaintId: string, calendar?: WorkingDayCalendar): Promise<ComplaintState> {
    const cal = calendar ?? (await this.settings.calendar());
    return project(await this.events(trx, complaintId), cal);
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    const calendar = await this.settings.calendar();
    const row = await this.getRow(id);
    const state = await this.loadState(this.db, id, calendar);
    return this.view(row, state, calendar);
  }

  async getByReference(actor: Actor, reference: string) {
    requirePermission(actor, 'complaints:read');
    const row = await this.db.selectFrom('complaints').select('id').where('reference', '=', reference.trim().toUpperCase()).executeTakeFirst();
    if (!row) throw new NotFound('The complaint');
    return this.get(actor, row.id);
  }

  async view(row: ComplaintRow, state: ComplaintState, calendar: WorkingDayCalendar, trx: Db = this.db) {
    const today = londonDateOf(this.clock());
    const handlerIds = [state.stages[1].handlerId, state.stages[2]?.handlerId].filter((x): x is string => !!x);
    const names = handlerIds.length === 0 ? new Map<string, string>() : await this.staffNames(handlerIds, trx);
    const due = nextDue(state);
    const stageView = (s: StageState) => ({
      stage: s.stage,
      startedAt: s.startedAt,
      startDate: s.startDate,
      handler: s.handlerId ? { id: s.handlerId, name: names.get(s.handlerId) ?? null } : null,
      acknowledgementDue: s.acknowledgementDue,
      acknowledgedOn: s.acknowledgedOn,
      definition: s.definition,
      discretion: s.discretion,
      responseDueOriginal: s.responseDueOriginal,
      responseDue: s.responseDue,
      responseDueProjected: s.responseDueProjected,
      responseDueCompliant: s.responseDueCompliant,
      extensions: s.extensions,
      updateInterval: s.updateInterval,
      updates: s.updates,
      nextUpdateDue: s.nextUpdateDue,
      respondedOn: s.respondedOn,
      outcome: s.outcome,
      pointDecisions: s.pointDecisions,
      remedies: s.remedies,
      outstandingActions: s.outstandingActions,
      escalationReason: s.escalationReason,
      timeliness: stageTimeliness(s, today, !s.respondedOn && (state.status === 'refused' || state.status === 'withdrawn') && s.stage === state.stage),
    });
    return {
      id: row.id,
      reference: row.reference,
      version: row.version,
      status: state.status,
      statusLabel: STATUS_LABELS[state.status],
      stage: state.stage,
      ruleVersion: state.ruleVersion,
      channel: row.channel,
      receivedAt: new Date(row.received_at).toISOString(),
      receivedOn: state.receivedOn,
      issueArose: state.issueArose,
      lateIssue: state.lateIssue,
      description: row.description,
      outcomeSought: row.outcome_sought,
      helpNeeded: row.help_needed,
      serviceArea: row.service_area,
      category: row.category,
      contractor: row.contractor,
      anonymous: row.anonymous,
      residentId: row.resident_id,
      representativeId: row.representative_id,
      serviceRequestId: row.service_request_id,
      subjectStaffIds: row.subject_staff_ids,
      vulnerable: row.vulnerable,
      triage: state.triage,
      nextDue: due
        ? { kind: due.kind, date: due.date, status: dueStatus(due.date, today, calendar), workingDaysLeft: calendar.workingDaysBetween(today, due.date) }
        : null,
      stages: [stageView(state.stages[1]), ...(state.stages[2] ? [stageView(state.stages[2])] : [])],
      refusal: state.refusal,
      withdrawnOn: state.withdrawnOn,
      closedOn: state.closedOn,
      links: state.links,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
    };
  }

  /**
   * Join both stages' handlers, for list rows: their names by join, not from the staff names kept
   * in memory. Without the joins PostgreSQL judges re-planning these statements for each request
   * cheaper than its generic plan and plans every time (0.3–0.8 ms, for the many partial indexes
   * on complaints), which cost more than the joins (issue 9, pg_prepared_statements' custom_plans).
   */
  private withListJoins<Q extends ReturnType<ComplaintService['baseList']>>(q: Q) {
    return q
      .leftJoin('users as h1', 'h1.id', 'complaints.stage1_handler_id')
      .leftJoin('users as h2', 'h2.id', 'complaints.stage2_handler_id');
  }

  private baseList() {
    return this.db.selectFrom('complaints').leftJoin('residents', 'residents.id', 'complaints.resident_id');
  }

  /**
   * The complaints the filters select, without joins: the filters read only complaints' own
   * columns, and a join (even one PostgreSQL removes as unused) stops its index-only scans, which
   * the due badges' count over every open case needs at national scale. `p` names each value that
   * varies between requests (see query-shapes.ts).
   */
  private filtered(f: ListFilters, today: LocalDate, p: Put = (_n, v) => v) {
    let q = this.db.selectFrom('complaints');
    if (f.stage) q = q.where('complaints.stage', '=', p('stage', f.stage));
    if (f.status) q = q.where('complaints.status', '=', p('status', f.status));
    if (f.open === true) q = q.where(IS_OPEN);
    if (f.open === false) q = q.where(IS_NOT_OPEN);
    if (f.handlerId) {
      const h = p('handlerId', f.handlerId);
      q = q.where((eb) =>
        eb.or([
          eb.and([eb('complaints.stage', '=', 1), eb('complaints.stage1_handler_id', '=', h)]),
          eb.and([eb('complaints.stage', '=', 2), eb('complaints.stage2_handler_id', '=', h)]),
        ]),
      );
    }
    if (f.unassigned) {
      q = q.where((eb) =>
        eb.or([
          eb.and([eb('complaints.stage', '=', 1), eb('complaints.stage1_handler_id', 'is', null)]),
          eb.and([eb('complaints.stage', '=', 2), eb('complaints.stage2_handler_id', 'is', null)]),
        ]),
      );
    }
    if (f.serviceArea) q = q.where('complaints.service_area', '=', p('serviceArea', f.serviceArea));
    if (f.category) q = q.where('complaints.category', '=', p('category', f.category));
    if (f.vulnerable !== undefined) q = q.where('complaints.vulnerable', '=', p('vulnerable', f.vulnerable));
    if (f.extended !== undefined) q = q.where('complaints.extended', '=', p('extended', f.extended));
    if (f.residentId) q = q.where('complaints.resident_id', '=', p('residentId', f.residentId));
    if (f.due === 'overdue') q = q.where('complaints.next_due_on', '<', p('today', today));
    if (f.due === 'due_today') q = q.where('complaints.next_due_on', '=', p('today', today));
    if (f.due === 'due_this_week') {
      const sunday = addDays(today, (7 - dayOfWeek(today)) % 7);
      q = q.where('complaints.next_due_on', '>=', p('today', today)).where('complaints.next_due_on', '<=', p('sunday', sunday));
    }
    return q;
  }

  /**
   * Broad counts (a whole landlord's open complaints at national scale: tens of thousands of rows
   * counted per page) kept for a few seconds, per filter and day. Only counts of at least
   * DUE_COUNTS_KEPT_FROM are kept: a handler's own caseload is always counted afresh.
   */
  private readonly keptCounts = new Kept<DueCounts>(DUE_COUNTS_KEPT_MS);

  /** How many of the filtered complaints are overdue, due today, due within 2 working days, on track. */
  async dueCounts(actor: Actor, f: ListFilters): Promise<DueCounts> {
    requirePermission(actor, 'complaints:read');
    const today = londonDateOf(this.clock());
    const key = JSON.stringify([today, f.stage, f.status, f.open, f.handlerId, f.unassigned, f.serviceArea, f.category, f.vulnerable, f.extended, f.residentId]);
    const counts = await this.keptCounts.get(
      key,
      async () => {
        const calendar = await this.settings.calendar();
        const soon = calendar.addWorkingDays(today, 2);
        const row = await this.filtered({ ...f, due: undefined }, today)
          .select((eb) => [
            eb.fn.countAll<string>().as('total'),
            sql<string>`count(*) filter (where complaints.next_due_on < ${today})`.as('overdue'),
            sql<string>`count(*) filter (where complaints.next_due_on = ${today})`.as('due_today'),
            sql<string>`count(*) filter (where complaints.next_due_on > ${today} and complaints.next_due_on <= ${soon})`.as('due_soon'),
            sql<string>`count(*) filter (where complaints.next_due_on > ${soon})`.as('on_track'),
          ])
          .executeTakeFirstOrThrow();
        return { total: Number(row.total), overdue: Number(row.overdue), due_today: Number(row.due_today), due_soon: Number(row.due_soon), on_track: Number(row.on_track) };
      },
      (c) => c.total >= DUE_COUNTS_KEPT_FROM,
    );
    return { ...counts };
  }

  /** Open complaints per handler at their current stage, and how many are unassigned. */
  async caseloads(actor: Actor) {
    requirePermission(actor, 'complaints:read');
    const today = londonDateOf(this.clock());
    const rows = await this.db
      .selectFrom('complaints')
      .select((eb) => [
        sql<string | null>`case when complaints.stage = 2 then complaints.stage2_handler_id else complaints.stage1_handler_id end`.as('handler_id'),
        eb.fn.countAll<string>().as('open'),
        sql<string>`count(*) filter (where complaints.next_due_on < ${today})`.as('overdue'),
      ])
      .where(IS_OPEN)
      .groupBy(sql`1`)
      .execute();
    return rows.map((r) => ({ handlerId: r.handler_id, open: Number(r.open), overdue: Number(r.overdue) }));
  }

  async list(actor: Actor, f: ListFilters) {
    requirePermission(actor, 'complaints:read');
    const calendar = await this.settings.calendar();
    const today = londonDateOf(this.clock());
    const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
    const sort = f.sort ?? (f.due ? 'due' : 'received');
    // The values of this request, by the names the query's placeholders carry (query-shapes.ts).
    const values: Record<string, unknown> = {
      stage: f.stage,
      status: f.status,
      handlerId: f.handlerId,
      serviceArea: f.serviceArea,
      category: f.category,
      vulnerable: f.vulnerable,
      extended: f.extended,
      residentId: f.residentId,
      today,
      sunday: addDays(today, (7 - dayOfWeek(today)) % 7),
      limit: limit + 1,
    };
    if (f.cursor) {
      const [c, id] = decodeCursor(f.cursor);
      values.cursorId = id;
      if (sort === 'due') values.cursorDate = c;
      else {
        const at = new Date(c);
        if (Number.isNaN(at.getTime())) throw new InvalidInput('The cursor is not one this service gave out.', 'cursor');
        values.cursorAt = at;
      }
    }
    // What decides the SQL text: which filters are present (and the open and due choices), the order, a cursor.
    const shape = JSON.stringify([
      !!f.stage, !!f.status, f.open ?? null, !!f.handlerId, !!f.unassigned, !!f.serviceArea, !!f.category,
      f.vulnerable !== undefined, f.extended !== undefined, !!f.residentId, f.due ?? null, sort, !!f.cursor,
    ]);
    const rows = await this.listShapes.execute<ListRow>(this.db, shape, values, (p) => {
      // The page's complaints are found on their own, then joined to residents and handlers: the
      // joins then touch 50 rows, not every match (a big team's open cases, at national scale).
      let q = this.filtered(f, today, p).select('complaints.id');
      if (sort === 'due') {
        q = q.where('complaints.next_due_on', 'is not', null);
        if (f.cursor) {
          const d = p('cursorDate', values.cursorDate as string);
          const id = p('cursorId', values.cursorId as string);
          q = q.where((eb) => eb.or([eb('complaints.next_due_on', '>', d), eb.and([eb('complaints.next_due_on', '=', d), eb('complaints.id', '>', id)])]));
        }
        q = q.orderBy('complaints.next_due_on').orderBy('complaints.id');
      } else {
        if (f.cursor) {
          const at = p('cursorAt', values.cursorAt as Date);
          const id = p('cursorId', values.cursorId as string);
          q = q.where((eb) => eb.or([eb('complaints.received_at', '<', at), eb.and([eb('complaints.received_at', '=', at), eb('complaints.id', '<', id)])]));
        }
        q = q.orderBy('complaints.received_at', 'desc').orderBy('complaints.id', 'desc');
      }
      const pageQ = this.withListJoins(this.baseList()).select(LIST_COLUMNS).where('complaints.id', 'in', q.limit(p('limit', limit + 1)));
      return sort === 'due'
        ? pageQ.orderBy('complaints.next_due_on').orderBy('complaints.id')
        : pageQ.orderBy('complaints.received_at', 'desc').orderBy('complaints.id', 'desc');
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor =
      rows.length > limit && last
        ? encodeCursor(sort === 'due' ? [last.next_due_on, last.id] : [new Date(last.received_at).toISOString(), last.id])
        : null;
    return {
      items: page.map((r) => listItem(r, today, calendar)),
      nextCursor,
    };
  }

  async timeline(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    await this.getRow(id);
    return this.timelineFrom(actor, await this.historyRows(this.db, id));
  }

  private historyRows(trx: Db, id: string) {
    return trx.selectFrom('history').select(HISTORY_COLUMNS).where('complaint_id', '=', id).orderBy('id').execute();
  }

  private timelineFrom(actor: Actor, rows: HistoryRow[]) {
    const restrictedOk = actorCan(actor, 'notes:restricted');
    return rows.map((r) => {
      const hide = r.entity === 'note' && (r.after as any)?.restricted && !restrictedOk;
      return {
        id: String(r.id),
        at: new Date(r.at).toISOString(),
        actor: { id: r.actor_id, name: r.actor_label },
        entity: r.entity,
        action: r.action,
        event: r.event,
        before: hide ? null : r.before,
        after: hide ? { restricted: true, heldBy: (r.after as any)?.heldBy ?? r.actor_label } : r.after,
      };
    });
  }

  /**
   * Everything the case page shows, read once: the complaint and its state (folded from the same
   * history rows the timeline shows), notes, messages and attachments.
   */
  async caseFile(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    const calendar = await this.settings.calendar();
    const row = await this.getRow(id);
    const history = await this.historyRows(this.db, id);
    const events = history
      .filter((r) => r.entity === 'complaint' && r.event !== null)
      .map((r) => ({ ...(r.event as LifecycleEventData), actorId: r.actor_id, at: new Date(r.at).toISOString() }));
    const state = project(events, calendar);
    const notes = await this.notesOf(actor, id);
    const messages = (await this.db.selectFrom('correspondence').select(CORRESPONDENCE_COLUMNS).where('complaint_id', '=', id).orderBy('occurred_at').execute()).map(correspondenceView);
    const attachments = await this.attachmentsOf(id);
    return { complaint: await this.view(row, state, calendar), state, history: this.timelineFrom(actor, history), notes, messages, attachments };
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Apply a lifecycle command. The version must match the complaint's current version, or the
   * change is refused with a conflict: no update is ever lost.
   */
  async command(actor: Actor, id: string, version: number, cmd: Command) {
    requirePermission(actor, cmd.type === 'assign' ? 'complaints:assign' : 'complaints:handle');
    const { settings, calendar } = await this.settings.load();
    if (cmd.type === 'assign') {
      const handler = await this.db.selectFrom('users').select(['id', 'role', 'active']).where('id', '=', cmd.handlerId).executeTakeFirst();
      if (!handler || !handler.active) throw new InvalidInput('There is no active member of staff with that id.', 'handlerId');
      if (!['handler', 'manager'].includes(handler.role)) throw new InvalidInput('Complaints are handled by complaint handlers and managers.', 'handlerId');
    }
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx, true);
      if (row.version !== version) throw new VersionConflict('The complaint', row.version);
      const prior = await this.events(trx, id);
      const events = decide(project(prior, calendar), cmd, {
        calendar,
        now: this.clock(),
        actorId: actor.id ?? 'system',
        exclusionGrounds: settings.exclusionGrounds.map((g) => g.key),
      });
      return this.applyEvents(trx, actor, row, prior, events, calendar);
    });
  }

  /** Record new events after the case's prior ones (read once by the caller, in this transaction). */
  private async applyEvents(trx: Db, actor: Actor, row: ComplaintRow, prior: LifecycleEvent[], events: LifecycleEventData[], calendar: WorkingDayCalendar) {
    const at = this.clock().toISOString();
    const all = [...prior, ...events.map((e) => ({ ...e, actorId: actor.id, at }))];
    const after = project(all, calendar);
    let stepBefore = historySummary(project(prior, calendar));
    for (let i = 0; i < events.length; i++) {
      const last = i === events.length - 1;
      const stepAfter = historySummary(last ? after : project(all.slice(0, prior.length + i + 1), calendar));
      await this.record(trx, actor, {
        complaintId: row.id,
        residentId: row.resident_id,
        entity: 'complaint',
        entityId: row.id,
        action: events[i].type,
        event: events[i],
        before: stepBefore,
        after: stepAfter,
      });
      stepBefore = stepAfter;
      const e = events[i];
      if (e.type === 'responded' && this.remedies) {
        await this.remedies.recordFromResponse(trx, actor, row.id, e.stage, e.remedies, e.outstandingActions, { on: e.on, outcome: e.outcome });
      }
    }
    const updated = await trx
      .updateTable('complaints')
      .set({ ...projectionColumns(after), ...(after.triage?.vulnerable ? { vulnerable: true } : {}), version: row.version + 1, facts_version: row.version + 1, updated_at: this.clock() })
      .where('id', '=', row.id)
      .where('version', '=', row.version)
      .returningAll()
      .executeTakeFirst();
    if (!updated) throw new VersionConflict('The complaint', row.version + 1);
    await writeStageFacts(trx, row.id, all, after, calendar, updated);
    return this.view(updated, after, calendar, trx);
  }

  /**
   * A new issue from the resident. Before the stage 1 response it joins the complaint as a new
   * point; after it (or when it would delay the response) it becomes a new complaint linked to this one.
   */
  async relatedIssue(
    actor: Actor,
    id: string,
    version: number,
    input: { summary: string; landlordResponsible: boolean; responsibilityNote?: string | null; raisedAt?: string | null; separate?: boolean },
  ) {
    requirePermission(actor, 'complaints:handle');
    const calendar = await this.settings.calendar();
    await this.getRow(id);
    const state = await this.loadState(this.db, id, calendar);
    if (!input.separate && relatedIssueRoute(state) === 'join') {
      const complaint = await this.command(actor, id, version, {
        type: 'add_point',
        summary: input.summary,
        landlordResponsible: input.landlordResponsible,
        responsibilityNote: input.responsibilityNote,
        raisedOn: input.raisedAt ? londonDateOf(new Date(input.raisedAt)) : null,
      });
      return { joined: true, complaint, newComplaint: null };
    }
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx, true);
      if (row.version !== version) throw new VersionConflict('The complaint', row.version);
      const receivedAt = input.raisedAt ? new Date(input.raisedAt) : this.clock();
      const created = await this.insertComplaint(
        trx,
        actor,
        {
          residentId: row.resident_id,
          anonymous: row.anonymous,
          representativeId: row.representative_id,
          channel: row.channel as Channel,
          receivedAt: receivedAt.toISOString(),
          description: input.summary,
          serviceArea: row.service_area,
          category: row.category,
        },
        { receivedAt, calendar },
      );
      await this.linkIn(trx, actor, row, created, 'related_issue', calendar);
      const fresh = await this.getRow(id, trx);
      const freshNew = await this.getRow(created.id, trx);
      return {
        joined: false,
        complaint: await this.view(fresh, await this.loadState(trx, id, calendar), calendar, trx),
        newComplaint: await this.view(freshNew, await this.loadState(trx, created.id, calendar), calendar, trx),
      };
    });
  }

  private async linkIn(trx: Db, actor: Actor, a: ComplaintRow, b: ComplaintRow, relation: 'related_issue' | 'related', calendar: WorkingDayCalendar) {
    if (a.id === b.id) throw new InvalidInput('A complaint cannot be linked to itself.', 'otherComplaintId');
    const existing = await trx.selectFrom('complaint_links').select('complaint_id').where('complaint_id', '=', a.id).where('other_id', '=', b.id).executeTakeFirst();
    if (existing) throw new InvalidInput('These complaints are already linked.', 'otherComplaintId');
    await trx
      .insertInto('complaint_links')
      .values([
        { complaint_id: a.id, other_id: b.id, relation },
        { complaint_id: b.id, other_id: a.id, relation },
      ])
      .execute();
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const current = await this.getRow(x.id, trx, true);
      await this.applyEvents(trx, actor, current, await this.events(trx, x.id), [{ type: 'linked', otherComplaintId: y.id, relation }], calendar);
    }
  }

  async link(actor: Actor, id: string, version: number, otherId: string) {
    requirePermission(actor, 'complaints:handle');
    const calendar = await this.settings.calendar();
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx, true);
      if (row.version !== version) throw new VersionConflict('The complaint', row.version);
      const other = await trx.selectFrom('complaints').selectAll().where('id', '=', otherId).executeTakeFirst();
      if (!other) throw new InvalidInput('There is no complaint with that id to link to.', 'otherComplaintId');
      await this.linkIn(trx, actor, row, other, 'related', calendar);
      const fresh = await this.getRow(id, trx);
      return this.view(fresh, await this.loadState(trx, id, calendar), calendar, trx);
    });
  }

  /**
   * After a calendar change, recompute the due-date projection of every open complaint, and fold
   * again the measures' stored facts of every complaint (they carry dates worked out with it).
   */
  async recomputeOpenProjections(): Promise<{ changed: string[] }> {
    const calendar = await this.settings.calendar();
    await refreshStageFacts(this.db, calendar);
    const open = await this.db.selectFrom('complaints').select(['id', 'reference', 'next_due_on']).where('status', 'in', OPEN_STATUSES).execute();
    const changed: string[] = [];
    for (const c of open) {
      await this.db.transaction().execute(async (trx) => {
        const state = await this.loadState(trx, c.id, calendar);
        const p = projectionColumns(state);
        if (p.next_due_on !== c.next_due_on) {
          changed.push(c.reference);
          await trx.updateTable('complaints').set({ next_due_on: p.next_due_on, next_due_kind: p.next_due_kind }).where('id', '=', c.id).execute();
        }
      });
    }
    return { changed };
  }

  // ------------------------------------------------------------------ notes, correspondence, attachments

  async addNote(actor: Actor, id: string, input: { body: string; restricted?: boolean }) {
    requirePermission(actor, 'complaints:handle');
    if (input.restricted && !actorCan(actor, 'notes:restricted')) {
      throw new InvalidInput('Only roles allowed to read restricted notes can write them.', 'restricted');
    }
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx);
      const note = await trx
        .insertInto('notes')
        .values({ complaint_id: id, body: input.body.trim(), restricted: input.restricted === true, author_id: actor.id, created_at: this.clock() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, {
        complaintId: id,
        residentId: row.resident_id,
        entity: 'note',
        entityId: note.id,
        action: note.restricted ? 'restricted_note_added' : 'note_added',
        after: note.restricted ? { restricted: true, heldBy: actor.name, noteId: note.id } : { restricted: false, body: note.body, noteId: note.id },
      });
      return { id: note.id, body: note.body, restricted: note.restricted, author: actor.name, createdAt: new Date(note.created_at).toISOString() };
    });
  }

  async notes(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    await this.getRow(id);
    return this.notesOf(actor, id);
  }

  private async notesOf(actor: Actor, id: string) {
    const rows = await this.db
      .selectFrom('notes')
      .leftJoin('users', 'users.id', 'notes.author_id')
      .select(['notes.id', 'notes.body', 'notes.restricted', 'notes.created_at', 'users.name as author'])
      .where('notes.complaint_id', '=', id)
      .orderBy('notes.created_at')
      .execute();
    const mayRead = actorCan(actor, 'notes:restricted');
    return rows.map((n) => ({
      id: n.id,
      restricted: n.restricted,
      // Those without permission see that a restricted note exists and who holds it, never its text.
      body: n.restricted && !mayRead ? null : n.body,
      heldBy: n.restricted ? n.author : null,
      author: n.author,
      createdAt: new Date(n.created_at).toISOString(),
    }));
  }

  async addCorrespondence(actor: Actor, id: string, input: { direction: 'in' | 'out'; channel: string; subject?: string | null; body: string; counterpart?: string | null; occurredAt?: string | null }) {
    requirePermission(actor, 'complaints:handle');
    const occurredAt = input.occurredAt ? new Date(input.occurredAt) : this.clock();
    if (occurredAt.getTime() > this.clock().getTime() + 60_000) throw new InvalidInput('The date cannot be in the future.', 'occurredAt');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx);
      const c = await trx
        .insertInto('correspondence')
        .values({ complaint_id: id, direction: input.direction, channel: input.channel, subject: input.subject ?? null, body: input.body, counterpart: input.counterpart ?? null, occurred_at: occurredAt, recorded_by: actor.id, created_at: this.clock() })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, {
        complaintId: id,
        residentId: row.resident_id,
        entity: 'correspondence',
        entityId: c.id,
        action: input.direction === 'in' ? 'message_received' : 'message_sent',
        after: { channel: c.channel, subject: c.subject, counterpart: c.counterpart, occurredAt: occurredAt.toISOString() },
      });
      return correspondenceView(c);
    });
  }

  async correspondence(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    await this.getRow(id);
    const rows = await this.db.selectFrom('correspondence').select(CORRESPONDENCE_COLUMNS).where('complaint_id', '=', id).orderBy('occurred_at').execute();
    return rows.map(correspondenceView);
  }

  async addAttachment(actor: Actor, id: string, file: { filename: string; contentType: string; data: Buffer; description?: string | null }) {
    requirePermission(actor, 'complaints:handle');
    const checked = checkAttachment(file.filename, file.contentType, file.data);
    return this.db.transaction().execute(async (trx) => {
      const row = await this.getRow(id, trx);
      const sha256 = crypto.createHash('sha256').update(file.data).digest('hex');
      const a = await trx
        .insertInto('attachments')
        .values({ complaint_id: id, filename: checked.filename, content_type: checked.contentType, size_bytes: file.data.length, sha256, data: file.data, description: file.description ?? null, uploaded_by: actor.id, created_at: this.clock() })
        .returning(['id', 'filename', 'content_type', 'size_bytes', 'sha256', 'description', 'created_at'])
        .executeTakeFirstOrThrow();
      await this.record(trx, actor, { complaintId: id, residentId: row.resident_id, entity: 'attachment', entityId: a.id, action: 'attachment_added', after: { filename: a.filename, contentType: a.content_type, sizeBytes: a.size_bytes, sha256 } });
      return attachmentView(a);
    });
  }

  async attachments(actor: Actor, id: string) {
    requirePermission(actor, 'complaints:read');
    await this.getRow(id);
    return this.attachmentsOf(id);
  }

  private async attachmentsOf(id: string) {
    const rows = await this.db
      .selectFrom('attachments')
      .select(['id', 'filename', 'content_type', 'size_bytes', 'sha256', 'description', 'created_at'])
      .where('complaint_id', '=', id)
      .orderBy('created_at')
      .execute();
    return rows.map(attachmentView);
  }

  async attachmentContent(actor: Actor, id: string, attachmentId: string) {
    requirePermission(actor, 'complaints:read');
    const a = await this.db.selectFrom('attachments').selectAll().where('id', '=', attachmentId).where('complaint_id', '=', id).executeTakeFirst();
    if (!a) throw new NotFound('The attachment');
    return { filename: a.filename, contentType: a.content_type, data: a.data };
  }

  /**
   * Find complaints for the search box: an exact reference (CMP-000012, any case) or every word
   * of the query somewhere in the description (case-insensitive). A reference match comes first,
   * then the most recently received. Items have the same shape as `list`.
   */
  async search(actor: Actor, q: string, limit = 50) {
    requirePermission(actor, 'complaints:read');
    const text = q.trim().slice(0, 200);
    if (!text) return [];
    const reference = text.toUpperCase();
    const words = text.split(/\s+/).filter(Boolean).slice(0, 10);
    const calendar = await this.settings.calendar();
    const today = londonDateOf(this.clock());
    const rows = await this.withListJoins(this.baseList())
      .select(LIST_COLUMNS)
      .where((eb) =>
        eb.or([
          eb('complaints.reference', '=', reference),
          eb.and(words.map((w) => eb('complaints.description', 'ilike', `%${w.replace(/[\\%_]/g, '\\$&')}%`))),
        ]),
      )
      .orderBy(sql`case when complaints.reference = ${reference} then 0 else 1 end`)
      .orderBy('complaints.received_at', 'desc')
      .orderBy('complaints.id', 'desc')
      .limit(Math.min(Math.max(limit, 1), 200))
      .execute();
    return rows.map((r) => listItem(r, today, calendar));
  }
}

function correspondenceView(c: { id: string; direction: string; channel: string; subject: string | null; body: string; counterpart: string | null; occurred_at: Date }) {
  return { id: c.id, direction: c.direction, channel: c.channel, subject: c.subject, body: c.body, counterpart: c.counterpart, occurredAt: new Date(c.occurred_at).toISOString() };
}

function attachmentView(a: { id: string; filename: string; content_type: string; size_bytes: number; sha256: string; description: string | null; created_at: Date }) {
  return { id: a.id, filename: a.filename, contentType: a.content_type, sizeBytes: a.size_bytes, sha256: a.sha256, description: a.description, createdAt: new Date(a.created_at).toISOString() };
}

export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

const ALLOWED: { type: string; ext: string[]; magic: (b: Buffer) => boolean }[] = [
  { type: 'application/pdf', ext: ['pdf'], magic: (b) => b.subarray(0, 5).toString('latin1') === '%PDF-' },
  { type: 'image/jpeg', ext: ['jpg', 'jpeg'], magic: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/png', ext: ['png'], magic: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: 'image/gif', ext: ['gif'], magic: (b) => b.subarray(0, 4).toString('latin1') === 'GIF8' },
  { type: 'image/heic', ext: ['heic'], magic: (b) => b.subarray(4, 8).toString('latin1') === 'ftyp' },
  {
    type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    ext: ['docx'],
    magic: (b) => b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04,
  },
  { type: 'text/plain', ext: ['txt'], magic: (b) => !b.subarray(0, 4096).includes(0) },
];

/** Check an upload's size, name and content: the content must match the type its name claims. */
export function checkAttachment(filename: string, contentType: string, data: Buffer): { filename: string; contentType: string } {
  const name = filename.replace(/[\\/]/g, '_').replace(/[\u0000-\u001f]/g, '').trim().slice(0, 200);
  if (!name) throw new InvalidInput('The file needs a name.', 'filename');
  if (data.length === 0) throw new InvalidInput('The file is empty.', 'file');
  if (data.length > MAX_ATTACHMENT_BYTES) throw new InvalidInput(`The file must be smaller than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB.`, 'file');
  const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
  const kind = ALLOWED.find((k) => k.ext.includes(ext));
  if (!kind) throw new InvalidInput('The file must be a PDF, JPG, PNG, GIF, HEIC, Word document (.docx) or text file.', 'file');
  if (!kind.magic(data)) throw new InvalidInput(`The file's content is not a ${ext.toUpperCase()} file.`, 'file');
  void contentType;
  return { filename: name, contentType: kind.type };
}

export type ComplaintView = Awaited<ReturnType<ComplaintService['view']>>;
