/**
 * Subject access, retention and the access audit through the API, on PGlite and PostgreSQL.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync, strFromU8 } from 'fflate';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { RetentionService, scrubJson } from '../../src/services/data-protection/retention.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { buildCase, PNG, RESIDENT, type Case } from './fixture.js';

/** What reports are built from: per complaint, the row's figures, every stage's dates and timeliness, the history's event types. */
async function figures(t: TestApp, ids: string[]) {
  const out: Record<string, unknown> = {};
  for (const id of ids) {
    const c = (await t.call('GET', `/api/v1/complaints/${id}`)).body;
    const h = (await t.app.db.selectFrom('history').select(['action', 'entity', 'at', 'actor_id']).where('complaint_id', '=', id).where('action', '!=', 'personal_data_anonymised').orderBy('id').execute()).map((r) => [r.action, r.entity, new Date(r.at).toISOString(), r.actor_id]);
    out[id] = {
      status: c.status,
      stage: c.stage,
      receivedOn: c.receivedOn,
      closedOn: c.closedOn,
      channel: c.channel,
      vulnerable: c.vulnerable,
      stages: c.stages.map((s: any) => ({ ack: s.acknowledgedOn, ackDue: s.acknowledgementDue, due: s.responseDue, responded: s.respondedOn, outcome: s.outcome, timeliness: s.timeliness, decisions: s.pointDecisions?.map((p: any) => p.decision), remedies: s.remedies?.map((r: any) => r.type) })),
      history: h,
      counts: {
        letters: (await t.app.db.selectFrom('letters').select(sql<string>`count(*)`.as('n')).where('complaint_id', '=', id).executeTakeFirstOrThrow()).n,
        correspondence: (await t.app.db.selectFrom('correspondence').select(sql<string>`count(*)`.as('n')).where('complaint_id', '=', id).executeTakeFirstOrThrow()).n,
        remedies: (await t.app.db.selectFrom('remedies').select(sql<string>`count(*)`.as('n')).where('complaint_id', '=', id).executeTakeFirstOrThrow()).n,
        actions: (await t.app.db.selectFrom('actions').select(sql<string>`count(*)`.as('n')).where('complaint_id', '=', id).executeTakeFirstOrThrow()).n,
      },
    };
  }
  return out;
}

/** Every text value held about one complaint and its resident, as one string. */
async function textHeldAbout(t: TestApp, complaintId: string, residentId: string) {
  const parts: unknown[] = [];
  const db = t.app.db;
  parts.push(await db.selectFrom('complaints').selectAll().where('id', '=', complaintId).execute());
  parts.push(await db.selectFrom('residents').selectAll().where('id', '=', residentId).execute());
  for (const table of ['notes', 'correspondence', 'letters', 'remedies', 'actions', 'history', 'outbox', 'contacts'] as const) {
    parts.push(await (db.selectFrom(table as any) as any).selectAll().where('complaint_id', '=', complaintId).execute());
  }
  parts.push(await db.selectFrom('attachments').select(['filename', 'description']).where('complaint_id', '=', complaintId).execute());
  return JSON.stringify(parts);
}

