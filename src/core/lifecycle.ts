/**
 * The two-stage complaint lifecycle as a pure state machine.
 *
 * A complaint's state is never stored as counters: it is folded from the case's events
 * (`project`), and every deadline is derived from those events with the working-day calendar.
 * Commands are checked against the state by `decide`, which either returns the event to record
 * or throws a RuleViolation naming the Code rule that forbids the move. No I/O happens here.
 */
import type { WorkingDayCalendar } from './calendar.js';
import { addMonths, londonDateOf, type LocalDate } from './dates.js';
import {
  LATE_ISSUE_MONTHS,
  ruleSetFor,
  ruleVersionForReceipt,
  type RuleSet,
  type RuleVersion,
  type Stage,
} from './rules.js';

export type { Stage } from './rules.js';

export type Outcome = 'upheld' | 'partly_upheld' | 'not_upheld';
export type PointDecisionValue = Outcome | 'outside_responsibility';
export type Status =
  | 'awaiting_acknowledgement'
  | 'investigating'
  | 'responded'
  | 'refused'
  | 'withdrawn'
  | 'closed';

export const REMEDY_TYPES = [
  'apology',
  'acknowledgement_of_fault',
  'explanation',
  'action_on_delay',
  'reconsidered_decision',
  'amended_record',
  'financial',
  'policy_change',
] as const;
export type RemedyType = (typeof REMEDY_TYPES)[number];

export interface DefinitionPoint {
  id: string;
  summary: string;
  /** Whether this point is within the landlord's responsibility (Code 5.7). */
  landlordResponsible: boolean;
  /** Who is responsible instead, where the landlord is not. */
  responsibilityNote?: string | null;
}

export interface Definition {
  /** The landlord's understanding of the complaint. */
  understanding: string;
  /** The outcomes the resident seeks. */
  outcomesSought: string;
  points: DefinitionPoint[];
}

export interface PointDecision {
  pointId: string;
  decision: PointDecisionValue;
  reasons: string;
}

export interface RemedySummary {
  type: RemedyType;
  description: string;
  dueBy?: LocalDate | null;
  amountPence?: number | null;
}

export interface ActionSummary {
  description: string;
  dueBy?: LocalDate | null;
  owner?: string | null;
}

export interface ConflictDeclaration {
  /** The handler has considered whether they have a conflict of interest. */
  hasConflict: boolean;
  statement?: string | null;
}

export interface DiscretionDecision {
  decision: 'accept' | 'refuse';
  reasons: string;
}

/** The events a complaint's history is folded from. `at` is the instant it was recorded. */
export type LifecycleEventData =
  | {
      type: 'received';
      receivedAt: string;
      issueArose?: LocalDate | null;
      subjectStaffIds?: string[];
      ruleVersion?: RuleVersion;
    }
  | { type: 'triaged'; complexity: 'straightforward' | 'complex'; vulnerable: boolean; atRisk: boolean; notes?: string | null }
  | { type: 'assigned'; stage: Stage; handlerId: string; conflict: ConflictDeclaration }
  | {
      type: 'acknowledged';
      stage: Stage;
      on: LocalDate;
      definition: Definition;
      /** The response date told to the resident in the acknowledgement; it stays as told. */
      responseDueTold: LocalDate;
      discretion?: DiscretionDecision | null;
    }
  | {
      type: 'extended';
      stage: Stage;
      reason: string;
      previousDue: LocalDate;
      newDue: LocalDate;
      residentToldOn: LocalDate;
      ombudsmanDetailsGiven: boolean;
      goodReason?: string | null;
      beyondCap: boolean;
      toldLate: boolean;
    }
  | { type: 'update_interval_agreed'; stage: Stage; everyWorkingDays: number; agreedOn: LocalDate; agreedWith?: string | null }
  | { type: 'update_given'; stage: Stage; on: LocalDate; summary: string; method?: string | null }
  | { type: 'point_added'; stage: Stage; point: DefinitionPoint; raisedOn: LocalDate }
  | {
      type: 'responded';
      stage: Stage;
      on: LocalDate;
      points: PointDecision[];
      outcome: Outcome;
      remedies: RemedySummary[];
      outstandingActions: ActionSummary[];
      /** (g): how to escalate (stage 1) or how to go to the Ombudsman (stage 2). */
      nextSteps: string;
      contributors?: string[];
    }
  | { type: 'escalation_requested'; requestedAt: string; reason?: string | null; via?: string | null }
  | {
      type: 'refused';
      kind: 'acceptance' | 'escalation';
      stage: Stage;
      on: LocalDate;
      ground: string;
      reasoning: string;
      ombudsmanRightGiven: boolean;
      discretion?: DiscretionDecision | null;
    }
  | { type: 'withdrawn'; on: LocalDate; reason: string; how?: string | null }
  | { type: 'reopened'; on: LocalDate; reason: string }
  | { type: 'closed'; on: LocalDate; summary?: string | null }
  | { type: 'linked'; otherComplaintId: string; relation: 'related_issue' | 'related' };

export type LifecycleEvent = LifecycleEventData & { actorId: string | null; at: string };

export type LifecycleEventType = LifecycleEventData['type'];
export const LIFECYCLE_EVENT_TYPES: readonly LifecycleEventType[] = [
  'received',
  'triaged',
  'assigned',
  'acknowledged',
  'extended',
  'update_interval_agreed',
  'update_given',
  'point_added',
  'responded',
  'escalation_requested',
  'refused',
  'withdrawn',
  'reopened',
  'closed',
  'linked',
];

