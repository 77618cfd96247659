/**
 * The self-assessment through the API on the hand-built fixture: the evidence sentences carry the
 * figures worked out by hand; the Word and spreadsheet exports hold 72 rows in 9 sections with
 * them; a real self-assessment (seed 000, tab-separated) imports whole; a new assessment starts
 * from the last one's answers; every change is in the history.
 */
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { docxText, unzipEntry } from '../helpers/documents.js';
import { cleanCell, parseTabSeparated } from '../../src/core/self-assessment.js';
import { buildFixture, FIXTURE_PERIOD } from './fixture.js';

const SEED = fs.readFileSync(new URL('../fixtures/self-assessment-000.txt', import.meta.url), 'utf8');

/** The seed's rows, read independently of the importer: provision → [comply, evidence, commentary]. */
function seedRows(): Map<string, [string, string, string]> {
  const out = new Map<string, [string, string, string]>();
  for (const cells of parseTabSeparated(SEED)) if (/^\d\.\d+$/.test(cells[0]?.trim() ?? '')) out.set(cells[0].trim(), [cells[2].trim().toLowerCase(), cleanCell(cells[3]), cleanCell(cells[4])]);
  return out;
}

const XML: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** A table cell's text: its paragraphs joined by line breaks. */
function cellText(tc: string): string {
  return (tc.match(/<w:p[ >][\s\S]*?<\/w:p>/g) ?? [])
    .map((p) => (p.match(/<w:t(?:\s[^>]*)?>[\s\S]*?<\/w:t>/g) ?? []).map((r) => r.replace(/^<w:t[^>]*>/, '').replace(/<\/w:t>$/, '').replace(/&(amp|lt|gt|quot|apos);/g, (_, e) => XML[e])).join(''))
    .join('\n');
}

/** The rows of every table in a .docx, as cell texts. */
function docxTables(buf: Buffer): string[][][] {
  const xml = unzipEntry(buf, 'word/document.xml').toString('utf8');
  return (xml.match(/<w:tbl>[\s\S]*?<\/w:tbl>/g) ?? []).map((tbl) =>
    (tbl.match(/<w:tr[ >][\s\S]*?<\/w:tr>/g) ?? []).map((tr) => (tr.match(/<w:tc>[\s\S]*?<\/w:tc>/g) ?? []).map(cellText)),
  );
}

