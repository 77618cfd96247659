/**
 * Properties of the remedies rules: whatever sequence of steps is tried, by whichever roles on
 * whichever days, no offer above the proposer's limit is made unapproved, nothing is paid that was
 * not accepted, nothing is ever offset against arrears, and lapsed or finished remedies stay so.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { addDays, fromDayNumber, toDayNumber, type LocalDate } from '../../src/core/dates.js';
import { RuleViolation } from '../../src/core/lifecycle.js';
import {
  DEFAULT_REMEDY_SETTINGS,
  FINANCIAL_STATUSES,
  FINISHED_REMEDY_STATUSES,
  HEADS_OF_AWARD,
  OFFSET_AGAINST_ARREARS,
  PAYMENT_METHOD_CHOICES,
  actionOverdue,
  approvalLimitFor,
  bandFit,
  bandsFor,
  checkHeads,
  decideAction,
  decideRemedy,
  effectiveStatus,
  mayApprove,
  needsApproval,
  newRemedy,
  offerOpenUntil,
  remedyNextSteps,
  type ActionRecord,
  type RemedyCommand,
  type RemedyContext,
  type RemedyRecord,
  type RemedySettings,
} from '../../src/core/remedies.js';

const ROLES = ['handler', 'manager', 'governance', 'staff', 'admin'];
const START = toDayNumber('2025-01-01');
const dayArb = fc.integer({ min: START, max: START + 800 }).map(fromDayNumber);
const amountArb = fc.oneof(fc.integer({ min: 1, max: 400_000 }), fc.constantFrom(5_000, 10_000, 25_000, 25_001, 60_000, 100_000, 200_000, 200_001));

const limitsArb = fc.record({
  handler: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: null }),
  manager: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: null }),
  governance: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: null }),
});
const settingsArb: fc.Arbitrary<RemedySettings> = fc.record({
  bands: fc.constant(DEFAULT_REMEDY_SETTINGS.bands),
  approvalLimitsPence: fc.oneof(fc.constant(DEFAULT_REMEDY_SETTINGS.approvalLimitsPence), limitsArb),
  lapseMonths: fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
});

const commandArb: fc.Arbitrary<RemedyCommand> = fc.oneof(
  fc.record({ type: fc.constant('approve' as const), note: fc.option(fc.string({ maxLength: 5 }), { nil: null }) }),
  fc.record({ type: fc.constant('offer' as const), on: fc.option(dayArb, { nil: null }) }),
  fc.record({ type: fc.constant('accept' as const), on: fc.option(dayArb, { nil: null }) }),
  fc.record({ type: fc.constant('decline' as const), on: fc.option(dayArb, { nil: null }), reason: fc.constant('No thanks') }),
  fc.record({
    type: fc.constant('pay' as const),
    on: fc.option(dayArb, { nil: null }),
    method: fc.constantFrom(...PAYMENT_METHOD_CHOICES, '', 'cash'),
    reference: fc.constantFrom('REF-1', '', ' '),
    notOffsetConfirmed: fc.constantFrom(true, false, null),
  }),
  fc.record({ type: fc.constant('complete' as const), on: fc.option(dayArb, { nil: null }) }),
  fc.record({ type: fc.constant('cancel' as const), reason: fc.constantFrom('Made in error', '', null) }),
  fc.constant({ type: 'lapse' as const }),
  fc.record({ type: fc.constant('amend_amount' as const), amountPence: amountArb }),
);

/** A step: a command tried by a role after some days have passed. */
const stepArb = fc.record({ cmd: commandArb, role: fc.constantFrom(...ROLES), wait: fc.integer({ min: 0, max: 60 }) });

function ctxFor(role: string, today: LocalDate, settings: RemedySettings): RemedyContext {
  return { today, now: new Date(`${today}T12:00:00Z`), actorId: `user-${role}`, role, settings };
}

function invariants(r: RemedyRecord, settings: RemedySettings) {
  assert.ok((FINANCIAL_STATUSES as readonly string[]).includes(r.status), `status ${r.status}`);
  // No offer is ever made above the proposer's limit without someone's approval.
  if (r.offeredOn) assert.ok(!r.approvalRequired || r.approvedBy !== null, 'offered without approval');
  if (r.approvedBy) assert.ok(r.approvalRequired, 'an approval is recorded only where one was needed');
  if (r.status === 'paid') {
    assert.ok(r.acceptedOn && r.offeredOn && r.paidOn);
    assert.ok(r.offeredOn! <= r.acceptedOn! && r.acceptedOn! <= r.paidOn!);
    assert.equal(r.notOffsetConfirmed, true);
    assert.notEqual(r.paymentMethod, OFFSET_AGAINST_ARREARS);
    assert.ok(r.paymentReference && r.paymentReference.trim());
  }
  if (r.acceptedOn) {
    assert.ok(r.offeredOn && r.offeredOn <= r.acceptedOn);
    if (r.openUntil) assert.ok(r.acceptedOn <= r.openUntil, 'accepted after the offer lapsed');
  }
  if (r.offeredOn) assert.equal(r.openUntil, offerOpenUntil(r.offeredOn, settings.lapseMonths));
  assert.ok(r.amountPence! > 0);
}

