/**
 * The learning register (Code 9): what went wrong, why, what the owning service area will change,
 * and when it changed. Pure rules: statuses, the root-cause list's defaults, and the checks on a
 * change. Every complaint upheld in whole or part prompts an item (the service creates it with the
 * response); a "you said, we did" entry may be published only from an item whose improvement is
 * made, in words written for publication (never the case's own text, which may hold personal data).
 */
import { isValidLocalDate, type LocalDate } from './dates.js';
import { RuleViolation } from './lifecycle.js';

export const LEARNING_STATUSES = ['open', 'area_responded', 'improvement_made', 'closed'] as const;
export type LearningStatus = (typeof LEARNING_STATUSES)[number];
export const LEARNING_STATUS_LABELS: Record<LearningStatus, string> = {
  open: 'Open: learning to be recorded',
  area_responded: 'Service area has responded',
  improvement_made: 'Improvement made',
  closed: 'Closed',
};

export interface RootCause {
  key: string;
  label: string;
}

/** The landlord can edit this list in settings; these are the defaults. */
export const DEFAULT_ROOT_CAUSES: RootCause[] = [
  { key: 'communication', label: 'Poor or no communication' },
  { key: 'repair_delay', label: 'Delay in a repair or service' },
  { key: 'repair_quality', label: 'Quality of work' },
  { key: 'missed_appointment', label: 'Missed appointment' },
  { key: 'policy_or_process', label: 'Policy or process not followed, or not fit for purpose' },
  { key: 'record_keeping', label: 'Record keeping' },
  { key: 'contractor', label: 'Contractor performance' },
  { key: 'staff_conduct', label: 'Staff conduct or attitude' },
  { key: 'complaint_handling', label: 'Complaint handling' },
  { key: 'vulnerability_not_considered', label: 'Needs or vulnerability not taken into account' },
  { key: 'other', label: 'Other' },
];

export interface LearningRecord {
  status: LearningStatus;
  rootCause: string | null;
  whatWentWrong: string | null;
  recommendation: string | null;
  serviceArea: string | null;
  areaResponse: string | null;
  improvement: string | null;
  improvedOn: LocalDate | null;
  closedReason: string | null;
  publishable: boolean;
  youSaid: string | null;
  weDid: string | null;
  recordedOn: LocalDate;
}

export type LearningPatch = Partial<Omit<LearningRecord, 'status' | 'recordedOn'>> & { status?: LearningStatus };

const blank = (s: string | null | undefined) => !s || !s.trim();
const fail = (code: string, message: string, field?: string): never => {
  throw new RuleViolation(code, message, field);
};

/** The record after a change, checked: each status needs what it claims to be recorded. */
export function applyLearning(r: LearningRecord, patch: LearningPatch, ctx: { today: LocalDate; rootCauses: readonly RootCause[] }): LearningRecord {
  const clean = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : v.trim() || null);
  const next: LearningRecord = { ...r };
  for (const k of ['rootCause', 'whatWentWrong', 'recommendation', 'serviceArea', 'areaResponse', 'improvement', 'closedReason', 'youSaid', 'weDid'] as const) {
    const v = clean(patch[k] as string | null | undefined);
    if (v !== undefined) next[k] = v;
  }
  if (patch.improvedOn !== undefined) next.improvedOn = patch.improvedOn;
  if (patch.publishable !== undefined) next.publishable = patch.publishable;
  if (patch.status !== undefined) next.status = patch.status;
  if (next.rootCause && !ctx.rootCauses.some((c) => c.key === next.rootCause) && next.rootCause !== r.rootCause) {
    fail('root_cause_invalid', `"${next.rootCause}" is not one of the root causes in settings.`, 'rootCause');
  }
  if (next.improvedOn !== null) {
    if (!isValidLocalDate(next.improvedOn)) fail('date_invalid', 'The date must be a real date written YYYY-MM-DD.', 'improvedOn');
    if (next.improvedOn > ctx.today) fail('date_in_future', 'The improvement cannot have been made in the future.', 'improvedOn');
  }
  const needs = (field: keyof LearningRecord, message: string) => {
    if (blank(next[field] as string | null)) fail('learning_incomplete', message, field);
  };
  if (next.status !== 'open' && next.status !== 'closed') {
    needs('rootCause', 'Choose the root cause.');
    needs('whatWentWrong', 'Say what went wrong.');
    needs('serviceArea', 'Name the service area that owns the learning.');
    needs('areaResponse', 'Record the service area’s response.');
  }
  if (next.status === 'improvement_made') {
    needs('improvement', 'Say what improvement was made.');
    if (!next.improvedOn) fail('learning_incomplete', 'Give the date the improvement was made.', 'improvedOn');
  }
  if (next.status === 'closed' && blank(next.improvement) && blank(next.closedReason)) {
    fail('learning_incomplete', 'Say why the item is closed without an improvement.', 'closedReason');
  }
  if (next.publishable) {
    if (next.status !== 'improvement_made' && !(next.status === 'closed' && !blank(next.improvement))) {
      fail('not_publishable', 'Only learning whose improvement has been made can be published as “you said, we did”.', 'publishable');
    }
    needs('youSaid', 'Write what residents said, for publication, without personal details.');
    needs('weDid', 'Write what was done, for publication, without personal details.');
  }
  return next;
}

/** The first day of the quarter (Jan, Apr, Jul, Oct) or month holding a date. */
export function periodOf(d: LocalDate, by: 'quarter' | 'month'): string {
  const y = d.slice(0, 4);
  const m = Number(d.slice(5, 7));
  return by === 'month' ? `${y}-${d.slice(5, 7)}` : `${y} Q${Math.floor((m - 1) / 3) + 1}`;
}