export interface ExtensionState {
  reason: string;
  previousDue: LocalDate;
  newDue: LocalDate;
  residentToldOn: LocalDate;
  ombudsmanDetailsGiven: boolean;
  goodReason: string | null;
  beyondCap: boolean;
  toldLate: boolean;
  /** Code-compliant: details given, told before the date in force passed, within the cap or with a good reason. */
  compliant: boolean;
}

export interface UpdateRecord {
  on: LocalDate;
  due: LocalDate;
  onTime: boolean;
  summary: string;
}

export interface StageState {
  stage: Stage;
  /** The instant the stage began: the complaint's receipt, or the escalation request. */
  startedAt: string;
  /** The working day the clocks count from (day 0). */
  startDate: LocalDate;
  acknowledgementDue: LocalDate;
  acknowledgedOn: LocalDate | null;
  definition: Definition | null;
  handlerId: string | null;
  /** Everyone who has been assigned to, acknowledged or responded at this stage. */
  handlers: string[];
  conflictDeclared: boolean;
  /** The response date before any extension. Before acknowledgement, the latest it could be. */
  responseDueOriginal: LocalDate;
  /** The response date in force after every extension. */
  responseDue: LocalDate;
  responseDueProjected: boolean;
  /** The response date in force counting only Code-compliant extensions. */
  responseDueCompliant: LocalDate;
  extensions: ExtensionState[];
  updateInterval: { everyWorkingDays: number; agreedOn: LocalDate } | null;
  updates: UpdateRecord[];
  nextUpdateDue: LocalDate | null;
  respondedOn: LocalDate | null;
  outcome: Outcome | null;
  pointDecisions: PointDecision[];
  remedies: RemedySummary[];
  outstandingActions: ActionSummary[];
  escalationReason: string | null;
  discretion: DiscretionDecision | null;
}

export interface ComplaintState {
  ruleVersion: RuleVersion;
  status: Status;
  stage: Stage;
  receivedAt: string;
  receivedOn: LocalDate;
  issueArose: LocalDate | null;
  /** The issue arose more than 12 months before the complaint was received (Code 2.3). */
  lateIssue: boolean;
  subjectStaffIds: string[];
  triage: { complexity: 'straightforward' | 'complex'; vulnerable: boolean; atRisk: boolean } | null;
  stages: { 1: StageState; 2: StageState | null };
  refusal: { kind: 'acceptance' | 'escalation'; ground: string; on: LocalDate } | null;
  withdrawnOn: LocalDate | null;
  closedOn: LocalDate | null;
  /** The status before the case was closed, withdrawn or refused, restored by reopening. */
  statusBeforeEnd: Status | null;
  links: { otherComplaintId: string; relation: string }[];
  eventCount: number;
}

export type DueKind = 'acknowledgement' | 'response' | 'update';
export type DueStatus = 'overdue' | 'due_today' | 'due_soon' | 'on_track';

export class RuleViolation extends Error {
  constructor(
    public readonly code: string,
    message: string,
    public readonly field?: string,
  ) {
    super(message);
    this.name = 'RuleViolation';
  }
}

function newStage(stage: Stage, startedAt: string, cal: WorkingDayCalendar, rules: RuleSet): StageState {
  const startDate = cal.receiptDate(new Date(startedAt));
  const acknowledgementDue = cal.addWorkingDays(startDate, rules.acknowledgementDays);
  const projected =
    rules.responseClockFrom[stage] === 'start'
      ? cal.addWorkingDays(startDate, rules.responseDays[stage])
      : cal.addWorkingDays(acknowledgementDue, rules.responseDays[stage]);
  return {
    stage,
    startedAt,
    startDate,
    acknowledgementDue,
    acknowledgedOn: null,
    definition: null,
    handlerId: null,
    handlers: [],
    conflictDeclared: false,
    responseDueOriginal: projected,
    responseDue: projected,
    responseDueProjected: true,
    responseDueCompliant: projected,
    extensions: [],
    updateInterval: null,
    updates: [],
    nextUpdateDue: null,
    respondedOn: null,
    outcome: null,
    pointDecisions: [],
    remedies: [],
    outstandingActions: [],
    escalationReason: null,
    discretion: null,
  };
}

function addHandler(s: StageState, id: string | null) {
  if (id && !s.handlers.includes(id)) s.handlers.push(id);
}

function recomputeUpdates(s: StageState, cal: WorkingDayCalendar) {
  if (!s.updateInterval) {
    s.nextUpdateDue = null;
    return;
  }
  const every = s.updateInterval.everyWorkingDays;
  let due = cal.addWorkingDays(s.updateInterval.agreedOn, every);
  for (const u of s.updates) {
    if (u.on < s.updateInterval.agreedOn) continue;
    u.due = due;
    u.onTime = u.on <= due;
    due = cal.addWorkingDays(u.on, every);
  }
  s.nextUpdateDue = s.respondedOn ? null : due;
}

