/**
 * The case page's lifecycle forms: which steps a complaint allows now, and how each form's
 * fields become an engine command. The engine (src/core/lifecycle.ts) still decides every move.
 */
import { isValidLocalDate, type LocalDate } from '../../core/dates.js';
import { REMEDY_TYPES, type Command, type ComplaintState } from '../../core/lifecycle.js';

export const STEPS = {
  assign: 'Assign a handler',
  triage: 'Triage',
  acknowledge: 'Acknowledge and define the complaint',
  extend: 'Extend the response date',
  'update-interval': 'Agree how often to update the resident',
  updates: 'Record an update to the resident',
  'related-issue': 'Add a related issue',
  respond: 'Respond',
  escalate: 'Escalate to stage 2',
  refuse: 'Refuse to accept the complaint',
  'refuse-escalation': 'Refuse to escalate',
  withdraw: 'Record a withdrawal',
  reopen: 'Reopen',
  close: 'Close',
  link: 'Link a related complaint',
} as const;
export type Step = keyof typeof STEPS;

export function isStep(s: string): s is Step {
  return Object.prototype.hasOwnProperty.call(STEPS, s);
}

/** The steps offered for the complaint's current state, most likely first. */
export function availableSteps(state: ComplaintState): Step[] {
  const s1 = state.stage === 1;
  switch (state.status) {
    case 'awaiting_acknowledgement':
      return ['acknowledge', 'assign', ...(s1 ? (['triage', 'refuse'] as Step[]) : (['refuse-escalation'] as Step[])), 'update-interval', 'updates', 'withdraw', 'link'];
    case 'investigating':
      return ['respond', 'extend', 'update-interval', 'updates', ...(s1 ? (['related-issue', 'triage', 'refuse'] as Step[]) : []), 'assign', 'withdraw', 'link'];
    case 'responded':
      return ['close', ...(s1 ? (['escalate'] as Step[]) : []), 'related-issue', 'withdraw', 'link'];
    case 'closed':
      return [...(s1 ? (['escalate'] as Step[]) : []), 'reopen', 'related-issue', 'link'];
    default:
      return ['reopen', 'link'];
  }
}

