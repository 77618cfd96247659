/**
 * The self-assessment against the Complaint Handling Code (2024), pure: the evidence sentences the
 * product can write for each provision from a period's record, the flags where that record
 * suggests non-compliance, and the reading of an existing self-assessment pasted or uploaded as a
 * table (matching rows to provisions, reporting what could not be placed). No I/O here.
 */
import type { WorkingDayCalendar } from './calendar.js';
import { CODE_PROVISIONS, compareProvisionIds, provision } from './code-provisions.js';
import type { LocalDate } from './dates.js';
import { project, stageTimeliness, type ComplaintState, type LifecycleEvent, type StageState } from './lifecycle.js';
import { formatPounds } from './numbers.js';

export type Comply = 'yes' | 'no';
export const COMPLY_VALUES = ['yes', 'no'] as const;

export interface AssessmentAction {
  text: string;
  dueOn: LocalDate | null;
}

/** Timeliness at or above this share is taken as compliant; below it the provision is flagged. */
export const FLAG_THRESHOLD = 0.95;

// ------------------------------------------------------------------------------------------------
// Figures in words
// ------------------------------------------------------------------------------------------------

const NUM = new Intl.NumberFormat('en-GB');
export const n = (v: number) => NUM.format(v);

/** "1,204 of 1,237 (97.3%)"; "none of 0" reads as "0 of 0". */
export function ofPct(part: number, whole: number): string {
  if (whole === 0) return `${n(part)} of ${n(whole)}`;
  return `${n(part)} of ${n(whole)} (${((part / whole) * 100).toFixed(1)}%)`;
}

const plural = (k: number, one: string, many = `${one}s`) => `${n(k)} ${k === 1 ? one : many}`;
const pounds = (pence: number) => formatPounds(pence);

// ------------------------------------------------------------------------------------------------
// The period's record, as the evidence service gathers it
// ------------------------------------------------------------------------------------------------

export interface CaseFacts {
  id: string;
  reference: string;
  channel: string;
  /** The role of the member of staff who logged it, where one did. */
  loggedByRole: string | null;
  representative: boolean;
  contractor: string | null;
  fromServiceRequest: boolean;
  serviceArea?: string | null;
  /** Folded once from the complaint's events (`caseSummary`); the engine stores it beside them. */
  summary: CaseSummary;
}

/** The version of CaseSummary's shape: stored summaries of another version are folded again. */
export const CASE_SUMMARY_VERSION = 1;

/** One stage, as the evidence and the annual report count it. */
export interface CaseSummaryStage {
  stage: 1 | 2;
  startDate: LocalDate;
  acknowledgementDue: LocalDate;
  acknowledgedOn: LocalDate | null;
  responseDueOriginal: LocalDate;
  responseDueCompliant: LocalDate;
  responseDue: LocalDate;
  respondedOn: LocalDate | null;
  outcome: string | null;
  /** Refused or withdrawn while at this stage, without a response. */
  endedWithoutResponse: boolean;
  extensions: { beyondCap: boolean; goodReason: boolean; toldLate: boolean; compliant: boolean }[];
  updateInterval: boolean;
  /** Updates given on or after the update interval was agreed. */
  updatesOnTime: boolean[];
  handlers: string[];
  points: number;
  pointDecisions: number;
  remedies: number;
  contributors: number;
}

/**
 * What the self-assessment's evidence and the annual report need from one complaint, folded once
 * from its events by the lifecycle engine. Dates only (nothing depends on "today"), so it can be
 * stored and counted for any period.
 */
export interface CaseSummary {
  v: number;
  receivedOn: LocalDate;
  triaged: boolean;
  vulnerable: boolean;
  lateIssue: boolean;
  /** The days (UTC, as recorded) a handler was assigned, and whether a conflict was declared. */
  assignments: { on: LocalDate; conflict: boolean }[];
  refusals: { on: LocalDate; kind: 'acceptance' | 'escalation'; ground: string; ombudsmanRightGiven: boolean; byPerson: boolean }[];
  /** Days a late complaint was accepted at stage 1 under the landlord's discretion. */
  lateAccepted: LocalDate[];
  relatedIssueLinks: LocalDate[];
  withdrawals: LocalDate[];
  stages: CaseSummaryStage[];
}

