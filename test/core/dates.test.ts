import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addDays,
  addMonths,
  compareDates,
  dayOfWeek,
  daysBetween,
  formatLongDate,
  isValidLocalDate,
  londonDateOf,
  londonStartOfDay,
  londonTimeOf,
  maxDate,
  minDate,
} from '../../src/core/dates.js';

// Dates 2018–2028, generated independently of the code under test.
const localDate = fc
  .date({ min: new Date('2018-01-01T00:00:00Z'), max: new Date('2028-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));

describe('isValidLocalDate', () => {
  test('accepts real dates, including 29 February in leap years', () => {
    for (const d of ['2024-02-29', '2000-02-29', '2025-12-31', '2025-01-01', '0001-01-01', '9999-12-31']) {
      assert.equal(isValidLocalDate(d), true, d);
    }
  });

  test('rejects impossible dates and wrong shapes', () => {
    for (const d of [
      '2025-02-29', '1900-02-29', '2025-02-30', '2025-04-31', '2025-13-01', '2025-00-10', '2025-01-00', '2025-01-32',
      '2025-1-01', '2025-01-1', '25-01-01', '2025/01/01', '2025-01-01T00:00', ' 2025-01-01', '', 'yesterday',
    ]) {
      assert.equal(isValidLocalDate(d), false, JSON.stringify(d));
    }
  });

  test('property: accepts every date produced by addDays', () => {
    fc.assert(fc.property(localDate, fc.integer({ min: -5000, max: 5000 }), (d, n) => isValidLocalDate(addDays(d, n))));
  });

  test('property: rejects out-of-range months and days', () => {
    const year = fc.integer({ min: 0, max: 9999 }).map((y) => String(y).padStart(4, '0'));
    const pad = (n: number) => String(n).padStart(2, '0');
    fc.assert(
      fc.property(year, fc.oneof(fc.constant(0), fc.integer({ min: 13, max: 99 })), fc.integer({ min: 1, max: 28 }), (y, m, d) =>
        !isValidLocalDate(`${y}-${pad(m)}-${pad(d)}`)),
    );
    fc.assert(
      fc.property(year, fc.integer({ min: 1, max: 12 }), fc.oneof(fc.constant(0), fc.integer({ min: 32, max: 99 })), (y, m, d) =>
        !isValidLocalDate(`${y}-${pad(m)}-${pad(d)}`)),
    );
    // Day 31 in a 30-day month, day 30 in February.
    fc.assert(
      fc.property(year, fc.constantFrom(4, 6, 9, 11), (y, m) => !isValidLocalDate(`${y}-${pad(m)}-31`) && isValidLocalDate(`${y}-${pad(m)}-30`)),
    );
    fc.assert(fc.property(year, (y) => !isValidLocalDate(`${y}-02-30`)));
  });
});

describe('calendar arithmetic', () => {
  test('addDays across month, year and leap day, and backwards', () => {
    assert.equal(addDays('2025-01-31', 1), '2025-02-01');
    assert.equal(addDays('2024-02-28', 1), '2024-02-29');
    assert.equal(addDays('2025-02-28', 1), '2025-03-01');
    assert.equal(addDays('2025-12-31', 1), '2026-01-01');
    assert.equal(addDays('2026-01-01', -1), '2025-12-31');
    assert.equal(addDays('2025-03-30', 0), '2025-03-30');
    assert.equal(addDays('2025-03-29', 2), '2025-03-31'); // across the clocks going forward
    assert.equal(addDays('0050-01-01', 1), '0050-01-02'); // years below 100 are not read as 19xx
  });

  test('dayOfWeek', () => {
    assert.equal(dayOfWeek('2025-04-28'), 1); // Monday
    assert.equal(dayOfWeek('2025-04-26'), 6); // Saturday
    assert.equal(dayOfWeek('2025-04-27'), 0); // Sunday
    assert.equal(dayOfWeek('1970-01-01'), 4); // Thursday
    assert.equal(dayOfWeek('1969-12-31'), 3); // Wednesday
    assert.equal(dayOfWeek('2024-02-29'), 4); // Thursday
  });

  test('compareDates, daysBetween, maxDate, minDate', () => {
    assert.equal(compareDates('2025-01-01', '2025-01-02'), -1);
    assert.equal(compareDates('2025-01-02', '2025-01-01'), 1);
    assert.equal(compareDates('2025-01-02', '2025-01-02'), 0);
    assert.equal(daysBetween('2024-01-01', '2025-01-01'), 366);
    assert.equal(daysBetween('2025-01-01', '2024-01-01'), -366);
    assert.equal(daysBetween('2025-03-29', '2025-03-31'), 2);
    assert.equal(maxDate('2025-01-02', '2024-12-31', '2025-06-01'), '2025-06-01');
    assert.equal(minDate('2025-01-02', '2024-12-31', '2025-06-01'), '2024-12-31');
    assert.equal(maxDate('2025-01-02'), '2025-01-02');
  });

  test('addMonths clamps to the end of the month', () => {
    assert.equal(addMonths('2024-01-31', 1), '2024-02-29');
    assert.equal(addMonths('2025-01-31', 1), '2025-02-28');
    assert.equal(addMonths('2025-03-31', -1), '2025-02-28');
    assert.equal(addMonths('2025-08-31', 1), '2025-09-30');
    assert.equal(addMonths('2025-11-15', 2), '2026-01-15');
    assert.equal(addMonths('2025-01-15', -13), '2023-12-15');
    assert.equal(addMonths('2024-02-29', 12), '2025-02-28');
    assert.equal(addMonths('2025-05-10', 0), '2025-05-10');
  });

  test('properties: addDays agrees with daysBetween, dayOfWeek and compareDates', () => {
    fc.assert(
      fc.property(localDate, fc.integer({ min: -3000, max: 3000 }), (d, n) => {
        const e = addDays(d, n);
        assert.equal(daysBetween(d, e), n);
        assert.equal(addDays(e, -n), d);
        assert.equal(compareDates(d, e), n < 0 ? 1 : n > 0 ? -1 : 0);
        assert.equal(dayOfWeek(e), (((dayOfWeek(d) + n) % 7) + 7) % 7);
      }),
    );
  });

  test('property: addMonths lands in the right month, never past its end', () => {
    fc.assert(
      fc.property(localDate, fc.integer({ min: -36, max: 36 }), (d, n) => {
        const e = addMonths(d, n);
        assert.ok(isValidLocalDate(e));
        const months = (Number(e.slice(0, 4)) - Number(d.slice(0, 4))) * 12 + Number(e.slice(5, 7)) - Number(d.slice(5, 7));
        assert.equal(months, n);
        assert.ok(Number(e.slice(8)) <= Number(d.slice(8)));
      }),
    );
  });
});

describe('Europe/London', () => {
  test('londonDateOf and londonTimeOf in GMT and BST', () => {
    assert.equal(londonDateOf(new Date('2025-01-15T23:30:00Z')), '2025-01-15');
    assert.equal(londonTimeOf(new Date('2025-01-15T23:30:00Z')), '23:30');
    assert.equal(londonDateOf(new Date('2025-07-15T23:30:00Z')), '2025-07-16'); // BST: already tomorrow
    assert.equal(londonTimeOf(new Date('2025-07-15T23:30:00Z')), '00:30');
    assert.equal(londonTimeOf(new Date('2025-07-15T00:05:00Z')), '01:05');
    assert.equal(londonTimeOf(new Date('2025-01-15T00:05:00Z')), '00:05');
  });

  test('around the clock changes', () => {
    assert.equal(londonTimeOf(new Date('2025-03-30T00:59:00Z')), '00:59');
    assert.equal(londonTimeOf(new Date('2025-03-30T01:00:00Z')), '02:00'); // clocks go forward
    assert.equal(londonTimeOf(new Date('2025-10-26T00:59:00Z')), '01:59');
    assert.equal(londonTimeOf(new Date('2025-10-26T01:00:00Z')), '01:00'); // clocks go back
  });

  test('londonStartOfDay', () => {
    assert.equal(londonStartOfDay('2025-01-15').toISOString(), '2025-01-15T00:00:00.000Z');
    assert.equal(londonStartOfDay('2025-07-01').toISOString(), '2025-06-30T23:00:00.000Z');
    assert.equal(londonStartOfDay('2025-03-30').toISOString(), '2025-03-30T00:00:00.000Z'); // GMT at midnight
    assert.equal(londonStartOfDay('2025-03-31').toISOString(), '2025-03-30T23:00:00.000Z');
    assert.equal(londonStartOfDay('2025-10-26').toISOString(), '2025-10-25T23:00:00.000Z'); // BST at midnight
    assert.equal(londonStartOfDay('2025-10-27').toISOString(), '2025-10-27T00:00:00.000Z');
  });

  test('property: londonStartOfDay is London midnight and a minute earlier is the day before', () => {
    fc.assert(
      fc.property(localDate, (d) => {
        const start = londonStartOfDay(d);
        assert.equal(londonDateOf(start), d);
        assert.equal(londonTimeOf(start), '00:00');
        assert.equal(londonDateOf(new Date(start.getTime() - 60_000)), addDays(d, -1));
      }),
    );
  });

  test('formatLongDate', () => {
    assert.equal(formatLongDate('2025-04-28'), 'Monday 28 April 2025');
    assert.equal(formatLongDate('2025-01-01'), 'Wednesday 1 January 2025');
    assert.equal(formatLongDate('2024-02-29'), 'Thursday 29 February 2024');
  });
});

describe('input validation', () => {
  test('invalid dates throw RangeError', () => {
    assert.throws(() => addDays('2025-02-30', 1), RangeError);
    assert.throws(() => dayOfWeek('2025-13-01'), RangeError);
    assert.throws(() => compareDates('2025-01-01', '1 Jan 2025'), RangeError);
    assert.throws(() => daysBetween('2025-01-01', ''), RangeError);
    assert.throws(() => addMonths('2025-02-29', 1), RangeError);
    assert.throws(() => maxDate('2025-01-01', 'nope'), RangeError);
    assert.throws(() => londonStartOfDay('2025-04-31'), RangeError);
    assert.throws(() => formatLongDate('2025-4-1'), RangeError);
  });

  test('non-integer counts and invalid instants throw RangeError', () => {
    assert.throws(() => addDays('2025-01-01', 1.5), RangeError);
    assert.throws(() => addDays('2025-01-01', Number.NaN), RangeError);
    assert.throws(() => addMonths('2025-01-01', 0.5), RangeError);
    assert.throws(() => londonDateOf(new Date('not a date')), RangeError);
    assert.throws(() => addDays('9999-12-31', 1), RangeError);
  });
});
