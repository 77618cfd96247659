/**
 * The measures counted in SQL (src/services/measure-queries.ts) agree with their definitions in
 * the pure core (tallyTsm, tallyDashboard in src/core/measures.ts), on random facts, on each
 * database: every figure, every tenure, every stage, and the complaints behind each CH01/CH02
 * figure, for random years, periods and "today"s.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { addDays, type LocalDate } from '../../src/core/dates.js';
import { TSM_TALLY_FIGURES, reportingYear, tallyDashboard, tallyTsm, type ComplaintFacts, type StageFacts, type Tenure, type TsmTally } from '../../src/core/measures.js';
import { dashboardTally, storedFacts, tsmFigureFacts, tsmTallies } from '../../src/services/measure-queries.js';
import { factRows } from '../../src/services/stage-facts.js';
import { compactStageDayCounts, rebuildStageDayCounts } from '../../src/services/stage-day-counts.js';

const DAY0 = '2024-01-01';
const dayArb = (max: number) => fc.integer({ min: 0, max });
const maybe = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });

/** One stage's facts, its dates offset from `start`. */
const stageArb = (stage: 1 | 2) =>
  fc
    .record({
      ackDue: dayArb(10),
      ack: maybe(dayArb(12)),
      dueOriginal: dayArb(40),
      compliantExtra: dayArb(20),
      inForceExtra: dayArb(10),
      responded: maybe(dayArb(70)),
      ended: maybe(fc.record({ how: fc.constantFrom('refused' as const, 'withdrawn' as const), on: dayArb(30), ground: maybe(fc.constantFrom('out_of_time', 'legal')) })),
      outcome: maybe(fc.constantFrom('upheld', 'partly_upheld', 'not_upheld')),
      extensions: fc.array(fc.record({ told: dayArb(50), beyondCap: fc.boolean(), goodReason: fc.boolean(), toldLate: fc.boolean(), compliant: fc.boolean() }), { maxLength: 2 }),
    })
    .map((x) => (start: LocalDate): StageFacts => ({
      stage,
      startedOn: start,
      acknowledgementDue: addDays(start, x.ackDue),
      acknowledgedOn: x.ack === null ? null : addDays(start, x.ack),
      dueOriginal: addDays(start, x.dueOriginal),
      dueCompliant: addDays(start, x.dueOriginal + x.compliantExtra),
      dueInForce: addDays(start, x.dueOriginal + x.compliantExtra + x.inForceExtra),
      respondedOn: x.responded === null ? null : addDays(start, x.responded),
      outcome: x.responded === null ? null : x.outcome,
      ended: x.responded === null && x.ended ? { how: x.ended.how, on: addDays(start, x.ended.on), ground: x.ended.how === 'refused' ? x.ended.ground : null } : null,
      extensions: x.extensions.map((e) => ({ previousDue: addDays(start, x.dueOriginal), newDue: addDays(start, x.dueOriginal + 10), residentToldOn: addDays(start, e.told), beyondCap: e.beyondCap, goodReason: e.goodReason, toldLate: e.toldLate, compliant: e.compliant })),
    }));

const complaintArb = fc.record({
  received: dayArb(3 * 365),
  tenure: fc.constantFrom<Tenure | null>('LCRA', 'LCHO', 'other', null),
  channel: fc.constantFrom('phone', 'email', 'web'),
  area: maybe(fc.constantFrom('Repairs', 'Damp and mould')),
  category: maybe(fc.constantFrom('Delay', 'Quality of work')),
  s1: stageArb(1),
  s2: maybe(fc.record({ after: dayArb(40), make: stageArb(2) })),
});

type Generated = typeof complaintArb extends fc.Arbitrary<infer T> ? T : never;

interface Made {
  facts: ComplaintFacts;
  tenure: Tenure | null;
}

