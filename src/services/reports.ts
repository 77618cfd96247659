/**
 * Reports: counts the measures over the stored facts and hands the counts to the pure arithmetic
 * in `src/core/measures.ts`.
 *
 * Facts come from the engine: each complaint's events are folded by `project` (lifecycle.ts) into
 * per-stage facts (`complaintFacts`), which the engine stores in the same transaction as the
 * events (stage-facts.ts; a calendar change folds them all again, and so does start-up for any
 * left stale). A report only reads: it counts them in PostgreSQL (measure-queries.ts), a year's
 * figures in one grouped query, with nothing held in memory between requests.
 *
 * API for other reports (self-assessment, annual report):
 * - `facts(asOf)`: ComplaintFacts of every complaint received on or before `asOf`.
 * - `tsmFor(actor, year, withIds?)`: CH01, CH02 and TP09 with the settings used.
 * - `drill(actor, year, figure)`: the complaints behind one figure.
 * - `dashboardFor(actor, from, to)`: the dashboard's figures for a period, with remedies.
 */
import { sql } from 'kysely';
import { z, ZodError } from 'zod';
import type { Db } from '../db/database.js';
import { isValidLocalDate, londonDateOf, type LocalDate } from '../core/dates.js';
import {
  SATISFACTION_ANSWERS,
  dashboardFromTally,
  tsmAsOf,
  tsmFromTallies,
  previousPeriod,
  reportingYear,
  reportingYearOf,
  CH02_BASIS_LABELS,
  CHANNEL_REPORT_LABELS,
  MEASURES_VERSION,
  OUTCOME_REPORT_LABELS,
  TENURE_LABELS,
  tp09,
  type TsmTallyFigure,
  type ComplaintFacts,
  type DashboardTally,
  type HomeCounts,
  type SatisfactionAnswer,
  type SurveyResponse,
  type Tenure,
} from '../core/measures.js';
import { parseCsv } from '../core/csv.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import { InvalidInput } from './errors.js';
import { recordHistory } from './history.js';
import { puttingThingsRightFigures, type FigureSources, type PuttingThingsRightFigures } from './remedy-figures.js';
import type { SettingsService } from './settings.js';
import type { ReportBlock, ReportDocument } from './report-documents.js';
import { dashboardTally, storedFacts, tsmFigureFacts, tsmTallies } from './measure-queries.js';
import { reportGate } from './report-gate.js';
import { SharedRuns } from './shared-runs.js';
import { formatCount, formatPounds } from '../core/numbers.js';

export const reportSettingsSchema = z
  .object({
    /** Which CH02 figure the landlord submits. */
    ch02Basis: z.enum(['original', 'compliant']),
    /** The tenure of a complaint with no resident (anonymous). */
    unknownTenure: z.enum(['LCRA', 'LCHO', 'other']),
  })
  .strict();
export type ReportSettings = z.infer<typeof reportSettingsSchema>;
export const DEFAULT_REPORT_SETTINGS: ReportSettings = { ch02Basis: 'compliant', unknownTenure: 'LCRA' };

const SETTINGS_KEY = 'reports';

/** Survey CSV columns, in this order (a header row is required; extra columns are ignored). */
export const SURVEY_COLUMNS = ['respondent_ref', 'surveyed_on', 'tenure', 'complained_last_12_months', 'complaints_handling_satisfaction'] as const;
export const MAX_SURVEY_ROWS = 100_000;

/** Which figure of the measures to list the complaints of. */
export const figureSchema = z
  .object({
    measure: z.enum(['ch01', 'ch02']),
    stage: z.coerce.number().pipe(z.union([z.literal(1), z.literal(2)])),
    tenure: z.enum(['LCRA', 'LCHO', 'total', 'other']),
    line: z.enum(['received', 'refused', 'withdrawn', 'responded', 'onTimeOriginal', 'onTimeCompliant', 'lateOriginal', 'lateCompliant', 'openPastOriginal', 'openPastCompliant']),
  })
  .strict();
export type Figure = z.infer<typeof figureSchema>;
const CH01_LINES = ['received', 'refused', 'withdrawn'];

export const FIGURE_LINE_LABELS: Record<Figure['line'], string> = {
  received: 'received',
  refused: 'received, of which refused',
  withdrawn: 'received, of which withdrawn',
  responded: 'responded to in the year',
  onTimeOriginal: 'responded to by the original date',
  onTimeCompliant: 'responded to by the date after compliant extensions',
  lateOriginal: 'responded to after the original date',
  lateCompliant: 'responded to after the date after compliant extensions',
  openPastOriginal: 'open at the year’s end, past the original date',
  openPastCompliant: 'open at the year’s end, past the date after compliant extensions',
};

type Clock = () => Date;

