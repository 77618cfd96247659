/**
 * axe-core (WCAG 2.2 A and AA) on the self-assessment, annual report and exceptional
 * circumstances pages, staff and public, including a form's error state; with JavaScript on.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { SignInPage } from './pages/sign-in-page.js';
import { buildFixture, FIXTURE_PERIOD } from '../self-assessment/fixture.js';

const skip = browserSkip();

describe('accessibility of the Code compliance pages', () => {
  let s: Served;
  let browser: Browser;
  let manager: Person;
  let page: Page;
  let assessmentId: string;
  let reportId: string;

  before(async () => {
    if (skip) return;
    s = await serve('2025-03-27T10:00:00Z');
    await buildFixture(s.t);
    manager = await addPerson(s.t, 'kim@test.example', 'Kim Manager', 'manager');
    const a = await s.t.call('POST', '/api/v1/self-assessments', { body: { periodFrom: FIXTURE_PERIOD.from, periodTo: FIXTURE_PERIOD.to, reason: 'annual' } });
    assessmentId = a.body.id;
    const r = await s.t.call('POST', '/api/v1/annual-reports', { body: { startYear: 2025 } });
    reportId = r.body.id;
    const v = await s.t.call('PATCH', `/api/v1/annual-reports/${reportId}`, { body: { version: r.body.version, text: { governingBodyResponse: 'The board welcomes the report.' } } });
    await s.t.call('POST', `/api/v1/annual-reports/${reportId}/publish`, { body: { version: v.body.version } });
    await s.t.call('POST', '/api/v1/exceptional-notices', { body: { title: 'Cyber incident', circumstances: 'Our systems were attacked.', effect: 'Responses may be late.', startsOn: '2025-06-20', expectedReturnOn: '2025-07-31' } });
    browser = await launchBrowser();
    const ctx = await newContext(browser, s.baseURL);
    page = await ctx.newPage();
    const signIn = await SignInPage.visit(page);
    await signIn.signIn(manager.email, manager.password);
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  async function check(path: string) {
    const res = await page.goto(path);
    assert.ok(res && res.status() < 500, `${path}: ${res?.status()}`);
    const found = await axeViolations(page);
    assert.equal(found.length, 0, describeViolations(path, found));
  }

  for (const [label, path] of [
    ['the list of self-assessments', () => '/self-assessments'],
    ['a self-assessment', () => `/self-assessments/${assessmentId}`],
    ['a section of the self-assessment', () => `/self-assessments/${assessmentId}/sections/6`],
    ['the import page', () => `/self-assessments/${assessmentId}/import`],
    ['the history', () => `/self-assessments/${assessmentId}/history`],
    ['the annual reports', () => '/annual-reports'],
    ['an annual report', () => `/annual-reports/${reportId}`],
    ['exceptional circumstances', () => '/exceptional-notices'],
    ['the published annual report (public)', () => '/annual-report/2025'],
    ['the list of published reports (public)', () => '/annual-report'],
    ['exceptional circumstances (public)', () => '/exceptional-circumstances'],
  ] as const) {
    test(label, { skip }, async () => check(path()));
  }

  test('a section with an error', { skip }, async () => {
    await page.goto(`/self-assessments/${assessmentId}/sections/6`);
    await page.getByText('Actions with dates for 6.2', { exact: true }).click();
    await page.locator('[id="6.2-action-0-due-day"]').fill('40');
    await page.locator('[id="6.2-action-0-due-month"]').fill('2');
    await page.locator('[id="6.2-action-0-due-year"]').fill('2025');
    await page.locator('[id="6.2-action-0-text"]').fill('A check');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Save section 6' }).click()]);
    assert.match(await page.locator('.govuk-error-summary').innerText(), /must be a real date/);
    const found = await axeViolations(page);
    assert.equal(found.length, 0, describeViolations('section 6 with an error', found));
  });
});
