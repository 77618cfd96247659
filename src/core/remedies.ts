/**
 * Putting things right (Code section 7) as pure rules: remedies of every type in Code 7.1, the
 * financial remedy's state machine with its approval limits and lapse date, the Ombudsman's
 * guidance bands, and outstanding actions. No I/O happens here: the services load a record,
 * ask `decideRemedy` / `decideAction` for the change, and store it with its history row.
 *
 * A financial remedy moves
 *
 *   awaiting_approval ──approve──▶ approved ──offer──▶ offered ──accept──▶ accepted ──pay──▶ paid
 *          │                           │                 │  └──decline──▶ declined
 *          └──────cancel───────────────┴──▶ cancelled    └──(no acceptance by openUntil)──▶ lapsed
 *
 * and is created `approved` when the amount is within the proposer's own approval limit, else
 * `awaiting_approval`. Every other remedy is `open` until `done` or `cancelled` (with a reason).
 */
import { addDays, addMonths, isValidLocalDate, type LocalDate } from './dates.js';
import { RuleViolation, type RemedyType } from './lifecycle.js';
import { formatPounds } from './numbers.js';

export { REMEDY_TYPES, type RemedyType } from './lifecycle.js';

export const REMEDY_TYPE_LABELS: Record<RemedyType, string> = {
  apology: 'Apology',
  acknowledgement_of_fault: 'Acknowledging what went wrong',
  explanation: 'Explanation, help or reasons',
  action_on_delay: 'Action on delay',
  reconsidered_decision: 'Reconsidered or changed decision',
  amended_record: 'Amended record or correction',
  financial: 'Financial remedy',
  policy_change: 'Change of policy, procedure or practice',
};

/** Heads of award for a financial remedy (rules.md §5). */
export const HEADS_OF_AWARD = ['quantifiable_loss', 'time_and_trouble', 'distress_and_inconvenience', 'statutory_payment'] as const;
export type HeadOfAward = (typeof HEADS_OF_AWARD)[number];
export const HEAD_LABELS: Record<HeadOfAward, string> = {
  quantifiable_loss: 'Quantifiable loss',
  time_and_trouble: 'Time and trouble',
  distress_and_inconvenience: 'Distress and inconvenience',
  statutory_payment: 'Statutory payment (for example right to repair)',
};

export interface AwardHead {
  head: HeadOfAward;
  amountPence: number;
  note?: string | null;
}

export const FINANCIAL_STATUSES = ['awaiting_approval', 'approved', 'offered', 'accepted', 'declined', 'paid', 'lapsed', 'cancelled'] as const;
export type FinancialStatus = (typeof FINANCIAL_STATUSES)[number];
export const PLAIN_STATUSES = ['open', 'done', 'cancelled'] as const;
export type PlainStatus = (typeof PLAIN_STATUSES)[number];
export type RemedyStatus = FinancialStatus | PlainStatus;
export const REMEDY_STATUSES: readonly RemedyStatus[] = ['open', 'done', 'awaiting_approval', 'approved', 'offered', 'accepted', 'declined', 'paid', 'lapsed', 'cancelled'];

export const REMEDY_STATUS_LABELS: Record<RemedyStatus, string> = {
  open: 'Open',
  done: 'Done',
  cancelled: 'Cancelled',
  awaiting_approval: 'Awaiting approval',
  approved: 'Approved, not yet offered',
  offered: 'Offered',
  accepted: 'Accepted, not yet paid',
  declined: 'Declined',
  paid: 'Paid',
  lapsed: 'Lapsed',
};

/** Statuses in which nothing more will happen. */
export const FINISHED_REMEDY_STATUSES: readonly RemedyStatus[] = ['done', 'paid', 'declined', 'lapsed', 'cancelled'];

/** How compensation may be paid. Never by offsetting it against rent arrears (rules.md §5). */
export const PAYMENT_METHODS = ['bank_transfer', 'cheque', 'prepaid_card', 'other'] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
/** Named so that it can be refused with a reason rather than as an unknown value. */
export const OFFSET_AGAINST_ARREARS = 'offset_against_arrears' as const;
/** What a payment form or request may name: the methods, and the one that is always refused. */
export const PAYMENT_METHOD_CHOICES = [...PAYMENT_METHODS, OFFSET_AGAINST_ARREARS] as const;
export const PAYMENT_METHOD_LABELS: Record<(typeof PAYMENT_METHOD_CHOICES)[number], string> = {
  bank_transfer: 'Bank transfer',
  cheque: 'Cheque',
  prepaid_card: 'Prepaid card',
  other: 'Other',
  offset_against_arrears: 'Offset against rent arrears (not allowed)',
};

