/**
 * The annual complaints performance and service improvement report (Code 8.1, 8.2): one per
 * reporting year, its figures generated from the record, the landlord's text, uploads of the
 * Ombudsman's annual report and other reports, the governing body's response; published by a
 * manager (the published words are frozen as they were). And exceptional circumstances notices
 * (Code 8.5): a record and a public page.
 */
import crypto from 'node:crypto';
import type { Db } from '../db/database.js';
import { buildReport, performanceFigures, reportingYear, type ReportInput, type ReportModel } from '../core/annual-report.js';
import { provision } from '../core/code-provisions.js';
import { isValidLocalDate, londonDateOf, type LocalDate } from '../core/dates.js';
import { REMEDY_TYPE_LABELS } from '../core/remedies.js';
import { requirePermission, type Actor } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import type { EvidenceService } from './evidence.js';
import { recordHistory } from './history.js';
import type { SelfAssessmentService } from './self-assessments.js';
import type { SettingsService } from './settings.js';

export const REPORT_TEXT_FIELDS = {
  introduction: 'introduction',
  performanceCommentary: 'performance_commentary',
  ombudsmanFindings: 'ombudsman_findings_text',
  serviceImprovements: 'service_improvements_text',
  ombudsmanAnnualReport: 'ombudsman_annual_report_text',
  otherReports: 'other_reports_text',
  governingBodyResponse: 'governing_body_response',
} as const;
export type ReportTextField = keyof typeof REPORT_TEXT_FIELDS;

export const FILE_KINDS = ['ombudsman_annual_report', 'other_report'] as const;
export type ReportFileKind = (typeof FILE_KINDS)[number];
const FILE_TYPES: Record<string, string> = { '.pdf': 'application/pdf', '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', '.txt': 'text/plain', '.csv': 'text/csv' };

export interface ReportPatch {
  selfAssessmentId?: string | null;
  governingBodyResponseOn?: LocalDate | null;
  text?: Partial<Record<ReportTextField, string>>;
}

/** Sources from the other parts of the product, set when they are present (see README: wiring). */
export interface ReportSources {
  measures: ((from: LocalDate, to: LocalDate) => Promise<{ label: string; value: string }[] | null>) | null;
  learning: ((from: LocalDate, to: LocalDate) => Promise<{ title: string; status: string; outcome: string | null }[] | null>) | null;
  ombudsmanCases: ((from: LocalDate, to: LocalDate) => Promise<{ reference: string; finding: string; orders: string }[] | null>) | null;
}

type ReportRow = Awaited<ReturnType<AnnualReportService['row']>>;

