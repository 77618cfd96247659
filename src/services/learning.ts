/**
 * The learning register (Code 9.1 to 9.3): one learning item is opened, in the same transaction,
 * for every response that upholds a complaint in whole or part (`promptIn`, called from the
 * response hook in RemedyService.recordFromResponse); items can also be added by hand. Each holds
 * the root cause (from an editable list under the 'learning' settings key), what went wrong, the
 * recommendation, the owning service area and its response, and the improvement made and when.
 * Themes count items by cause, area and category per month or quarter; the "you said, we did" list
 * shows only items marked publishable, in words written for publication, with no case details.
 *
 * Every change writes a history row carrying the complaint's id (when the item has one).
 */
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../db/database.js';
import type { LearningItemRow } from '../db/schema.js';
import { londonDateOf, type LocalDate } from '../core/dates.js';
import {
  DEFAULT_ROOT_CAUSES,
  LEARNING_STATUSES,
  LEARNING_STATUS_LABELS,
  applyLearning,
  periodOf,
  type LearningPatch,
  type LearningRecord,
  type LearningStatus,
  type RootCause,
} from '../core/learning.js';
import type { Stage } from '../core/lifecycle.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory } from './history.js';
import { columnsOf } from './remedies.js';

type Clock = () => Date;

export const LEARNING_SETTINGS_KEY = 'learning';

export const learningSettingsSchema = z
  .object({
    rootCauses: z
      .array(z.object({ key: z.string().regex(/^[a-z0-9_]{1,40}$/, 'must be lower-case letters, digits and underscores'), label: z.string().trim().min(1).max(200) }).strict())
      .min(1)
      .max(50)
      .refine((l) => new Set(l.map((c) => c.key)).size === l.length, { message: 'each root cause needs its own key' }),
  })
  .strict();

export interface LearningSettings {
  rootCauses: RootCause[];
}

export async function loadLearningSettings(db: Db): Promise<LearningSettings> {
  const row = await db.selectFrom('settings').select('value').where('key', '=', LEARNING_SETTINGS_KEY).executeTakeFirst();
  const parsed = learningSettingsSchema.safeParse({ rootCauses: DEFAULT_ROOT_CAUSES, ...((row?.value ?? {}) as object) });
  return parsed.success ? parsed.data : { rootCauses: DEFAULT_ROOT_CAUSES };
}

