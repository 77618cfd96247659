/**
 * The regulator's Tenant Satisfaction Measures on complaints (CH01, CH02, TP09) and the figures of
 * the performance dashboard, as pure arithmetic over facts folded from each complaint's events.
 * No I/O: `src/services/reports.ts` gathers the facts; this module counts.
 *
 * API (for reports built on top, e.g. the self-assessment and the annual report):
 * - `complaintFacts(state, meta)`: the dated facts of one complaint, from the engine's projection
 *   (`project` in lifecycle.ts). Dates only, independent of "today", so they can be cached.
 * - `reportingYear(startYear)` / `reportingYearOf(date)`: the regulator's year, 1 April to 31 March.
 * - `tsm(facts, { year, homes, asOf, basis })`: CH01 and CH02 for a year, each figure with the
 *   complaint ids behind it (`ids`), so every figure drills down.
 * - `tp09(responses, year)`: TP09 from imported survey answers.
 * - `dashboard(facts, { from, to, asOf })`: volumes, outcomes, timeliness, extensions,
 *   escalation and refusals for any period.
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

export function tsm(facts: readonly ComplaintFacts[], opts: { year: number; homes: HomeCounts; asOf: LocalDate; basis: Ch02Basis }): TsmResult {
  const year = reportingYear(opts.year);
  const asOf = opts.asOf < year.to ? opts.asOf : year.to;
  const keys: (TsmTenure | 'other')[] = ['LCRA', 'LCHO', 'total', 'other'];
  const homesOf = (k: TsmTenure | 'other') =>
    k === 'other' ? null : k === 'total' ? (opts.homes.LCRA ?? 0) + (opts.homes.LCHO ?? 0) || null : opts.homes[k];
  const stages: TsmStage[] = ([1, 2] as const).map((stage) => {
    const ch01 = new Map(keys.map((k) => [k, { tenure: k, homes: homesOf(k), received: counter(), refused: counter(), withdrawn: counter(), per1000: null as number | null }]));
    const ch02 = new Map(
      keys.map((k) => [
        k,
        {
          tenure: k,
          responded: counter(),
          onTimeOriginal: counter(),
          onTimeCompliant: counter(),
          lateOriginal: counter(),
          lateCompliant: counter(),
          percentOriginal: null as number | null,
          percentCompliant: null as number | null,
          percentSubmitted: null as number | null,
          openPastOriginal: counter(),
          openPastCompliant: counter(),
        },
      ]),
    );
    for (const f of facts) {
      const s = f.stages.find((x) => x.stage === stage);
      if (!s) continue;
      for (const k of tenureKeys(f.tenure)) {
        const a = ch01.get(k)!;
        if (inRange(s.startedOn, year.from, year.to)) {
          add(a.received, f.id);
          if (s.ended?.how === 'refused') add(a.refused, f.id);
          if (s.ended?.how === 'withdrawn') add(a.withdrawn, f.id);
        }
        const b = ch02.get(k)!;
        if (inRange(s.respondedOn, year.from, year.to)) {
          add(b.responded, f.id);
          add(s.respondedOn <= s.dueOriginal ? b.onTimeOriginal : b.lateOriginal, f.id);
          add(s.respondedOn <= s.dueCompliant ? b.onTimeCompliant : b.lateCompliant, f.id);
        }
        if (openAt(s, asOf)) {
          if (s.dueOriginal < asOf) add(b.openPastOriginal, f.id);
          if (s.dueCompliant < asOf) add(b.openPastCompliant, f.id);
        }
      }
    }
    for (const a of ch01.values()) a.per1000 = per1000(a.received.count, a.homes);
    for (const b of ch02.values()) {
      b.percentOriginal = percent(b.onTimeOriginal.count, b.responded.count);
      b.percentCompliant = percent(b.onTimeCompliant.count, b.responded.count);
      b.percentSubmitted = opts.basis === 'original' ? b.percentOriginal : b.percentCompliant;
    }
    return { stage, ch01: [...ch01.values()], ch02: [...ch02.values()] };
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

function bucketMap() {
  return new Map<string, Bucket>();
}
function addTo(m: Map<string, Bucket>, key: string, id: string) {
  let b = m.get(key);
  if (!b) m.set(key, (b = { key, count: 0, ids: [] }));
  add(b, id);
}
const sorted = (m: Map<string, Bucket>) => [...m.values()].sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));

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

export function dashboard(facts: readonly ComplaintFacts[], opts: { from: LocalDate; to: LocalDate; asOf: LocalDate }): DashboardFigures {
  const { from, to } = opts;
  const asOf = opts.asOf < to ? opts.asOf : to;
  const stage1 = counter();
  const stage2 = counter();
  const channel = bucketMap();
  const area = bucketMap();
  const category = bucketMap();
  const months = new Map(monthsOf(from, to).map((m) => [m, { month: m, stage1: 0, stage2: 0 }]));
  const outcomes = { 1: bucketMap(), 2: bucketMap() };
  const tl = ([1, 2] as const).map((stage) => ({
    stage,
    acknowledged: counter(),
    acknowledgedOnTime: counter(),
    responded: counter(),
    onTimeOriginal: counter(),
    onTimeCompliant: counter(),
    percentAcknowledgedOnTime: null as number | null,
    percentOnTimeOriginal: null as number | null,
    percentOnTimeCompliant: null as number | null,
    openPastDue: counter(),
  }));
  const ext = ([1, 2] as const).map((stage) => ({ stage, extended: counter(), compliant: counter(), beyondCapWithGoodReason: counter(), toldLate: counter() }));
  const escalation = { stage1Responses: counter(), escalated: counter(), percent: null as number | null };
  const refusals = { acceptance: bucketMap(), escalation: bucketMap() };
  const withdrawn = counter();

  for (const f of facts) {
    for (const s of f.stages) {
      const i = s.stage - 1;
      if (inRange(s.startedOn, from, to)) {
        add(s.stage === 1 ? stage1 : stage2, f.id);
        const m = months.get(s.startedOn.slice(0, 7));
        if (m) m[s.stage === 1 ? 'stage1' : 'stage2']++;
        if (s.stage === 1) {
          addTo(channel, f.channel, f.id);
          addTo(area, f.serviceArea ?? 'Not recorded', f.id);
          addTo(category, f.category ?? 'Not recorded', f.id);
        } else {
          add(escalation.escalated, f.id);
        }
      }
      if (inRange(s.acknowledgedOn, from, to)) {
        add(tl[i].acknowledged, f.id);
        if (s.acknowledgedOn <= s.acknowledgementDue) add(tl[i].acknowledgedOnTime, f.id);
      }
      if (inRange(s.respondedOn, from, to)) {
        add(tl[i].responded, f.id);
        if (s.respondedOn <= s.dueOriginal) add(tl[i].onTimeOriginal, f.id);
        if (s.respondedOn <= s.dueCompliant) add(tl[i].onTimeCompliant, f.id);
        addTo(outcomes[s.stage], s.outcome ?? 'not_recorded', f.id);
        if (s.stage === 1) add(escalation.stage1Responses, f.id);
      }
      if (openAt(s, asOf) && s.dueInForce < asOf) add(tl[i].openPastDue, f.id);
      const extInPeriod = s.extensions.filter((e) => inRange(e.residentToldOn, from, to));
      if (extInPeriod.length) {
        add(ext[i].extended, f.id);
        if (extInPeriod.every((e) => e.compliant)) add(ext[i].compliant, f.id);
        if (extInPeriod.some((e) => e.beyondCap && e.goodReason)) add(ext[i].beyondCapWithGoodReason, f.id);
        if (extInPeriod.some((e) => e.toldLate)) add(ext[i].toldLate, f.id);
      }
      if (s.ended && inRange(s.ended.on, from, to)) {
        if (s.ended.how === 'refused') addTo(s.stage === 1 ? refusals.acceptance : refusals.escalation, s.ended.ground ?? 'not_recorded', f.id);
        else add(withdrawn, f.id);
      }
    }
  }
  for (const t of tl) {
    t.percentAcknowledgedOnTime = percent(t.acknowledgedOnTime.count, t.acknowledged.count);
    t.percentOnTimeOriginal = percent(t.onTimeOriginal.count, t.responded.count);
    t.percentOnTimeCompliant = percent(t.onTimeCompliant.count, t.responded.count);
  }
  // Escalation rate: escalations requested in the period over stage 1 responses sent in it.
  escalation.percent = percent(escalation.escalated.count, escalation.stage1Responses.count);
  return {
    measuresVersion: MEASURES_VERSION,
    period: { from, to, asOf },
    received: { stage1, stage2 },
    byChannel: sorted(channel),
    byServiceArea: sorted(area),
    byCategory: sorted(category),
    byMonth: [...months.values()],
    outcomes: ([1, 2] as const).map((stage) => ({ stage, buckets: sorted(outcomes[stage]) })),
    timeliness: tl,
    extensions: ext,
    escalation,
    refusals: [
      { kind: 'acceptance', buckets: sorted(refusals.acceptance) },
      { kind: 'escalation', buckets: sorted(refusals.escalation) },
    ],
    withdrawn,
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
