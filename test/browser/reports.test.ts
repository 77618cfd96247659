/**
 * The report pages in a real browser: axe-core finds no WCAG 2.2 AA violations on each (and on
 * the dashboard's error state), nothing breaks the CSP, and the pages work with JavaScript off.
 * Screenshots of the dashboard go to test-results/reports-*.png for a look by eye.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { SignInPage } from './pages/sign-in-page.js';

const skip = browserSkip();
const DEFINITION = { understanding: 'The repair was not done.', outcomesSought: 'Do the repair.', points: [{ summary: 'The repair was late', landlordResponsible: true }] };

describe('report pages in a browser', () => {
  let s: Served;
  let browser: Browser;
  let manager: Person;
  const contexts: BrowserContext[] = [];

  before(async () => {
    if (skip) return;
    s = await serve('2025-06-02T09:00:00Z');
    const { t } = s;
    browser = await launchBrowser();
    manager = await addPerson(t, 'kim@test.example', 'Kim Manager', 'manager');
    for (const [area, channel, tenure] of [['Repairs', 'phone', 'LCRA'], ['Damp and mould', 'email', 'LCHO'], ['Repairs', 'web', 'LCRA']] as const) {
      t.clock.set('2025-06-02T09:00:00Z');
      const c = (await t.call('POST', '/api/v1/complaints', { body: { channel, description: 'Still broken', serviceArea: area, category: 'Delay', resident: { givenName: 'Ann', familyName: area, tenure } } })).body;
      let x = (await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } })).body;
      t.clock.set('2025-06-03T09:00:00Z');
      x = (await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { body: { version: x.version, definition: DEFINITION } })).body;
      if (area === 'Repairs') {
        t.clock.set('2025-06-12T09:00:00Z');
        await t.call('POST', `/api/v1/complaints/${c.id}/respond`, { body: { version: x.version, points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'Done on time.' }], outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Ask us to escalate.' } });
      }
    }
    t.clock.set('2025-07-01T09:00:00Z');
    await t.call('PUT', '/api/v1/reports/homes/2025', { body: { LCRA: 900, LCHO: 100 } });
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  async function signedIn(javaScriptEnabled = true): Promise<Page> {
    const ctx = await newContext(browser, s.baseURL, { javaScriptEnabled });
    contexts.push(ctx);
    const page = await ctx.newPage();
    const signIn = await SignInPage.visit(page);
    await signIn.signIn(manager.email, manager.password);
    return page;
  }

  const PAGES = ['/reports', '/reports/tsm?year=2025', '/reports/tsm/complaints?year=2025&measure=ch01&stage=1&tenure=total&line=received', '/reports/dashboard?from=2025-04-01&to=2025-06-30', '/reports/settings', '/reports/export'];

  test('axe finds no violations on any report page, and nothing breaks the CSP', { skip }, async () => {
    const page = await signedIn();
    const errors = watchErrors(page);
    for (const url of PAGES) {
      const res = await page.goto(url);
      assert.equal(res?.status(), 200, url);
      const found = await axeViolations(page);
      assert.deepEqual(found, [], describeViolations(url, found));
    }
    const bad = await page.goto('/reports/dashboard?from=2025-13-01&to=2025-06-30');
    assert.equal(bad?.status(), 400);
    const found = await axeViolations(page);
    assert.deepEqual(found, [], describeViolations('dashboard error state', found));
    assert.deepEqual(errors, []);
  });

  test('the dashboard, its charts and the measures work with JavaScript off; screenshots taken', { skip }, async () => {
    const page = await signedIn(false);
    await page.goto('/reports/dashboard?from=2025-04-01&to=2025-06-30');
    const chart = page.getByRole('img', { name: 'Stage 1 complaints by service area' });
    await chart.waitFor();
    assert.ok((await chart.boundingBox())!.width > 200, 'the chart is drawn at a readable size');
    await page.getByLabel('From').fill('2025-06-01');
    await page.getByRole('button', { name: 'Show this period' }).click();
    await page.waitForURL(/from=2025-06-01/);
    fs.mkdirSync('test-results', { recursive: true });
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: `test-results/reports-dashboard-${width}.png`, fullPage: true });
    }
    await page.goto('/reports/tsm?year=2025');
    await page.getByRole('link', { name: /received: list the complaints/ }).first().click();
    await page.waitForURL(/\/reports\/tsm\/complaints/);
    assert.ok(await page.getByRole('link', { name: /^CMP-/ }).count() >= 1);
  });
});
