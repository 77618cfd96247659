/**
 * Self-assessments against the Complaint Handling Code (2024): start one at any time (Code 8.3),
 * pre-filled from the last one's answers, with the product's evidence for the period; change
 * answers provision by provision (every change in the history: who changed what, before and
 * after); import an existing self-assessment as a table; complete it.
 */
import type { Db } from '../db/database.js';
import { CODE_PROVISIONS, CODE_SECTIONS, provision, sectionOf } from '../core/code-provisions.js';
import { isValidLocalDate, londonDateOf, type LocalDate } from '../core/dates.js';
import { importAssessment, type AssessmentAction, type Comply, type ImportResult } from '../core/self-assessment.js';
import { requirePermission, type Actor } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory } from './history.js';
import type { EvidenceService } from './evidence.js';

export const ASSESSMENT_REASONS = ['annual', 'restructure', 'merger', 'procedure_change', 'ombudsman_request', 'other'] as const;
export type AssessmentReason = (typeof ASSESSMENT_REASONS)[number];
export const REASON_LABELS: Record<AssessmentReason, string> = {
  annual: 'Annual self-assessment',
  restructure: 'After a significant restructure',
  merger: 'After a merger',
  procedure_change: 'After a change to the complaints procedure',
  ombudsman_request: 'At the Ombudsman’s request after an investigation (Code 8.4)',
  other: 'Other',
};

export interface StartInput {
  title?: string | null;
  periodFrom: LocalDate;
  periodTo: LocalDate;
  reason: AssessmentReason;
  ombudsmanCaseRef?: string | null;
  /** Start from the last assessment's answers (the default), from a chosen one, or blank. */
  startFrom?: 'last' | 'blank' | string;
}

export interface RowChange {
  provisionId: string;
  comply?: Comply | null;
  evidence?: string;
  commentary?: string;
  actions?: AssessmentAction[];
}

export interface AssessmentRowView {
  provisionId: string;
  section: number;
  requirement: string;
  summary: string;
  comply: Comply | null;
  evidence: string;
  commentary: string;
  actions: AssessmentAction[];
  generatedEvidence: string[];
  flag: string | null;
  updatedAt: string;
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
/** '2025-04-01' as '1 April 2025'. */
const inWords = (d: LocalDate) => `${Number(d.slice(8, 10))} ${MONTH_NAMES[Number(d.slice(5, 7)) - 1]} ${d.slice(0, 4)}`;

const EDIT_FIELDS = ['comply', 'evidence', 'commentary', 'actions'] as const;

export class SelfAssessmentService {
  constructor(
    private readonly db: Db,
    private readonly evidence: EvidenceService,
    private readonly clock: () => Date,
  ) {}

