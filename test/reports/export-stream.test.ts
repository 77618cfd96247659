/**
 * The export of all complaint data, streamed: the ZIP of CSV files holds, byte for byte, what the
 * in-memory export made (export-reference.ts), read three rows at a time so that every table
 * crosses many batch boundaries, including runs of rows made at the same instant and rows a
 * microsecond apart; the XLSX workbook reads back, and is refused with a message naming the table
 * when a table is over the limit; a failure part-way cuts the download off, is logged, and the
 * server goes on; the ZIP64 records are read by other tools.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import ExcelJS from 'exceljs';
import pino from 'pino';
import { sql } from 'kysely';
import { strFromU8, unzipSync } from 'fflate';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { buildApp } from '../../src/http/app.js';
import { parseCsv } from '../../src/core/csv.js';
import { EXPORT_SCHEMA, RESTRICTED_NOTE_WITHHELD, schemaText } from '../../src/services/data-export.js';
import { ZipWriter } from '../../src/services/zip-stream.js';
import { getPage, signIn } from '../web/session.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { referenceCsvFiles } from './export-reference.js';

const DEFINITION = { understanding: 'The repair was not done.', outcomesSought: 'Do the repair.', points: [{ summary: 'The repair was late', landlordResponsible: true }] };
const BATCH = 3;
const WORKBOOK_LIMIT = 400;
const TRICKY = '=HYPERLINK("http://x") say "hello", then\r\na new line';

/** The tables whose rows carry their own id, and the order the export promises for them. */
const ORDERED: Record<string, string> = {
  residents: 'created_at, id',
  resident_needs: 'created_at, id',
  contact_restrictions: 'created_at, id',
  representatives: 'created_at, id',
  history: 'id',
  notes: 'created_at, id',
  correspondence: 'created_at, id',
  attachments: 'created_at, id',
  remedies: 'created_at, id',
  actions: 'created_at, id',
  letters: 'sent_at, id',
  service_requests: 'created_at, id',
};

