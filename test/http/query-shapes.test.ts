/**
 * The worklist's query is compiled once per shape and reused with each request's values
 * (services/query-shapes.ts). It must answer exactly as the query built afresh each time: checked
 * here on a generated landlord over many filter combinations, reusing shapes with other values,
 * and paging through with cursors.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.js';
import { generateDemo } from '../../src/demo/generate.js';
import { buildServices, type Services } from '../../src/services/index.js';
import { QueryShapes } from '../../src/services/query-shapes.js';
import type { ListFilters } from '../../src/services/complaints.js';
import { forEachBackend } from '../helpers/db.js';

const NOW = new Date('2025-11-20T11:00:00Z');

forEachBackend('the worklist compiled once per shape', (backend) => {
  let db: DatabaseHandle;
  let cached: Services;
  let fresh: Services;
  let handlers: string[] = [];
  let residents: string[] = [];
  const manager = { id: null, name: 'Test', role: 'manager' as const };

  before(async () => {
    db = await backend.open();
    await generateDemo(db.db, { homes: 600, years: 1, seed: 7, end: '2025-11-20', password: 'putright-demo-password' });
    cached = buildServices(db.db, () => NOW);
    fresh = buildServices(db.db, () => NOW);
    fresh.complaints.listShapes = new QueryShapes(0);
    const rows = await db.db.selectFrom('complaints').select(['stage1_handler_id', 'stage2_handler_id', 'resident_id']).execute();
    handlers = [...new Set(rows.flatMap((r) => [r.stage1_handler_id, r.stage2_handler_id]).filter((x): x is string => !!x))].slice(0, 4);
    residents = [...new Set(rows.map((r) => r.resident_id).filter((x): x is string => !!x))].slice(0, 3);
    assert.ok(rows.length >= 10 && handlers.length >= 2, `the generated landlord has complaints (${rows.length}) and handlers (${handlers.length})`);
  });
  after(async () => {
    await db.close();
  });

  test('every combination answers as the query built afresh', async () => {
    // A small deterministic generator, so a failure names a reproducible case.
    let seed = 12345;
    const next = () => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const rnd = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)];
    let nonEmpty = 0;
    let paged = 0;
    for (let i = 0; i < 160; i++) {
      // Each filter present about one time in four, so that many combinations still find complaints.
      const some = <T>(xs: readonly T[]): T | undefined => (rnd([0, 1, 2, 3]) === 0 ? rnd(xs) : undefined);
      const f: ListFilters = {
        stage: some([1, 2] as const),
        status: some(['investigating', 'closed', 'responded']),
        open: some([true, false]),
        handlerId: some(handlers),
        unassigned: some([true]),
        serviceArea: some(['Repairs', 'Lettings']),
        vulnerable: some([true, false]),
        extended: some([true, false]),
        residentId: rnd([0, 1, 2, 3, 4, 5, 6, 7]) === 0 ? rnd(residents) : undefined,
        due: some(['overdue', 'due_today', 'due_this_week'] as const),
        sort: rnd([undefined, 'due', 'received'] as const),
        limit: rnd([undefined, 2, 3, 5, 200]),
      };
      const a = await cached.complaints.list(manager, f);
      const b = await fresh.complaints.list(manager, f);
      assert.deepEqual(a, b, JSON.stringify(f));
      if (a.items.length) nonEmpty++;
      // Page on with the cursor, both ways.
      let ca = a.nextCursor;
      for (let pages = 0; ca && pages < 3; pages++) {
        const na = await cached.complaints.list(manager, { ...f, cursor: ca });
        const nb = await fresh.complaints.list(manager, { ...f, cursor: ca });
        assert.deepEqual(na, nb, `${JSON.stringify(f)} page ${pages + 2}`);
        paged++;
        ca = na.nextCursor;
      }
    }
    assert.ok(nonEmpty >= 20, `enough combinations found complaints to compare (${nonEmpty})`);
    assert.ok(paged >= 10, `enough pages after the first were compared (${paged})`);
    assert.ok(cached.complaints.listShapes.size > 5, 'shapes were reused across values');
  });

  test('the same shape with other values gives their answer, not the first one', async () => {
    const [h1, h2] = handlers;
    const one = await cached.complaints.list(manager, { handlerId: h1, sort: 'received', limit: 200 });
    const two = await cached.complaints.list(manager, { handlerId: h2, sort: 'received', limit: 200 });
    assert.ok(one.items.length > 0 && two.items.length > 0);
    assert.ok(one.items.every((c) => c.handler?.id === h1 || c.stage === 2));
    assert.notDeepEqual(one.items.map((c) => c.id), two.items.map((c) => c.id));
  });

  test('PostgreSQL keeps one plan for the worklists and their counts, instead of planning them on every request', async () => {
    // On one connection, so that its prepared statements are the ones these requests made.
    await db.db.connection().execute(async (conn) => {
      const s = buildServices(conn, () => NOW);
      const shapes: ListFilters[] = [
        { open: true, sort: 'due', limit: 50 },
        { open: true, sort: 'due', limit: 50, handlerId: handlers[0] },
        { open: true, sort: 'due', limit: 50, stage: 2 },
      ];
      for (let i = 0; i < 12; i++) {
        for (const f of shapes) {
          await s.complaints.list(manager, { ...f, handlerId: f.handlerId ? handlers[i % handlers.length] : undefined });
          await s.complaints.dueCounts(manager, { ...f, handlerId: f.handlerId ? handlers[i % handlers.length] : undefined });
        }
      }
      const { rows } = await sql<{ statement: string; generic_plans: string; custom_plans: string }>`
        select statement, generic_plans, custom_plans from pg_prepared_statements where statement like '%from "complaints"%'`.execute(conn);
      // A statement is planned for each of its first five runs; from the sixth, PostgreSQL uses
      // one plan for all, unless it judges planning afresh cheaper (which it then does every time).
      const often = rows.filter((r) => Number(r.generic_plans) + Number(r.custom_plans) >= 10);
      assert.ok(often.length >= 4, `the worklists' statements are prepared and run often (${rows.map((r) => `${r.custom_plans}+${r.generic_plans}`).join(', ')})`);
      for (const r of often) assert.equal(Number(r.custom_plans), 5, `planned ${r.custom_plans} times, kept plan used ${r.generic_plans} times: ${r.statement.slice(0, 400)}`);
    });
  });

  test('a bad cursor is still refused, naming the field', async () => {
    await assert.rejects(cached.complaints.list(manager, { sort: 'due', cursor: 'not-a-cursor' }), (e: any) => e.field === 'cursor');
  });
});

forEachBackend('the due badges counted from complaints alone', (backend) => {
  let db: DatabaseHandle;
  let s: Services;
  const manager = { id: null, name: 'Test', role: 'manager' as const };
  before(async () => {
    db = await backend.open();
    await generateDemo(db.db, { homes: 2500, years: 1, seed: 3, end: '2025-11-20', password: 'putright-demo-password' });
    s = buildServices(db.db, () => NOW);
  });
  after(async () => {
    await db.close();
  });

  test('the team’s and a handler’s counts are those of their open cases by deadline', async () => {
    const today = '2025-11-20';
    const soon = (await s.settings.calendar()).addWorkingDays(today, 2);
    const open = await db.db.selectFrom('complaints').select(['stage', 'stage1_handler_id', 'stage2_handler_id', 'next_due_on']).where('status', 'in', ['awaiting_acknowledgement', 'investigating', 'responded']).execute();
    assert.ok(open.length > 5, `open cases to count (${open.length})`);
    const plain = (rows: typeof open) => ({
      total: rows.length,
      overdue: rows.filter((r) => r.next_due_on !== null && r.next_due_on < today).length,
      due_today: rows.filter((r) => r.next_due_on === today).length,
      due_soon: rows.filter((r) => r.next_due_on !== null && r.next_due_on > today && r.next_due_on <= soon).length,
      on_track: rows.filter((r) => r.next_due_on !== null && r.next_due_on > soon).length,
    });
    assert.deepEqual(await s.complaints.dueCounts(manager, { open: true }), plain(open));
    const h = open.find((r) => r.stage1_handler_id)!.stage1_handler_id!;
    const theirs = open.filter((r) => (r.stage === 2 ? r.stage2_handler_id : r.stage1_handler_id) === h);
    assert.deepEqual(await s.complaints.dueCounts(manager, { open: true, handlerId: h }), plain(theirs));
  });
});
