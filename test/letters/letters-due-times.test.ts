/**
 * "Letters due" reads each input's time as whole milliseconds worked out in SQL (LetterService.due).
 * Whatever the microseconds PostgreSQL holds, the time must be the one the driver gives for the
 * same value (a Date, truncated to the millisecond), or a letter sent in the same instant as its
 * step would look older than the step and stay "due". Random times with every kind of fraction,
 * on both databases; and several offers or completed actions give the earliest as "since".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

forEachBackend('letters due: input times', (backend) => {
  let t: TestApp;
  let id: string;
  before(async () => {
    t = await startTestApp(await backend.open());
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Times to the microsecond', resident: { givenName: 'Tim', familyName: 'Ing', postcode: 'N1 1AA' } } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    id = c.body.id;
  });
  after(async () => {
    await t?.close();
  });

  /** Replace the case's inputs with these rows; the times are text PostgreSQL reads to the microsecond. */
  async function inputs(rows: { source: string; kind: string | null; at: string; seq: number }[]) {
    await sql`delete from complaint_letter_inputs where complaint_id = ${id}`.execute(t.app.db);
    for (const [i, r] of rows.entries()) {
      await sql`insert into complaint_letter_inputs (complaint_id, source, source_id, seq, kind, at) values (${id}, ${r.source}, ${`t${i}`}, ${r.seq}, ${r.kind}, ${r.at}::timestamptz)`.execute(t.app.db);
    }
    const { rows: read } = await sql<{ at: Date }>`select at from complaint_letter_inputs where complaint_id = ${id} order by source_id`.execute(t.app.db);
    return read.map((r) => new Date(r.at).getTime());
  }

  test('the time of a step is the driver’s, to the millisecond, for any microseconds', async () => {
    const micros = fc.oneof(fc.constantFrom(0, 1, 499, 500, 999, 999_000, 999_499, 999_999, 123_456), fc.integer({ min: 0, max: 999_999 }));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: Date.UTC(2000, 0, 1) / 1000, max: Date.UTC(2099, 11, 31) / 1000 }), micros, async (seconds, micro) => {
        const at = `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(micro).padStart(6, '0')}+00`;
        const [driver] = await inputs([{ source: 'step', kind: 'acknowledged', at, seq: 1 }]);
        const due = (await t.app.services.letters.due([id])).get(id) ?? [];
        assert.equal(due.length, 1, at);
        assert.equal(due[0].since.getTime(), driver, at);
        // A letter sent in that same instant answers it.
        await sql`insert into complaint_letter_inputs (complaint_id, source, source_id, seq, kind, at) values (${id}, 'letter', 'sent', 0, 'stage1_acknowledgement', ${at}::timestamptz)`.execute(t.app.db);
        assert.deepEqual((await t.app.services.letters.due([id])).get(id) ?? [], [], `${at}: the letter sent at the same instant`);
      }),
      { numRuns: 60 },
    );
  });

  test('steps keep the order they were recorded in at the same instant; of several offers the earliest is "since"', async () => {
    // A closure and a reopening in the same instant: a reopening overtakes the closure recorded
    // before it, so which came first (the order recorded) decides whether a closure letter is due.
    const instant = '2025-05-01T10:00:00.123456+00';
    await inputs([
      { source: 'step', kind: 'reopened', at: instant, seq: 2 },
      { source: 'step', kind: 'closed', at: instant, seq: 1 },
    ]);
    assert.deepEqual(((await t.app.services.letters.due([id])).get(id) ?? []).map((d) => d.kind), [], 'the reopening recorded after the closure overtakes it');
    await inputs([
      { source: 'step', kind: 'reopened', at: instant, seq: 1 },
      { source: 'step', kind: 'closed', at: instant, seq: 2 },
    ]);
    assert.deepEqual(((await t.app.services.letters.due([id])).get(id) ?? []).map((d) => d.kind), ['closure'], 'a closure recorded after the reopening is due');
    const times = await inputs([
      { source: 'offer', kind: null, at: '2025-05-03T10:00:00+00', seq: 0 },
      { source: 'offer', kind: null, at: '2025-05-01T10:00:00+00', seq: 0 },
      { source: 'offer', kind: null, at: '2025-05-02T10:00:00+00', seq: 0 },
    ]);
    const due = (await t.app.services.letters.due([id])).get(id) ?? [];
    assert.deepEqual(due.map((d) => [d.kind, d.since.getTime()]), [['remedy_offer', Math.min(...times)]]);
  });
});
