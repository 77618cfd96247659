/** Pure pieces of the reports: reporting years, CSV reading and writing, survey checks, charts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ZodError } from 'zod';
import { csvField, parseCsv, toCsv } from '../../src/core/csv.js';
import { monthsOf, per1000, percent, previousPeriod, reportingYear, reportingYearOf } from '../../src/core/measures.js';
import { parseSurveyCsv } from '../../src/services/reports.js';
import { barChart, monthChart } from '../../src/web/charts.js';

test('reporting years run 1 April to 31 March', () => {
  assert.deepEqual(reportingYear(2025), { year: 2025, label: '2025/26', from: '2025-04-01', to: '2026-03-31' });
  assert.equal(reportingYear(2099).label, '2099/00');
  assert.equal(reportingYearOf('2026-03-31'), 2025);
  assert.equal(reportingYearOf('2026-04-01'), 2026);
  assert.throws(() => reportingYear(1999));
});

test('rates and shares round as published, and say nothing without a divisor', () => {
  assert.equal(percent(2, 7), 28.6);
  assert.equal(percent(4, 7), 57.1);
  assert.equal(percent(0, 0), null);
  assert.equal(per1000(10, 2500), 4);
  assert.equal(per1000(1, 3000), 0.33);
  assert.equal(per1000(5, null), null);
  assert.equal(per1000(5, 0), null);
});

test('months and the previous period of the same length', () => {
  assert.deepEqual(monthsOf('2025-11-15', '2026-02-01'), ['2025-11', '2025-12', '2026-01', '2026-02']);
  assert.deepEqual(previousPeriod('2025-04-01', '2026-03-31'), { from: '2024-04-01', to: '2025-03-31' });
  assert.deepEqual(previousPeriod('2025-06-01', '2025-06-30'), { from: '2025-05-02', to: '2025-05-31' });
});

test('CSV: quotes, commas, new lines and a byte-order mark read back; formulas are never written as formulas', () => {
  const csv = toCsv(['a', 'b'], [['x, y', 'say "hi"'], ['line\nbreak', '=HYPERLINK("http://evil")'], [null, 3]]);
  assert.deepEqual(parseCsv(`\ufeff${csv}`), [['a', 'b'], ['x, y', 'say "hi"'], ['line\nbreak', `'=HYPERLINK("http://evil")`], ['', '3']]);
  assert.equal(csvField('+44 20'), "'+44 20");
  assert.equal(csvField(-5), '-5', 'numbers are numbers');
});

test('a survey file: every bad row and field is named, up to fifty problems', () => {
  const header = 'respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction';
  const rows = Array.from({ length: 80 }, (_, i) => `R${i},2025-02-30,LCRA,yes,very_satisfied`);
  try {
    parseSurveyCsv([header, ...rows].join('\n'));
    assert.fail('should refuse');
  } catch (e) {
    assert.ok(e instanceof ZodError);
    assert.equal(e.issues.length, 50);
    assert.equal(e.issues[0].message, 'Row 2, surveyed_on: "2025-02-30" is not a real date written YYYY-MM-DD');
  }
  const ok = parseSurveyCsv(`Tenure,Surveyed_On,respondent_ref,complained_last_12_months,complaints_handling_satisfaction,extra\r\nlcho,2025-05-01,A1,N,,ignored\r\n`);
  assert.deepEqual(ok, [{ respondentRef: 'A1', surveyedOn: '2025-05-01', tenure: 'LCHO', complainedLast12Months: false, answer: null }]);
});

test('charts: an image with a title and a description of every value; labels are escaped', () => {
  const svg = barChart({ id: 'c1', title: 'By area', items: [{ label: '<script>alert(1)</script>', value: 3 }, { label: 'Repairs & gas', value: 1 }], colour: '#1d5c4d' });
  assert.match(svg, /role="img" aria-labelledby="c1-title c1-desc"/);
  assert.match(svg, /<title id="c1-title">By area<\/title>/);
  assert.match(svg, /<desc id="c1-desc">&lt;script&gt;alert\(1\)&lt;\/script&gt;: 3; Repairs &amp; gas: 1<\/desc>/);
  assert.doesNotMatch(svg, /<script>/);
  const empty = barChart({ id: 'c2', title: 'Nothing', items: [], colour: '#000000' });
  assert.match(empty, /<desc id="c2-desc">No data in this period<\/desc>/);
  const m = monthChart({ id: 'm', title: 'By month', months: [{ label: 'April 2025', a: 3, b: 1 }], seriesA: 'Stage 1', seriesB: 'Stage 2', colour: '#1d5c4d' });
  assert.match(m, /<desc id="m-desc">April 2025: Stage 1 3, Stage 2 1<\/desc>/);
});
