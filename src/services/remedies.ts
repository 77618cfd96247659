/**
 * Putting things right: remedies (Code 7.1 to 7.4) and outstanding actions, each tracked to
 * completion. Every change is made in one transaction with an append-only history row carrying
 * the complaint's id (so it shows on the case timeline), and every row carries a `version`
 * checked on change: a stale one is refused with VersionConflict.
 *
 * The rules (approval limits, the order of the financial steps, lapsing, never offsetting against
 * arrears) are in src/core/remedies.ts; this file loads, checks permissions and stores.
 */
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { ActionRow, RemedyRow } from '../db/schema.js';
import { addDays, londonDateOf, type LocalDate } from '../core/dates.js';
import { RuleViolation, type ActionSummary, type RemedySummary, type Stage } from '../core/lifecycle.js';
import {
  ACTION_EVENT,
  ACTION_STATUS_LABELS,
  DEFAULT_REMEDY_SETTINGS,
  GIVEN_IN_RESPONSE,
  GUIDANCE_NOTE,
  HEAD_LABELS,
  HEADS_OF_AWARD,
  REMEDY_EVENT,
  REMEDY_STATUS_LABELS,
  REMEDY_TYPE_LABELS,
  REMEDY_TYPES,
  actionOverdue,
  approvalLimitFor,
  bandFit,
  bandsFor,
  checkHeads,
  decideAction,
  decideRemedy,
  effectiveStatus,
  guidanceFor,
  isFinished,
  lapseDate,
  needsApproval,
  newRemedy,
  remedyNextSteps,
  remedyOverdue,
  residentUpdateOverdue,
  type ActionCommand,
  type ActionRecord,
  type ActionStatus,
  type AwardHead,
  type HeadOfAward,
  type RemedyCommand,
  type RemedyContext,
  type RemedyRecord,
  type RemedySettings,
  type RemedyStatus,
  type RemedyType,
} from '../core/remedies.js';
import type { Actor } from './actor.js';
import { actorCan, requirePermission } from './actor.js';
import { Forbidden, InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory, type HistoryEntry } from './history.js';
import { idempotentCreate, type Created } from './idempotency.js';
import { actionTallies, offersByAmountAndBand, remedyTallies } from './remedy-figure-queries.js';
import { withSharedSnapshot } from '../db/snapshot.js';
import type { LearningService } from './learning.js';

type Clock = () => Date;

// ---------------------------------------------------------------------------------------------
// Settings: bands, approval limits and the lapse period, held under the 'remedies' settings key
// ---------------------------------------------------------------------------------------------

export const SETTINGS_KEY = 'remedies';

const band = z
  .object({
    key: z.string().regex(/^[a-z0-9_]{1,40}$/, 'must be lower-case letters, digits and underscores'),
    label: z.string().trim().min(1).max(200),
    fromPence: z.number().int().min(0).max(100_000_000),
    toPence: z.number().int().min(0).max(100_000_000).nullable(),
  })
  .strict()
  .refine((b) => b.toPence === null || b.toPence >= b.fromPence, { message: 'the top of a band cannot be below its bottom', path: ['toPence'] });

export const remedySettingsSchema = z
  .object({
    bands: z
      .array(band)
      .max(20)
      .refine((bs) => new Set(bs.map((b) => b.key)).size === bs.length, { message: 'each band needs its own key' }),
    approvalLimitsPence: z
      .object({
        handler: z.number().int().min(0).max(100_000_000).nullable().optional(),
        manager: z.number().int().min(0).max(100_000_000).nullable().optional(),
        governance: z.number().int().min(0).max(100_000_000).nullable().optional(),
        staff: z.number().int().min(0).max(100_000_000).nullable().optional(),
        admin: z.number().int().min(0).max(100_000_000).nullable().optional(),
      })
      .strict(),
    lapseMonths: z.number().int().min(1).max(24).nullable(),
  })
  .strict();

function cleanLimits(l: Record<string, number | null | undefined>): Record<string, number | null> {
  return Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as Record<string, number | null>;
}

/** The landlord's remedy settings, read through whichever connection or transaction is given. */
export async function loadRemedySettings(db: Db): Promise<RemedySettings> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
  const stored = (row?.value ?? {}) as Partial<RemedySettings>;
  const merged = { ...DEFAULT_REMEDY_SETTINGS, ...stored };
  const parsed = remedySettingsSchema.safeParse(merged);
  if (!parsed.success) return DEFAULT_REMEDY_SETTINGS;
  return { ...parsed.data, approvalLimitsPence: cleanLimits(parsed.data.approvalLimitsPence) };
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

export interface PersonRef {
  id: string;
  name: string | null;
}

export interface Owner {
  userId: string | null;
  name: string | null;
  team: string | null;
}

/** The financial steps' fields, as the core record holds them. */
type FinancialStep = 'offeredOn' | 'openUntil' | 'acceptedOn' | 'declinedOn' | 'declineReason' | 'lapsedOn' | 'paidOn' | 'paymentMethod' | 'paymentReference' | 'notOffsetConfirmed';
/** The end of a remedy or action: done or cancelled, and why. */
type Finish = Pick<RemedyRecord, 'completedOn' | 'completionNote' | 'cancelledOn' | 'cancelledReason'>;

