/**
 * Screenshots of the worklist and the case page for people to look at, at 1280 px, at 200% zoom
 * (a 640 px viewport: what a 1280 px screen shows zoomed to 200%), at 375 px (a phone) and at
 * 320 px (1280 px at 400% zoom, WCAG 1.4.10 Reflow). Saved in test-results/screenshots/
 * (gitignored). At every width, nothing may need scrolling sideways.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { acknowledgeBody, respondBody, seedComplaint, step, type Seeded } from './support/seed.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WorkPage } from './pages/work-page.js';
import { CasePage } from './pages/case-page.js';

const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-results/screenshots');

const WIDTHS = [
  { name: '1280', width: 1280 },
  { name: '1280-zoom200', width: 640 },
  { name: '375', width: 375 },
  { name: '320', width: 320 },
];

// Skipped, test by test, when chromium is absent (unless PUTRIGHT_REQUIRE_BROWSER=1).
const skip = browserSkip();

describe('screenshots and reflow', () => {
  let s: Served;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[];
  let kim: Person;
  let rich: Seeded;
  const due: Record<string, Seeded> = {};

  before(async () => {
    if (skip) return;
    fs.mkdirSync(OUT, { recursive: true });
    s = await serve('2025-04-17T09:00:00Z'); // Thursday; Friday 18 and Monday 21 April are bank holidays
    const { t } = s;
    [browser, kim] = await Promise.all([launchBrowser(), addPerson(t, 'kim@test.example', 'Kim Manager', 'manager')]);

    // One complaint in each due state, by when it was received (acknowledgement due in 5 working days).
    due.overdue = await seedComplaint(t, { givenName: 'Bartholomew', familyName: 'Fitzgerald-Montgomery', receivedAt: '2025-04-03T09:00:00Z', serviceArea: 'Repairs' });
    due.today = await seedComplaint(t, { givenName: 'Ann', familyName: 'Lee', receivedAt: '2025-04-10T09:00:00Z', serviceArea: 'Lettings' });
    due.soon = await seedComplaint(t, { givenName: 'Ravi', familyName: 'Shah', receivedAt: '2025-04-14T09:00:00Z' });
    due.onTrack = await seedComplaint(t, { givenName: 'Zoë', familyName: 'Nowak', receivedAt: '2025-04-17T08:00:00Z', serviceArea: 'Repairs' });
    // Acknowledged, vulnerable and extended: the response is what is due.
    due.extended = await seedComplaint(t, { givenName: 'Mo', familyName: 'Ahmed', receivedAt: '2025-04-01T09:00:00Z', serviceArea: 'Anti-social behaviour' });
    await step(t, due.extended.id, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false, statement: null } });
    await step(t, due.extended.id, 'triage', { complexity: 'complex', vulnerable: true, atRisk: false });
    await step(t, due.extended.id, 'acknowledge', acknowledgeBody);
    await step(t, due.extended.id, 'extend', { reason: 'Waiting for a contractor report', newDue: '2025-05-20', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 5 });

    // A case with a full history at stage 2, a resident with needs, and notes.
    rich = await seedComplaint(t, {
      givenName: 'Margaret',
      familyName: 'Oyelaran-Whitfield',
      receivedAt: '2025-03-03T09:00:00Z',
      serviceArea: 'Repairs',
      description: 'Damp and mould in the bedroom for six months. Three inspections were booked and none happened; the child’s asthma is worse.',
    });
    const rid = rich.residentId!;
    assert.equal((await t.call('POST', `/api/v1/residents/${rid}/needs`, { body: { kind: 'vulnerability', description: 'Child with asthma in the home', reviewOn: '2025-09-01' } })).status, 201);
    assert.equal((await t.call('POST', `/api/v1/residents/${rid}/needs`, { body: { kind: 'adjustment', description: 'Calls after 3pm only; large print letters', reviewOn: '2025-09-01' } })).status, 201);
    await step(t, rich.id, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false, statement: 'No connection to the resident' } });
    await step(t, rich.id, 'acknowledge', { on: '2025-03-07', ...acknowledgeBody });
    await step(t, rich.id, 'respond', { on: '2025-03-20', ...respondBody });
    await step(t, rich.id, 'escalate', { reason: 'The mould has come back', requestedAt: '2025-04-01T09:00:00Z' });
    await step(t, rich.id, 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false, statement: null } });
    await step(t, rich.id, 'acknowledge', { on: '2025-04-07', definition: { understanding: 'The mould returned after the repair', outcomesSought: 'A lasting repair', points: [{ summary: 'Mould returned', landlordResponsible: true }] } });
    assert.equal((await t.call('POST', `/api/v1/complaints/${rich.id}/notes`, { body: { body: 'Surveyor booked for 24 April; resident prefers afternoon calls.' } })).status, 201);

    ctx = await newContext(browser, s.baseURL);
    page = await ctx.newPage();
    errors = watchErrors(page);
    await (await SignInPage.visit(page)).signIn(kim.email, kim.password);
    await WorkPage.verifyOnPage(page);
  });

  after(async () => {
    await ctx?.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  /** Screenshot the page at each width, and check nothing overflows sideways. */
  async function shoot(name: string, open: () => Promise<void>) {
    const overflowing: string[] = [];
    for (const w of WIDTHS) {
      await page.setViewportSize({ width: w.width, height: 900 });
      await open();
      const file = path.join(OUT, `${name}-${w.name}.png`);
      await page.screenshot({ path: file, fullPage: true });
      const sizes = await page.evaluate(() => {
        const d = (globalThis as any).document;
        const wide = [...d.querySelectorAll('body *')]
          .filter((el: any) => el.getBoundingClientRect().right > d.documentElement.clientWidth + 1)
          .slice(0, 5)
          .map((el: any) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${String(el.className).trim().split(/\s+/).join('.')} (right ${Math.round(el.getBoundingClientRect().right)})`);
        return { scrollWidth: d.documentElement.scrollWidth, clientWidth: d.documentElement.clientWidth, wide };
      });
      if (sizes.scrollWidth > w.width) overflowing.push(`${name} at ${w.width}px: scrollWidth ${sizes.scrollWidth}; widest: ${sizes.wide.join(', ')}`);
    }
    assert.deepEqual(overflowing, [], 'no horizontal scrolling');
  }

  test('the worklist, with complaints in every due state', { skip }, async () => {
    await shoot('work', async () => {
      const work = await WorkPage.visit(page, 'handler=all');
      const text = await work.table.innerText();
      for (const tag of ['Overdue', 'Due today', 'Due within 2 working days', 'On track', 'Vulnerable', 'Extended']) assert.ok(text.includes(tag), `the list shows “${tag}”`);
      assert.deepEqual((await work.references()).slice(0, 2), [due.overdue.reference, due.today.reference], 'soonest deadline first');
    });
  });

  test('the case page of a complaint at stage 2', { skip }, async () => {
    await shoot('case', async () => {
      const c = await CasePage.visit(page, rich.id);
      assert.equal(await c.status(), 'Stage 2: Investigating');
    });
    assert.deepEqual(errors, [], 'nothing failed to load');
  });
});