  async list(actor: Actor) {
    requirePermission(actor, 'self-assessments:read');
    const rows = await this.db.selectFrom('self_assessments').leftJoin('users', 'users.id', 'self_assessments.created_by').selectAll('self_assessments').select('users.name as created_by_name').orderBy('created_at', 'desc').orderBy('id').execute();
    const flags = await this.db
      .selectFrom('self_assessment_rows')
      .select(['assessment_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('flag', 'is not', null)
      .groupBy('assessment_id')
      .execute();
    const counts = await this.db
      .selectFrom('self_assessment_rows')
      .select(['assessment_id', 'comply', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy(['assessment_id', 'comply'])
      .execute();
    return rows.map((r) => ({
      ...this.header(r),
      createdByName: r.created_by_name ?? null,
      flagged: Number(flags.find((f) => f.assessment_id === r.id)?.n ?? 0),
      complyYes: Number(counts.find((c) => c.assessment_id === r.id && c.comply === 'yes')?.n ?? 0),
      complyNo: Number(counts.find((c) => c.assessment_id === r.id && c.comply === 'no')?.n ?? 0),
    }));
  }

  private header(r: { id: string; title: string; code_version: string; period_from: string; period_to: string; reason: string; ombudsman_case_ref: string | null; based_on_id: string | null; status: string; completed_on: string | null; evidence_as_at: string | null; created_at: Date; updated_at: Date; version: number }) {
    return {
      id: r.id,
      title: r.title,
      codeVersion: r.code_version,
      periodFrom: r.period_from,
      periodTo: r.period_to,
      reason: r.reason as AssessmentReason,
      reasonLabel: REASON_LABELS[r.reason as AssessmentReason] ?? r.reason,
      ombudsmanCaseRef: r.ombudsman_case_ref,
      basedOnId: r.based_on_id,
      status: r.status as 'draft' | 'final',
      completedOn: r.completed_on,
      evidenceAsAt: r.evidence_as_at,
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      version: r.version,
    };
  }

  async get(actor: Actor, id: string, trx: Db = this.db) {
    requirePermission(actor, 'self-assessments:read');
    const a = await trx.selectFrom('self_assessments').selectAll().where('id', '=', id).executeTakeFirst();
    if (!a) throw new NotFound('The self-assessment');
    const rows = await trx.selectFrom('self_assessment_rows').selectAll().where('assessment_id', '=', id).execute();
    const byId = new Map(rows.map((r) => [r.provision, r]));
    const items: AssessmentRowView[] = CODE_PROVISIONS.map((p) => {
      const r = byId.get(p.id);
      return {
        provisionId: p.id,
        section: sectionOf(p.id),
        requirement: p.requirement,
        summary: p.summary,
        comply: (r?.comply as Comply | null) ?? null,
        evidence: r?.evidence ?? '',
        commentary: r?.commentary ?? '',
        actions: (r?.actions as AssessmentAction[]) ?? [],
        generatedEvidence: (r?.generated_evidence as string[]) ?? [],
        flag: r?.flag ?? null,
        updatedAt: r ? new Date(r.updated_at).toISOString() : new Date(a.created_at).toISOString(),
      };
    });
    return {
      ...this.header(a),
      sections: CODE_SECTIONS.map((s) => ({ ...s, rows: items.filter((i) => i.section === s.number) })),
      rows: items,
      flagged: items.filter((i) => i.flag).map((i) => i.provisionId),
    };
  }

  private checkPeriod(from: string, to: string) {
    if (!isValidLocalDate(from)) throw new InvalidInput('The start of the period must be a real date written YYYY-MM-DD.', 'periodFrom');
    if (!isValidLocalDate(to)) throw new InvalidInput('The end of the period must be a real date written YYYY-MM-DD.', 'periodTo');
    if (from > to) throw new InvalidInput('The period must end on or after the day it starts.', 'periodTo');
    if (Number(to.slice(0, 4)) - Number(from.slice(0, 4)) > 5) throw new InvalidInput('The period can be at most five years.', 'periodTo');
  }

  /** Start a self-assessment at any time (Code 8.3): pre-filled from the last one, with the period's evidence. */
  async start(actor: Actor, input: StartInput) {
    requirePermission(actor, 'self-assessments:write');
    this.checkPeriod(input.periodFrom, input.periodTo);
    const ev = await this.evidence.forPeriod(input.periodFrom, input.periodTo);
    return this.db.transaction().execute(async (trx) => {
      let base: string | null = null;
      if (input.startFrom && input.startFrom !== 'last' && input.startFrom !== 'blank') {
        const b = await trx.selectFrom('self_assessments').select('id').where('id', '=', input.startFrom).executeTakeFirst();
        if (!b) throw new InvalidInput('There is no self-assessment with that id to start from.', 'startFrom');
        base = b.id;
      } else if (input.startFrom !== 'blank') {
        const last = await trx.selectFrom('self_assessments').select('id').orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
        base = last?.id ?? null;
      }
      const prior = base ? await trx.selectFrom('self_assessment_rows').selectAll().where('assessment_id', '=', base).execute() : [];
      const priorBy = new Map(prior.map((r) => [r.provision, r]));
      const now = this.clock();
      const title = input.title?.trim() || `Self-assessment against the Complaint Handling Code, ${inWords(input.periodFrom)} to ${inWords(input.periodTo)}`;
      const a = await trx
        .insertInto('self_assessments')
        .values({
          title,
          period_from: input.periodFrom,
          period_to: input.periodTo,
          reason: input.reason,
          ombudsman_case_ref: input.ombudsmanCaseRef?.trim() || null,
          based_on_id: base,
          evidence_as_at: ev.asAt,
          created_by: actor.id,
          created_at: now,
          updated_at: now,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('self_assessment_rows')
        .values(
          CODE_PROVISIONS.map((p) => {
            const r = priorBy.get(p.id);
            const e = ev.byProvision[p.id];
            return {
              assessment_id: a.id,
              provision: p.id,
              comply: r?.comply ?? null,
              evidence: r?.evidence ?? '',
              commentary: r?.commentary ?? '',
              actions: JSON.stringify(r?.actions ?? []),
              generated_evidence: JSON.stringify(e.sentences),
              flag: e.flag,
              updated_by: actor.id,
              updated_at: now,
            };
          }),
        )
        .execute();
      await recordHistory(trx, actor, { entity: 'self_assessment', entityId: a.id, action: 'self_assessment_started', after: { title, periodFrom: input.periodFrom, periodTo: input.periodTo, reason: input.reason, basedOnId: base } }, now);
      return this.get(actor, a.id, trx);
    });
  }

  private async lock(trx: Db, id: string, version: number) {
    const a = await trx.selectFrom('self_assessments').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!a) throw new NotFound('The self-assessment');
    if (a.version !== version) throw new VersionConflict('The self-assessment', a.version);
    return a;
  }

  private async bump(trx: Db, id: string, extra: Record<string, unknown> = {}) {
    await trx
      .updateTable('self_assessments')
      .set((eb) => ({ version: eb('version', '+', 1), updated_at: this.clock(), ...extra }))
      .where('id', '=', id)
      .execute();
  }

  /** Change answers; each changed field of each provision is recorded in the history. */
  async update(actor: Actor, id: string, version: number, changes: RowChange[]) {
    requirePermission(actor, 'self-assessments:write');
    for (const c of changes) {
      if (!provision(c.provisionId)) throw new InvalidInput(`${c.provisionId} is not a provision on the self-assessment form.`, 'rows');
      for (const act of c.actions ?? []) {
        if (act.dueOn !== null && !isValidLocalDate(act.dueOn)) throw new InvalidInput('An action’s date must be a real date written YYYY-MM-DD.', 'rows');
      }
    }
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx, id, version);
      const changed = await this.applyChanges(trx, actor, id, changes, 'self_assessment_answer_changed');
      if (changed > 0) await this.bump(trx, id);
      return this.get(actor, id, trx);
    });
  }

  private async applyChanges(trx: Db, actor: Actor, id: string, changes: RowChange[], action: string): Promise<number> {
    const now = this.clock();
    const rows = await trx.selectFrom('self_assessment_rows').selectAll().where('assessment_id', '=', id).execute();
    const byId = new Map(rows.map((r) => [r.provision, r]));
    let changed = 0;
    for (const c of changes) {
      const r = byId.get(c.provisionId)!;
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      const current = { comply: r.comply, evidence: r.evidence, commentary: r.commentary, actions: r.actions };
      for (const k of EDIT_FIELDS) {
        if (c[k] === undefined) continue;
        const next = k === 'evidence' || k === 'commentary' ? String(c[k]).trim() : c[k];
        if (JSON.stringify(next) === JSON.stringify(current[k])) continue;
        before[k] = current[k];
        after[k] = next;
      }
      if (Object.keys(after).length === 0) continue;
      changed++;
      await trx
        .updateTable('self_assessment_rows')
        .set({
          ...(after.comply !== undefined ? { comply: after.comply as string | null } : {}),
          ...(after.evidence !== undefined ? { evidence: after.evidence as string } : {}),
          ...(after.commentary !== undefined ? { commentary: after.commentary as string } : {}),
          ...(after.actions !== undefined ? { actions: JSON.stringify(after.actions) } : {}),
          updated_by: actor.id,
          updated_at: now,
        })
        .where('assessment_id', '=', id)
        .where('provision', '=', c.provisionId)
        .execute();
      await recordHistory(trx, actor, { entity: 'self_assessment', entityId: id, action, before: { provision: c.provisionId, ...before }, after: { provision: c.provisionId, ...after } }, now);
    }
    return changed;
  }

  /** Read an existing self-assessment (a table) into this one; returns what was placed and what was not. */
  async importTable(actor: Actor, id: string, version: number, table: string[][], source: string): Promise<{ assessment: Awaited<ReturnType<SelfAssessmentService['get']>>; report: ImportResult & { changed: number } }> {
    requirePermission(actor, 'self-assessments:write');
    const result = importAssessment(table);
    if (result.rows.length === 0) {
      throw new InvalidInput('No rows of the self-assessment could be matched to the Code: each row needs the provision number (for example 1.2) in its first column.', 'file');
    }
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx, id, version);
      const changed = await this.applyChanges(
        trx,
        actor,
        id,
        result.rows.map((r) => ({
          provisionId: r.provisionId,
          comply: r.comply,
          evidence: r.evidence,
          commentary: r.complyText && r.comply === null ? [r.complyText, r.commentary].filter(Boolean).join('\n') : r.commentary,
          ...(r.actions.length ? { actions: r.actions } : {}),
        })),
        'self_assessment_imported',
      );
      await recordHistory(trx, actor, { entity: 'self_assessment', entityId: id, action: 'self_assessment_import', after: { source, matched: result.rows.length, missing: result.missing, unplaced: result.unplaced.length } }, this.clock());
      await this.bump(trx, id);
      return { assessment: await this.get(actor, id, trx), report: { ...result, changed } };
    });
  }