export class AnnualReportService {
  sources: ReportSources = { measures: null, learning: null, ombudsmanCases: null };

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly evidence: EvidenceService,
    private readonly assessments: SelfAssessmentService,
    private readonly clock: () => Date,
  ) {}

  async row(id: string, trx: Db = this.db) {
    const r = await trx.selectFrom('annual_reports').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound('The annual report');
    return r;
  }

  private view(r: ReportRow) {
    const y = reportingYear(Number(r.year_start.slice(0, 4)));
    return {
      id: r.id,
      yearStart: r.year_start,
      year: y,
      title: r.title,
      selfAssessmentId: r.self_assessment_id,
      text: Object.fromEntries(Object.entries(REPORT_TEXT_FIELDS).map(([k, col]) => [k, (r as any)[col] as string])) as Record<ReportTextField, string>,
      governingBodyResponseOn: r.governing_body_response_on,
      publishedAt: r.published_at ? new Date(r.published_at).toISOString() : null,
      publicPath: r.published_at ? `/annual-report/${y.from.slice(0, 4)}` : null,
      version: r.version,
      updatedAt: new Date(r.updated_at).toISOString(),
    };
  }

  async list(actor: Actor) {
    requirePermission(actor, 'annual-reports:read');
    const rows = await this.db.selectFrom('annual_reports').selectAll().orderBy('year_start', 'desc').execute();
    return rows.map((r) => this.view(r));
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'annual-reports:read');
    const r = await this.row(id);
    return { ...this.view(r), files: await this.files(r.id) };
  }

  async create(actor: Actor, input: { startYear: number; selfAssessmentId?: string | null }) {
    requirePermission(actor, 'annual-reports:write');
    const y = reportingYear(input.startYear);
    const existing = await this.db.selectFrom('annual_reports').select('id').where('year_start', '=', y.from).executeTakeFirst();
    if (existing) throw new InvalidInput(`There is already a report for ${y.label}.`, 'startYear');
    let sa = input.selfAssessmentId ?? null;
    if (sa) await this.checkAssessment(sa);
    else {
      // The latest self-assessment whose period ends in the year, if there is one.
      const latest = await this.db.selectFrom('self_assessments').select('id').where('period_to', '>=', y.from).where('period_to', '<=', y.to).orderBy('created_at', 'desc').executeTakeFirst();
      sa = latest?.id ?? null;
    }
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock();
      const r = await trx
        .insertInto('annual_reports')
        .values({ year_start: y.from, title: `Annual complaints performance and service improvement report ${y.label}`, self_assessment_id: sa, created_by: actor.id, created_at: now, updated_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'annual_report', entityId: r.id, action: 'annual_report_started', after: { year: y.label, selfAssessmentId: sa } }, now);
      return { ...this.view(r), files: [] };
    });
  }

  private async checkAssessment(id: string) {
    const a = await this.db.selectFrom('self_assessments').select('id').where('id', '=', id).executeTakeFirst();
    if (!a) throw new InvalidInput('There is no self-assessment with that id.', 'selfAssessmentId');
  }

  async update(actor: Actor, id: string, version: number, patch: ReportPatch) {
    requirePermission(actor, 'annual-reports:write');
    if (patch.selfAssessmentId) await this.checkAssessment(patch.selfAssessmentId);
    if (patch.governingBodyResponseOn && !isValidLocalDate(patch.governingBodyResponseOn)) throw new InvalidInput('The date must be a real date written YYYY-MM-DD.', 'governingBodyResponseOn');
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('annual_reports').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!r) throw new NotFound('The annual report');
      if (r.version !== version) throw new VersionConflict('The annual report', r.version);
      const set: Record<string, unknown> = {};
      const before: Record<string, unknown> = {};
      const after: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(patch.text ?? {})) {
        const col = REPORT_TEXT_FIELDS[k as ReportTextField];
        const next = String(v ?? '').trim();
        if ((r as any)[col] === next) continue;
        set[col] = next;
        before[k] = (r as any)[col];
        after[k] = next;
      }
      if (patch.selfAssessmentId !== undefined && patch.selfAssessmentId !== r.self_assessment_id) {
        set.self_assessment_id = patch.selfAssessmentId;
        before.selfAssessmentId = r.self_assessment_id;
        after.selfAssessmentId = patch.selfAssessmentId;
      }
      if (patch.governingBodyResponseOn !== undefined && patch.governingBodyResponseOn !== r.governing_body_response_on) {
        set.governing_body_response_on = patch.governingBodyResponseOn;
        before.governingBodyResponseOn = r.governing_body_response_on;
        after.governingBodyResponseOn = patch.governingBodyResponseOn;
      }
      if (Object.keys(set).length === 0) return { ...this.view(r), files: await this.files(id, trx) };
      const now = this.clock();
      await trx.updateTable('annual_reports').set({ ...set, updated_at: now, version: r.version + 1 }).where('id', '=', id).execute();
      await recordHistory(trx, actor, { entity: 'annual_report', entityId: id, action: 'annual_report_changed', before, after }, now);
      return { ...this.view(await this.row(id, trx)), files: await this.files(id, trx) };
    });
  }

  async files(reportId: string, trx: Db = this.db) {
    const rows = await trx.selectFrom('annual_report_files').select(['id', 'kind', 'filename', 'content_type', 'size_bytes', 'description', 'created_at']).where('report_id', '=', reportId).orderBy('created_at').execute();
    return rows.map((f) => ({ id: f.id, kind: f.kind as ReportFileKind, filename: f.filename, contentType: f.content_type, sizeBytes: f.size_bytes, description: f.description, createdAt: new Date(f.created_at).toISOString() }));
  }

  async addFile(actor: Actor, id: string, input: { kind: ReportFileKind; filename: string; data: Buffer; description?: string | null }) {
    requirePermission(actor, 'annual-reports:write');
    await this.row(id);
    const filename = input.filename.trim().replace(/[\\/]/g, '_').slice(0, 200);
    const ext = /\.[a-z0-9]+$/i.exec(filename)?.[0]?.toLowerCase() ?? '';
    const type = FILE_TYPES[ext];
    if (!filename || !type) throw new InvalidInput('The file must be a PDF, Word document, spreadsheet, CSV or text file.', 'file');
    if (input.data.length === 0) throw new InvalidInput('The file is empty.', 'file');
    if (input.data.length > 10 * 1024 * 1024) throw new InvalidInput('The file must be smaller than 10 MB.', 'file');
    if (ext === '.pdf' && input.data.subarray(0, 5).toString('latin1') !== '%PDF-') throw new InvalidInput('The file is not a PDF.', 'file');
    return this.db.transaction().execute(async (trx) => {
      const f = await trx
        .insertInto('annual_report_files')
        .values({ report_id: id, kind: input.kind, filename, content_type: type, size_bytes: input.data.length, sha256: crypto.createHash('sha256').update(input.data).digest('hex'), data: input.data, description: input.description?.trim() || null, uploaded_by: actor.id, created_at: this.clock() })
        .returning(['id'])
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'annual_report', entityId: id, action: 'annual_report_file_added', after: { fileId: f.id, filename, kind: input.kind } }, this.clock());
      return (await this.files(id, trx)).find((x) => x.id === f.id)!;
    });
  }

  /** A file's content: for staff, or for anyone once the report is published. */
  async fileContent(actor: Actor | null, id: string, fileId: string) {
    const r = await this.row(id);
    if (!r.published_at) {
      if (!actor) throw new NotFound('The file');
      requirePermission(actor, 'annual-reports:read');
    }
    const f = await this.db.selectFrom('annual_report_files').selectAll().where('id', '=', fileId).where('report_id', '=', id).executeTakeFirst();
    if (!f) throw new NotFound('The file');
    return { filename: f.filename, contentType: f.content_type, data: f.data };
  }

  /** The report as a document model: the figures from the record for the year, the text, the links. */
  async model(actor: Actor, id: string, hrefBase: string | null = null): Promise<ReportModel> {
    requirePermission(actor, 'annual-reports:read');
    return this.buildModel(await this.row(id), hrefBase);
  }

  private async buildModel(r: ReportRow, hrefBase: string | null): Promise<ReportModel> {
    const y = reportingYear(Number(r.year_start.slice(0, 4)));
    const [{ settings, calendar }, input] = await Promise.all([this.settings.load(), this.evidence.gather(y.from, y.to)]);
    const performance = performanceFigures(input);
    let selfAssessment: ReportInput['selfAssessment'] = null;
    if (r.self_assessment_id) {
      const a = await this.assessments.get({ id: null, name: 'report', role: 'system' }, r.self_assessment_id);
      selfAssessment = { title: a.title, periodFrom: a.periodFrom, periodTo: a.periodTo, status: a.status, completedOn: a.completedOn, rows: a.rows };
    }
    const files = await this.files(r.id);
    const [measures, learning, ombudsmanCases] = await Promise.all([
      this.sources.measures?.(y.from, y.to) ?? null,
      this.sources.learning?.(y.from, y.to) ?? null,
      this.sources.ombudsmanCases?.(y.from, y.to) ?? null,
    ]);
    return buildReport({
      landlordName: settings.landlord.name,
      year: y,
      publishedOn: r.published_at ? londonDateOf(new Date(r.published_at)) : null,
      text: { ...this.view(r).text, governingBodyResponseOn: r.governing_body_response_on },
      performance,
      exclusionGroundLabels: Object.fromEntries(settings.exclusionGrounds.map((g) => [g.key, g.label])),
      remedyTypeLabels: REMEDY_TYPE_LABELS,
      selfAssessment,
      measures,
      learning,
      ombudsmanCases,
      files: files.map((f) => ({ kind: f.kind, filename: f.filename, description: f.description, href: hrefBase ? `${hrefBase}/files/${f.id}` : null })),
    });
  }

  /** Publish (Code 8.2): the words are frozen as published; publishing again refreshes them. */
  async publish(actor: Actor, id: string, version: number) {
    requirePermission(actor, 'annual-reports:publish');
    const r = await this.row(id);
    if (r.version !== version) throw new VersionConflict('The annual report', r.version);
    if (!r.governing_body_response.trim()) throw new InvalidInput('Record the governing body’s response before publishing: the report is published with it (Code 8.2).', 'governingBodyResponse');
    const now = this.clock();
    const model = await this.buildModel({ ...r, published_at: now }, `/annual-report/${r.year_start.slice(0, 4)}`);
    return this.db.transaction().execute(async (trx) => {
      const cur = await trx.selectFrom('annual_reports').select('version').where('id', '=', id).forUpdate().executeTakeFirstOrThrow();
      if (cur.version !== version) throw new VersionConflict('The annual report', cur.version);
      await trx.updateTable('annual_reports').set({ published_at: now, published_by: actor.id, snapshot: JSON.stringify(model), updated_at: now, version: version + 1 }).where('id', '=', id).execute();
      await recordHistory(trx, actor, { entity: 'annual_report', entityId: id, action: 'annual_report_published', after: { publishedAt: now.toISOString() } }, now);
      return { ...this.view(await this.row(id, trx)), files: await this.files(id, trx) };
    });
  }

  async unpublish(actor: Actor, id: string, version: number) {
    requirePermission(actor, 'annual-reports:publish');
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('annual_reports').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!r) throw new NotFound('The annual report');
      if (r.version !== version) throw new VersionConflict('The annual report', r.version);
      await trx.updateTable('annual_reports').set({ published_at: null, published_by: null, snapshot: null, updated_at: this.clock(), version: version + 1 }).where('id', '=', id).execute();
      await recordHistory(trx, actor, { entity: 'annual_report', entityId: id, action: 'annual_report_withdrawn', before: { publishedAt: r.published_at } }, this.clock());
      return { ...this.view(await this.row(id, trx)), files: await this.files(id, trx) };
    });
  }

  /** Published reports, newest first, for the public site. */
  async published() {
    const rows = await this.db.selectFrom('annual_reports').select(['id', 'year_start', 'title', 'published_at']).where('published_at', 'is not', null).orderBy('year_start', 'desc').execute();
    return rows.map((r) => ({ id: r.id, startYear: Number(r.year_start.slice(0, 4)), title: r.title, publishedOn: londonDateOf(new Date(r.published_at!)) }));
  }

  /** The published report for a year, as it was published. */
  async publishedModel(startYear: number): Promise<{ id: string; model: ReportModel } | null> {
    if (!Number.isInteger(startYear) || startYear < 2000 || startYear > 2200) return null;
    const r = await this.db.selectFrom('annual_reports').select(['id', 'snapshot', 'published_at']).where('year_start', '=', `${startYear}-04-01`).executeTakeFirst();
    if (!r || !r.published_at || !r.snapshot) return null;
    return { id: r.id, model: r.snapshot as ReportModel };
  }

  async history(actor: Actor, id: string) {
    requirePermission(actor, 'annual-reports:read');
    const rows = await this.db.selectFrom('history').selectAll().where('entity', '=', 'annual_report').where('entity_id', '=', id).orderBy('id').execute();
    return rows.map((h) => ({ action: h.action, by: h.actor_label, at: new Date(h.at).toISOString(), before: h.before, after: h.after }));
  }
}

