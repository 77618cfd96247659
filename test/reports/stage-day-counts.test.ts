/**
 * The day counts of the stage facts (migration 0021, src/services/stage-day-counts.ts) stay equal
 * to the facts counted afresh, whatever is inserted, updated (in place, as the engine does, or a
 * tenure at a time) or deleted, before and after compacting, and while compactions run beside the
 * writers.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import type { DatabaseHandle } from '../../src/db/database.js';
import { addDays } from '../../src/core/dates.js';
import { compactStageDayCounts, dayCounts, rebuildStageDayCounts, type DayCountKind } from '../../src/services/stage-day-counts.js';
import { upsertStageFacts } from '../../src/services/stage-facts.js';

const KINDS: DayCountKind[] = ['received', 'channel', 'area', 'category', 'acknowledged', 'responded', 'ended'];
const DAY0 = '2024-01-01';

const key = (r: { kind: string; stage: number; tenure: string; key1: string; key2: string; month?: string | null }) => `${r.kind}|${r.month}|${r.stage}|${r.tenure}|${r.key1}|${r.key2}`;

/** Every stage counted afresh from the facts, by month. */
async function counted(h: DatabaseHandle): Promise<Map<string, number>> {
  const { rows } = await sql<{ kind: string; month: string; stage: number; tenure: string; key1: string; key2: string; n: number }>`
    select c.kind, date_trunc('month', c.day)::date as month, c.stage, c.tenure, c.key1, c.key2, count(*)::int as n
    from complaint_stage_facts f cross join lateral complaint_stage_day_contributions(f) c
    group by 1, 2, 3, 4, 5, 6`.execute(h.db);
  return new Map(rows.map((r) => [key({ ...r, stage: Number(r.stage) }), Number(r.n)]));
}

async function kept(h: DatabaseHandle): Promise<Map<string, number>> {
  const rows = await dayCounts(h.db, '2000-01-01', '2099-12-31', KINDS, { byMonth: true });
  return new Map(rows.map((r) => [key(r), r.n]));
}

const stageRow = (id: string, stage: 1 | 2, x: { start: number; ack: number | null; resp: number | null; ended: 'refused' | 'withdrawn' | null; tenure: string | null; outcome: string | null; area: string | null }) => {
  const started = addDays(DAY0, x.start);
  const responded = x.resp === null || x.ended ? null : addDays(started, x.resp);
  const endedOn = x.ended ? addDays(started, 3) : null;
  return {
    complaint_id: id,
    stage,
    received_on: DAY0,
    tenure: x.tenure,
    channel: 'email',
    service_area: x.area,
    category: null,
    started_on: started,
    acknowledgement_due: addDays(started, 5),
    acknowledged_on: x.ack === null ? null : addDays(started, x.ack),
    due_original: addDays(started, 15),
    due_compliant: addDays(started, 20),
    due_in_force: addDays(started, 20),
    responded_on: responded,
    outcome: responded ? x.outcome : null,
    ended_how: x.ended,
    ended_on: endedOn,
    ended_ground: x.ended === 'refused' ? 'legal' : null,
    first_on: started,
    last_on: responded ?? endedOn,
  };
};

const changeArb = fc.record({
  start: fc.integer({ min: 0, max: 400 }),
  ack: fc.option(fc.integer({ min: 0, max: 9 }), { nil: null }),
  resp: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null }),
  ended: fc.constantFrom<'refused' | 'withdrawn' | null>(null, null, 'refused', 'withdrawn'),
  tenure: fc.constantFrom<string | null>('LCRA', 'LCHO', null),
  outcome: fc.constantFrom<string | null>('upheld', 'not_upheld', null),
  area: fc.constantFrom<string | null>('Repairs', null),
});

const opArb = fc.oneof(
  fc.record({ op: fc.constant('insert' as const), stage2: fc.boolean(), x: changeArb }),
  fc.record({ op: fc.constant('upsert' as const), pick: fc.nat(), x: changeArb }),
  fc.record({ op: fc.constant('tenure' as const), pick: fc.nat(), tenure: fc.constantFrom<string | null>('LCRA', 'LCHO', 'other', null) }),
  fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ op: fc.constant('compact' as const) }),
);