  /** Recompute the product's evidence for the period (the data may have changed since it started). */
  async refreshEvidence(actor: Actor, id: string, version: number) {
    requirePermission(actor, 'self-assessments:write');
    const a = await this.db.selectFrom('self_assessments').select(['period_from', 'period_to']).where('id', '=', id).executeTakeFirst();
    if (!a) throw new NotFound('The self-assessment');
    const ev = await this.evidence.forPeriod(a.period_from, a.period_to);
    return this.db.transaction().execute(async (trx) => {
      await this.lock(trx, id, version);
      for (const p of CODE_PROVISIONS) {
        const e = ev.byProvision[p.id];
        await trx.updateTable('self_assessment_rows').set({ generated_evidence: JSON.stringify(e.sentences), flag: e.flag }).where('assessment_id', '=', id).where('provision', '=', p.id).execute();
      }
      await recordHistory(trx, actor, { entity: 'self_assessment', entityId: id, action: 'self_assessment_evidence_refreshed', after: { asAt: ev.asAt } }, this.clock());
      await this.bump(trx, id, { evidence_as_at: ev.asAt });
      return this.get(actor, id, trx);
    });
  }

  /** Mark it complete (it can still be changed; every change stays in the history). */
  async complete(actor: Actor, id: string, version: number) {
    requirePermission(actor, 'self-assessments:write');
    return this.db.transaction().execute(async (trx) => {
      const a = await this.lock(trx, id, version);
      const missing = await trx.selectFrom('self_assessment_rows').select('provision').where('assessment_id', '=', id).where('comply', 'is', null).execute();
      if (missing.length > 0) {
        throw new InvalidInput(`Answer comply yes or no for every provision before completing: ${missing.length} left (${missing.map((m) => m.provision).slice(0, 8).join(', ')}${missing.length > 8 ? '…' : ''}).`, 'comply');
      }
      const on = londonDateOf(this.clock());
      await recordHistory(trx, actor, { entity: 'self_assessment', entityId: id, action: 'self_assessment_completed', before: { status: a.status }, after: { status: 'final', completedOn: on } }, this.clock());
      await this.bump(trx, id, { status: 'final', completed_on: on });
      return this.get(actor, id, trx);
    });
  }

  /** Who changed what, and when. */
  async history(actor: Actor, id: string) {
    requirePermission(actor, 'self-assessments:read');
    const rows = await this.db.selectFrom('history').selectAll().where('entity', '=', 'self_assessment').where('entity_id', '=', id).orderBy('id').execute();
    return rows.map((h) => ({ action: h.action, by: h.actor_label, byId: h.actor_id, at: new Date(h.at).toISOString(), before: h.before, after: h.after }));
  }
}