/** `state` is `project(events, cal)`, when the caller has it already. */
export function caseSummary(events: readonly LifecycleEvent[], cal: WorkingDayCalendar, state: ComplaintState = project([...events], cal)): CaseSummary {
  const sum: CaseSummary = {
    v: CASE_SUMMARY_VERSION,
    receivedOn: state.receivedOn,
    triaged: !!state.triage,
    vulnerable: !!state.triage?.vulnerable,
    lateIssue: !!state.lateIssue,
    assignments: [],
    refusals: [],
    lateAccepted: [],
    relatedIssueLinks: [],
    withdrawals: [],
    stages: [],
  };
  for (const e of events) {
    const on = e.at.slice(0, 10);
    if (e.type === 'assigned') sum.assignments.push({ on, conflict: !!e.conflict.hasConflict });
    else if (e.type === 'refused') sum.refusals.push({ on: e.on, kind: e.kind, ground: e.ground, ombudsmanRightGiven: !!e.ombudsmanRightGiven, byPerson: !!e.actorId });
    else if (e.type === 'acknowledged' && e.stage === 1 && e.discretion?.decision === 'accept') sum.lateAccepted.push(e.on);
    else if (e.type === 'linked' && e.relation === 'related_issue') sum.relatedIssueLinks.push(on);
    else if (e.type === 'withdrawn') sum.withdrawals.push(e.on);
  }
  const ended = state.status === 'refused' || state.status === 'withdrawn';
  for (const stageNo of [1, 2] as const) {
    const st: StageState | null = state.stages[stageNo];
    if (!st) continue;
    const responded = events.find((e) => e.type === 'responded' && e.stage === stageNo);
    sum.stages.push({
      stage: stageNo,
      startDate: st.startDate,
      acknowledgementDue: st.acknowledgementDue,
      acknowledgedOn: st.acknowledgedOn,
      responseDueOriginal: st.responseDueOriginal,
      responseDueCompliant: st.responseDueCompliant,
      responseDue: st.responseDue,
      respondedOn: st.respondedOn,
      outcome: st.outcome,
      endedWithoutResponse: ended && state.stage === stageNo,
      extensions: st.extensions.map((x) => ({ beyondCap: x.beyondCap, goodReason: !!x.goodReason, toldLate: x.toldLate, compliant: x.compliant })),
      updateInterval: !!st.updateInterval,
      updatesOnTime: st.updateInterval ? st.updates.filter((u) => u.on >= st.updateInterval!.agreedOn).map((u) => !!u.onTime) : [],
      handlers: st.handlers,
      points: st.definition?.points.length ?? 0,
      pointDecisions: st.pointDecisions.length,
      remedies: st.remedies.length,
      contributors: responded && responded.type === 'responded' ? (responded.contributors?.length ?? 0) : 0,
    });
  }
  return sum;
}

/** The first and last days a summary carries: a period with no day between them cannot count it. */
export function summarySpan(sum: CaseSummary): { first: LocalDate; last: LocalDate } {
  let first = sum.receivedOn;
  let last = sum.receivedOn;
  const see = (d: LocalDate | null | undefined) => {
    if (!d) return;
    if (d < first) first = d;
    if (d > last) last = d;
  };
  for (const a of sum.assignments) see(a.on);
  for (const r of sum.refusals) see(r.on);
  for (const d of [...sum.lateAccepted, ...sum.relatedIssueLinks, ...sum.withdrawals]) see(d);
  for (const st of sum.stages) {
    see(st.startDate);
    see(st.acknowledgedOn);
    see(st.respondedOn);
  }
  return { first, last };
}

export interface EvidenceInput {
  from: LocalDate;
  to: LocalDate;
  /** The day the figures are taken (the end of the period, or today if sooner). */
  asAt: LocalDate;
  /** The period's complaints, counted as they were read (`tallyCase`), so no list of them is held. */
  cases: CaseTally;
  contacts: { dissatisfied: number; choiceOffered: number; choseComplaint: number };
  serviceRequests: { logged: number; openNow: number; reviewed: number; raisedComplaint: number };
  needs: { recorded: number; reviewsOverdue: number };
  restrictions: { inForce: number; reviewsOverdue: number; withEqualityConsiderations: number };
  letters: { sent: number; byKind: Record<string, number> };
  /** Remedies recorded in the period, counted (by the evidence service, in SQL). */
  remedies: RemedyTally;
  /** Outstanding actions recorded in the period, counted (by the evidence service, in SQL). */
  actions: ActionTally;
  /** Open complaints per handler now. */
  caseloads: number[];
  exclusionGrounds: { key: string; label: string }[];
  channelLabels: Record<string, string>;
  assessmentsBefore: number;
  notices: number;
  /** Filled in by the learning register and Ombudsman cases when they are present. */
  learning?: { raised: number; done: number } | null;
  ombudsman?: { determinations: number; nonComplianceFindings: number } | null;
}

/**
 * The remedies recorded in a period, as the evidence and the annual report count them. Dated: with
 * a date to be done by and not cancelled; on time: done or paid by it; late: done or paid after it,
 * or still not done after it at the figures' date (declined and lapsed offers are neither).
 */
export interface RemedyTally {
  recorded: number;
  byType: Record<string, number>;
  financial: number;
  financialWithImpactBand: number;
  paidPence: number;
  dated: number;
  datedOnTime: number;
  datedLateOrOverdue: number;
}

/** Outstanding actions recorded in a period: how many, how many owners, and by stage. */
export interface ActionTally {
  recorded: number;
  owners: number;
  byStage: Record<1 | 2, { recorded: number; open: number; overdue: number; done: number; doneByDate: number }>;
}

export interface ProvisionEvidence {
  /** Sentences the product can state from its data. */
  sentences: string[];
  /** Why the data suggests non-compliance, or null. */
  flag: string | null;
}