/** What a dashboard reads: its counts, the putting-things-right figures and the settings. */
type DashboardReads = readonly [DashboardTally, PuttingThingsRightFigures | null, Awaited<ReturnType<SettingsService['load']>>];

export class ReportService {
  private readonly dashboardRuns = new SharedRuns<DashboardReads>();

  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    /** Remedies, actions, the learning register and Ombudsman cases (their figures for the dashboard and the pack). */
    private readonly sources: FigureSources | null,
    private readonly clock: Clock = () => new Date(),
  ) {}

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  // ------------------------------------------------------------------ settings

  async reportSettings(): Promise<ReportSettings> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', SETTINGS_KEY).executeTakeFirst();
    const parsed = reportSettingsSchema.partial().safeParse(row?.value ?? {});
    return { ...DEFAULT_REPORT_SETTINGS, ...(parsed.success ? parsed.data : {}) };
  }

  async updateReportSettings(actor: Actor, patch: Partial<ReportSettings>): Promise<ReportSettings> {
    requirePermission(actor, 'reports:manage');
    const before = await this.reportSettings();
    const next = reportSettingsSchema.parse({ ...before, ...patch });
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('settings')
        .values({ key: SETTINGS_KEY, value: JSON.stringify(next), updated_by: actor.id })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(next), updated_by: actor.id, updated_at: this.clock() }))
        .execute();
      await recordHistory(trx, actor, { entity: 'settings', action: 'settings_reports_changed', before, after: next }, this.clock());
    });
    return next;
  }

  async homeCounts(): Promise<{ year: number; label: string; LCRA: number | null; LCHO: number | null }[]> {
    const rows = await this.db.selectFrom('tsm_home_counts').selectAll().orderBy('year', 'desc').execute();
    return rows.map((r) => ({ year: r.year, label: reportingYear(r.year).label, LCRA: r.lcra, LCHO: r.lcho }));
  }

  async homeCountsFor(year: number): Promise<HomeCounts> {
    const r = await this.db.selectFrom('tsm_home_counts').selectAll().where('year', '=', year).executeTakeFirst();
    return { LCRA: r?.lcra ?? null, LCHO: r?.lcho ?? null };
  }

  async setHomeCounts(actor: Actor, year: number, homes: HomeCounts): Promise<HomeCounts> {
    requirePermission(actor, 'reports:manage');
    checkYear(year);
    for (const k of ['LCRA', 'LCHO'] as const) {
      const v = homes[k];
      if (v !== null && (!Number.isInteger(v) || v < 0 || v > 10_000_000)) throw new InvalidInput(`Homes (${k}) must be a whole number from 0 to 10,000,000.`, k);
    }
    const before = await this.homeCountsFor(year);
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('tsm_home_counts')
        .values({ year, lcra: homes.LCRA, lcho: homes.LCHO, updated_by: actor.id, updated_at: this.clock() })
        .onConflict((oc) => oc.column('year').doUpdateSet({ lcra: homes.LCRA, lcho: homes.LCHO, updated_by: actor.id, updated_at: this.clock() }))
        .execute();
      await recordHistory(trx, actor, { entity: 'settings', action: 'settings_home_counts_changed', before: { year, ...before }, after: { year, ...homes } }, this.clock());
    });
    return homes;
  }

  // ------------------------------------------------------------------ facts

  /** The facts of every complaint received on or before `receivedBy` (a London date), from the stored facts. */
  async facts(receivedBy: LocalDate): Promise<ComplaintFacts[]> {
    const rs = await this.reportSettings();
    return storedFacts(this.db, { receivedBy }, rs.unknownTenure);
  }

  // ------------------------------------------------------------------ the measures

  /**
   * CH01, CH02 and TP09 for the reporting year starting 1 April `year`, counted in SQL over the
   * stored facts; with the complaint ids behind every figure only when `withIds`.
   */
  async tsmFor(actor: Actor, year: number, withIds = false) {
    requirePermission(actor, 'reports:read');
    checkYear(year);
    const y = reportingYear(year);
    const today = this.today();
    const [rs, homes, responses] = await Promise.all([this.reportSettings(), this.homeCountsFor(year), this.surveyResponses(y.from, y.to)]);
    const tallies = await tsmTallies(this.db, y, today, rs.unknownTenure, withIds);
    const result = tsmFromTallies(tallies, { year, homes, asOf: today, basis: rs.ch02Basis });
    return { ...result, tp09: tp09(responses, year), settings: rs };
  }

  /** The complaints behind one figure, with the dates that put them there. */
  async drill(actor: Actor, year: number, figure: Figure) {
    requirePermission(actor, 'reports:read');
    checkYear(year);
    const line = figureLine(figure);
    const y = reportingYear(year);
    const today = this.today();
    const rs = await this.reportSettings();
    const facts = await tsmFigureFacts(this.db, y, today, rs.unknownTenure, figure.stage, figure.tenure, line);
    const items = facts.map((f) => drillRow(f, f.stages.find((x) => x.stage === figure.stage)!));
    items.sort((a, b) => a.startedOn.localeCompare(b.startedOn) || a.reference.localeCompare(b.reference));
    return { measuresVersion: MEASURES_VERSION, year: y, asOf: tsmAsOf(y, today), figure, label: FIGURE_LINE_LABELS[figure.line], count: items.length, items };
  }

  /** The TSM result for JSON: each figure's complaint ids only when asked for. */
  async tsmJson(actor: Actor, year: number, withIds: boolean) {
    const r = await this.tsmFor(actor, year, withIds);
    if (withIds) return r;
    return JSON.parse(JSON.stringify(r, (k, v) => (k === 'ids' ? undefined : v)));
  }

  // ------------------------------------------------------------------ TP09 surveys

  async surveyResponses(from: LocalDate, to: LocalDate): Promise<SurveyResponse[]> {
    const rows = await this.db.selectFrom('survey_responses').selectAll().where('surveyed_on', '>=', from).where('surveyed_on', '<=', to).execute();
    return rows.map((r) => ({
      id: r.id,
      respondentRef: r.respondent_ref,
      surveyedOn: r.surveyed_on,
      tenure: r.tenure as 'LCRA' | 'LCHO',
      complainedLast12Months: r.complained,
      answer: r.answer as SatisfactionAnswer | null,
    }));
  }

  async surveyImports() {
    return this.db
      .selectFrom('survey_imports')
      .leftJoin('users', 'users.id', 'survey_imports.imported_by')
      .select(['survey_imports.id', 'survey_imports.source', 'survey_imports.rows', 'survey_imports.imported_at', 'users.name as imported_by_name'])
      .orderBy('survey_imports.imported_at', 'desc')
      .execute();
  }

  /**
   * Import survey answers from CSV (format in SURVEY_COLUMNS and the README). Every row is checked
   * first; any problem refuses the whole file with each row's and field's error, nothing stored.
   */
  async importSurvey(actor: Actor, csv: string, source: string) {
    requirePermission(actor, 'reports:manage');
    const parsed = parseSurveyCsv(csv);
    const name = source.trim().slice(0, 200) || 'survey.csv';
    return this.db.transaction().execute(async (trx) => {
      const imp = await trx.insertInto('survey_imports').values({ source: name, rows: parsed.length, imported_by: actor.id, imported_at: this.clock() }).returning('id').executeTakeFirstOrThrow();
      for (let i = 0; i < parsed.length; i += 1000) {
        await trx
          .insertInto('survey_responses')
          .values(parsed.slice(i, i + 1000).map((r) => ({ import_id: imp.id, respondent_ref: r.respondentRef, surveyed_on: r.surveyedOn, tenure: r.tenure, complained: r.complainedLast12Months, answer: r.answer })))
          .execute();
      }
      await recordHistory(trx, actor, { entity: 'survey_import', entityId: imp.id, action: 'survey_imported', after: { source: name, rows: parsed.length } }, this.clock());
      return { id: imp.id, source: name, rows: parsed.length };
    });
  }

  async deleteSurveyImport(actor: Actor, id: string) {
    requirePermission(actor, 'reports:manage');
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.deleteFrom('survey_imports').where('id', '=', id).returning(['id', 'source', 'rows']).executeTakeFirst();
      if (!row) throw new InvalidInput('There is no survey import with that id.', 'id');
      await recordHistory(trx, actor, { entity: 'survey_import', entityId: id, action: 'survey_import_removed', before: row }, this.clock());
      return row;
    });
  }

  // ------------------------------------------------------------------ the dashboard

  /**
   * The dashboard's figures for a period (London dates, both ends included). `breakdown`: the
   * compensation by head of award and against the guidance bands too (the API gives them; the
   * dashboard page and the MRC pack do not show them, and are quicker without).
   */
  async dashboardFor(actor: Actor, from: LocalDate, to: LocalDate, { breakdown = true }: { breakdown?: boolean } = {}) {
    requirePermission(actor, 'reports:read');
    checkPeriod(from, to);
    const today = this.today();
    // The counts and the putting-things-right figures side by side, one heavy report at a time per
    // gate; the same period asked for by several people at once is read once for them all, never
    // before any of them asked (shared-runs.ts).
    const [tally, ptr, { settings }] = await this.dashboardRuns.run(`${from}|${to}|${today}|${breakdown}`, () =>
      reportGate.run(() => Promise.all([dashboardTally(this.db, from, to, today), this.sources ? puttingThingsRightFigures(this.sources, from, to, { breakdown }) : null, this.settings.load()] as const)),
    );
    const figures = dashboardFromTally(tally, { from, to, asOf: today });
    const groundLabels = Object.fromEntries(settings.exclusionGrounds.map((g) => [g.key, g.label]));
    return {
      ...figures,
      groundLabels,
      /** Remedies by type, compensation and outstanding actions (RemedyService.figures). */
      remedies: ptr,
      /** Learning register (Code 9.1–9.3): items recorded, improvements made, themes by root cause, area and category. */
      learning: ptr?.learning ?? null,
      /** Ombudsman cases: determinations, findings by kind and issue, severe maladministration, orders and their progress. */
      ombudsman: ptr?.ombudsman ?? null,
    };
  }
  // ------------------------------------------------------------------ the MRC pack

  /**
   * The pack for the Member Responsible for Complaints and the governing body (Code 9.6, 9.7):
   * volumes, categories, outcomes, performance, trends against the previous period of the same
   * length, the regulator's measures for the year, refusals, remedies and compensation, actions,
   * and the places for Ombudsman outcomes, order progress, learning and the annual report.
   */
  async mrcPack(actor: Actor, from: LocalDate, to: LocalDate): Promise<ReportDocument> {
    const d = await this.dashboardFor(actor, from, to, { breakdown: false });
    const prev = previousPeriod(from, to);
    const today = this.today();
    const prevFigures = dashboardFromTally(await dashboardTally(this.db, prev.from, prev.to, today), { ...prev, asOf: today });
    const ty = reportingYearOf(to < today ? to : today);
    const t = await this.tsmFor(actor, ty);
    const { settings } = await this.settings.load();
    const pct = (v: number | null) => (v === null ? '–' : `${v.toFixed(1)}%`);
    const num = formatCount;
    const money = (p: number) => formatPounds(p);
    const change = (a: number, b: number) => (b === 0 ? (a === 0 ? 'no change' : 'new') : `${a >= b ? '+' : ''}${Math.round(((a - b) / b) * 100)}%`);
    const bucketRows = (bs: { key: string; count: number }[], labels: Record<string, string> = {}, total?: number) =>
      bs.map((b) => [labels[b.key] ?? b.key, num(b.count), pct(total ? Math.round((b.count / total) * 1000) / 10 : null)]);
    const blocks: ReportBlock[] = [];
    const s1 = d.received.stage1.count;
    blocks.push(
      { type: 'heading', text: 'About this pack' },
      {
        type: 'paragraph',
        text: `This pack gives the Member Responsible for Complaints and the governing body the information the Complaint Handling Code asks for (provision 9.7): volumes, categories and outcomes of complaints, performance, issues and trends, the outcomes of Ombudsman investigations and progress on orders, and the annual report. Every figure comes from the complaint record in Putright. Trends compare ${formatPeriod(from, to)} with the ${Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1} days before it (${formatPeriod(prev.from, prev.to)}).`,
      },
      { type: 'heading', text: 'Volumes and trends' },
      {
        type: 'table',
        caption: 'Complaints received',
        header: ['', 'This period', 'Previous period', 'Change'],
        rows: [
          ['Stage 1 complaints received', num(s1), num(prevFigures.received.stage1.count), change(s1, prevFigures.received.stage1.count)],
          ['Stage 2 escalations received', num(d.received.stage2.count), num(prevFigures.received.stage2.count), change(d.received.stage2.count, prevFigures.received.stage2.count)],
          ['Escalation rate (escalations over stage 1 responses)', pct(d.escalation.percent), pct(prevFigures.escalation.percent), ''],
        ],
      },
      { type: 'table', caption: 'Received month by month', header: ['Month', 'Stage 1', 'Stage 2'], rows: d.byMonth.map((m) => [monthLabel(m.month), num(m.stage1), num(m.stage2)]) },
      { type: 'heading', text: 'Categories' },
      { type: 'table', caption: 'Stage 1 complaints by service area', header: ['Service area', 'Complaints', 'Share'], rows: bucketRows(d.byServiceArea, {}, s1) },
      { type: 'table', caption: 'Stage 1 complaints by category', header: ['Category', 'Complaints', 'Share'], rows: bucketRows(d.byCategory, {}, s1) },
      { type: 'table', caption: 'Stage 1 complaints by how they were made', header: ['Channel', 'Complaints', 'Share'], rows: bucketRows(d.byChannel, CHANNEL_REPORT_LABELS, s1) },
      { type: 'heading', text: 'Outcomes' },
      ...d.outcomes.map(
        (o): ReportBlock => ({
          type: 'table',
          caption: `Stage ${o.stage} responses by outcome`,
          header: ['Outcome', 'Responses', 'Share'],
          rows: bucketRows(o.buckets, OUTCOME_REPORT_LABELS, o.buckets.reduce((n, b) => n + b.count, 0)),
        }),
      ),
      { type: 'heading', text: 'Performance' },
      {
        type: 'table',
        caption: `Timeliness (targets: ${settings.targets.acknowledgementOnTime}% acknowledged and ${settings.targets.responseOnTime}% answered on time)`,
        header: ['', 'Stage 1', 'Stage 2'],
        rows: [
          ['Acknowledged in the period', ...d.timeliness.map((x) => num(x.acknowledged.count))],
          ['Acknowledged within 5 working days', ...d.timeliness.map((x) => pct(x.percentAcknowledgedOnTime))],
          ['Responses sent in the period', ...d.timeliness.map((x) => num(x.responded.count))],
          ['On time against the original date', ...d.timeliness.map((x) => pct(x.percentOnTimeOriginal))],
          ['On time after Code-compliant extensions', ...d.timeliness.map((x) => pct(x.percentOnTimeCompliant))],
          ['Open and past the response date at the end', ...d.timeliness.map((x) => num(x.openPastDue.count))],
        ],
      },
      {
        type: 'table',
        caption: 'Extensions told to residents in the period',
        header: ['', 'Stage 1', 'Stage 2'],
        rows: [
          ['Complaints extended', ...d.extensions.map((x) => num(x.extended.count))],
          ['Every extension Code-compliant', ...d.extensions.map((x) => num(x.compliant.count))],
          ['Beyond the cap with a good reason', ...d.extensions.map((x) => num(x.beyondCapWithGoodReason.count))],
          ['Told after the date had passed', ...d.extensions.map((x) => num(x.toldLate.count))],
        ],
      },
      { type: 'heading', text: `The regulator’s measures, ${t.year.label} (to ${formatDay(t.asOf)})` },
      {
        type: 'table',
        caption: 'CH01: complaints received per 1,000 homes',
        header: ['', 'Homes', 'Stage 1', 'Per 1,000', 'Stage 2', 'Per 1,000'],
        rows: (['LCRA', 'LCHO', 'total'] as const).map((k) => {
          const a = t.stages[0].ch01.find((l) => l.tenure === k)!;
          const b = t.stages[1].ch01.find((l) => l.tenure === k)!;
          return [TENURE_LABELS[k], a.homes === null ? 'not entered' : num(a.homes), num(a.received.count), a.per1000 === null ? '–' : a.per1000.toFixed(2), num(b.received.count), b.per1000 === null ? '–' : b.per1000.toFixed(2)];
        }),
      },
      {
        type: 'table',
        caption: `CH02: responses within the Code’s timescales (submitted: ${CH02_BASIS_LABELS[t.basis].toLowerCase()})`,
        header: ['', 'Stage 1 original', 'Stage 1 extended', 'Stage 2 original', 'Stage 2 extended', 'Open past date'],
        rows: (['LCRA', 'LCHO', 'total'] as const).map((k) => {
          const a = t.stages[0].ch02.find((l) => l.tenure === k)!;
          const b = t.stages[1].ch02.find((l) => l.tenure === k)!;
          return [TENURE_LABELS[k], pct(a.percentOriginal), pct(a.percentCompliant), pct(b.percentOriginal), pct(b.percentCompliant), num(a.openPastOriginal.count + b.openPastOriginal.count)];
        }),
      },
      {
        type: 'paragraph',
        text:
          t.tp09.responses === 0
            ? `TP09 (satisfaction with the approach to complaints handling): no survey answers dated in ${t.year.label} have been imported yet.`
            : `TP09 (satisfaction with the approach to complaints handling), from ${num(t.tp09.responses)} survey answers: ${t.tp09.lines.map((l) => `${l.tenure === 'total' ? 'all' : l.tenure} ${pct(l.percent)} of ${num(l.asked.count)} who complained and answered`).join('; ')}.`,
      },
      { type: 'heading', text: 'Refusals' },
      {
        type: 'table',
        caption: 'Complaints not accepted, and escalations refused, by ground',
        header: ['Ground', 'Not accepted', 'Escalation refused'],
        rows: refusalRows(d),
      },
    );
    const r = d.remedies;
    if (r) {
      blocks.push(
        { type: 'heading', text: 'Putting things right' },
        {
          type: 'table',
          caption: 'Remedies by type',
          header: ['Remedy', 'Recorded', 'Completed', 'By its date', 'Late', 'No date set', 'Overdue at end'],
          rows: r.remedies.byType
            .filter((x) => x.recorded || x.completed || x.openAtEnd)
            .map((x) => [x.label, num(x.recorded), num(x.completed), num(x.completedOnTime), num(x.completedLate), num(x.completedWithoutDate), num(x.overdueAtEnd)]),
        },
        {
          type: 'table',
          caption: 'Compensation',
          header: ['', 'Number', 'Amount'],
          rows: (['offered', 'accepted', 'declined', 'lapsed', 'paid', 'acceptedUnpaidAtEnd'] as const).map((k) => [COMPENSATION_LABELS[k], num(r.compensation[k].count), money(r.compensation[k].totalPence)]),
        },
        {
          type: 'table',
          caption: 'Outstanding actions (Code 6.6, 7.3)',
          header: ['', 'Number'],
          rows: [
            ['Recorded in the period', num(r.actions.recorded)],
            ['Completed in the period', num(r.actions.completed)],
            ['Completed by their date', num(r.actions.completedOnTime)],
            ['Open at the end', num(r.actions.openAtEnd)],
            ['Overdue at the end', num(r.actions.overdueAtEnd)],
          ],
        },
      );
    }
    const om = d.ombudsman;
    const lr = d.learning;
    blocks.push({ type: 'heading', text: 'Ombudsman investigations and orders' });
    if (om) {
      blocks.push(
        {
          type: 'paragraph',
          text:
            om.determinations === 0
              ? `${num(om.casesOpened)} Ombudsman case${om.casesOpened === 1 ? '' : 's'} opened in the period and no determinations made.`
              : `${num(om.casesOpened)} Ombudsman case${om.casesOpened === 1 ? '' : 's'} opened and ${num(om.determinations)} determination${om.determinations === 1 ? '' : 's'} made in the period: ${num(om.overall.maladministration)} with maladministration on every issue, ${num(om.overall.partial_maladministration)} with partial maladministration, ${num(om.overall.no_maladministration)} with none; ${num(om.severeMaladministration)} with a finding of severe maladministration.`,
        },
        { type: 'table', caption: 'Findings in determinations made in the period, by issue', header: ['Finding', 'Issues'], rows: om.findingsByKind.filter((f) => f.count > 0).map((f) => [f.label, num(f.count)]) },
        {
          type: 'table',
          caption: 'Progress on orders (including those made after severe maladministration findings)',
          header: ['', 'Number'],
          rows: [
            ['Orders made in the period', num(om.orders.made)],
            ['Recommendations made', num(om.orders.recommendationsMade)],
            ['Compensation ordered', money(om.orders.compensationOrderedPence)],
            ['Complied with in the period', num(om.orders.compliedInPeriod)],
            ['Complied with by the date ordered', num(om.orders.compliedOnTime)],
            ['Evidence of compliance sent to the Ombudsman', num(om.orders.evidenceSentInPeriod)],
            ['Orders open at the end', num(om.orders.openAtEnd)],
            ['Orders overdue at the end', num(om.orders.overdueAtEnd)],
            ['Information requests answered late', num(om.informationRequests.repliedLate)],
            ['Information requests overdue at the end', num(om.informationRequests.overdueAtEnd)],
          ],
        },
      );
    } else {
      blocks.push({ type: 'paragraph', text: 'The Ombudsman case register is not available, so no investigation outcomes or orders are shown.' });
    }
    blocks.push(
      { type: 'heading', text: 'Issues, trends and learning' },
      {
        type: 'paragraph',
        text: `The largest service areas this period were ${d.byServiceArea.slice(0, 3).map((b) => `${b.key} (${num(b.count)})`).join(', ') || 'none'}; the largest categories ${d.byCategory.slice(0, 3).map((b) => `${b.key} (${num(b.count)})`).join(', ') || 'none'}.${lr ? ` ${num(lr.recorded)} learning item${lr.recorded === 1 ? ' was' : 's were'} recorded (${num(lr.promptedByUpheldResponses)} from upheld responses) and ${num(lr.improvementsMade)} improvement${lr.improvementsMade === 1 ? '' : 's'} made; ${num(lr.withoutImprovementAtEnd)} still had no improvement at the end.` : ''}`,
      },
    );
    if (lr) blocks.push({ type: 'table', caption: 'Learning recorded by root cause', header: ['Root cause', 'Items'], rows: lr.themes.byCause.map((c) => [c.label, num(c.total)]) });
    blocks.push(
      { type: 'heading', text: 'Annual report' },
      {
        type: 'paragraph',
        text: 'The annual complaints performance and service improvement report (Code 8.1), with the self-assessment against the Code, goes to the governing body once a year and is published with its response (Code 8.2). It is produced from the same record.',
      },
    );
    return {
      title: 'Complaints pack for the Member Responsible for Complaints',
      subtitle: formatPeriod(from, to),
      landlordName: settings.landlord.name,
      colour: settings.landlord.primaryColour,
      provenance: `Produced ${formatDay(today)} from the complaint record. Measure logic ${MEASURES_VERSION}.`,
      blocks,
    };
  }
}