/** Fold a complaint's events into its state, deriving every deadline with the calendar. */
export function project(events: readonly LifecycleEvent[], cal: WorkingDayCalendar): ComplaintState {
  const first = events[0];
  if (!first || first.type !== 'received') throw new Error('a complaint history must begin with its receipt');
  const receivedOn = cal.receiptDate(new Date(first.receivedAt));
  const ruleVersion = first.ruleVersion ?? ruleVersionForReceipt(londonDateOf(new Date(first.receivedAt)));
  const rules = ruleSetFor(ruleVersion);
  const issueArose = first.issueArose ?? null;
  const receivedLondon = londonDateOf(new Date(first.receivedAt));
  const state: ComplaintState = {
    ruleVersion,
    status: 'awaiting_acknowledgement',
    stage: 1,
    receivedAt: first.receivedAt,
    receivedOn,
    issueArose,
    lateIssue: issueArose !== null && issueArose < addMonths(receivedLondon, -LATE_ISSUE_MONTHS),
    subjectStaffIds: first.subjectStaffIds ?? [],
    triage: null,
    stages: { 1: newStage(1, first.receivedAt, cal, rules), 2: null },
    refusal: null,
    withdrawnOn: null,
    closedOn: null,
    statusBeforeEnd: null,
    links: [],
    eventCount: events.length,
  };

  for (let i = 1; i < events.length; i++) {
    const e = events[i];
    switch (e.type) {
      case 'received':
        throw new Error('a complaint can be received only once');
      case 'triaged':
        state.triage = { complexity: e.complexity, vulnerable: e.vulnerable, atRisk: e.atRisk };
        break;
      case 'assigned': {
        const s = state.stages[e.stage];
        if (!s) break;
        s.handlerId = e.handlerId;
        s.conflictDeclared = true;
        addHandler(s, e.handlerId);
        break;
      }
      case 'acknowledged': {
        const s = state.stages[e.stage]!;
        s.acknowledgedOn = e.on;
        s.definition = structuredClone(e.definition);
        s.discretion = e.discretion ?? null;
        addHandler(s, e.actorId);
        s.responseDueOriginal = e.responseDueTold;
        s.responseDue = e.responseDueTold;
        s.responseDueCompliant = e.responseDueTold;
        s.responseDueProjected = false;
        state.status = 'investigating';
        break;
      }
      case 'extended': {
        const s = state.stages[e.stage]!;
        const compliant = e.ombudsmanDetailsGiven && !e.toldLate && (!e.beyondCap || !!e.goodReason);
        s.extensions.push({
          reason: e.reason,
          previousDue: e.previousDue,
          newDue: e.newDue,
          residentToldOn: e.residentToldOn,
          ombudsmanDetailsGiven: e.ombudsmanDetailsGiven,
          goodReason: e.goodReason ?? null,
          beyondCap: e.beyondCap,
          toldLate: e.toldLate,
          compliant,
        });
        s.responseDue = e.newDue;
        if (compliant && s.responseDueCompliant === e.previousDue) s.responseDueCompliant = e.newDue;
        break;
      }
      case 'update_interval_agreed': {
        const s = state.stages[e.stage]!;
        s.updateInterval = { everyWorkingDays: e.everyWorkingDays, agreedOn: e.agreedOn };
        break;
      }
      case 'update_given': {
        const s = state.stages[e.stage]!;
        s.updates.push({ on: e.on, due: e.on, onTime: true, summary: e.summary });
        break;
      }
      case 'point_added': {
        const s = state.stages[e.stage]!;
        if (s.definition) s.definition.points.push(e.point);
        break;
      }
      case 'responded': {
        const s = state.stages[e.stage]!;
        s.respondedOn = e.on;
        s.outcome = e.outcome;
        s.pointDecisions = e.points;
        s.remedies = e.remedies;
        s.outstandingActions = e.outstandingActions;
        addHandler(s, e.actorId);
        state.status = 'responded';
        break;
      }
      case 'escalation_requested': {
        const s2 = newStage(2, e.requestedAt, cal, rules);
        s2.escalationReason = e.reason ?? null;
        state.stages[2] = s2;
        state.stage = 2;
        state.status = 'awaiting_acknowledgement';
        state.closedOn = null;
        break;
      }
      case 'refused':
        state.statusBeforeEnd = state.status;
        state.status = 'refused';
        state.refusal = { kind: e.kind, ground: e.ground, on: e.on };
        break;
      case 'withdrawn':
        state.statusBeforeEnd = state.status;
        state.status = 'withdrawn';
        state.withdrawnOn = e.on;
        break;
      case 'closed':
        state.statusBeforeEnd = state.status;
        state.status = 'closed';
        state.closedOn = e.on;
        break;
      case 'reopened':
        state.status = state.statusBeforeEnd ?? 'awaiting_acknowledgement';
        state.statusBeforeEnd = null;
        state.refusal = null;
        state.withdrawnOn = null;
        state.closedOn = null;
        break;
      case 'linked':
        state.links.push({ otherComplaintId: e.otherComplaintId, relation: e.relation });
        break;
    }
  }
  recomputeUpdates(state.stages[1], cal);
  if (state.stages[2]) recomputeUpdates(state.stages[2], cal);
  return state;
}

export function currentStage(state: ComplaintState): StageState {
  return state.stages[state.stage] ?? state.stages[1];
}

/** The next thing due on the case and its date, for worklists. */
export function nextDue(state: ComplaintState): { kind: DueKind; date: LocalDate } | null {
  const s = currentStage(state);
  if (state.status === 'awaiting_acknowledgement') return { kind: 'acknowledgement', date: s.acknowledgementDue };
  if (state.status === 'investigating') {
    if (s.nextUpdateDue && s.nextUpdateDue < s.responseDue) return { kind: 'update', date: s.nextUpdateDue };
    return { kind: 'response', date: s.responseDue };
  }
  return null;
}

