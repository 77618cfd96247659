/**
 * The putting-things-right figures counted in SQL (RemedyService.figures, over
 * src/services/remedy-figure-queries.ts) equal, exactly, the figures the old implementation folded
 * in memory from every row (test/reports/remedy-figures-reference.ts), on each database: random
 * remedies of every type and status and random actions, stored directly, with their dates around
 * the edges of random periods and "today"s (across the change to British Summer Time), financial
 * remedies with and without heads of award, with and without approval (approved just before or
 * after a London midnight), offers that lapsed with and without a lapsed_on, and the landlord's
 * guidance bands as stored or by default.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { addDays, londonStartOfDay, type LocalDate } from '../../src/core/dates.js';
import { DEFAULT_REMEDY_SETTINGS, HEADS_OF_AWARD, REMEDY_STATUSES, REMEDY_TYPES, type GuidanceBand } from '../../src/core/remedies.js';
import { buildServices } from '../../src/services/index.js';
import { SETTINGS_KEY } from '../../src/services/remedies.js';
import { referenceFigures } from './remedy-figures-reference.js';

/** Days from DAY0: the range spans the clocks going forward on 30 March 2025. */
const DAY0 = '2025-03-15';
const SPAN = 40;
const day = (n: number): LocalDate => addDays(DAY0, n);

/** The days a remedy's dates are drawn near: the edges of the period the figures are taken for, "today", and the day taken as the end. */
interface Anchors {
  from: LocalDate;
  to: LocalDate;
  today: LocalDate;
}
type Dated = (a: Anchors) => LocalDate;
const asAtOf = (a: Anchors) => (a.to < a.today ? a.to : a.today);
const ANCHORS = {
  from: (a: Anchors) => a.from,
  to: (a: Anchors) => a.to,
  today: (a: Anchors) => a.today,
  asAt: asAtOf,
  afterTo: (a: Anchors) => addDays(a.to, 1),
  afterAsAt: (a: Anchors) => addDays(asAtOf(a), 1),
};
/** A day: the day before, on or after an edge of the period, today or the end (mostly), or anywhere in the range. */
const dayArb: fc.Arbitrary<Dated> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .record({ anchor: fc.constantFrom('from' as const, 'to' as const, 'today' as const, 'asAt' as const), delta: fc.integer({ min: -1, max: 1 }) })
      .map(({ anchor, delta }) => (a: Anchors) => addDays(ANCHORS[anchor](a), delta)),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: SPAN }).map((n) => () => day(n)) },
);
/** The first day of a comparison with an instant: where an approval's London date starts to count. */
const instantDayArb: fc.Arbitrary<Dated> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('from' as const, 'afterTo' as const, 'afterAsAt' as const).map((k) => ANCHORS[k]) },
  { weight: 1, arbitrary: dayArb },
);
/** A value or null: null `nulls` times in `nulls + 1`. */
const maybe = <T>(a: fc.Arbitrary<T>, nulls = 1) => fc.oneof({ arbitrary: fc.constant(null), weight: nulls }, { arbitrary: a, weight: 1 });

const COMPLAINT_STATUSES = ['open', 'closed', 'withdrawn', 'refused'] as const;
const COMPLAINTS = 6;
const BAND_KEYS = [...DEFAULT_REMEDY_SETTINGS.bands.map((b) => b.key), 'other_band', ''];
const AMOUNTS = [4_999, 5_000, 5_001, 10_000, 10_001, 59_999, 60_000, 100_000, 100_001, 250_000];

/** An instant near a London midnight in the range, to the microsecond (approved_at is a timestamptz). */
const instantArb = fc
  .record({ on: instantDayArb, minutes: fc.integer({ min: -70, max: 70 }), ms: fc.constantFrom(-1, 0, 1, 59_999), micro: fc.constantFrom(0, 1, 500, 999) })
  .map(({ on, minutes, ms, micro }) => (a: Anchors) => {
    const iso = new Date(londonStartOfDay(on(a)).getTime() + minutes * 60_000 + ms).toISOString();
    return `${iso.slice(0, 23)}${String(micro).padStart(3, '0')}Z`;
  });

