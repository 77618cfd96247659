/**
 * Stylesheets and scripts, prepared once at start-up. GOV.UK Frontend's CSS is served without
 * the GDS Transport font (a landlord is not GOV.UK): its @font-face rules are dropped and the
 * font falls back to the system sans-serif. Colours come from settings as CSS custom properties.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import crypto from 'node:crypto';

const require = createRequire(import.meta.url);
const govukDir = path.dirname(require.resolve('govuk-frontend/package.json'));
const mojDir = path.dirname(require.resolve('@ministryofjustice/frontend/package.json'));

export const GOVUK_DIST = path.join(govukDir, 'dist');
export const MOJ_ROOT = mojDir;

export interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

function asset(body: string | Buffer, type: string): Asset {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  return { body: b, type, etag: `"${crypto.createHash('sha1').update(b).digest('hex').slice(0, 16)}"` };
}

const APP_CSS = `
/* Putright: the landlord's own look on GOV.UK Frontend patterns. */
.app-header { background: var(--app-brand, #1d5c4d); color: #fff; border-bottom: 10px solid var(--app-brand-dark, #0f3d33); }
.app-header__inner { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 10px; padding: 12px 0; }
.app-header__name { color: #fff; font-weight: 700; font-size: 1.25rem; text-decoration: none; }
.app-header__name:link, .app-header__name:visited { color: #fff; }
/* GOV.UK's focus style (yellow, black text, thick underline): black text alone on the brand colour was hard to read. */
.app-header__name:focus { outline: 3px solid transparent; color: #0b0c0c; background-color: #ffdd00; box-shadow: 0 -2px #ffdd00, 0 4px #0b0c0c; text-decoration: none; }
.app-header__logo { max-height: 40px; vertical-align: middle; margin-right: 10px; }
.app-header__user { color: #fff; margin: 0; }
.app-header__user .govuk-link:link, .app-header__user .govuk-link:visited { color: #fff; }
.app-header__user .govuk-link:focus { color: #0b0c0c; }
.app-signout { display: inline; }
.app-signout button { background: none; border: 0; padding: 0; color: #fff; text-decoration: underline; cursor: pointer; font: inherit; }
.app-signout button:focus { outline: 3px solid transparent; background: #ffdd00; color: #0b0c0c; box-shadow: 0 -2px #ffdd00, 0 4px #0b0c0c; text-decoration: none; }
.app-alerts { border-left: 10px solid #d4351c; padding: 15px; margin-bottom: 20px; background: #fef7f7; }
.app-alerts--info { border-left-color: var(--app-brand, #1d5c4d); background: #f3f2f1; }
.app-due--overdue { color: #942514; font-weight: 700; }
.app-table-scroll { overflow-x: auto; }
.app-letter-text { white-space: pre-wrap; }
.app-template-text { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 16px; }
.app-logo-preview { max-width: 240px; max-height: 80px; }
.app-field-list dt { margin-top: 10px; } .app-field-list dd { margin: 0 0 5px; } .app-field-list code, .govuk-list code { font-size: 14px; overflow-wrap: anywhere; }
.app-counts { display: flex; flex-wrap: wrap; gap: 10px 25px; padding: 0; list-style: none; }
.app-counts li { margin: 0; }
.app-filters { background: #f3f2f1; padding: 15px 15px 0; margin-bottom: 25px; }
.app-filters .govuk-form-group { margin-bottom: 15px; }
.app-filters__row { display: flex; flex-wrap: wrap; gap: 0 20px; align-items: flex-end; }
.app-filters__row > * { flex: 1 1 180px; min-width: 0; }
/* GOV.UK selects have a min-width of 11.5em; in 180px filter columns (200% zoom) they overlapped each other. */
.app-filters select { width: 100%; min-width: 0; }
/* A secondary button is grey like the filter panel, which hid its edges: give it a white face there. */
.app-filters .govuk-button--secondary { background-color: #fff; }
.app-filters .govuk-button--secondary:hover { background-color: #dbdad9; }
/* On small screens each table row becomes a card with labelled cells. */
@media (max-width: 40.0525em) {
  .app-responsive-table caption { display: block; }
  /* Visually hidden; display:block because overflow does nothing on a table-header-group, so its
     sort buttons still stuck out to the right and the page scrolled sideways. */
  .app-responsive-table thead { display: block; position: absolute; width: 1px; height: 1px; margin: 0; padding: 0; overflow: hidden; clip: rect(0 0 0 0); clip-path: inset(50%); white-space: nowrap; border: 0; }
  .app-responsive-table, .app-responsive-table tbody, .app-responsive-table tr, .app-responsive-table td { display: block; width: 100%; }
  .app-responsive-table tr { border-bottom: 1px solid #b1b4b6; padding: 10px 0; }
  .app-responsive-table td { border: 0; padding: 2px 0; }
  .app-responsive-table td[data-label]::before { content: attr(data-label); display: block; font-weight: 700; }
}
/* Reflow (WCAG 1.4.10): on narrow screens and at high zoom a long word may break rather than push a table wider than the page. */
@media (max-width: 40.0525em) {
  .govuk-table__header, .govuk-table__cell { overflow-wrap: anywhere; }
}
.app-inline-form { display: inline; }
/* The case page's contents: a row of links under the heading, so on a phone the actions (which come after the details) are one tap away. */
.app-case-contents__list { display: flex; flex-wrap: wrap; gap: 0 20px; margin-bottom: 20px; }
.app-case-contents__list li { margin-bottom: 5px; }
.app-summary-key { width: 40%; }
.app-footer { background: #f3f2f1; border-top: 1px solid #b1b4b6; padding: 25px 0; }
.govuk-template, body, button, input, select, textarea { font-family: arial, sans-serif; }
@media print { .app-header { background: none; color: #0b0c0c; } }
`;

function stripFonts(css: string): string {
  return css.replace(/@font-face\{[^}]*\}/g, '').replace(/GDS Transport,/g, '').replace(/font-family:GDS Transport;/g, 'font-family:arial,sans-serif;');
}

let cache: Map<string, Asset> | null = null;

export function assets(): Map<string, Asset> {
  if (cache) return cache;
  const govukCss = stripFonts(fs.readFileSync(path.join(GOVUK_DIST, 'govuk/govuk-frontend.min.css'), 'utf8'));
  const mojCss = stripFonts(fs.readFileSync(path.join(MOJ_ROOT, 'moj/moj-frontend.min.css'), 'utf8'));
  cache = new Map([
    ['/assets/app.css', asset(`${govukCss}\n${mojCss}\n${APP_CSS}`, 'text/css; charset=utf-8')],
    ['/assets/govuk-frontend.min.js', asset(fs.readFileSync(path.join(GOVUK_DIST, 'govuk/govuk-frontend.min.js')), 'text/javascript; charset=utf-8')],
    ['/assets/moj-frontend.min.js', asset(fs.readFileSync(path.join(MOJ_ROOT, 'moj/moj-frontend.min.js')), 'text/javascript; charset=utf-8')],
    ['/assets/app.js', asset(`import { initAll } from '/assets/govuk-frontend.min.js';\nimport { initAll as initMoj } from '/assets/moj-frontend.min.js';\ninitAll();\ninitMoj();\n`, 'text/javascript; charset=utf-8')],
  ]);
  return cache;
}