const COMPENSATION_LABELS = {
  offered: 'Offered',
  accepted: 'Accepted',
  declined: 'Declined',
  lapsed: 'Lapsed',
  paid: 'Paid',
  acceptedUnpaidAtEnd: 'Accepted, not yet paid, at the end',
} as const;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
export function monthLabel(ym: string): string {
  return `${MONTHS[Number(ym.slice(5, 7)) - 1]} ${ym.slice(0, 4)}`;
}
export function formatDay(d: LocalDate): string {
  return `${Number(d.slice(8, 10))} ${MONTHS[Number(d.slice(5, 7)) - 1]} ${d.slice(0, 4)}`;
}
export function formatPeriod(from: LocalDate, to: LocalDate): string {
  return `${formatDay(from)} to ${formatDay(to)}`;
}

function refusalRows(d: { refusals: { kind: string; buckets: { key: string; count: number }[] }[]; groundLabels: Record<string, string> }) {
  const keys = new Set(d.refusals.flatMap((r) => r.buckets.map((b) => b.key)));
  return [...keys].map((k) => [
    d.groundLabels[k] ?? k,
    String(d.refusals[0].buckets.find((b) => b.key === k)?.count ?? 0),
    String(d.refusals[1].buckets.find((b) => b.key === k)?.count ?? 0),
  ]);
}