// ---------------------------------------------------------------------------------------------
// Settings: guidance bands, approval limits, lapse period
// ---------------------------------------------------------------------------------------------

export interface GuidanceBand {
  key: string;
  label: string;
  fromPence: number;
  /** null: no upper end ("£1,000 and over"). */
  toPence: number | null;
}

export interface RemedySettings {
  /** The Ombudsman's remedies guidance bands: guidance, not a tariff. */
  bands: GuidanceBand[];
  /** The most each role may offer without someone else's approval, in pence; null means no limit. A role not listed may offer nothing unapproved. */
  approvalLimitsPence: Record<string, number | null>;
  /** An offer not accepted within this many months lapses; null: offers never lapse. */
  lapseMonths: number | null;
}

export const GUIDANCE_NOTE = 'The Ombudsman’s remedies guidance bands are guidance, not a tariff: the remedy should reflect the impact of the fault on this resident.';

export const DEFAULT_REMEDY_SETTINGS: RemedySettings = {
  bands: [
    { key: 'minor', label: 'Minor service failure', fromPence: 5_000, toPence: 10_000 },
    { key: 'maladministration', label: 'Maladministration that adversely affected the resident', fromPence: 10_000, toPence: 60_000 },
    { key: 'significant', label: 'Maladministration with a significant impact', fromPence: 60_000, toPence: 100_000 },
    { key: 'severe', label: 'Severe maladministration', fromPence: 100_000, toPence: null },
  ],
  approvalLimitsPence: { handler: 25_000, manager: 200_000, governance: null },
  lapseMonths: 3,
};

/** Every band whose range holds the amount (ranges meet at their ends, so a boundary amount is in two). */
export function bandsFor(amountPence: number, bands: readonly GuidanceBand[]): GuidanceBand[] {
  return bands.filter((b) => amountPence >= b.fromPence && (b.toPence === null || amountPence <= b.toPence));
}

export type BandFit = 'within' | 'below' | 'above' | 'no_band';

/** How an amount sits against the band for the impact the handler recorded. */
export function bandFit(amountPence: number, bandKey: string | null | undefined, bands: readonly GuidanceBand[]): BandFit {
  const band = bandKey ? bands.find((b) => b.key === bandKey) : undefined;
  if (!band) return 'no_band';
  if (amountPence < band.fromPence) return 'below';
  if (band.toPence !== null && amountPence > band.toPence) return 'above';
  return 'within';
}

/** The guidance to show beside an amount. */
export function guidanceFor(amountPence: number | null | undefined, bands: readonly GuidanceBand[]) {
  const lowest = bands.reduce<number | null>((m, b) => (m === null || b.fromPence < m ? b.fromPence : m), null);
  return {
    bands: amountPence === null || amountPence === undefined ? [] : bandsFor(amountPence, bands),
    belowLowestBand: amountPence !== null && amountPence !== undefined && lowest !== null && amountPence < lowest,
    note: GUIDANCE_NOTE,
  };
}

/** The most this role may offer unapproved: null means no limit. The system actor has none. */
export function approvalLimitFor(role: string, settings: Pick<RemedySettings, 'approvalLimitsPence'>): number | null {
  if (role === 'system') return null;
  const v = settings.approvalLimitsPence[role];
  return v === undefined ? 0 : v;
}

/** Whether an offer of this amount by this role waits for someone else's approval. */
export function needsApproval(amountPence: number, role: string, settings: Pick<RemedySettings, 'approvalLimitsPence'>): boolean {
  const limit = approvalLimitFor(role, settings);
  return limit !== null && amountPence > limit;
}

/** Whether this role's own limit covers approving this amount. */
export function mayApprove(amountPence: number, role: string, settings: Pick<RemedySettings, 'approvalLimitsPence'>): boolean {
  return !needsApproval(amountPence, role, settings);
}

