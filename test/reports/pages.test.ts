/**
 * The report pages through a signed-in browser session (no JavaScript): the measures with links
 * to the complaints behind each figure, report settings (home counts, CH02 basis, survey upload
 * with row errors), the dashboard's SVG charts beside their tables, the MRC pack as Word and PDF,
 * and the export of all complaint data (XLSX and a ZIP of CSV files) read back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { unzipSync, strFromU8 } from 'fflate';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { EXPORT_SCHEMA } from '../../src/services/data-export.js';
import { parseCsv } from '../../src/core/csv.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from '../web/session.js';

const DEFINITION = { understanding: 'The repair was not done.', outcomesSought: 'Do the repair.', points: [{ summary: 'The repair was late', landlordResponsible: true }] };

forEachBackend('report pages', (backend) => {
  let t: TestApp;
  let manager: string;
  let board: string;
  let handler: string;
  let late: any;
  let open: any;

  before(async () => {
    t = await startTestApp(await backend.open(), '2025-06-02T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'bo@test.example', name: 'Bo Board', role: 'governance', password: 'the board password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'lee@test.example', name: 'Lee Handler', role: 'handler', password: 'another long password' });
    manager = await signIn(t.app, 'kim@test.example', 'a long enough password');
    board = await signIn(t.app, 'bo@test.example', 'the board password');
    handler = await signIn(t.app, 'lee@test.example', 'another long password');
    const make = async (tenure: string, note: string) => {
      t.clock.set('2025-06-02T09:00:00Z');
      const c = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'email', description: note, serviceArea: 'Repairs', category: 'Delay', resident: { givenName: 'Ann', familyName: note, tenure } } })).body;
      let x = (await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } })).body;
      t.clock.set('2025-06-03T09:00:00Z');
      x = (await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { body: { version: x.version, definition: DEFINITION } })).body;
      return x;
    };
    late = await make('LCRA', 'Late one');
    open = await make('LCHO', 'Open one');
    t.clock.set('2025-06-19T09:00:00Z'); // due 17 June: late
    late = (await t.call('POST', `/api/v1/complaints/${late.id}/respond`, { body: { version: late.version, points: [{ pointId: 'P1', decision: 'upheld', reasons: 'We were slow.' }], outcome: 'upheld', remedies: [{ type: 'apology', description: 'We apologise.' }], outstandingActions: [], nextSteps: 'Ask us to escalate.' } })).body;
    t.clock.set('2025-07-01T09:00:00Z');
  });
  after(async () => {
    await t?.close();
  });

  test('handlers and other staff have no reports; the menu shows them to managers and the board', async () => {
    assert.equal((await getPage(t.app, '/reports', handler)).statusCode, 403);
    assert.equal((await getPage(t.app, '/reports/dashboard', handler)).statusCode, 403);
    const idx = await getPage(t.app, '/reports', board);
    assert.equal(idx.statusCode, 200);
    assert.match(idx.body, /href="\/reports"/);
    assert.doesNotMatch(idx.body, /href="\/reports\/settings"/, 'governance reads, but does not change, report settings');
    assert.equal((await getPage(t.app, '/reports/settings', board)).statusCode, 403);
    assert.equal((await getPage(t.app, '/reports/export', board)).statusCode, 403);
  });

  describe('settings', () => {
    test('home counts: a bad number is refused by field; a good one is saved', async () => {
      const p = await getPage(t.app, '/reports/settings', manager);
      assert.equal(p.statusCode, 200);
      const bad = await postForm(t.app, '/reports/settings/homes', manager, { _csrf: csrfFrom(p.body), year: '25', LCRA: 'lots', LCHO: '400' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /href="#year"/);
      assert.match(bad.body, /href="#LCRA"/);
      const ok = await postForm(t.app, '/reports/settings/homes', manager, { _csrf: csrfFrom(p.body), year: '2025', LCRA: '1,000', LCHO: '400' });
      assert.equal(ok.statusCode, 303);
      assert.match(textOf((await getPage(t.app, '/reports/settings', manager)).body), /2025\/26 1000 400/);
    });

    test('the CH02 figure submitted is a choice', async () => {
      const p = await getPage(t.app, '/reports/settings', manager);
      const r = await postForm(t.app, '/reports/settings', manager, { _csrf: csrfFrom(p.body), ch02Basis: 'original', unknownTenure: 'LCRA' });
      assert.equal(r.statusCode, 303);
      assert.equal((await t.app.services.reports.reportSettings()).ch02Basis, 'original');
      const bad = await postForm(t.app, '/reports/settings', manager, { _csrf: csrfFrom(p.body), ch02Basis: 'whatever', unknownTenure: 'LCRA' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.body, /Choose which CH02 figure you submit/);
    });

    test('a survey file is uploaded; a bad one lists its rows’ problems and imports nothing', async () => {
      const p = await getPage(t.app, '/reports/settings', manager);
      const upload = (csv: string) => {
        const boundary = '----putrightboundary';
        const body = [
          `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfFrom(p.body)}\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="survey"; filename="star.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n`,
          `--${boundary}--\r\n`,
        ].join('');
        return t.app.inject({ method: 'POST', url: '/reports/settings/surveys', headers: { cookie: manager, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
      };
      const header = 'respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction';
      const bad = await upload(`${header}\nS1,2025-13-01,LCRA,yes,very_satisfied\n`);
      assert.equal(bad.statusCode, 400);
      assert.match(textOf(bad.body), /Row 2, surveyed_on: "2025-13-01" is not a real date/);
      assert.equal((await t.app.services.reports.surveyImports()).length, 0);
      const good = await upload(`${header}\nS1,2025-06-10,LCRA,yes,very_satisfied\nS2,2025-06-11,LCRA,yes,very_dissatisfied\n`);
      assert.equal(good.statusCode, 303);
      assert.equal((await t.app.services.reports.surveyImports())[0].rows, 2);
    });
  });

  test('the measures page links each figure to the complaints behind it, and those link to the case', async () => {
    const p = await getPage(t.app, '/reports/tsm?year=2025', board);
    assert.equal(p.statusCode, 200);
    const text = textOf(p.body);
    assert.match(text, /Measure logic tsm-2024\.1/);
    assert.match(text, /TP09/);
    assert.match(text, /50\.0%/, 'TP09: 1 of 2 satisfied');
    const href = /href="(\/reports\/tsm\/complaints\?year=2025&amp;measure=ch02&amp;stage=1&amp;tenure=LCRA&amp;line=lateOriginal)"/.exec(p.body);
    assert.ok(href, 'the late LCRA figure is a link');
    const d = await getPage(t.app, href[1].replace(/&amp;/g, '&'), board);
    assert.equal(d.statusCode, 200);
    assert.match(d.body, new RegExp(`href="/complaints/${late.id}"`));
    assert.doesNotMatch(d.body, new RegExp(open.id));
    const csv = await getPage(t.app, href[1].replace(/&amp;/g, '&').replace('/complaints?', '/complaints.csv?'), board);
    assert.equal(csv.statusCode, 200);
    assert.equal(parseCsv(csv.body)[1][0], late.reference);
    const bad = await getPage(t.app, '/reports/tsm/complaints?year=2025&measure=ch09', board);
    assert.equal(bad.statusCode, 400);
    for (const y of ['abc', '1999', '2025&year=2026']) assert.equal((await getPage(t.app, `/reports/tsm?year=${y}`, board)).statusCode, 400, y);
    // Open past its date at the end of the current year so far (1 July): the LCHO one, due 17 June.
    assert.match(p.body, /tenure=LCHO&amp;line=openPastOriginal">1</);
  });

  test('the dashboard draws each chart as an accessible SVG beside its data table, without JavaScript', async () => {
    const p = await getPage(t.app, '/reports/dashboard?from=2025-04-01&to=2025-06-30', board);
    assert.equal(p.statusCode, 200);
    const svgs = p.body.match(/<svg [^>]*role="img"[^>]*>/g) ?? [];
    assert.ok(svgs.length >= 6, `${svgs.length} charts`);
    for (const s of svgs) {
      const ids = /aria-labelledby="([^"]+) ([^"]+)"/.exec(s);
      assert.ok(ids, 'labelled by its title and description');
      assert.match(p.body, new RegExp(`<title id="${ids[1]}">`));
      assert.match(p.body, new RegExp(`<desc id="${ids[2]}">`));
    }
    assert.match(p.body, /<desc id="chart-areas-desc">Repairs: 2<\/desc>/);
    assert.match(p.body, /Stage 1 complaints by service area<\/caption>/);
    assert.doesNotMatch(p.body, /<svg[^>]* style=/, 'no inline styles (the CSP forbids them)');
    assert.match(p.body, /Learning themes/);
    const bad = await getPage(t.app, '/reports/dashboard?from=2025-06-31&to=2025-01-01', board);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /href="#from"/);
    assert.equal((await getPage(t.app, '/reports/dashboard?from=2025-04-01&from=2025-05-01', board)).statusCode, 400);
  });

  test('the MRC pack downloads as Word and PDF for the period', async () => {
    const docx = await getPage(t.app, '/reports/mrc-pack.docx?from=2025-04-01&to=2025-06-30', board);
    assert.equal(docx.statusCode, 200);
    assert.equal(docx.rawPayload.subarray(0, 2).toString(), 'PK');
    const doc = strFromU8(unzipSync(new Uint8Array(docx.rawPayload))['word/document.xml']);
    for (const heading of ['Volumes and trends', 'Categories', 'Outcomes', 'Performance', 'Ombudsman investigations and orders', 'Issues, trends and learning', 'Annual report', 'Putting things right', 'Refusals']) {
      assert.ok(doc.includes(heading), `the pack has ${heading}`);
    }
    const pdf = await getPage(t.app, '/reports/mrc-pack.pdf?from=2025-04-01&to=2025-06-30', board);
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
  });

  test('all complaint data exports as XLSX and as CSV files whose columns follow the documented schema', async () => {
    const p = await getPage(t.app, '/reports/export', manager);
    assert.equal(p.statusCode, 200);
    const x = await getPage(t.app, '/reports/export/complaint-data.xlsx', manager);
    assert.equal(x.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as any);
    assert.deepEqual(wb.worksheets.map((w) => w.name), EXPORT_SCHEMA.map((s) => s.name));
    const ws = wb.getWorksheet('complaints')!;
    assert.equal(ws.rowCount, 3);
    assert.deepEqual((ws.getRow(1).values as unknown[]).slice(1), EXPORT_SCHEMA[0].columns.map((c) => c.key));
    const z = await getPage(t.app, '/reports/export/complaint-data.zip', manager);
    assert.equal(z.statusCode, 200);
    const files = unzipSync(new Uint8Array(z.rawPayload));
    assert.ok(files['README.txt']);
    const history = parseCsv(strFromU8(files['history.csv']));
    assert.ok(history.length > 6, 'the history is all there');
    const stages = parseCsv(strFromU8(files['stages.csv']));
    const lateRow = stages.find((r) => r[1] === late.reference)!;
    assert.deepEqual(lateRow.slice(2, 10), ['1', '2025-06-02', '2025-06-09', '2025-06-03', '2025-06-17', '2025-06-17', '2025-06-17', '2025-06-19']);
    const api = await t.call('GET', '/api/v1/exports/complaint-data.zip', { as: t.users.governance });
    assert.equal(api.status, 403);
  });
});