export function checkYear(year: number) {
  if (!Number.isInteger(year) || year < 2000 || year > 2200) throw new InvalidInput('The year must be the calendar year the reporting year starts in, e.g. 2025 for 2025/26.', 'year');
}

export function checkPeriod(from: LocalDate, to: LocalDate) {
  if (!isValidLocalDate(from)) throw new InvalidInput('The start date must be a real date written YYYY-MM-DD.', 'from');
  if (!isValidLocalDate(to)) throw new InvalidInput('The end date must be a real date written YYYY-MM-DD.', 'to');
  if (to < from) throw new InvalidInput('The period ends before it starts.', 'to');
  if (Number(to.slice(0, 4)) - Number(from.slice(0, 4)) > 10) throw new InvalidInput('The period can be at most ten years long.', 'to');
}

/** The tally figure a drill-down asks for, refused when it does not belong to the measure named. */
function figureLine(f: Figure): TsmTallyFigure {
  if (CH01_LINES.includes(f.line)) {
    if (f.measure !== 'ch01') throw new InvalidInput(`CH02 has no "${f.line}" figure.`, 'line');
  } else if (f.measure !== 'ch02') throw new InvalidInput(`CH01 has no "${f.line}" figure.`, 'line');
  return f.line;
}

export interface DrillRow {
  id: string;
  reference: string;
  tenure: string;
  stage: number;
  startedOn: LocalDate;
  acknowledgedOn: LocalDate | null;
  dueOriginal: LocalDate;
  dueCompliant: LocalDate;
  dueInForce: LocalDate;
  respondedOn: LocalDate | null;
  extensions: string;
  ended: string | null;
  status: string;
}