forEachBackend('the measures counted in SQL agree with the pure definitions', (backend) => {
  let h: DatabaseHandle;
  let n = 0;
  before(async () => {
    h = await backend.open();
  });
  after(async () => {
    await h?.close();
  });

  async function load(list: Generated[]): Promise<Made[]> {
    await sql`delete from complaints`.execute(h.db);
    const made: Made[] = [];
    for (const c of list) {
      const id = crypto.randomUUID();
      const receivedOn = addDays(DAY0, c.received);
      const s1 = c.s1(receivedOn);
      const stages = [s1];
      if (c.s2) stages.push(c.s2.make(addDays(s1.respondedOn ?? receivedOn, c.s2.after)));
      const meta = { received_on: receivedOn, tenure: c.tenure, channel: c.channel, service_area: c.area, category: c.category };
      await h.db
        .insertInto('complaints')
        .values({ id, reference: `T-${++n}`, channel: c.channel, received_at: `${receivedOn}T10:00:00Z`, received_on: receivedOn, description: 'x', anonymous: false, subject_staff_ids: '[]', rule_version: 'x', status: 'closed', stage: stages.length, service_area: c.area, category: c.category, facts_version: 1 })
        .execute();
      const rows = factRows(id, stages, meta);
      await h.db.insertInto('complaint_stage_facts').values(rows.stages).execute();
      if (rows.extensions.length) await h.db.insertInto('complaint_extension_facts').values(rows.extensions).execute();
      made.push({ tenure: c.tenure, facts: { v: 1, id, reference: `T-${n}`, tenure: (c.tenure ?? 'LCHO') as Tenure, channel: c.channel, serviceArea: c.area, category: c.category, status: 'closed', receivedOn, closedOn: null, stages } });
    }
    return made;
  }

  /**
   * The engine records nothing dated after today (lifecycle.ts refuses future dates): the counts
   * from the day totals rely on it, so they are asked on a day no earlier than any the facts carry.
   */
  const notBeforeFacts = (today: LocalDate, made: readonly Made[]) => {
    let latest = today;
    for (const m of made)
      for (const s of m.facts.stages)
        for (const x of [s.startedOn, s.acknowledgedOn, s.respondedOn, s.ended?.on, ...s.extensions.map((e) => e.residentToldOn)]) if (x && x > latest) latest = x;
    return latest;
  };

  const norm = (ts: readonly TsmTally[]) =>
    ts
      .map((t) => ({ ...t, ...Object.fromEntries(TSM_TALLY_FIGURES.map((k) => [k, { count: t[k].count, ids: [...t[k].ids].sort() }])) }))
      .filter((t) => TSM_TALLY_FIGURES.some((k) => t[k].count > 0))
      .sort((a, b) => a.stage - b.stage || a.tenure.localeCompare(b.tenure));

  test('CH01 and CH02 tallies, and the complaints behind each figure, for any year and day', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(complaintArb, { minLength: 1, maxLength: 25 }), fc.integer({ min: 2023, max: 2027 }), dayArb(5 * 365), async (list, startYear, todayOffset) => {
        const made = await load(list);
        const year = reportingYear(startYear);
        const today = addDays('2023-06-01', todayOffset);
        const receivedBy = year.to < today ? year.to : today;
        const expected = tallyTsm(made.filter((m) => m.facts.receivedOn <= receivedBy).map((m) => m.facts), { year: startYear, asOf: today });
        const got = await tsmTallies(h.db, year, today, 'LCHO', true);
        assert.deepEqual(norm(got), norm(expected));
        // The counts alone, from the day totals: before the deltas are compacted, and after.
        const later = notBeforeFacts(today, made);
        const expectedLater = norm(tallyTsm(made.filter((m) => m.facts.receivedOn <= (year.to < later ? year.to : later)).map((m) => m.facts), { year: startYear, asOf: later })).map((t) => ({
          ...t,
          ...Object.fromEntries(TSM_TALLY_FIGURES.map((k) => [k, { count: t[k].count, ids: [] }])),
        }));
        assert.deepEqual(norm(await tsmTallies(h.db, year, later, 'LCHO', false)), expectedLater, 'day totals before compacting');
        await compactStageDayCounts(h.db);
        assert.deepEqual(norm(await tsmTallies(h.db, year, later, 'LCHO', false)), expectedLater, 'day totals after compacting');
        // One figure's complaints, through the drill-down query.
        const e = norm(expected)[0];
        if (e) {
          const figure = TSM_TALLY_FIGURES.find((k) => e[k].count > 0)!;
          const facts = await tsmFigureFacts(h.db, year, today, 'LCHO', e.stage, e.tenure, figure);
          assert.deepEqual(facts.map((f) => f.id).sort(), e[figure].ids);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('the dashboard’s tally for any period and day', async () => {
    const sortKeys = <T extends { key: string; count: number; stage?: number }>(xs: readonly T[]) => [...xs].filter((x) => x.count > 0).sort((a, b) => (a.stage ?? 0) - (b.stage ?? 0) || a.key.localeCompare(b.key));
    await fc.assert(
      fc.asyncProperty(fc.array(complaintArb, { minLength: 1, maxLength: 25 }), dayArb(3 * 365), dayArb(400), dayArb(5 * 365), async (list, fromOffset, length, todayOffset) => {
        const made = await load(list);
        const from = addDays(DAY0, fromOffset);
        const to = addDays(from, length);
        const today = notBeforeFacts(addDays('2023-06-01', todayOffset), made);
        const receivedBy = to < today ? to : today;
        const expected = tallyDashboard(made.filter((m) => m.facts.receivedOn <= receivedBy).map((m) => m.facts), { from, to, asOf: today });
        // From the day totals and the deltas not yet compacted, then from the totals alone.
        for (const when of ['before compacting', 'after compacting']) {
          if (when === 'after compacting') await compactStageDayCounts(h.db);
          const got = await dashboardTally(h.db, from, to, today);
          assert.deepEqual(got.stages, expected.stages, when);
          assert.deepEqual(sortKeys(got.months.map((m) => ({ key: m.month, stage: m.stage, count: m.count }))), sortKeys(expected.months.map((m) => ({ key: m.month, stage: m.stage, count: m.count }))), when);
          for (const k of ['channel', 'serviceArea', 'category', 'outcomes', 'refusals'] as const) assert.deepEqual(sortKeys(got[k]), sortKeys(expected[k]), `${k} ${when}`);
        }
      }),
      { numRuns: 40 },
    );
  });

  test('stored facts read back as the facts that were stored', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(complaintArb, { minLength: 1, maxLength: 10 }), async (list) => {
        const made = await load(list);
        const back = await storedFacts(h.db, { receivedBy: '2099-12-31' }, 'LCHO');
        const byId = new Map(back.map((f) => [f.id, f]));
        for (const m of made) {
          const b = byId.get(m.facts.id)!;
          assert.deepEqual(b.stages, m.facts.stages);
          assert.equal(b.tenure, m.facts.tenure);
        }
      }),
      { numRuns: 15 },
    );
  });
});