/** The last day an offer made on `offeredOn` can be accepted; null when offers never lapse. */
export function offerOpenUntil(offeredOn: LocalDate, lapseMonths: number | null): LocalDate | null {
  if (lapseMonths === null) return null;
  return addMonths(offeredOn, lapseMonths);
}

export function pounds(pence: number): string {
  return formatPounds(pence, { pence: 'when-needed' });
}

// ---------------------------------------------------------------------------------------------
// Remedies
// ---------------------------------------------------------------------------------------------

export interface RemedyRecord {
  type: RemedyType;
  status: RemedyStatus;
  /** The day the remedy was recorded (or the response that set it out was sent). */
  recordedOn: LocalDate;
  dueOn: LocalDate | null;
  amountPence: number | null;
  createdBy: string | null;
  approvalRequired: boolean;
  approvedBy: string | null;
  approvedAt: string | null;
  approvalNote: string | null;
  offeredOn: LocalDate | null;
  openUntil: LocalDate | null;
  acceptedOn: LocalDate | null;
  declinedOn: LocalDate | null;
  declineReason: string | null;
  lapsedOn: LocalDate | null;
  paidOn: LocalDate | null;
  paymentMethod: string | null;
  paymentReference: string | null;
  notOffsetConfirmed: boolean | null;
  completedOn: LocalDate | null;
  completionNote: string | null;
  cancelledOn: LocalDate | null;
  cancelledReason: string | null;
}

export interface RemedyContext {
  today: LocalDate;
  /** The instant, for approval times. */
  now: Date;
  actorId: string | null;
  role: string;
  settings: RemedySettings;
}

export type RemedyCommand =
  | { type: 'approve'; note?: string | null }
  | { type: 'offer'; on?: LocalDate | null }
  | { type: 'accept'; on?: LocalDate | null }
  | { type: 'decline'; on?: LocalDate | null; reason?: string | null }
  | { type: 'pay'; on?: LocalDate | null; method?: string | null; reference?: string | null; notOffsetConfirmed?: boolean | null }
  | { type: 'complete'; on?: LocalDate | null; note?: string | null }
  | { type: 'cancel'; on?: LocalDate | null; reason?: string | null }
  | { type: 'lapse' }
  | { type: 'amend_amount'; amountPence: number };

export type RemedyCommandType = RemedyCommand['type'];

/** What the history calls each move. */
export const REMEDY_EVENT: Record<RemedyCommandType, string> = {
  approve: 'remedy_approved',
  offer: 'remedy_offered',
  accept: 'remedy_accepted',
  decline: 'remedy_declined',
  pay: 'remedy_paid',
  complete: 'remedy_completed',
  cancel: 'remedy_cancelled',
  lapse: 'remedy_lapsed',
  amend_amount: 'remedy_amount_changed',
};

const blank = (s: string | null | undefined) => !s || s.trim().length === 0;

function fail(code: string, message: string, field?: string): never {
  throw new RuleViolation(code, message, field);
}

/** A date given with a command: today when absent; never in the future nor before `notBefore`. */
function dateOn(on: LocalDate | null | undefined, ctx: { today: LocalDate }, field: string, notBefore?: LocalDate | null, what?: string): LocalDate {
  const d = on ?? ctx.today;
  if (!isValidLocalDate(d)) fail('date_invalid', 'The date must be a real date written YYYY-MM-DD.', field);
  if (d > ctx.today) fail('date_in_future', 'The date cannot be in the future.', field);
  if (notBefore && d < notBefore) fail('date_too_early', `The date cannot be before ${what ?? notBefore} (${notBefore}).`, field);
  return d;
}

/** The status as it stands today: an offer not accepted by its open-until date has lapsed. */
export function effectiveStatus(r: Pick<RemedyRecord, 'status' | 'openUntil'>, today: LocalDate): RemedyStatus {
  if (r.status === 'offered' && r.openUntil !== null && today > r.openUntil) return 'lapsed';
  return r.status;
}

/** The day an offer lapses (the day after it was last open), or null. */
export function lapseDate(r: Pick<RemedyRecord, 'openUntil'>): LocalDate | null {
  return r.openUntil ? addDays(r.openUntil, 1) : null;
}