function drillRow(f: ComplaintFacts, s: ComplaintFacts['stages'][number]): DrillRow {
  return {
    id: f.id,
    reference: f.reference,
    tenure: f.tenure,
    stage: s.stage,
    startedOn: s.startedOn,
    acknowledgedOn: s.acknowledgedOn,
    dueOriginal: s.dueOriginal,
    dueCompliant: s.dueCompliant,
    dueInForce: s.dueInForce,
    respondedOn: s.respondedOn,
    extensions: s.extensions
      .map((e) => `to ${e.newDue}, told ${e.residentToldOn}${e.compliant ? '' : ' (not compliant' + (e.toldLate ? ': told after the date' : e.beyondCap && !e.goodReason ? ': over the cap' : '') + ')'}${e.beyondCap && e.goodReason ? ' (beyond the cap, good reason recorded)' : ''}`)
      .join('; '),
    ended: s.ended ? `${s.ended.how} on ${s.ended.on}${s.ended.ground ? ` (${s.ended.ground})` : ''}` : null,
    status: f.status,
  };
}

export const DRILL_COLUMNS: { key: keyof DrillRow; label: string }[] = [
  { key: 'reference', label: 'Reference' },
  { key: 'tenure', label: 'Tenure' },
  { key: 'stage', label: 'Stage' },
  { key: 'startedOn', label: 'Received (stage start)' },
  { key: 'acknowledgedOn', label: 'Acknowledged' },
  { key: 'dueOriginal', label: 'Response due (original)' },
  { key: 'dueCompliant', label: 'Response due (after compliant extensions)' },
  { key: 'dueInForce', label: 'Response due (in force)' },
  { key: 'respondedOn', label: 'Responded' },
  { key: 'extensions', label: 'Extensions' },
  { key: 'ended', label: 'Ended without response' },
  { key: 'status', label: 'Status now' },
];