export interface StageFigures {
  started: number;
  ackJudged: number;
  ackOnTime: number;
  responded: number;
  respondedOnTimeOriginal: number;
  respondedOnTimeCompliant: number;
  openPastDue: number;
  extended: number;
  extensions: number;
  beyondCap: number;
  beyondCapWithGoodReason: number;
  toldLate: number;
  compliantExtensions: number;
  withUpdateInterval: number;
  updates: number;
  updatesOnTime: number;
  acknowledged: number;
  pointsAnswered: number;
  pointsTotal: number;
  responsesWithRemedy: number;
  contributorsTotal: number;
}

export interface EvidenceFigures {
  received: number;
  byChannel: Record<string, number>;
  representative: number;
  fromServiceRequest: number;
  loggedByOtherStaff: number;
  contractor: number;
  contractors: number;
  triaged: number;
  vulnerable: number;
  refusedAcceptance: number;
  refusedEscalation: number;
  refusalsByGround: Record<string, number>;
  refusalsWithOmbudsmanRight: number;
  refusalsDecidedByPerson: number;
  lateIssue: number;
  lateAcceptedUnderDiscretion: number;
  lateRefused: number;
  conflictsDeclared: number;
  assignments: number;
  relatedIssueLinks: number;
  escalated: number;
  stage1RespondedForEscalation: number;
  stage2SameHandler: number;
  stage2Judged: number;
  stage: { 1: StageFigures; 2: StageFigures };
}

function emptyStage(): StageFigures {
  return {
    started: 0, ackJudged: 0, ackOnTime: 0, responded: 0, respondedOnTimeOriginal: 0, respondedOnTimeCompliant: 0, openPastDue: 0,
    extended: 0, extensions: 0, beyondCap: 0, beyondCapWithGoodReason: 0, toldLate: 0, compliantExtensions: 0, withUpdateInterval: 0,
    updates: 0, updatesOnTime: 0, acknowledged: 0, pointsAnswered: 0, pointsTotal: 0, responsesWithRemedy: 0, contributorsTotal: 0,
  };
}

/** The counts over a period's complaints, built one complaint at a time (`tallyCase`). */
export interface CaseTally {
  figures: EvidenceFigures;
  contractors: Set<string>;
  /** For the annual report. */
  outcomes: { 1: Record<string, number>; 2: Record<string, number> };
  serviceAreas: Record<string, number>;
  refusals: Map<string, { kind: 'acceptance' | 'escalation'; ground: string; count: number }>;
  withdrawn: number;
}

export function newCaseTally(): CaseTally {
  return {
    figures: {
      received: 0, byChannel: {}, representative: 0, fromServiceRequest: 0, loggedByOtherStaff: 0, contractor: 0, contractors: 0, triaged: 0, vulnerable: 0,
      refusedAcceptance: 0, refusedEscalation: 0, refusalsByGround: {}, refusalsWithOmbudsmanRight: 0, refusalsDecidedByPerson: 0,
      lateIssue: 0, lateAcceptedUnderDiscretion: 0, lateRefused: 0, conflictsDeclared: 0, assignments: 0, relatedIssueLinks: 0,
      escalated: 0, stage1RespondedForEscalation: 0, stage2SameHandler: 0, stage2Judged: 0, stage: { 1: emptyStage(), 2: emptyStage() },
    },
    contractors: new Set(),
    outcomes: { 1: {}, 2: {} },
    serviceAreas: {},
    refusals: new Map(),
    withdrawn: 0,
  };
}

/**
 * Count one complaint into a period's tally. A stage is counted in the period it started (the
 * complaint's receipt, or the escalation request); responses in the period they were issued;
 * timeliness is as at `asAt`.
 */
