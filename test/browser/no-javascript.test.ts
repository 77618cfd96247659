/**
 * With JavaScript switched off in the browser, the pages still do the work: finding a resident,
 * logging a complaint (with an error on the way), and responding to one. GOV.UK's progressive
 * enhancement means conditional questions are simply all shown.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { acknowledgeBody, seedComplaint, step, type Seeded } from './support/seed.js';
import { navigating } from './pages/abstract-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WorkPage } from './pages/work-page.js';
import { LogComplaintPage } from './pages/log-complaint-page.js';
import { CasePage } from './pages/case-page.js';
import { RespondPage } from './pages/step-pages.js';

// Skipped, test by test, when chromium is absent (unless PUTRIGHT_REQUIRE_BROWSER=1).
const skip = browserSkip();

describe('without JavaScript', () => {
  let s: Served;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let errors: string[];
  let kim: Person;
  let existing: Seeded; // a complaint whose resident is already on the records: Ann Lee
  let toAnswer: Seeded; // acknowledged at stage 1, with points P1 (ours) and P2 (not ours)

  before(async () => {
    if (skip) return;
    s = await serve('2025-04-17T09:00:00Z');
    [browser, kim] = await Promise.all([launchBrowser(), addPerson(s.t, 'kim@test.example', 'Kim Manager', 'manager')]);
    existing = await seedComplaint(s.t, { givenName: 'Ann', familyName: 'Lee' });
    toAnswer = await seedComplaint(s.t, { givenName: 'Ravi', familyName: 'Shah' });
    await step(s.t, toAnswer.id, 'assign', { handlerId: s.t.users.handler.id, conflict: { hasConflict: false, statement: null } });
    await step(s.t, toAnswer.id, 'acknowledge', acknowledgeBody);
    ctx = await newContext(browser, s.baseURL, { javaScriptEnabled: false });
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

  test('log a complaint for a resident found on the records, after correcting an error', { skip }, async () => {
    const log = await LogComplaintPage.visit(page);
    // No JavaScript: GOV.UK's conditional questions are all on show, and the page was not enhanced.
    assert.equal(await page.getByLabel('Family name').isVisible(), true, 'the new-resident fields show without choosing');
    assert.equal(await page.locator('body.govuk-frontend-supported').count(), 0, 'GOV.UK Frontend did not run');

    // "Find resident" posts the form and comes back with the matches as radios, keeping what was typed.
    await log.who.getByLabel('A resident on our records').check();
    await page.getByLabel('Name, reference or postcode').fill('Lee');
    await log.whatHappened.fill('Nobody came to fix the fence');
    await navigating(page, () => page.getByRole('button', { name: 'Find resident' }).click());
    await LogComplaintPage.verifyOnPage(page);
    const choose = page.getByRole('group', { name: 'Choose the resident' });
    assert.equal(await choose.getByRole('radio').count(), 1);
    assert.equal(await choose.getByLabel('Ann Lee').isChecked(), true, 'a single match is chosen for you');
    assert.equal(await log.whatHappened.inputValue(), 'Nobody came to fix the fence', 'what was typed is kept');

    // Log without saying how it was made: the error summary, and nothing lost.
    await log.whatHappened.fill('Nobody came to fix the fence, twice');
    await log.submit();
    await LogComplaintPage.verifyOnPage(page);
    assert.deepEqual(await log.errorMessages(), ['Select how the complaint was made']);
    assert.match(await page.title(), /^Error: Log a complaint/);
    assert.equal(await choose.getByLabel('Ann Lee').isChecked(), true);
    assert.equal(await log.whatHappened.inputValue(), 'Nobody came to fix the fence, twice');

    await log.madeBy('Email');
    await log.submit();
    const c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint logged. It is with the complaints team.');
    assert.equal(await c.status(), 'Stage 1: Awaiting acknowledgement');
    assert.equal(await c.summaryValue('Resident'), 'Ann Lee');
    assert.equal(await c.summaryValue('What happened'), 'Nobody came to fix the fence, twice');
    assert.equal(await c.summaryValue('Received'), '17 Apr 2025, 10:00am by Email');
    const api = await s.t.call('GET', `/api/v1/complaints/${c.id}`);
    assert.equal(api.body.residentId, existing.residentId, 'logged against the resident already on the records');
  });

  test('respond to a complaint point by point, with remedies and an outstanding action', { skip }, async () => {
    s.t.clock.set('2025-04-24T09:00:00Z');
    let c = await CasePage.visit(page, toAnswer.id);
    assert.equal(await c.status(), 'Stage 1: Investigating');
    await c.startStep('Respond');
    const respond = await RespondPage.verifyOnPage(page);
    await respond.decide('P1', 'Partly upheld', 'The first visit was on time; the second was missed');
    await respond.decide('P2', 'Not the landlord’s responsibility', 'Water bills are for the water company');
    await respond.overallDecision('Partly upheld');
    await respond.remedy(1, { type: 'Apology', description: 'We apologise for the missed visit' });
    await respond.remedy(2, { type: 'Financial remedy', description: 'For time off work', amount: '£1,250.5' });
    await respond.action(1, { description: 'Repaint the ceiling', owner: 'Repairs team', dueBy: [9, 5, 2025] });
    await respond.submit();

    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Response recorded.');
    assert.equal(await c.status(), 'Stage 1: Responded');
    assert.deepEqual(await c.points(1), [
      ['P1: Repair delayed', 'Ours', 'Partly upheld: The first visit was on time; the second was missed'],
      ['P2: Water bill', 'Not ours: The water company', 'Outside responsibility: Water bills are for the water company'],
    ]);
    assert.deepEqual(await c.remedies(), ['Apology: We apologise for the missed visit', 'Financial remedy: For time off work (£1,250.50)']);
    assert.match(await page.locator('main').innerText(), /Repaint the ceiling \(Repairs team\), by 9 May 2025/);
    assert.match(await c.deadlines.innerText(), /Sent Thursday 24 April 2025/);

    const api = await s.t.call('GET', `/api/v1/complaints/${toAnswer.id}`);
    assert.equal(api.body.stages[0].outcome, 'partly_upheld');
    assert.equal(api.body.stages[0].remedies[1].amountPence, 125050);
    assert.equal(api.body.stages[0].outstandingActions[0].dueBy, '2025-05-09');
    assert.deepEqual(errors, [], 'nothing failed to load');
  });
});