forEachBackend('streamed data export', (backend) => {
  let t: TestApp;
  const complaintIds: string[] = [];
  const versions: number[] = [];

  before(async () => {
    t = await startTestApp(await backend.open(), '2025-06-02T09:00:00Z', { dataExport: { batchSize: BATCH, xlsxMaxRows: WORKBOOK_LIMIT } });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    const call = async (method: string, url: string, body: unknown) => {
      const r = await t.call(method, url, { body });
      assert.ok(r.status < 300, `${url}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    // Seven complaints received at the same instant (the clock stands still), so their order is their ids'.
    for (let i = 0; i < 7; i++) {
      const c = await call('POST', '/api/v1/complaints', { channel: 'email', description: i === 0 ? TRICKY : `Complaint ${i}`, serviceArea: 'Repairs', category: 'Delay', resident: { givenName: 'Ann', familyName: `Family ${i}`, tenure: i % 2 ? 'LCHO' : 'LCRA' } });
      complaintIds.push(c.id);
      versions.push(c.version);
    }
    const [a, b, w] = complaintIds;
    let x = await call('POST', `/api/v1/complaints/${a}/assign`, { version: versions[0], handlerId: t.users.handler.id, conflict: { hasConflict: false } });
    t.clock.set('2025-06-03T09:00:00Z');
    x = await call('POST', `/api/v1/complaints/${a}/acknowledge`, { version: x.version, definition: DEFINITION });
    t.clock.set('2025-06-10T09:00:00Z');
    x = await call('POST', `/api/v1/complaints/${a}/extend`, { version: x.version, reason: 'Awaiting a surveyor’s report', newDue: '2025-06-30', residentToldOn: '2025-06-10', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 });
    t.clock.set('2025-06-19T09:00:00Z');
    await call('POST', `/api/v1/complaints/${a}/respond`, {
      version: x.version,
      points: [{ pointId: 'P1', decision: 'upheld', reasons: 'We were slow.' }],
      outcome: 'upheld',
      remedies: [{ type: 'apology', description: 'We apologise.' }],
      outstandingActions: [],
      nextSteps: 'Ask us to escalate.',
    });
    let y = await call('POST', `/api/v1/complaints/${b}/assign`, { version: versions[1], handlerId: t.users.handler.id, conflict: { hasConflict: false } });
    y = await call('POST', `/api/v1/complaints/${b}/acknowledge`, { version: y.version, definition: DEFINITION });
    await call('POST', `/api/v1/complaints/${w}/withdraw`, { version: versions[2], on: '2025-06-19', reason: 'Sorted out', how: 'phone' });
    for (let i = 0; i < 4; i++) await call('POST', `/api/v1/complaints/${b}/notes`, { body: i === 0 ? TRICKY : `Note ${i}`, restricted: i % 2 === 1 });
    t.clock.set('2025-07-01T09:00:00Z');

    // Rows made straight in the tables: runs sharing one instant, and instants a microsecond apart
    // (one millisecond holds four of them: a cursor kept as a JavaScript Date would repeat or lose rows).
    const db = t.app.db;
    const same = '2025-06-05 12:00:00+00';
    await sql`insert into residents (reference, given_name, family_name, tenure, preferred_contact, communication_needs, created_at)
      select 'R-SAME-' || g, 'Same', ${TRICKY}, 'LCRA', 'email', '["large_print"]'::jsonb, ${same}::timestamptz from generate_series(1, 8) g`.execute(db);
    await sql`insert into residents (reference, given_name, family_name, tenure, preferred_contact, created_at)
      select 'R-MICRO-' || g, 'Micro', 'Second', 'LCHO', 'phone', '2025-06-05 12:00:01.000100+00'::timestamptz + g * interval '1 microsecond' from generate_series(1, 5) g`.execute(db);
    await sql`insert into resident_needs (resident_id, kind, description, created_at) select id, 'adjustment', 'Large print', ${same}::timestamptz from residents where reference like 'R-SAME-%'`.execute(db);
    await sql`insert into notes (complaint_id, body, restricted, author_id, created_at)
      select ${b}::uuid, 'Bulk note ' || g, g % 3 = 0, ${t.users.manager.id}::uuid, ${same}::timestamptz + (g / 4) * interval '1 microsecond' from generate_series(1, 14) g`.execute(db);
    await sql`insert into correspondence (complaint_id, direction, channel, subject, body, occurred_at, created_at)
      select ${b}::uuid, 'in', 'email', 'Re: ' || g, ${TRICKY}, ${same}::timestamptz, ${same}::timestamptz from generate_series(1, 7) g`.execute(db);
    await sql`insert into service_requests (reference, received_at, channel, description, status, created_at)
      select 'SR-SAME-' || g, ${same}::timestamptz, 'phone', 'Fix the gate', 'open', ${same}::timestamptz from generate_series(1, 5) g`.execute(db);
    await sql`insert into letters (complaint_id, kind, stage, subject, body_text, body_html, blocks, letterhead, channel, to_address, readability, sent_by_name, sent_at)
      select ${a}::uuid, 'acknowledgement', 1, 'Your complaint', 'Dear Ann,' || chr(10) || 'Letter ' || g, '<p>x</p>', '[]'::jsonb, '{}'::jsonb, 'email', 'ann@example.test', '{}'::jsonb, 'Hana Handler', ${same}::timestamptz
      from generate_series(1, 5) g`.execute(db);
  });
  after(async () => {
    await t?.close();
  });

  async function zipFiles(as = t.users.manager) {
    const r = await t.app.inject({ method: 'GET', url: '/api/v1/exports/complaint-data.zip', headers: { authorization: `Bearer ${as.token}` } });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.headers['content-type'], 'application/zip');
    assert.match(String(r.headers['content-disposition']), /^attachment; filename="complaint-data-\d{4}-\d{2}-\d{2}\.zip"$/);
    return { raw: r.rawPayload, files: unzipSync(new Uint8Array(r.rawPayload)) };
  }
  const count = async (table: string) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(t.app.db)).rows[0].n);

  test('the ZIP holds README.txt first and the same CSV files, byte for byte, as the in-memory export made', async () => {
    for (const [who, mayRestricted] of [[t.users.manager, true], [t.users.admin, false]] as const) {
      const { files } = await zipFiles(who);
      assert.deepEqual(Object.keys(files), ['README.txt', ...EXPORT_SCHEMA.map((s) => `${s.name}.csv`)], 'README.txt first, then a file per table in the schema’s order');
      assert.equal(strFromU8(files['README.txt']), schemaText());
      const expected = await referenceCsvFiles(t.app.db, t.app.services.reports, mayRestricted);
      for (const [name, text] of Object.entries(expected)) assert.equal(strFromU8(files[name]), text, `${name} for ${who.role}`);
      // Known values, independent of any export code.
      const notes = parseCsv(strFromU8(files['notes.csv']));
      const restricted = notes.filter((n) => n[2] === 'true');
      assert.equal(restricted.length, 2 + 4, 'two restricted notes through the API and four made in bulk');
      for (const n of restricted) {
        if (mayRestricted) assert.notEqual(n[3], RESTRICTED_NOTE_WITHHELD);
        else assert.equal(n[3], RESTRICTED_NOTE_WITHHELD);
      }
      assert.ok(strFromU8(files['notes.csv']).includes(`"'=HYPERLINK(""http://x"") say ""hello"", then\r\na new line"`), 'a formula is defused and quotes, commas and line ends are quoted');
    }
  });

  test('the stages come from the stored facts: dates, the extension and a withdrawal', async () => {
    const { files } = await zipFiles();
    const stages = parseCsv(strFromU8(files['stages.csv']));
    assert.deepEqual(stages[0], EXPORT_SCHEMA[1].columns.map((c) => c.key));
    const facts = Number((await sql<{ n: string }>`select count(*) as n from complaint_stage_facts`.execute(t.app.db)).rows[0].n);
    assert.equal(stages.length - 1, facts);
    const a = stages.find((r) => r[0] === complaintIds[0])!;
    assert.deepEqual(a.slice(2, 15), ['1', '2025-06-02', '2025-06-09', '2025-06-03', '2025-06-17', '2025-06-30', '2025-06-30', '2025-06-19', 'upheld', '', '', '', '1']);
    const detail = JSON.parse(a[15]);
    assert.equal(detail.length, 1);
    assert.equal(detail[0].previousDue, '2025-06-17');
    assert.equal(detail[0].newDue, '2025-06-30');
    assert.equal(detail[0].residentToldOn, '2025-06-10');
    const w = stages.find((r) => r[0] === complaintIds[2])!;
    assert.deepEqual([w[11], w[12], w[14], w[15]], ['withdrawn', '2025-06-19', '0', '']);
    // The complaints received at one instant follow their ids, as the complaints file does.
    const complaints = parseCsv(strFromU8(files['complaints.csv'])).slice(1);
    assert.deepEqual(
      [...new Set(stages.slice(1).map((r) => r[0]))],
      complaints.map((r) => r[0]),
    );
  });

  test(`read ${BATCH} rows at a time, no row is lost or repeated, across runs of equal instants and microseconds`, async () => {
    const { files } = await zipFiles();
    for (const [table, order] of Object.entries(ORDERED)) {
      const rows = parseCsv(strFromU8(files[`${table}.csv`])).slice(1);
      const by = sql.raw(order.split(', ').map((c) => `t.${c}`).join(', '));
      const expected = (await sql<{ id: string }>`select t.id::text as id from ${sql.table(table)} as t order by ${by}`.execute(t.app.db)).rows.map((r) => r.id);
      assert.equal(rows.length, await count(table), `${table}: every row`);
      assert.equal(new Set(rows.map((r) => r[0])).size, rows.length, `${table}: no row twice`);
      assert.deepEqual(
        rows.map((r) => r[0]),
        expected,
        `${table}: in order`,
      );
    }
    assert.ok((await count('notes')) > 4 * BATCH && (await count('history')) > 10 * BATCH);
    const complaints = parseCsv(strFromU8(files['complaints.csv'])).slice(1);
    const ids = (await sql<{ id: string }>`select c.id::text as id from complaints c order by c.received_at, c.id`.execute(t.app.db)).rows.map((r) => r.id);
    assert.deepEqual(
      complaints.map((r) => r[0]),
      ids,
    );
    assert.equal(new Set(complaints.map((r) => r[2])).size, 1, 'all received at one instant');
    const micro = parseCsv(strFromU8(files['residents.csv'])).filter((r) => r[1].startsWith('R-MICRO-'));
    assert.equal(micro.length, 5);
  });

  test('complaints.csv is the complaints table alone, streamed', async () => {
    const r = await t.call('GET', '/api/v1/exports/complaints.csv');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'text/csv; charset=utf-8');
    const expected = await referenceCsvFiles(t.app.db, t.app.services.reports, true);
    assert.equal(r.body, expected['complaints.csv']);
    assert.equal(parseCsv(r.body).length - 1, await count('complaints'));
  });

  test('the export page links the ZIP and says the workbook is for smaller data sets; a HEAD request reads nothing', async () => {
    const cookie = await signIn(t.app, 'kim@test.example', 'a long enough password');
    const p = await getPage(t.app, '/reports/export', cookie);
    assert.equal(p.statusCode, 200);
    assert.match(p.body, /href="\/reports\/export\/complaint-data\.zip"/);
    assert.match(p.body, /Only for smaller data sets: it can be made when no table has more than 400 rows/);
    const z = await getPage(t.app, '/reports/export/complaint-data.zip', cookie);
    assert.equal(z.statusCode, 200);
    assert.equal(Object.keys(unzipSync(new Uint8Array(z.rawPayload))).length, EXPORT_SCHEMA.length + 1);
    const head = await t.app.inject({ method: 'HEAD', url: '/api/v1/exports/complaint-data.zip', headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(head.statusCode, 200);
    assert.equal(head.rawPayload.length, 0);
  });

  test('the XLSX workbook holds every table under the limit; over it, the answer names the table and points to the CSV files', async () => {
    const x = await t.app.inject({ method: 'GET', url: '/api/v1/exports/complaint-data.xlsx', headers: { authorization: `Bearer ${t.users.manager.token}` } });
    assert.equal(x.statusCode, 200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(x.rawPayload as any);
    assert.deepEqual(
      wb.worksheets.map((w) => w.name),
      EXPORT_SCHEMA.map((s) => s.name),
    );
    for (const s of EXPORT_SCHEMA) {
      const ws = wb.getWorksheet(s.name)!;
      assert.deepEqual((ws.getRow(1).values as unknown[]).slice(1), s.columns.map((c) => c.key), `${s.name} header`);
      const rows = s.name === 'stages' ? Number((await sql<{ n: string }>`select count(*) as n from complaint_stage_facts`.execute(t.app.db)).rows[0].n) : await count(s.name);
      assert.equal(ws.actualRowCount, rows + 1, `${s.name}: every row`);
    }
    const complaints = wb.getWorksheet('complaints')!;
    const first = complaints.getRow(2);
    const col = (k: string) => EXPORT_SCHEMA[0].columns.findIndex((c) => c.key === k) + 1;
    assert.equal(first.getCell(col('id')).value, parseCsv((await t.call('GET', '/api/v1/exports/complaints.csv')).body)[1][0]);
    assert.ok(first.getCell(col('received_at')).value instanceof Date, 'instants are dates');
    assert.equal((first.getCell(col('received_at')).value as Date).toISOString(), '2025-06-02T09:00:00.000Z');
    assert.equal(typeof first.getCell(col('anonymous')).value, 'boolean');
    assert.equal(complaints.getRow(1).getCell(1).font?.bold, true, 'the header is bold');
    assert.equal(complaints.getRow(2).getCell(1).font?.bold, undefined);
    assert.equal(complaints.views[0]?.state, 'frozen', 'and frozen');
    const descriptions = complaints.getColumn(col('description')).values.slice(2);
    assert.ok(descriptions.includes(TRICKY), 'text, even text like a formula, is kept as text');
    const history = wb.getWorksheet('history')!;
    assert.equal(history.getRow(2).getCell(1).value, (await sql<{ id: string }>`select min(id)::text as id from history`.execute(t.app.db)).rows[0].id);

    // Over the limit: refused before anything is sent, as JSON for the API and as the page for a browser.
    await sql`insert into service_requests (reference, received_at, channel, description, status) select 'SR-MANY-' || g, now(), 'phone', 'Many', 'open' from generate_series(1, ${WORKBOOK_LIMIT + 1 - (await count('service_requests'))}::int) g`.execute(t.app.db);
    try {
      assert.equal(await count('service_requests'), WORKBOOK_LIMIT + 1);
      const refused = await t.call('GET', '/api/v1/exports/complaint-data.xlsx');
      assert.equal(refused.status, 422);
      assert.equal(refused.body.error, 'too_large_for_workbook');
      assert.equal(refused.body.table, 'service_requests');
      assert.equal(refused.headers['content-disposition'], undefined, 'not a download');
      assert.equal(refused.body.message, 'The service_requests table has more than 400 rows, too many for the Excel workbook, which is only for smaller data sets. Download the CSV files (ZIP) instead: they hold every row of every table.');
      const cookie = await signIn(t.app, 'kim@test.example', 'a long enough password');
      const page = await getPage(t.app, '/reports/export/complaint-data.xlsx', cookie);
      assert.equal(page.statusCode, 422);
      assert.match(page.headers['content-type'] as string, /^text\/html/);
      assert.equal(page.headers['content-disposition'], undefined);
      assert.match(page.body, /govuk-error-summary/);
      assert.match(page.body, /<a href="#csv-files">The service_requests table has more than 400 rows/);
      assert.match(page.body, /id="csv-files"/);
      // The ZIP still has every row.
      const { files } = await zipFiles();
      assert.equal(parseCsv(strFromU8(files['service_requests.csv'])).length - 1, WORKBOOK_LIMIT + 1);
    } finally {
      await sql`delete from service_requests where reference like 'SR-MANY-%'`.execute(t.app.db);
    }
  });
});

forEachBackend('a data export that fails part-way', (backend) => {
  const lines: string[] = [];
  let app: Awaited<ReturnType<typeof buildApp>>;
  let handle: Awaited<ReturnType<typeof backend.open>>;
  let token: string;

  before(async () => {
    handle = await backend.open();
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    app = await buildApp({ database: handle, logger, dataExport: { batchSize: 2 } });
    await app.ready();
    const u = await app.services.users.create(SYSTEM_ACTOR, { email: 'mo@test.example', name: 'Mo Manager', role: 'manager' });
    token = (await app.services.users.createToken(SYSTEM_ACTOR, u.id, 'test')).token;
    for (let i = 0; i < 3; i++) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/complaints', headers: { authorization: `Bearer ${token}` }, payload: { channel: 'phone', description: `Leak ${i}`, resident: { givenName: 'Al', familyName: `Smith ${i}` } } });
      assert.equal(r.statusCode, 201, r.body);
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app?.close();
    await handle?.close();
  });

  test('the download is cut off, the failure is logged, and the server and its database go on', async () => {
    // The letters table goes missing after the complaints, stages and history have been sent.
    await sql`alter table letters rename to letters_away`.execute(app.db);
    try {
      const { port } = app.server.address() as { port: number };
      const result = await new Promise<{ status: number; bytes: number; complete: boolean }>((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path: '/api/v1/exports/complaint-data.zip', headers: { authorization: `Bearer ${token}` } }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => resolve({ status: res.statusCode!, bytes, complete: res.complete }));
          res.on('error', () => resolve({ status: res.statusCode!, bytes, complete: false }));
          res.on('aborted', () => resolve({ status: res.statusCode!, bytes, complete: false }));
        });
        req.on('error', reject);
      });
      assert.equal(result.status, 200, 'the download had started');
      assert.ok(result.bytes > 0);
      assert.equal(result.complete, false, 'and was cut off, not ended as if whole');
      await new Promise((r) => setTimeout(r, 50));
      const failed = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'data export failed part-way: the download was cut off');
      assert.ok(failed, lines.join('\n'));
      assert.equal(failed.level, 50);
      assert.match(failed.err.message, /letters/);
    } finally {
      await sql`alter table letters_away rename to letters`.execute(app.db);
    }
    // The same process answers, its database connection was given back, and no transaction is left open.
    const again = await app.inject({ method: 'GET', url: '/api/v1/exports/complaint-data.zip', headers: { authorization: `Bearer ${token}` } });
    assert.equal(again.statusCode, 200);
    assert.equal(Object.keys(unzipSync(new Uint8Array(again.rawPayload))).length, EXPORT_SCHEMA.length + 1);
    if (backend.name === 'postgres') {
      const open = await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and state like 'idle in transaction%'`.execute(app.db);
      assert.equal(Number(open.rows[0].n), 0);
    }
  });

  test('a failure before the first byte is an error answer, not a broken file', async () => {
    await sql`alter table complaints rename to complaints_away`.execute(app.db);
    try {
      const r = await app.inject({ method: 'GET', url: '/api/v1/exports/complaints.csv', headers: { authorization: `Bearer ${token}` } });
      assert.ok(r.statusCode >= 500, String(r.statusCode));
      assert.equal(r.headers['content-disposition'], undefined);
      assert.equal(r.json().error, 'internal');
    } finally {
      await sql`alter table complaints_away rename to complaints`.execute(app.db);
    }
  });
});

describe('the streamed ZIP writer', () => {
  const build = (forceZip64: boolean) => {
    const chunks: Uint8Array[] = [];
    const zip = new ZipWriter((c) => chunks.push(c), { forceZip64, mtime: new Date('2020-01-01T00:00:00Z') });
    zip.startFile('README.txt');
    zip.write('hello\n');
    zip.startFile('big.csv');
    const line = 'a,b,"c, d"\r\n';
    for (let i = 0; i < 50_000; i++) zip.write(`${i},${line}`);
    zip.startFile('empty.csv');
    zip.end();
    return { bytes: Buffer.concat(chunks), big: Array.from({ length: 50_000 }, (_, i) => `${i},${line}`).join('') };
  };

  for (const forceZip64 of [false, true]) {
    test(`${forceZip64 ? 'with the ZIP64 records' : 'in the classic format'}, fflate, Info-ZIP and Python read it back whole`, (ctx) => {
      const { bytes, big } = build(forceZip64);
      const files = unzipSync(new Uint8Array(bytes));
      assert.deepEqual(Object.keys(files), ['README.txt', 'big.csv', 'empty.csv']);
      assert.equal(strFromU8(files['big.csv']), big);
      assert.equal(files['empty.csv'].length, 0);
      assert.equal(bytes.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])), forceZip64, 'the ZIP64 end record only when asked for or needed');
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'putright-zip-'));
      try {
        const file = path.join(dir, 'test.zip');
        fs.writeFileSync(file, bytes);
        let checked = 0;
        if (spawnSync('unzip', ['-v'], { stdio: 'ignore' }).status === 0) {
          assert.match(execFileSync('unzip', ['-t', file]).toString(), /No errors detected/);
          checked++;
        }
        if (spawnSync('python3', ['--version'], { stdio: 'ignore' }).status === 0) {
          const out = execFileSync('python3', ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(",".join(f"{i.filename}:{i.file_size}" for i in z.infolist()))', file]).toString().trim();
          assert.equal(out, `README.txt:6,big.csv:${Buffer.byteLength(big)},empty.csv:0`);
          checked++;
        }
        if (!checked) ctx.diagnostic('neither unzip nor python3 is installed: read back by fflate only');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
