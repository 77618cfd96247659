/** The data protection pages: export by reference, retention report and runs, holds, access audit; who may see them. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { unzipSync } from 'fflate';
import { migrate, openEmbedded } from '../../src/db/database.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from '../web/session.js';
import { buildCase } from './fixture.js';

const PASSWORD = 'lantern orbit meadow 17';
let t: TestApp;
let manager: string;
let admin: string;
let handler: string;
let c: Awaited<ReturnType<typeof buildCase>>;

before(async () => {
  const db = await openEmbedded(null);
  await migrate(db.db);
  t = await startTestApp(db);
  for (const [email, role] of [['m@pages.example', 'manager'], ['a@pages.example', 'admin'], ['h@pages.example', 'handler']] as const) {
    await t.app.services.users.create(SYSTEM_ACTOR, { email, name: `Page ${role}`, role, password: PASSWORD });
  }
  manager = await signIn(t.app, 'm@pages.example', PASSWORD);
  admin = await signIn(t.app, 'a@pages.example', PASSWORD);
  handler = await signIn(t.app, 'h@pages.example', PASSWORD);
  c = await buildCase(t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'pages' });
});
after(async () => {
  await t?.close();
});

test('a manager downloads a subject access export by resident reference; a wrong reference is an error on the form', async () => {
  const page = await getPage(t.app, '/data-protection', manager);
  assert.equal(page.statusCode, 200);
  const csrf = csrfFrom(page.body);
  const bad = await postForm(t.app, '/data-protection/subject-access', manager, { _csrf: csrf, residentReference: 'NOPE' });
  assert.equal(bad.statusCode, 400);
  assert.match(textOf(bad.body), /There is no resident with that reference/);
  const resident = await t.app.db.selectFrom('residents').select('reference').where('id', '=', c.residentId).executeTakeFirstOrThrow();
  const ok = await postForm(t.app, '/data-protection/subject-access', manager, { _csrf: csrf, residentReference: resident.reference, receivedOn: '2025-06-01' });
  assert.equal(ok.statusCode, 200);
  assert.equal(ok.headers['content-type'], 'application/zip');
  assert.ok(Object.keys(unzipSync(new Uint8Array(ok.rawPayload))).includes('index.html'));
  const listed = await getPage(t.app, '/data-protection', manager);
  assert.match(textOf(listed.body), new RegExp(`${resident.reference}.*Page manager`));
  assert.equal((await getPage(t.app, '/data-protection', handler)).statusCode, 403);
});

test('opening the case page records the restricted notes a manager read, and the resident page records the opening; a handler reading the case records nothing', async () => {
  const count = async (action: string) => (await t.app.db.selectFrom('access_audit').select('id').where('action', '=', action).execute()).length;
  const [notesBefore, residentBefore] = [await count('restricted_note_opened'), await count('resident_record_opened')];
  assert.equal((await getPage(t.app, `/complaints/${c.id}`, handler)).statusCode, 200);
  assert.equal(await count('restricted_note_opened'), notesBefore, 'the handler cannot read the restricted note');
  const page = await getPage(t.app, `/complaints/${c.id}`, manager);
  assert.equal(page.statusCode, 200);
  assert.match(textOf(page.body), /safeguarding concern/);
  assert.equal(await count('restricted_note_opened'), notesBefore + 1);
  assert.equal((await getPage(t.app, `/residents/${c.residentId}`, handler)).statusCode, 200);
  assert.equal(await count('resident_record_opened'), residentBefore + 1);
});

test('an administrator sees the dry-run report, runs retention, and reviews the access audit with filters', async () => {
  assert.equal((await getPage(t.app, '/data-protection/retention', manager)).statusCode, 403);
  assert.equal((await getPage(t.app, '/data-protection/access-audit', manager)).statusCode, 403);
  t.clock.set('2031-06-01T09:00:00Z');
  const report = await getPage(t.app, '/data-protection/retention', admin);
  assert.equal(report.statusCode, 200);
  assert.match(textOf(report.body), new RegExp(`${c.reference}`));
  const run = await postForm(t.app, '/data-protection/retention/run', admin, { _csrf: csrfFrom(report.body), dryRun: 'no' });
  assert.equal(run.statusCode, 303);
  const after = await getPage(t.app, '/data-protection/retention', admin);
  assert.match(textOf(after.body), /Nothing is past retention/);
  assert.equal((await t.app.db.selectFrom('complaints').select('description').where('id', '=', c.id).executeTakeFirstOrThrow()).description, '[anonymised]');
  const anonymisedCase = await getPage(t.app, `/complaints/${c.id}`, manager);
  assert.equal(anonymisedCase.statusCode, 200, 'an anonymised case still opens');
  assert.match(textOf(anonymisedCase.body), /\[anonymised\]/);
  assert.doesNotMatch(textOf(anonymisedCase.body), /Philippa|Quennell|safeguarding/);
  const audit = await getPage(t.app, '/data-protection/access-audit?action=subject_access_export', admin);
  assert.equal(audit.statusCode, 200);
  assert.match(textOf(audit.body), /Produced a subject access export/);
  const badFilter = await getPage(t.app, '/data-protection/access-audit?from=yesterday', admin);
  assert.equal(badFilter.statusCode, 400);
  assert.match(textOf(badFilter.body), /Enter the first date as YYYY-MM-DD/);
});

test('a manager holds a case by reference, with a reason', async () => {
  const page = await getPage(t.app, '/data-protection/holds', manager);
  const csrf = csrfFrom(page.body);
  const noReason = await postForm(t.app, '/data-protection/holds', manager, { _csrf: csrf, reference: 'CMP-999999', reason: '' });
  assert.equal(noReason.statusCode, 400);
  const other = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', anonymous: true, description: 'Disputed repair' } })).body;
  const ok = await postForm(t.app, '/data-protection/holds', manager, { _csrf: csrf, reference: other.reference.toLowerCase(), reason: 'Ombudsman investigation open' });
  assert.equal(ok.statusCode, 303);
  assert.match(textOf((await getPage(t.app, '/data-protection/holds', manager)).body), /Ombudsman investigation open/);
});