export interface LearningView extends LearningRecord {
  id: string;
  complaintId: string | null;
  complaintReference: string | null;
  stage: number | null;
  source: string;
  statusLabel: string;
  outcome: string | null;
  category: string | null;
  rootCauseLabel: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface LearningInput {
  complaintId?: string | null;
  rootCause?: string | null;
  whatWentWrong?: string | null;
  recommendation?: string | null;
  serviceArea?: string | null;
  category?: string | null;
}

export interface LearningFilters {
  status?: LearningStatus;
  complaintId?: string;
  serviceArea?: string;
  rootCause?: string;
  limit?: number;
}

const STORED: (keyof LearningRecord)[] = ['status', 'rootCause', 'whatWentWrong', 'recommendation', 'serviceArea', 'areaResponse', 'improvement', 'improvedOn', 'closedReason', 'publishable', 'youSaid', 'weDid'];

function toRecord(r: LearningItemRow): LearningRecord {
  return {
    status: r.status as LearningStatus,
    rootCause: r.root_cause,
    whatWentWrong: r.what_went_wrong,
    recommendation: r.recommendation,
    serviceArea: r.service_area,
    areaResponse: r.area_response,
    improvement: r.improvement,
    improvedOn: r.improved_on,
    closedReason: r.closed_reason,
    publishable: r.publishable,
    youSaid: r.you_said,
    weDid: r.we_did,
    recordedOn: r.recorded_on,
  };
}

function snapshot(r: LearningItemRow) {
  const { recordedOn: _r, ...rest } = toRecord(r);
  return { ...rest, stage: r.stage, source: r.source };
}

export class LearningService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = () => new Date(),
  ) {}

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  // ------------------------------------------------------------------ settings

  async settings(): Promise<LearningSettings> {
    return loadLearningSettings(this.db);
  }

  async updateSettings(actor: Actor, value: LearningSettings): Promise<LearningSettings> {
    requirePermission(actor, 'settings:manage');
    const next = learningSettingsSchema.parse(value);
    return this.db.transaction().execute(async (trx) => {
      const before = await loadLearningSettings(trx);
      await trx
        .insertInto('settings')
        .values({ key: LEARNING_SETTINGS_KEY, value: JSON.stringify(next), updated_by: actor.id })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(next), updated_by: actor.id, updated_at: this.clock() }))
        .execute();
      await recordHistory(trx, actor, { entity: 'settings', action: 'settings_learning_changed', before, after: next }, this.clock());
      return next;
    });
  }

  // ------------------------------------------------------------------ reading

  async views(trx: Db, rows: LearningItemRow[], settings?: LearningSettings): Promise<LearningView[]> {
    const s = settings ?? (await loadLearningSettings(trx));
    const ids = [...new Set(rows.map((r) => r.complaint_id).filter((x): x is string => !!x))];
    const refs = new Map(ids.length ? (await trx.selectFrom('complaints').select(['id', 'reference']).where('id', 'in', ids).execute()).map((c) => [c.id, c.reference]) : []);
    return rows.map((r) => ({
      id: r.id,
      complaintId: r.complaint_id,
      complaintReference: r.complaint_id ? refs.get(r.complaint_id) ?? null : null,
      stage: r.stage,
      source: r.source,
      ...toRecord(r),
      statusLabel: LEARNING_STATUS_LABELS[r.status as LearningStatus] ?? r.status,
      outcome: r.outcome,
      category: r.category,
      rootCauseLabel: r.root_cause ? s.rootCauses.find((c) => c.key === r.root_cause)?.label ?? r.root_cause : null,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      version: r.version,
    }));
  }

  async list(actor: Actor, f: LearningFilters = {}): Promise<LearningView[]> {
    requirePermission(actor, 'learning:read');
    let q = this.db.selectFrom('learning_items').selectAll();
    if (f.status) q = q.where('status', '=', f.status);
    if (f.complaintId) q = q.where('complaint_id', '=', f.complaintId);
    if (f.serviceArea) q = q.where('service_area', '=', f.serviceArea);
    if (f.rootCause) q = q.where('root_cause', '=', f.rootCause);
    const rows = await q
      .orderBy(sql`case status when 'open' then 0 when 'area_responded' then 1 else 2 end`)
      .orderBy('recorded_on', 'desc')
      .orderBy('id')
      .limit(Math.min(Math.max(f.limit ?? 200, 1), 500))
      .execute();
    return this.views(this.db, rows);
  }

  async get(actor: Actor, id: string): Promise<LearningView> {
    requirePermission(actor, 'learning:read');
    const row = await this.db.selectFrom('learning_items').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The learning item');
    return (await this.views(this.db, [row]))[0];
  }

  // ------------------------------------------------------------------ creating

  /**
   * Open a learning item for a response that upheld the complaint in whole or part, inside the
   * response's transaction. At most one per complaint and stage; returns null when the outcome
   * upholds nothing or the item exists already.
   */
  async promptIn(trx: Db, actor: Actor, complaintId: string, stage: Stage, outcome: string, on: LocalDate): Promise<LearningItemRow | null> {
    if (outcome !== 'upheld' && outcome !== 'partly_upheld') return null;
    const c = await trx.selectFrom('complaints').select(['id', 'resident_id', 'category', 'service_area']).where('id', '=', complaintId).executeTakeFirstOrThrow();
    const row = await trx
      .insertInto('learning_items')
      .values({
        complaint_id: complaintId,
        stage,
        source: 'response',
        status: 'open',
        outcome,
        category: c.category,
        service_area: c.service_area,
        recorded_on: on,
        created_by: actor.id,
        created_at: this.clock(),
        updated_at: this.clock(),
      })
      .onConflict((oc) => oc.columns(['complaint_id', 'stage']).where('source', '=', 'response').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await recordHistory(trx, actor, { complaintId, residentId: c.resident_id, entity: 'learning_item', entityId: row.id, action: 'learning_prompted', after: snapshot(row) }, this.clock());
    return row;
  }

  async create(actor: Actor, input: LearningInput): Promise<LearningView> {
    requirePermission(actor, 'learning:write');
    return this.db.transaction().execute(async (trx) => {
      const settings = await loadLearningSettings(trx);
      let complaint: { id: string; resident_id: string | null; category: string | null; service_area: string | null } | undefined;
      if (input.complaintId) {
        complaint = await trx.selectFrom('complaints').select(['id', 'resident_id', 'category', 'service_area']).where('id', '=', input.complaintId).executeTakeFirst();
        if (!complaint) throw new InvalidInput('There is no complaint with that id.', 'complaintId');
      }
      const rec = applyLearning(
        { status: 'open', rootCause: null, whatWentWrong: null, recommendation: null, serviceArea: null, areaResponse: null, improvement: null, improvedOn: null, closedReason: null, publishable: false, youSaid: null, weDid: null, recordedOn: this.today() },
        { rootCause: input.rootCause ?? null, whatWentWrong: input.whatWentWrong ?? null, recommendation: input.recommendation ?? null, serviceArea: input.serviceArea ?? complaint?.service_area ?? null },
        { today: this.today(), rootCauses: settings.rootCauses },
      );
      const row = await trx
        .insertInto('learning_items')
        .values({
          complaint_id: complaint?.id ?? null,
          source: 'manual',
          status: 'open',
          category: input.category?.trim() || complaint?.category || null,
          root_cause: rec.rootCause,
          what_went_wrong: rec.whatWentWrong,
          recommendation: rec.recommendation,
          service_area: rec.serviceArea,
          recorded_on: rec.recordedOn,
          created_by: actor.id,
          created_at: this.clock(),
          updated_at: this.clock(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { complaintId: row.complaint_id, residentId: complaint?.resident_id ?? null, entity: 'learning_item', entityId: row.id, action: 'learning_added', after: snapshot(row) }, this.clock());
      return (await this.views(trx, [row], settings))[0];
    });
  }

  // ------------------------------------------------------------------ changing

  /** Record the learning, the area's response, the improvement, the status, or publication. */
  async update(actor: Actor, id: string, version: number, patch: LearningPatch): Promise<LearningView> {
    requirePermission(actor, 'learning:write');
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('learning_items').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!row) throw new NotFound('The learning item');
      if (row.version !== version) throw new VersionConflict('The learning item', row.version);
      const publishing = patch.publishable === true && !row.publishable;
      if (publishing || (row.publishable && (patch.youSaid !== undefined || patch.weDid !== undefined))) requirePermission(actor, 'learning:publish');
      if (patch.status && !(LEARNING_STATUSES as readonly string[]).includes(patch.status)) throw new InvalidInput(`"${patch.status}" is not a status of a learning item.`, 'status');
      const settings = await loadLearningSettings(trx);
      const next = applyLearning(toRecord(row), patch, { today: this.today(), rootCauses: settings.rootCauses });
      const cols = columnsOf(next, STORED);
      const updated = await trx
        .updateTable('learning_items')
        .set({ ...(cols as any), version: row.version + 1, updated_at: this.clock() })
        .where('id', '=', id)
        .where('version', '=', row.version)
        .returningAll()
        .executeTakeFirst();
      if (!updated) throw new VersionConflict('The learning item', row.version + 1);
      const residentId = row.complaint_id ? (await trx.selectFrom('complaints').select('resident_id').where('id', '=', row.complaint_id).executeTakeFirst())?.resident_id ?? null : null;
      // One history row for each thing that happened: a change of status, publication, or an edit.
      const actions = [...(row.status !== updated.status ? [`learning_${updated.status}`] : []), ...(publishing ? ['learning_published'] : [])];
      await recordHistory(
        trx,
        actor,
        (actions.length ? actions : ['learning_changed']).map((action) => ({ complaintId: row.complaint_id, residentId, entity: 'learning_item', entityId: id, action, before: snapshot(row), after: snapshot(updated) })),
        this.clock(),
      );
      return (await this.views(trx, [updated], settings))[0];
    });
  }

  // ------------------------------------------------------------------ themes and publication

  /**
   * Counts of learning items recorded in the period, by root cause, service area and complaint
   * category, each per month or quarter (by the day the item was recorded).
   */
  async themes(actor: Actor | null, from: LocalDate, to: LocalDate, by: 'quarter' | 'month' = 'quarter') {
    if (actor) requirePermission(actor, 'learning:read');
    if (to < from) throw new InvalidInput('The period ends before it starts.', 'to');
    const settings = await loadLearningSettings(this.db);
    const rows = await this.db
      .selectFrom('learning_items')
      .select(['recorded_on', 'root_cause', 'service_area', 'category', 'status'])
      .where('recorded_on', '>=', from)
      .where('recorded_on', '<=', to)
      .execute();
    const periods = new Set<string>();
    const count = (key: (r: (typeof rows)[number]) => string | null, label: (k: string) => string) => {
      const m = new Map<string, { key: string; label: string; total: number; byPeriod: Record<string, number> }>();
      for (const r of rows) {
        const k = key(r) ?? 'not_recorded';
        const p = periodOf(r.recorded_on, by);
        periods.add(p);
        const e = m.get(k) ?? { key: k, label: k === 'not_recorded' ? 'Not yet recorded' : label(k), total: 0, byPeriod: {} };
        e.total++;
        e.byPeriod[p] = (e.byPeriod[p] ?? 0) + 1;
        m.set(k, e);
      }
      return [...m.values()].sort((a, b) => b.total - a.total || a.label.localeCompare(b.label));
    };
    const byCause = count((r) => r.root_cause, (k) => settings.rootCauses.find((c) => c.key === k)?.label ?? k);
    const byArea = count((r) => r.service_area, (k) => k);
    const byCategory = count((r) => r.category, (k) => k);
    return {
      period: { from, to, by },
      periods: [...periods].sort(),
      total: rows.length,
      improvementsMade: rows.filter((r) => r.status === 'improvement_made' || r.status === 'closed').length,
      byCause,
      byArea,
      byCategory,
    };
  }

  /**
   * The public "you said, we did" list: only items marked publishable, and only the words written
   * for publication, the service area and the month of the improvement. Nothing about the case.
   */
  async published(limit = 100) {
    const rows = await this.db
      .selectFrom('learning_items')
      .select(['id', 'you_said', 'we_did', 'service_area', 'improved_on'])
      .where('publishable', '=', true)
      .orderBy('improved_on', 'desc')
      .orderBy('id')
      .limit(Math.min(Math.max(limit, 1), 500))
      .execute();
    return rows.map((r) => ({ id: r.id, youSaid: r.you_said ?? '', weDid: r.we_did ?? '', serviceArea: r.service_area, improvedIn: r.improved_on ? r.improved_on.slice(0, 7) : null }));
  }

  /** Figures for a period: items prompted and recorded, improvements made, published, and the themes. */
  async figures(from: LocalDate, to: LocalDate) {
    if (to < from) throw new InvalidInput('The period ends before it starts.', 'to');
    const inP = (d: string | null) => !!d && d >= from && d <= to;
    const rows = await this.db.selectFrom('learning_items').select(['recorded_on', 'improved_on', 'status', 'source', 'publishable']).where((eb) => eb.or([eb('recorded_on', '<=', to), eb('improved_on', '<=', to)])).execute();
    const themes = await this.themes(null, from, to, 'quarter');
    return {
      recorded: rows.filter((r) => inP(r.recorded_on)).length,
      promptedByUpheldResponses: rows.filter((r) => inP(r.recorded_on) && r.source === 'response').length,
      improvementsMade: rows.filter((r) => inP(r.improved_on)).length,
      publishedImprovements: rows.filter((r) => inP(r.improved_on) && r.publishable).length,
      /** Recorded by the end of the period and, then, with no improvement made yet (closed items without one are left out). */
      withoutImprovementAtEnd: rows.filter((r) => r.recorded_on <= to && (!r.improved_on || r.improved_on > to) && r.status !== 'closed').length,
      themes: { byCause: themes.byCause, byArea: themes.byArea, byCategory: themes.byCategory, periods: themes.periods },
    };
  }
}
