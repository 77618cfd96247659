/**
 * The Complaint Handling Code's timescales, by rule version. Each case keeps the version it was
 * opened under (rules.md §1–2). Pure data: no I/O.
 */
import type { LocalDate } from './dates.js';

export type RuleVersion = '2024' | '2022';
export type Stage = 1 | 2;

export interface RuleSet {
  version: RuleVersion;
  label: string;
  /** Working days to acknowledge, define and log, at either stage. */
  acknowledgementDays: number;
  /** Working days for the response at each stage. */
  responseDays: Record<Stage, number>;
  /** What the response clock runs from at each stage. */
  responseClockFrom: Record<Stage, 'acknowledgement' | 'start'>;
  /** Extension allowed without a recorded good reason, in working days beyond the original date. */
  extensionCap: Record<Stage, number>;
}

export const RULES_2024: RuleSet = {
  version: '2024',
  label: 'Complaint Handling Code 2024 (statutory from 1 April 2024)',
  acknowledgementDays: 5,
  responseDays: { 1: 10, 2: 20 },
  responseClockFrom: { 1: 'acknowledgement', 2: 'acknowledgement' },
  extensionCap: { 1: 10, 2: 20 },
};

/** The 2022 Code: stage 1 timed from logging, stage 2 from the escalation request, +10 days at stage 2. */
export const RULES_2022: RuleSet = {
  version: '2022',
  label: 'Complaint Handling Code 2022',
  acknowledgementDays: 5,
  responseDays: { 1: 10, 2: 20 },
  responseClockFrom: { 1: 'start', 2: 'start' },
  extensionCap: { 1: 10, 2: 10 },
};

export const CODE_2024_START: LocalDate = '2024-04-01';

export function ruleSetFor(version: RuleVersion): RuleSet {
  return version === '2022' ? RULES_2022 : RULES_2024;
}

/** The rule version for a complaint received on the given London date. */
export function ruleVersionForReceipt(receivedOn: LocalDate): RuleVersion {
  return receivedOn < CODE_2024_START ? '2022' : '2024';
}

/** Months after which an issue is late for a complaint (Code 2.3); beyond it, discretion must be considered. */
export const LATE_ISSUE_MONTHS = 12;

/**
 * Default exclusion grounds (Code 2.2). Landlords may edit the list in settings; the key
 * `over_12_months` is special because it requires a recorded discretion decision.
 */
export const DEFAULT_EXCLUSION_GROUNDS: { key: string; label: string }[] = [
  { key: 'over_12_months', label: 'The issue arose, or the resident became aware of it, more than 12 months ago' },
  { key: 'legal_proceedings', label: 'Legal proceedings have started (claim form and particulars of claim filed at court)' },
  { key: 'already_considered', label: 'The matter has already been through the complaints process' },
];