export function isFinished(status: RemedyStatus): boolean {
  return FINISHED_REMEDY_STATUSES.includes(status);
}

/** Open past its date: still to be done (or paid) and its due date has gone. */
export function remedyOverdue(r: Pick<RemedyRecord, 'status' | 'dueOn' | 'openUntil'>, today: LocalDate): boolean {
  const s = effectiveStatus(r, today);
  return !isFinished(s) && r.dueOn !== null && r.dueOn < today;
}

/** The approval fields for an amount proposed (or changed) by this actor. */
export function approvalFor(amountPence: number, ctx: Pick<RemedyContext, 'role' | 'settings'>): Pick<RemedyRecord, 'status' | 'approvalRequired' | 'approvedBy' | 'approvedAt' | 'approvalNote'> {
  const required = needsApproval(amountPence, ctx.role, ctx.settings);
  return { status: required ? 'awaiting_approval' : 'approved', approvalRequired: required, approvedBy: null, approvedAt: null, approvalNote: null };
}

export interface NewRemedyInput {
  type: RemedyType;
  recordedOn: LocalDate;
  dueOn?: LocalDate | null;
  amountPence?: number | null;
  heads?: AwardHead[] | null;
  /** Make the offer straight away (financial only): refused when the amount needs approval. */
  offeredOn?: LocalDate | null;
}

/** A new remedy's record, checked. Throws RuleViolation where the Code or the landlord's limits forbid it. */
export function newRemedy(input: NewRemedyInput, ctx: RemedyContext): RemedyRecord {
  let r: RemedyRecord = {
    type: input.type,
    status: 'open',
    recordedOn: input.recordedOn,
    dueOn: input.dueOn ?? null,
    amountPence: null,
    createdBy: ctx.actorId,
    approvalRequired: false,
    approvedBy: null,
    approvedAt: null,
    approvalNote: null,
    offeredOn: null,
    openUntil: null,
    acceptedOn: null,
    declinedOn: null,
    declineReason: null,
    lapsedOn: null,
    paidOn: null,
    paymentMethod: null,
    paymentReference: null,
    notOffsetConfirmed: null,
    completedOn: null,
    completionNote: null,
    cancelledOn: null,
    cancelledReason: null,
  };
  if (input.type !== 'financial') {
    if (input.amountPence !== null && input.amountPence !== undefined) fail('amount_not_financial', 'Only a financial remedy has an amount.', 'amountPence');
    if (input.heads && input.heads.length) fail('amount_not_financial', 'Only a financial remedy has heads of award.', 'heads');
    if (input.offeredOn) fail('amount_not_financial', 'Only a financial remedy is offered; record this remedy as done when it is done.', 'offeredOn');
    return r;
  }
  const amount = input.amountPence;
  if (amount === null || amount === undefined || !Number.isInteger(amount) || amount <= 0) {
    fail('amount_required', 'A financial remedy needs an amount above nothing, in pence.', 'amountPence');
  }
  checkHeads(input.heads ?? [], amount);
  r = { ...r, amountPence: amount, ...approvalFor(amount, ctx) };
  if (input.offeredOn) {
    try {
      r = applyRemedy(r, { type: 'offer', on: input.offeredOn }, ctx);
    } catch (e) {
      if (e instanceof RuleViolation && !e.field) throw new RuleViolation(e.code, e.message, 'offeredOn');
      if (e instanceof RuleViolation && e.field === 'on') throw new RuleViolation(e.code, e.message, 'offeredOn');
      throw e;
    }
  }
  return r;
}

/** Heads of award, where given, must each be named once and add up to the amount. */
export function checkHeads(heads: readonly AwardHead[], amountPence: number): void {
  if (heads.length === 0) return;
  const seen = new Set<string>();
  let sum = 0;
  for (const h of heads) {
    if (!(HEADS_OF_AWARD as readonly string[]).includes(h.head)) fail('head_invalid', `"${h.head}" is not a head of award.`, 'heads');
    if (seen.has(h.head)) fail('head_repeated', `${HEAD_LABELS[h.head]} is given twice: give one amount for each head of award.`, 'heads');
    seen.add(h.head);
    if (!Number.isInteger(h.amountPence) || h.amountPence <= 0) fail('head_amount_invalid', 'Each head of award needs an amount above nothing, in pence.', 'heads');
    sum += h.amountPence;
  }
  if (sum !== amountPence) {
    fail('heads_do_not_add_up', `The heads of award add up to ${pounds(sum)}, not the ${pounds(amountPence)} offered.`, 'heads');
  }
}