const remedyArb = fc.record({
  type: fc.oneof({ arbitrary: fc.constant('financial' as string), weight: 3 }, { arbitrary: fc.constantFrom(...REMEDY_TYPES), weight: 2 }),
  // Offers more often: their lapsing depends on today.
  status: fc.oneof({ arbitrary: fc.constantFrom(...REMEDY_STATUSES), weight: 3 }, { arbitrary: fc.constant('offered' as const), weight: 1 }),
  complaint: fc.integer({ min: 0, max: COMPLAINTS - 1 }),
  recordedOn: dayArb,
  dueOn: maybe(dayArb),
  amount: fc.oneof(fc.constantFrom(...AMOUNTS), fc.integer({ min: 1, max: 300_000 })),
  heads: fc.array(fc.record({ head: fc.constantFrom(...HEADS_OF_AWARD, 'not_broken_down', 'other'), amountPence: fc.integer({ min: 1, max: 50_000 }) }), { maxLength: 3 }),
  impactBand: maybe(fc.constantFrom(...BAND_KEYS)),
  approvalRequired: fc.boolean(),
  approved: maybe(fc.record({ byUser: fc.boolean(), at: instantArb })),
  offeredOn: maybe(dayArb),
  openUntil: maybe(dayArb),
  acceptedOn: maybe(dayArb, 2),
  declinedOn: maybe(dayArb, 2),
  lapsedOn: maybe(dayArb, 2),
  paidOn: maybe(dayArb, 2),
  completedOn: maybe(dayArb, 2),
  cancelledOn: maybe(dayArb, 2),
});
type RemedyGen = typeof remedyArb extends fc.Arbitrary<infer T> ? T : never;

const actionArb = fc.record({
  status: fc.constantFrom('open', 'done', 'cancelled'),
  complaint: fc.integer({ min: 0, max: COMPLAINTS - 1 }),
  recordedOn: dayArb,
  dueOn: maybe(dayArb),
  completedOn: maybe(dayArb),
  cancelledOn: maybe(dayArb, 2),
});
type ActionGen = typeof actionArb extends fc.Arbitrary<infer T> ? T : never;

/** Guidance bands as a landlord might set them: gaps, overlaps, no top, out of order. */
const bandsArb: fc.Arbitrary<GuidanceBand[] | null> = maybe(
  fc
    .array(fc.record({ from: fc.constantFrom(0, 5_000, 10_000, 20_000, 60_000, 100_000), width: maybe(fc.constantFrom(0, 5_000, 50_000, 100_000)) }), { minLength: 0, maxLength: 4 })
    .map((bs) => bs.map((b, i) => ({ key: BAND_KEYS[i % 4]! + (i >= 4 ? '_x' : ''), label: `Band ${i}`, fromPence: b.from, toPence: b.width === null ? null : b.from + b.width }))),
  1,
);

/** A period and today: today anywhere around the range, or within the period (so that it ends after today). */
const periodArb = fc
  .record({ from: fc.integer({ min: 0, max: SPAN - 10 }), length: fc.integer({ min: 0, max: 10 }), today: fc.integer({ min: -3, max: SPAN + 3 }), within: fc.option(fc.integer({ min: 0, max: 10 })) })
  .map((p): Anchors => ({ from: day(p.from), to: day(p.from + p.length), today: day(p.within === null ? p.today : p.from + Math.min(p.within, p.length)) }));

