/**
 * Putting things right through the API: remedies of every type, financial offers with approval
 * limits, the resident's answer, payment (never offset against arrears) and lapse; outstanding
 * actions with owners and due dates that outlive closure; the figures reports need.
 */
import { puttingThingsRightFigures } from '../../src/services/remedy-figures.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/app.js';
import type { Actor } from '../../src/services/actor.js';

const RESIDENT = { givenName: 'Grace', familyName: 'Okafor', postcode: 'SE1 7PB', tenure: 'LCRA' };
const DEFINITION = {
  understanding: 'The kitchen leak has not been repaired and has damaged the ceiling.',
  outcomesSought: 'Repair the leak and redecorate.',
  points: [{ summary: 'The leak was not repaired in time', landlordResponsible: true }],
};

forEachBackend('remedies and outstanding actions through the API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
  });
  after(async () => {
    await t?.close();
  });

  const actorOf = (u: TestUser): Actor => ({ id: u.id, name: u.name, role: u.role });

  async function call(method: string, url: string, body?: unknown, as?: TestUser, expect?: number) {
    const r = await t.call(method, url, { as, body });
    if (expect !== undefined) assert.equal(r.status, expect, `${method} ${url}: ${JSON.stringify(r.body)}`);
    return r;
  }

  /** A complaint walked to its stage 1 response, handled by Hana Handler. Not upheld with no remedies, so every remedy in a test is one it made. */
  async function responded(respondExtra: Record<string, unknown> = {}) {
    let c = (await call('POST', '/api/v1/complaints', { channel: 'phone', description: 'Leak not fixed', resident: RESIDENT }, undefined, 201)).body;
    c = (await call('POST', `/api/v1/complaints/${c.id}/assign`, { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } }, undefined, 200)).body;
    c = (await call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { version: c.version, definition: DEFINITION }, t.users.handler, 200)).body;
    c = (
      await call(
        'POST',
        `/api/v1/complaints/${c.id}/respond`,
        {
          version: c.version,
          points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'The repair was within the 28-day target in the repairs policy.' }],
          outcome: 'not_upheld',
          remedies: [],
          outstandingActions: [],
          nextSteps: 'Ask us to escalate to stage 2 if you are unhappy.',
          ...respondExtra,
        },
        t.users.handler,
        200,
      )
    ).body;
    assert.equal(c.status, 'responded');
    return c as { id: string; version: number; reference: string };
  }

  async function remedy(id: string) {
    return (await call('GET', `/api/v1/remedies/${id}`, undefined, undefined, 200)).body;
  }

  describe('financial remedies', () => {
    let c: { id: string; version: number };
    before(async () => {
      t.clock.set('2025-04-17T09:00:00Z');
      c = await responded();
    });

    test('a handler’s £350 offer waits for a manager’s approval and cannot be offered or accepted until then', async () => {
      t.clock.set('2025-04-22T10:00:00Z');
      const body = {
        type: 'financial',
        description: 'Compensation for the delay and the damage to the ceiling',
        amountPence: 35_000,
        heads: [
          { head: 'time_and_trouble', amountPence: 15_000 },
          { head: 'distress_and_inconvenience', amountPence: 20_000 },
        ],
        impactBand: 'maladministration',
        dueOn: '2025-05-20',
      };
      // Making the offer at once is refused: it is above the handler's £250 limit.
      const straight = await call('POST', `/api/v1/complaints/${c.id}/remedies`, { ...body, offeredOn: '2025-04-22' }, t.users.handler, 422);
      assert.equal(straight.body.error, 'approval_required');
      assert.equal((await call('GET', `/api/v1/complaints/${c.id}/remedies`)).body.items.filter((r: any) => r.type === 'financial').length, 0, 'nothing was recorded');

      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, body, t.users.handler, 201)).body;
      assert.equal(r.status, 'awaiting_approval');
      assert.equal(r.stage, 1);
      assert.equal(r.owner.userId, t.users.handler.id);
      assert.equal(r.financial.amountPence, 35_000);
      assert.deepEqual(r.financial.approval, { required: true, proposerLimitPence: 25_000, approvedBy: null, approvedAt: null, note: null });
      assert.deepEqual(r.financial.guidance.bands.map((b: any) => b.key), ['maladministration']);
      assert.match(r.financial.guidance.note, /guidance, not a tariff/);
      assert.equal(r.financial.bandFit, 'within');
      assert.deepEqual(r.nextSteps, ['approve', 'cancel']);

      // Neither offered nor accepted until approved; the handler cannot approve it.
      const offer = await call('POST', `/api/v1/remedies/${r.id}/offer`, { version: r.version }, t.users.handler, 422);
      assert.equal(offer.body.error, 'approval_required');
      const accept = await call('POST', `/api/v1/remedies/${r.id}/accept`, { version: r.version }, t.users.handler, 422);
      assert.equal(accept.body.error, 'approval_required');
      const selfApprove = await call('POST', `/api/v1/remedies/${r.id}/approve`, { version: r.version }, t.users.handler, 403);
      assert.equal(selfApprove.body.error, 'forbidden');
      assert.equal((await remedy(r.id)).version, r.version, 'the refusals changed nothing');

      t.clock.set('2025-04-23T11:30:00Z');
      const approved = (await call('POST', `/api/v1/remedies/${r.id}/approve`, { version: r.version, note: 'Proportionate to nine weeks’ delay' }, t.users.manager, 200)).body;
      assert.equal(approved.status, 'approved');
      assert.deepEqual(approved.financial.approval.approvedBy, { id: t.users.manager.id, name: t.users.manager.name });
      assert.equal(approved.financial.approval.approvedAt, '2025-04-23T11:30:00.000Z');
      assert.equal(approved.financial.approval.note, 'Proportionate to nine weeks’ delay');

      const offered = (await call('POST', `/api/v1/remedies/${r.id}/offer`, { version: approved.version }, t.users.handler, 200)).body;
      assert.equal(offered.status, 'offered');
      assert.equal(offered.financial.offeredOn, '2025-04-23');
      assert.equal(offered.financial.openUntil, '2025-07-23', 'open for three months');
      const offerDue = async () => ((await t.app.services.letters.due([c.id])).get(c.id) ?? []).some((d) => d.kind === 'remedy_offer');
      assert.equal(await offerDue(), true, 'an offer made outside a response calls for its letter');
      const accepted = (await call('POST', `/api/v1/remedies/${r.id}/accept`, { version: offered.version }, t.users.handler, 200)).body;
      assert.equal(await offerDue(), false, 'no longer once it is accepted');
      assert.equal(accepted.status, 'accepted');
      assert.equal(accepted.financial.acceptedOn, '2025-04-23');

      // Every step is on the case's history, with who did it.
      const history = (await call('GET', `/api/v1/complaints/${c.id}/history`)).body.items.filter((h: any) => h.entity === 'remedy' && h.after?.type === 'financial');
      assert.deepEqual(
        history.map((h: any) => [h.action, h.actor.name]),
        [
          ['remedy_added', t.users.handler.name],
          ['remedy_approved', t.users.manager.name],
          ['remedy_offered', t.users.handler.name],
          ['remedy_accepted', t.users.handler.name],
        ],
      );
      assert.equal(history[1].after.approvedBy, t.users.manager.id);
    });

    test('a handler’s £200 offer needs no approval; accepted, then paid with date, method and reference; never offset against arrears', async () => {
      t.clock.set('2025-04-24T10:00:00Z');
      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Time and trouble', amountPence: 20_000, offeredOn: '2025-04-24' }, t.users.handler, 201)).body;
      assert.equal(r.status, 'offered');
      assert.equal(r.financial.approval.required, false);
      assert.equal(r.financial.approval.approvedBy, null);
      assert.deepEqual(r.financial.guidance.bands.map((b: any) => b.key), ['maladministration']);

      // Payment before acceptance is refused.
      const early = await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: r.version, method: 'bank_transfer', reference: 'BACS-1', notOffsetConfirmed: true }, t.users.handler, 422);
      assert.equal(early.body.error, 'not_accepted');

      t.clock.set('2025-04-28T10:00:00Z');
      const acc = (await call('POST', `/api/v1/remedies/${r.id}/accept`, { version: r.version, on: '2025-04-25' }, t.users.handler, 200)).body;
      assert.equal(acc.financial.acceptedOn, '2025-04-25');

      const offset = await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: acc.version, method: 'offset_against_arrears', reference: 'RENT-1', notOffsetConfirmed: true }, t.users.manager, 422);
      assert.equal(offset.body.error, 'offset_not_allowed');
      assert.match(offset.body.message, /must not be offset against rent arrears/);
      const unconfirmed = await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: acc.version, method: 'bank_transfer', reference: 'BACS-77', notOffsetConfirmed: false }, t.users.handler, 422);
      assert.equal(unconfirmed.body.error, 'offset_confirmation_required');
      assert.equal(unconfirmed.body.field, 'notOffsetConfirmed');
      const noRef = await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: acc.version, method: 'bank_transfer', notOffsetConfirmed: true }, t.users.handler, 400);
      assert.equal(noRef.body.field, 'reference');
      const future = await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: acc.version, on: '2025-04-29', method: 'bank_transfer', reference: 'BACS-77', notOffsetConfirmed: true }, t.users.handler, 422);
      assert.equal(future.body.error, 'date_in_future');

      const paid = (await call('POST', `/api/v1/remedies/${r.id}/pay`, { version: acc.version, on: '2025-04-28', method: 'bank_transfer', reference: 'BACS-77', notOffsetConfirmed: true }, t.users.handler, 200)).body;
      assert.equal(paid.status, 'paid');
      assert.equal(paid.financial.paidOn, '2025-04-28');
      assert.equal(paid.financial.paymentMethod, 'bank_transfer');
      assert.equal(paid.financial.paymentReference, 'BACS-77');
      assert.equal(paid.financial.notOffsetConfirmed, true);
      assert.equal(paid.completedOn, '2025-04-28');
      assert.deepEqual(paid.nextSteps, []);

      // The database refuses an offset payment even if a caller got past the service.
      await assert.rejects(t.app.db.updateTable('remedies').set({ payment_method: 'offset_against_arrears' }).where('id', '=', r.id).execute());
    });

    test('a retried create with the same Idempotency-Key records one remedy', async () => {
      const body = { type: 'explanation', description: 'Explain the delay in writing', dueOn: '2025-05-30' };
      const first = await t.call('POST', `/api/v1/complaints/${c.id}/remedies`, { as: t.users.handler, body, headers: { 'idempotency-key': 'remedy-retry-1' } });
      const again = await t.call('POST', `/api/v1/complaints/${c.id}/remedies`, { as: t.users.handler, body, headers: { 'idempotency-key': 'remedy-retry-1' } });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.equal(again.body.id, first.body.id);
      const cancelled = await call('POST', `/api/v1/remedies/${first.body.id}/cancel`, { version: first.body.version, reason: 'Entered to test a retry' }, t.users.handler, 200);
      assert.equal(cancelled.body.status, 'cancelled');
    });

    test('a stale version is refused with a conflict', async () => {
      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'explanation', description: 'Explain the repairs process', dueOn: '2025-05-30' }, t.users.handler, 201)).body;
      await call('PATCH', `/api/v1/remedies/${r.id}`, { version: r.version, dueOn: '2025-06-06' }, t.users.handler, 200);
      const stale = await call('POST', `/api/v1/remedies/${r.id}/complete`, { version: r.version }, t.users.handler, 409);
      assert.equal(stale.body.error, 'version_conflict');
      assert.equal(stale.body.currentVersion, r.version + 1);
    });

    test('an offer not accepted within three months lapses; a late acceptance is refused', async () => {
      t.clock.set('2025-05-01T10:00:00Z');
      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Goodwill payment', amountPence: 7_500, offeredOn: '2025-05-01' }, t.users.handler, 201)).body;
      assert.equal(r.financial.openUntil, '2025-08-01');
      assert.deepEqual(r.financial.guidance.bands.map((b: any) => b.key), ['minor']);

      t.clock.set('2025-08-01T20:00:00Z');
      assert.equal((await remedy(r.id)).status, 'offered', 'still open on its last day');
      t.clock.set('2025-08-02T09:00:00Z');
      const seen = await remedy(r.id);
      assert.equal(seen.status, 'lapsed');
      assert.equal(seen.financial.lapsedOn, '2025-08-02');
      assert.equal(seen.version, r.version, 'reading does not write');
      const late = await call('POST', `/api/v1/remedies/${r.id}/accept`, { version: r.version }, t.users.handler, 422);
      assert.equal(late.body.error, 'offer_lapsed');
      const backdated = await call('POST', `/api/v1/remedies/${r.id}/accept`, { version: r.version, on: '2025-07-30' }, t.users.handler, 422);
      assert.equal(backdated.body.error, 'offer_lapsed');
      const lapsedList = (await call('GET', '/api/v1/remedies?status=lapsed')).body.items.map((x: any) => x.id);
      assert.ok(lapsedList.includes(r.id));

      // The daily job records the lapse on the case's history.
      const job = (await call('POST', '/api/v1/remedies/lapse-due', {}, t.users.manager, 200)).body;
      assert.deepEqual(job.lapsed, [r.id]);
      const stored = await remedy(r.id);
      assert.equal(stored.status, 'lapsed');
      assert.equal(stored.version, r.version + 1);
      const h = (await call('GET', `/api/v1/complaints/${c.id}/history`)).body.items.filter((x: any) => x.action === 'remedy_lapsed');
      assert.equal(h.length, 1);
      assert.equal((await call('POST', '/api/v1/remedies/lapse-due', {}, t.users.manager, 200)).body.lapsed.length, 0);
    });

    test('the lapse period is a setting', async () => {
      const s = (await call('PATCH', '/api/v1/settings/remedies', { lapseMonths: 6 }, t.users.admin, 200)).body;
      assert.equal(s.lapseMonths, 6);
      assert.equal(s.approvalLimitsPence.handler, 25_000, 'other settings kept');
      t.clock.set('2025-08-04T10:00:00Z');
      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Goodwill', amountPence: 5_000, offeredOn: '2025-08-04' }, t.users.handler, 201)).body;
      assert.equal(r.financial.openUntil, '2026-02-04');
      await call('PATCH', '/api/v1/settings/remedies', { lapseMonths: 3 }, t.users.admin, 200);
      await call('PATCH', '/api/v1/settings/remedies', { lapseMonths: 3 }, t.users.manager, 403);
    });

    test('approval limits are settings and bind the approver too: above the manager’s £2,000 needs governance', async () => {
      t.clock.set('2025-08-05T10:00:00Z');
      const big = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Severe impact on health', amountPence: 250_000, impactBand: 'severe' }, t.users.manager, 201)).body;
      assert.equal(big.status, 'awaiting_approval');
      assert.equal(big.financial.approval.proposerLimitPence, 200_000);
      const self = await call('POST', `/api/v1/remedies/${big.id}/approve`, { version: big.version }, t.users.manager, 422);
      assert.equal(self.body.error, 'above_approval_limit');
      const ok = (await call('POST', `/api/v1/remedies/${big.id}/approve`, { version: big.version }, t.users.governance, 200)).body;
      assert.equal(ok.financial.approval.approvedBy.id, t.users.governance.id);

      // Raising the handler's limit to £400 lets the handler offer £350 unapproved.
      await call('PATCH', '/api/v1/settings/remedies', { approvalLimitsPence: { handler: 40_000 } }, t.users.admin, 200);
      const r = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Within the new limit', amountPence: 35_000 }, t.users.handler, 201)).body;
      assert.equal(r.status, 'approved');
      // Raising the amount above the limit before the offer sends it back for approval.
      const more = (await call('PATCH', `/api/v1/remedies/${r.id}`, { version: r.version, amountPence: 45_000 }, t.users.handler, 200)).body;
      assert.equal(more.status, 'awaiting_approval');
      await call('PATCH', '/api/v1/settings/remedies', { approvalLimitsPence: { handler: 25_000 } }, t.users.admin, 200);
      const cancelled = (await call('POST', `/api/v1/remedies/${r.id}/cancel`, { version: more.version, reason: 'Superseded by a revised offer' }, t.users.handler, 200)).body;
      assert.equal(cancelled.status, 'cancelled');
    });

    test('heads of award must add up to the amount', async () => {
      const r = await call(
        'POST',
        `/api/v1/complaints/${c.id}/remedies`,
        { type: 'financial', description: 'x', amountPence: 10_000, heads: [{ head: 'quantifiable_loss', amountPence: 6_000 }, { head: 'statutory_payment', amountPence: 3_000 }] },
        t.users.handler,
        422,
      );
      assert.equal(r.body.error, 'heads_do_not_add_up');
      const nonFinancial = await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'apology', description: 'Sorry', amountPence: 100 }, t.users.handler, 422);
      assert.equal(nonFinancial.body.error, 'amount_not_financial');
    });
  });

  describe('remedies of every type, tracked to completion', () => {
    test('each type of Code 7.1 is recorded with what, by when and who, and completed or cancelled', async () => {
      t.clock.set('2025-09-01T09:00:00Z');
      const c = await responded();
      const types = ['apology', 'acknowledgement_of_fault', 'explanation', 'action_on_delay', 'reconsidered_decision', 'amended_record', 'policy_change'];
      const made: any[] = [];
      for (const type of types) {
        made.push((await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type, description: `Do the ${type}`, dueOn: '2025-09-15', ownerTeam: 'Repairs team' }, t.users.handler, 201)).body);
      }
      assert.ok(made.every((r) => r.status === 'open' && r.owner.team === 'Repairs team' && r.dueOn === '2025-09-15' && r.financial === null));
      const done = (await call('POST', `/api/v1/remedies/${made[0].id}/complete`, { version: made[0].version, note: 'Letter sent' }, t.users.handler, 200)).body;
      assert.equal(done.status, 'done');
      assert.equal(done.completedOn, '2025-09-01');
      const noReason = await call('POST', `/api/v1/remedies/${made[1].id}/cancel`, { version: made[1].version, reason: ' ' }, t.users.handler, 400);
      assert.equal(noReason.body.field, 'reason');
      const cancelled = (await call('POST', `/api/v1/remedies/${made[1].id}/cancel`, { version: made[1].version, reason: 'Covered by the apology' }, t.users.handler, 200)).body;
      assert.equal(cancelled.cancelledReason, 'Covered by the apology');
      const again = await call('POST', `/api/v1/remedies/${made[0].id}/complete`, { version: done.version }, t.users.handler, 422);
      assert.equal(again.body.error, 'not_allowed_now');
      const notFinancial = await call('POST', `/api/v1/remedies/${made[2].id}/accept`, { version: made[2].version }, t.users.handler, 422);
      assert.equal(notFinancial.body.error, 'not_financial');

      t.clock.set('2025-09-16T09:00:00Z');
      const overdue = (await call('GET', '/api/v1/remedies?overdue=true')).body.items.filter((r: any) => r.complaintId === c.id);
      assert.equal(overdue.length, 5);
      assert.ok(overdue.every((r: any) => r.overdue));
      // Stage 2 remedies wait for stage 2.
      const s2 = await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'apology', description: 'x', stage: 2 }, t.users.handler, 422);
      assert.equal(s2.body.field, 'stage');
    });

    test('who may do what', async () => {
      t.clock.set('2025-09-16T09:00:00Z');
      const c = await responded();
      await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'apology', description: 'x' }, t.users.governance, 403);
      await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'apology', description: 'x' }, t.users.staff, 403);
      await call('GET', `/api/v1/complaints/${c.id}/remedies`, undefined, t.users.staff, 403);
      await call('GET', `/api/v1/complaints/${c.id}/remedies`, undefined, t.users.governance, 200);
      await call('GET', '/api/v1/remedies/figures?from=2025-01-01&to=2025-12-31', undefined, t.users.handler, 403);
      await call('GET', '/api/v1/remedies/figures?from=2025-01-01&to=2025-12-31', undefined, t.users.governance, 200);
    });
  });

  describe('outstanding actions', () => {
    let c: { id: string; version: number };
    let a: any;
    let staffAction: any;
    before(async () => {
      t.clock.set('2025-10-01T09:00:00Z');
      c = await responded();
    });

    test('an action has an owner, a contractor, a due date and updates owed to the resident', async () => {
      a = (
        await call(
          'POST',
          `/api/v1/complaints/${c.id}/actions`,
          { description: 'Redecorate the kitchen ceiling', ownerUserId: t.users.handler2.id, contractor: 'Acme Decorators Ltd', dueOn: '2025-10-15', residentUpdateEveryDays: 7 },
          t.users.handler,
          201,
        )
      ).body;
      assert.equal(a.status, 'open');
      assert.deepEqual(a.owner, { userId: t.users.handler2.id, name: t.users.handler2.name, team: null });
      assert.equal(a.contractor, 'Acme Decorators Ltd');
      assert.equal(a.residentUpdateDueOn, '2025-10-08');
      assert.equal(a.overdue, false);
      const noDate = await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'x', ownerTeam: 'Repairs' }, t.users.handler, 400);
      assert.equal(noDate.body.field, 'dueOn');
      const team = (await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Inspect the roof', ownerTeam: 'Repairs team', dueOn: '2025-11-30' }, t.users.handler, 201)).body;
      assert.equal(team.owner.team, 'Repairs team');
      assert.equal(team.owner.userId, null);
      staffAction = (await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Fix the rent account entry', ownerUserId: t.users.staff.id, dueOn: '2025-10-10' }, t.users.handler, 201)).body;

      t.clock.set('2025-10-08T09:00:00Z');
      const upd = (await call('POST', `/api/v1/actions/${a.id}/updates`, { version: a.version, note: 'Decorator booked for 14 October' }, t.users.handler2, 200)).body;
      assert.equal(upd.lastResidentUpdateOn, '2025-10-08');
      assert.equal(upd.residentUpdateDueOn, '2025-10-15');
      a = upd;
      const detail = (await call('GET', `/api/v1/actions/${a.id}`, undefined, t.users.handler2, 200)).body;
      assert.equal(detail.updates.length, 1);
      assert.equal(detail.updates[0].note, 'Decorator booked for 14 October');
      assert.equal(detail.updates[0].by, t.users.handler2.name);
    });

    test('"my actions" and the overdue query; staff see only their own', async () => {
      t.clock.set('2025-10-16T09:00:00Z');
      const mine = (await call('GET', '/api/v1/actions?owner=me', undefined, t.users.handler2, 200)).body;
      assert.deepEqual(mine.items.map((x: any) => x.id), [a.id]);
      assert.equal(mine.items[0].overdue, true);
      assert.equal(mine.items[0].residentUpdateOverdue, true);
      const overdueMine = (await call('GET', '/api/v1/actions?owner=me&overdue=true', undefined, t.users.handler2, 200)).body;
      assert.deepEqual(overdueMine.items.map((x: any) => x.id), [a.id]);
      // The manager's view: every overdue action, overdue first.
      const overdue = (await call('GET', `/api/v1/actions?overdue=true&complaintId=${c.id}`, undefined, t.users.manager, 200)).body;
      assert.deepEqual(overdue.items.map((x: any) => x.id).sort(), [a.id, staffAction.id].sort());
      const all = (await call('GET', `/api/v1/actions?complaintId=${c.id}`, undefined, t.users.manager, 200)).body;
      assert.equal(all.items.length, 3);
      assert.equal(all.items[2].overdue, false, 'overdue ones first');
      assert.equal(all.counts.overdue, 2);
      // Staff cannot read complaints: they get their own actions whatever they ask for.
      const staffView = (await call('GET', '/api/v1/actions?overdue=true', undefined, t.users.staff, 200)).body;
      assert.deepEqual(staffView.items.map((x: any) => x.id), [staffAction.id]);
      await call('GET', `/api/v1/actions/${a.id}`, undefined, t.users.staff, 403);
      await call('POST', `/api/v1/actions/${a.id}/complete`, { version: a.version }, t.users.staff, 403);
      await call('GET', `/api/v1/complaints/${c.id}/actions`, undefined, t.users.staff, 403);
    });

    test('actions outlive closure: completed after the complaint is closed', async () => {
      t.clock.set('2025-10-17T09:00:00Z');
      let cc = (await call('GET', `/api/v1/complaints/${c.id}`)).body;
      cc = (await call('POST', `/api/v1/complaints/${c.id}/close`, { version: cc.version, summary: 'Actions continue' }, t.users.handler, 200)).body;
      assert.equal(cc.status, 'closed');
      const done = (await call('POST', `/api/v1/actions/${a.id}/complete`, { version: a.version, note: 'Ceiling redecorated' }, t.users.handler2, 200)).body;
      assert.equal(done.status, 'done');
      assert.equal(done.completedOn, '2025-10-17');
      assert.equal(done.residentUpdateDueOn, null);
      // Staff complete their own action.
      const sd = (await call('POST', `/api/v1/actions/${staffAction.id}/complete`, { version: staffAction.version }, t.users.staff, 200)).body;
      assert.equal(sd.status, 'done');
      const hist = (await call('GET', `/api/v1/complaints/${c.id}/history`)).body.items.filter((h: any) => h.entity === 'action').map((h: any) => h.action);
      assert.deepEqual(hist, ['action_added', 'action_added', 'action_added', 'action_update_given', 'action_done', 'action_done']);
      // Cancelling needs a reason; reopening too.
      const team = (await call('GET', `/api/v1/actions?complaintId=${c.id}&status=open`)).body.items[0];
      const cancel = (await call('POST', `/api/v1/actions/${team.id}/cancel`, { version: team.version, reason: 'The roof was inspected under another case' }, t.users.handler, 200)).body;
      assert.equal(cancel.status, 'cancelled');
      assert.equal(cancel.cancelledReason, 'The roof was inspected under another case');
    });
  });

  describe('from the response, and figures for a period', () => {
    test('recordFromResponse tracks the response’s remedies and actions inside the caller’s transaction', async () => {
      t.clock.set('2026-01-05T09:00:00Z');
      const c = await responded();
      // A £400 offer proposed and approved before the response is picked up by it.
      const pre = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Compensation', amountPence: 40_000 }, t.users.handler, 201)).body;
      await call('POST', `/api/v1/remedies/${pre.id}/approve`, { version: pre.version }, t.users.manager, 200);
      const svc = t.app.services.remedies;
      const result = await t.app.db.transaction().execute((trx) =>
        svc.recordFromResponse(
          trx,
          actorOf(t.users.handler),
          c.id,
          1,
          [
            { type: 'apology', description: 'We apologise.' },
            { type: 'amended_record', description: 'Correct the repairs log', dueBy: '2026-01-20' },
            { type: 'financial', description: '£400 compensation', amountPence: 40_000 },
            { type: 'financial', description: '£150 time and trouble', amountPence: 15_000 },
            { type: 'financial', description: '£300 distress', amountPence: 30_000 },
          ],
          [
            { description: 'Redecorate', dueBy: '2026-02-01', owner: 'Repairs team' },
            { description: 'Call the resident', dueBy: '2026-01-12', owner: t.users.handler2.name },
            { description: 'Write up the learning', dueBy: null, owner: null },
          ],
        ),
      );
      const [apology, record, matched, small, big] = result.remedies;
      assert.equal(apology.status, 'done', 'an apology is given by the response itself');
      assert.equal(apology.source, 'response');
      assert.equal(record.status, 'open');
      assert.equal(record.dueOn, '2026-01-20');
      assert.equal(matched.id, pre.id, 'the approved offer was picked up, not duplicated');
      assert.equal(matched.status, 'offered');
      assert.equal(small.status, 'offered');
      assert.equal(small.financial!.offeredOn, '2026-01-05');
      assert.equal(big.status, 'awaiting_approval', 'above the handler’s limit: recorded, not offered');
      assert.deepEqual(result.awaitingApproval.map((r) => r.id), [big.id]);
      const [redecorate, callRes, learning] = result.actions;
      assert.deepEqual(redecorate.owner, { userId: null, name: null, team: 'Repairs team' });
      assert.equal(callRes.owner.userId, t.users.handler2.id);
      assert.equal(learning.owner.userId, t.users.handler.id);
      assert.equal(learning.dueOn, null);

      // Rolled back with the caller's transaction.
      const before = (await call('GET', `/api/v1/complaints/${c.id}/actions`)).body.items.length;
      await assert.rejects(
        t.app.db.transaction().execute(async (trx) => {
          await svc.recordFromResponse(trx, actorOf(t.users.handler), c.id, 1, [{ type: 'apology', description: 'x' }], [{ description: 'y', dueBy: '2026-02-01' }]);
          throw new Error('the response failed');
        }),
      );
      assert.equal((await call('GET', `/api/v1/complaints/${c.id}/actions`)).body.items.length, before);
      // A financial remedy without an amount is refused.
      await assert.rejects(
        t.app.db.transaction().execute((trx) => svc.recordFromResponse(trx, actorOf(t.users.handler), c.id, 1, [{ type: 'financial', description: 'Some money' }], [])),
        /give its amount/,
      );
      const pending = await t.app.db.transaction().execute((trx) => svc.unapprovedOffers(trx, actorOf(t.users.handler), c.id, 1, [{ type: 'financial', description: 'x', amountPence: 30_000 }, { type: 'financial', description: 'y', amountPence: 100 }]));
      assert.deepEqual(pending.map((p) => p.amountPence), [30_000]);
    });

    test('figures for a period: remedies by type, compensation offered and paid, actions overdue', async () => {
      // A fresh period (March 2026) with known activity.
      t.clock.set('2026-03-02T09:00:00Z');
      const c = await responded();
      const offer = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Comp', amountPence: 20_000, offeredOn: '2026-03-02', impactBand: 'minor', heads: [{ head: 'time_and_trouble', amountPence: 20_000 }], dueOn: '2026-03-20' }, t.users.handler, 201)).body;
      const ok = (await call('POST', `/api/v1/remedies/${offer.id}/accept`, { version: offer.version }, t.users.handler, 200)).body;
      t.clock.set('2026-03-10T09:00:00Z');
      await call('POST', `/api/v1/remedies/${offer.id}/pay`, { version: ok.version, method: 'cheque', reference: 'CHQ-9', notOffsetConfirmed: true }, t.users.handler, 200);
      const big = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'financial', description: 'Big', amountPence: 70_000, impactBand: 'significant' }, t.users.handler, 201)).body;
      const pol = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'policy_change', description: 'Review the repairs target', dueOn: '2026-03-15' }, t.users.handler, 201)).body;
      const sorry = (await call('POST', `/api/v1/complaints/${c.id}/remedies`, { type: 'apology', description: 'A goodwill apology', dueOn: '2026-03-11' }, t.users.handler, 201)).body;
      await call('POST', `/api/v1/remedies/${sorry.id}/complete`, { version: sorry.version }, t.users.handler, 200);
      await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Late one', ownerTeam: 'Repairs', dueOn: '2026-03-12' }, t.users.handler, 201);
      const onTime = (await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Quick one', ownerTeam: 'Repairs', dueOn: '2026-03-20' }, t.users.handler, 201)).body;
      await call('POST', `/api/v1/actions/${onTime.id}/complete`, { version: onTime.version }, t.users.handler, 200);
      t.clock.set('2026-04-10T09:00:00Z');

      const f = (await call('GET', '/api/v1/remedies/figures?from=2026-03-01&to=2026-03-31', undefined, t.users.manager, 200)).body;
      assert.deepEqual(f.period, { from: '2026-03-01', to: '2026-03-31', asAt: '2026-03-31' });
      assert.match(f.guidanceNote, /guidance, not a tariff/);
      const type = (k: string) => f.remedies.byType.find((x: any) => x.type === k);
      assert.equal(type('apology').recorded, 1);
      assert.equal(type('apology').completed, 1);
      assert.equal(type('financial').recorded, 2);
      assert.equal(type('financial').completed, 1);
      assert.equal(type('financial').completedOnTime, 1);
      assert.equal(type('policy_change').recorded, 1);
      // Overdue at the end of the period: this one and the one left open since September 2025.
      assert.equal(type('policy_change').overdueAtEnd, 2);
      assert.equal(f.compensation.offered.count, 1);
      assert.equal(f.compensation.offered.totalPence, 20_000);
      assert.equal(f.compensation.paid.totalPence, 20_000);
      assert.equal(f.compensation.recordedAboveProposerLimit.totalPence, 70_000);
      // Still awaiting approval at the end of March: this £700 and the £300 from January.
      assert.equal(f.compensation.awaitingApprovalAtEnd.totalPence, 100_000);
      assert.equal(f.compensation.byHead.find((h: any) => h.head === 'time_and_trouble').paidPence, 20_000);
      assert.equal(f.compensation.againstImpactBand.above, 1, '£200 is above the minor band');
      assert.equal(f.compensation.byGuidanceBand.find((b: any) => b.key === 'maladministration').offered, 1);
      assert.equal(f.actions.recorded, 2);
      assert.equal(f.actions.completed, 1);
      assert.equal(f.actions.completedOnTime, 1);
      // Overdue at the end of March: "Late one", and the two January actions from the response still open.
      assert.equal(f.actions.overdueAtEnd, 3);
      // February holds none of March's activity; the January actions were already overdue.
      const empty = (await call('GET', '/api/v1/remedies/figures?from=2026-02-01&to=2026-02-28', undefined, t.users.manager, 200)).body;
      assert.equal(empty.remedies.recorded, 0);
      assert.equal(empty.compensation.offered.count, 0);
      assert.equal(empty.actions.recorded, 0);
      assert.equal(empty.actions.overdueAtEnd, 2);
      const svcFigures = await puttingThingsRightFigures(t.app.services, '2026-03-01', '2026-03-31');
      assert.deepEqual(svcFigures, f);
      assert.deepEqual({ ...(await t.app.services.remedies.figures('2026-03-01', '2026-03-31')), learning: f.learning, ombudsman: f.ombudsman }, f);
      await call('GET', '/api/v1/remedies/figures?from=2026-03-31&to=2026-03-01', undefined, t.users.manager, 422);
      void big;
      void pol;
    });
  });
});