describe('the financial remedy state machine', () => {
  test('property: any sequence of steps keeps every invariant, and finished offers stay finished', () => {
    fc.assert(
      fc.property(settingsArb, fc.constantFrom('handler', 'manager', 'governance', 'system'), amountArb, dayArb, fc.array(stepArb, { maxLength: 25 }), (settings, proposer, amount, start, steps) => {
        let today = start;
        let r: RemedyRecord;
        try {
          r = newRemedy({ type: 'financial', recordedOn: today, amountPence: amount }, ctxFor(proposer, today, settings));
        } catch (e) {
          assert.fail(`creating failed: ${e}`);
        }
        assert.equal(r.status, needsApproval(amount, proposer, settings) ? 'awaiting_approval' : 'approved');
        invariants(r, settings);
        for (const s of steps) {
          today = addDays(today, s.wait);
          const ctx = ctxFor(s.role, today, settings);
          const before = effectiveStatus(r, today);
          let next: RemedyRecord;
          try {
            next = { ...r, ...decideRemedy(r, s.cmd, ctx) };
          } catch (e) {
            assert.ok(e instanceof RuleViolation, `unexpected error ${e}`);
            continue;
          }
          // Finished remedies never move (the stored lapse of an offer past its date aside).
          if (FINISHED_REMEDY_STATUSES.includes(before)) {
            assert.ok(s.cmd.type === 'lapse' && r.status === 'offered', `${s.cmd.type} moved a ${before} remedy`);
          }
          if (s.cmd.type === 'approve') assert.ok(mayApprove(r.amountPence!, s.role, settings), 'approved beyond the approver’s limit');
          if (s.cmd.type === 'offer') assert.equal(before, 'approved');
          if (s.cmd.type === 'accept' || s.cmd.type === 'decline') assert.equal(before, 'offered');
          if (s.cmd.type === 'pay') {
            assert.equal(before, 'accepted');
            assert.notEqual((s.cmd as any).method, OFFSET_AGAINST_ARREARS);
          }
          r = next;
          invariants(r, settings);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('property: offsetting against arrears is refused in every state', () => {
    fc.assert(
      fc.property(settingsArb, amountArb, dayArb, fc.array(stepArb, { maxLength: 10 }), (settings, amount, start, steps) => {
        let today = start;
        let r = newRemedy({ type: 'financial', recordedOn: today, amountPence: amount }, ctxFor('system', today, settings));
        for (const s of steps) {
          today = addDays(today, s.wait);
          try {
            r = { ...r, ...decideRemedy(r, s.cmd, ctxFor(s.role, today, settings)) };
          } catch {
            /* refused */
          }
          assert.throws(
            () => decideRemedy(r, { type: 'pay', method: OFFSET_AGAINST_ARREARS, reference: 'X', notOffsetConfirmed: true }, ctxFor('manager', today, settings)),
            (e: any) => e instanceof RuleViolation && e.code === 'offset_not_allowed',
          );
        }
      }),
    );
  });

  test('property: an offer lapses exactly after its open-until date, and cannot then be accepted', () => {
    fc.assert(
      fc.property(dayArb, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 500 }), (offeredOn, months, later) => {
        const settings = { ...DEFAULT_REMEDY_SETTINGS, lapseMonths: months };
        let r = newRemedy({ type: 'financial', recordedOn: offeredOn, amountPence: 1_000 }, ctxFor('system', offeredOn, settings));
        r = { ...r, ...decideRemedy(r, { type: 'offer', on: offeredOn }, ctxFor('handler', offeredOn, settings)) };
        const openUntil = offerOpenUntil(offeredOn, months)!;
        assert.equal(r.openUntil, openUntil);
        assert.ok(openUntil > offeredOn);
        const today = addDays(offeredOn, later);
        const lapsed = today > openUntil;
        assert.equal(effectiveStatus(r, today), lapsed ? 'lapsed' : 'offered');
        const accept = () => decideRemedy(r, { type: 'accept' }, ctxFor('handler', today, settings));
        if (lapsed) {
          assert.throws(accept, (e: any) => e.code === 'offer_lapsed');
          assert.deepEqual(remedyNextSteps(r, today), ['lapse']);
          assert.equal(decideRemedy(r, { type: 'lapse' }, ctxFor('system', today, settings)).lapsedOn, addDays(openUntil, 1));
        } else {
          assert.equal(accept().status, 'accepted');
          assert.throws(() => decideRemedy(r, { type: 'lapse' }, ctxFor('system', today, settings)), (e: any) => e.code === 'not_lapsed');
        }
      }),
    );
  });

  test('offers never lapse when the lapse period is off', () => {
    const settings = { ...DEFAULT_REMEDY_SETTINGS, lapseMonths: null };
    let r = newRemedy({ type: 'financial', recordedOn: '2025-01-01', amountPence: 1_000, offeredOn: '2025-01-01' }, ctxFor('handler', '2025-01-01', settings));
    assert.equal(r.openUntil, null);
    assert.equal(effectiveStatus(r, '2030-01-01'), 'offered');
    r = { ...r, ...decideRemedy(r, { type: 'accept' }, ctxFor('handler', '2030-01-01', settings)) };
    assert.equal(r.status, 'accepted');
  });

  test('an offer above the proposer’s limit cannot be made at once, nor offered or answered before approval', () => {
    const ctx = ctxFor('handler', '2025-05-01', DEFAULT_REMEDY_SETTINGS);
    assert.throws(() => newRemedy({ type: 'financial', recordedOn: '2025-05-01', amountPence: 35_000, offeredOn: '2025-05-01' }, ctx), (e: any) => e.code === 'approval_required');
    const r = newRemedy({ type: 'financial', recordedOn: '2025-05-01', amountPence: 35_000 }, ctx);
    assert.equal(r.status, 'awaiting_approval');
    for (const type of ['offer', 'accept', 'decline'] as const) {
      assert.throws(() => decideRemedy(r, { type }, ctx), (e: any) => e.code === 'approval_required', type);
    }
    assert.throws(() => decideRemedy(r, { type: 'approve' }, ctx), (e: any) => e.code === 'above_approval_limit');
    const approved = { ...r, ...decideRemedy(r, { type: 'approve', note: 'ok' }, ctxFor('manager', '2025-05-02', DEFAULT_REMEDY_SETTINGS)) };
    assert.equal(approved.approvedBy, 'user-manager');
    assert.equal(approved.approvedAt, '2025-05-02T12:00:00.000Z');
    const within = newRemedy({ type: 'financial', recordedOn: '2025-05-01', amountPence: 20_000, offeredOn: '2025-05-01' }, ctx);
    assert.equal(within.status, 'offered');
    assert.equal(within.approvedBy, null);
  });
});

describe('approval limits, bands and heads of award', () => {
  test('property: an amount needs approval exactly when it is above the role’s limit (no limit: never; unlisted role: always)', () => {
    fc.assert(
      fc.property(limitsArb, fc.constantFrom(...ROLES, 'system'), amountArb, (limits, role, amount) => {
        const settings = { approvalLimitsPence: limits as Record<string, number | null> };
        const limit = approvalLimitFor(role, settings);
        if (role === 'system') assert.equal(limit, null);
        else if (!(role in limits)) assert.equal(limit, 0);
        assert.equal(needsApproval(amount, role, settings), limit !== null && amount > limit);
        assert.equal(mayApprove(amount, role, settings), !needsApproval(amount, role, settings));
      }),
    );
  });

  test('the default limits: handler £250, manager £2,000, governance unlimited', () => {
    const s = DEFAULT_REMEDY_SETTINGS;
    assert.equal(needsApproval(25_000, 'handler', s), false);
    assert.equal(needsApproval(25_001, 'handler', s), true);
    assert.equal(needsApproval(200_000, 'manager', s), false);
    assert.equal(needsApproval(200_001, 'manager', s), true);
    assert.equal(needsApproval(10_000_000, 'governance', s), false);
    assert.equal(needsApproval(1, 'staff', s), true);
    assert.equal(s.lapseMonths, 3);
  });

  test('property: a band returned holds the amount; from £50 up every amount is in one band, or two at a boundary', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (amount) => {
        const found = bandsFor(amount, DEFAULT_REMEDY_SETTINGS.bands);
        for (const b of found) assert.ok(amount >= b.fromPence && (b.toPence === null || amount <= b.toPence));
        if (amount < 5_000) assert.equal(found.length, 0);
        else assert.equal(found.length, [10_000, 60_000, 100_000].includes(amount) ? 2 : 1);
        for (const b of DEFAULT_REMEDY_SETTINGS.bands) {
          const fit = bandFit(amount, b.key, DEFAULT_REMEDY_SETTINGS.bands);
          assert.equal(fit === 'within', found.includes(b));
        }
      }),
    );
    assert.deepEqual(bandsFor(35_000, DEFAULT_REMEDY_SETTINGS.bands).map((b) => b.key), ['maladministration']);
    assert.deepEqual(bandsFor(150_000, DEFAULT_REMEDY_SETTINGS.bands).map((b) => b.key), ['severe']);
    assert.equal(bandFit(35_000, null, DEFAULT_REMEDY_SETTINGS.bands), 'no_band');
    assert.equal(bandFit(35_000, 'minor', DEFAULT_REMEDY_SETTINGS.bands), 'above');
    assert.equal(bandFit(35_000, 'severe', DEFAULT_REMEDY_SETTINGS.bands), 'below');
  });

  test('property: heads of award are accepted exactly when each head is named once and they add up', () => {
    const headsArb = fc.array(fc.record({ head: fc.constantFrom(...HEADS_OF_AWARD), amountPence: fc.integer({ min: 1, max: 50_000 }) }), { maxLength: 5 });
    fc.assert(
      fc.property(headsArb, fc.integer({ min: 1, max: 200_000 }), fc.boolean(), (heads, amount, exact) => {
        const total = exact && heads.length ? heads.reduce((n, h) => n + h.amountPence, 0) : amount;
        const unique = new Set(heads.map((h) => h.head)).size === heads.length;
        const adds = heads.length === 0 || heads.reduce((n, h) => n + h.amountPence, 0) === total;
        if (unique && adds) checkHeads(heads, total);
        else assert.throws(() => checkHeads(heads, total), RuleViolation);
      }),
    );
  });
});

describe('other remedies and outstanding actions', () => {
  test('a non-financial remedy is open until done or cancelled with a reason, and has no amount', () => {
    const ctx = ctxFor('handler', '2025-05-01', DEFAULT_REMEDY_SETTINGS);
    assert.throws(() => newRemedy({ type: 'apology', recordedOn: '2025-05-01', amountPence: 100 }, ctx), (e: any) => e.code === 'amount_not_financial');
    const r = newRemedy({ type: 'apology', recordedOn: '2025-05-01', dueOn: '2025-05-10' }, ctx);
    assert.equal(r.status, 'open');
    assert.deepEqual(remedyNextSteps(r, '2025-05-01'), ['complete', 'cancel']);
    assert.throws(() => decideRemedy(r, { type: 'pay', method: 'cheque', reference: 'x', notOffsetConfirmed: true }, ctx), (e: any) => e.code === 'not_financial');
    assert.throws(() => decideRemedy(r, { type: 'cancel', reason: ' ' }, ctx), (e: any) => e.code === 'reason_required');
    assert.throws(() => decideRemedy(r, { type: 'complete', on: '2025-05-02' }, ctx), (e: any) => e.code === 'date_in_future');
    assert.equal(decideRemedy(r, { type: 'complete' }, ctx).status, 'done');
    const fin = newRemedy({ type: 'financial', recordedOn: '2025-05-01', amountPence: 100 }, ctx);
    assert.throws(() => decideRemedy(fin, { type: 'complete' }, ctx), (e: any) => e.code === 'record_payment');
  });

  const actionArb = fc.record({
    status: fc.constantFrom('open' as const, 'done' as const, 'cancelled' as const),
    dueOn: fc.option(dayArb, { nil: null }),
    today: dayArb,
  });

  test('property: an action is overdue exactly when open and past its due date; only an open one is completed or cancelled', () => {
    fc.assert(
      fc.property(actionArb, ({ status, dueOn, today }) => {
        const a: ActionRecord = {
          status,
          recordedOn: '2025-01-01',
          dueOn,
          completedOn: null,
          completionNote: null,
          cancelledOn: null,
          cancelledReason: null,
          residentUpdateDueOn: null,
          residentUpdateEveryDays: 7,
          lastResidentUpdateOn: null,
        };
        assert.equal(actionOverdue(a, today), status === 'open' && dueOn !== null && dueOn < today);
        const done = () => decideAction(a, { type: 'complete' }, { today });
        const cancel = () => decideAction(a, { type: 'cancel', reason: 'Duplicate' }, { today });
        if (status === 'open') {
          assert.equal(done().status, 'done');
          assert.equal(cancel().status, 'cancelled');
          const u = decideAction(a, { type: 'update', note: 'Told by phone' }, { today });
          assert.equal(u.lastResidentUpdateOn, today);
          assert.equal(u.residentUpdateDueOn, addDays(today, 7));
        } else {
          assert.throws(done, RuleViolation);
          assert.throws(cancel, RuleViolation);
          assert.equal(decideAction(a, { type: 'reopen', reason: 'Not finished' }, { today }).status, 'open');
        }
      }),
    );
  });
});