export interface RemedyView extends Finish {
  id: string;
  complaintId: string;
  complaintReference: string;
  stage: number;
  type: RemedyType;
  typeLabel: string;
  description: string;
  owner: Owner;
  dueOn: LocalDate | null;
  agreedWithResident: boolean | null;
  status: RemedyStatus;
  statusLabel: string;
  overdue: boolean;
  source: string;
  recordedOn: LocalDate;
  financial: null | {
    amountPence: number;
    heads: { head: HeadOfAward; label: string; amountPence: number; note: string | null }[];
    impactBand: string | null;
    bandFit: string;
    guidance: { bands: { key: string; label: string; fromPence: number; toPence: number | null }[]; belowLowestBand: boolean; note: string };
    approval: { required: boolean; proposerLimitPence: number | null; approvedBy: PersonRef | null; approvedAt: string | null; note: string | null };
  } & Pick<RemedyRecord, FinancialStep>;
  nextSteps: string[];
  createdBy: PersonRef | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ActionView extends Finish, Pick<ActionRecord, 'dueOn' | 'residentUpdateDueOn' | 'residentUpdateEveryDays' | 'lastResidentUpdateOn'> {
  id: string;
  complaintId: string;
  complaintReference: string;
  stage: number | null;
  remedyId: string | null;
  description: string;
  owner: Owner;
  contractor: string | null;
  overdue: boolean;
  residentUpdateOverdue: boolean;
  status: ActionStatus;
  statusLabel: string;
  source: string;
  recordedOn: LocalDate;
  createdBy: PersonRef | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export function toRemedyRecord(r: RemedyRow): RemedyRecord {
  return {
    type: r.type as RemedyType,
    status: r.status as RemedyStatus,
    recordedOn: r.recorded_on,
    dueOn: r.due_on,
    amountPence: r.amount_pence,
    createdBy: r.created_by,
    approvalRequired: r.approval_required,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at ? new Date(r.approved_at).toISOString() : null,
    approvalNote: r.approval_note,
    offeredOn: r.offered_on,
    openUntil: r.open_until,
    acceptedOn: r.accepted_on,
    declinedOn: r.declined_on,
    declineReason: r.decline_reason,
    lapsedOn: r.lapsed_on,
    paidOn: r.paid_on,
    paymentMethod: r.payment_method,
    paymentReference: r.payment_reference,
    notOffsetConfirmed: r.not_offset_confirmed,
    completedOn: r.completed_on,
    completionNote: r.completion_note,
    cancelledOn: r.cancelled_on,
    cancelledReason: r.cancelled_reason,
  };
}

/** The columns for the fields of a change that a table stores, named snake_case after the field. */
export function columnsOf<T>(p: Partial<T>, fields: readonly (keyof T & string)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if ((fields as readonly string[]).includes(k)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

/** The columns a change to the core record touches. */
function remedyColumns(p: Partial<RemedyRecord>) {
  return columnsOf(p, [
    'status', 'dueOn', 'amountPence', 'approvalRequired', 'approvedBy', 'approvedAt', 'approvalNote', 'offeredOn', 'openUntil', 'acceptedOn', 'declinedOn', 'declineReason',
    'lapsedOn', 'paidOn', 'paymentMethod', 'paymentReference', 'notOffsetConfirmed', 'completedOn', 'completionNote', 'cancelledOn', 'cancelledReason',
  ]);
}

function toActionRecord(a: ActionRow): ActionRecord {
  return {
    status: a.status as ActionStatus,
    recordedOn: a.recorded_on,
    dueOn: a.due_on,
    completedOn: a.completed_on,
    completionNote: a.completion_note,
    cancelledOn: a.cancelled_on,
    cancelledReason: a.cancelled_reason,
    residentUpdateDueOn: a.resident_update_due_on,
    residentUpdateEveryDays: a.resident_update_every_days,
    lastResidentUpdateOn: a.last_resident_update_on,
  };
}

function actionColumns(p: Partial<ActionRecord>) {
  return columnsOf(p, ['status', 'dueOn', 'completedOn', 'completionNote', 'cancelledOn', 'cancelledReason', 'residentUpdateDueOn', 'residentUpdateEveryDays', 'lastResidentUpdateOn']);
}

/** What the history keeps of a remedy, before and after a change. */
function remedySnapshot(r: RemedyRow) {
  return {
    type: r.type,
    stage: r.stage,
    description: r.description,
    status: r.status,
    dueOn: r.due_on,
    ownerUserId: r.owner_user_id,
    ownerTeam: r.owner_team,
    ...(r.type === 'financial'
      ? {
          amountPence: r.amount_pence,
          heads: r.heads,
          impactBand: r.impact_band,
          approvalRequired: r.approval_required,
          approvedBy: r.approved_by,
          approvedAt: r.approved_at ? new Date(r.approved_at).toISOString() : null,
          offeredOn: r.offered_on,
          openUntil: r.open_until,
          acceptedOn: r.accepted_on,
          declinedOn: r.declined_on,
          lapsedOn: r.lapsed_on,
          paidOn: r.paid_on,
          paymentMethod: r.payment_method,
          paymentReference: r.payment_reference,
          notOffsetConfirmed: r.not_offset_confirmed,
        }
      : {}),
    completedOn: r.completed_on,
    cancelledReason: r.cancelled_reason,
  };
}

function actionSnapshot(a: ActionRow) {
  return {
    description: a.description,
    status: a.status,
    ownerUserId: a.owner_user_id,
    ownerTeam: a.owner_team,
    contractor: a.contractor,
    dueOn: a.due_on,
    residentUpdateDueOn: a.resident_update_due_on,
    residentUpdateEveryDays: a.resident_update_every_days,
    lastResidentUpdateOn: a.last_resident_update_on,
    completedOn: a.completed_on,
    completionNote: a.completion_note,
    cancelledReason: a.cancelled_reason,
  };
}

async function namesOf(trx: Db, ids: (string | null | undefined)[]): Promise<Map<string, string>> {
  const list = [...new Set(ids.filter((x): x is string => !!x))];
  if (list.length === 0) return new Map();
  const rows = await trx.selectFrom('users').select(['id', 'name']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

async function referencesOf(trx: Db, ids: string[]): Promise<Map<string, string>> {
  const list = [...new Set(ids)];
  if (list.length === 0) return new Map();
  const rows = await trx.selectFrom('complaints').select(['id', 'reference']).where('id', 'in', list).execute();
  return new Map(rows.map((r) => [r.id, r.reference]));
}

const person = (id: string | null, names: Map<string, string>): PersonRef | null => (id ? { id, name: names.get(id) ?? null } : null);

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

export interface RemedyInput {
  type: RemedyType;
  description: string;
  stage?: Stage | null;
  dueOn?: LocalDate | null;
  ownerUserId?: string | null;
  ownerTeam?: string | null;
  agreedWithResident?: boolean | null;
  amountPence?: number | null;
  heads?: AwardHead[] | null;
  impactBand?: string | null;
  /** Make the offer now (financial, within the proposer's limit only). */
  offeredOn?: LocalDate | null;
}

export interface RemedyPatch {
  description?: string;
  dueOn?: LocalDate | null;
  ownerUserId?: string | null;
  ownerTeam?: string | null;
  agreedWithResident?: boolean | null;
  amountPence?: number;
  heads?: AwardHead[] | null;
  impactBand?: string | null;
}

export interface ActionInput {
  description: string;
  stage?: Stage | null;
  remedyId?: string | null;
  ownerUserId?: string | null;
  ownerTeam?: string | null;
  contractor?: string | null;
  dueOn?: LocalDate | null;
  residentUpdateDueOn?: LocalDate | null;
  residentUpdateEveryDays?: number | null;
}

export type ActionPatch = Partial<Omit<ActionInput, 'stage' | 'remedyId'>>;

export interface ActionFilters {
  /** 'me' (the caller, or the caller's team), or a user's id. */
  owner?: string;
  team?: string;
  overdue?: boolean;
  status?: ActionStatus;
  complaintId?: string;
  limit?: number;
}

const blank = (s: string | null | undefined) => !s || !s.trim();

interface ComplaintBasics {
  id: string;
  reference: string;
  stage: number;
  status: string;
  resident_id: string | null;
  received_on: string;
}

async function complaintBasics(trx: Db, id: string): Promise<ComplaintBasics> {
  const c = await trx.selectFrom('complaints').select(['id', 'reference', 'stage', 'status', 'resident_id', 'received_on']).where('id', '=', id).executeTakeFirst();
  if (!c) throw new NotFound('The complaint');
  return c;
}

function stageFor(c: ComplaintBasics, stage: number | null | undefined): Stage {
  const s = stage ?? c.stage;
  if (s !== 1 && s !== 2) throw new InvalidInput('The stage is 1 or 2.', 'stage');
  if (s > c.stage) throw new InvalidInput('The complaint has not reached stage 2.', 'stage');
  return s;
}

/** An owner given as a user's id, a team name, or both; checked. Defaults to the actor. */
async function resolveOwner(trx: Db, actor: Actor, userId: string | null | undefined, team: string | null | undefined, required: boolean): Promise<{ userId: string | null; team: string | null }> {
  const t = team?.trim() || null;
  if (t && t.length > 200) throw new InvalidInput('A team name is at most 200 characters.', 'ownerTeam');
  if (userId) {
    const u = await trx.selectFrom('users').select(['id', 'active']).where('id', '=', userId).executeTakeFirst();
    if (!u || !u.active) throw new InvalidInput('There is no active member of staff with that id.', 'ownerUserId');
    return { userId, team: t };
  }
  if (t) return { userId: null, team: t };
  if (actor.id) return { userId: actor.id, team: null };
  if (required) throw new InvalidInput('Say who owns it: a member of staff or a team.', 'ownerUserId');
  return { userId: null, team: 'Complaints team' };
}

/**
 * An owner named in free text (a response's outstanding action): a user's id, or a member of
 * staff's exact name or email address, else a team name. Blank: the actor.
 */
async function ownerFromText(trx: Db, actor: Actor, text: string | null | undefined): Promise<{ userId: string | null; team: string | null }> {
  const t = text?.trim() ?? '';
  if (!t) return actor.id ? { userId: actor.id, team: null } : { userId: null, team: 'Complaints team' };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(t)) {
    const u = await trx.selectFrom('users').select('id').where('id', '=', t).executeTakeFirst();
    if (u) return { userId: u.id, team: null };
  }
  const matches = await trx
    .selectFrom('users')
    .select('id')
    .where('active', '=', true)
    .where((eb) => eb.or([eb(eb.fn('lower', ['name']), '=', t.toLowerCase()), eb(eb.fn('lower', ['email']), '=', t.toLowerCase())]))
    .limit(2)
    .execute();
  if (matches.length === 1) return { userId: matches[0].id, team: null };
  return { userId: null, team: t.slice(0, 200) };
}

// ---------------------------------------------------------------------------------------------
// Locking and versioned writes, shared by remedies and actions
// ---------------------------------------------------------------------------------------------

interface TrackedRows {
  remedies: RemedyRow;
  actions: ActionRow;
}

const TRACKED = {
  remedies: { what: 'The remedy', entity: 'remedy', snapshot: (r: any) => remedySnapshot(r) },
  actions: { what: 'The action', entity: 'action', snapshot: (r: any) => actionSnapshot(r) },
} as const;

/** The row, locked for the rest of the transaction. */
async function lockTracked<K extends keyof TrackedRows>(trx: Db, table: K, id: string): Promise<TrackedRows[K]> {
  const row = await (trx as Kysely<any>).selectFrom(table as string).selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
  if (!row) throw new NotFound(TRACKED[table].what);
  return row as TrackedRows[K];
}

/** Change the row if its version is still `row.version`, and write the history row on its complaint. */
async function writeTracked<K extends keyof TrackedRows>(
  trx: Db,
  actor: Actor,
  at: Date,
  table: K,
  row: TrackedRows[K],
  columns: Record<string, unknown>,
  action: string,
  extra: Record<string, unknown>,
): Promise<TrackedRows[K]> {
  const t = TRACKED[table];
  const updated = (await (trx as Kysely<any>)
    .updateTable(table as string)
    .set({ ...columns, version: row.version + 1, updated_at: at })
    .where('id', '=', row.id)
    .where('version', '=', row.version)
    .returningAll()
    .executeTakeFirst()) as TrackedRows[K] | undefined;
  if (!updated) throw new VersionConflict(t.what, row.version + 1);
  const c = await complaintBasics(trx, row.complaint_id);
  await recordHistory(
    trx,
    actor,
    { complaintId: row.complaint_id, residentId: c.resident_id, entity: t.entity, entityId: row.id, action, before: t.snapshot(row), after: { ...t.snapshot(updated), ...extra } },
    at,
  );
  return updated;
}

// ---------------------------------------------------------------------------------------------
// Remedies
// ---------------------------------------------------------------------------------------------

export interface ResponseRecordResult {
  remedies: RemedyView[];
  actions: ActionView[];
  /** Financial remedies above the actor's limit: recorded, waiting for approval, not offered. */
  awaitingApproval: RemedyView[];
}

/** What RemedyService.figures leaves out. */
export interface FiguresOptions {
  /**
   * Compensation by head of award and against the guidance bands (default true). The dashboard does
   * not show them: without them it reads the period's financial remedies twice fewer.
   */
  breakdown?: boolean;
}

export class RemedyService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = () => new Date(),
    readonly actions: ActionService = new ActionService(db, clock),
    /** Opens a learning item for each response that upholds the complaint in whole or part. */
    readonly learning: LearningService | null = null,
    /** parallelReads: the figures' queries on several connections sharing one snapshot (PostgreSQL server only). */
    private readonly opts: { parallelReads?: boolean } = {},
  ) {}

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  private record(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.clock());
  }

  private ctx(actor: Actor, settings: RemedySettings): RemedyContext {
    return { today: this.today(), now: this.clock(), actorId: actor.id, role: actor.role, settings };
  }

  // -------------------------------------------------------------- settings

  async settings(): Promise<RemedySettings & { guidanceNote: string }> {
    return { ...(await loadRemedySettings(this.db)), guidanceNote: GUIDANCE_NOTE };
  }

  async updateSettings(actor: Actor, patch: Partial<RemedySettings>): Promise<RemedySettings & { guidanceNote: string }> {
    requirePermission(actor, 'settings:manage');
    return this.db.transaction().execute(async (trx) => {
      const current = await loadRemedySettings(trx);
      const next = remedySettingsSchema.parse({
        ...current,
        ...patch,
        // Limits merge: a role left out of the change keeps its limit.
        approvalLimitsPence: { ...current.approvalLimitsPence, ...(patch.approvalLimitsPence ?? {}) },
      });
      const value = { ...next, approvalLimitsPence: cleanLimits(next.approvalLimitsPence) };
      await trx
        .insertInto('settings')
        .values({ key: SETTINGS_KEY, value: JSON.stringify(value), updated_by: actor.id })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(value), updated_by: actor.id, updated_at: this.clock() }))
        .execute();
      await this.record(trx, actor, { entity: 'settings', action: 'settings_remedies_changed', before: current, after: value });
      return { ...value, guidanceNote: GUIDANCE_NOTE };
    });
  }

  // -------------------------------------------------------------- reading

  async views(trx: Db, rows: RemedyRow[], settings?: RemedySettings): Promise<RemedyView[]> {
    const s = settings ?? (await loadRemedySettings(trx));
    const names = await namesOf(trx, rows.flatMap((r) => [r.owner_user_id, r.approved_by, r.created_by]));
    const refs = await referencesOf(trx, rows.map((r) => r.complaint_id));
    const today = this.today();
    return rows.map((r) => {
      const rec = toRemedyRecord(r);
      const status = effectiveStatus(rec, today);
      const financial = r.type === 'financial' && r.amount_pence !== null;
      return {
        id: r.id,
        complaintId: r.complaint_id,
        complaintReference: refs.get(r.complaint_id) ?? '',
        stage: r.stage,
        type: r.type as RemedyType,
        typeLabel: REMEDY_TYPE_LABELS[r.type as RemedyType] ?? r.type,
        description: r.description,
        owner: { userId: r.owner_user_id, name: r.owner_user_id ? names.get(r.owner_user_id) ?? null : null, team: r.owner_team },
        dueOn: r.due_on,
        agreedWithResident: r.agreed_with_resident,
        status,
        statusLabel: REMEDY_STATUS_LABELS[status],
        overdue: remedyOverdue(rec, today),
        source: r.source,
        recordedOn: r.recorded_on,
        financial: financial
          ? {
              amountPence: r.amount_pence!,
              heads: ((r.heads ?? []) as AwardHead[]).map((h) => ({ head: h.head, label: HEAD_LABELS[h.head] ?? h.head, amountPence: h.amountPence, note: h.note ?? null })),
              impactBand: r.impact_band,
              bandFit: bandFit(r.amount_pence!, r.impact_band, s.bands),
              guidance: guidanceFor(r.amount_pence, s.bands),
              approval: {
                required: r.approval_required,
                proposerLimitPence: r.approval_limit_pence,
                approvedBy: person(r.approved_by, names),
                approvedAt: r.approved_at ? new Date(r.approved_at).toISOString() : null,
                note: r.approval_note,
              },
              offeredOn: r.offered_on,
              openUntil: r.open_until,
              acceptedOn: r.accepted_on,
              declinedOn: r.declined_on,
              declineReason: r.decline_reason,
              lapsedOn: r.lapsed_on ?? (status === 'lapsed' ? lapseDate(rec) : null),
              paidOn: r.paid_on,
              paymentMethod: r.payment_method,
              paymentReference: r.payment_reference,
              notOffsetConfirmed: r.not_offset_confirmed,
            }
          : null,
        completedOn: r.completed_on,
        completionNote: r.completion_note,
        cancelledOn: r.cancelled_on,
        cancelledReason: r.cancelled_reason,
        nextSteps: remedyNextSteps(rec, today),
        createdBy: person(r.created_by, names),
        createdAt: new Date(r.created_at).toISOString(),
        updatedAt: new Date(r.updated_at).toISOString(),
        version: r.version,
      };
    });
  }

  private async viewOne(trx: Db, row: RemedyRow, settings?: RemedySettings): Promise<RemedyView> {
    return (await this.views(trx, [row], settings))[0];
  }

  async listForComplaint(actor: Actor, complaintId: string): Promise<RemedyView[]> {
    requirePermission(actor, 'remedies:read');
    await complaintBasics(this.db, complaintId);
    const rows = await this.db.selectFrom('remedies').selectAll().where('complaint_id', '=', complaintId).orderBy('stage').orderBy('created_at').orderBy('id').execute();
    return this.views(this.db, rows);
  }

  async get(actor: Actor, id: string): Promise<RemedyView> {
    requirePermission(actor, 'remedies:read');
    const row = await this.db.selectFrom('remedies').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The remedy');
    return this.viewOne(this.db, row);
  }

  /** Remedies across cases by status (e.g. the approvals queue: status=awaiting_approval). */
  async list(actor: Actor, f: { status?: RemedyStatus; type?: RemedyType; overdue?: boolean; limit?: number }): Promise<RemedyView[]> {
    requirePermission(actor, 'remedies:read');
    const today = this.today();
    let q = this.db.selectFrom('remedies').selectAll();
    if (f.status === 'lapsed') q = q.where((eb) => eb.or([eb('status', '=', 'lapsed'), eb.and([eb('status', '=', 'offered'), eb('open_until', '<', today)])]));
    else if (f.status === 'offered') q = q.where('status', '=', 'offered').where((eb) => eb.or([eb('open_until', 'is', null), eb('open_until', '>=', today)]));
    else if (f.status) q = q.where('status', '=', f.status);
    if (f.type) q = q.where('type', '=', f.type);
    if (f.overdue) {
      q = q
        .where('status', 'in', ['open', 'awaiting_approval', 'approved', 'offered', 'accepted'])
        .where('due_on', '<', today)
        .where((eb) => eb.or([eb('status', '!=', 'offered'), eb('open_until', 'is', null), eb('open_until', '>=', today)]));
    }
    const rows = await q.orderBy('due_on', (ob) => ob.asc().nullsLast()).orderBy('created_at').orderBy('id').limit(Math.min(Math.max(f.limit ?? 100, 1), 500)).execute();
    return this.views(this.db, rows);
  }

  // -------------------------------------------------------------- creating

  async create(actor: Actor, complaintId: string, input: RemedyInput, idempotencyKey?: string | null): Promise<Created<RemedyView>> {
    requirePermission(actor, 'remedies:write');
    return idempotentCreate(this.db, { userId: actor.id, key: idempotencyKey, route: `POST /api/v1/complaints/${complaintId}/remedies`, request: input }, async (trx) => {
      const row = await this.createIn(trx, actor, complaintId, input, 'manual');
      return { status: 201, body: await this.viewOne(trx, row) };
    });
  }

  /** Insert a remedy (and its history) inside the caller's transaction. */
  async createIn(trx: Db, actor: Actor, complaintId: string, input: RemedyInput, source: 'manual' | 'response', opts: { recordedOn?: LocalDate; settings?: RemedySettings } = {}): Promise<RemedyRow> {
    const c = await complaintBasics(trx, complaintId);
    const stage = stageFor(c, input.stage);
    if (blank(input.description)) throw new InvalidInput('Say what will happen to put things right.', 'description');
    if (!(REMEDY_TYPES as readonly string[]).includes(input.type)) throw new InvalidInput(`"${input.type}" is not a type of remedy.`, 'type');
    const settings = opts.settings ?? (await loadRemedySettings(trx));
    if (input.impactBand && !settings.bands.some((b) => b.key === input.impactBand)) throw new InvalidInput(`"${input.impactBand}" is not one of the guidance bands in settings.`, 'impactBand');
    if (input.type !== 'financial' && input.impactBand) throw new InvalidInput('Only a financial remedy is set against the guidance bands.', 'impactBand');
    const ctx = this.ctx(actor, settings);
    if (input.offeredOn && input.offeredOn < c.received_on) throw new InvalidInput('The offer cannot be before the complaint was received.', 'offeredOn');
    // An offer recorded after it was made: the remedy dates from the offer.
    const recordedOn = opts.recordedOn ?? (input.offeredOn && input.offeredOn < ctx.today ? input.offeredOn : ctx.today);
    const rec = newRemedy({ type: input.type, recordedOn, dueOn: input.dueOn ?? null, amountPence: input.amountPence ?? null, heads: input.heads ?? null, offeredOn: input.offeredOn ?? null }, ctx);
    const owner = await resolveOwner(trx, actor, input.ownerUserId, input.ownerTeam, false);
    const row = await trx
      .insertInto('remedies')
      .values({
        complaint_id: complaintId,
        stage,
        type: input.type,
        description: input.description.trim(),
        owner_user_id: owner.userId,
        owner_team: owner.team,
        agreed_with_resident: input.agreedWithResident ?? null,
        source,
        recorded_on: recordedOn,
        heads: JSON.stringify(input.type === 'financial' ? (input.heads ?? []).map((h) => ({ head: h.head, amountPence: h.amountPence, note: h.note?.trim() || null })) : []),
        impact_band: input.impactBand ?? null,
        approval_limit_pence: input.type === 'financial' ? approvalLimitFor(actor.role, settings) : null,
        created_by: actor.id,
        created_at: this.clock(),
        updated_at: this.clock(),
        ...(remedyColumns(rec) as any),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.record(trx, actor, { complaintId, residentId: c.resident_id, entity: 'remedy', entityId: row.id, action: 'remedy_added', after: remedySnapshot(row) });
    return row;
  }

  // -------------------------------------------------------------- changing

  private lockRow(trx: Db, id: string): Promise<RemedyRow> {
    return lockTracked(trx, 'remedies', id);
  }

  private write(trx: Db, actor: Actor, row: RemedyRow, columns: Record<string, unknown>, action: string, extra: Record<string, unknown> = {}): Promise<RemedyRow> {
    return writeTracked(trx, actor, this.clock(), 'remedies', row, columns, action, extra);
  }

  /** Approve, offer, record the answer or the payment, complete or cancel a remedy. */
  async command(actor: Actor, id: string, version: number, cmd: Exclude<RemedyCommand, { type: 'amend_amount' }>): Promise<RemedyView> {
    requirePermission(actor, cmd.type === 'approve' ? 'remedies:approve' : 'remedies:write');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (row.version !== version) throw new VersionConflict('The remedy', row.version);
      const settings = await loadRemedySettings(trx);
      const patch = decideRemedy(toRemedyRecord(row), cmd, this.ctx(actor, settings));
      const updated = await this.write(trx, actor, row, remedyColumns(patch), REMEDY_EVENT[cmd.type]);
      return this.viewOne(trx, updated, settings);
    });
  }

  /** Change what a remedy says, its date, owner, or (before the offer is made) its amount. */
  async amend(actor: Actor, id: string, version: number, patch: RemedyPatch): Promise<RemedyView> {
    requirePermission(actor, 'remedies:write');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (row.version !== version) throw new VersionConflict('The remedy', row.version);
      const settings = await loadRemedySettings(trx);
      const ctx = this.ctx(actor, settings);
      const rec = toRemedyRecord(row);
      const status = effectiveStatus(rec, ctx.today);
      if (isFinished(status)) throw new RuleViolation('remedy_finished', `This remedy is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: it can no longer be changed.`);
      const cols: Record<string, unknown> = {};
      if (patch.description !== undefined) {
        if (blank(patch.description)) throw new InvalidInput('Say what will happen to put things right.', 'description');
        cols.description = patch.description.trim();
      }
      if (patch.dueOn !== undefined) cols.due_on = patch.dueOn;
      if (patch.agreedWithResident !== undefined) cols.agreed_with_resident = patch.agreedWithResident;
      if (patch.ownerUserId !== undefined || patch.ownerTeam !== undefined) {
        const owner = await resolveOwner(trx, actor, patch.ownerUserId === undefined ? row.owner_user_id : patch.ownerUserId, patch.ownerTeam === undefined ? row.owner_team : patch.ownerTeam, true);
        cols.owner_user_id = owner.userId;
        cols.owner_team = owner.team;
      }
      let amount = row.amount_pence;
      if (patch.amountPence !== undefined && patch.amountPence !== row.amount_pence) {
        const change = decideRemedy(rec, { type: 'amend_amount', amountPence: patch.amountPence }, ctx);
        Object.assign(cols, remedyColumns(change));
        cols.approval_limit_pence = approvalLimitFor(actor.role, settings);
        amount = patch.amountPence;
      }
      if (patch.impactBand !== undefined) {
        if (row.type !== 'financial' && patch.impactBand) throw new InvalidInput('Only a financial remedy is set against the guidance bands.', 'impactBand');
        if (patch.impactBand && !settings.bands.some((b) => b.key === patch.impactBand)) throw new InvalidInput(`"${patch.impactBand}" is not one of the guidance bands in settings.`, 'impactBand');
        cols.impact_band = patch.impactBand;
      }
      if (patch.heads !== undefined || cols.amount_pence !== undefined) {
        if (row.type !== 'financial') {
          if (patch.heads && patch.heads.length) throw new InvalidInput('Only a financial remedy has heads of award.', 'heads');
        } else {
          const heads = patch.heads === undefined ? ((row.heads ?? []) as AwardHead[]) : patch.heads ?? [];
          checkHeads(heads, amount!);
          cols.heads = JSON.stringify(heads.map((h) => ({ head: h.head, amountPence: h.amountPence, note: h.note?.trim() || null })));
        }
      }
      if (Object.keys(cols).length === 0) return this.viewOne(trx, row, settings);
      const updated = await this.write(trx, actor, row, cols, cols.amount_pence !== undefined ? 'remedy_amount_changed' : 'remedy_changed');
      return this.viewOne(trx, updated, settings);
    });
  }

  /** Record, with history, every offer that has passed its open-until date unaccepted. For a daily job. */
  async lapseDue(actor: Actor): Promise<{ lapsed: string[] }> {
    requirePermission(actor, 'remedies:write');
    const today = this.today();
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx.selectFrom('remedies').selectAll().where('status', '=', 'offered').where('open_until', '<', today).forUpdate().execute();
      const settings = await loadRemedySettings(trx);
      const lapsed: string[] = [];
      for (const row of rows) {
        const patch = decideRemedy(toRemedyRecord(row), { type: 'lapse' }, this.ctx(actor, settings));
        await this.write(trx, actor, row, remedyColumns(patch), REMEDY_EVENT.lapse);
        lapsed.push(row.id);
      }
      return { lapsed };
    });
  }

  // -------------------------------------------------------------- from the response

  /**
   * The financial remedies in a response that the actor may not offer on their own authority:
   * above their approval limit, with no approved offer of that amount waiting on the case. The
   * respond step may refuse the response while any are left, or let them wait for approval.
   */
  async unapprovedOffers(trx: Db, actor: Actor, complaintId: string, stage: Stage, remedies: RemedySummary[]): Promise<RemedySummary[]> {
    const settings = await loadRemedySettings(trx);
    const approved = await trx
      .selectFrom('remedies')
      .select(['amount_pence'])
      .where('complaint_id', '=', complaintId)
      .where('stage', '=', stage)
      .where('type', '=', 'financial')
      .where('status', '=', 'approved')
      .execute();
    const pool = approved.map((r) => r.amount_pence);
    const out: RemedySummary[] = [];
    for (const r of remedies) {
      if (r.type !== 'financial' || !r.amountPence) continue;
      const i = pool.indexOf(r.amountPence);
      if (i >= 0) {
        pool.splice(i, 1);
        continue;
      }
      if (needsApproval(r.amountPence, actor.role, settings)) out.push(r);
    }
    return out;
  }

  /**
   * Turn a response's remedies and outstanding actions into tracked rows, inside the caller's
   * transaction (the one recording the response), each with its history row on the case.
   *
   * - A financial remedy matching an approved, not yet offered offer of the same amount on the
   *   case at this stage becomes that offer, offered on the response date. Otherwise it is a new
   *   offer: offered on the response date when within the actor's approval limit, else recorded
   *   as awaiting approval and not offered (returned in `awaitingApproval`).
   * - An apology, acknowledgement of fault or explanation with no later due date is given by the
   *   response itself: recorded as done on the response date.
   * - Every other remedy is open, due by its dueBy, owned by the actor.
   * - Each action is open, due by its dueBy, owned by the member of staff its `owner` names (by
   *   id, exact name or email), else by the team it names, else by the actor.
   */
  async recordFromResponse(
    trx: Db,
    actor: Actor,
    complaintId: string,
    stage: Stage,
    remedies: RemedySummary[],
    actions: ActionSummary[],
    opts: { on?: LocalDate | null; outcome?: string | null } = {},
  ): Promise<ResponseRecordResult> {
    requirePermission(actor, 'remedies:write');
    const settings = await loadRemedySettings(trx);
    const ctx = this.ctx(actor, settings);
    const on = opts.on ?? ctx.today;
    const rows: RemedyRow[] = [];
    const claimed = new Set<string>();
    for (const [i, r] of remedies.entries()) {
      if (r.type === 'financial') {
        if (!r.amountPence || r.amountPence <= 0) {
          throw new RuleViolation('amount_required', `Remedy ${i + 1} is a financial remedy: give its amount.`, 'remedies');
        }
        const waiting = await trx
          .selectFrom('remedies')
          .selectAll()
          .where('complaint_id', '=', complaintId)
          .where('stage', '=', stage)
          .where('type', '=', 'financial')
          .where('status', '=', 'approved')
          .where('amount_pence', '=', r.amountPence)
          .orderBy('created_at')
          .forUpdate()
          .execute();
        const match = waiting.find((w) => !claimed.has(w.id));
        if (match) {
          claimed.add(match.id);
          const offerOn = on < match.recorded_on ? match.recorded_on : on;
          const patch = decideRemedy(toRemedyRecord(match), { type: 'offer', on: offerOn }, ctx);
          rows.push(await this.write(trx, actor, match, { ...remedyColumns(patch), due_on: r.dueBy ?? match.due_on }, REMEDY_EVENT.offer, { inResponse: stage }));
          continue;
        }
        const offer = !needsApproval(r.amountPence, actor.role, settings);
        rows.push(
          await this.createIn(trx, actor, complaintId, { type: 'financial', description: r.description, stage, dueOn: r.dueBy ?? null, amountPence: r.amountPence, offeredOn: offer ? on : null }, 'response', { recordedOn: on, settings }),
        );
        continue;
      }
      let row = await this.createIn(trx, actor, complaintId, { type: r.type, description: r.description, stage, dueOn: r.dueBy ?? null }, 'response', { recordedOn: on, settings });
      if (GIVEN_IN_RESPONSE.includes(r.type) && (!r.dueBy || r.dueBy <= on)) {
        const patch = decideRemedy(toRemedyRecord(row), { type: 'complete', on, note: `Given in the stage ${stage} response.` }, { ...ctx, today: on > ctx.today ? on : ctx.today });
        row = await this.write(trx, actor, row, remedyColumns(patch), REMEDY_EVENT.complete);
      }
      rows.push(row);
    }
    const actionRows: ActionRow[] = [];
    for (const a of actions) {
      const owner = await ownerFromText(trx, actor, a.owner);
      actionRows.push(
        await this.actions.createIn(trx, actor, complaintId, { description: a.description, stage, dueOn: a.dueBy ?? null, ownerUserId: owner.userId, ownerTeam: owner.team }, 'response', { recordedOn: on }),
      );
    }
    if (opts.outcome && this.learning) await this.learning.promptIn(trx, actor, complaintId, stage, opts.outcome, on);
    const remedyViews = await this.views(trx, rows, settings);
    return {
      remedies: remedyViews,
      actions: await this.actions.views(trx, actionRows),
      awaitingApproval: remedyViews.filter((v) => v.status === 'awaiting_approval'),
    };
  }

  // -------------------------------------------------------------- figures

  /**
   * Every figure reporting needs on putting things right, for the period `from` to `to` (London
   * dates, both included): remedies by type (recorded, completed, on time, overdue at the end);
   * compensation offered, accepted, declined, lapsed and paid, by head of award and against the
   * guidance bands; approvals; and outstanding actions (recorded, done, on time, overdue at the end).
   * "At the end" reads the period's last day as the day the figures are taken on.
   */
  async figures(from: LocalDate, to: LocalDate, { breakdown = true }: FiguresOptions = {}) {
    if (to < from) throw new InvalidInput('The period ends before it starts.', 'to');
    const today = this.today();
    const asAt = to < today ? to : today;
    // One snapshot for every query, shared between connections on PostgreSQL so they run side by side (db/snapshot.ts).
    const { settings, byType, comp, heads, bandCounts, fit, acts } = await withSharedSnapshot(this.db, this.opts.parallelReads ?? false, async (read, trx) => {
      const settings = await loadRemedySettings(trx);
      const w = { from, to, today, asAt };
      // Counted in SQL: every figure by type, compensation, amounts by head (remedy-figure-queries.ts).
      const headKeys = [...HEADS_OF_AWARD, 'not_broken_down'];
      // The guidance bands are the landlord's settings: the offers, grouped by amount and impact band, are
      // placed against them with bandsFor and bandFit, a bounded batch of groups at a time.
      const bandCounts = new Map<string, { key: string; label: string; offered: number; offeredPence: number }>(
        [...settings.bands.map((b) => [b.key, { key: b.key, label: b.label, offered: 0, offeredPence: 0 }] as const), ['below_lowest', { key: 'below_lowest', label: 'Below the lowest band', offered: 0, offeredPence: 0 }] as const],
      );
      const fit = { within: 0, below: 0, above: 0, no_band: 0 };
      const [tallies, acts] = await Promise.all([
        remedyTallies(read, w, breakdown ? headKeys : null),
        read((t) => actionTallies(t, w)),
        breakdown &&
          read(async (t) => {
            for await (const groups of offersByAmountAndBand(t, w)) {
              for (const g of groups) {
                const first = bandsFor(g.amountPence, settings.bands)[0];
                const b = bandCounts.get(first ? first.key : 'below_lowest');
                if (b) {
                  b.offered += g.count;
                  b.offeredPence += g.pence;
                }
                fit[bandFit(g.amountPence, g.impactBand || null, settings.bands)] += g.count;
              }
            }
          }),
      ]);

      const byType = new Map(
        REMEDY_TYPES.map((t) => {
          const n = tallies.byType.get(t);
          return [t, { type: t, label: REMEDY_TYPE_LABELS[t], recorded: n?.recorded ?? 0, completed: n?.completed ?? 0, completedOnTime: n?.completedOnTime ?? 0, completedLate: n?.completedLate ?? 0, completedWithoutDate: n?.completedWithoutDate ?? 0, cancelled: n?.cancelled ?? 0, openAtEnd: n?.openAtEnd ?? 0, overdueAtEnd: n?.overdueAtEnd ?? 0 }];
        }),
      );
      const m = tallies.money;
      const comp = {
        offered: m.offered,
        accepted: m.accepted,
        declined: m.declined,
        lapsed: m.lapsed,
        paid: m.paid,
        approvedByAnother: m.approvedByAnother,
        recordedAboveProposerLimit: m.recordedAboveProposerLimit,
        acceptedUnpaidAtEnd: m.acceptedUnpaidAtEnd,
        awaitingApprovalAtEnd: m.awaitingApprovalAtEnd,
      };
      // Amounts by head of award, only with the breakdown (remedyTallies counted them only then).
      const heads = !breakdown
        ? null
        : headKeys.map((h) => {
            const s = tallies.heads.get(h)!;
            const whole = h === 'not_broken_down' ? tallies.notBrokenDown : { offeredPence: 0, paidPence: 0 };
            return { head: h, label: h === 'not_broken_down' ? 'Not broken down by head' : HEAD_LABELS[h as HeadOfAward], offeredPence: whole.offeredPence + s.offeredPence, paidPence: whole.paidPence + s.paidPence };
          });

      return { settings, byType, comp, heads, bandCounts, fit, acts };
    });

    return {
      period: { from, to, asAt },
      guidanceNote: GUIDANCE_NOTE,
      remedies: {
        byType: [...byType.values()],
        recorded: sum([...byType.values()], 'recorded'),
        completed: sum([...byType.values()], 'completed'),
        completedOnTime: sum([...byType.values()], 'completedOnTime'),
        completedLate: sum([...byType.values()], 'completedLate'),
        openAtEnd: sum([...byType.values()], 'openAtEnd'),
        overdueAtEnd: sum([...byType.values()], 'overdueAtEnd'),
      },
      compensation: {
        ...comp,
        // Compensation by head of award and against the guidance bands: left out when not asked for.
        ...(heads ? { byHead: heads, byGuidanceBand: [...bandCounts.values()], againstImpactBand: fit } : {}),
      },
      actions: acts,
    };
  }
}

