import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { WorkingDayCalendar, type Division } from '../../src/core/calendar.js';
import { addDays, compareDates } from '../../src/core/dates.js';

const DIVISIONS: Division[] = ['england-and-wales', 'scotland', 'northern-ireland'];
const ew = new WorkingDayCalendar({ division: 'england-and-wales' });
const sc = new WorkingDayCalendar({ division: 'scotland' });
const ni = new WorkingDayCalendar({ division: 'northern-ireland' });

const ORACLE = new URL('../../../shared/reference/uk-bank-holidays-2018-2028.json', import.meta.url);

describe('agrees with GOV.UK bank holidays 2018–2028', () => {
  test('oracle: the non-working weekdays are exactly the GOV.UK bank holidays', (t) => {
    if (!existsSync(ORACLE)) {
      t.skip(`GOV.UK oracle not found at ${ORACLE.pathname}; skipping`);
      return;
    }
    const oracle = JSON.parse(readFileSync(ORACLE, 'utf8')) as { divisions: Record<Division, { date: string }[]> };
    for (const division of DIVISIONS) {
      const cal = new WorkingDayCalendar({ division });
      const govuk = new Set(oracle.divisions[division].map((e) => e.date));
      assert.ok(govuk.size > 80, `${division}: oracle looks empty`);
      for (const d of govuk) {
        assert.equal(cal.isWorkingDay(d), false, `${division}: GOV.UK bank holiday ${d} is a working day in our calendar`);
        assert.notEqual(cal.holidayName(d), null, `${division}: ${d} has no holiday name`);
      }
      for (let d = '2018-01-01'; d <= '2028-12-31'; d = addDays(d, 1)) {
        const dow = new Date(`${d}T00:00:00Z`).getUTCDay();
        if (dow === 0 || dow === 6) {
          assert.equal(cal.isWorkingDay(d), false, `${division}: weekend ${d} counted as a working day`);
        } else if (!cal.isWorkingDay(d)) {
          assert.ok(govuk.has(d), `${division}: weekday ${d} (${cal.holidayName(d)}) is not a GOV.UK bank holiday`);
        }
      }
    }
  });
});

