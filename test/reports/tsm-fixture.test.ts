/**
 * The regulator's measures on a hand-built year, through the API, on each database.
 *
 * Reporting year 2025/26: 1 April 2025 to 31 March 2026. Homes at year end: 2,000 LCRA, 500 LCHO.
 * Working days are Monday to Friday less the England and Wales bank holidays (2025: 18 and 21
 * April, 5 and 26 May, 25 August, 25 and 26 December; 2026: 1 January, 3 and 6 April, 4 May).
 * Every complaint is received at 09:00 UTC on a working day, so its receipt date is that day.
 * A stage 1 response is due 10 working days after the acknowledgement; stage 2, 20.
 *
 *  case | tenure | what happens
 *  A    | LCRA   | received Mon 2 Jun 2025, acknowledged Tue 3 Jun: due Tue 17 Jun (Wed 4 … Tue 17 is 10
 *       |        | working days). Answered Fri 13 Jun: on time on both counts.
 *  B    | LCRA   | as A, answered Thu 19 Jun: late on both counts.
 *  C    | LCHO   | received Mon 7 Jul, acknowledged Tue 8 Jul: due Tue 22 Jul. Extended on Fri 18 Jul (told
 *       |        | before the date) to Tue 5 Aug, exactly 10 working days after 22 Jul: within the cap.
 *       |        | Answered Fri 1 Aug: late against the original date, on time after the compliant extension.
 *  D    | LCRA   | received Mon 8 Sep, acknowledged Tue 9 Sep: due Tue 23 Sep. Extended on Mon 22 Sep to
 *       |        | Tue 14 Oct, 15 working days after 23 Sep: beyond the cap, with a good reason recorded, so
 *       |        | compliant. Answered Mon 13 Oct: late against the original, on time after extension.
 *  E    | LCRA   | received Mon 3 Nov, acknowledged Tue 4 Nov: due Tue 18 Nov. Extension told on Thu 20 Nov,
 *       |        | after the date had passed, to Tue 2 Dec: not compliant, so the date stays 18 Nov.
 *       |        | Answered Mon 1 Dec: late on both counts.
 *  F    | LCRA   | received Mon 1 Sep, acknowledged Tue 2 Sep: due Tue 16 Sep; answered Fri 12 Sep (on time).
 *       |        | Escalation requested Mon 15 Sep; stage 2 acknowledged Wed 17 Sep: due 20 working days
 *       |        | later, Wed 15 Oct. Stage 2 answered Fri 10 Oct: on time.
 *  G    | LCHO   | received Mon 6 Oct, refused (already considered) on Wed 8 Oct: in CH01 as received and
 *       |        | refused; never answered, so not in CH02.
 *  H    | LCRA   | received Mon 2 Mar 2026, acknowledged Tue 3 Mar: due Tue 17 Mar. Still open on 31 Mar:
 *       |        | open past both dates. Answered Thu 9 Apr 2026 (next year).
 *  H2   | LCHO   | as H; extended on Mon 16 Mar (told before the date) to Tue 31 Mar, 10 working days after
 *       |        | 17 Mar. Open on 31 Mar: past the original date, not past the extended one (31 Mar is not
 *       |        | before 31 Mar).
 *  I    | LCHO   | received Wed 25 Mar 2026, acknowledged Thu 26 Mar: due Mon 13 Apr (Fri 27, Mon 30, Tue 31,
 *       |        | Wed 1, Thu 2 Apr, skip Good Friday 3 and Easter Monday 6, Tue 7, Wed 8, Thu 9, Fri 10,
 *       |        | Mon 13). Answered Fri 10 Apr 2026: received this year, answered next year. At year end
 *       |        | open but not past its date.
 *  J    | LCRA   | received Mon 17 Mar 2025 (last year), acknowledged Tue 18 Mar: due Tue 1 Apr 2025
 *       |        | (Wed 19 … Mon 31, Tue 1 Apr). Answered Wed 2 Apr 2025: in this year's CH02, late; not in
 *       |        | this year's CH01.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ExcelJS from 'exceljs';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { sql } from 'kysely';
import { project } from '../../src/core/lifecycle.js';
import { complaintFacts } from '../../src/core/measures.js';
import { storedFacts } from '../../src/services/measure-queries.js';
import { refreshStageFacts } from '../../src/services/stage-facts.js';

const DEFINITION = {
  understanding: 'The repair was not done.',
  outcomesSought: 'Do the repair.',
  points: [{ summary: 'The repair was late', landlordResponsible: true }],
};
const RESPONSE = { points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'The repair was done within the policy time.' }], outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Ask us to escalate.' };
const FINAL = { ...RESPONSE, nextSteps: 'You can take your complaint to the Housing Ombudsman: 0300 111 3000.' };

forEachBackend('the regulator’s measures on a hand-built year', (backend) => {
  let t: TestApp;
  const ids: Record<string, string> = {};
  const refs: Record<string, string> = {};

  before(async () => {
    t = await startTestApp(await backend.open());
  });
  after(async () => {
    await t?.close();
  });

  const at = (d: string) => t.clock.set(`${d}T12:00:00Z`);

  async function create(key: string, receivedOn: string, tenure: 'LCRA' | 'LCHO') {
    t.clock.set(`${receivedOn}T09:00:00Z`);
    const r = await t.call('POST', '/api/v1/complaints', {
      body: { channel: 'phone', receivedAt: `${receivedOn}T09:00:00Z`, description: `Complaint ${key}`, serviceArea: 'Repairs', category: 'Delay', resident: { givenName: 'Res', familyName: key, tenure } },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    ids[key] = r.body.id;
    refs[key] = r.body.reference;
    return r.body;
  }
  async function step(c: any, name: string, body: Record<string, unknown>) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { body: { version: c.version, ...body } });
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  async function acknowledged(key: string, receivedOn: string, tenure: 'LCRA' | 'LCHO', ackOn: string) {
    let c = await create(key, receivedOn, tenure);
    c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
    at(ackOn);
    return step(c, 'acknowledge', { definition: DEFINITION });
  }
  async function answer(c: any, on: string, body = RESPONSE) {
    at(on);
    return step(c, 'respond', body);
  }
  async function extend(c: any, on: string, newDue: string, goodReason?: string) {
    at(on);
    return step(c, 'extend', { reason: 'Waiting for a surveyor', newDue, residentToldOn: on, ombudsmanDetailsGiven: true, updateEveryWorkingDays: 5, ...(goodReason ? { goodReason } : {}) });
  }

  test('the fixture year is built through the engine, and its dates are the ones worked out by hand', async () => {
    // J: last year's complaint answered this year.
    let j = await acknowledged('J', '2025-03-17', 'LCRA', '2025-03-18');
    assert.equal(j.stages[0].responseDueOriginal, '2025-04-01');
    j = await answer(j, '2025-04-02');

    let a = await acknowledged('A', '2025-06-02', 'LCRA', '2025-06-03');
    assert.equal(a.stages[0].responseDueOriginal, '2025-06-17');
    a = await answer(a, '2025-06-13');

    let b = await acknowledged('B', '2025-06-02', 'LCRA', '2025-06-03');
    b = await answer(b, '2025-06-19');

    let c = await acknowledged('C', '2025-07-07', 'LCHO', '2025-07-08');
    assert.equal(c.stages[0].responseDueOriginal, '2025-07-22');
    c = await extend(c, '2025-07-18', '2025-08-05');
    assert.equal(c.stages[0].extensions[0].beyondCap, false);
    assert.equal(c.stages[0].responseDueCompliant, '2025-08-05');
    c = await answer(c, '2025-08-01');

    let f = await acknowledged('F', '2025-09-01', 'LCRA', '2025-09-02');
    assert.equal(f.stages[0].responseDueOriginal, '2025-09-16');
    f = await answer(f, '2025-09-12');
    t.clock.set('2025-09-15T09:00:00Z');
    f = await step(f, 'escalate', {});
    f = await step(f, 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false } });
    at('2025-09-17');
    f = await step(f, 'acknowledge', { definition: DEFINITION });
    assert.equal(f.stages[1].responseDueOriginal, '2025-10-15');
    f = await answer(f, '2025-10-10', FINAL);

    let d = await acknowledged('D', '2025-09-08', 'LCRA', '2025-09-09');
    assert.equal(d.stages[0].responseDueOriginal, '2025-09-23');
    d = await extend(d, '2025-09-22', '2025-10-14', 'A structural engineer must inspect first');
    assert.equal(d.stages[0].extensions[0].beyondCap, true);
    assert.equal(d.stages[0].extensions[0].compliant, true);
    d = await answer(d, '2025-10-13');

    let g = await create('G', '2025-10-06', 'LCHO');
    at('2025-10-08');
    g = await step(g, 'refuse', { ground: 'already_considered', reasoning: 'The same repair was answered at stage 2 in August.', ombudsmanRightGiven: true });
    assert.equal(g.status, 'refused');

    let e = await acknowledged('E', '2025-11-03', 'LCRA', '2025-11-04');
    assert.equal(e.stages[0].responseDueOriginal, '2025-11-18');
    e = await extend(e, '2025-11-20', '2025-12-02');
    assert.equal(e.stages[0].extensions[0].toldLate, true);
    assert.equal(e.stages[0].responseDueCompliant, '2025-11-18');
    e = await answer(e, '2025-12-01');

    let h = await acknowledged('H', '2026-03-02', 'LCRA', '2026-03-03');
    assert.equal(h.stages[0].responseDueOriginal, '2026-03-17');
    let h2 = await acknowledged('H2', '2026-03-02', 'LCHO', '2026-03-03');
    h2 = await extend(h2, '2026-03-16', '2026-03-31');
    assert.equal(h2.stages[0].responseDueCompliant, '2026-03-31');

    let i = await acknowledged('I', '2026-03-25', 'LCHO', '2026-03-26');
    assert.equal(i.stages[0].responseDueOriginal, '2026-04-13');
    i = await answer(i, '2026-04-10');
    h = await answer(h, '2026-04-09');
    void [a, b, c, d, e, f, g, h, h2, i, j];

    t.clock.set('2026-05-20T12:00:00Z');
    const homes = await t.call('PUT', '/api/v1/reports/homes/2025', { body: { LCRA: 2000, LCHO: 500 } });
    assert.equal(homes.status, 200, JSON.stringify(homes.body));
  });

  describe('2025/26, worked out by hand', () => {
    let r: any;
    const line = (stage: number, measure: 'ch01' | 'ch02', tenure: string) => r.stages.find((s: any) => s.stage === stage)[measure].find((l: any) => l.tenure === tenure);
    const refsOf = (c: { ids: string[] }) => c.ids.map((id) => Object.keys(ids).find((k) => ids[k] === id)).sort();

    before(async () => {
      const res = await t.call('GET', '/api/v1/reports/tsm?year=2025&ids=true', { as: t.users.governance });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      r = res.body;
    });

    test('versioned, for the right year, judged at year end', () => {
      assert.equal(r.measuresVersion, 'tsm-2024.1');
      assert.deepEqual(r.year, { year: 2025, label: '2025/26', from: '2025-04-01', to: '2026-03-31' });
      assert.equal(r.asOf, '2026-03-31');
    });

    test('CH01 stage 1: LCRA A, B, D, E, F, H = 6 per 2,000 = 3.00; LCHO C, G, H2, I = 4 per 500 = 8.00; total 10 per 2,500 = 4.00 (J was last year)', () => {
      assert.deepEqual(refsOf(line(1, 'ch01', 'LCRA').received), ['A', 'B', 'D', 'E', 'F', 'H']);
      assert.equal(line(1, 'ch01', 'LCRA').per1000, 3);
      assert.deepEqual(refsOf(line(1, 'ch01', 'LCHO').received), ['C', 'G', 'H2', 'I']);
      assert.equal(line(1, 'ch01', 'LCHO').per1000, 8);
      assert.equal(line(1, 'ch01', 'total').received.count, 10);
      assert.equal(line(1, 'ch01', 'total').homes, 2500);
      assert.equal(line(1, 'ch01', 'total').per1000, 4);
      // G was refused: counted as received, and shown on its own line.
      assert.deepEqual(refsOf(line(1, 'ch01', 'LCHO').refused), ['G']);
    });

    test('CH01 stage 2: only F escalated: LCRA 1 per 2,000 = 0.50; LCHO 0; total 1 per 2,500 = 0.40', () => {
      assert.deepEqual(refsOf(line(2, 'ch01', 'LCRA').received), ['F']);
      assert.equal(line(2, 'ch01', 'LCRA').per1000, 0.5);
      assert.equal(line(2, 'ch01', 'LCHO').per1000, 0);
      assert.equal(line(2, 'ch01', 'total').per1000, 0.4);
    });

    test('CH02 stage 1 against the original date: answered in the year A, B, C, D, E, F, J (7); on time A and F: 2 of 7 = 28.6%', () => {
      const tot = line(1, 'ch02', 'total');
      assert.deepEqual(refsOf(tot.responded), ['A', 'B', 'C', 'D', 'E', 'F', 'J']);
      assert.deepEqual(refsOf(tot.onTimeOriginal), ['A', 'F']);
      assert.equal(tot.percentOriginal, 28.6);
      // LCRA: A, B, D, E, F, J answered; A and F on time: 2 of 6 = 33.3%. LCHO: C late: 0 of 1.
      assert.equal(line(1, 'ch02', 'LCRA').percentOriginal, 33.3);
      assert.equal(line(1, 'ch02', 'LCHO').percentOriginal, 0);
    });

    test('CH02 stage 1 after compliant extensions: C and D count as on time, E (told late) does not: 4 of 7 = 57.1%', () => {
      const tot = line(1, 'ch02', 'total');
      assert.deepEqual(refsOf(tot.onTimeCompliant), ['A', 'C', 'D', 'F']);
      assert.deepEqual(refsOf(tot.lateCompliant), ['B', 'E', 'J']);
      assert.equal(tot.percentCompliant, 57.1);
      // LCRA: A, D, F of 6 = 50.0%. LCHO: C of 1 = 100.0%.
      assert.equal(line(1, 'ch02', 'LCRA').percentCompliant, 50);
      assert.equal(line(1, 'ch02', 'LCHO').percentCompliant, 100);
      // The submitted figure follows the setting (default: after compliant extensions).
      assert.equal(r.basis, 'compliant');
      assert.equal(tot.percentSubmitted, 57.1);
    });

    test('CH02 stage 2: F answered on time: 1 of 1 = 100.0% on both counts; LCHO has none', () => {
      assert.equal(line(2, 'ch02', 'total').percentOriginal, 100);
      assert.equal(line(2, 'ch02', 'total').percentCompliant, 100);
      assert.equal(line(2, 'ch02', 'LCHO').percentOriginal, null);
    });

    test('open at year end past the date, listed separately: original H and H2; after compliant extensions only H (I is not yet due)', () => {
      assert.deepEqual(refsOf(line(1, 'ch02', 'total').openPastOriginal), ['H', 'H2']);
      assert.deepEqual(refsOf(line(1, 'ch02', 'total').openPastCompliant), ['H']);
      assert.deepEqual(refsOf(line(1, 'ch02', 'LCHO').openPastOriginal), ['H2']);
      assert.equal(line(1, 'ch02', 'LCHO').openPastCompliant.count, 0);
    });

    test('choosing the original date changes the submitted figure to 28.6%', async () => {
      const put = await t.call('PUT', '/api/v1/reports/settings', { body: { ch02Basis: 'original' } });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const res = await t.call('GET', '/api/v1/reports/tsm?year=2025');
      assert.equal(res.body.basis, 'original');
      const tot = res.body.stages[0].ch02.find((l: any) => l.tenure === 'total');
      assert.equal(tot.percentSubmitted, 28.6);
      assert.equal(tot.ids, undefined, 'ids only when asked for');
      await t.call('PUT', '/api/v1/reports/settings', { body: { ch02Basis: 'compliant' } });
    });

    test('the next year: H and I are answered in 2026/27 and counted in its CH02; J is in 2024/25’s CH01', async () => {
      const next = (await t.call('GET', '/api/v1/reports/tsm?year=2026&ids=true')).body;
      const tot = next.stages[0].ch02.find((l: any) => l.tenure === 'total');
      assert.deepEqual(refsOf(tot.responded), ['H', 'I']);
      // H: due 17 Mar, answered 9 Apr: late. I: due 13 Apr, answered 10 Apr: on time.
      assert.deepEqual(refsOf(tot.onTimeOriginal), ['I']);
      // The current year is judged today (20 May 2026): H2 is still open, past both its dates.
      assert.equal(next.asOf, '2026-05-20');
      assert.deepEqual(refsOf(tot.openPastCompliant), ['H2']);
      const prev = (await t.call('GET', '/api/v1/reports/tsm?year=2024&ids=true')).body;
      assert.deepEqual(refsOf(prev.stages[0].ch01.find((l: any) => l.tenure === 'LCRA').received), ['J']);
      assert.equal(prev.stages[0].ch01.find((l: any) => l.tenure === 'LCRA').per1000, null, 'no homes entered for 2024/25');
    });

    test('every figure drills down to its complaints, linked by id, and exports to CSV and XLSX', async () => {
      const q = 'year=2025&measure=ch02&stage=1&tenure=total&line=lateCompliant';
      const d = await t.call('GET', `/api/v1/reports/tsm/complaints?${q}`, { as: t.users.governance });
      assert.equal(d.status, 200, JSON.stringify(d.body));
      assert.equal(d.body.count, 3);
      assert.deepEqual(d.body.items.map((x: any) => x.reference), [refs.J, refs.B, refs.E]);
      const e = d.body.items.find((x: any) => x.reference === refs.E);
      assert.equal(e.dueOriginal, '2025-11-18');
      assert.equal(e.dueCompliant, '2025-11-18');
      assert.equal(e.dueInForce, '2025-12-02');
      assert.match(e.extensions, /told after the date/);

      const csv = await t.call('GET', `/api/v1/reports/tsm/complaints.csv?${q}`);
      assert.equal(csv.status, 200);
      assert.match(String(csv.headers['content-type']), /text\/csv/);
      const lines = String(csv.body).trim().split('\r\n');
      assert.equal(lines.length, 4);
      assert.match(lines[0], /^reference,tenure,stage,startedOn/);
      assert.ok(lines.some((l) => l.startsWith(`${refs.E},LCRA,1,2025-11-03`)));

      const x = await t.app.inject({ method: 'GET', url: `/api/v1/reports/tsm/complaints.xlsx?${q}`, headers: { authorization: `Bearer ${t.users.manager.token}` } });
      assert.equal(x.statusCode, 200);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.load(x.rawPayload as any);
      const ws = wb.getWorksheet('Complaints')!;
      assert.equal(ws.rowCount, 4);
      assert.equal(ws.getRow(1).getCell(1).value, 'Reference');
      assert.deepEqual([2, 3, 4].map((n) => ws.getRow(n).getCell(1).value), [refs.J, refs.B, refs.E]);
    });

    test('a figure that does not belong to a measure is refused by name', async () => {
      const bad = await t.call('GET', '/api/v1/reports/tsm/complaints?year=2025&measure=ch01&stage=1&tenure=total&line=onTimeOriginal');
      assert.equal(bad.status, 422);
      assert.equal(bad.body.field, 'line');
    });
  });

  describe('TP09 from an imported survey', () => {
    test('a file with bad rows is refused with each row’s and field’s problem, and nothing is stored', async () => {
      const csv = [
        'respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction',
        'S1,2025-06-31,LCRA,yes,very_satisfied',
        'S2,2025-06-01,rent,maybe,delighted',
        ',2025-06-01,LCHO,yes,',
      ].join('\n');
      const r = await t.call('POST', '/api/v1/reports/surveys', { body: { csv, source: 'bad.csv' } });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      const msgs = r.body.details.map((d: any) => d.message);
      assert.ok(msgs.includes('Row 2, surveyed_on: "2025-06-31" is not a real date written YYYY-MM-DD'), msgs.join('\n'));
      assert.ok(msgs.some((m: string) => m.startsWith('Row 3, tenure:')));
      assert.ok(msgs.some((m: string) => m.startsWith('Row 3, complained_last_12_months:')));
      assert.ok(msgs.some((m: string) => m.startsWith('Row 3, complaints_handling_satisfaction:')));
      assert.ok(msgs.some((m: string) => m.startsWith('Row 4, respondent_ref:')));
      assert.ok(msgs.some((m: string) => m.startsWith('Row 4, complaints_handling_satisfaction:')));
      const missing = await t.call('POST', '/api/v1/reports/surveys', { body: { csv: 'ref,date\nA,2025-01-01' } });
      assert.equal(missing.status, 422);
      assert.match(missing.body.message, /missing: respondent_ref, surveyed_on/);
      const s = await t.call('GET', '/api/v1/reports/settings');
      assert.equal(s.body.surveyImports.length, 0);
    });

    test('LCRA: 2 of 4 satisfied = 50.0%; LCHO: 0 of 1; all: 2 of 5 = 40.0% ("don’t know", no complaint and next year’s answers left out)', async () => {
      const csv = [
        'respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction',
        'S1,2025-06-01,LCRA,yes,very_satisfied',
        'S2,2025-06-01,LCRA,Yes,Fairly satisfied',
        'S3,2025-07-01,LCRA,yes,very_dissatisfied',
        'S4,2025-07-01,LCRA,yes,Neither satisfied nor dissatisfied',
        'S5,2025-07-01,lcho,yes,fairly_dissatisfied',
        'S6,2025-08-01,LCHO,no,',
        'S7,2025-08-01,LCRA,yes,Don’t know',
        'S8,2026-04-02,LCRA,yes,very_satisfied',
      ].join('\r\n');
      const r = await t.call('POST', '/api/v1/reports/surveys', { body: { csv, source: 'star-2025.csv' } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.rows, 8);
      const tsm = (await t.call('GET', '/api/v1/reports/tsm?year=2025')).body;
      const l = (k: string) => tsm.tp09.lines.find((x: any) => x.tenure === k);
      assert.equal(tsm.tp09.responses, 7);
      assert.equal(l('LCRA').asked.count, 4);
      assert.equal(l('LCRA').percent, 50);
      assert.equal(l('LCRA').excluded.count, 1);
      assert.equal(l('LCHO').percent, 0);
      assert.equal(l('total').asked.count, 5);
      assert.equal(l('total').percent, 40);
    });
  });

  describe('the stored facts stay in step with the record', () => {
    const db = () => (t.app as any).services.reports['db'] as import('../../src/db/database.js').Db;
    const ch01 = async (tenure: string) => {
      const res = await t.call('GET', '/api/v1/reports/tsm?year=2025&ids=true', { as: t.users.governance });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.stages[0].ch01.find((l: any) => l.tenure === tenure).received.ids.map((id: string) => Object.keys(ids).find((k) => ids[k] === id)).sort();
    };

    test('what the engine stored is what folding each complaint’s history gives', async () => {
      const settings = await t.app.services.settings.load();
      for (const key of Object.keys(ids)) {
        const events = await t.app.services.complaints.events(db(), ids[key]);
        const folded = complaintFacts(project(events, settings.calendar), { id: ids[key], reference: refs[key], tenure: 'LCRA', channel: 'phone', serviceArea: 'Repairs', category: 'Delay' });
        const [stored] = await storedFacts(db(), [ids[key]], 'LCRA');
        assert.deepEqual(stored.stages, folded.stages, key);
        const row = await db().selectFrom('complaints').select(['version', 'facts_version']).where('id', '=', ids[key]).executeTakeFirstOrThrow();
        assert.equal(row.facts_version, row.version, `${key}: facts current`);
      }
    });

    test('facts lost or out of date are folded again when the server starts, with the same figures', async () => {
      const before = await t.call('GET', '/api/v1/reports/tsm?year=2025', { as: t.users.governance });
      await db().deleteFrom('complaint_stage_facts').execute();
      await db().updateTable('complaints').set({ facts_version: null }).execute();
      const gone = await t.call('GET', '/api/v1/reports/tsm?year=2025', { as: t.users.governance });
      assert.notDeepEqual(gone.body, before.body, 'a report only reads the stored facts');
      // What the server does when it is ready (src/http/app.ts).
      assert.equal(await refreshStageFacts(db(), await t.app.services.settings.calendar()), Object.keys(ids).length);
      const again = await t.call('GET', '/api/v1/reports/tsm?year=2025', { as: t.users.governance });
      assert.deepEqual(again.body, before.body);
      assert.equal((await db().selectFrom('complaints').select('id').where(sql<boolean>`facts_version is distinct from version`).execute()).length, 0);
    });

    test('a resident’s new tenure moves their complaint between the lines', async () => {
      assert.ok((await ch01('LCRA')).includes('A'));
      const c = await t.call('GET', `/api/v1/complaints/${ids.A}`, { as: t.users.manager });
      const r = await t.call('GET', `/api/v1/residents/${c.body.residentId}`, { as: t.users.manager });
      const changed = await t.call('PATCH', `/api/v1/residents/${c.body.residentId}`, { as: t.users.manager, body: { version: r.body.version, tenure: 'LCHO' } });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));
      assert.ok(!(await ch01('LCRA')).includes('A'));
      assert.ok((await ch01('LCHO')).includes('A'));
      const back = await t.call('PATCH', `/api/v1/residents/${c.body.residentId}`, { as: t.users.manager, body: { version: changed.body.version, tenure: 'LCRA' } });
      assert.equal(back.status, 200, JSON.stringify(back.body));
      assert.ok((await ch01('LCRA')).includes('A'));
    });

    test('a closure day added to the calendar moves the dates the measures use, and removing it moves them back', async () => {
      // G was never acknowledged, so its acknowledgement date is worked out with the calendar in force
      // (dates already told to a resident, like A's, stay as told).
      const due = async () => (await db().selectFrom('complaint_stage_facts').select('acknowledgement_due').where('complaint_id', '=', ids.G).where('stage', '=', 1).executeTakeFirstOrThrow()).acknowledgement_due;
      assert.equal(await due(), '2025-10-13');
      const set = async (closureDays: string[]) => {
        const res = await t.call('PATCH', '/api/v1/settings', { as: t.users.admin, body: { calendar: { division: 'england-and-wales', closureDays, cutoffTime: null } } });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      };
      await set(['2025-10-07']);
      assert.equal(await due(), '2025-10-14', 'one working day later');
      await set([]);
      assert.equal(await due(), '2025-10-13');
    });
  });

  describe('who may see and change the measures', () => {
    test('handlers and other staff cannot read them; governance cannot change the settings', async () => {
      assert.equal((await t.call('GET', '/api/v1/reports/tsm?year=2025', { as: t.users.handler })).status, 403);
      assert.equal((await t.call('GET', '/api/v1/reports/tsm?year=2025', { as: t.users.staff })).status, 403);
      assert.equal((await t.call('PUT', '/api/v1/reports/homes/2025', { as: t.users.governance, body: { LCRA: 1, LCHO: 1 } })).status, 403);
      assert.equal((await t.call('PUT', '/api/v1/reports/settings', { as: t.users.handler, body: { ch02Basis: 'original' } })).status, 403);
    });
  });
});
