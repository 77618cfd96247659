/**
 * The regulator's Tenant Satisfaction Measures on complaints (CH01, CH02, TP09) and the figures of
 * the performance dashboard, as pure arithmetic over facts folded from each complaint's events.
 * No I/O: `src/services/reports.ts` gathers the facts; this module counts.
 *
 * API (for reports built on top, e.g. the self-assessment and the annual report):
 * - `complaintFacts(state, meta)`: the dated facts of one complaint, from the engine's projection
 *   (`project` in lifecycle.ts). Dates only, independent of "today", so they can be cached.
 * - `reportingYear(startYear)` / `reportingYearOf(date)`: the regulator's year, 1 April to 31 March.
 * - `tsmFromTallies(tallies, { year, homes, asOf, basis })`: CH01 and CH02 for a year from the
 *   counts by stage and tenure (`tallyTsm` defines them; the reports count them in SQL), each
 *   figure with the complaint ids behind it when they were asked for.
 * - `tp09(responses, year)`: TP09 from imported survey answers.
 * - `dashboardFromTally(tally, { from, to, asOf })`: volumes, outcomes, timeliness, extensions,
 *   escalation and refusals for any period (`tallyDashboard` defines the tally).
 * Every result carries `measuresVersion` (MEASURES_VERSION): the rules change (the regulator's
 * Direction from 1 October 2026), so a figure always says which logic produced it.
 *
 * Choices made where the sources are not certain (rules.md §7, marked [check]) are listed in
 * MEASURE_NOTES and shown with the figures.
 */
import type { LocalDate } from './dates.js';
import { addDays, londonDateOf } from './dates.js';
import type { ComplaintState, StageState } from './lifecycle.js';

/** The version of the measure logic. Change it whenever a definition below changes. */
export const MEASURES_VERSION = 'tsm-2024.1';

export const TENURES = ['LCRA', 'LCHO', 'other'] as const;
export type Tenure = (typeof TENURES)[number];
/** The tenures the measures are reported for; 'total' is LCRA and LCHO together. */
export type TsmTenure = 'LCRA' | 'LCHO' | 'total';
export const TSM_TENURES: TsmTenure[] = ['LCRA', 'LCHO', 'total'];
export const TENURE_LABELS: Record<TsmTenure | 'other', string> = {
  LCRA: 'Low-cost rental accommodation (LCRA)',
  LCHO: 'Low-cost home ownership (LCHO)',
  total: 'LCRA and LCHO together',
  other: 'Other tenures (outside the measures)',
};

/** Which date CH02 is submitted against: the original date, or the date after Code-compliant extensions. */
export type Ch02Basis = 'original' | 'compliant';
export const CH02_BASIS_LABELS: Record<Ch02Basis, string> = {
  original: 'Against the original date (extensions not counted)',
  compliant: 'Against the date in force after Code-compliant extensions',
};

export const MEASURE_NOTES: string[] = [
  'CH01 counts every complaint received at the stage in the year (a stage 1 complaint on the day it was received, a stage 2 complaint on the day escalation was requested, as London calendar dates), including those later refused or withdrawn; those are shown as "of which" lines so they can be left out.',
  'Tenure is the resident’s tenure (set on the resident’s record). A complaint with no resident (anonymous) takes the tenure chosen in the report settings. Complaints from other tenures are outside CH01 and CH02 and are counted on a line of their own.',
  'CH02 counts the stages whose response was sent in the year, whenever they were received. On time against the original date: the response is on or before the date first told to the resident (the projected date when never acknowledged). Against the date after compliant extensions: an extension counts only if the resident was told before the date in force passed, with the Ombudsman’s details, and it stays within the Code’s cap or has a recorded good reason.',
  'Open complaints past their date are stages not responded to, refused or withdrawn by the last day of the year (or today, for the current year) whose response date had passed. They are not in CH02 (which is over responses sent) and are listed so that lateness is never hidden.',
  'Per 1,000 homes uses the homes entered for the year in the report settings (homes owned at year end). The total is LCRA and LCHO complaints over LCRA and LCHO homes.',
  'TP09 is the share of survey respondents who complained in the last 12 months and answered the complaints-handling question on the five-point scale who were very or fairly satisfied. "Don’t know" and "not applicable" answers are left out.',
];