forEachBackend('the putting-things-right figures counted in SQL equal the figures folded in memory', (backend) => {
  let h: DatabaseHandle;
  const complaintIds = Array.from({ length: COMPLAINTS }, () => crypto.randomUUID());
  let userId: string;
  before(async () => {
    h = await backend.open();
    userId = (await h.db.insertInto('users').values({ email: 'approver@example.test', name: 'Approver', role: 'manager' }).returning('id').executeTakeFirstOrThrow()).id;
    await h.db
      .insertInto('complaints')
      .values(
        complaintIds.map((id, i) => ({
          id,
          reference: `F-${i}`,
          channel: 'email',
          received_at: new Date(`${DAY0}T10:00:00Z`),
          received_on: DAY0,
          description: 'x',
          anonymous: false,
          subject_staff_ids: JSON.stringify([]),
          rule_version: 'x',
          status: COMPLAINT_STATUSES[i % COMPLAINT_STATUSES.length]!,
          stage: 1,
        })),
      )
      .execute();
  });
  after(async () => {
    await h?.close();
  });

  async function load(remedies: RemedyGen[], actions: ActionGen[], bands: GuidanceBand[] | null, anchors: Anchors) {
    const on = (f: Dated | null) => (f ? f(anchors) : null);
    await sql`delete from actions`.execute(h.db);
    await sql`delete from remedies`.execute(h.db);
    await sql`delete from settings where key = ${SETTINGS_KEY}`.execute(h.db);
    if (bands) await h.db.insertInto('settings').values({ key: SETTINGS_KEY, value: JSON.stringify({ bands }) }).execute();
    if (remedies.length) {
      await h.db
        .insertInto('remedies')
        .values(
          remedies.map((r) => {
            const financial = r.type === 'financial';
            const paid = r.status === 'paid';
            const approvedBy = r.approved?.byUser || (financial && r.offeredOn && r.approvalRequired) ? userId : null;
            const recordedOn = on(r.recordedOn)!;
            return {
              complaint_id: complaintIds[r.complaint]!,
              stage: 1,
              type: r.type,
              description: 'x',
              owner_team: 'Repairs',
              due_on: on(r.dueOn),
              status: r.status,
              source: 'manual',
              recorded_on: recordedOn,
              amount_pence: financial ? r.amount : null,
              heads: JSON.stringify(financial ? r.heads : []),
              impact_band: financial ? r.impactBand : null,
              approval_required: financial && r.approvalRequired,
              approved_by: financial ? approvedBy : null,
              approved_at: financial && r.approved ? r.approved.at(anchors) : null,
              offered_on: financial ? on(r.offeredOn) : null,
              open_until: financial ? on(r.openUntil) : null,
              accepted_on: financial ? on(r.acceptedOn) : null,
              declined_on: financial ? on(r.declinedOn) : null,
              lapsed_on: financial ? on(r.lapsedOn) : null,
              paid_on: paid ? on(r.paidOn) ?? recordedOn : financial ? on(r.paidOn) : null,
              payment_method: paid ? 'bank_transfer' : null,
              payment_reference: paid ? 'REF' : null,
              not_offset_confirmed: paid ? true : null,
              completed_on: on(r.completedOn),
              cancelled_on: on(r.cancelledOn),
              cancelled_reason: r.cancelledOn ? 'x' : null,
            };
          }),
        )
        .execute();
    }
    if (actions.length) {
      await h.db
        .insertInto('actions')
        .values(
          actions.map((a) => ({
            complaint_id: complaintIds[a.complaint]!,
            stage: 1,
            description: 'x',
            owner_team: 'Repairs',
            due_on: on(a.dueOn),
            status: a.status,
            source: 'manual',
            recorded_on: on(a.recordedOn)!,
            completed_on: on(a.completedOn),
            cancelled_on: on(a.cancelledOn),
            cancelled_reason: a.status === 'cancelled' || a.cancelledOn ? 'x' : null,
          })),
        )
        .execute();
    }
  }

  /** The figures for a period as RemedyService.figures gives them with the clock at an afternoon of `today`, and as the reference. */
  async function both(p: Anchors) {
    // On PostgreSQL the queries run side by side on a shared snapshot, as the server runs them.
    const services = buildServices(h.db, () => new Date(londonStartOfDay(p.today).getTime() + 15 * 3_600_000), { parallelReads: backend.name === 'postgres' });
    const got = await services.remedies.figures(p.from, p.to);
    // Without the breakdown (the dashboard's): the same figures, less compensation by head and against the bands.
    const brief = await services.remedies.figures(p.from, p.to, { breakdown: false });
    const { byHead: _h, byGuidanceBand: _b, againstImpactBand: _a, ...compensation } = got.compensation;
    assert.deepStrictEqual(brief, { ...got, compensation });
    return { got, expected: await referenceFigures(h.db, p.today, p.from, p.to) };
  }

  test('every figure, for random remedies, actions, periods and days the figures are taken on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(remedyArb, { maxLength: 60 }),
        fc.array(actionArb, { maxLength: 20 }),
        bandsArb,
        periodArb,
        fc.array(periodArb, { maxLength: 2 }),
        async (remedies, actions, bands, period, others) => {
          // The remedies' dates are drawn near the edges of the first period and its today.
          await load(remedies, actions, bands, period);
          for (const p of [period, ...others]) {
            const { got, expected } = await both(p);
            assert.deepStrictEqual(got, expected, `period ${p.from} to ${p.to}, today ${p.today}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test('the figures of an empty database, and of a period that ends before it starts', async () => {
    const p = { from: '2025-04-01', to: '2025-04-30', today: '2025-04-10' };
    await load([], [], null, p);
    const { got, expected } = await both(p);
    assert.deepStrictEqual(got, expected);
    const services = buildServices(h.db, () => new Date('2025-04-10T12:00:00Z'));
    await assert.rejects(services.remedies.figures('2025-04-30', '2025-04-01'), /ends before it starts/);
  });

  test('a year of remedies, all of them in the figures and in a period at the end of the calendar', async () => {
    // The same random data over a whole year, and a period ending on 9999-12-31 (no day after it).
    const today = '2025-04-10';
    await load(fc.sample(remedyArb, { numRuns: 60, seed: 9 }), fc.sample(actionArb, { numRuns: 20, seed: 9 }), null, { from: '2025-03-30', to: '2025-04-10', today });
    for (const [from, to] of [
      ['2025-01-01', '2025-12-31'],
      ['2025-04-01', '9999-12-31'],
      ['2025-03-30', '2025-03-30'],
    ] as const) {
      const { got, expected } = await both({ from, to, today });
      assert.deepStrictEqual(got, expected);
      if (from === '2025-01-01') assert.ok(got.remedies.recorded > 0 && got.compensation.offered.count > 0 && got.actions.recorded > 0, 'the data counts');
    }
  });
});