forEachBackend('data protection through the API', (backend) => {
  let t: TestApp;
  let cases: (Case & { residentId: string })[] = [];
  let residentId: string;
  let other: Case & { residentId: string };
  before(async () => {
    t = await startTestApp(await backend.open());
    const first = await buildCase(t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'first' });
    residentId = first.residentId;
    cases = [first, await buildCase(t, { residentId, start: '2025-05-12T09:00:00Z', close: true, tag: 'second' }), await buildCase(t, { residentId, start: '2025-06-09T09:00:00Z', close: false, tag: 'third' })];
    // Another resident's closed complaint: it must not appear in the first resident's export.
    t.clock.set('2025-06-20T09:00:00Z');
    const o = await t.call('POST', '/api/v1/complaints', { body: { channel: 'email', description: 'Noise from next door at night.', resident: { givenName: 'Oswin', familyName: 'Marchetti', email: 'oswin@example.net', tenure: 'LCRA' } } });
    other = { ...o.body, residentId: o.body.residentId };
  });
  after(async () => {
    await t?.close();
  });

  describe('subject access', () => {
    test('a manager exports everything held about the resident as one zip with a readable index; it is logged and timed', async () => {
      t.clock.set('2025-07-01T09:00:00Z');
      const started = performance.now();
      const r = await t.app.inject({ method: 'POST', url: '/api/v1/subject-access-requests', headers: { authorization: `Bearer ${t.users.manager.token}` }, payload: { residentId, receivedOn: '2025-06-30' } });
      const ms = performance.now() - started;
      assert.equal(r.statusCode, 201, r.body);
      assert.equal(r.headers['content-type'], 'application/zip');
      const files = unzipSync(new Uint8Array(r.rawPayload));
      const names = Object.keys(files);
      const index = strFromU8(files['index.html']);
      console.log(`# subject access export: ${cases.length} complaints, ${names.length} files, ${r.rawPayload.length} bytes, ${Math.round(ms)} ms over HTTP (server-side ${r.headers['x-export-duration-ms']} ms) [${backend.name}]`);
      assert.ok(ms < 60_000, 'in well under minutes');
      for (const v of [RESIDENT.givenName, RESIDENT.familyName, RESIDENT.email, RESIDENT.phone, RESIDENT.addressLine1]) assert.ok(index.includes(v), `the index shows ${v}`);
      for (const c of cases) {
        assert.ok(index.includes(c.reference), `the index lists ${c.reference}`);
        const dir = `complaints/${c.reference}`;
        const notes = JSON.parse(strFromU8(files[`${dir}/notes.json`]));
        assert.equal(notes.length, 2);
        assert.ok(notes.some((n: any) => n.restricted && /safeguarding concern/.test(n.body)), 'restricted notes are included with their text');
        assert.ok(JSON.parse(strFromU8(files[`${dir}/correspondence.json`])).some((m: any) => m.subject === 'Photos of the ceiling'));
        const letters = names.filter((n) => n.startsWith(`${dir}/letters/`));
        assert.equal(letters.length, 1, 'the acknowledgement letter');
        assert.match(strFromU8(files[letters[0]]), /kitchen leak/);
        assert.ok(JSON.parse(strFromU8(files[`${dir}/remedies.json`])).length >= 1, 'remedies');
        assert.ok(JSON.parse(strFromU8(files[`${dir}/actions.json`])).length >= 1, 'actions');
        const history = JSON.parse(strFromU8(files[`${dir}/history.json`]));
        assert.ok(history.some((h: any) => h.action === 'received'));
        const attachment = names.find((n) => n.startsWith(`${dir}/attachments/`));
        assert.ok(attachment, 'the attachment is in the archive');
        assert.ok(Buffer.from(files[attachment!]).subarray(0, 8).equals(PNG.subarray(0, 8)));
        assert.ok(index.includes(attachment!), 'the index links each attachment');
      }
      assert.ok(!index.includes('Marchetti') && !names.some((n) => n.includes(other.reference)), "nobody else's complaint is in the export");
      const list = await t.call('GET', `/api/v1/subject-access-requests?residentId=${residentId}`);
      assert.equal(list.body.items.length, 1);
      assert.equal(list.body.items[0].complaints, 3);
      assert.equal(list.body.items[0].receivedOn, '2025-06-30');
      assert.equal(list.body.items[0].requestedBy, t.users.manager.name);
      const audit = await t.call('GET', `/api/v1/access-audit?action=subject_access_export`, { as: t.users.admin });
      assert.equal(audit.status, 200);
      assert.equal(audit.body.items.length, 1);
      assert.equal(audit.body.items[0].actor.id, t.users.manager.id);
      assert.equal(audit.body.items[0].resident.id, residentId);
    });

    test('handlers, staff and governance may not export; an unknown resident is 404', async () => {
      for (const as of [t.users.handler, t.users.staff, t.users.governance]) {
        assert.equal((await t.call('POST', '/api/v1/subject-access-requests', { as, body: { residentId } })).status, 403);
      }
      assert.equal((await t.call('POST', '/api/v1/subject-access-requests', { as: t.users.admin, body: { residentId: '00000000-0000-4000-8000-000000000000' } })).status, 404);
    });
  });

  describe('access audit', () => {
    test('reading a restricted note and opening a resident record are recorded; a reader who cannot see the text is not', async () => {
      const c = cases[0];
      const asHandler = await t.call('GET', `/api/v1/complaints/${c.id}/notes`, { as: t.users.handler });
      assert.equal(asHandler.body.items.find((n: any) => n.restricted).body, null);
      t.clock.set('2025-07-02T10:00:00Z');
      const asManager = await t.call('GET', `/api/v1/complaints/${c.id}/notes`, { as: t.users.manager });
      const restricted = asManager.body.items.find((n: any) => n.restricted);
      assert.match(restricted.body, /safeguarding/);
      const notes = await t.call('GET', `/api/v1/access-audit?action=restricted_note_opened`, { as: t.users.admin });
      assert.equal(notes.body.items.length, 1, 'only the manager’s reading is recorded');
      assert.deepEqual([notes.body.items[0].actor.id, notes.body.items[0].complaint.reference, notes.body.items[0].entityId, notes.body.items[0].at], [t.users.manager.id, c.reference, restricted.id, '2025-07-02T10:00:00.000Z']);

      assert.equal((await t.call('GET', `/api/v1/residents/${residentId}`, { as: t.users.staff })).status, 200);
      const opened = await t.call('GET', `/api/v1/access-audit?action=resident_record_opened&actorId=${t.users.staff.id}`, { as: t.users.admin });
      assert.equal(opened.body.items.length, 1);
      assert.equal(opened.body.items[0].resident.id, residentId);
      // Filters: by resident, by date.
      const byResident = await t.call('GET', `/api/v1/access-audit?residentId=${residentId}`, { as: t.users.admin });
      assert.ok(byResident.body.items.length >= 3);
      assert.equal((await t.call('GET', `/api/v1/access-audit?from=2025-07-03`, { as: t.users.admin })).body.items.length, 0);
      assert.equal((await t.call('GET', `/api/v1/access-audit?from=2025-07-02&to=2025-07-02`, { as: t.users.admin })).body.items.length, 2);
      // A resident that does not exist: nothing recorded.
      assert.equal((await t.call('GET', `/api/v1/residents/00000000-0000-4000-8000-000000000000`)).status, 404);
      assert.equal((await t.call('GET', `/api/v1/access-audit?residentId=00000000-0000-4000-8000-000000000000`, { as: t.users.admin })).body.items.length, 0);
    });

    test('only administrators review the audit', async () => {
      for (const as of [t.users.manager, t.users.handler, t.users.governance, t.users.staff]) assert.equal((await t.call('GET', '/api/v1/access-audit', { as })).status, 403);
    });
  });

  describe('retention', () => {
    test('six years by default; nothing is eligible before then', async () => {
      assert.deepEqual((await t.call('GET', '/api/v1/retention/settings', { as: t.users.admin })).body, { years: 6, enabled: false });
      t.clock.set('2031-04-01T09:00:00Z'); // under six years after the first closure (19 April 2025)
      const p = await t.call('GET', '/api/v1/retention/preview', { as: t.users.admin });
      assert.equal(p.status, 200);
      assert.deepEqual(p.body.candidates, []);
      assert.equal((await t.call('GET', '/api/v1/retention/preview', { as: t.users.manager })).status, 403);
    });

    test('a dry run lists what would go, changes nothing and is logged; a held case is marked and kept', async () => {
      t.clock.set('2032-01-10T09:00:00Z');
      const hold = await t.call('PUT', `/api/v1/complaints/${cases[1].id}/retention-hold`, { as: t.users.manager, body: { reason: 'Disrepair claim issued in the county court' } });
      assert.equal(hold.status, 200, JSON.stringify(hold.body));
      const beforeText = await textHeldAbout(t, cases[0].id, residentId);
      const p = await t.call('GET', '/api/v1/retention/preview', { as: t.users.admin });
      assert.deepEqual(p.body.candidates.map((c: any) => c.reference).sort(), [cases[0].reference, cases[1].reference].sort());
      assert.equal(p.body.candidates.find((c: any) => c.reference === cases[1].reference).hold.reason, 'Disrepair claim issued in the county court');
      const run = await t.call('POST', '/api/v1/retention/runs', { as: t.users.admin, body: { dryRun: true } });
      assert.equal(run.status, 201);
      assert.equal(run.body.dryRun, true);
      assert.deepEqual([run.body.eligible, run.body.held, run.body.anonymised], [2, 1, 0]);
      assert.deepEqual(run.body.references, [cases[0].reference]);
      assert.equal(await textHeldAbout(t, cases[0].id, residentId), beforeText, 'a dry run changes nothing');
    });

    test('a run anonymises personal data past retention and keeps the figures; the held case, the open case and other residents are untouched', async () => {
      const ids = [...cases.map((c) => c.id), other.id];
      const figuresBefore = await figures(t, ids);
      const heldBefore = await textHeldAbout(t, cases[1].id, residentId);
      assert.ok(heldBefore.includes(RESIDENT.familyName));
      const run = await t.call('POST', '/api/v1/retention/runs', { as: t.users.admin, body: { dryRun: false } });
      assert.equal(run.status, 201);
      assert.deepEqual([run.body.eligible, run.body.held, run.body.anonymised, run.body.residentsAnonymised], [2, 1, 1, 0]);
      assert.deepEqual(run.body.references, [cases[0].reference]);

      const after = await textHeldAbout(t, cases[0].id, residentId);
      // The resident still has live cases, so their record stays; the complaint's own personal data goes.
      const complaintText = after.replace(JSON.stringify(await t.app.db.selectFrom('residents').selectAll().where('id', '=', residentId).execute()), '');
      for (const v of ['Quennell', 'Philippa', RESIDENT.email, 'Threlfall', 'safeguarding', 'Photos of the ceiling', 'ceiling-first.png', 'kitchen leak is still not fixed']) {
        assert.ok(!complaintText.includes(v), `"${v}" is gone from the anonymised complaint`);
      }
      assert.equal((await t.app.db.selectFrom('notes').select('id').where('complaint_id', '=', cases[0].id).execute()).length, 0, 'notes go');
      assert.equal((await t.app.db.selectFrom('attachments').select('id').where('complaint_id', '=', cases[0].id).execute()).length, 0, 'attachments go');
      assert.deepEqual(await figures(t, ids), figuresBefore, 'counts, dates, timeliness, outcomes and event types are unchanged');
      assert.equal(await textHeldAbout(t, cases[1].id, residentId).then((s) => s.includes('safeguarding')), true, 'the held case keeps everything');
      const hist = await t.call('GET', `/api/v1/complaints/${cases[0].id}/history`);
      assert.equal(hist.status, 200);
      assert.ok(hist.body.items.some((h: any) => h.action === 'personal_data_anonymised'));
      // The history is still append-only for everyone else.
      await assert.rejects(t.app.db.updateTable('history').set({ after: JSON.stringify({}) }).where('complaint_id', '=', cases[1].id).execute(), /append-only/);
      // Running again does nothing more.
      const again = await t.call('POST', '/api/v1/retention/runs', { as: t.users.admin, body: { dryRun: false } });
      assert.equal(again.body.anonymised, 0);
      const runs = await t.call('GET', '/api/v1/retention/runs', { as: t.users.admin });
      assert.deepEqual(runs.body.items.map((r: any) => [r.dryRun, r.anonymised]), [[false, 0], [false, 1], [true, 0]], 'every run is logged');
    });

    test('when the last case goes, the resident record is anonymised too; lifting the hold lets it go', async () => {
      const third = cases[2];
      let c = (await t.call('GET', `/api/v1/complaints/${third.id}`)).body;
      t.clock.set('2026-01-05T09:00:00Z');
      const r = await t.call('POST', `/api/v1/complaints/${third.id}/close`, { body: { version: c.version, summary: 'Done' } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((await t.call('DELETE', `/api/v1/complaints/${cases[1].id}/retention-hold`, { as: t.users.admin })).status, 200);
      t.clock.set('2032-02-01T09:00:00Z');
      const run = await t.call('POST', '/api/v1/retention/runs', { as: t.users.admin, body: { dryRun: false } });
      assert.deepEqual([run.body.anonymised, run.body.residentsAnonymised], [2, 1]);
      const res = await t.app.db.selectFrom('residents').selectAll().where('id', '=', residentId).executeTakeFirstOrThrow();
      assert.deepEqual([res.given_name, res.family_name, res.email, res.phone, res.address_line1, res.postcode], [null, null, null, null, null, null]);
      const all = JSON.stringify(await Promise.all(cases.map((x) => textHeldAbout(t, x.id, residentId))));
      for (const v of ['Quennell', 'Philippa', RESIDENT.email, RESIDENT.phone, 'Larkspur']) assert.ok(!all.includes(v), `"${v}" is gone`);
      const otherRes = await t.app.db.selectFrom('residents').select('family_name').where('id', '=', other.residentId).executeTakeFirstOrThrow();
      assert.equal(otherRes.family_name, 'Marchetti', 'another resident with an open case is untouched');
    });

    test('settings are validated; a hold needs a reason', async () => {
      assert.equal((await t.call('PUT', '/api/v1/retention/settings', { as: t.users.admin, body: { years: 0 } })).status, 400);
      assert.deepEqual((await t.call('PUT', '/api/v1/retention/settings', { as: t.users.admin, body: { years: 7, enabled: true } })).body, { years: 7, enabled: true });
      assert.equal((await t.call('PUT', `/api/v1/complaints/${other.id}/retention-hold`, { as: t.users.manager, body: { reason: '' } })).status, 400);
      assert.equal((await t.call('PUT', `/api/v1/complaints/${other.id}/retention-hold`, { as: t.users.handler, body: { reason: 'x' } })).status, 403);
    });
  });
});

describe('scrubbing JSON keeps codes, dates and ids', () => {
  test('free text and names go; statuses, outcomes, dates, ids and numbers stay', () => {
    const id = '0b7d4a70-3b5e-4c52-9a7e-1f0e5d6c7b8a';
    assert.deepEqual(
      scrubJson({ type: 'responded', on: '2025-05-20', outcome: 'partly_upheld', points: [{ pointId: 'P1', decision: 'upheld', reasons: 'It took six weeks' }], handlerId: id, amountPence: 15000, owner: 'Repairs team', name: 'smith', email: 'a@b.c', at: '2025-04-17T09:00:00.000Z', reference: 'CMP-000012', postcode: 'SE1 7PB' }),
      { type: 'responded', on: '2025-05-20', outcome: 'partly_upheld', points: [{ pointId: '[anonymised]', decision: 'upheld', reasons: '[anonymised]' }], handlerId: id, amountPence: 15000, owner: '[anonymised]', name: '[anonymised]', email: '[anonymised]', at: '2025-04-17T09:00:00.000Z', reference: 'CMP-000012', postcode: '[anonymised]' },
    );
  });
});

forEachBackend('retention with several instances at once', (backend) => {
  test('two sweeps started together anonymise each eligible complaint exactly once', async () => {
    const t = await startTestApp(await backend.open());
    try {
      const made: string[] = [];
      for (let i = 0; i < 4; i++) made.push((await buildCase(t, { start: new Date(Date.parse('2025-03-03T09:00:00Z') + i * 7 * 86_400_000).toISOString(), close: true, tag: `multi${i}` })).id);
      t.clock.set('2033-01-01T09:00:00Z');
      const a = new RetentionService(t.app.db, t.clock.now);
      const b = new RetentionService(t.app.db, t.clock.now);
      const [ra, rb] = await Promise.all([a.run(SYSTEM_ACTOR, { dryRun: false, trigger: 'schedule' }), b.run(SYSTEM_ACTOR, { dryRun: false, trigger: 'schedule' })]);
      assert.equal(ra.error, null);
      assert.equal(rb.error, null);
      const done = await t.app.db.selectFrom('anonymised_complaints').select('complaint_id').execute();
      assert.equal(done.length, 4);
      assert.equal(new Set([...ra.references, ...rb.references]).size, 4);
      assert.equal(ra.anonymised + rb.anonymised, 4, `each complaint once (${ra.anonymised} + ${rb.anonymised})`);
      const marks = await t.app.db.selectFrom('history').select('complaint_id').where('action', '=', 'personal_data_anonymised').execute();
      assert.equal(marks.length, 4, 'one anonymisation event per complaint');
    } finally {
      await t.close();
    }
  });
});

describe('the scheduled sweep', () => {
  test('only reports (a logged dry run) until anonymising is turned on; then anonymises, and logs counts without personal data', async () => {
    const { openEmbedded, migrate } = await import('../../src/db/database.js');
    const { RetentionSweeper } = await import('../../src/services/data-protection/retention.js');
    const db = await openEmbedded(null);
    await migrate(db.db);
    const t = await startTestApp(db);
    try {
      const c = await buildCase(t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'sweep' });
      t.clock.set('2032-01-01T09:00:00Z');
      const logged: object[] = [];
      const sweeper = new RetentionSweeper(t.app.services.retention, SYSTEM_ACTOR, { intervalMs: 60_000, log: { info: (o) => logged.push(o), error: (o) => logged.push(o) } });
      const first = await sweeper.sweep();
      assert.equal(first?.dryRun, true);
      assert.equal(first?.eligible, 1);
      assert.notEqual((await t.app.db.selectFrom('complaints').select('description').where('id', '=', c.id).executeTakeFirstOrThrow()).description, '[anonymised]');
      assert.equal((await t.call('PUT', '/api/v1/retention/settings', { as: t.users.admin, body: { enabled: true } })).status, 200);
      const second = await sweeper.sweep();
      assert.deepEqual([second?.dryRun, second?.anonymised, second?.trigger], [false, 1, 'schedule']);
      assert.equal((await t.app.db.selectFrom('complaints').select('description').where('id', '=', c.id).executeTakeFirstOrThrow()).description, '[anonymised]');
      assert.equal(logged.length, 2);
      assert.ok(!JSON.stringify(logged).includes(c.reference) && !JSON.stringify(logged).includes('Quennell'), 'the log line holds counts and the run id only');
      await sweeper.stop();
    } finally {
      await t.close();
    }
  });
});