// ------------------------------------------------------------------------------------------------
// Exceptional circumstances (Code 8.5)
// ------------------------------------------------------------------------------------------------

export interface NoticeInput {
  title: string;
  circumstances: string;
  effect: string;
  provisions?: string[];
  startsOn: LocalDate;
  expectedReturnOn: LocalDate;
  ombudsmanToldOn?: LocalDate | null;
  residentsToldHow?: string | null;
  published?: boolean;
}

type NoticeRow = Awaited<ReturnType<ExceptionalNoticeService['row']>>;

export class ExceptionalNoticeService {
  constructor(
    private readonly db: Db,
    private readonly clock: () => Date,
  ) {}

  async row(id: string, trx: Db = this.db) {
    const r = await trx.selectFrom('exceptional_notices').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound('The notice');
    return r;
  }

  view(r: NoticeRow) {
    return {
      id: r.id,
      title: r.title,
      circumstances: r.circumstances,
      effect: r.effect,
      provisions: r.provisions as string[],
      startsOn: r.starts_on,
      expectedReturnOn: r.expected_return_on,
      endedOn: r.ended_on,
      ombudsmanToldOn: r.ombudsman_told_on,
      residentsToldHow: r.residents_told_how,
      published: r.published,
      version: r.version,
      createdAt: new Date(r.created_at).toISOString(),
    };
  }