export function tallyCase(t: CaseTally, c: CaseFacts, period: { from: LocalDate; to: LocalDate; asAt: LocalDate }): void {
  const inPeriod = (d: LocalDate | null | undefined) => !!d && d >= period.from && d <= period.to;
  const f = t.figures;
  const sum = c.summary;
  if (inPeriod(sum.receivedOn)) {
    f.received++;
    f.byChannel[c.channel] = (f.byChannel[c.channel] ?? 0) + 1;
    if (c.representative) f.representative++;
    if (c.fromServiceRequest) f.fromServiceRequest++;
    if (c.loggedByRole === 'staff') f.loggedByOtherStaff++;
    if (c.contractor) {
      f.contractor++;
      t.contractors.add(c.contractor.trim().toLowerCase());
    }
    if (sum.triaged) f.triaged++;
    if (sum.vulnerable) f.vulnerable++;
    if (sum.lateIssue) f.lateIssue++;
    const area = c.serviceArea ?? 'Not recorded';
    t.serviceAreas[area] = (t.serviceAreas[area] ?? 0) + 1;
  }
  for (const a of sum.assignments) {
    if (!inPeriod(a.on)) continue;
    f.assignments++;
    if (a.conflict) f.conflictsDeclared++;
  }
  for (const r of sum.refusals) {
    if (!inPeriod(r.on)) continue;
    if (r.kind === 'acceptance') f.refusedAcceptance++;
    else f.refusedEscalation++;
    f.refusalsByGround[r.ground] = (f.refusalsByGround[r.ground] ?? 0) + 1;
    if (r.ombudsmanRightGiven) f.refusalsWithOmbudsmanRight++;
    if (r.byPerson) f.refusalsDecidedByPerson++;
    if (r.ground === 'over_12_months') f.lateRefused++;
    const k = `${r.kind}:${r.ground}`;
    const x = t.refusals.get(k) ?? { kind: r.kind, ground: r.ground, count: 0 };
    x.count++;
    t.refusals.set(k, x);
  }
  for (const d of sum.lateAccepted) if (inPeriod(d)) f.lateAcceptedUnderDiscretion++;
  for (const d of sum.relatedIssueLinks) if (inPeriod(d)) f.relatedIssueLinks++;
  for (const d of sum.withdrawals) if (inPeriod(d)) t.withdrawn++;
  const first = sum.stages.find((x) => x.stage === 1);
  for (const s of sum.stages) {
    const fs = f.stage[s.stage];
    const tl = stageTimeliness(s, period.asAt, s.endedWithoutResponse);
    if (inPeriod(s.startDate)) {
      fs.started++;
      if (tl.ackOnTime !== null) {
        fs.ackJudged++;
        if (tl.ackOnTime) fs.ackOnTime++;
      }
      if (tl.openPastDue) fs.openPastDue++;
      if (s.extensions.length > 0) {
        fs.extended++;
        if (s.updateInterval) fs.withUpdateInterval++;
      }
      for (const x of s.extensions) {
        fs.extensions++;
        if (x.beyondCap) fs.beyondCap++;
        if (x.beyondCap && x.goodReason) fs.beyondCapWithGoodReason++;
        if (x.toldLate) fs.toldLate++;
        if (x.compliant) fs.compliantExtensions++;
      }
      for (const onTime of s.updatesOnTime) {
        fs.updates++;
        if (onTime) fs.updatesOnTime++;
      }
      if (s.stage === 2 && s.handlers.length > 0) {
        f.stage2Judged++;
        if (s.handlers.some((h) => first?.handlers.includes(h))) f.stage2SameHandler++;
      }
    }
    if (inPeriod(s.acknowledgedOn)) fs.acknowledged++;
    if (inPeriod(s.respondedOn)) {
      fs.responded++;
      if (tl.respondedOnTimeOriginal) fs.respondedOnTimeOriginal++;
      if (tl.respondedOnTimeCompliant) fs.respondedOnTimeCompliant++;
      fs.pointsTotal += s.points;
      fs.pointsAnswered += s.pointDecisions;
      if (s.remedies > 0) fs.responsesWithRemedy++;
      fs.contributorsTotal += s.contributors;
      if (s.outcome) t.outcomes[s.stage][s.outcome] = (t.outcomes[s.stage][s.outcome] ?? 0) + 1;
      if (s.stage === 1) {
        f.stage1RespondedForEscalation++;
        if (sum.stages.some((x) => x.stage === 2)) f.escalated++;
      }
    }
  }
}

/** The period's figures from its tally. */
export function evidenceFigures(input: EvidenceInput): EvidenceFigures {
  return { ...input.cases.figures, contractors: input.cases.contractors.size };
}

// ------------------------------------------------------------------------------------------------
// The evidence, provision by provision
// ------------------------------------------------------------------------------------------------

const below = (part: number, whole: number) => whole > 0 && part / whole < FLAG_THRESHOLD;
const pct = (part: number, whole: number) => (whole === 0 ? '' : `${((part / whole) * 100).toFixed(1)}%`);