forEachBackend('self-assessment against the Code', (backend) => {
  let t: TestApp;
  let id: string;
  let body: any;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-03-27T10:00:00Z');
    await buildFixture(t);
    const r = await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'annual' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    body = r.body;
    id = body.id;
  });
  after(async () => {
    await t?.close();
  });

  const row = (a: any, p: string) => a.rows.find((r: any) => r.provisionId === p);
  const ev = (a: any, p: string) => row(a, p).generatedEvidence.join(' ');

  test('all 72 provisions in 9 sections, with the Code’s wording', () => {
    assert.equal(body.rows.length, 72);
    assert.equal(body.sections.length, 9);
    assert.deepEqual(body.sections.map((s: any) => s.rows.length), [5, 5, 7, 3, 15, 20, 4, 5, 8]);
    assert.equal(body.rows[0].provisionId, '1.2');
    assert.equal(body.rows[71].provisionId, '9.8');
    assert.match(row(body, '6.2').requirement, /^Complaints must be acknowledged, defined and logged at stage 1/);
  });

  test('the evidence carries the fixture’s figures, worked out by hand', () => {
    assert.equal(body.evidenceAsAt, FIXTURE_PERIOD.asAt);
    assert.match(ev(body, '1.2'), /^4 complaints logged between 2025-04-01 and 2026-03-31 \(phone 2, email 1, letter 1\)\./);
    assert.match(ev(body, '6.2'), /2 of 3 \(66\.7%\) stage 1 complaints acknowledged within 5 working days\./);
    assert.match(ev(body, '6.3'), /2 of 3 \(66\.7%\) stage 1 responses issued within 10 working days of acknowledgement; 3 of 3 \(100\.0%\) within the date in force after Code-compliant extensions\./);
    assert.match(ev(body, '6.3'), /1 stage 1 complaint open past the response date at 2025-06-30\./);
    assert.match(ev(body, '6.4'), /1 extension at stage 1, each with its reason; 1 of 1 \(100\.0%\) within the 10 working day limit, 0 beyond it/);
    assert.match(ev(body, '6.5'), /1 of 1 \(100\.0%\) stage 1 extension notices sent before the date in force/);
    assert.match(ev(body, '5.9'), /1 of 1 \(100\.0%\) extended complaints had an agreed update interval/);
    assert.match(ev(body, '6.10'), /1 of 3 \(33\.3%\) stage 1 responses between 2025-04-01 and 2026-03-31 were escalated to stage 2\./);
    assert.match(ev(body, '6.11'), /1 of 1 \(100\.0%\) stage 2 complaints acknowledged within 5 working days\./);
    assert.match(ev(body, '6.13'), /1 of 1 \(100\.0%\) stage 2 complaints handled by someone other than the stage 1 handler\./);
    assert.match(ev(body, '6.14'), /1 of 1 \(100\.0%\) stage 2 responses issued within 20 working days/);
    assert.match(ev(body, '2.1'), /1 complaint not accepted and 0 escalations refused .*Legal proceedings have started \(claim form and particulars of claim filed at court\): 1\)/);
    assert.match(ev(body, '6.20'), /1 stage 2 responses recorded 1 contributors/);
  });

  test('it flags where the record suggests non-compliance, and only there', () => {
    assert.match(row(body, '6.2').flag, /1 stage 1 complaints were acknowledged late \(66\.7% on time\)/);
    assert.equal(row(body, '6.3').flag, null, 'every response met the date in force after compliant extensions');
    assert.equal(row(body, '6.11').flag, null);
    assert.equal(row(body, '6.13').flag, null);
    assert.match(row(body, '6.1').flag, /4 complaints with no triage recorded/, 'no complaint in the fixture was triaged');
    assert.deepEqual(body.flagged, ['6.1', '6.2']);
  });

  test('the Word export is the Ombudsman’s form: a table per section, 72 rows, the evidence with the figures', async () => {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/self-assessments/${id}/docx`, headers: { authorization: `Bearer ${t.users.governance.token}` } });
    assert.equal(r.statusCode, 200);
    const tables = docxTables(r.rawPayload);
    assert.equal(tables.length, 9);
    for (const tb of tables) assert.deepEqual(tb[0], ['Code provision', 'Code requirement', 'Comply: Yes / No', 'Evidence', 'Commentary / explanation']);
    const rows = tables.flatMap((tb) => tb.slice(1));
    assert.equal(rows.length, 72);
    const r62 = rows.find((x) => x[0] === '6.2')!;
    assert.match(r62[3], /2 of 3 \(66\.7%\) stage 1 complaints acknowledged within 5 working days/);
    assert.match(r62[4], /The record suggests this may not be met/);
    const text = docxText(r.rawPayload).text;
    for (let s = 1; s <= 9; s++) assert.match(text, new RegExp(`Section ${s}: `));
  });

  test('the spreadsheet export has 72 rows in 9 sections with the figures', async () => {
    const r = await t.app.inject({ method: 'GET', url: `/api/v1/self-assessments/${id}/xlsx`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(r.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(r.rawPayload as any);
    const ws = wb.getWorksheet('Self-assessment')!;
    const rows: string[][] = [];
    ws.eachRow((rw, n) => {
      if (n > 1) rows.push((rw.values as any[]).slice(1).map((v) => String(v ?? '')));
    });
    assert.equal(rows.length, 72);
    assert.equal(new Set(rows.map((x) => x[0])).size, 9);
    assert.match(rows.find((x) => x[1] === '6.3')![4], /2 of 3 \(66\.7%\) stage 1 responses issued within 10 working days/);
  });

  describe('import', () => {
    let imported: any;
    test('a real self-assessment pasted as tab-separated text imports whole: 72 provisions with comply, evidence and commentary intact', async () => {
      const r = await t.call('POST', `/api/v1/self-assessments/${id}/import`, { body: { version: body.version, text: SEED } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.report.rows.length, 72);
      assert.deepEqual(r.body.report.missing, []);
      assert.deepEqual(r.body.report.unplaced, []);
      imported = r.body.assessment;
      const seed = seedRows();
      assert.equal(seed.size, 72);
      for (const rw of imported.rows) {
        const [comply, evidence, commentary] = seed.get(rw.provisionId)!;
        assert.equal(rw.comply, comply, rw.provisionId);
        assert.equal(rw.evidence, evidence, rw.provisionId);
        assert.equal(rw.commentary, commentary, rw.provisionId);
      }
      assert.equal(row(imported, '1.2').evidence, 'Complaints Policy Complaints Procedure');
      assert.match(row(imported, '9.7').commentary, /./);
      // The product's own evidence is kept beside the landlord's.
      assert.match(row(imported, '6.2').generatedEvidence.join(' '), /2 of 3/);
    });

    test('rows it cannot place are reported, not dropped silently', async () => {
      const r = await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'other', startFrom: 'blank' } });
      const table = ['Code provision\tCode requirement\tComply\tEvidence\tCommentary', '1.2\tDefinition\tYes\tPolicy\tFine', '1.1\tIntro\tYes\tx\ty', 'Random note at the bottom of the page\twith two cells', '1.2\tAgain\tNo\tz\tz'].join('\n');
      const res = await t.call('POST', `/api/v1/self-assessments/${r.body.id}/import`, { body: { version: r.body.version, text: table } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.report.rows.length, 1);
      assert.equal(res.body.report.missing.length, 71);
      assert.deepEqual(res.body.report.unplaced.map((u: any) => u.line), [3, 4, 5]);
      assert.match(res.body.report.unplaced[0].reason, /1\.1 is not a provision/);
      assert.match(res.body.report.unplaced[2].reason, /second row for 1\.2/);
    });

    test('its own Word, spreadsheet and CSV exports import back to the same answers', async () => {
      await t.call('PATCH', `/api/v1/self-assessments/${id}`, { body: { version: imported.version, rows: [{ provisionId: '6.2', comply: 'no', actions: [{ text: 'Daily acknowledgement check', dueOn: '2025-09-30' }] }] } });
      const current = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
      for (const format of ['docx', 'xlsx', 'csv'] as const) {
        const fresh = (await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'other', startFrom: 'blank' } })).body;
        let data: Buffer;
        if (format === 'csv') {
          const esc = (s: string) => `"${s.replace(/"/g, '""')}"`;
          data = Buffer.from(['Code provision,Code requirement,Comply,Evidence,Commentary', ...current.rows.map((x: any) => [x.provisionId, x.requirement, x.comply ?? '', x.evidence, x.commentary].map(esc).join(','))].join('\r\n'));
        } else {
          data = (await t.app.inject({ method: 'GET', url: `/api/v1/self-assessments/${id}/${format}`, headers: { authorization: `Bearer ${t.users.manager.token}` } })).rawPayload;
        }
        const res = await t.call('POST', `/api/v1/self-assessments/${fresh.id}/import`, { body: { version: fresh.version, filename: `export.${format}`, contentBase64: data.toString('base64') } });
        assert.equal(res.status, 200, `${format}: ${JSON.stringify(res.body).slice(0, 300)}`);
        assert.equal(res.body.report.rows.length, 72, format);
        assert.deepEqual(res.body.report.unplaced, [], format);
        for (const rw of res.body.assessment.rows) {
          const was = row(current, rw.provisionId);
          assert.equal(rw.comply, was.comply, `${format} ${rw.provisionId}`);
          assert.equal(rw.evidence, was.evidence, `${format} ${rw.provisionId}`);
          assert.equal(rw.commentary, was.commentary, `${format} ${rw.provisionId}`);
        }
        if (format !== 'csv') assert.deepEqual(row(res.body.assessment, '6.2').actions, [{ text: 'Daily acknowledgement check', dueOn: '2025-09-30' }], format);
      }
    });

    test('a file that is not a self-assessment is refused with a message, and nothing changes', async () => {
      const before = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
      for (const [filename, content] of [['x.docx', 'not a zip'], ['x.xlsx', 'PK\u0003\u0004garbage'], ['x.csv', 'a,b,c\n1,2,3'], ['x.pdf', '%PDF-1.4']]) {
        const res = await t.call('POST', `/api/v1/self-assessments/${id}/import`, { body: { version: before.version, filename, contentBase64: Buffer.from(content).toString('base64') } });
        assert.ok(res.status === 400 || res.status === 422, `${filename}: ${res.status}`);
        assert.equal(typeof res.body.message, 'string');
      }
      const afterwards = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
      assert.equal(afterwards.version, before.version);
    });
  });

  test('a new self-assessment starts from the last one’s answers, and the history says who changed what', async () => {
    const last = (await t.call('GET', `/api/v1/self-assessments/${id}`)).body;
    t.clock.set('2025-07-01T09:00:00Z');
    const r = await t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: '2025-04-01', periodTo: '2025-06-30', reason: 'restructure', startFrom: id }, as: t.users.governance });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.basedOnId, id);
    for (const rw of r.body.rows) {
      const was = row(last, rw.provisionId);
      assert.equal(rw.comply, was.comply);
      assert.equal(rw.commentary, was.commentary);
    }
    const p = await t.call('PATCH', `/api/v1/self-assessments/${r.body.id}`, { body: { version: r.body.version, rows: [{ provisionId: '3.4', comply: 'no', commentary: 'The policy page is being rewritten.' }] }, as: t.users.governance });
    assert.equal(p.status, 200);
    const h = (await t.call('GET', `/api/v1/self-assessments/${r.body.id}/history`)).body.items;
    const change = h.find((x: any) => x.action === 'self_assessment_answer_changed');
    assert.equal(change.by, t.users.governance.name);
    assert.deepEqual(change.before, { provision: '3.4', comply: 'yes', commentary: row(last, '3.4').commentary });
    assert.deepEqual(change.after, { provision: '3.4', comply: 'no', commentary: 'The policy page is being rewritten.' });
    // A stale version is refused.
    const stale = await t.call('PATCH', `/api/v1/self-assessments/${r.body.id}`, { body: { version: r.body.version, rows: [{ provisionId: '3.4', comply: 'yes' }] } });
    assert.equal(stale.status, 409);
    // Handlers and other staff cannot see self-assessments.
    assert.equal((await t.call('GET', '/api/v1/self-assessments', { as: t.users.handler })).status, 403);
  });
});
