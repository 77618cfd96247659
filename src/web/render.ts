/** Nunjucks, set up once: our views, GOV.UK Frontend and MOJ Frontend macros, and date filters. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { formatLongDate, londonDateTimeOf, type LocalDate } from '../core/dates.js';
import { GOVUK_DIST, MOJ_ROOT } from './assets.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function shortDate(d: LocalDate | null | undefined): string {
  if (!d) return '';
  const [y, m, day] = d.split('-').map(Number);
  return `${day} ${MONTHS[m - 1].slice(0, 3)} ${y}`;
}

export function dateTime(iso: string | Date | null | undefined): string {
  if (!iso) return '';
  const { date, time } = londonDateTimeOf(new Date(iso));
  const [h, m] = time.split(':').map(Number);
  const hour12 = h % 12 === 0 ? 12 : h % 12;
  return `${shortDate(date)}, ${hour12}:${String(m).padStart(2, '0')}${h < 12 ? 'am' : 'pm'}`;
}

export function workingDaysLabel(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  if (n === 0) return 'due today';
  if (n > 0) return `${n} working ${n === 1 ? 'day' : 'days'} left`;
  return `${-n} working ${n === -1 ? 'day' : 'days'} overdue`;
}

export const DUE_TAGS: Record<string, { text: string; classes: string }> = {
  overdue: { text: 'Overdue', classes: 'govuk-tag--red' },
  due_today: { text: 'Due today', classes: 'govuk-tag--orange' },
  due_soon: { text: 'Due within 2 working days', classes: 'govuk-tag--yellow' },
  on_track: { text: 'On track', classes: 'govuk-tag--green' },
};

export function createViews(): nunjucks.Environment {
  const env = nunjucks.configure([path.join(here, 'views'), GOVUK_DIST, MOJ_ROOT], { autoescape: true, throwOnUndefined: false, noCache: process.env.NODE_ENV === 'development' && process.env.PUTRIGHT_VIEW_RELOAD === 'true' });
  env.addFilter('longDate', (d: LocalDate | null) => (d ? formatLongDate(d) : ''));
  env.addFilter('shortDate', shortDate);
  env.addFilter('dateTime', dateTime);
  env.addFilter('workingDays', workingDaysLabel);
  env.addFilter('dueTag', (status: string) => DUE_TAGS[status] ?? { text: status, classes: 'govuk-tag--grey' });
  env.addFilter('pounds', (pence: number | null | undefined) => (pence === null || pence === undefined ? '' : `£${(pence / 100).toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`));
  env.addFilter('humanise', (s: string | null | undefined) => (s ? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ') : ''));
  return env;
}