/** The before/after summary each lifecycle history row carries: status, stage, handler and the dates in force. */
export function historySummary(state: ComplaintState) {
  const s = currentStage(state);
  return {
    status: state.status,
    stage: state.stage,
    handlerId: s.handlerId,
    acknowledgementDue: s.acknowledgementDue,
    responseDue: s.responseDue,
    nextDue: nextDue(state),
  };
}

export function dueStatus(due: LocalDate, today: LocalDate, cal: WorkingDayCalendar): DueStatus {
  if (due < today) return 'overdue';
  if (due === today) return 'due_today';
  return cal.workingDaysBetween(today, due) <= 2 ? 'due_soon' : 'on_track';
}

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

export interface DecideContext {
  calendar: WorkingDayCalendar;
  now: Date;
  actorId: string;
  /** Exclusion grounds configured by the landlord (Code 2.2); keys. */
  exclusionGrounds: string[];
}

export type Command =
  | { type: 'triage'; complexity: 'straightforward' | 'complex'; vulnerable: boolean; atRisk: boolean; notes?: string | null }
  | { type: 'assign'; stage?: Stage; handlerId: string; conflict?: ConflictDeclaration | null }
  | {
      type: 'acknowledge';
      on?: LocalDate | null;
      definition?: {
        understanding?: string | null;
        outcomesSought?: string | null;
        points?: { id?: string | null; summary?: string | null; landlordResponsible?: boolean | null; responsibilityNote?: string | null }[] | null;
      } | null;
      discretion?: DiscretionDecision | null;
    }
  | {
      type: 'extend';
      reason?: string | null;
      newDue: LocalDate;
      residentToldOn?: LocalDate | null;
      ombudsmanDetailsGiven?: boolean | null;
      goodReason?: string | null;
      updateEveryWorkingDays?: number | null;
    }
  | { type: 'agree_update_interval'; everyWorkingDays: number; agreedOn?: LocalDate | null; agreedWith?: string | null }
  | { type: 'record_update'; on?: LocalDate | null; summary: string; method?: string | null }
  | { type: 'add_point'; summary: string; landlordResponsible: boolean; responsibilityNote?: string | null; raisedOn?: LocalDate | null }
  | {
      type: 'respond';
      on?: LocalDate | null;
      points?: { pointId: string; decision: PointDecisionValue; reasons?: string | null }[] | null;
      outcome?: Outcome | null;
      remedies?: RemedySummary[] | null;
      outstandingActions?: ActionSummary[] | null;
      nextSteps?: string | null;
      contributors?: string[] | null;
    }
  | { type: 'escalate'; requestedAt?: string | null; reason?: string | null; via?: string | null }
  | {
      type: 'refuse';
      kind: 'acceptance' | 'escalation';
      on?: LocalDate | null;
      ground?: string | null;
      reasoning?: string | null;
      ombudsmanRightGiven?: boolean | null;
      discretion?: DiscretionDecision | null;
    }
  | { type: 'withdraw'; on?: LocalDate | null; reason?: string | null; how?: string | null }
  | { type: 'reopen'; on?: LocalDate | null; reason?: string | null }
  | { type: 'close'; on?: LocalDate | null; summary?: string | null };

const blank = (s: string | null | undefined) => !s || s.trim().length === 0;

function fail(code: string, message: string, field?: string): never {
  throw new RuleViolation(code, message, field);
}

function requireStatus(state: ComplaintState, allowed: Status[], action: string) {
  if (!allowed.includes(state.status)) {
    fail(
      'not_allowed_now',
      `You cannot ${action} a complaint that is ${describeStatus(state)}.`,
    );
  }
}

export function describeStatus(state: ComplaintState): string {
  const st = `stage ${state.stage}`;
  switch (state.status) {
    case 'awaiting_acknowledgement':
      return `awaiting acknowledgement at ${st}`;
    case 'investigating':
      return `being investigated at ${st}`;
    case 'responded':
      return `responded to at ${st}`;
    case 'refused':
      return state.refusal?.kind === 'escalation' ? 'refused escalation' : 'refused';
    case 'withdrawn':
      return 'withdrawn';
    case 'closed':
      return `closed after ${st}`;
  }
}

function dateOn(on: LocalDate | null | undefined, ctx: DecideContext, field: string, notBefore?: LocalDate, notBeforeLabel?: string): LocalDate {
  const today = londonDateOf(ctx.now);
  const d = on ?? today;
  if (d > today) fail('date_in_future', `The date cannot be in the future (today is ${today}).`, field);
  if (notBefore && d < notBefore) fail('date_too_early', `The date cannot be before ${notBeforeLabel ?? notBefore} (${notBefore}).`, field);
  return d;
}

function checkAssignable(state: ComplaintState, stage: Stage, handlerId: string) {
  if (state.subjectStaffIds.includes(handlerId)) {
    fail('handler_is_subject', 'This member of staff is named in the complaint and cannot handle it (Code 5.8).', 'handlerId');
  }
  if (stage === 2 && state.stages[1].handlers.includes(handlerId)) {
    fail(
      'stage_two_handler_handled_stage_one',
      'The stage 2 handler must not be the person who handled stage 1 (Code 6.13). Choose someone else.',
      'handlerId',
    );
  }
}