export class FormProblem extends Error {
  constructor(
    public readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const opt = (v: unknown) => str(v) || null;

/** A GOV.UK date input (`<name>-day`, `-month`, `-year`): null when blank, a problem when not a real date. */
export function dateField(body: Record<string, any>, name: string, label: string, required = false): LocalDate | null {
  const d = str(body[`${name}-day`]);
  const m = str(body[`${name}-month`]);
  const y = str(body[`${name}-year`]);
  if (!d && !m && !y) {
    if (required) throw new FormProblem(name, `Enter ${label}`);
    return null;
  }
  if (!d || !m || !y) throw new FormProblem(name, `${label.charAt(0).toUpperCase() + label.slice(1)} must include a day, month and year`);
  if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(m) || !/^\d{4}$/.test(y)) throw new FormProblem(name, `${label.charAt(0).toUpperCase() + label.slice(1)} must be a real date`);
  const iso = `${y}-${m.padStart(2, '0')}-${d.padStart(2, '0')}`;
  if (!isValidLocalDate(iso)) throw new FormProblem(name, `${label.charAt(0).toUpperCase() + label.slice(1)} must be a real date`);
  return iso;
}

function rows(body: Record<string, any>, prefix: string, fields: string[], max: number) {
  const out: { index: number; values: Record<string, string> }[] = [];
  for (let i = 0; i < max; i++) {
    const values = Object.fromEntries(fields.map((f) => [f, str(body[`${prefix}-${i}-${f}`])]));
    if (Object.values(values).some((v) => v)) out.push({ index: i, values });
  }
  return out;
}

export const POINT_ROWS = 8;
export const REMEDY_ROWS = 4;
export const ACTION_ROWS = 4;

function pence(v: string, field: string): number | null {
  if (!v) return null;
  const clean = v.replace(/[£,\s]/g, '');
  if (!/^\d+(\.\d{1,2})?$/.test(clean)) throw new FormProblem(field, 'Enter an amount in pounds, like 150 or 150.50');
  return Math.round(Number(clean) * 100);
}

/** Turn a submitted form into the engine's command. Throws FormProblem for fields the engine cannot judge. */
export function toCommand(step: Exclude<Step, 'related-issue' | 'link'>, body: Record<string, any>, state: ComplaintState): Command {
  switch (step) {
    case 'assign': {
      if (!str(body.handlerId)) throw new FormProblem('handlerId', 'Select the handler');
      if (!body.conflict) throw new FormProblem('conflict', 'Say whether the handler has a conflict of interest');
      return { type: 'assign', handlerId: str(body.handlerId), conflict: { hasConflict: body.conflict === 'yes', statement: opt(body.statement) } };
    }
    case 'triage':
      if (!body.complexity) throw new FormProblem('complexity', 'Select how complex the complaint is');
      return { type: 'triage', complexity: body.complexity === 'complex' ? 'complex' : 'straightforward', vulnerable: body.vulnerable === 'yes', atRisk: body.atRisk === 'yes', notes: opt(body.notes) };
    case 'acknowledge': {
      const points = rows(body, 'point', ['summary', 'responsible', 'note'], POINT_ROWS).map((r) => {
        if (!r.values.summary) throw new FormProblem(`point-${r.index}-summary`, `Enter a summary for point ${r.index + 1}`);
        if (!r.values.responsible) throw new FormProblem(`point-${r.index}-responsible`, `Say whether point ${r.index + 1} is the landlord’s responsibility`);
        return { summary: r.values.summary, landlordResponsible: r.values.responsible === 'yes', responsibilityNote: r.values.note || null };
      });
      return {
        type: 'acknowledge',
        on: dateField(body, 'on', 'the date of the acknowledgement'),
        definition: { understanding: str(body.understanding), outcomesSought: str(body.outcomesSought), points },
        discretion: str(body.discretionReasons) ? { decision: 'accept', reasons: str(body.discretionReasons) } : null,
      };
    }
    case 'extend': {
      const every = str(body.updateEveryWorkingDays);
      if (every && !/^\d{1,2}$/.test(every)) throw new FormProblem('updateEveryWorkingDays', 'Enter the number of working days between updates, like 5');
      return {
        type: 'extend',
        reason: opt(body.reason),
        newDue: dateField(body, 'newDue', 'the new response date', true)!,
        residentToldOn: dateField(body, 'residentToldOn', 'the date the resident was told'),
        ombudsmanDetailsGiven: body.ombudsmanDetailsGiven === 'yes',
        goodReason: opt(body.goodReason),
        updateEveryWorkingDays: every ? Number(every) : null,
      };
    }
    case 'update-interval': {
      const every = str(body.everyWorkingDays);
      if (!/^\d{1,2}$/.test(every) || Number(every) < 1 || Number(every) > 20) throw new FormProblem('everyWorkingDays', 'Enter the number of working days between updates, from 1 to 20');
      return { type: 'agree_update_interval', everyWorkingDays: Number(every), agreedOn: dateField(body, 'agreedOn', 'the date it was agreed'), agreedWith: opt(body.agreedWith) };
    }
    case 'updates':
      if (!str(body.summary)) throw new FormProblem('summary', 'Enter what you told the resident');
      return { type: 'record_update', on: dateField(body, 'on', 'the date of the update'), summary: str(body.summary), method: opt(body.method) };
    case 'respond': {
      const def = state.stages[state.stage]?.definition;
      const points = (def?.points ?? []).map((p) => ({ pointId: p.id, decision: str(body[`decision-${p.id}`]) as any, reasons: str(body[`reasons-${p.id}`]) }));
      for (const p of points) if (!p.decision) throw new FormProblem(`decision-${p.pointId}`, `Select the decision on point ${p.pointId}`);
      const remedies = rows(body, 'remedy', ['type', 'description', 'amount', 'dueBy'], REMEDY_ROWS).map((r) => {
        if (!(REMEDY_TYPES as readonly string[]).includes(r.values.type)) throw new FormProblem(`remedy-${r.index}-type`, `Select the type of remedy ${r.index + 1}`);
        if (!r.values.description) throw new FormProblem(`remedy-${r.index}-description`, `Say what remedy ${r.index + 1} is`);
        return { type: r.values.type as any, description: r.values.description, amountPence: pence(r.values.amount, `remedy-${r.index}-amount`), dueBy: null };
      });
      const actions = rows(body, 'action', ['description', 'owner'], ACTION_ROWS).map((r) => {
        if (!r.values.description) throw new FormProblem(`action-${r.index}-description`, `Describe outstanding action ${r.index + 1}`);
        return { description: r.values.description, owner: r.values.owner || null, dueBy: dateField(body, `action-${r.index}-dueBy`, `the due date of action ${r.index + 1}`) };
      });
      return {
        type: 'respond',
        on: dateField(body, 'on', 'the date of the response'),
        points,
        outcome: (opt(body.outcome) as any) ?? null,
        remedies,
        outstandingActions: actions,
        nextSteps: opt(body.nextSteps),
      };
    }
    case 'escalate':
      return { type: 'escalate', reason: opt(body.reason), via: opt(body.via) };
    case 'refuse':
    case 'refuse-escalation':
      return {
        type: 'refuse',
        kind: step === 'refuse' ? 'acceptance' : 'escalation',
        ground: opt(body.ground),
        reasoning: opt(body.reasoning),
        ombudsmanRightGiven: body.ombudsmanRightGiven === 'yes',
        discretion: str(body.discretionReasons) ? { decision: 'refuse', reasons: str(body.discretionReasons) } : null,
        on: dateField(body, 'on', 'the date of the decision'),
      };
    case 'withdraw':
      return { type: 'withdraw', reason: opt(body.reason), how: opt(body.how), on: dateField(body, 'on', 'the date of the withdrawal') };
    case 'reopen':
      return { type: 'reopen', reason: opt(body.reason) };
    case 'close':
      return { type: 'close', summary: opt(body.summary), on: dateField(body, 'on', 'the date of closure') };
  }
}

/** Where an engine refusal's field shows on the form. */
export function formFieldFor(step: Step, field: string | undefined): string {
  if (!field) return 'form';
  const m = /^definition\.points\.(\d+)\.(summary|landlordResponsible|responsibilityNote)$/.exec(field);
  if (m) return `point-${m[1]}-${m[2] === 'summary' ? 'summary' : m[2] === 'landlordResponsible' ? 'responsible' : 'note'}`;
  // A refusal about the handler on any other step points at the form: the field is not on it.
  if (field === 'handlerId' && step !== 'assign') return 'form';
  const map: Record<string, string> = {
    'definition.understanding': 'understanding',
    'definition.outcomesSought': 'outcomesSought',
    'definition.points': 'point-0-summary',
    definition: 'understanding',
    discretion: 'discretionReasons',
    points: 'points',
    remedies: 'remedy-0-type',
    outstandingActions: 'action-0-description',
    newDue: 'newDue-day',
    residentToldOn: 'residentToldOn-day',
    on: 'on-day',
    agreedOn: 'agreedOn-day',
    requestedAt: 'reason',
  };
  return map[field] ?? field;
}
