/**
 * One complaint's life, simulated in memory with the pure core: every lifecycle event is produced
 * by `decide` (so the engine accepts it) and every projected column and history summary comes from
 * `project`, exactly as `ComplaintService` derives them. No I/O: the loader writes the rows.
 */
import type { WorkingDayCalendar } from '../core/calendar.js';
import { addDays, londonDateOf, type LocalDate } from '../core/dates.js';
import {
  decide,
  project,
  type ActionSummary,
  type Command,
  type ComplaintState,
  type LifecycleEvent,
  type LifecycleEventData,
  type Outcome,
  type RemedySummary,
  historySummary,
} from '../core/lifecycle.js';
import { ruleSetFor, ruleVersionForReceipt } from '../core/rules.js';
import { applyRemedy, DEFAULT_REMEDY_SETTINGS, newRemedy, type RemedyRecord } from '../core/remedies.js';
import type { Rng } from '../demo/generate.js';

export interface SeedStaff {
  id: string;
  name: string;
  role: string;
  team: string | null;
}

export interface SimStep {
  action: string;
  event: LifecycleEventData;
  before: unknown;
  after: unknown;
  actor: SeedStaff;
  at: Date;
}

export interface SimRemedy {
  stage: number;
  record: RemedyRecord;
  description: string;
  actor: SeedStaff;
  /** The remedy's own history: added, then any later steps, each with the record after it. */
  steps: { action: string; at: Date; before: RemedyRecord | null; after: RemedyRecord }[];
}

export interface SimAction {
  stage: number;
  description: string;
  ownerTeam: string;
  dueOn: LocalDate | null;
  recordedOn: LocalDate;
  completedOn: LocalDate | null;
  actor: SeedStaff;
  at: Date;
}

export interface SimLetter {
  kind: string;
  stage: number;
  at: Date;
  actor: SeedStaff;
}

export interface SimResult {
  steps: SimStep[];
  /** The row's version as the services keep it: 1 at receipt, plus one per command applied. */
  version: number;
  state: ComplaintState;
  remedies: SimRemedy[];
  actions: SimAction[];
  letters: SimLetter[];
}

export interface SimInput {
  rng: Rng;
  cal: WorkingDayCalendar;
  receivedAt: Date;
  /** The simulated "now": nothing happens after it, so recent cases are still open. */
  endMs: number;
  logger: SeedStaff;
  manager: SeedStaff;
  handlers: SeedStaff[];
  area: string;
  issue: string;
  exclusionGrounds: string[];
  channel: string;
  description: string;
  reference: string;
  category: string | null;
  issueArose: LocalDate | null;
}

export { projectionColumns } from '../core/lifecycle.js';

const HOUR = 3_600_000;
const DAY = 86_400_000;
const CONFLICT = 'No conflict of interest: I have no personal connection with the resident and was not involved in the matters complained about.';

/** An instant during office hours on a London date (10:00–16:00 UTC is the same date in London). */
function onDay(rng: Rng, d: LocalDate): Date {
  return new Date(Date.parse(`${d}T10:00:00Z`) + rng.int(0, 6 * 60) * 60_000);
}

const OUTCOMES: Record<1 | 2, readonly (readonly [Outcome, number])[]> = {
  1: [['upheld', 30], ['partly_upheld', 33], ['not_upheld', 37]],
  2: [['upheld', 22], ['partly_upheld', 30], ['not_upheld', 48]],
};