  private check(input: Partial<NoticeInput>) {
    for (const k of ['startsOn', 'expectedReturnOn', 'ombudsmanToldOn'] as const) {
      const v = input[k];
      if (v && !isValidLocalDate(v)) throw new InvalidInput('Enter a real date written YYYY-MM-DD.', k);
    }
    if (input.startsOn && input.expectedReturnOn && input.expectedReturnOn < input.startsOn) throw new InvalidInput('The date you expect to comply again must be on or after the start.', 'expectedReturnOn');
    for (const p of input.provisions ?? []) if (!provision(p)) throw new InvalidInput(`${p} is not a provision of the Code.`, 'provisions');
  }

  async list(actor: Actor) {
    requirePermission(actor, 'exceptional-notices:manage');
    const rows = await this.db.selectFrom('exceptional_notices').selectAll().orderBy('starts_on', 'desc').orderBy('id').execute();
    return rows.map((r) => this.view(r));
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'exceptional-notices:manage');
    return this.view(await this.row(id));
  }

  async create(actor: Actor, input: NoticeInput) {
    requirePermission(actor, 'exceptional-notices:manage');
    this.check(input);
    return this.db.transaction().execute(async (trx) => {
      const now = this.clock();
      const r = await trx
        .insertInto('exceptional_notices')
        .values({
          title: input.title.trim(),
          circumstances: input.circumstances.trim(),
          effect: input.effect.trim(),
          provisions: JSON.stringify(input.provisions ?? []),
          starts_on: input.startsOn,
          expected_return_on: input.expectedReturnOn,
          ombudsman_told_on: input.ombudsmanToldOn ?? null,
          residents_told_how: input.residentsToldHow?.trim() ?? '',
          published: input.published ?? true,
          created_by: actor.id,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await recordHistory(trx, actor, { entity: 'exceptional_notice', entityId: r.id, action: 'exceptional_notice_recorded', after: this.view(r) }, now);
      return this.view(r);
    });
  }

  async update(actor: Actor, id: string, version: number, patch: Partial<NoticeInput> & { endedOn?: LocalDate | null }) {
    requirePermission(actor, 'exceptional-notices:manage');
    this.check(patch);
    if (patch.endedOn && !isValidLocalDate(patch.endedOn)) throw new InvalidInput('Enter a real date written YYYY-MM-DD.', 'endedOn');
    return this.db.transaction().execute(async (trx) => {
      const r = await trx.selectFrom('exceptional_notices').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
      if (!r) throw new NotFound('The notice');
      if (r.version !== version) throw new VersionConflict('The notice', r.version);
      const set: Record<string, unknown> = {};
      if (patch.title !== undefined) set.title = patch.title.trim();
      if (patch.circumstances !== undefined) set.circumstances = patch.circumstances.trim();
      if (patch.effect !== undefined) set.effect = patch.effect.trim();
      if (patch.provisions !== undefined) set.provisions = JSON.stringify(patch.provisions);
      if (patch.startsOn !== undefined) set.starts_on = patch.startsOn;
      if (patch.expectedReturnOn !== undefined) set.expected_return_on = patch.expectedReturnOn;
      if (patch.ombudsmanToldOn !== undefined) set.ombudsman_told_on = patch.ombudsmanToldOn;
      if (patch.residentsToldHow !== undefined) set.residents_told_how = patch.residentsToldHow?.trim() ?? '';
      if (patch.published !== undefined) set.published = patch.published;
      if (patch.endedOn !== undefined) set.ended_on = patch.endedOn;
      const startsOn = (set.starts_on as string | undefined) ?? r.starts_on;
      const returnOn = (set.expected_return_on as string | undefined) ?? r.expected_return_on;
      const endedOn = set.ended_on === undefined ? r.ended_on : (set.ended_on as string | null);
      if (returnOn < startsOn) throw new InvalidInput('The date you expect to comply again must be on or after the start.', 'expectedReturnOn');
      if (endedOn && endedOn < startsOn) throw new InvalidInput('The end must be on or after the start.', 'endedOn');
      const now = this.clock();
      await trx.updateTable('exceptional_notices').set({ ...set, updated_at: now, version: r.version + 1 }).where('id', '=', id).execute();
      const after = await this.row(id, trx);
      await recordHistory(trx, actor, { entity: 'exceptional_notice', entityId: id, action: 'exceptional_notice_changed', before: this.view(r), after: this.view(after) }, now);
      return this.view(after);
    });
  }

  /** Published notices in force now or ended within the last 90 days, for the public page. */
  async current() {
    const today = londonDateOf(this.clock());
    const since = new Date(this.clock().getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
    const rows = await this.db
      .selectFrom('exceptional_notices')
      .selectAll()
      .where('published', '=', true)
      .where('starts_on', '<=', today)
      .where((eb) => eb.or([eb('ended_on', 'is', null), eb('ended_on', '>=', since)]))
      .orderBy('starts_on', 'desc')
      .execute();
    return rows.map((r) => ({ ...this.view(r), inForce: !r.ended_on || r.ended_on > today }));
  }
}