/**
 * Decide a command against a remedy: the fields that change, or a RuleViolation naming what
 * stands in the way. Permissions (who may approve at all) are the service's business; this
 * checks the approval limits, the order of the steps, dates, and the rule against offsetting.
 */
export function decideRemedy(r: RemedyRecord, cmd: RemedyCommand, ctx: RemedyContext): Partial<RemedyRecord> {
  const status = effectiveStatus(r, ctx.today);
  const financial = r.type === 'financial';
  const amount = r.amountPence ?? 0;
  const onlyFinancial = (what: string) => {
    if (!financial) fail('not_financial', `Only a financial remedy can be ${what}; mark this remedy done when it is done.`);
  };
  switch (cmd.type) {
    case 'approve': {
      onlyFinancial('approved');
      if (status !== 'awaiting_approval') fail('not_awaiting_approval', `This offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: there is nothing to approve.`);
      if (!mayApprove(amount, ctx.role, ctx.settings)) {
        const limit = approvalLimitFor(ctx.role, ctx.settings);
        fail('above_approval_limit', `${pounds(amount)} is above your approval limit of ${pounds(limit ?? 0)}: it needs someone whose limit covers it.`);
      }
      return { status: 'approved', approvedBy: ctx.actorId, approvedAt: ctx.now.toISOString(), approvalNote: cmd.note?.trim() || null };
    }
    case 'offer': {
      onlyFinancial('offered');
      if (status === 'awaiting_approval') {
        fail('approval_required', `${pounds(amount)} is above the proposer’s approval limit: a manager must approve it before it is offered to the resident.`);
      }
      if (status !== 'approved') fail('not_allowed_now', `This offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: it cannot be offered now.`);
      const on = dateOn(cmd.on, ctx, 'on', r.recordedOn, 'the day it was recorded');
      return { status: 'offered', offeredOn: on, openUntil: offerOpenUntil(on, ctx.settings.lapseMonths) };
    }
    case 'accept': {
      onlyFinancial('accepted');
      if (status === 'awaiting_approval') fail('approval_required', 'This offer has not been approved, so it has not been made and cannot be accepted.');
      if (status === 'approved') fail('not_offered', 'Record that the offer was made to the resident before recording their answer.');
      if (status === 'lapsed') fail('offer_lapsed', `The offer lapsed: it was open until ${r.openUntil}. Make a new offer if it is still right to.`);
      if (status !== 'offered') fail('not_allowed_now', `This offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: it cannot be accepted now.`);
      const on = dateOn(cmd.on, ctx, 'on', r.offeredOn, 'the offer');
      if (r.openUntil && on > r.openUntil) fail('offer_lapsed', `The offer was open until ${r.openUntil}; it was not accepted by then.`, 'on');
      return { status: 'accepted', acceptedOn: on };
    }
    case 'decline': {
      onlyFinancial('declined');
      if (status === 'awaiting_approval') fail('approval_required', 'This offer has not been approved, so it has not been made and cannot be declined.');
      if (status === 'approved') fail('not_offered', 'Record that the offer was made to the resident before recording their answer.');
      if (status === 'lapsed') fail('offer_lapsed', `The offer lapsed: it was open until ${r.openUntil}.`);
      if (status !== 'offered') fail('not_allowed_now', `This offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: it cannot be declined now.`);
      const on = dateOn(cmd.on, ctx, 'on', r.offeredOn, 'the offer');
      return { status: 'declined', declinedOn: on, declineReason: cmd.reason?.trim() || null };
    }
    case 'pay': {
      onlyFinancial('paid');
      if (cmd.method === OFFSET_AGAINST_ARREARS) {
        fail('offset_not_allowed', 'Compensation must not be offset against rent arrears: pay it to the resident (rules.md §5; Ombudsman remedies guidance).', 'method');
      }
      if (status !== 'accepted') {
        fail(status === 'offered' ? 'not_accepted' : 'not_allowed_now', `Payment follows acceptance; this offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}.`);
      }
      if (blank(cmd.method)) fail('method_required', 'Say how it was paid.', 'method');
      if (!(PAYMENT_METHODS as readonly string[]).includes(cmd.method!)) fail('method_invalid', `"${cmd.method}" is not a payment method.`, 'method');
      if (blank(cmd.reference)) fail('reference_required', 'Give the payment reference, so that the payment can be evidenced.', 'reference');
      if (cmd.notOffsetConfirmed !== true) {
        fail('offset_confirmation_required', 'Confirm that the payment was not offset against rent arrears or any other debt.', 'notOffsetConfirmed');
      }
      const on = dateOn(cmd.on, ctx, 'on', r.acceptedOn, 'the acceptance');
      return { status: 'paid', paidOn: on, paymentMethod: cmd.method!, paymentReference: cmd.reference!.trim(), notOffsetConfirmed: true, completedOn: on };
    }
    case 'complete': {
      if (financial) fail('record_payment', 'A financial remedy is complete when it is paid: record the payment.');
      if (status !== 'open') fail('not_allowed_now', `This remedy is ${REMEDY_STATUS_LABELS[status].toLowerCase()} already.`);
      const on = dateOn(cmd.on, ctx, 'on', r.recordedOn, 'the day it was recorded');
      return { status: 'done', completedOn: on, completionNote: cmd.note?.trim() || null };
    }
    case 'cancel': {
      if (blank(cmd.reason)) fail('reason_required', 'Give the reason for cancelling it: the record must show why a remedy was not carried out.', 'reason');
      if (financial) {
        if (status === 'offered') fail('offer_stands', 'An offer made to the resident stands until they accept or decline it, or it lapses.');
        if (status === 'accepted') fail('offer_accepted', 'The resident accepted this offer: it must be paid.');
        if (status !== 'awaiting_approval' && status !== 'approved') fail('not_allowed_now', `This offer is ${REMEDY_STATUS_LABELS[status].toLowerCase()}: it cannot be cancelled.`);
      } else if (status !== 'open') {
        fail('not_allowed_now', `This remedy is ${REMEDY_STATUS_LABELS[status].toLowerCase()} already.`);
      }
      const on = dateOn(cmd.on, ctx, 'on', r.recordedOn, 'the day it was recorded');
      return { status: 'cancelled', cancelledOn: on, cancelledReason: cmd.reason!.trim() };
    }
    case 'lapse': {
      if (status !== 'lapsed' || r.status !== 'offered') fail('not_lapsed', 'This offer has not lapsed.');
      return { status: 'lapsed', lapsedOn: lapseDate(r) };
    }
    case 'amend_amount': {
      onlyFinancial('given an amount');
      if (status !== 'awaiting_approval' && status !== 'approved') {
        fail('amount_fixed', 'The amount can change only before the offer is made; once made, record the answer, or let it lapse and make a new offer.', 'amountPence');
      }
      if (!Number.isInteger(cmd.amountPence) || cmd.amountPence <= 0) fail('amount_required', 'A financial remedy needs an amount above nothing, in pence.', 'amountPence');
      if (cmd.amountPence === r.amountPence) return {};
      return { amountPence: cmd.amountPence, ...approvalFor(cmd.amountPence, ctx) };
    }
  }
}

