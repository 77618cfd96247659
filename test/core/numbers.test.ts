import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatCount, formatPounds } from '../../src/core/numbers.js';

test('counts read as Intl writes them in en-GB, for any whole number', () => {
  fc.assert(fc.property(fc.integer({ min: -1e12, max: 1e12 }), (n) => formatCount(n) === n.toLocaleString('en-GB')), { numRuns: 2000 });
  assert.equal(formatCount(0), '0');
  assert.equal(formatCount(999), '999');
  assert.equal(formatCount(1000), '1,000');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount(-4000), '-4,000');
  assert.equal(formatCount(2.5), (2.5).toLocaleString('en-GB'), 'not whole: as Intl');
});

test('pounds from pence read as Intl writes them, always with pence or only when needed', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1e11, max: 1e11 }), (p) => {
      const always = `£${(p / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
      const needed = `£${(p / 100).toLocaleString('en-GB', { minimumFractionDigits: p % 100 === 0 ? 0 : 2, maximumFractionDigits: 2 })}`;
      // Intl writes a negative amount as £-1.50; we write -£1.50, as people do.
      const fix = (s: string) => s.replace(/^£-/, '-£');
      return formatPounds(p) === fix(always) && formatPounds(p, { pence: 'when-needed' }) === fix(needed);
    }),
    { numRuns: 2000 },
  );
  assert.equal(formatPounds(35000), '£350.00');
  assert.equal(formatPounds(35000, { pence: 'when-needed' }), '£350');
  assert.equal(formatPounds(123456, { pence: 'when-needed' }), '£1,234.56');
  assert.equal(formatPounds(5), '£0.05');
  assert.equal(formatPounds(-150), '-£1.50');
});
