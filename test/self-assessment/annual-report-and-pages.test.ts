/**
 * The annual report (Code 8.1, 8.2) on the fixture: its figures, Word and PDF, publication by a
 * manager with the governing body's response, the public page; exceptional circumstances notices
 * (8.5); and the self-assessment pages through plain form posts (no JavaScript).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { docxText, pdfText } from '../helpers/documents.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from '../web/session.js';
import { buildFixture, FIXTURE_PERIOD } from './fixture.js';

forEachBackend('annual report, exceptional circumstances and the pages', (backend) => {
  let t: TestApp;
  let report: any;
  let manager: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-03-27T10:00:00Z');
    await buildFixture(t);
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    manager = await signIn(t.app, 'kim@test.example', 'a long enough password');
    const sa = await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'annual' } });
    assert.equal(sa.status, 201);
    const r = await t.call('POST', '/api/v1/annual-reports', { body: { startYear: 2025 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    report = r.body;
    assert.equal(report.selfAssessmentId, sa.body.id, 'the self-assessment ending in the year is linked');
  });
  after(async () => {
    await t?.close();
  });

  const section = (m: any, id: string) => m.sections.find((s: any) => s.id === id);

  test('the report has every part of Code 8.1 (a) to (f) and 8.2, with the fixture’s figures', async () => {
    const m = (await t.call('GET', `/api/v1/annual-reports/${report.id}/content`, { as: t.users.governance })).body;
    assert.deepEqual(m.sections.map((s: any) => s.code), ['8.1', '8.1(a)', '8.1(b)', '8.1(c)', '8.1(d)', '8.1(e), (f)', '8.2']);
    const perf = section(m, 'performance');
    const volumes = perf.blocks.find((b: any) => b.caption === 'Volumes and timeliness');
    assert.deepEqual(volumes.rows[0], ['Complaints received (stage 1) or escalated (stage 2)', '4', '1']);
    assert.deepEqual(volumes.rows[1], ['Acknowledged within 5 working days', '2 of 3 (66.7%)', '1 of 1 (100.0%)']);
    assert.deepEqual(volumes.rows[4], ['Responded on time, counting Code-compliant extensions', '3 of 3 (100.0%)', '1 of 1 (100.0%)']);
    const outcomes = perf.blocks.find((b: any) => b.caption === 'Outcomes of the responses issued in the year');
    assert.deepEqual(outcomes.rows, [['Upheld', '0', '1'], ['Partly upheld', '0', '0'], ['Not upheld', '3', '0']]);
    const refused = perf.blocks.find((b: any) => b.caption === 'Complaints we refused, by reason');
    assert.deepEqual(refused.rows, [['Legal proceedings have started (claim form and particulars of claim filed at court)', '1', '0']]);
    assert.match(JSON.stringify(section(m, 'self-assessment')), /We assessed ourselves against all 72 provisions/);
  });

  test('the regulator’s measures, Ombudsman findings and service improvements come from their registers', async () => {
    const ok = (r: { status: number; body: any }, what: string) => {
      assert.ok(r.status < 300, `${what}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    ok(await t.call('PUT', '/api/v1/reports/homes/2025', { body: { LCRA: 1500, LCHO: 500 } }), 'home counts');
    const li = ok(await t.call('POST', '/api/v1/learning-items', { body: { whatWentWrong: 'Acknowledgements slipped when a handler was away', serviceArea: 'Customer service', rootCause: 'communication' } }), 'learning item');
    ok(await t.call('PATCH', `/api/v1/learning-items/${li.id}`, { body: { version: li.version, areaResponse: 'We agree: cover was not arranged.', improvement: 'A shared inbox with a daily check', improvedOn: '2025-06-20', status: 'improvement_made' } }), 'improvement');
    const complaints = (await t.call('GET', '/api/v1/complaints?limit=1')).body.items;
    const oc = ok(await t.call('POST', '/api/v1/ombudsman-cases', { body: { complaintId: complaints[0].id, reference: '202512345', openedOn: '2025-06-02' } }), 'Ombudsman case');
    ok(
      await t.call('POST', `/api/v1/ombudsman-cases/${oc.id}/determination`, {
        body: {
          version: oc.version,
          determinedOn: '2025-06-25',
          findings: [
            { issue: 'The landlord’s handling of the repair', issueKind: 'repairs', finding: 'no_maladministration' },
            { issue: 'The landlord’s complaint handling', issueKind: 'complaint_handling', finding: 'maladministration' },
          ],
          orders: [{ kind: 'order', description: 'Pay £100 for the delay in complaint handling', dueOn: '2025-07-23', amountPence: 10_000 }],
        },
      }),
      'determination',
    );
    const m = (await t.call('GET', `/api/v1/annual-reports/${report.id}/content`)).body;
    const measures = section(m, 'performance').blocks.find((b: any) => b.caption === 'Tenant satisfaction measures (Regulator of Social Housing)');
    // 4 stage 1 complaints received in 2025/26 for 2,000 homes: 2.00 per 1,000; stage 1 CH02: 2 of 3 on time (66.7%), 3 of 3 counting extensions.
    assert.deepEqual(measures.rows[0], ['CH01 stage 1 complaints per 1,000 homes', '2.00 (4 complaints, 2,000 homes)']);
    assert.deepEqual(measures.rows[1], ['CH02 stage 1 responses within the Code’s timescale', '66.7% against the original date; 100.0% counting Code-compliant extensions (3 responses)']);
    const omb = section(m, 'ombudsman-findings').blocks[0];
    assert.deepEqual(omb.rows, [['202512345', 'Maladministration: The landlord’s complaint handling', 'Pay £100 for the delay in complaint handling']]);
    const imp = section(m, 'service-improvements').blocks[0];
    assert.deepEqual(imp.rows, [['Customer service: Acknowledgements slipped when a handler was away', 'Improvement made', 'A shared inbox with a daily check']]);
    const sa = (await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'ombudsman_request', ombudsmanCaseRef: '202512345' } })).body;
    const ev = (p: string) => sa.rows.find((r: any) => r.provisionId === p).generatedEvidence.join(' ');
    // A's upheld stage 2 response prompted a learning item of its own (the learning register does that).
    assert.match(ev('9.1'), /2 learning items raised, 1 done\./);
    assert.match(ev('9.7'), /1 Ombudsman determination, 1 with findings of non-compliance/);
  });

  test('Word and PDF carry the same words and figures', async () => {
    const docx = await t.app.inject({ method: 'GET', url: `/api/v1/annual-reports/${report.id}/docx`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(docx.statusCode, 200);
    const text = docxText(docx.rawPayload).text;
    assert.match(text, /How we performed, and the complaints we refused/);
    assert.match(text, /2 of 3 \(66\.7%\)/);
    const pdf = await t.app.inject({ method: 'GET', url: `/api/v1/annual-reports/${report.id}/pdf`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const p = await pdfText(pdf.rawPayload);
    assert.match(p.text, /Our governing body’s response/);
    assert.match(p.text.replace(/\s+/g, ' '), /2 of 3 \(66\.7%\)/);
  });

  test('publishing needs the governing body’s response and a manager; the public page shows the report as published', async () => {
    let r = await t.call('POST', `/api/v1/annual-reports/${report.id}/publish`, { body: { version: report.version } });
    assert.equal(r.status, 422);
    assert.equal(r.body.field, 'governingBodyResponse');
    r = await t.call('PATCH', `/api/v1/annual-reports/${report.id}`, { body: { version: report.version, governingBodyResponseOn: '2025-06-25', text: { governingBodyResponse: 'The board welcomes the report and asks for monthly updates on acknowledgements.' } }, as: t.users.governance });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await t.call('POST', `/api/v1/annual-reports/${report.id}/publish`, { body: { version: r.body.version }, as: t.users.governance })).status, 403, 'publishing is for a manager');
    const pdf = Buffer.from('%PDF-1.4\n% the Ombudsman annual report\n');
    const f = await t.call('POST', `/api/v1/annual-reports/${report.id}/files`, { body: { kind: 'ombudsman_annual_report', filename: 'hos-annual-report.pdf', contentBase64: pdf.toString('base64'), description: 'Landlord performance report 2025' } });
    assert.equal(f.status, 201, JSON.stringify(f.body));
    const current = (await t.call('GET', `/api/v1/annual-reports/${report.id}`)).body;
    const pub = await t.call('POST', `/api/v1/annual-reports/${report.id}/publish`, { body: { version: current.version } });
    assert.equal(pub.status, 200, JSON.stringify(pub.body));
    assert.equal(pub.body.publicPath, '/annual-report/2025');
    const page = await t.app.inject({ method: 'GET', url: '/annual-report/2025' });
    assert.equal(page.statusCode, 200);
    const text = textOf(page.body);
    assert.match(text, /The board welcomes the report/);
    assert.match(text, /Our governing body considered this report on Wednesday 25 June 2025/);
    const link = /href="(\/annual-report\/2025\/files\/[0-9a-f-]+)"/.exec(page.body)![1];
    const file = await t.app.inject({ method: 'GET', url: link });
    assert.equal(file.statusCode, 200);
    assert.deepEqual(file.rawPayload, pdf);
    assert.equal((await t.app.inject({ method: 'GET', url: '/annual-report/2024' })).statusCode, 404);
    assert.match(textOf((await t.app.inject({ method: 'GET', url: '/annual-report' })).body), /Annual complaints performance and service improvement report 2025 to 2026/);
  });

  describe('exceptional circumstances', () => {
    test('a notice is recorded by a manager and shown on the public page until it ends', async () => {
      const n = await t.call('POST', '/api/v1/exceptional-notices', {
        body: { title: 'Cyber incident', circumstances: 'Our systems were attacked on 20 June.', effect: 'Responses may be late; you can still complain by phone.', provisions: ['6.2', '6.3'], startsOn: '2025-06-20', expectedReturnOn: '2025-07-31', ombudsmanToldOn: '2025-06-21' },
      });
      assert.equal(n.status, 201, JSON.stringify(n.body));
      assert.equal((await t.call('POST', '/api/v1/exceptional-notices', { body: { ...n.body, id: undefined }, as: t.users.handler })).status, 403);
      let page = textOf((await t.app.inject({ method: 'GET', url: '/exceptional-circumstances' })).body);
      assert.match(page, /Cyber incident In force since Friday 20 June 2025\. We expect to meet the Complaint Handling Code again by Thursday 31 July 2025/);
      assert.match(page, /We told the Housing Ombudsman on Saturday 21 June 2025/);
      const bad = await t.call('PATCH', `/api/v1/exceptional-notices/${n.body.id}`, { body: { version: n.body.version, expectedReturnOn: '2025-06-01' } });
      assert.equal(bad.status, 422);
      const ended = await t.call('PATCH', `/api/v1/exceptional-notices/${n.body.id}`, { body: { version: n.body.version, endedOn: '2025-06-30' } });
      assert.equal(ended.status, 200);
      page = textOf((await t.app.inject({ method: 'GET', url: '/exceptional-circumstances' })).body);
      assert.match(page, /Ended Normal service resumed on Monday 30 June 2025/);
    });
  });

  describe('pages', () => {
    test('start a self-assessment, answer a section, import a pasted table: all by form posts', async () => {
      let list = await getPage(t.app, '/self-assessments', manager);
      assert.equal(list.statusCode, 200, list.body);
      const forms = list.body.match(/<form[^>]*method="post"/g)!.length;
      assert.equal(list.body.match(/name="_csrf"/g)!.length, forms, 'every form carries the CSRF token');
      let r = await postForm(t.app, '/self-assessments', manager, { _csrf: csrfFrom(list.body), 'periodFrom-day': '1', 'periodFrom-month': '4', 'periodFrom-year': '2025', 'periodTo-day': '31', 'periodTo-month': '13', 'periodTo-year': '2026', reason: 'merger', startFrom: 'blank' });
      assert.equal(r.statusCode, 400);
      assert.match(textOf(r.body), /There is a problem The end of the period must be a real date/);
      r = await postForm(t.app, '/self-assessments', manager, { _csrf: csrfFrom(list.body), 'periodFrom-day': '1', 'periodFrom-month': '4', 'periodFrom-year': '2025', 'periodTo-day': '31', 'periodTo-month': '3', 'periodTo-year': '2026', reason: 'merger', startFrom: 'blank' });
      assert.equal(r.statusCode, 303);
      const at = r.headers.location as string;
      const id = /\/self-assessments\/([0-9a-f-]+)/.exec(at)![1];
      const overview = await getPage(t.app, at, manager);
      assert.equal(overview.statusCode, 200);
      assert.match(textOf(overview.body), /The record suggests 2 provisions are not met: 6\.1, 6\.2/);
      const sec = await getPage(t.app, `/self-assessments/${id}/sections/6`, manager);
      assert.equal(sec.statusCode, 200);
      assert.match(textOf(sec.body), /2 of 3 \(66\.7%\) stage 1 complaints acknowledged within 5 working days/);
      const version = /name="version" id="version" value="(\d+)"/.exec(sec.body)![1];
      r = await postForm(t.app, `/self-assessments/${id}/sections/6`, manager, { _csrf: csrfFrom(sec.body), version, '6.2-comply': 'no', '6.2-commentary': 'Three acknowledgements were late in May.', '6.2-action-0-text': 'Daily check of acknowledgements due', '6.2-action-0-due-day': '30', '6.2-action-0-due-month': '9', '6.2-action-0-due-year': '2025' });
      assert.equal(r.statusCode, 303, r.body);
      const a = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
      const row = a.rows.find((x: any) => x.provisionId === '6.2');
      assert.equal(row.comply, 'no');
      assert.deepEqual(row.actions, [{ text: 'Daily check of acknowledgements due', dueOn: '2025-09-30' }]);
      // A pasted table (multipart form, as the page sends it).
      const imp = await getPage(t.app, `/self-assessments/${id}/import`, manager);
      const boundary = 'xBOUNDARYx';
      const part = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
      const payload = part('_csrf', csrfFrom(imp.body)) + part('version', String(a.version)) + part('text', '1.2\tDefinition\tYes\tOur policy, section 2\tWe use the Code’s words.\nNot a row\tat all') + `--${boundary}--\r\n`;
      const res = await t.app.inject({ method: 'POST', url: `/self-assessments/${id}/import`, headers: { cookie: manager, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
      assert.equal(res.statusCode, 200, res.body);
      const text = textOf(res.body);
      assert.match(text, /1 of 72 provisions placed from the pasted table; 1 changed/);
      assert.match(text, /Rows that could not be placed Line Text Why 2 Not a row \| at all/);
      // Without the form's token the upload is refused.
      const forged = part('version', String(a.version + 1)) + part('text', '1.2\tX\tNo\tx\tx') + `--${boundary}--\r\n`;
      const refused = await t.app.inject({ method: 'POST', url: `/self-assessments/${id}/import`, headers: { cookie: manager, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: forged });
      assert.equal(refused.statusCode, 403);
      const after = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
      assert.equal(after.rows[0].evidence, 'Our policy, section 2');
      const hist = textOf((await getPage(t.app, `/self-assessments/${id}/history`, manager)).body);
      assert.match(hist, /Kim Manager 1\.2 \(imported\)/);
      list = await getPage(t.app, '/annual-reports', manager);
      assert.equal(list.statusCode, 200);
      const rp = await getPage(t.app, `/annual-reports/${report.id}`, manager);
      assert.equal(rp.statusCode, 200, rp.body);
      assert.match(textOf(rp.body), /Volumes and timeliness/);
      assert.equal((await getPage(t.app, '/exceptional-notices', manager)).statusCode, 200);
    });
  });
});