export function applyRemedy(r: RemedyRecord, cmd: RemedyCommand, ctx: RemedyContext): RemedyRecord {
  return { ...r, ...decideRemedy(r, cmd, ctx) };
}

/** The commands that could be tried on a remedy now (for forms): what the state machine would consider. */
export function remedyNextSteps(r: RemedyRecord, today: LocalDate): RemedyCommandType[] {
  const s = effectiveStatus(r, today);
  if (r.type !== 'financial') return s === 'open' ? ['complete', 'cancel'] : [];
  switch (s) {
    case 'awaiting_approval':
      return ['approve', 'cancel'];
    case 'approved':
      return ['offer', 'cancel'];
    case 'offered':
      return ['accept', 'decline'];
    case 'accepted':
      return ['pay'];
    case 'lapsed':
      return r.status === 'offered' ? ['lapse'] : [];
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Outstanding actions
// ---------------------------------------------------------------------------------------------

export const ACTION_STATUSES = ['open', 'done', 'cancelled'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];
export const ACTION_STATUS_LABELS: Record<ActionStatus, string> = { open: 'Open', done: 'Done', cancelled: 'Cancelled' };

export interface ActionRecord {
  status: ActionStatus;
  recordedOn: LocalDate;
  dueOn: LocalDate | null;
  completedOn: LocalDate | null;
  completionNote: string | null;
  cancelledOn: LocalDate | null;
  cancelledReason: string | null;
  /** When the resident is next owed an update on this action. */
  residentUpdateDueOn: LocalDate | null;
  /** Update the resident every so many days while the action is open. */
  residentUpdateEveryDays: number | null;
  lastResidentUpdateOn: LocalDate | null;
}

export type ActionCommand =
  | { type: 'complete'; on?: LocalDate | null; note?: string | null }
  | { type: 'cancel'; on?: LocalDate | null; reason?: string | null }
  | { type: 'reopen'; reason?: string | null }
  | { type: 'update'; on?: LocalDate | null; note?: string | null; nextUpdateDueOn?: LocalDate | null };

export const ACTION_EVENT: Record<ActionCommand['type'], string> = {
  complete: 'action_done',
  cancel: 'action_cancelled',
  reopen: 'action_reopened',
  update: 'action_update_given',
};

export function decideAction(a: ActionRecord, cmd: ActionCommand, ctx: { today: LocalDate }): Partial<ActionRecord> {
  switch (cmd.type) {
    case 'complete': {
      if (a.status !== 'open') fail('not_allowed_now', `This action is ${ACTION_STATUS_LABELS[a.status].toLowerCase()} already.`);
      const on = dateOn(cmd.on, ctx, 'on', a.recordedOn, 'the day it was recorded');
      return { status: 'done', completedOn: on, completionNote: cmd.note?.trim() || null, residentUpdateDueOn: null };
    }
    case 'cancel': {
      if (a.status !== 'open') fail('not_allowed_now', `This action is ${ACTION_STATUS_LABELS[a.status].toLowerCase()} already.`);
      if (blank(cmd.reason)) fail('reason_required', 'Give the reason for cancelling the action.', 'reason');
      const on = dateOn(cmd.on, ctx, 'on', a.recordedOn, 'the day it was recorded');
      return { status: 'cancelled', cancelledOn: on, cancelledReason: cmd.reason!.trim(), residentUpdateDueOn: null };
    }
    case 'reopen': {
      if (a.status === 'open') fail('not_allowed_now', 'This action is open already.');
      if (blank(cmd.reason)) fail('reason_required', 'Give the reason for reopening the action.', 'reason');
      return { status: 'open', completedOn: null, completionNote: null, cancelledOn: null, cancelledReason: null };
    }
    case 'update': {
      if (blank(cmd.note)) fail('note_required', 'Say what the resident was told.', 'note');
      const on = dateOn(cmd.on, ctx, 'on', a.recordedOn, 'the day the action was recorded');
      if (cmd.nextUpdateDueOn && cmd.nextUpdateDueOn < on) fail('date_too_early', 'The next update cannot be due before this one.', 'nextUpdateDueOn');
      const next =
        a.status !== 'open'
          ? null
          : cmd.nextUpdateDueOn ?? (a.residentUpdateEveryDays ? addDays(on, a.residentUpdateEveryDays) : null);
      return { lastResidentUpdateOn: a.lastResidentUpdateOn && a.lastResidentUpdateOn > on ? a.lastResidentUpdateOn : on, residentUpdateDueOn: next };
    }
  }
}

export function actionOverdue(a: Pick<ActionRecord, 'status' | 'dueOn'>, today: LocalDate): boolean {
  return a.status === 'open' && a.dueOn !== null && a.dueOn < today;
}

export function residentUpdateOverdue(a: Pick<ActionRecord, 'status' | 'residentUpdateDueOn'>, today: LocalDate): boolean {
  return a.status === 'open' && a.residentUpdateDueOn !== null && a.residentUpdateDueOn < today;
}

/** Remedy types delivered by the response letter itself when no later date is set for them. */
export const GIVEN_IN_RESPONSE: readonly RemedyType[] = ['apology', 'acknowledgement_of_fault', 'explanation'];