forEachBackend('the day counts of the stage facts', (backend) => {
  let h: DatabaseHandle;
  let n = 0;
  before(async () => {
    h = await backend.open();
  });
  after(async () => {
    await h?.close();
  });

  async function newComplaint(): Promise<string> {
    const id = crypto.randomUUID();
    await h.db
      .insertInto('complaints')
      .values({ id, reference: `D-${++n}`, channel: 'email', received_at: `${DAY0}T10:00:00Z`, received_on: DAY0, description: 'x', anonymous: false, subject_staff_ids: '[]', rule_version: 'x', status: 'open', stage: 1, facts_version: 1 })
      .execute();
    return id;
  }

  test('inserts, updates in place, tenure changes and deletes keep the counts equal to the facts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), async (ops) => {
        await sql`delete from complaints`.execute(h.db);
        await rebuildStageDayCounts(h.db);
        const ids: string[] = [];
        for (const o of ops) {
          if (o.op === 'insert') {
            const id = await newComplaint();
            ids.push(id);
            const rows = [stageRow(id, 1, o.x)];
            if (o.stage2) rows.push(stageRow(id, 2, { ...o.x, start: o.x.start + 30 }));
            await h.db.insertInto('complaint_stage_facts').values(rows).execute();
          } else if (o.op === 'upsert' && ids.length) {
            // As writeStageFacts does: in place, and only when something changed.
            await upsertStageFacts(h.db, [stageRow(ids[o.pick % ids.length]!, 1, o.x)]);
          } else if (o.op === 'tenure' && ids.length) {
            await h.db.updateTable('complaint_stage_facts').set({ tenure: o.tenure }).where('complaint_id', '=', ids[o.pick % ids.length]!).execute();
          } else if (o.op === 'delete' && ids.length) {
            const [id] = ids.splice(o.pick % ids.length, 1);
            await h.db.deleteFrom('complaints').where('id', '=', id!).execute();
          } else if (o.op === 'compact') {
            await compactStageDayCounts(h.db);
          }
        }
        assert.deepEqual(await kept(h), await counted(h));
        await compactStageDayCounts(h.db);
        assert.deepEqual(await kept(h), await counted(h), 'after compacting');
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from complaint_stage_day_deltas`.execute(h.db);
        assert.equal(Number(rows[0]!.n), 0, 'compacting moves every delta');
      }),
      { numRuns: backend.name === 'pglite' ? 30 : 60 },
    );
  });

  test('writers and compactions side by side lose and double nothing', async () => {
    await sql`delete from complaints`.execute(h.db);
    await rebuildStageDayCounts(h.db);
    const writer = async (w: number) => {
      for (let i = 0; i < 40; i++) {
        await h.db.transaction().execute(async (trx) => {
          const id = crypto.randomUUID();
          await trx
            .insertInto('complaints')
            .values({ id, reference: `W-${w}-${i}-${++n}`, channel: 'email', received_at: `${DAY0}T10:00:00Z`, received_on: DAY0, description: 'x', anonymous: false, subject_staff_ids: '[]', rule_version: 'x', status: 'open', stage: 1, facts_version: 1 })
            .execute();
          await trx.insertInto('complaint_stage_facts').values(stageRow(id, 1, { start: i, ack: i % 3, resp: i % 2 ? 10 : null, ended: null, tenure: 'LCRA', outcome: 'upheld', area: null })).execute();
          if (i % 4 === 0) await trx.updateTable('complaint_stage_facts').set({ tenure: 'LCHO' }).where('complaint_id', '=', id).execute();
        });
      }
    };
    const compactor = async () => {
      for (let i = 0; i < 30; i++) await compactStageDayCounts(h.db);
    };
    await Promise.all([writer(1), writer(2), writer(3), compactor(), compactor()]);
    assert.deepEqual(await kept(h), await counted(h));
    await compactStageDayCounts(h.db);
    assert.deepEqual(await kept(h), await counted(h), 'after compacting');
    const received = (await dayCounts(h.db, '2000-01-01', '2099-12-31', ['received'])).reduce((a, r) => a + r.n, 0);
    assert.equal(received, 120);
  });
});
