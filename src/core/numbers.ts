/**
 * Numbers and money as people read them in England: 12,345 and £1,234.50. Written out rather than
 * through `toLocaleString('en-GB')`, which goes through Intl and cost a case page or a dashboard a
 * noticeable share of its time; test/core/numbers.test.ts checks it against Intl.
 */

/** A whole number with thousands separated by commas: 1234567 → "1,234,567"; others as Intl rounds them to 3 places. */
export function formatCount(n: number): string {
  if (!Number.isSafeInteger(n)) return n.toLocaleString('en-GB');
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}

/**
 * Whole pence as pounds: £1,234.50. With `pence: 'when-needed'`, whole pounds drop the pence
 * (£350); otherwise they are always shown (£350.00).
 */
export function formatPounds(pence: number, opts: { pence?: 'always' | 'when-needed' } = {}): string {
  if (!Number.isSafeInteger(pence)) {
    const whole = opts.pence === 'when-needed' && pence % 100 === 0;
    return `£${(pence / 100).toLocaleString('en-GB', { minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: 2 })}`;
  }
  const abs = Math.abs(pence);
  const pounds = Math.floor(abs / 100);
  const rest = abs % 100;
  const sign = pence < 0 ? '-' : '';
  if (opts.pence === 'when-needed' && rest === 0) return `${sign}£${formatCount(pounds)}`;
  return `${sign}£${formatCount(pounds)}.${String(rest).padStart(2, '0')}`;
}