/** The evidence sentences and flags for every provision, from a period's record. */
export function provisionEvidence(input: EvidenceInput): { figures: EvidenceFigures; byProvision: Record<string, ProvisionEvidence> } {
  const f = evidenceFigures(input);
  const period = `between ${input.from} and ${input.to}`;
  const out: Record<string, ProvisionEvidence> = {};
  for (const p of CODE_PROVISIONS) out[p.id] = { sentences: [], flag: null };
  const say = (id: string, s: string) => out[id].sentences.push(s);
  const flag = (id: string, why: string) => {
    out[id].flag = out[id].flag ? `${out[id].flag} ${why}` : why;
  };
  const s1 = f.stage[1];
  const s2 = f.stage[2];

  const channels = Object.entries(f.byChannel)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${(input.channelLabels[k] ?? k).toLowerCase()} ${n(v)}`)
    .join(', ');
  say('1.2', `${plural(f.received, 'complaint')} logged ${period}${channels ? ` (${channels})` : ''}.`);
  say('1.3', `${n(input.contacts.dissatisfied)} contacts recorded dissatisfaction; the choice to complain was offered in ${ofPct(input.contacts.choiceOffered, input.contacts.dissatisfied)} and ${n(input.contacts.choseComplaint)} became complaints.`);
  if (below(input.contacts.choiceOffered, input.contacts.dissatisfied)) flag('1.3', `The choice to complain was not recorded as offered in ${n(input.contacts.dissatisfied - input.contacts.choiceOffered)} contacts expressing dissatisfaction.`);
  say('1.3', `${ofPct(f.representative, f.received)} complaints were made through a representative.`);
  say('1.4', `${plural(input.serviceRequests.logged, 'service request')} logged ${period}; ${n(input.serviceRequests.openNow)} open at ${input.asAt}; ${ofPct(input.serviceRequests.reviewed, input.serviceRequests.logged)} reviewed.`);
  say('1.5', `${plural(f.fromServiceRequest, 'complaint')} raised from a service request, each kept open and linked to it.`);

  const grounds = Object.entries(f.refusalsByGround)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${input.exclusionGrounds.find((g) => g.key === k)?.label ?? k}: ${n(v)}`)
    .join('; ');
  const refusals = f.refusedAcceptance + f.refusedEscalation;
  say('2.1', `${plural(f.refusedAcceptance, 'complaint')} not accepted and ${plural(f.refusedEscalation, 'escalation')} refused ${period}, each with a policy ground and reasoning for the case${grounds ? ` (${grounds})` : ''}.`);
  say('2.2', `${plural(input.exclusionGrounds.length, 'exclusion ground')} in the complaints policy: ${input.exclusionGrounds.map((g) => g.label).join('; ')}.`);
  say('2.3', `${plural(f.lateIssue, 'complaint')} about an issue over 12 months old: ${n(f.lateAcceptedUnderDiscretion)} accepted under discretion, ${n(f.lateRefused)} refused with the discretion decision recorded.`);
  say('2.4', `${ofPct(f.refusalsWithOmbudsmanRight, refusals)} refusals told the resident of the reasons and the right to take the decision to the Ombudsman; ${n((input.letters.byKind.refusal_acceptance ?? 0) + (input.letters.byKind.refusal_escalation ?? 0))} refusal letters sent.`);
  if (f.refusalsWithOmbudsmanRight < refusals) flag('2.4', `${n(refusals - f.refusalsWithOmbudsmanRight)} refusals did not record the right to go to the Ombudsman.`);
  say('2.5', `${ofPct(f.refusalsDecidedByPerson, refusals)} refusals decided individually by a named member of staff; none is automatic.`);

  say('3.1', `Complaints received by ${plural(Object.keys(f.byChannel).length, 'channel')}${channels ? ` (${channels})` : ''}; ${plural(input.needs.recorded, 'reasonable adjustment or need', 'reasonable adjustments or needs')} recorded for residents.`);
  say('3.2', `${plural(f.loggedByOtherStaff, 'complaint')} logged by staff outside the complaints team.`);
  say('3.3', `${plural(s1.started, 'stage 1 complaint')} and ${plural(s2.started, 'stage 2 complaint')} ${period}.`);
  say('3.4', 'The complaints policy is published at /complaints-policy, generated from the settings.');
  say('3.6', `${ofPct(f.representative, f.received)} complaints had a representative acting for the resident.`);
  say('3.7', `${plural(input.letters.sent, 'letter')} sent ${period}, each carrying the Ombudsman's details.`);

  const maxLoad = input.caseloads.length ? Math.max(...input.caseloads) : 0;
  const avgLoad = input.caseloads.length ? input.caseloads.reduce((a, b) => a + b, 0) / input.caseloads.length : 0;
  say('4.2', `${plural(input.actions.recorded, 'outstanding action')} assigned to ${plural(input.actions.owners, 'owner')} across teams.`);
  say('4.3', `${plural(input.caseloads.length, 'handler')} with open complaints at ${input.asAt}: ${avgLoad.toFixed(1)} each on average, ${n(maxLoad)} at most.`);

  say('5.2', 'The complaint process has exactly two stages; no other stage can be recorded.');
  say('5.3', 'The complaint process has exactly two stages; no other stage can be recorded.');
  say('5.4', `${plural(f.contractor, 'complaint')} involved a contractor, handled within the two stages.`);
  say('5.5', `${plural(f.contractor, 'complaint')} about ${plural(f.contractors, 'contractor')}, recorded on the case and reported by contractor.`);
  say('5.6', `${n(s1.acknowledged)} stage 1 and ${n(s2.acknowledged)} stage 2 acknowledgements ${period}, each with the complaint definition (understanding, outcomes sought and points).`);
  say('5.7', 'Every acknowledgement marks each point of the complaint as within or outside the landlord\u2019s responsibility.');
  say('5.8', `${plural(f.assignments, 'assignment')} with a conflict-of-interest declaration; ${n(f.conflictsDeclared)} declared a conflict.`);
  const extendedBoth = s1.extended + s2.extended;
  const withInterval = s1.withUpdateInterval + s2.withUpdateInterval;
  const updates = s1.updates + s2.updates;
  const updatesOnTime = s1.updatesOnTime + s2.updatesOnTime;
  say('5.9', `${ofPct(withInterval, extendedBoth)} extended complaints had an agreed update interval; ${ofPct(updatesOnTime, updates)} updates given on time.`);
  if (withInterval < extendedBoth) flag('5.9', `${n(extendedBoth - withInterval)} extended complaints have no agreed update interval.`);
  if (below(updatesOnTime, updates)) flag('5.9', `Only ${pct(updatesOnTime, updates)} of agreed updates were given on time.`);
  say('5.10', `${plural(input.needs.recorded, 'reasonable adjustment or disclosed need', 'reasonable adjustments or disclosed needs')} recorded; ${n(input.needs.reviewsOverdue)} reviews overdue.`);
  if (input.needs.reviewsOverdue > 0) flag('5.10', `${plural(input.needs.reviewsOverdue, 'review')} of residents' adjustments overdue.`);
  say('5.11', `${plural(f.refusedEscalation, 'escalation')} refused, each on a ground in the policy with reasoning and a letter.`);
  say('5.12', `${plural(f.received, 'complaint')} with a full case file: the original complaint and date, correspondence, documents and an append-only history.`);
  say('5.13', `${ofPct(s1.responsesWithRemedy, s1.responded)} stage 1 responses offered a remedy without escalation.`);
  say('5.14', `${plural(input.restrictions.inForce, 'contact restriction')} in force, each with reasons and a review date; ${n(input.restrictions.reviewsOverdue)} reviews overdue.`);
  if (input.restrictions.reviewsOverdue > 0) flag('5.14', `${plural(input.restrictions.reviewsOverdue, 'restriction review')} overdue.`);
  say('5.15', `${ofPct(input.restrictions.withEqualityConsiderations, input.restrictions.inForce)} restrictions in force record proportionality and Equality Act considerations.`);

  say('6.1', `${ofPct(f.triaged, f.received)} complaints triaged; ${n(f.vulnerable)} residents flagged as vulnerable.`);
  if (below(f.triaged, f.received)) flag('6.1', `${plural(f.received - f.triaged, 'complaint')} with no triage recorded (complexity, vulnerability and risk).`);
  const stageClocks = (st: 1 | 2, fs: StageFigures, ackId: string, respId: string, extId: string, noticeId: string, actId: string, pointsId: string, days: string) => {
    say(ackId, `${ofPct(fs.ackOnTime, fs.ackJudged)} stage ${st} complaints acknowledged within 5 working days.`);
    if (below(fs.ackOnTime, fs.ackJudged)) flag(ackId, `${n(fs.ackJudged - fs.ackOnTime)} stage ${st} complaints were acknowledged late (${pct(fs.ackOnTime, fs.ackJudged)} on time).`);
    say(respId, `${ofPct(fs.respondedOnTimeOriginal, fs.responded)} stage ${st} responses issued within ${days} working days of acknowledgement; ${ofPct(fs.respondedOnTimeCompliant, fs.responded)} within the date in force after Code-compliant extensions.`);
    if (fs.openPastDue > 0) say(respId, `${plural(fs.openPastDue, `stage ${st} complaint`)} open past the response date at ${input.asAt}.`);
    if (below(fs.respondedOnTimeCompliant, fs.responded)) flag(respId, `${n(fs.responded - fs.respondedOnTimeCompliant)} stage ${st} responses were late (${pct(fs.respondedOnTimeCompliant, fs.responded)} on time).`);
    say(extId, `${plural(fs.extensions, 'extension')} at stage ${st}, each with its reason; ${ofPct(fs.extensions - fs.beyondCap, fs.extensions)} within the ${days} working day limit, ${n(fs.beyondCapWithGoodReason)} beyond it with a recorded good reason.`);
    if (fs.beyondCap > fs.beyondCapWithGoodReason) flag(extId, `${n(fs.beyondCap - fs.beyondCapWithGoodReason)} extensions went beyond the limit without a good reason.`);
    say(noticeId, `${ofPct(fs.extensions - fs.toldLate, fs.extensions)} stage ${st} extension notices sent before the date in force, all with the Ombudsman's details.`);
    if (fs.toldLate > 0) flag(noticeId, `${plural(fs.toldLate, 'extension')} told to the resident after the response date had passed.`);
    const a = input.actions.byStage[st];
    say(actId, `${plural(a.recorded, `outstanding action`)} from stage ${st} responses: ${n(a.done)} done (${ofPct(a.doneByDate, a.done)} by the date set), ${n(a.open)} open, ${n(a.overdue)} overdue at ${input.asAt}.`);
    if (below(a.open - a.overdue, a.open)) flag(actId, `${plural(a.overdue, 'action')} overdue.`);
    say(pointsId, `${n(fs.responded)} stage ${st} responses answered ${n(fs.pointsAnswered)} of ${n(fs.pointsTotal)} points of the complaint definitions, each with reasons.`);
  };
  stageClocks(1, s1, '6.2', '6.3', '6.4', '6.5', '6.6', '6.7', '10');
  stageClocks(2, s2, '6.11', '6.14', '6.15', '6.16', '6.17', '6.18', '20');
  say('6.8', `${plural(f.relatedIssueLinks, 'new related issue')} raised after a response became new complaints linked to the first.`);
  say('6.9', `${n(s1.responded)} stage 1 responses issued, none without every element (a) to (g): the product does not issue an incomplete response.`);
  say('6.10', `${ofPct(f.escalated, f.stage1RespondedForEscalation)} stage 1 responses ${period} were escalated to stage 2.`);
  say('6.12', 'A reason for escalating is never required; where the resident gives one it is recorded.');
  say('6.13', `${ofPct(f.stage2Judged - f.stage2SameHandler, f.stage2Judged)} stage 2 complaints handled by someone other than the stage 1 handler.`);
  if (f.stage2SameHandler > 0) flag('6.13', `${plural(f.stage2SameHandler, 'stage 2 complaint')} handled by the stage 1 handler.`);
  say('6.19', `${n(s2.responded)} stage 2 responses issued, each with every element (a) to (f) and how to go to the Ombudsman.`);
  say('6.20', `${n(s2.responded)} stage 2 responses recorded ${n(s2.contributorsTotal)} contributors (${s2.responded ? (s2.contributorsTotal / s2.responded).toFixed(1) : '0.0'} each on average).`);

  const remedies = input.remedies;
  const types = Object.entries(remedies.byType)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${n(v)}`)
    .join(', ');
  say('7.1', `${plural(remedies.recorded, 'remedy', 'remedies')} recorded ${period}${types ? ` (${types})` : ''}.`);
  say('7.2', `${plural(remedies.financial, 'financial remedy', 'financial remedies')} offered, ${ofPct(remedies.financialWithImpactBand, remedies.financial)} with the impact assessed against the guidance bands; ${pounds(remedies.paidPence)} paid.`);
  say('7.3', `${ofPct(remedies.datedOnTime, remedies.dated)} remedies with a date were carried out by it; ${n(remedies.datedLateOrOverdue)} late or overdue.`);
  if (below(remedies.dated - remedies.datedLateOrOverdue, remedies.dated)) flag('7.3', `${plural(remedies.datedLateOrOverdue, 'remedy', 'remedies')} late or overdue.`);
  say('7.4', 'The guidance bands from the Ombudsman\u2019s remedies guidance are shown beside every financial offer.');

  say('8.1', 'The annual complaints performance and service improvement report is generated from this record.');
  say('8.3', `${plural(input.assessmentsBefore, 'earlier self-assessment')} kept with their history; a new one can be started at any time.`);
  say('8.5', `${plural(input.notices, 'exceptional circumstances notice')} recorded.`);
  if (input.learning) say('9.1', `${plural(input.learning.raised, 'learning item')} raised, ${n(input.learning.done)} done.`);
  if (input.ombudsman) say('9.7', `${plural(input.ombudsman.determinations, 'Ombudsman determination')}, ${n(input.ombudsman.nonComplianceFindings)} with findings of non-compliance.`);
  return { figures: f, byProvision: out };
}

// ------------------------------------------------------------------------------------------------
// Import: an existing self-assessment as a table
// ------------------------------------------------------------------------------------------------

export interface ImportedRow {
  provisionId: string;
  comply: Comply | null;
  /** The comply cell as written, where it was not a plain yes or no. */
  complyText: string | null;
  evidence: string;
  commentary: string;
  /** Actions with dates, where the table carries them (as this product's exports do). */
  actions: AssessmentAction[];
}

export interface ImportResult {
  rows: ImportedRow[];
  /** Provisions of the Code no row was found for. */
  missing: string[];
  /** Rows that could not be placed, with why. */
  unplaced: { line: number; text: string; reason: string }[];
}

/** Tab-separated text, as copying a Word or Excel table gives: one row a line, cells split on tabs. */
export function parseTabSeparated(text: string): string[][] {
  return text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.split('\t'));
}

/** CSV (RFC 4180: quoted cells may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (quoted) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

/** Cell text without the markup some exports carry (<b>, <i>, lists, links, entities). */
export function cleanCell(s: string | null | undefined): string {
  if (!s) return '';
  return s
    .replace(/<li>/gi, '\n• ')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .trim();
}

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

/** "5 June 2026", "Friday 5 June 2026" or "2026-06-05" as a date, or null. */
export function dateFromText(s: string): LocalDate | null {
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (iso) return s.trim();
  const m = /^(?:[A-Za-z]+,? )?(\d{1,2}) ([A-Za-z]+) (\d{4})$/.exec(s.trim());
  if (!m) return null;
  const month = MONTHS.indexOf(m[2].toLowerCase());
  if (month < 0) return null;
  return `${m[3]}-${String(month + 1).padStart(2, '0')}-${m[1].padStart(2, '0')}`;
}

/** "Action: text (by 5 June 2026)" or "text (by 2026-06-05)" as an action. */
function actionOf(line: string): AssessmentAction {
  const m = /^(?:Action: )?(.*?)(?: \(by ([^)]+)\))?$/.exec(line.trim())!;
  const due = m[2] ? dateFromText(m[2]) : null;
  return { text: due || !m[2] ? m[1] : line.replace(/^Action: /, ''), dueOn: due };
}

/** The evidence as the landlord wrote it, without the record's sentences this product's exports add. */
function ownEvidence(s: string): string {
  const i = s.search(/(^|\n)From the complaints record, \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}:/);
  return (i < 0 ? s : s.slice(0, i)).trim();
}

/** The commentary without the flag line, and the action lines as actions. */
function ownLines(s: string): { text: string; actions: AssessmentAction[] } {
  const keep: string[] = [];
  const actions: AssessmentAction[] = [];
  for (const line of s.split('\n')) {
    if (line.startsWith('The record suggests this may not be met:')) continue;
    if (line.startsWith('Action: ')) actions.push(actionOf(line));
    else keep.push(line);
  }
  return { text: keep.join('\n').trim(), actions };
}

const PROVISION_CELL = /^\s*(\d)\.(\d{1,2})\.?\s*$/;

function complyOf(s: string): { comply: Comply | null; text: string | null } {
  const t = s.trim();
  if (!t) return { comply: null, text: null };
  if (/^(yes|y|comply|compliant|met)\b\.?$/i.test(t)) return { comply: 'yes', text: null };
  if (/^(no|n|not compliant|not met)\b\.?$/i.test(t)) return { comply: 'no', text: null };
  if (/^yes\b/i.test(t)) return { comply: 'yes', text: t };
  if (/^no\b/i.test(t)) return { comply: 'no', text: t };
  return { comply: null, text: t };
}

interface Columns {
  provision: number;
  comply: number;
  evidence: number;
  commentary: number;
  actions: number;
}

function columnsFrom(header: string[]): Columns | null {
  const h = header.map((c) => cleanCell(c).toLowerCase());
  // A header row's cells are short labels, never a provision's text.
  if (h.some((c) => c.length > 60) || h.some((c) => PROVISION_CELL.test(c))) return null;
  const find = (re: RegExp) => h.findIndex((c) => re.test(c));
  let provisionCol = find(/^(code )?provision/);
  if (provisionCol < 0) provisionCol = find(/^(code )?(section|ref)/);
  if (provisionCol < 0 || !h.some((c) => /requirement/.test(c))) return null;
  const evidence = find(/^evidence/);
  const commentary = find(/comment|explanation/);
  let comply = find(/comply|complian/);
  if (comply < 0) {
    // An unlabelled column between the requirement and the evidence is the comply column (as some forms have).
    const req = find(/requirement/);
    if (req >= 0 && h[req + 1] === '') comply = req + 1;
  }
  return { provision: provisionCol, comply, evidence, commentary: commentary === evidence ? -1 : commentary, actions: find(/^actions?$/) };
}

/**
 * Match an existing self-assessment's rows to the Code's provisions. Rows are recognised by the
 * provision number in their first cell; a row with an empty first cell continues the row before
 * (a table cell broken across lines or pages); section titles and header rows are recognised and
 * skipped; anything else is reported as unplaced. The columns are found from the header row
 * (Code provision | Code requirement | Comply | Evidence | Commentary), or taken in that order.
 */
export function importAssessment(table: string[][]): ImportResult {
  let cols: Columns = { provision: 0, comply: 2, evidence: 3, commentary: 4, actions: -1 };
  const found = new Map<string, ImportedRow>();
  const unplaced: ImportResult['unplaced'] = [];
  let current: ImportedRow | null = null;
  const cell = (row: string[], i: number) => (i >= 0 ? cleanCell(row[i]) : '');
  const join = (a: string, b: string) => (!b ? a : !a ? b : `${a}\n${b}`);
  table.forEach((row, i) => {
    const line = i + 1;
    const cells = row.map((c) => cleanCell(c));
    if (cells.every((c) => c === '' || /^[-=_|:\s]+$/.test(c))) return; // blank or a ruled line
    const header = columnsFrom(row);
    if (header) {
      cols = header;
      current = null;
      return;
    }
    const first = cells[cols.provision] ?? '';
    const m = PROVISION_CELL.exec(first);
    if (m) {
      const id = `${m[1]}.${Number(m[2])}`;
      if (!provision(id)) {
        unplaced.push({ line, text: cells.filter(Boolean).join(' | ').slice(0, 300), reason: `${id} is not a provision on the 2024 Code's self-assessment form.` });
        current = null;
        return;
      }
      if (found.has(id)) {
        unplaced.push({ line, text: cells.filter(Boolean).join(' | ').slice(0, 300), reason: `A second row for ${id}: the first was kept.` });
        current = null;
        return;
      }
      const c = complyOf(cell(row, cols.comply));
      const commentary = ownLines(cell(row, cols.commentary));
      const actions = [...commentary.actions, ...cell(row, cols.actions).split('\n').filter(Boolean).map(actionOf)];
      current = { provisionId: id, comply: c.comply, complyText: c.text, evidence: ownEvidence(cell(row, cols.evidence)), commentary: commentary.text, actions };
      found.set(id, current);
      return;
    }
    const nonEmpty = cells.filter(Boolean);
    if (nonEmpty.length === 1 && (/^(section \d|stage (one|two|1|2)\b)/i.test(nonEmpty[0]) || nonEmpty[0].length < 80 && !current)) {
      current = null; // a section title or sub-heading
      return;
    }
    if (first === '' && current) {
      const cur: ImportedRow = current;
      cur.evidence = join(cur.evidence, ownEvidence(cell(row, cols.evidence)));
      const more = ownLines(cell(row, cols.commentary));
      cur.commentary = join(cur.commentary, more.text);
      cur.actions.push(...more.actions);
      const c = cell(row, cols.comply);
      if (c && cur.comply === null) {
        const v = complyOf(c);
        cur.comply = v.comply;
        cur.complyText = v.text;
      }
      return;
    }
    unplaced.push({ line, text: nonEmpty.join(' | ').slice(0, 300), reason: 'No provision number in the first column, and it does not follow a provision’s row.' });
  });
  const rows = [...found.values()].sort((a, b) => compareProvisionIds(a.provisionId, b.provisionId));
  const missing = CODE_PROVISIONS.map((p) => p.id).filter((id) => !found.has(id));
  return { rows, missing, unplaced };
}