/**
 * Check a command against the complaint's state. Returns the event(s) to record, or throws a
 * RuleViolation saying what the Code forbids. Pure: the caller records the event.
 */
export function decide(state: ComplaintState, cmd: Command, ctx: DecideContext): LifecycleEventData[] {
  const cal = ctx.calendar;
  const rules = ruleSetFor(state.ruleVersion);
  const stage = state.stage;
  const s = currentStage(state);

  switch (cmd.type) {
    case 'triage': {
      if (state.stage !== 1) fail('not_allowed_now', 'Triage happens at stage 1.');
      requireStatus(state, ['awaiting_acknowledgement', 'investigating'], 'triage');
      return [{ type: 'triaged', complexity: cmd.complexity, vulnerable: cmd.vulnerable, atRisk: cmd.atRisk, notes: cmd.notes ?? null }];
    }

    case 'assign': {
      const target: Stage = cmd.stage ?? stage;
      if (target === 2 && !state.stages[2]) fail('not_allowed_now', 'The complaint has not been escalated to stage 2.', 'stage');
      if (target !== stage) fail('not_allowed_now', `The complaint is at stage ${stage}; assign a handler for that stage.`, 'stage');
      requireStatus(state, ['awaiting_acknowledgement', 'investigating', 'responded'], 'assign');
      if (!cmd.conflict) {
        fail('conflict_declaration_required', 'The handler must declare whether they have a conflict of interest (Code 5.8).', 'conflict');
      }
      if (cmd.conflict.hasConflict) {
        fail(
          'conflict_of_interest',
          'The handler has declared a conflict of interest, so they cannot handle this complaint (Code 5.8). Assign someone else.',
          'conflict',
        );
      }
      checkAssignable(state, target, cmd.handlerId);
      return [{ type: 'assigned', stage: target, handlerId: cmd.handlerId, conflict: { hasConflict: false, statement: cmd.conflict.statement ?? null } }];
    }

    case 'acknowledge': {
      requireStatus(state, ['awaiting_acknowledgement'], 'acknowledge');
      if (!s.handlerId) fail('handler_required', `Assign a stage ${stage} handler before acknowledging: the acknowledgement says who is handling the complaint.`, 'handlerId');
      const on = dateOn(cmd.on, ctx, 'on', s.startDate, stage === 1 ? 'the date the complaint was received' : 'the date escalation was requested');
      const def = cmd.definition;
      if (!def) fail('definition_required', 'Acknowledging needs the complaint definition: your understanding of the complaint, the outcomes sought and the points to answer (Code 5.6).', 'definition');
      if (blank(def.understanding)) fail('definition_required', 'Enter your understanding of the complaint (Code 5.6).', 'definition.understanding');
      if (blank(def.outcomesSought)) fail('definition_required', 'Enter the outcomes the resident is seeking (Code 5.6).', 'definition.outcomesSought');
      if (!def.points || def.points.length === 0) fail('definition_required', 'List at least one point of complaint to answer (Code 5.6).', 'definition.points');
      const points: DefinitionPoint[] = def.points.map((p, i) => {
        if (blank(p.summary)) fail('definition_required', `Point ${i + 1} needs a summary.`, `definition.points.${i}.summary`);
        if (typeof p.landlordResponsible !== 'boolean') {
          fail('responsibility_required', `Say whether point ${i + 1} is within the landlord's responsibility (Code 5.7).`, `definition.points.${i}.landlordResponsible`);
        }
        if (!p.landlordResponsible && blank(p.responsibilityNote)) {
          fail('responsibility_required', `Point ${i + 1} is outside the landlord's responsibility: say who is responsible (Code 5.7).`, `definition.points.${i}.responsibilityNote`);
        }
        return {
          id: blank(p.id) ? `P${i + 1}` : p.id!.trim(),
          summary: p.summary!.trim(),
          landlordResponsible: p.landlordResponsible,
          responsibilityNote: p.responsibilityNote?.trim() || null,
        };
      });
      const ids = new Set(points.map((p) => p.id));
      if (ids.size !== points.length) fail('duplicate_point', 'Each point needs a different id.', 'definition.points');
      let discretion: DiscretionDecision | null = null;
      if (stage === 1 && state.lateIssue) {
        if (!cmd.discretion || cmd.discretion.decision !== 'accept' || blank(cmd.discretion.reasons)) {
          fail(
            'discretion_required',
            `The issue arose on ${state.issueArose}, more than 12 months before the complaint. To accept it, record your discretion decision and its reasons (Code 2.3).`,
            'discretion',
          );
        }
        discretion = { decision: 'accept', reasons: cmd.discretion.reasons.trim() };
      }
      const responseDueTold =
        rules.responseClockFrom[stage] === 'start'
          ? cal.addWorkingDays(s.startDate, rules.responseDays[stage])
          : cal.addWorkingDays(on, rules.responseDays[stage]);
      return [
        {
          type: 'acknowledged',
          stage,
          on,
          definition: { understanding: def.understanding!.trim(), outcomesSought: def.outcomesSought!.trim(), points },
          responseDueTold,
          discretion,
        },
      ];
    }

    case 'extend': {
      requireStatus(state, ['investigating'], 'extend');
      if (blank(cmd.reason)) fail('reason_required', 'Give the reason for the extension; it is explained to the resident (Code 6.4).', 'reason');
      if (cmd.ombudsmanDetailsGiven !== true) {
        fail('ombudsman_details_required', "The extension notice must give the Ombudsman's contact details (Code 6.5 and 6.16).", 'ombudsmanDetailsGiven');
      }
      if (cmd.newDue <= s.responseDue) fail('new_date_not_later', `The new date must be after the date now in force (${s.responseDue}).`, 'newDue');
      if (!cal.isWorkingDay(cmd.newDue)) fail('not_a_working_day', `${cmd.newDue} is not a working day.`, 'newDue');
      const cap = rules.extensionCap[stage];
      const totalBeyondOriginal = cal.workingDaysBetween(s.responseDueOriginal, cmd.newDue);
      const beyondCap = totalBeyondOriginal > cap;
      if (beyondCap && blank(cmd.goodReason)) {
        fail(
          'extension_over_cap',
          `An extension of ${totalBeyondOriginal} working days beyond the original date goes over the ${cap} working days the Code allows at stage ${stage} (Code ${stage === 1 ? '6.4' : '6.15'}). Record a good reason to go further.`,
          'goodReason',
        );
      }
      const residentToldOn = dateOn(cmd.residentToldOn, ctx, 'residentToldOn', s.acknowledgedOn ?? s.startDate, 'the acknowledgement');
      const events: LifecycleEventData[] = [];
      if (!s.updateInterval) {
        const every = cmd.updateEveryWorkingDays;
        if (!every) {
          fail('update_interval_required', 'The response will be later than first said: agree with the resident how often you will update them (Code 5.9).', 'updateEveryWorkingDays');
        }
        events.push({ type: 'update_interval_agreed', stage, everyWorkingDays: every, agreedOn: residentToldOn, agreedWith: null });
      }
      events.push({
        type: 'extended',
        stage,
        reason: cmd.reason!.trim(),
        previousDue: s.responseDue,
        newDue: cmd.newDue,
        residentToldOn,
        ombudsmanDetailsGiven: true,
        goodReason: cmd.goodReason?.trim() || null,
        beyondCap,
        toldLate: residentToldOn > s.responseDue,
      });
      return events;
    }

    case 'agree_update_interval': {
      requireStatus(state, ['awaiting_acknowledgement', 'investigating'], 'agree an update interval for');
      const agreedOn = dateOn(cmd.agreedOn, ctx, 'agreedOn', s.startDate, 'the start of the stage');
      return [{ type: 'update_interval_agreed', stage, everyWorkingDays: cmd.everyWorkingDays, agreedOn, agreedWith: cmd.agreedWith ?? null }];
    }

    case 'record_update': {
      requireStatus(state, ['awaiting_acknowledgement', 'investigating'], 'record an update on');
      if (blank(cmd.summary)) fail('summary_required', 'Say what the resident was told.', 'summary');
      const on = dateOn(cmd.on, ctx, 'on', s.startDate, 'the start of the stage');
      return [{ type: 'update_given', stage, on, summary: cmd.summary.trim(), method: cmd.method ?? null }];
    }

    case 'add_point': {
      if (stage !== 1 || !['awaiting_acknowledgement', 'investigating'].includes(state.status)) {
        fail(
          'raise_as_new_complaint',
          'A new issue raised after the stage 1 response becomes a new complaint, linked to this one (Code 6.8).',
        );
      }
      if (!s.definition) fail('not_acknowledged', 'Add the issue to the complaint definition when you acknowledge it.');
      if (blank(cmd.summary)) fail('summary_required', 'Describe the new issue.', 'summary');
      if (!cmd.landlordResponsible && blank(cmd.responsibilityNote)) {
        fail('responsibility_required', "This issue is outside the landlord's responsibility: say who is responsible (Code 5.7).", 'responsibilityNote');
      }
      const raisedOn = dateOn(cmd.raisedOn, ctx, 'raisedOn', s.startDate, 'receipt');
      const id = `P${s.definition.points.length + 1}`;
      return [
        {
          type: 'point_added',
          stage,
          raisedOn,
          point: { id, summary: cmd.summary.trim(), landlordResponsible: cmd.landlordResponsible, responsibilityNote: cmd.responsibilityNote?.trim() || null },
        },
      ];
    }

    case 'respond': {
      requireStatus(state, ['investigating'], 'respond to');
      const def = s.definition!;
      const on = dateOn(cmd.on, ctx, 'on', s.acknowledgedOn!, 'the acknowledgement');
      const missing = missingResponseElements(stage, def, cmd);
      if (missing.length > 0) {
        const first = missing[0];
        fail('response_incomplete', `The response is missing: ${missing.map((m) => m.label).join('; ')} (Code ${stage === 1 ? '6.9' : '6.19'}).`, first.field);
      }
      const decisions = cmd.points!;
      for (const d of decisions) {
        const p = def.points.find((x) => x.id === d.pointId);
        if (!p) fail('unknown_point', `There is no point ${d.pointId} in the complaint definition.`, 'points');
        if (d.decision === 'outside_responsibility' && p.landlordResponsible) {
          fail('decision_invalid', `Point ${p.id} is within the landlord's responsibility: decide whether it is upheld.`, 'points');
        }
      }
      const anyUpheld = decisions.some((d) => d.decision === 'upheld' || d.decision === 'partly_upheld');
      const answerable = decisions.filter((d) => d.decision !== 'outside_responsibility');
      if (cmd.outcome === 'not_upheld' && anyUpheld) fail('outcome_inconsistent', 'A point is upheld, so the complaint cannot be "not upheld" overall.', 'outcome');
      if (cmd.outcome !== 'not_upheld' && !anyUpheld) fail('outcome_inconsistent', 'No point is upheld, so the complaint cannot be upheld overall.', 'outcome');
      if (cmd.outcome === 'upheld' && answerable.some((d) => d.decision !== 'upheld')) {
        fail('outcome_inconsistent', 'Not every point is upheld, so the overall outcome is "partly upheld".', 'outcome');
      }
      if (anyUpheld && cmd.remedies!.length === 0) {
        fail('remedy_required', 'The complaint is upheld in whole or part: set out the remedy (Code 7.1). An apology counts.', 'remedies');
      }
      return [
        {
          type: 'responded',
          stage,
          on,
          points: decisions.map((d) => ({ pointId: d.pointId, decision: d.decision, reasons: d.reasons!.trim() })),
          outcome: cmd.outcome!,
          remedies: cmd.remedies!,
          outstandingActions: cmd.outstandingActions!,
          nextSteps: cmd.nextSteps!.trim(),
          contributors: cmd.contributors ?? [],
        },
      ];
    }

    case 'escalate': {
      const closedAfterStageOne = state.status === 'closed' && state.stage === 1 && state.statusBeforeEnd === 'responded';
      if (!(state.stage === 1 && (state.status === 'responded' || closedAfterStageOne))) {
        if (state.stage === 2) fail('already_stage_two', 'The complaint is already at stage 2; there is no third stage (Code 5.3).');
        fail('not_allowed_now', `You cannot escalate a complaint that is ${describeStatus(state)}: escalation follows the stage 1 response.`);
      }
      const requestedAt = cmd.requestedAt ? new Date(cmd.requestedAt) : ctx.now;
      if (requestedAt.getTime() > ctx.now.getTime() + 60_000) fail('date_in_future', 'The escalation request cannot be in the future.', 'requestedAt');
      if (londonDateOf(requestedAt) < state.stages[1].respondedOn!) fail('date_too_early', 'The escalation request cannot be before the stage 1 response.', 'requestedAt');
      return [{ type: 'escalation_requested', requestedAt: requestedAt.toISOString(), reason: cmd.reason?.trim() || null, via: cmd.via ?? null }];
    }

    case 'refuse': {
      if (cmd.kind === 'acceptance') {
        if (stage !== 1 || !['awaiting_acknowledgement', 'investigating'].includes(state.status)) {
          fail('not_allowed_now', `You can refuse to accept a complaint only at stage 1, before the response; this one is ${describeStatus(state)}.`);
        }
      } else if (!(stage === 2 && state.status === 'awaiting_acknowledgement')) {
        fail('not_allowed_now', 'You can refuse to escalate only when escalation has been requested and stage 2 is not yet acknowledged.');
      }
      if (blank(cmd.ground)) fail('ground_required', 'Choose the ground in the complaints policy for refusing (Code 2.1 and 5.11).', 'ground');
      if (!ctx.exclusionGrounds.includes(cmd.ground!)) {
        fail('ground_invalid', `"${cmd.ground}" is not a ground in the complaints policy. Refusals may rest only on the policy's exclusions (Code 2.2 and 5.11).`, 'ground');
      }
      if (blank(cmd.reasoning)) fail('reasoning_required', 'Explain, for this case, why the ground applies: refusals are decided on their merits, never as a blanket rule (Code 2.1 and 2.5).', 'reasoning');
      if (cmd.ombudsmanRightGiven !== true) {
        fail('ombudsman_right_required', "The refusal must tell the resident of their right to take the decision to the Ombudsman (Code 2.4).", 'ombudsmanRightGiven');
      }
      let discretion: DiscretionDecision | null = null;
      if (cmd.ground === 'over_12_months') {
        if (!state.lateIssue) {
          fail('ground_not_met', state.issueArose
            ? `The issue arose on ${state.issueArose}, within 12 months of the complaint, so this ground does not apply.`
            : 'Record when the issue arose before refusing it as more than 12 months old.', 'ground');
        }
        if (!cmd.discretion || blank(cmd.discretion.reasons)) {
          fail('discretion_required', 'Before refusing an issue over 12 months old, consider discretion and record your decision and its reasons (Code 2.3).', 'discretion');
        }
        discretion = { decision: 'refuse', reasons: cmd.discretion.reasons.trim() };
      }
      const on = dateOn(cmd.on, ctx, 'on', s.startDate, 'the start of the stage');
      return [
        { type: 'refused', kind: cmd.kind, stage, on, ground: cmd.ground!, reasoning: cmd.reasoning!.trim(), ombudsmanRightGiven: true, discretion },
      ];
    }

    case 'withdraw': {
      requireStatus(state, ['awaiting_acknowledgement', 'investigating', 'responded'], 'withdraw');
      if (blank(cmd.reason)) fail('reason_required', 'Record what the resident said when withdrawing.', 'reason');
      const on = dateOn(cmd.on, ctx, 'on', state.receivedOn, 'receipt');
      return [{ type: 'withdrawn', on, reason: cmd.reason!.trim(), how: cmd.how ?? null }];
    }

    case 'reopen': {
      requireStatus(state, ['closed', 'withdrawn', 'refused'], 'reopen');
      if (blank(cmd.reason)) fail('reason_required', 'Give the reason for reopening.', 'reason');
      const on = dateOn(cmd.on, ctx, 'on');
      return [{ type: 'reopened', on, reason: cmd.reason!.trim() }];
    }

    case 'close': {
      if (state.status !== 'responded') {
        fail('not_allowed_now', `You can close a complaint once it has been responded to; this one is ${describeStatus(state)}.`);
      }
      const on = dateOn(cmd.on, ctx, 'on', s.respondedOn!, 'the response');
      return [{ type: 'closed', on, summary: cmd.summary ?? null }];
    }
  }
}