describe('worked examples', () => {
  test('rules.md §2: received Thursday 17 April 2025, Easter follows → Monday 28 April 2025', () => {
    assert.equal(ew.addWorkingDays('2025-04-17', 5), '2025-04-28');
    assert.equal(ew.workingDaysBetween('2025-04-17', '2025-04-28'), 5);
    assert.equal(ew.holidayName('2025-04-18'), 'Good Friday');
    assert.equal(ew.holidayName('2025-04-21'), 'Easter Monday');
    assert.equal(ew.nextWorkingDay('2025-04-17'), '2025-04-22');
  });

  test('received on a Saturday counts as Monday: 5 working days is the following Monday week', () => {
    assert.equal(ew.effectiveStartDate('2025-06-07'), '2025-06-09');
    assert.equal(ew.addWorkingDays('2025-06-07', 5), '2025-06-16');
    assert.equal(ew.addWorkingDays('2025-06-07', 0), '2025-06-09');
    assert.equal(ew.addWorkingDays('2025-06-09', 0), '2025-06-09');
  });

  test('Christmas and New Year: Tuesday 23 December 2025 + 5', () => {
    // 24 Dec (1), 25–26 bank holidays, weekend, 29 (2), 30 (3), 31 (4), 1 Jan bank holiday, 2 Jan (5)
    assert.equal(ew.addWorkingDays('2025-12-23', 5), '2026-01-02');
    assert.equal(ni.addWorkingDays('2025-12-23', 5), '2026-01-02');
    // Scotland also has 2 January.
    assert.equal(sc.addWorkingDays('2025-12-23', 5), '2026-01-05');
  });

  test('Scotland only: St Andrew’s Day substitute, Monday 1 December 2025', () => {
    assert.equal(ew.addWorkingDays('2025-11-27', 5), '2025-12-04');
    assert.equal(sc.addWorkingDays('2025-11-27', 5), '2025-12-05');
    assert.equal(sc.isWorkingDay('2025-12-01'), false);
    assert.equal(ew.isWorkingDay('2025-12-01'), true);
  });

  test('Northern Ireland only: St Patrick’s Day and the Battle of the Boyne substitute', () => {
    // Monday 17 March 2025
    assert.equal(ew.addWorkingDays('2025-03-14', 5), '2025-03-21');
    assert.equal(ni.addWorkingDays('2025-03-14', 5), '2025-03-24');
    // 12 July 2025 is a Saturday; Monday 14 July is the substitute in Northern Ireland.
    assert.equal(ew.addWorkingDays('2025-07-11', 1), '2025-07-14');
    assert.equal(ni.addWorkingDays('2025-07-11', 1), '2025-07-15');
    assert.equal(sc.addWorkingDays('2025-07-11', 1), '2025-07-14');
  });

  test('State Funeral of Queen Elizabeth II, Monday 19 September 2022, in every division', () => {
    for (const cal of [ew, sc, ni]) {
      assert.equal(cal.isWorkingDay('2022-09-19'), false);
      assert.match(cal.holidayName('2022-09-19') ?? '', /Funeral/);
      assert.equal(cal.addWorkingDays('2022-09-16', 5), '2022-09-26');
    }
    // And the 2023 Coronation.
    assert.equal(ew.isWorkingDay('2023-05-08'), false);
  });

  test('a landlord closure day moves the deadline', () => {
    const closed = new WorkingDayCalendar({ division: 'england-and-wales', closureDays: ['2025-06-13'] });
    assert.equal(ew.addWorkingDays('2025-06-09', 5), '2025-06-16');
    assert.equal(closed.addWorkingDays('2025-06-09', 5), '2025-06-17');
    assert.equal(closed.holidayName('2025-06-13'), 'Landlord closure day');
    assert.equal(closed.isWorkingDay('2025-06-13'), false);
    // A Christmas shutdown between the bank holidays.
    const shutdown = new WorkingDayCalendar({ division: 'england-and-wales', closureDays: ['2025-12-29', '2025-12-30', '2025-12-31'] });
    assert.equal(shutdown.addWorkingDays('2025-12-23', 5), '2026-01-07');
    // A bank holiday's own name wins over the closure day.
    const overlap = new WorkingDayCalendar({ division: 'england-and-wales', closureDays: ['2025-12-25'] });
    assert.equal(overlap.holidayName('2025-12-25'), 'Christmas Day');
  });

  test('cut-off 17:00 London time, in GMT and BST', () => {
    const cal = new WorkingDayCalendar({ division: 'england-and-wales', cutoffTime: '17:00' });
    // GMT (Wednesday 15 January 2025): London time = UTC.
    assert.equal(cal.receiptDate(new Date('2025-01-15T16:59:00Z')), '2025-01-15');
    assert.equal(cal.receiptDate(new Date('2025-01-15T17:00:00Z')), '2025-01-16');
    // BST (Wednesday 16 July 2025): London time = UTC + 1.
    assert.equal(cal.receiptDate(new Date('2025-07-16T15:59:00Z')), '2025-07-16');
    assert.equal(cal.receiptDate(new Date('2025-07-16T16:00:00Z')), '2025-07-17');
    // Without a cut-off, 17:00 is still the same day.
    assert.equal(ew.receiptDate(new Date('2025-07-16T16:00:00Z')), '2025-07-16');
    // After the cut-off on a Friday counts as Monday.
    assert.equal(cal.receiptDate(new Date('2025-07-18T16:00:00Z')), '2025-07-21');
    // After the cut-off on Maundy Thursday: Friday is Good Friday, so received Tuesday 22 April.
    assert.equal(cal.receiptDate(new Date('2025-04-17T16:00:00Z')), '2025-04-22');
    assert.equal(cal.deadlineFrom(new Date('2025-04-17T16:00:00Z'), 5), '2025-04-29');
    assert.equal(cal.deadlineFrom(new Date('2025-04-17T15:59:00Z'), 5), '2025-04-28');
  });

  test('23:30 UTC on a BST day is already the next day in London', () => {
    assert.equal(ew.receiptDate(new Date('2025-07-16T23:30:00Z')), '2025-07-17');
    assert.equal(ew.deadlineFrom(new Date('2025-07-16T23:30:00Z'), 5), '2025-07-24');
    // 23:30 UTC on a Friday in BST is Saturday in London, so received Monday.
    assert.equal(ew.receiptDate(new Date('2025-07-18T23:30:00Z')), '2025-07-21');
    // In GMT, 23:30 UTC is the same day (unless after a cut-off).
    assert.equal(ew.receiptDate(new Date('2025-01-15T23:30:00Z')), '2025-01-15');
    const cal = new WorkingDayCalendar({ division: 'england-and-wales', cutoffTime: '17:00' });
    assert.equal(cal.receiptDate(new Date('2025-01-15T23:30:00Z')), '2025-01-16');
    assert.equal(cal.receiptDate(new Date('2025-07-16T23:30:00Z')), '2025-07-17'); // 00:30 is before the cut-off
  });

  test('workingDaysBetween is signed and zero on the same day', () => {
    assert.equal(ew.workingDaysBetween('2025-04-28', '2025-04-17'), -5);
    assert.equal(ew.workingDaysBetween('2025-04-17', '2025-04-17'), 0);
    assert.equal(ew.workingDaysBetween('2025-04-18', '2025-04-21'), 0);
    assert.equal(ew.workingDaysBetween('2025-12-31', '2026-01-02'), 1);
  });

  test('bankHolidays lists weekday and weekend bank holidays only', () => {
    const list = ew.bankHolidays(2022);
    const dates = list.map((h) => h.date);
    assert.ok(dates.includes('2022-06-03')); // Platinum Jubilee
    assert.ok(dates.includes('2022-09-19')); // State Funeral
    assert.ok(dates.includes('2022-12-25')); // a Sunday
    assert.ok(dates.includes('2022-12-27')); // its substitute
    assert.ok(!dates.includes('2022-04-17')); // Easter Sunday is an observance
    assert.deepEqual(dates, [...dates].sort());
    list[0].name = 'changed'; // callers get a copy
    assert.notEqual(ew.bankHolidays(2022)[0].name, 'changed');
    assert.ok(sc.bankHolidays(2025).some((h) => h.date === '2025-12-01'));
    assert.ok(!ew.bankHolidays(2025).some((h) => h.date === '2025-12-01'));
  });
});

