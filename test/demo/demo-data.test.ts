/**
 * The demo data generator: a small landlord's year, generated through the services on a fresh
 * database, has the shape a real one would and breaks none of the Code's rules.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.js';
import { generateDemo, type DemoOptions, type DemoResult } from '../../src/demo/generate.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { buildServices } from '../../src/services/index.js';
import { lettersDue } from '../../src/core/letters.js';
import { forEachBackend } from '../helpers/db.js';

const OPTIONS: DemoOptions = { homes: 2000, years: 1, seed: 7, end: '2025-06-30' };
const END_INSTANT = new Date('2025-06-30T16:30:00Z');

forEachBackend('demo data for 2,000 homes over a year', (backend) => {
  let handle: DatabaseHandle;
  let result: DemoResult;

  before(async () => {
    handle = await backend.open();
    result = await generateDemo(handle.db, OPTIONS);
  });
  after(async () => {
    await handle?.close();
  });

  test('the engine accepted every step', () => {
    assert.deepEqual(result.errors, []);
    assert.equal(result.start, '2024-07-01');
  });

  test('stage 1 complaints are within the usual 35–45 per 1,000 homes a year', () => {
    const n = result.summary.complaints.stage1;
    assert.ok(n >= 70 && n <= 90, `${n} stage 1 complaints for 2,000 homes in a year`);
  });

  test('staff: a manager, at least three handlers, other staff and governance', () => {
    const u = result.summary.users;
    assert.equal(u.manager, 1);
    assert.ok(u.handler >= 3, `handlers: ${u.handler}`);
    assert.ok(u.staff >= 3, `other staff: ${u.staff}`);
    assert.equal(u.governance, 1);
  });

  test('some complaints escalate to stage 2, never to anyone who handled stage 1', async () => {
    const c = result.summary.complaints;
    assert.ok(c.stage2 >= 0.08 * c.stage1 && c.stage2 <= 0.3 * c.stage1, `${c.stage2} of ${c.stage1} escalated`);
    const same = await handle.db
      .selectFrom('complaints')
      .select('reference')
      .where('stage2_handler_id', 'is not', null)
      .whereRef('stage2_handler_id', '=', 'stage1_handler_id')
      .execute();
    assert.deepEqual(same, []);
    // Stronger: nobody assigned, acknowledging or responding at stage 1 is the stage 2 handler.
    const { rows } = await sql<{ reference: string }>`
      select c.reference from complaints c
      where c.stage2_handler_id is not null and exists (
        select 1 from history h
        where h.complaint_id = c.id and h.entity = 'complaint' and h.event->>'stage' = '1' and (
          (h.action = 'assigned' and h.event->>'handlerId' = c.stage2_handler_id::text)
          or (h.action in ('acknowledged', 'responded') and h.actor_id = c.stage2_handler_id)))`.execute(handle.db);
    assert.deepEqual(rows, []);
    const withHandler = await handle.db.selectFrom('complaints').select('id').where('stage2_handler_id', 'is not', null).execute();
    assert.ok(withHandler.length > 0, 'no stage 2 handler was ever assigned');
  });

  test("every complaint's history begins with its receipt", async () => {
    const { rows } = await sql<{ reference: string; first: string | null }>`
      select c.reference, (select h.action from history h where h.complaint_id = c.id order by h.id limit 1) as first
      from complaints c`.execute(handle.db);
    assert.equal(rows.length, result.summary.complaints.total);
    assert.deepEqual(rows.filter((r) => r.first !== 'received'), []);
  });

  test('statuses include open, closed, refused and withdrawn; some were extended; outcomes are mixed', () => {
    const s = result.summary.complaints.byStatus;
    const open = (s.awaiting_acknowledgement ?? 0) + (s.investigating ?? 0) + (s.responded ?? 0);
    assert.ok(open > 0, 'no open complaints at the end');
    assert.ok((s.closed ?? 0) > result.summary.complaints.total / 2, `closed: ${s.closed}`);
    assert.ok((s.refused ?? 0) > 0, 'none refused');
    assert.ok((s.withdrawn ?? 0) > 0, 'none withdrawn');
    const ext = result.summary.complaints.extended;
    assert.ok(ext.stage1 > 0, 'none extended at stage 1');
    const o = result.summary.complaints.outcomes.stage1;
    for (const k of ['upheld', 'partly_upheld', 'not_upheld']) assert.ok((o[k] ?? 0) > 0, `no stage 1 outcome ${k}`);
  });

  test('repairs and damp and mould are the largest service areas', () => {
    const areas = Object.entries(result.summary.complaints.byServiceArea).sort((a, b) => b[1] - a[1]);
    assert.equal(areas[0][0], 'Repairs');
    const both = (result.summary.complaints.byServiceArea.Repairs ?? 0) + (result.summary.complaints.byServiceArea['Damp and mould'] ?? 0);
    assert.ok(both >= 0.4 * result.summary.complaints.total, `repairs and damp: ${both} of ${result.summary.complaints.total}`);
  });

  test('service requests outnumber complaints several times; some complaints came from one that stayed open', async () => {
    const sr = result.summary.serviceRequests;
    assert.ok(sr.open + sr.closed >= 3 * result.summary.complaints.total, `${sr.open + sr.closed} service requests`);
    assert.ok(sr.withComplaint > 0, 'no complaint was raised from a service request');
    const { rows } = await sql<{ n: string }>`
      select count(*) as n from service_requests s
      where exists (select 1 from complaints c where c.service_request_id = s.id) and s.status = 'open'`.execute(handle.db);
    assert.ok(Number(rows[0].n) > 0, 'every service request with a complaint was closed');
    assert.ok(result.summary.residentNeeds.vulnerability > 0 && result.summary.residentNeeds.adjustment > 0);
    assert.ok(result.summary.contactRestrictions > 0 && result.summary.representatives > 0);
  });

  test('a sample of complaints reads back, with every deadline on a working day and nothing dated after the end', async () => {
    const services = buildServices(handle.db, () => END_INSTANT);
    const cal = await services.settings.calendar();
    const rows = await handle.db.selectFrom('complaints').select(['id', 'reference']).orderBy('reference').execute();
    const sample = rows.filter((_, i) => i % 5 === 0);
    assert.ok(sample.length >= 10);
    for (const r of sample) {
      const v = await services.complaints.get(SYSTEM_ACTOR, r.id);
      assert.equal(v.reference, r.reference);
      assert.ok(v.receivedOn <= OPTIONS.end && v.receivedOn >= result.start, `${r.reference} received ${v.receivedOn}`);
      for (const s of v.stages) {
        for (const [what, d] of [
          ['acknowledgement due', s.acknowledgementDue],
          ['response due', s.responseDue],
          ['original response due', s.responseDueOriginal],
          ['compliant response due', s.responseDueCompliant],
        ] as const) {
          assert.ok(cal.isWorkingDay(d), `${r.reference} stage ${s.stage}: ${what} ${d} is not a working day`);
        }
        for (const d of [s.acknowledgedOn, s.respondedOn]) if (d) assert.ok(d <= OPTIONS.end, `${r.reference}: ${d} is after the end`);
      }
      if (v.nextDue) assert.ok(cal.isWorkingDay(v.nextDue.date), `${r.reference}: next due ${v.nextDue.date}`);
    }
  });

  test('the letters-due inputs the triggers kept are what the four sources give, and so are the letters due', async () => {
    // The sources, read as LetterService.due read them before migration 0023.
    const { rows: sources } = await sql<{ src: string; complaint_id: string; kind: string | null; at: Date; stage: unknown; refusal_kind: unknown; seq: string }>`
      select 'step' as src, complaint_id, action as kind, at, event->'stage' as stage, event->'kind' as refusal_kind, id::text as seq from history
       where complaint_id is not null and action in ('acknowledged', 'extended', 'responded', 'refused', 'closed', 'withdrawn', 'reopened', 'escalation_requested')
      union all select 'letter', complaint_id, kind, sent_at, null, null, '0' from letters
      union all select 'offer', complaint_id, null, updated_at, null, null, '0' from remedies where status = 'offered' and source <> 'response'
      union all select 'done', complaint_id, null, updated_at, null, null, '0' from actions where status = 'done'`.execute(handle.db);
    const { rows: kept } = await sql<{ source: string; complaint_id: string; kind: string | null; at: Date; stage: unknown; refusal_kind: unknown; seq: string }>`
      select source, complaint_id, kind, at, stage, refusal_kind, seq::text as seq from complaint_letter_inputs`.execute(handle.db);
    const line = (r: { complaint_id: string; kind: string | null; at: Date; stage: unknown; refusal_kind: unknown; seq: string }, src: string) =>
      JSON.stringify([r.complaint_id, src, r.seq, r.kind, new Date(r.at).toISOString(), r.stage ?? null, r.refusal_kind ?? null]);
    assert.deepEqual(kept.map((r) => line(r, r.source)).sort(), sources.map((r) => line(r, r.src)).sort());
    const sourcesKept = new Set(kept.map((r) => r.source));
    assert.ok(sourcesKept.has('step'), `the demo has steps (${[...sourcesKept].join(', ')})`);

    // Every complaint's letters due, against the rule applied to the sources.
    const ids = (await handle.db.selectFrom('complaints').select('id').execute()).map((r) => r.id);
    const services = buildServices(handle.db, () => END_INSTANT);
    const due = await services.letters.due(ids);
    let withDue = 0;
    for (const id of ids) {
      const mine = sources.filter((r) => r.complaint_id === id).sort((a, b) => Number(a.seq) - Number(b.seq));
      const expected = lettersDue(
        mine.filter((r) => r.src === 'step').map((r) => ({ action: r.kind!, at: new Date(r.at), stage: (r.stage as number | null) ?? null, refusalKind: (r.refusal_kind as string | null) ?? null })),
        mine.filter((r) => r.src === 'letter').map((r) => ({ kind: r.kind!, sentAt: new Date(r.at) })),
        [...mine.filter((r) => r.src === 'offer').map((r) => ({ kind: 'remedy_offer' as const, since: new Date(r.at) })), ...mine.filter((r) => r.src === 'done').map((r) => ({ kind: 'action_completed' as const, since: new Date(r.at) }))],
      );
      assert.deepEqual(due.get(id) ?? [], expected, id);
      if (expected.length) withDue++;
    }
    assert.ok(withDue > 0, 'some complaints have letters due');
  });

  test('the same seed gives the same data', async () => {
    const second = await backend.open();
    try {
      const again = await generateDemo(second.db, OPTIONS);
      assert.deepEqual(again.summary, result.summary);
      assert.deepEqual(again.staff, result.staff);
    } finally {
      await second.close();
    }
  });
});