export interface ResponseElement {
  key: string;
  label: string;
  field: string;
}

/** What a response must contain (Code 6.9 for stage 1, 6.19 for stage 2). */
export function responseElements(stage: Stage): ResponseElement[] {
  return [
    { key: 'a', label: '(a) the complaint stage', field: 'stage' },
    { key: 'b', label: '(b) the complaint definition', field: 'definition' },
    { key: 'c', label: '(c) the decision on the complaint', field: 'outcome' },
    { key: 'd', label: '(d) the reasons for any decisions made', field: 'points' },
    { key: 'e', label: '(e) the details of any remedy offered to put things right', field: 'remedies' },
    { key: 'f', label: '(f) details of any outstanding actions', field: 'outstandingActions' },
    stage === 1
      ? { key: 'g', label: '(g) details of how to escalate the matter to stage 2', field: 'nextSteps' }
      : { key: 'g', label: '(g) details of how to escalate the matter to the Ombudsman', field: 'nextSteps' },
  ];
}

/** The required elements a response leaves out, including any point of the definition left unanswered. */
export function missingResponseElements(
  stage: Stage,
  definition: Definition | null,
  cmd: { points?: { pointId: string; decision?: string | null; reasons?: string | null }[] | null; outcome?: string | null; remedies?: unknown[] | null; outstandingActions?: unknown[] | null; nextSteps?: string | null },
): ResponseElement[] {
  const els = responseElements(stage);
  const missing: ResponseElement[] = [];
  const el = (k: string) => els.find((e) => e.key === k)!;
  if (!definition) missing.push(el('b'));
  if (!cmd.outcome) missing.push(el('c'));
  const answered = new Map((cmd.points ?? []).map((p) => [p.pointId, p]));
  const unanswered = (definition?.points ?? []).filter((p) => {
    const a = answered.get(p.id);
    return !a || !a.decision || blank(a.reasons);
  });
  if (!cmd.points || cmd.points.length === 0 || unanswered.length > 0) {
    missing.push({
      ...el('d'),
      label:
        unanswered.length > 0
          ? `(d) a decision and reasons for every point of the complaint (unanswered: ${unanswered.map((p) => p.id).join(', ')})`
          : el('d').label,
    });
  }
  if (!Array.isArray(cmd.remedies)) missing.push(el('e'));
  if (!Array.isArray(cmd.outstandingActions)) missing.push(el('f'));
  if (blank(cmd.nextSteps)) missing.push(el('g'));
  return missing;
}