// ------------------------------------------------------------------------------------------------
// Reporting years
// ------------------------------------------------------------------------------------------------

export interface ReportingYear {
  /** The calendar year the reporting year starts in: 2025 for 1 April 2025 to 31 March 2026. */
  year: number;
  label: string;
  from: LocalDate;
  to: LocalDate;
}

export function reportingYear(startYear: number): ReportingYear {
  if (!Number.isInteger(startYear) || startYear < 2000 || startYear > 2200) throw new RangeError(`not a reporting year: ${startYear}`);
  return { year: startYear, label: `${startYear}/${String((startYear + 1) % 100).padStart(2, '0')}`, from: `${startYear}-04-01`, to: `${startYear + 1}-03-31` };
}

export function reportingYearOf(d: LocalDate): number {
  const y = Number(d.slice(0, 4));
  return d.slice(5) >= '04-01' ? y : y - 1;
}

// ------------------------------------------------------------------------------------------------
// Facts: what the measures need from one complaint, folded from its events by the engine
// ------------------------------------------------------------------------------------------------

/** The version of the facts' shape: cached facts of another version are recomputed. */
export const FACTS_VERSION = 1;

export interface ExtensionFacts {
  previousDue: LocalDate;
  newDue: LocalDate;
  residentToldOn: LocalDate;
  beyondCap: boolean;
  goodReason: boolean;
  toldLate: boolean;
  compliant: boolean;
}

export interface StageFacts {
  stage: 1 | 2;
  /** The London calendar date the stage began: the complaint's receipt, or the escalation request. */
  startedOn: LocalDate;
  acknowledgementDue: LocalDate;
  acknowledgedOn: LocalDate | null;
  /** The response date first told (or projected, before acknowledgement). */
  dueOriginal: LocalDate;
  /** The response date after Code-compliant extensions only. */
  dueCompliant: LocalDate;
  /** The response date in force after every extension. */
  dueInForce: LocalDate;
  respondedOn: LocalDate | null;
  outcome: string | null;
  /** The stage ended without a response: refused (not accepted, or escalation refused) or withdrawn. */
  ended: { how: 'refused' | 'withdrawn'; on: LocalDate; ground: string | null } | null;
  extensions: ExtensionFacts[];
}

export interface ComplaintFacts {
  v: number;
  id: string;
  reference: string;
  tenure: Tenure;
  channel: string;
  serviceArea: string | null;
  category: string | null;
  status: string;
  /** The London calendar date the complaint was received. */
  receivedOn: LocalDate;
  closedOn: LocalDate | null;
  stages: StageFacts[];
}

export interface FactsMeta {
  id: string;
  reference: string;
  tenure: Tenure;
  channel: string;
  serviceArea: string | null;
  category: string | null;
}

function stageFacts(state: ComplaintState, s: StageState): StageFacts {
  let ended: StageFacts['ended'] = null;
  if (!s.respondedOn && s.stage === state.stage) {
    if (state.status === 'refused' && state.refusal) ended = { how: 'refused', on: state.refusal.on, ground: state.refusal.ground };
    else if (state.status === 'withdrawn' && state.withdrawnOn) ended = { how: 'withdrawn', on: state.withdrawnOn, ground: null };
  }
  return {
    stage: s.stage,
    startedOn: londonDateOf(new Date(s.startedAt)),
    acknowledgementDue: s.acknowledgementDue,
    acknowledgedOn: s.acknowledgedOn,
    dueOriginal: s.responseDueOriginal,
    dueCompliant: s.responseDueCompliant,
    dueInForce: s.responseDue,
    respondedOn: s.respondedOn,
    outcome: s.outcome,
    ended,
    extensions: s.extensions.map((e) => ({
      previousDue: e.previousDue,
      newDue: e.newDue,
      residentToldOn: e.residentToldOn,
      beyondCap: e.beyondCap,
      goodReason: !!e.goodReason,
      toldLate: e.toldLate,
      compliant: e.compliant,
    })),
  };
}