function sum<T extends Record<string, unknown>>(rows: T[], key: keyof T): number {
  return rows.reduce((n, r) => n + (r[key] as number), 0);
}

// ---------------------------------------------------------------------------------------------
// Outstanding actions
// ---------------------------------------------------------------------------------------------

export class ActionService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = () => new Date(),
  ) {}

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  private record(trx: Db, actor: Actor, entries: HistoryEntry | HistoryEntry[]) {
    return recordHistory(trx, actor, entries, this.clock());
  }

  async views(trx: Db, rows: ActionRow[]): Promise<ActionView[]> {
    const names = await namesOf(trx, rows.flatMap((r) => [r.owner_user_id, r.created_by]));
    const refs = await referencesOf(trx, rows.map((r) => r.complaint_id));
    const today = this.today();
    return rows.map((a) => {
      const rec = toActionRecord(a);
      return {
        id: a.id,
        complaintId: a.complaint_id,
        complaintReference: refs.get(a.complaint_id) ?? '',
        stage: a.stage,
        remedyId: a.remedy_id,
        description: a.description,
        owner: { userId: a.owner_user_id, name: a.owner_user_id ? names.get(a.owner_user_id) ?? null : null, team: a.owner_team },
        contractor: a.contractor,
        dueOn: a.due_on,
        overdue: actionOverdue(rec, today),
        residentUpdateDueOn: a.resident_update_due_on,
        residentUpdateEveryDays: a.resident_update_every_days,
        lastResidentUpdateOn: a.last_resident_update_on,
        residentUpdateOverdue: residentUpdateOverdue(rec, today),
        status: rec.status,
        statusLabel: ACTION_STATUS_LABELS[rec.status],
        source: a.source,
        recordedOn: a.recorded_on,
        completedOn: a.completed_on,
        completionNote: a.completion_note,
        cancelledOn: a.cancelled_on,
        cancelledReason: a.cancelled_reason,
        createdBy: person(a.created_by, names),
        createdAt: new Date(a.created_at).toISOString(),
        updatedAt: new Date(a.updated_at).toISOString(),
        version: a.version,
      };
    });
  }

  private async teamOf(trx: Db, actor: Actor): Promise<string | null> {
    if (!actor.id) return null;
    const u = await trx.selectFrom('users').select('team').where('id', '=', actor.id).executeTakeFirst();
    return u?.team?.trim() || null;
  }

  /** Whether the actor owns the action, themselves or through their team. */
  private async owns(trx: Db, actor: Actor, a: ActionRow): Promise<boolean> {
    if (actor.id && a.owner_user_id === actor.id) return true;
    const team = await this.teamOf(trx, actor);
    return !!team && !!a.owner_team && a.owner_team.toLowerCase() === team.toLowerCase();
  }

  async listForComplaint(actor: Actor, complaintId: string): Promise<ActionView[]> {
    requirePermission(actor, 'remedies:read');
    await complaintBasics(this.db, complaintId);
    const rows = await this.db.selectFrom('actions').selectAll().where('complaint_id', '=', complaintId).orderBy('created_at').orderBy('id').execute();
    return this.views(this.db, rows);
  }

  async get(actor: Actor, id: string): Promise<ActionView> {
    requirePermission(actor, 'actions:read');
    const row = await this.db.selectFrom('actions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The action');
    if (!actorCan(actor, 'remedies:read') && !(await this.owns(this.db, actor, row))) throw new Forbidden('You can see only the actions you or your team own.');
    return (await this.views(this.db, [row]))[0];
  }

  /**
   * Actions across cases, overdue first, then by due date. Those who cannot read complaints see
   * only the actions they or their team own, whatever they ask for.
   */
  async list(actor: Actor, f: ActionFilters = {}): Promise<{ items: ActionView[]; counts: { total: number; overdue: number } }> {
    requirePermission(actor, 'actions:read');
    const today = this.today();
    const seeAll = actorCan(actor, 'remedies:read');
    const owner = seeAll ? f.owner : 'me';
    const team = await this.teamOf(this.db, actor);
    let q = this.db.selectFrom('actions').selectAll();
    if (owner === 'me') {
      const me = actor.id;
      q = q.where((eb) =>
        eb.or([
          ...(me ? [eb('owner_user_id', '=', me)] : []),
          ...(team ? [eb(eb.fn('lower', ['owner_team']), '=', team.toLowerCase())] : []),
          ...(!me && !team ? [sql<boolean>`false`] : []),
        ]),
      );
    } else if (owner) {
      q = q.where('owner_user_id', '=', owner);
    }
    if (f.team) q = q.where(eb => eb(eb.fn('lower', ['owner_team']), '=', f.team!.trim().toLowerCase()));
    if (f.complaintId) q = q.where('complaint_id', '=', f.complaintId);
    if (f.overdue === true) q = q.where('status', '=', 'open').where('due_on', '<', today);
    if (f.overdue === false) q = q.where((eb) => eb.or([eb('status', '!=', 'open'), eb('due_on', 'is', null), eb('due_on', '>=', today)]));
    if (f.status) q = q.where('status', '=', f.status);
    const limit = Math.min(Math.max(f.limit ?? 200, 1), 500);
    const rows = await q
      .orderBy(sql`case when status = 'open' and due_on < ${today} then 0 when status = 'open' then 1 else 2 end`)
      .orderBy('due_on', (ob) => ob.asc().nullsLast())
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .execute();
    const items = await this.views(this.db, rows);
    return { items, counts: { total: items.length, overdue: items.filter((i) => i.overdue).length } };
  }

  async create(actor: Actor, complaintId: string, input: ActionInput, idempotencyKey?: string | null): Promise<Created<ActionView>> {
    requirePermission(actor, 'remedies:write');
    return idempotentCreate(this.db, { userId: actor.id, key: idempotencyKey, route: `POST /api/v1/complaints/${complaintId}/actions`, request: input }, async (trx) => {
      const row = await this.createIn(trx, actor, complaintId, input, 'manual');
      return { status: 201, body: (await this.views(trx, [row]))[0] };
    });
  }

  /** Insert an action (and its history) inside the caller's transaction. */
  async createIn(trx: Db, actor: Actor, complaintId: string, input: ActionInput, source: 'manual' | 'response', opts: { recordedOn?: LocalDate } = {}): Promise<ActionRow> {
    const c = await complaintBasics(trx, complaintId);
    const stage = input.stage === undefined || input.stage === null ? (c.stage as Stage) : stageFor(c, input.stage);
    if (blank(input.description)) throw new InvalidInput('Say what will be done.', 'description');
    if (input.remedyId) {
      const r = await trx.selectFrom('remedies').select(['id', 'complaint_id']).where('id', '=', input.remedyId).executeTakeFirst();
      if (!r || r.complaint_id !== complaintId) throw new InvalidInput('There is no remedy with that id on this complaint.', 'remedyId');
    }
    const owner = await resolveOwner(trx, actor, input.ownerUserId, input.ownerTeam, true);
    const recordedOn = opts.recordedOn ?? this.today();
    const every = input.residentUpdateEveryDays ?? null;
    const updateDue = input.residentUpdateDueOn ?? (every ? addDays(recordedOn, every) : null);
    const row = await trx
      .insertInto('actions')
      .values({
        complaint_id: complaintId,
        stage,
        remedy_id: input.remedyId ?? null,
        description: input.description.trim(),
        owner_user_id: owner.userId,
        owner_team: owner.team,
        contractor: input.contractor?.trim() || null,
        due_on: input.dueOn ?? null,
        resident_update_due_on: updateDue,
        resident_update_every_days: every,
        status: 'open',
        source,
        recorded_on: recordedOn,
        created_by: actor.id,
        created_at: this.clock(),
        updated_at: this.clock(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await this.record(trx, actor, { complaintId, residentId: c.resident_id, entity: 'action', entityId: row.id, action: 'action_added', after: actionSnapshot(row) });
    return row;
  }

  private lockRow(trx: Db, id: string): Promise<ActionRow> {
    return lockTracked(trx, 'actions', id);
  }

  private write(trx: Db, actor: Actor, row: ActionRow, columns: Record<string, unknown>, action: string, extra: Record<string, unknown> = {}): Promise<ActionRow> {
    return writeTracked(trx, actor, this.clock(), 'actions', row, columns, action, extra);
  }

  /**
   * Record progress: an update given to the resident, done, cancelled (with a reason) or
   * reopened. Open to the action's owner (or their team) as well as to complaint handlers; works
   * whatever the complaint's status, since actions outlive the response and the closure.
   */
  async command(actor: Actor, id: string, version: number, cmd: ActionCommand): Promise<ActionView> {
    requirePermission(actor, cmd.type === 'cancel' || cmd.type === 'reopen' ? 'remedies:write' : 'actions:update');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (!actorCan(actor, 'remedies:write') && !(await this.owns(trx, actor, row))) throw new Forbidden('You can record progress only on actions you or your team own.');
      if (row.version !== version) throw new VersionConflict('The action', row.version);
      const patch = decideAction(toActionRecord(row), cmd, { today: this.today() });
      const extra =
        cmd.type === 'update'
          ? { update: { on: cmd.on ?? this.today(), note: cmd.note?.trim() } }
          : cmd.type === 'reopen'
            ? { reopenReason: cmd.reason?.trim() }
            : {};
      const updated = await this.write(trx, actor, row, actionColumns(patch), ACTION_EVENT[cmd.type], extra);
      return (await this.views(trx, [updated]))[0];
    });
  }

  /** Change what an action says, who owns it, the contractor, its dates. */
  async amend(actor: Actor, id: string, version: number, patch: ActionPatch): Promise<ActionView> {
    requirePermission(actor, 'remedies:write');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockRow(trx, id);
      if (row.version !== version) throw new VersionConflict('The action', row.version);
      if (row.status !== 'open') throw new RuleViolation('action_finished', `This action is ${ACTION_STATUS_LABELS[row.status as ActionStatus].toLowerCase()}: reopen it to change it.`);
      const cols: Record<string, unknown> = {};
      if (patch.description !== undefined) {
        if (blank(patch.description)) throw new InvalidInput('Say what will be done.', 'description');
        cols.description = patch.description.trim();
      }
      if (patch.ownerUserId !== undefined || patch.ownerTeam !== undefined) {
        const userId = patch.ownerUserId === undefined ? row.owner_user_id : patch.ownerUserId;
        const team = patch.ownerTeam === undefined ? row.owner_team : patch.ownerTeam;
        if (!userId && !team?.trim()) throw new InvalidInput('Say who owns the action: a member of staff or a team.', 'ownerUserId');
        const owner = await resolveOwner(trx, actor, userId, team, true);
        cols.owner_user_id = owner.userId;
        cols.owner_team = owner.team;
      }
      if (patch.contractor !== undefined) cols.contractor = patch.contractor?.trim() || null;
      if (patch.dueOn !== undefined) cols.due_on = patch.dueOn;
      if (patch.residentUpdateEveryDays !== undefined) cols.resident_update_every_days = patch.residentUpdateEveryDays;
      if (patch.residentUpdateDueOn !== undefined) cols.resident_update_due_on = patch.residentUpdateDueOn;
      if (Object.keys(cols).length === 0) return (await this.views(trx, [row]))[0];
      const updated = await this.write(trx, actor, row, cols, 'action_changed');
      return (await this.views(trx, [updated]))[0];
    });
  }

  /** The updates given to the resident on an action, from the history. */
  async updates(actor: Actor, id: string) {
    await this.get(actor, id);
    const rows = await this.db
      .selectFrom('history')
      .select(['after', 'actor_label', 'at'])
      .where('entity', '=', 'action')
      .where('entity_id', '=', id)
      .where('action', '=', 'action_update_given')
      .orderBy('id')
      .execute();
    return rows.map((r) => ({ ...((r.after as any)?.update ?? {}), by: r.actor_label, at: new Date(r.at).toISOString() }));
  }
}