describe('properties', () => {
  const dayNumber = fc.integer({ min: 0, max: 4017 }); // 2018-01-01 … 2028-12-31
  const date = dayNumber.map((n) => addDays('2018-01-01', n));
  const calendar = fc
    .record({ division: fc.constantFrom(...DIVISIONS), closureDays: fc.array(date, { maxLength: 20 }) })
    .map((s) => new WorkingDayCalendar(s));
  const count = fc.integer({ min: 0, max: 60 });

  test('the result is a working day and exactly n working days after the effective start', () => {
    fc.assert(
      fc.property(calendar, date, count, (cal, s, n) => {
        const r = cal.addWorkingDays(s, n);
        assert.ok(cal.isWorkingDay(r), `${r} is not a working day`);
        assert.equal(cal.workingDaysBetween(cal.effectiveStartDate(s), r), n);
        assert.equal(cal.workingDaysBetween(r, cal.effectiveStartDate(s)), 0 - n);
        assert.ok(compareDates(r, s) >= 0);
      }),
    );
  });

  test('monotonic in the start date and in n', () => {
    fc.assert(
      fc.property(calendar, date, date, count, count, (cal, a, b, n1, n2) => {
        const [s1, s2] = a <= b ? [a, b] : [b, a];
        const [m1, m2] = n1 <= n2 ? [n1, n2] : [n2, n1];
        assert.ok(cal.addWorkingDays(s1, m1) <= cal.addWorkingDays(s2, m1));
        assert.ok(cal.addWorkingDays(s1, m1) <= cal.addWorkingDays(s1, m2));
      }),
    );
  });

  test('n = 0 gives the effective start; nextWorkingDay is the next working day strictly after', () => {
    fc.assert(
      fc.property(calendar, date, (cal, d) => {
        const e = cal.effectiveStartDate(d);
        assert.equal(cal.addWorkingDays(d, 0), e);
        assert.ok(cal.isWorkingDay(e));
        assert.equal(e === d, cal.isWorkingDay(d));
        const next = cal.nextWorkingDay(d);
        assert.ok(next > d && cal.isWorkingDay(next));
        for (let x = addDays(d, 1); x < next; x = addDays(x, 1)) assert.ok(!cal.isWorkingDay(x));
        assert.equal(cal.addWorkingDays(d, 1), cal.nextWorkingDay(e));
      }),
    );
  });

  test('workingDaysBetween is additive and antisymmetric', () => {
    fc.assert(
      fc.property(calendar, date, date, date, (cal, a, b, c) => {
        assert.equal(cal.workingDaysBetween(a, b) + cal.workingDaysBetween(b, c), cal.workingDaysBetween(a, c));
        assert.equal(cal.workingDaysBetween(a, b), 0 - cal.workingDaysBetween(b, a));
      }),
    );
  });

  test('closure days are never working days, and only add to the deadline', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DIVISIONS), fc.array(date, { maxLength: 20 }), date, count, (division, closureDays, s, n) => {
        const plain = new WorkingDayCalendar({ division });
        const closed = new WorkingDayCalendar({ division, closureDays });
        for (const d of closureDays) assert.equal(closed.isWorkingDay(d), false);
        assert.ok(plain.addWorkingDays(s, n) <= closed.addWorkingDays(s, n));
      }),
    );
  });
});