/** The dated facts of one complaint, from the engine's projection of its events. */
export function complaintFacts(state: ComplaintState, meta: FactsMeta): ComplaintFacts {
  const stages = [stageFacts(state, state.stages[1])];
  if (state.stages[2]) stages.push(stageFacts(state, state.stages[2]));
  return {
    v: FACTS_VERSION,
    ...meta,
    status: state.status,
    receivedOn: londonDateOf(new Date(state.receivedAt)),
    closedOn: state.closedOn,
    stages,
  };
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

const inRange = (d: LocalDate | null | undefined, from: LocalDate, to: LocalDate): d is LocalDate => !!d && d >= from && d <= to;

/** A share as a percentage to one decimal place, or null when there is nothing to divide by. */
export function percent(n: number, d: number): number | null {
  return d > 0 ? Math.round((n / d) * 1000) / 10 : null;
}

/** A rate per 1,000 homes to two decimal places, or null without a home count. */
export function per1000(n: number, homes: number | null | undefined): number | null {
  return homes && homes > 0 ? Math.round((n / homes) * 100_000) / 100 : null;
}

/** A figure and the complaints behind it. */
export interface Counted {
  count: number;
  ids: string[];
}

function counter(): Counted {
  return { count: 0, ids: [] };
}
function add(c: Counted, id: string) {
  c.count++;
  c.ids.push(id);
}

function tenureKeys(t: Tenure): (TsmTenure | 'other')[] {
  return t === 'other' ? ['other'] : [t, 'total'];
}

/** Whether a stage was open (not responded to, not ended) at the end of `asOf`, and started by then. */
function openAt(s: StageFacts, asOf: LocalDate): boolean {
  if (s.startedOn > asOf) return false;
  if (s.respondedOn && s.respondedOn <= asOf) return false;
  if (s.ended && s.ended.on <= asOf) return false;
  return true;
}

// ------------------------------------------------------------------------------------------------
// CH01 and CH02
// ------------------------------------------------------------------------------------------------

export interface HomeCounts {
  LCRA: number | null;
  LCHO: number | null;
}

export interface Ch01Line {
  tenure: TsmTenure | 'other';
  homes: number | null;
  received: Counted;
  /** Of which refused at this stage (not accepted, or escalation refused). */
  refused: Counted;
  withdrawn: Counted;
  per1000: number | null;
}

export interface Ch02Line {
  tenure: TsmTenure | 'other';
  /** Stages whose response was sent in the year: the denominator. */
  responded: Counted;
  onTimeOriginal: Counted;
  onTimeCompliant: Counted;
  lateOriginal: Counted;
  lateCompliant: Counted;
  percentOriginal: number | null;
  percentCompliant: number | null;
  /** The figure to submit, on the landlord's chosen basis. */
  percentSubmitted: number | null;
  /** Open at the year's end (or today) with the response date passed: listed separately. */
  openPastOriginal: Counted;
  openPastCompliant: Counted;
}

export interface TsmStage {
  stage: 1 | 2;
  ch01: Ch01Line[];
  ch02: Ch02Line[];
}

export interface TsmResult {
  measuresVersion: string;
  year: ReportingYear;
  /** The day open complaints are judged on: the year's last day, or today for the current year. */
  asOf: LocalDate;
  basis: Ch02Basis;
  homes: HomeCounts;
  stages: TsmStage[];
  notes: string[];
}

/**
 * One stage's counts for one tenure: what CH01 and CH02 are summed from. The reports count these
 * in SQL over the stored facts (src/services/measure-queries.ts); `tallyTsm` counts them here from
 * facts in memory, and is the definition the SQL is tested against.
 */
export interface TsmTally {
  stage: 1 | 2;
  tenure: Tenure;
  received: Counted;
  refused: Counted;
  withdrawn: Counted;
  responded: Counted;
  onTimeOriginal: Counted;
  onTimeCompliant: Counted;
  lateOriginal: Counted;
  lateCompliant: Counted;
  openPastOriginal: Counted;
  openPastCompliant: Counted;
}
export const TSM_TALLY_FIGURES = ['received', 'refused', 'withdrawn', 'responded', 'onTimeOriginal', 'onTimeCompliant', 'lateOriginal', 'lateCompliant', 'openPastOriginal', 'openPastCompliant'] as const;
export type TsmTallyFigure = (typeof TSM_TALLY_FIGURES)[number];

/** The day open complaints are judged on for a year: its last day, or `asOf` if earlier. */
export function tsmAsOf(year: ReportingYear, asOf: LocalDate): LocalDate {
  return asOf < year.to ? asOf : year.to;
}

/** Which of a stage's tally figures it counts in, for a year judged on `asOf`. */
export function tsmFiguresOf(s: StageFacts, year: ReportingYear, asOf: LocalDate): TsmTallyFigure[] {
  const out: TsmTallyFigure[] = [];
  if (inRange(s.startedOn, year.from, year.to)) {
    out.push('received');
    if (s.ended?.how === 'refused') out.push('refused');
    if (s.ended?.how === 'withdrawn') out.push('withdrawn');
  }
  if (inRange(s.respondedOn, year.from, year.to)) {
    out.push('responded');
    out.push(s.respondedOn <= s.dueOriginal ? 'onTimeOriginal' : 'lateOriginal');
    out.push(s.respondedOn <= s.dueCompliant ? 'onTimeCompliant' : 'lateCompliant');
  }
  if (openAt(s, asOf)) {
    if (s.dueOriginal < asOf) out.push('openPastOriginal');
    if (s.dueCompliant < asOf) out.push('openPastCompliant');
  }
  return out;
}

export function emptyTsmTally(stage: 1 | 2, tenure: Tenure): TsmTally {
  return { stage, tenure, ...(Object.fromEntries(TSM_TALLY_FIGURES.map((k) => [k, counter()])) as Record<TsmTallyFigure, Counted>) };
}

/** The tallies of a year from facts in memory (the reference the SQL counts are tested against). */
export function tallyTsm(facts: readonly ComplaintFacts[], opts: { year: number; asOf: LocalDate }): TsmTally[] {
  const year = reportingYear(opts.year);
  const asOf = tsmAsOf(year, opts.asOf);
  const tallies = new Map<string, TsmTally>();
  for (const f of facts) {
    for (const s of f.stages) {
      const figures = tsmFiguresOf(s, year, asOf);
      if (!figures.length) continue;
      const key = `${s.stage}:${f.tenure}`;
      let t = tallies.get(key);
      if (!t) tallies.set(key, (t = emptyTsmTally(s.stage, f.tenure)));
      for (const k of figures) add(t[k], f.id);
    }
  }
  return [...tallies.values()];
}

/** CH01 and CH02 for a year, from tallies (however they were counted). */
export function tsmFromTallies(tallies: readonly TsmTally[], opts: { year: number; homes: HomeCounts; asOf: LocalDate; basis: Ch02Basis }): TsmResult {
  const year = reportingYear(opts.year);
  const asOf = tsmAsOf(year, opts.asOf);
  const keys: (TsmTenure | 'other')[] = ['LCRA', 'LCHO', 'total', 'other'];
  const homesOf = (k: TsmTenure | 'other') =>
    k === 'other' ? null : k === 'total' ? (opts.homes.LCRA ?? 0) + (opts.homes.LCHO ?? 0) || null : opts.homes[k];
  const merge = (into: Counted, from: Counted) => {
    into.count += from.count;
    for (const id of from.ids) into.ids.push(id);
  };
  const stages: TsmStage[] = ([1, 2] as const).map((stage) => {
    const sum = new Map(keys.map((k) => [k, emptyTsmTally(stage, 'other')]));
    for (const t of tallies) {
      if (t.stage !== stage) continue;
      for (const k of tenureKeys(t.tenure)) for (const f of TSM_TALLY_FIGURES) merge(sum.get(k)![f], t[f]);
    }
    const ch01: Ch01Line[] = keys.map((k) => {
      const t = sum.get(k)!;
      return { tenure: k, homes: homesOf(k), received: t.received, refused: t.refused, withdrawn: t.withdrawn, per1000: per1000(t.received.count, homesOf(k)) };
    });
    const ch02: Ch02Line[] = keys.map((k) => {
      const t = sum.get(k)!;
      const percentOriginal = percent(t.onTimeOriginal.count, t.responded.count);
      const percentCompliant = percent(t.onTimeCompliant.count, t.responded.count);
      return {
        tenure: k,
        responded: t.responded,
        onTimeOriginal: t.onTimeOriginal,
        onTimeCompliant: t.onTimeCompliant,
        lateOriginal: t.lateOriginal,
        lateCompliant: t.lateCompliant,
        percentOriginal,
        percentCompliant,
        percentSubmitted: opts.basis === 'original' ? percentOriginal : percentCompliant,
        openPastOriginal: t.openPastOriginal,
        openPastCompliant: t.openPastCompliant,
      };
    });
    return { stage, ch01, ch02 };
  });
  return { measuresVersion: MEASURES_VERSION, year, asOf, basis: opts.basis, homes: opts.homes, stages, notes: MEASURE_NOTES };
}

// ------------------------------------------------------------------------------------------------
// TP09: satisfaction with the approach to complaints handling, from survey answers
// ------------------------------------------------------------------------------------------------

export const SATISFACTION_ANSWERS = ['very_satisfied', 'fairly_satisfied', 'neither', 'fairly_dissatisfied', 'very_dissatisfied', 'dont_know', 'not_applicable'] as const;
export type SatisfactionAnswer = (typeof SATISFACTION_ANSWERS)[number];

export interface SurveyResponse {
  id: string;
  respondentRef: string;
  surveyedOn: LocalDate;
  tenure: 'LCRA' | 'LCHO';
  complainedLast12Months: boolean;
  answer: SatisfactionAnswer | null;
}

export interface Tp09Line {
  tenure: TsmTenure;
  /** Respondents who complained in the last 12 months and answered on the five-point scale. */
  asked: Counted;
  satisfied: Counted;
  percent: number | null;
  /** Complained, but answered "don't know", "not applicable" or nothing: left out. */
  excluded: Counted;
}

export function tp09(responses: readonly SurveyResponse[], startYear: number): { measuresVersion: string; year: ReportingYear; lines: Tp09Line[]; responses: number } {
  const year = reportingYear(startYear);
  const lines = new Map<TsmTenure, Tp09Line>(TSM_TENURES.map((t) => [t, { tenure: t, asked: counter(), satisfied: counter(), percent: null, excluded: counter() }]));
  let n = 0;
  for (const r of responses) {
    if (!inRange(r.surveyedOn, year.from, year.to)) continue;
    n++;
    if (!r.complainedLast12Months) continue;
    for (const t of [r.tenure, 'total'] as TsmTenure[]) {
      const l = lines.get(t)!;
      if (!r.answer || r.answer === 'dont_know' || r.answer === 'not_applicable') {
        add(l.excluded, r.id);
        continue;
      }
      add(l.asked, r.id);
      if (r.answer === 'very_satisfied' || r.answer === 'fairly_satisfied') add(l.satisfied, r.id);
    }
  }
  for (const l of lines.values()) l.percent = percent(l.satisfied.count, l.asked.count);
  return { measuresVersion: MEASURES_VERSION, year, lines: [...lines.values()], responses: n };
}

// ------------------------------------------------------------------------------------------------
// The performance dashboard: any period
// ------------------------------------------------------------------------------------------------

export interface Bucket extends Counted {
  key: string;
}


export interface StageTimeliness {
  stage: 1 | 2;
  acknowledged: Counted;
  acknowledgedOnTime: Counted;
  responded: Counted;
  onTimeOriginal: Counted;
  onTimeCompliant: Counted;
  percentAcknowledgedOnTime: number | null;
  percentOnTimeOriginal: number | null;
  percentOnTimeCompliant: number | null;
  openPastDue: Counted;
}

export interface DashboardFigures {
  measuresVersion: string;
  period: { from: LocalDate; to: LocalDate; asOf: LocalDate };
  received: { stage1: Counted; stage2: Counted };
  byChannel: Bucket[];
  byServiceArea: Bucket[];
  byCategory: Bucket[];
  /** Month by month (YYYY-MM), every month of the period, stage 1 and stage 2 received. */
  byMonth: { month: string; stage1: number; stage2: number }[];
  outcomes: { stage: 1 | 2; buckets: Bucket[] }[];
  timeliness: StageTimeliness[];
  extensions: { stage: 1 | 2; extended: Counted; compliant: Counted; beyondCapWithGoodReason: Counted; toldLate: Counted }[];
  escalation: { stage1Responses: Counted; escalated: Counted; percent: number | null };
  refusals: { kind: 'acceptance' | 'escalation'; buckets: Bucket[] }[];
  withdrawn: Counted;
}

/** Every month from `from` to `to` as YYYY-MM. */
export function monthsOf(from: LocalDate, to: LocalDate): string[] {
  const out: string[] = [];
  let y = Number(from.slice(0, 4));
  let m = Number(from.slice(5, 7));
  const end = to.slice(0, 7);
  for (let i = 0; i < 600; i++) {
    const k = `${y}-${String(m).padStart(2, '0')}`;
    if (k > end) break;
    out.push(k);
    m++;
    if (m > 12) {
      m = 1;
      y++;
    }
  }
  return out;
}

/**
 * What the dashboard is built from, counted over a period: per stage, by month, by channel, service
 * area and category (stage 1), outcome and refusal ground. The reports count it in SQL over the
 * stored facts (src/services/measure-queries.ts); `tallyDashboard` counts it here from facts in
 * memory and is the definition the SQL is tested against. Counts only: the dashboard does not
 * drill down, so its figures carry no ids.
 */
export interface DashboardStageTally {
  stage: 1 | 2;
  received: number;
  acknowledged: number;
  acknowledgedOnTime: number;
  responded: number;
  onTimeOriginal: number;
  onTimeCompliant: number;
  openPastDue: number;
  extended: number;
  extensionsCompliant: number;
  beyondCapWithGoodReason: number;
  toldLate: number;
  withdrawn: number;
}
export interface KeyCount {
  key: string;
  count: number;
}
export interface DashboardTally {
  stages: DashboardStageTally[];
  months: { month: string; stage: 1 | 2; count: number }[];
  channel: KeyCount[];
  serviceArea: KeyCount[];
  category: KeyCount[];
  outcomes: (KeyCount & { stage: 1 | 2 })[];
  refusals: (KeyCount & { stage: 1 | 2 })[];
}
export const DASHBOARD_STAGE_FIGURES = ['received', 'acknowledged', 'acknowledgedOnTime', 'responded', 'onTimeOriginal', 'onTimeCompliant', 'openPastDue', 'extended', 'extensionsCompliant', 'beyondCapWithGoodReason', 'toldLate', 'withdrawn'] as const;

/** The day open complaints are judged on for a period: its last day, or `asOf` if earlier. */
export function periodAsOf(to: LocalDate, asOf: LocalDate): LocalDate {
  return asOf < to ? asOf : to;
}

export function emptyStageTally(stage: 1 | 2): DashboardStageTally {
  return { stage, ...(Object.fromEntries(DASHBOARD_STAGE_FIGURES.map((k) => [k, 0])) as Record<(typeof DASHBOARD_STAGE_FIGURES)[number], number>) };
}

/** The dashboard's tally from facts in memory (the reference the SQL counts are tested against). */
export function tallyDashboard(facts: readonly ComplaintFacts[], opts: { from: LocalDate; to: LocalDate; asOf: LocalDate }): DashboardTally {
  const { from, to } = opts;
  const asOf = periodAsOf(to, opts.asOf);
  const stages = { 1: emptyStageTally(1), 2: emptyStageTally(2) };
  const months = new Map<string, { month: string; stage: 1 | 2; count: number }>();
  const channel = new Map<string, number>();
  const area = new Map<string, number>();
  const category = new Map<string, number>();
  const outcomes = new Map<string, KeyCount & { stage: 1 | 2 }>();
  const refusals = new Map<string, KeyCount & { stage: 1 | 2 }>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  const bumpStaged = (m: Map<string, KeyCount & { stage: 1 | 2 }>, stage: 1 | 2, key: string) => {
    const k = `${stage}:${key}`;
    const e = m.get(k);
    if (e) e.count++;
    else m.set(k, { stage, key, count: 1 });
  };
  for (const f of facts) {
    for (const s of f.stages) {
      const t = stages[s.stage];
      if (inRange(s.startedOn, from, to)) {
        t.received++;
        const mk = `${s.stage}:${s.startedOn.slice(0, 7)}`;
        const m = months.get(mk);
        if (m) m.count++;
        else months.set(mk, { month: s.startedOn.slice(0, 7), stage: s.stage, count: 1 });
        if (s.stage === 1) {
          bump(channel, f.channel);
          bump(area, f.serviceArea ?? 'Not recorded');
          bump(category, f.category ?? 'Not recorded');
        }
      }
      if (inRange(s.acknowledgedOn, from, to)) {
        t.acknowledged++;
        if (s.acknowledgedOn <= s.acknowledgementDue) t.acknowledgedOnTime++;
      }
      if (inRange(s.respondedOn, from, to)) {
        t.responded++;
        if (s.respondedOn <= s.dueOriginal) t.onTimeOriginal++;
        if (s.respondedOn <= s.dueCompliant) t.onTimeCompliant++;
        bumpStaged(outcomes, s.stage, s.outcome ?? 'not_recorded');
      }
      if (openAt(s, asOf) && s.dueInForce < asOf) t.openPastDue++;
      const extInPeriod = s.extensions.filter((e) => inRange(e.residentToldOn, from, to));
      if (extInPeriod.length) {
        t.extended++;
        if (extInPeriod.every((e) => e.compliant)) t.extensionsCompliant++;
        if (extInPeriod.some((e) => e.beyondCap && e.goodReason)) t.beyondCapWithGoodReason++;
        if (extInPeriod.some((e) => e.toldLate)) t.toldLate++;
      }
      if (s.ended && inRange(s.ended.on, from, to)) {
        if (s.ended.how === 'refused') bumpStaged(refusals, s.stage, s.ended.ground ?? 'not_recorded');
        else t.withdrawn++;
      }
    }
  }
  const list = (m: Map<string, number>) => [...m].map(([key, count]) => ({ key, count }));
  return { stages: [stages[1], stages[2]], months: [...months.values()], channel: list(channel), serviceArea: list(area), category: list(category), outcomes: [...outcomes.values()], refusals: [...refusals.values()] };
}

/** The dashboard's figures from a tally (however it was counted). */
export function dashboardFromTally(tally: DashboardTally, opts: { from: LocalDate; to: LocalDate; asOf: LocalDate }): DashboardFigures {
  const { from, to } = opts;
  const asOf = periodAsOf(to, opts.asOf);
  const n = (count: number): Counted => ({ count, ids: [] });
  const st = (stage: 1 | 2) => tally.stages.find((x) => x.stage === stage) ?? emptyStageTally(stage);
  const buckets = (list: readonly KeyCount[]): Bucket[] => list.filter((b) => b.count > 0).map((b) => ({ key: b.key, count: b.count, ids: [] })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
  const months = new Map(monthsOf(from, to).map((m) => [m, { month: m, stage1: 0, stage2: 0 }]));
  for (const m of tally.months) {
    const e = months.get(m.month);
    if (e) e[m.stage === 1 ? 'stage1' : 'stage2'] += m.count;
  }
  const timeliness: StageTimeliness[] = ([1, 2] as const).map((stage) => {
    const t = st(stage);
    return {
      stage,
      acknowledged: n(t.acknowledged),
      acknowledgedOnTime: n(t.acknowledgedOnTime),
      responded: n(t.responded),
      onTimeOriginal: n(t.onTimeOriginal),
      onTimeCompliant: n(t.onTimeCompliant),
      percentAcknowledgedOnTime: percent(t.acknowledgedOnTime, t.acknowledged),
      percentOnTimeOriginal: percent(t.onTimeOriginal, t.responded),
      percentOnTimeCompliant: percent(t.onTimeCompliant, t.responded),
      openPastDue: n(t.openPastDue),
    };
  });
  const s1 = st(1);
  const s2 = st(2);
  return {
    measuresVersion: MEASURES_VERSION,
    period: { from, to, asOf },
    received: { stage1: n(s1.received), stage2: n(s2.received) },
    byChannel: buckets(tally.channel),
    byServiceArea: buckets(tally.serviceArea),
    byCategory: buckets(tally.category),
    byMonth: [...months.values()],
    outcomes: ([1, 2] as const).map((stage) => ({ stage, buckets: buckets(tally.outcomes.filter((o) => o.stage === stage)) })),
    timeliness,
    extensions: ([1, 2] as const).map((stage) => {
      const t = st(stage);
      return { stage, extended: n(t.extended), compliant: n(t.extensionsCompliant), beyondCapWithGoodReason: n(t.beyondCapWithGoodReason), toldLate: n(t.toldLate) };
    }),
    // Escalation rate: escalations requested in the period over stage 1 responses sent in it.
    escalation: { stage1Responses: n(s1.responded), escalated: n(s2.received), percent: percent(s2.received, s1.responded) },
    refusals: [
      { kind: 'acceptance', buckets: buckets(tally.refusals.filter((r) => r.stage === 1)) },
      { kind: 'escalation', buckets: buckets(tally.refusals.filter((r) => r.stage === 2)) },
    ],
    withdrawn: n(s1.withdrawn + s2.withdrawn),
  };
}

/** The day after a date: for "received before the end of `to`" comparisons on instants. */
export function dayAfter(d: LocalDate): LocalDate {
  return addDays(d, 1);
}

export const CHANNEL_REPORT_LABELS: Record<string, string> = {
  phone: 'Phone',
  email: 'Email',
  letter: 'Letter',
  web: 'Website or online form',
  in_person: 'In person',
  social_media: 'Social media',
  text: 'Text message',
  other: 'Other',
};

export const OUTCOME_REPORT_LABELS: Record<string, string> = {
  upheld: 'Upheld',
  partly_upheld: 'Partly upheld',
  not_upheld: 'Not upheld',
  not_recorded: 'Not recorded',
};

/** The period of the same length immediately before `from`..`to` (for trends). */
export function previousPeriod(from: LocalDate, to: LocalDate): { from: LocalDate; to: LocalDate } {
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
  const prevTo = addDays(from, -1);
  return { from: addDays(prevTo, -days), to: prevTo };
}