/**
 * Whether each stage met its clocks: for reports and the worklist. A stage that ended without a
 * response (refused, withdrawn) has no clock running: nothing in it is late from then on.
 */
export function stageTimeliness(
  s: Pick<StageState, 'acknowledgedOn' | 'acknowledgementDue' | 'respondedOn' | 'responseDueOriginal' | 'responseDueCompliant' | 'responseDue'>,
  today: LocalDate,
  endedWithoutResponse = false,
) {
  const ackOnTime = s.acknowledgedOn ? s.acknowledgedOn <= s.acknowledgementDue : endedWithoutResponse || today <= s.acknowledgementDue ? null : false;
  const respondedOnTimeOriginal = s.respondedOn ? s.respondedOn <= s.responseDueOriginal : null;
  const respondedOnTimeCompliant = s.respondedOn ? s.respondedOn <= s.responseDueCompliant : null;
  const openPastDue = !s.respondedOn && !endedWithoutResponse && today > s.responseDue;
  return { ackOnTime, respondedOnTimeOriginal, respondedOnTimeCompliant, openPastDue };
}

/** Related issues: before the stage 1 response they join the complaint; after it they become a new one (Code 6.8). */
export function relatedIssueRoute(state: ComplaintState): 'join' | 'new_complaint' {
  return state.stage === 1 && (state.status === 'awaiting_acknowledgement' || state.status === 'investigating') && !!state.stages[1].definition
    ? 'join'
    : 'new_complaint';
}

/** The columns of the complaints row that are a projection of the state (ComplaintService and the seed write them). */
export function projectionColumns(state: ComplaintState) {
  const due = nextDue(state);
  const s = currentStage(state);
  return {
    status: state.status,
    stage: state.stage,
    rule_version: state.ruleVersion,
    stage1_handler_id: state.stages[1].handlerId,
    stage2_handler_id: state.stages[2]?.handlerId ?? null,
    outcome: state.stages[2]?.outcome ?? state.stages[1].outcome,
    next_due_on: due?.date ?? null,
    next_due_kind: due?.kind ?? null,
    extended: s.extensions.length > 0,
    closed_on: state.closedOn,
  };
}