describe('input validation', () => {
  test('invalid dates throw RangeError', () => {
    assert.throws(() => ew.isWorkingDay('2025-02-30'), RangeError);
    assert.throws(() => ew.addWorkingDays('2025-4-17', 5), RangeError);
    assert.throws(() => ew.workingDaysBetween('2025-04-17', '2025-04-31'), RangeError);
    assert.throws(() => ew.holidayName('tomorrow'), RangeError);
    assert.throws(() => ew.nextWorkingDay(''), RangeError);
    assert.throws(() => ew.effectiveStartDate('2025-13-01'), RangeError);
    assert.throws(() => new WorkingDayCalendar({ division: 'england-and-wales', closureDays: ['2025-02-29'] }), RangeError);
  });

  test('negative or non-integer n throws RangeError', () => {
    assert.throws(() => ew.addWorkingDays('2025-04-17', -1), RangeError);
    assert.throws(() => ew.addWorkingDays('2025-04-17', 1.5), RangeError);
    assert.throws(() => ew.addWorkingDays('2025-04-17', Number.NaN), RangeError);
    assert.throws(() => ew.deadlineFrom(new Date('2025-04-17T10:00:00Z'), -5), RangeError);
  });

  test('invalid cut-off, division or instant throws RangeError', () => {
    for (const cutoffTime of ['25:00', '17:0', '5pm', '17:60', '1700', '']) {
      assert.throws(() => new WorkingDayCalendar({ division: 'england-and-wales', cutoffTime }), RangeError, cutoffTime);
    }
    assert.doesNotThrow(() => new WorkingDayCalendar({ division: 'scotland', cutoffTime: null }));
    assert.throws(() => new WorkingDayCalendar({ division: 'wales' as Division }), RangeError);
    assert.throws(() => ew.receiptDate(new Date('not a date')), RangeError);
  });
});

describe('workingDaysBetween remembers its answers without changing them', () => {
  // The plain count: working days d with from < d <= to (negative when to is before from).
  const plain = (cal: WorkingDayCalendar, from: string, to: string) => {
    let n = 0;
    const [lo, hi, sign] = compareDates(from, to) <= 0 ? [from, to, 1] : [to, from, -1];
    for (let d = addDays(lo, 1); compareDates(d, hi) <= 0; d = addDays(d, 1)) if (cal.isWorkingDay(d)) n++;
    return sign * n || 0;
  };

  test('asked again, and after more than its 10,000 remembered spans, it gives the plain count', () => {
    const cal = new WorkingDayCalendar({ division: 'england-and-wales', closureDays: ['2025-12-29'] });
    const from = '2025-11-03';
    const firsts = new Map<string, number>();
    for (let i = -400; i <= 400; i += 7) {
      const to = addDays(from, i);
      firsts.set(to, cal.workingDaysBetween(from, to));
      assert.equal(firsts.get(to), plain(cal, from, to), `${from} → ${to}`);
    }
    // More distinct spans than it keeps: it forgets and counts again, never answering wrongly.
    for (let i = 0; i < 10_050; i++) cal.workingDaysBetween('2019-01-01', addDays('2019-01-01', i - 5000));
    for (const [to, n] of firsts) assert.equal(cal.workingDaysBetween(from, to), n, `again ${from} → ${to}`);
  });
});
