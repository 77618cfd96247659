/** Nunjucks, set up once: our views, GOV.UK Frontend and MOJ Frontend macros, and date filters. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { formatLongDate, londonDateTimeOf, type LocalDate } from '../core/dates.js';
import { GOVUK_DIST, MOJ_ROOT } from './assets.js';
import { formatPounds } from '../core/numbers.js';

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

/**
 * Nunjucks' `Frame.set` splits every name on "." (for `loop.index` and the like) and allocates the
 * pieces, and it runs for every `{% set %}`, loop variable (seven per iteration) and macro
 * argument: GOV.UK Frontend's templates make thousands of these calls per page. This does the same
 * with the pieces split once per name (names come from the templates' source, so they are few).
 * Patched once per process.
 */
const NAME_PARTS = new Map<string, string[]>();
function fastFrameSet() {
  const Frame = (nunjucks as any).runtime?.Frame;
  if (!Frame || Frame.prototype.set.putrightFast) return;
  const original = Frame.prototype.set;
  const set = function (this: any, name: string, val: unknown, resolveUp?: boolean) {
    if (name.indexOf('.') === -1) {
      if (resolveUp) {
        const frame = this.resolve(name, true);
        if (frame) {
          frame.variables[name] = val;
          return;
        }
      }
      this.variables[name] = val;
      return;
    }
    if (resolveUp) return original.call(this, name, val, resolveUp);
    let parts = NAME_PARTS.get(name);
    if (!parts) {
      parts = name.split('.');
      if (NAME_PARTS.size < 10_000) NAME_PARTS.set(name, parts);
    }
    let obj = this.variables;
    for (let i = 0; i < parts.length - 1; i++) obj = obj[parts[i]] || (obj[parts[i]] = {});
    obj[parts[parts.length - 1]] = val;
  };
  set.putrightFast = true;
  Frame.prototype.set = set;
}

/**
 * Every GOV.UK macro includes "./template.njk" relative to itself, so each call resolved the path
 * afresh (path.resolve) before finding the compiled template in the cache. A relative name only
 * ever comes from a template's own source, so the answers are few and fixed: remember them.
 */
function memoiseRelativeNames(env: nunjucks.Environment) {
  const resolved = new WeakMap<object, Map<string, string>>();
  const resolveTemplate = (env as any).resolveTemplate.bind(env);
  (env as any).resolveTemplate = (loader: any, parentName: string | null, filename: string) => {
    if (!parentName || typeof filename !== 'string' || !(filename.startsWith('./') || filename.startsWith('../'))) return resolveTemplate(loader, parentName, filename);
    let byLoader = resolved.get(loader);
    if (!byLoader) resolved.set(loader, (byLoader = new Map()));
    const key = `${parentName}\u0000${filename}`;
    let name = byLoader.get(key);
    if (name === undefined) byLoader.set(key, (name = resolveTemplate(loader, parentName, filename) as string));
    return name;
  };
}

const GOVUK_COMPONENT = /[\\/]govuk[\\/]components[\\/][a-z-]+[\\/]macro\.njk$/;
const KEPT_PARAMS_MAX = 1_000;
const KEPT_ANSWERS_MAX = 500;

/**
 * A GOV.UK component macro's answer depends on its parameters alone (its template reads nothing
 * else), and most calls on a page pass the same short ones every time (a button's text, a field's
 * label and name). Keep the answer per parameters, for calls with one argument (no `caller`)
 * whose parameters are short; anything else runs the macro. At most 500 answers per macro, so
 * what a page showed is not kept for long. On the case page this took rendering from about
 * 1.8 ms of CPU to 0.7–1.0 (issue 9).
 */
function answersKept(exported: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, macro] of Object.entries(exported)) {
    if (typeof macro !== 'function') {
      out[name] = macro;
      continue;
    }
    const answers = new Map<string, unknown>();
    out[name] = function (this: unknown, ...args: unknown[]) {
      if (args.length !== 1 || typeof args[0] !== 'object' || args[0] === null) return macro.apply(this, args);
      let key: string;
      try {
        key = JSON.stringify(args[0]);
      } catch {
        return macro.apply(this, args);
      }
      if (key.length > KEPT_PARAMS_MAX) return macro.apply(this, args);
      const kept = answers.get(key);
      if (kept !== undefined) return kept;
      const answer = macro.apply(this, args);
      if (answers.size >= KEPT_ANSWERS_MAX) answers.clear();
      answers.set(key, answer);
      return answer;
    };
  }
  return out;
}

/**
 * `{% from "x" import y %}` (without "with context") runs x's whole top level to collect its
 * macros, every time the line runs. GOV.UK Frontend's component templates open with three or four
 * such imports and run once per macro call, so a page of forms ran hundreds of top levels: on the
 * worklists and the case page that was most of the time spent rendering (issue 9). Without a
 * context the answer depends on nothing but the template, so keep it on the (cached) template.
 * The macros it holds keep no state between calls: each call starts a new frame.
 */
function memoiseExports() {
  const Template = (nunjucks as any).Template;
  if (!Template || Template.prototype.getExported.putrightMemo) return;
  const original = Template.prototype.getExported;
  const getExported = function (this: any, ctx: unknown, parentFrame: unknown, cb: unknown) {
    if (typeof ctx !== 'function' || parentFrame !== undefined) return original.call(this, ctx, parentFrame, cb);
    const done = ctx as (err: unknown, exported: unknown) => void;
    if (this.putrightExports) return done(null, this.putrightExports);
    return original.call(this, (err: unknown, exported: Record<string, unknown>) => {
      if (err) return done(err, exported);
      this.putrightExports = GOVUK_COMPONENT.test(String(this.path ?? '')) ? answersKept(exported) : exported;
      done(null, this.putrightExports);
    });
  };
  getExported.putrightMemo = true;
  getExported.unmemoised = original;
  Template.prototype.getExported = getExported;
}

export function createViews(): nunjucks.Environment {
  fastFrameSet();
  memoiseExports();
  const env = nunjucks.configure([path.join(here, 'views'), GOVUK_DIST, MOJ_ROOT], { autoescape: true, throwOnUndefined: false, noCache: process.env.NODE_ENV === 'development' && process.env.PUTRIGHT_VIEW_RELOAD === 'true' });
  memoiseRelativeNames(env);
  env.addFilter('longDate', (d: LocalDate | null) => (d ? formatLongDate(d) : ''));
  env.addFilter('shortDate', shortDate);
  env.addFilter('dateTime', dateTime);
  env.addFilter('workingDays', workingDaysLabel);
  env.addFilter('dueTag', (status: string) => DUE_TAGS[status] ?? { text: status, classes: 'govuk-tag--grey' });
  env.addFilter('pounds', (pence: number | null | undefined) => (pence === null || pence === undefined ? '' : formatPounds(pence)));
  env.addFilter('humanise', (s: string | null | undefined) => (s ? s.charAt(0).toUpperCase() + s.slice(1).replace(/_/g, ' ') : ''));
  return env;
}