export function simulateComplaint(inp: SimInput): SimResult {
  const { rng, cal, endMs } = inp;
  const steps: SimStep[] = [];
  const remedies: SimRemedy[] = [];
  const actions: SimAction[] = [];
  const letters: SimLetter[] = [];
  const events: LifecycleEvent[] = [];
  const received: LifecycleEventData = {
    type: 'received',
    receivedAt: inp.receivedAt.toISOString(),
    issueArose: inp.issueArose,
    subjectStaffIds: [],
    ruleVersion: ruleVersionForReceipt(londonDateOf(inp.receivedAt)),
  };
  const loggedAt = new Date(Math.max(inp.receivedAt.getTime(), inp.receivedAt.getTime() + rng.int(0, 90) * 60_000));
  events.push({ ...received, actorId: inp.logger.id, at: loggedAt.toISOString() });
  let state = project(events, cal);
  steps.push({
    action: 'received',
    event: received,
    before: null,
    after: { reference: inp.reference, channel: inp.channel, description: inp.description, serviceArea: inp.area, category: inp.category, ...historySummary(state) },
    actor: inp.logger,
    at: loggedAt,
  });
  let clock = loggedAt.getTime();
  let commands = 0;

  /** Apply a command at an instant through the engine; false when the instant is after "now". */
  const apply = (actor: SeedStaff, at: Date, cmd: Command): boolean => {
    if (at.getTime() > endMs) return false;
    if (at.getTime() < clock) at = new Date(clock + 60_000);
    const out = decide(state, cmd, { calendar: cal, now: at, actorId: actor.id, exclusionGrounds: inp.exclusionGrounds });
    let before = historySummary(state);
    for (const e of out) {
      events.push({ ...e, actorId: actor.id, at: at.toISOString() });
      state = project(events, cal);
      const after = historySummary(state);
      steps.push({ action: e.type, event: e, before, after, actor, at });
      before = after;
    }
    clock = at.getTime();
    commands++;
    return true;
  };
  const wd = (from: LocalDate, n: number) => cal.addWorkingDays(from, n);
  const day = (d: LocalDate) => onDay(rng, d);

  // Triage and assignment, within a day or two of receipt.
  const s1Handler = rng.pick(inp.handlers);
  if (rng.chance(0.8)) {
    const vulnerable = rng.chance(0.12);
    if (!apply(inp.manager, new Date(clock + rng.int(1, 20) * HOUR), { type: 'triage', complexity: rng.chance(0.2) ? 'complex' : 'straightforward', vulnerable, atRisk: vulnerable && rng.chance(0.2), notes: null })) return done();
  }
  if (!apply(inp.manager, new Date(clock + rng.int(1, 30) * HOUR), { type: 'assign', stage: 1, handlerId: s1Handler.id, conflict: { hasConflict: false, statement: CONFLICT } })) return done();

  const s1 = state.stages[1];
  // 3% are refused at acceptance, on a policy ground.
  if (rng.chance(0.03)) {
    const on = wd(s1.startDate, rng.int(1, 5));
    apply(s1Handler, day(on), { type: 'refuse', kind: 'acceptance', on, ground: rng.chance(0.5) ? 'legal_proceedings' : 'already_considered', reasoning: 'The matter is already before the court (claim issued); the resident was told how to contact the Ombudsman.', ombudsmanRightGiven: true });
    if (state.status === 'refused') letters.push({ kind: 'refusal_acceptance', stage: 1, at: new Date(clock), actor: s1Handler });
    return done();
  }
  const stage1 = runStage(1, s1Handler);
  if (!stage1) return done();
  // ~15% of stage 1 complaints are escalated (a sixth of those responded to).
  if (rng.chance(0.175)) {
    const requested = new Date(Date.parse(`${state.stages[1].respondedOn}T12:00:00Z`) + rng.int(1, 35) * DAY + rng.int(0, 300) * 60_000);
    if (!apply(inp.logger, requested, { type: 'escalate', requestedAt: requested.toISOString(), reason: 'The resident is unhappy with the stage 1 response.', via: rng.pick(['email', 'phone', 'web']) })) return done();
    const used = new Set(state.stages[1].handlers);
    let s2Handler = rng.pick(inp.handlers);
    for (let i = 0; i < 10 && used.has(s2Handler.id); i++) s2Handler = rng.pick(inp.handlers);
    if (used.has(s2Handler.id)) s2Handler = inp.manager;
    if (!apply(inp.manager, new Date(clock + rng.int(1, 30) * HOUR), { type: 'assign', stage: 2, handlerId: s2Handler.id, conflict: { hasConflict: false, statement: CONFLICT } })) return done();
    if (rng.chance(0.05)) {
      const on = wd(state.stages[2]!.startDate, rng.int(1, 4));
      apply(s2Handler, day(on), { type: 'refuse', kind: 'escalation', on, ground: 'already_considered', reasoning: 'The stage 2 request raises no new matter: the issues were fully answered at stage 1.', ombudsmanRightGiven: true });
      if (state.status === 'refused') letters.push({ kind: 'refusal_escalation', stage: 2, at: new Date(clock), actor: s2Handler });
      return done();
    }
    if (runStage(2, s2Handler) && rng.chance(0.9)) {
      const on = wd(state.stages[2]!.respondedOn!, rng.int(1, 10));
      apply(s2Handler, day(on), { type: 'close', on, summary: 'Final response sent; remedies tracked to completion.' });
    }
  } else {
    const on = wd(state.stages[1].respondedOn!, rng.int(5, 20));
    apply(s1Handler, day(on), { type: 'close', on, summary: 'No escalation request within the time allowed.' });
  }
  return done();

  function done(): SimResult {
    return { steps, version: 1 + commands, state, remedies, actions, letters };
  }

  /** Acknowledge, perhaps extend, respond: true when the stage was responded to. */
  function runStage(stage: 1 | 2, handler: SeedStaff): boolean {
    const s = state.stages[stage]!;
    const ackLate = rng.chance(0.06);
    const ackOn = wd(s.startDate, ackLate ? rng.int(6, 9) : rng.int(s.startDate === londonDateOf(new Date(clock)) ? 1 : 1, 5));
    const points = [{ id: 'P1', summary: inp.issue, landlordResponsible: true, responsibilityNote: null as string | null }];
    if (rng.chance(0.45)) points.push({ id: 'P2', summary: 'How we communicated with the resident while the problem continued', landlordResponsible: true, responsibilityNote: null });
    if (rng.chance(0.05)) points.push({ id: `P${points.length + 1}`, summary: 'Noise from a privately owned neighbouring flat', landlordResponsible: false, responsibilityNote: "The council's environmental health team deals with statutory noise nuisance." });
    const late = state.lateIssue && stage === 1;
    if (
      !apply(handler, day(ackOn), {
        type: 'acknowledge',
        on: ackOn,
        definition: { understanding: `The resident is unhappy that: ${inp.issue.charAt(0).toLowerCase()}${inp.issue.slice(1)}.`, outcomesSought: 'The problem put right, an apology and compensation for the time and trouble.', points },
        discretion: late ? { decision: 'accept', reasons: 'The resident reported the problem repeatedly within 12 months; it is fair to consider it.' } : null,
      })
    ) return false;
    letters.push({ kind: `stage${stage}_acknowledgement`, stage, at: new Date(clock), actor: handler });
    if (stage === 1 && rng.chance(0.03)) {
      const on = wd(ackOn, rng.int(1, 6));
      if (apply(handler, day(on), { type: 'withdraw', on, reason: 'The resident said the repair has now been done and they no longer wish to complain.', how: 'phone' })) return false;
      return false;
    }
    const st = state.stages[stage]!;
    if (rng.chance(stage === 1 ? 0.1 : 0.14)) {
      const toldOn = wd(ackOn, rng.int(2, stage === 1 ? 8 : 15));
      const cap = ruleSetFor(state.ruleVersion).extensionCap[stage];
      const newDue = wd(st.responseDue, rng.int(3, cap));
      if (toldOn <= st.responseDue) {
        if (!apply(handler, day(toldOn), { type: 'extend', reason: 'We are waiting for the contractor’s report on the work needed.', newDue, residentToldOn: toldOn, ombudsmanDetailsGiven: true, goodReason: null, updateEveryWorkingDays: 5 })) return false;
        letters.push({ kind: 'extension', stage, at: new Date(clock), actor: handler });
        const upOn = wd(toldOn, 5);
        if (upOn < newDue) apply(handler, day(upOn), { type: 'record_update', on: upOn, summary: 'Told the resident the contractor has inspected and the report is due this week.', method: 'phone' });
      }
    }
    const due = state.stages[stage]!.responseDue;
    const lateResponse = rng.chance(stage === 1 ? 0.14 : 0.18);
    const span = cal.workingDaysBetween(state.stages[stage]!.acknowledgedOn!, due);
    const respOn = lateResponse ? wd(due, rng.int(1, 12)) : span >= 1 ? wd(state.stages[stage]!.acknowledgedOn!, rng.int(Math.max(1, span - 8), span)) : due;
    const outcome = rng.weighted(OUTCOMES[stage]);
    const defPoints = state.stages[stage]!.definition!.points;
    const decisions = defPoints.map((p, i) => ({
      pointId: p.id,
      decision: !p.landlordResponsible ? ('outside_responsibility' as const) : outcome === 'not_upheld' ? ('not_upheld' as const) : outcome === 'upheld' ? ('upheld' as const) : i === 0 ? ('partly_upheld' as const) : ('not_upheld' as const),
      reasons: !p.landlordResponsible ? 'This is not something we are responsible for; we have told the resident who is.' : 'We checked the repairs records, call logs and the contractor’s notes against what the resident told us.',
    }));
    const remedySummaries: RemedySummary[] = [];
    const actionSummaries: ActionSummary[] = [];
    if (outcome !== 'not_upheld') {
      remedySummaries.push({ type: 'apology', description: 'A written apology for what went wrong and the distress caused.' });
      if (rng.chance(0.55)) remedySummaries.push({ type: 'financial', description: 'Compensation for the time and trouble and the inconvenience.', amountPence: rng.int(5, 25) * 1000 });
      if (rng.chance(0.3)) remedySummaries.push({ type: 'action_on_delay', description: 'Complete the outstanding repair and confirm with the resident.', dueBy: wd(respOn, 15) });
      if (rng.chance(0.35)) actionSummaries.push({ description: 'Post-inspection of the completed works by a repairs supervisor', dueBy: wd(respOn, 20), owner: 'Repairs team' });
    }
    if (
      !apply(handler, day(respOn), {
        type: 'respond',
        on: respOn,
        points: decisions,
        outcome,
        remedies: remedySummaries,
        outstandingActions: actionSummaries,
        nextSteps: stage === 1 ? 'If you are unhappy with this response, ask us to escalate your complaint to stage 2 within 20 working days.' : 'This is our final response. You can ask the Housing Ombudsman to look at your complaint.',
        contributors: [],
      })
    ) return false;
    const at = new Date(clock);
    letters.push({ kind: `stage${stage}_response`, stage, at, actor: handler });
    for (const r of remedySummaries) remedies.push(remedyFor(stage, r, respOn, at, handler));
    for (const a of actionSummaries) {
      // Most outstanding actions are done by their date, some late, and a few are left undone.
      const roll = rng.int(0, 99);
      const doneOn = !a.dueBy || roll >= 97 ? null : roll < 80 ? addDays(a.dueBy, -rng.int(0, 10)) : addDays(a.dueBy, rng.int(1, 60));
      actions.push({ stage, description: a.description, ownerTeam: a.owner ?? 'Repairs team', dueOn: a.dueBy ?? null, recordedOn: respOn, completedOn: doneOn && Date.parse(`${doneOn}T12:00:00Z`) <= endMs && doneOn >= respOn ? doneOn : null, actor: handler, at });
    }
    return true;
  }

  /** A remedy as RemedyService.recordFromResponse writes it, then taken on as far as "now" allows. */
  function remedyFor(stage: number, r: RemedySummary, on: LocalDate, at: Date, actor: SeedStaff): SimRemedy {
    const ctx = { today: on, now: at, actorId: actor.id, role: 'handler', settings: DEFAULT_REMEDY_SETTINGS };
    let rec = newRemedy({ type: r.type, recordedOn: on, dueOn: r.dueBy ?? null, amountPence: r.amountPence ?? null, heads: null, offeredOn: r.type === 'financial' ? on : null }, ctx);
    const steps: SimRemedy['steps'] = [{ action: 'remedy_added', at, before: null, after: rec }];
    const step = (action: string, d: LocalDate, cmd: Parameters<typeof applyRemedy>[1]) => {
      const t = onDay(rng, d);
      if (t.getTime() > endMs) return false;
      const next = applyRemedy(rec, cmd, { ...ctx, today: d, now: t });
      steps.push({ action, at: t, before: rec, after: next });
      rec = next;
      return true;
    };
    if (r.type === 'apology') {
      const next = applyRemedy(rec, { type: 'complete', on, note: `Given in the stage ${stage} response.` }, ctx);
      steps.push({ action: 'remedy_completed', at, before: rec, after: next });
      rec = next;
    } else if (r.type === 'financial') {
      const acceptOn = addDays(on, rng.int(2, 20));
      if (rng.chance(0.85) && step('remedy_accepted', acceptOn, { type: 'accept', on: acceptOn })) {
        const paidOn = addDays(acceptOn, rng.int(3, 15));
        step('remedy_paid', paidOn, { type: 'pay', on: paidOn, method: 'bank_transfer', reference: `PAY-${rng.int(100000, 999999)}`, notOffsetConfirmed: true } as any);
      }
    } else if (r.dueBy && rng.chance(0.8)) {
      const doneOn = addDays(r.dueBy, -rng.int(0, 10));
      if (doneOn >= on) step('remedy_completed', doneOn, { type: 'complete', on: doneOn, note: 'Done and confirmed with the resident.' });
    }
    return { stage, record: rec, description: r.description, actor, steps };
  }
}
