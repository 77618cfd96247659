/**
 * The Ombudsman's side of a case (rules.md §6): findings per issue, orders (binding, with "no later
 * than" dates) and recommendations, and the Ombudsman's requests for information, whose late reply
 * risks a Complaint Handling Failure Order. Pure rules and labels.
 */
import type { LocalDate } from './dates.js';

export const FINDINGS = [
  'no_maladministration',
  'service_failure',
  'maladministration',
  'severe_maladministration',
  'reasonable_redress',
  'mediation',
  'outside_jurisdiction',
  'withdrawn',
] as const;
export type Finding = (typeof FINDINGS)[number];
export const FINDING_LABELS: Record<Finding, string> = {
  no_maladministration: 'No maladministration',
  service_failure: 'Service failure',
  maladministration: 'Maladministration',
  severe_maladministration: 'Severe maladministration',
  reasonable_redress: 'Reasonable redress',
  mediation: 'Mediation',
  outside_jurisdiction: 'Outside jurisdiction',
  withdrawn: 'Withdrawn',
};
/** Findings that say the landlord got something wrong. */
export const ADVERSE_FINDINGS: readonly Finding[] = ['service_failure', 'maladministration', 'severe_maladministration'];

/** What an issue is about: record keeping and complaint handling are often findings of their own. */
export const ISSUE_KINDS = ['repairs', 'damp_and_mould', 'anti_social_behaviour', 'complaint_handling', 'record_keeping', 'staff_conduct', 'charges', 'other'] as const;
export type IssueKind = (typeof ISSUE_KINDS)[number];
export const ISSUE_KIND_LABELS: Record<IssueKind, string> = {
  repairs: 'Repairs',
  damp_and_mould: 'Damp and mould',
  anti_social_behaviour: 'Anti-social behaviour',
  complaint_handling: 'Complaint handling',
  record_keeping: 'Record keeping',
  staff_conduct: 'Staff conduct',
  charges: 'Rent and service charges',
  other: 'Other',
};

export const ORDER_KINDS = ['order', 'recommendation'] as const;
export type OrderKind = (typeof ORDER_KINDS)[number];

export const OMBUDSMEN = ['HOS', 'LGSCO'] as const;
export const OMBUDSMAN_LABELS: Record<(typeof OMBUDSMEN)[number], string> = {
  HOS: 'Housing Ombudsman',
  LGSCO: 'Local Government and Social Care Ombudsman',
};

export const CHFO_NOTE =
  'A late reply to the Ombudsman risks a Complaint Handling Failure Order, published quarterly naming the landlord.';

/** "Partial maladministration": some but not all issues upheld. */
export function overallFinding(findings: readonly Finding[]): 'none' | 'maladministration' | 'partial_maladministration' | 'no_maladministration' {
  if (findings.length === 0) return 'none';
  const adverse = findings.filter((f) => ADVERSE_FINDINGS.includes(f)).length;
  if (adverse === 0) return 'no_maladministration';
  return adverse === findings.length ? 'maladministration' : 'partial_maladministration';
}

export function isSevere(findings: readonly Finding[]): boolean {
  return findings.includes('severe_maladministration');
}

export interface RequestState {
  dueOn: LocalDate;
  repliedOn: LocalDate | null;
}

/** 'replied' on time, 'late' (replied after the due date), 'overdue' (not replied, date passed), or 'open'. */
export function requestState(r: RequestState, today: LocalDate): 'replied' | 'late' | 'overdue' | 'open' {
  if (r.repliedOn) return r.repliedOn > r.dueOn ? 'late' : 'replied';
  return today > r.dueOn ? 'overdue' : 'open';
}

export interface OrderState {
  kind: OrderKind;
  dueOn: LocalDate | null;
  compliedOn: LocalDate | null;
  evidenceSentOn: LocalDate | null;
  declinedReason: string | null;
}

/** An order is done when complied with and the evidence has gone to the Ombudsman. */
export function orderState(o: OrderState, today: LocalDate): 'complied' | 'complied_evidence_due' | 'overdue' | 'open' | 'not_accepted' {
  if (o.declinedReason) return 'not_accepted';
  if (o.compliedOn && o.evidenceSentOn) return 'complied';
  if (o.dueOn && today > o.dueOn) return 'overdue';
  if (o.compliedOn) return 'complied_evidence_due';
  return 'open';
}

export const ORDER_STATE_LABELS = {
  complied: 'Complied with, evidence sent',
  complied_evidence_due: 'Complied with, evidence not yet sent',
  overdue: 'Overdue',
  open: 'Open',
  not_accepted: 'Not accepted (recommendation)',
} as const;
