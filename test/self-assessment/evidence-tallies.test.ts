/**
 * The evidence counts a period's remedies and outstanding actions in SQL. On random remedies and
 * actions (every status, dates either side of the period and of its end), on each database, the
 * counts are the ones the rules give when worked out one record at a time (the reference below).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { addDays, type LocalDate } from '../../src/core/dates.js';
import type { ActionTally, RemedyTally } from '../../src/core/self-assessment.js';

const FROM = '2025-04-01';
const TO = '2026-03-31';
const maybeDay = fc.option(fc.integer({ min: -60, max: 420 }), { nil: null });

const remedyArb = fc.record({
  financial: fc.boolean(),
  status: fc.constantFrom('open', 'done', 'cancelled', 'declined', 'lapsed', 'paid', 'offered'),
  recorded: fc.integer({ min: -30, max: 400 }),
  due: maybeDay,
  completed: maybeDay,
  /** Done (or paid) a day or two either side of the date due, or on it. */
  nearDue: fc.option(fc.integer({ min: -2, max: 2 }), { nil: null }),
  paid: maybeDay,
  band: fc.boolean(),
  amount: fc.integer({ min: 1, max: 100_000 }),
});
const actionArb = fc.record({
  stage: fc.constantFrom(1, 2, null),
  status: fc.constantFrom('open', 'done', 'cancelled'),
  recorded: fc.integer({ min: -30, max: 400 }),
  due: maybeDay,
  completed: maybeDay,
  nearDue: fc.option(fc.integer({ min: -2, max: 2 }), { nil: null }),
  owner: fc.constantFrom('Repairs', 'Lettings', 'user'),
});
const day = (n: number | null): LocalDate | null => (n === null ? null : addDays(FROM, n));

forEachBackend('the evidence counts remedies and actions as the rules say', (backend) => {
  let t: TestApp;
  let complaintId: string;
  before(async () => {
    t = await startTestApp(await backend.open());
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', receivedAt: '2025-04-10T09:00:00Z', description: 'A complaint', resident: { givenName: 'A', familyName: 'Tester' } } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    complaintId = c.body.id;
  });
  after(async () => {
    await t?.close();
  });

  test('remedies and actions recorded in the period', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(remedyArb, { maxLength: 25 }), fc.array(actionArb, { maxLength: 25 }), fc.integer({ min: 0, max: 500 }), async (remedies, actions, todayOffset) => {
        const db = t.app.db;
        await sql`delete from remedies`.execute(db);
        await sql`delete from actions`.execute(db);
        const today = addDays(FROM, todayOffset);
        t.clock.set(`${today}T12:00:00Z`);
        const asAt = TO < today ? TO : today;
        for (const r of remedies) {
          const near = r.due !== null && r.nearDue !== null ? day(r.due + r.nearDue) : null;
          const paidOn = r.financial && r.status === 'paid' ? (near ?? day(r.paid) ?? day(r.recorded)) : null;
          await db
            .insertInto('remedies')
            .values({
              complaint_id: complaintId,
              stage: 1,
              type: r.financial ? 'financial' : 'apology',
              description: 'x',
              status: !r.financial && r.status === 'paid' ? 'done' : r.status,
              source: 'manual',
              recorded_on: day(r.recorded)!,
              due_on: day(r.due),
              completed_on: near ?? day(r.completed),
              paid_on: paidOn,
              payment_method: paidOn ? 'bank_transfer' : null,
              not_offset_confirmed: !!paidOn,
              amount_pence: r.financial ? r.amount : null,
              impact_band: r.financial && r.band ? 'medium' : null,
            } as any)
            .execute();
        }
        for (const a of actions) {
          await db
            .insertInto('actions')
            .values({ complaint_id: complaintId, stage: a.stage, description: 'x', status: a.status, source: 'manual', recorded_on: day(a.recorded)!, due_on: day(a.due), completed_on: a.due !== null && a.nearDue !== null ? day(a.due + a.nearDue) : day(a.completed), owner_team: a.owner === 'user' ? null : a.owner, owner_user_id: a.owner === 'user' ? t.users.handler.id : null, cancelled_reason: a.status === 'cancelled' ? 'No longer needed' : null, cancelled_on: a.status === 'cancelled' ? day(a.recorded) : null } as any)
            .execute();
        }
        const input = await t.app.services.evidence.gather(FROM, TO);

        // The reference: the rules, one record at a time.
        const rows = await db.selectFrom('remedies').selectAll().where('recorded_on', '>=', FROM).where('recorded_on', '<=', TO).execute();
        const want: RemedyTally = { recorded: rows.length, byType: {}, financial: 0, financialWithImpactBand: 0, paidPence: 0, dated: 0, datedOnTime: 0, datedLateOrOverdue: 0 };
        for (const r of rows) {
          want.byType[r.type] = (want.byType[r.type] ?? 0) + 1;
          if (r.type === 'financial') {
            want.financial++;
            if (r.impact_band) want.financialWithImpactBand++;
            if (r.paid_on) want.paidPence += r.amount_pence ?? 0;
          }
          if (!r.due_on || r.status === 'cancelled') continue;
          want.dated++;
          const finished = r.completed_on ?? r.paid_on;
          if (finished && finished <= r.due_on) want.datedOnTime++;
          if ((finished ? finished > r.due_on : r.due_on < asAt) && !['declined', 'lapsed'].includes(r.status)) want.datedLateOrOverdue++;
        }
        assert.deepEqual(input.remedies, want);

        const acts = await db.selectFrom('actions').selectAll().where('recorded_on', '>=', FROM).where('recorded_on', '<=', TO).execute();
        const stage = (st: number) => {
          const xs = acts.filter((a) => a.stage === st);
          const open = xs.filter((a) => a.status === 'open');
          const done = xs.filter((a) => a.status === 'done');
          return { recorded: xs.length, open: open.length, overdue: open.filter((a) => a.due_on && a.due_on < asAt).length, done: done.length, doneByDate: done.filter((a) => !a.due_on || (a.completed_on && a.completed_on <= a.due_on)).length };
        };
        const wantActions: ActionTally = { recorded: acts.length, owners: new Set(acts.map((a) => a.owner_user_id ?? a.owner_team).filter(Boolean)).size, byStage: { 1: stage(1), 2: stage(2) } };
        assert.deepEqual(input.actions, wantActions);
      }),
      { numRuns: 30, includeErrorInReport: true },
    );
  });
});