// ------------------------------------------------------------------------------------------------
// Survey CSV
// ------------------------------------------------------------------------------------------------

const YES = new Set(['yes', 'y', 'true', '1']);
const NO = new Set(['no', 'n', 'false', '0']);

function normaliseAnswer(v: string): SatisfactionAnswer | null | undefined {
  const k = v.trim().toLowerCase().replace(/[’']/g, '').replace(/[^a-z]+/g, '_').replace(/^_|_$/g, '');
  if (k === '') return null;
  const aliases: Record<string, SatisfactionAnswer> = { neither_satisfied_nor_dissatisfied: 'neither', dont_know: 'dont_know', don_t_know: 'dont_know', n_a: 'not_applicable', na: 'not_applicable' };
  if (aliases[k]) return aliases[k];
  return (SATISFACTION_ANSWERS as readonly string[]).includes(k) ? (k as SatisfactionAnswer) : undefined;
}

/** Parse and check a survey CSV; throws a ZodError listing every row's and field's problem. */
export function parseSurveyCsv(csv: string): Omit<SurveyResponse, 'id'>[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const fail = (row: number, field: string, message: string) => issues.push({ path: ['csv', `row ${row}`, field], message: `Row ${row}, ${field}: ${message}` });
  const rows = parseCsv(csv).filter((r) => r.some((c) => c.trim() !== ''));
  if (rows.length === 0) throw new InvalidInput('The file is empty: it needs a header row and at least one response.', 'csv');
  const header = rows[0].map((h) => h.trim().toLowerCase());
  const idx = Object.fromEntries(SURVEY_COLUMNS.map((c) => [c, header.indexOf(c)])) as Record<(typeof SURVEY_COLUMNS)[number], number>;
  const missing = SURVEY_COLUMNS.filter((c) => idx[c] < 0);
  if (missing.length) throw new InvalidInput(`The header row must name the columns ${SURVEY_COLUMNS.join(', ')}; missing: ${missing.join(', ')}.`, 'csv');
  if (rows.length - 1 > MAX_SURVEY_ROWS) throw new InvalidInput(`At most ${formatCount(MAX_SURVEY_ROWS)} responses in one file.`, 'csv');
  if (rows.length === 1) throw new InvalidInput('The file has a header row but no responses.', 'csv');
  const out: Omit<SurveyResponse, 'id'>[] = [];
  for (let i = 1; i < rows.length && issues.length < 50; i++) {
    const r = rows[i];
    const n = i + 1; // the line number a spreadsheet shows, counting the header as row 1
    const get = (c: (typeof SURVEY_COLUMNS)[number]) => (r[idx[c]] ?? '').trim();
    const ref = get('respondent_ref');
    if (!ref) fail(n, 'respondent_ref', 'is empty; give the survey’s respondent reference');
    else if (ref.length > 100) fail(n, 'respondent_ref', 'is longer than 100 characters');
    const on = get('surveyed_on');
    if (!isValidLocalDate(on)) fail(n, 'surveyed_on', `"${on.slice(0, 30)}" is not a real date written YYYY-MM-DD`);
    const tenure = get('tenure').toUpperCase();
    if (tenure !== 'LCRA' && tenure !== 'LCHO') fail(n, 'tenure', `"${get('tenure').slice(0, 30)}" must be LCRA or LCHO`);
    const c = get('complained_last_12_months').toLowerCase();
    const complained = YES.has(c) ? true : NO.has(c) ? false : null;
    if (complained === null) fail(n, 'complained_last_12_months', `"${c.slice(0, 30)}" must be yes or no`);
    const answer = normaliseAnswer(get('complaints_handling_satisfaction'));
    if (answer === undefined) fail(n, 'complaints_handling_satisfaction', `"${get('complaints_handling_satisfaction').slice(0, 40)}" must be one of ${SATISFACTION_ANSWERS.join(', ')}, or empty`);
    else if (complained && answer === null) fail(n, 'complaints_handling_satisfaction', 'is empty, but the respondent complained; use dont_know or not_applicable if they gave no answer');
    out.push({ respondentRef: ref, surveyedOn: on, tenure: tenure as 'LCRA' | 'LCHO', complainedLast12Months: !!complained, answer: answer ?? null });
  }
  if (issues.length) throw new ZodError(issues.map((i) => ({ code: 'custom' as const, path: i.path, message: i.message, input: undefined })));
  return out;
}
