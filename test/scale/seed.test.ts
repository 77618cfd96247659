/**
 * The bulk seed writes rows exactly as the services would: for every seeded complaint, folding its
 * history with the engine gives the row's projected columns, and the services read the case
 * (state, view, timeline, worklist) without complaint. Needs PUTRIGHT_TEST_DATABASE_URL and psql.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import pg from 'pg';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';
import { seed } from '../../src/seed/load.js';
import { projectionColumns } from '../../src/seed/simulate.js';
import { project, type LifecycleEvent, type LifecycleEventData } from '../../src/core/lifecycle.js';
import { WorkingDayCalendar } from '../../src/core/calendar.js';
import { DEFAULT_SETTINGS } from '../../src/services/settings.js';
import { buildServices } from '../../src/services/index.js';
import { refreshStageFacts, stageFactRows, summaryRow } from '../../src/services/stage-facts.js';

const URL_ = process.env.PUTRIGHT_TEST_DATABASE_URL;
const skip = URL_ ? false : 'PUTRIGHT_TEST_DATABASE_URL is not set: the seed loads PostgreSQL only';
let name: string;
let url: string;
let h: DatabaseHandle;

before(async () => {
  if (skip) return;
  name = `putright_seed_${crypto.randomBytes(5).toString('hex')}`;
  const c = new pg.Client({ connectionString: URL_ });
  await c.connect();
  await c.query(`create database ${name}`);
  await c.end();
  const u = new URL(URL_!);
  u.pathname = `/${name}`;
  url = u.toString();
  await seed({ databaseUrl: url, homes: 3000, years: 2, seed: 7, endMs: Date.parse('2025-06-30T17:00:00Z'), workers: 2, password: 'seed-test-password', ratePerThousand: 39, log: () => {} });
  h = openPostgres(url, 2);
});

after(async () => {
  if (skip) return;
  await h?.close();
  const c = new pg.Client({ connectionString: URL_ });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`);
  await c.end();
});

test('every seeded row is the projection of its own history, as the services store it', { skip }, async () => {
  const cal = new WorkingDayCalendar(DEFAULT_SETTINGS.calendar);
  const complaints = await h.db.selectFrom('complaints').selectAll().execute();
  assert.equal(complaints.length, Math.round(3 * 39 * 2));
  const history = await h.db.selectFrom('history').select(['complaint_id', 'event', 'actor_id', 'at', 'entity', 'id']).where('entity', '=', 'complaint').orderBy('id').execute();
  const byCase = new Map<string, LifecycleEvent[]>();
  for (const r of history) {
    const list = byCase.get(r.complaint_id!) ?? [];
    list.push({ ...(r.event as LifecycleEventData), actorId: r.actor_id, at: new Date(r.at).toISOString() });
    byCase.set(r.complaint_id!, list);
  }
  const stageFacts = await h.db.selectFrom('complaint_stage_facts').selectAll().orderBy('complaint_id').orderBy('stage').execute();
  const extensionFacts = await h.db.selectFrom('complaint_extension_facts').selectAll().orderBy('complaint_id').orderBy('stage').orderBy('seq').execute();
  const tenures = new Map((await h.db.selectFrom('residents').select(['id', 'tenure']).execute()).map((r) => [r.id, r.tenure]));
  const statuses = new Set<string>();
  let extended = 0;
  for (const c of complaints) {
    const events = byCase.get(c.id);
    assert.ok(events && events[0].type === 'received', `${c.reference} starts with its receipt`);
    const state = project(events, cal);
    const p = projectionColumns(state);
    for (const [k, v] of Object.entries(p)) assert.deepEqual((c as any)[k], v, `${c.reference}: ${k}`);
    // The measures' facts are the ones the engine would store, current with the row's version.
    const want = stageFactRows(c.id, state, { received_on: c.received_on, tenure: c.resident_id ? tenures.get(c.resident_id)! : null, channel: c.channel, service_area: c.service_area, category: c.category });
    assert.deepEqual(stageFacts.filter((r) => r.complaint_id === c.id).map((r) => ({ ...r, stage: Number(r.stage) })), want.stages, `${c.reference}: stage facts`);
    assert.deepEqual(extensionFacts.filter((r) => r.complaint_id === c.id).map((r) => ({ ...r, stage: Number(r.stage), seq: Number(r.seq) })), want.extensions, `${c.reference}: extension facts`);
    extended += want.extensions.length;
    const summary = await h.db.selectFrom('complaint_case_summaries').selectAll().where('complaint_id', '=', c.id).executeTakeFirstOrThrow();
    const wantSummary = summaryRow(c.id, events, cal, c);
    assert.deepEqual({ ...summary, summary: JSON.parse(summary.summary) }, { ...wantSummary, summary: JSON.parse(wantSummary.summary) }, `${c.reference}: case summary`);
    assert.equal(c.facts_version, c.version, `${c.reference}: facts current`);
    assert.ok(c.version >= 1 && c.version <= events.length, `${c.reference}: one version per command`);
    statuses.add(`${c.stage}:${c.status}`);
  }
  assert.ok(extended > 0, 'some extensions were seeded');
  assert.ok(statuses.size >= 5, `a spread of stages and statuses: ${[...statuses].join(', ')}`);
  const sequences = await h.db.selectNoFrom((eb) => [eb.fn<string>('nextval', [eb.val('complaint_ref_seq')]).as('n')]).executeTakeFirstOrThrow();
  assert.equal(Number(sequences.n), complaints.length + 1, 'new complaints continue the references');
});

test('the services read seeded cases: state, view, timeline and a handler’s worklist', { skip }, async () => {
  const services = buildServices(h.db, () => new Date('2025-06-30T17:00:00Z'));
  const handler = await h.db.selectFrom('users').selectAll().where('role', '=', 'handler').orderBy('email').executeTakeFirstOrThrow();
  const actor = { id: handler.id, name: handler.name, role: handler.role as any };
  const some = await h.db.selectFrom('complaints').select('id').where('stage', '=', 2).limit(5).execute();
  assert.ok(some.length > 0, 'some complaints were escalated');
  for (const c of some) {
    const file = await services.complaints.caseFile(actor, c.id);
    assert.equal(file.complaint.id, c.id);
    assert.ok(file.history.length >= 5);
  }
  // The seeded facts are current for the calendar in settings: a report folds nothing again.
  assert.equal(await refreshStageFacts(h.db, await services.settings.calendar()), 0);
  const list = await services.complaints.list(actor, { open: true, sort: 'due', limit: 50 });
  assert.ok(list.items.length > 0);
  const dues = list.items.map((i) => i.nextDue!.date);
  assert.deepEqual([...dues].sort(), dues, 'the worklist is in deadline order');
});
