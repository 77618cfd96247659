/** axe-core finds no WCAG 2.2 AA violations on the data protection pages, with data and in error states. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { SignInPage } from './pages/sign-in-page.js';
import { buildCase } from '../data-protection/fixture.js';

const skip = browserSkip();

describe('data protection pages: accessibility', () => {
  let s: Served;
  let browser: Browser;
  let admin: Person;
  let manager: Person;
  const contexts: BrowserContext[] = [];

  before(async () => {
    if (skip) return;
    s = await serve('2025-04-14T09:00:00Z');
    [browser, admin, manager] = await Promise.all([launchBrowser(), addPerson(s.t, 'ada.dp@test.example', 'Ada Admin', 'admin'), addPerson(s.t, 'kim.dp@test.example', 'Kim Manager', 'manager')]);
    const c = await buildCase(s.t, { start: '2025-04-14T09:00:00Z', close: true, tag: 'axe' });
    await buildCase(s.t, { residentId: c.residentId, start: '2025-05-12T09:00:00Z', close: true, tag: 'axe2' });
    assert.equal((await s.t.call('PUT', `/api/v1/complaints/${c.id}/retention-hold`, { body: { reason: 'Disrepair claim' } })).status, 200);
    assert.equal((await s.t.call('POST', '/api/v1/subject-access-requests', { body: { residentId: c.residentId } })).status, 201);
    assert.equal((await s.t.call('GET', `/api/v1/residents/${c.residentId}`)).status, 200);
    s.t.clock.set('2031-09-01T09:00:00Z');
  });
  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  async function signedIn(person: Person): Promise<Page> {
    const ctx = await newContext(browser, s.baseURL);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await (await SignInPage.visit(page)).signIn(person.email, person.password);
    return page;
  }

  async function check(page: Page, label: string) {
    const found = await axeViolations(page);
    assert.deepEqual(found, [], describeViolations(label, found));
  }

  test('every data protection page and its error states', { skip }, async (t) => {
    const page = await signedIn(admin);
    for (const url of ['/data-protection', '/data-protection/retention', '/data-protection/holds', '/data-protection/access-audit']) {
      await t.test(url, async () => {
        const r = await page.goto(url);
        assert.equal(r?.status(), 200);
        await check(page, url);
      });
    }
    await t.test('retention page lists the dry run', async () => {
      await page.goto('/data-protection/retention');
      assert.match(await page.locator('main').innerText(), /CMP-\d{6}/);
    });
    await t.test('errors: subject access without a reference', async () => {
      await page.goto('/data-protection');
      await page.getByRole('button', { name: 'Download the export' }).click();
      await page.waitForSelector('.govuk-error-summary');
      await check(page, 'subject access error');
    });
    await t.test('errors: a hold without a reference', async () => {
      await page.goto('/data-protection/holds');
      await page.getByRole('button', { name: 'Hold this complaint' }).click();
      await page.waitForSelector('.govuk-error-summary');
      await check(page, 'hold error');
    });
    await t.test('errors: retention period out of range', async () => {
      await page.goto('/data-protection/retention');
      await page.getByLabel('Retention period after closure').fill('0');
      await page.getByRole('button', { name: 'Save settings' }).click();
      await page.waitForSelector('.govuk-error-summary');
      await check(page, 'retention error');
    });
    await t.test('errors: audit filter with a bad date', async () => {
      await page.goto('/data-protection/access-audit?from=yesterday');
      await check(page, 'audit filter error');
    });
    const asManager = await signedIn(manager);
    await t.test('a manager’s view of the index', async () => {
      const r = await asManager.goto('/data-protection');
      assert.equal(r?.status(), 200);
      await check(asManager, 'index as manager');
    });
  });
});
