/**
 * Putting things right, through the pages in a real browser (issue #6, "Done means"): a partly
 * upheld complaint with an apology; a £350 offer the handler cannot make until a manager approves
 * it; two actions, one overdue, and the reminders on "my actions"; a learning item recorded and
 * published as "you said, we did"; an Ombudsman case with a request for information, a
 * determination with two findings and three orders, one complied with and one overdue, on the
 * open-orders view. axe (WCAG 2.2 AA) runs on every new page.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { navigating } from './pages/abstract-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { CasePage } from './pages/case-page.js';
import { RespondPage } from './pages/step-pages.js';
import { LearningItemPage, LearningRegisterPage, OmbudsmanCasePage, OmbudsmanComplaintPage, OpenOrdersPage, RemediesPage } from './pages/putting-right-pages.js';

const skip = browserSkip();

describe('putting things right in a browser', () => {
  let s: Served;
  let browser: Browser;
  let kim: Person;
  let lee: Person;
  const contexts: BrowserContext[] = [];
  const axeChecked: string[] = [];

  before(async () => {
    if (skip) return;
    s = await serve('2026-01-05T09:00:00Z'); // a Monday
    [browser, kim, lee] = await Promise.all([
      launchBrowser(),
      addPerson(s.t, 'kim@test.example', 'Kim Manager', 'manager'),
      addPerson(s.t, 'lee@test.example', 'Lee Handler', 'handler'),
    ]);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  async function freshPage(): Promise<{ page: Page; errors: string[] }> {
    const ctx = await newContext(browser, s.baseURL);
    contexts.push(ctx);
    const page = await ctx.newPage();
    return { page, errors: watchErrors(page) };
  }

  async function axe(page: Page, what: string) {
    const found = await axeViolations(page);
    assert.deepEqual(found, [], describeViolations(what, found));
    axeChecked.push(what);
  }

  test('a partly upheld complaint, a £350 offer approved by a manager, actions, learning and an Ombudsman determination', { skip }, async () => {
    // Set up through the API: a complaint with two points, with Lee, acknowledged.
    let c = (await s.t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Kitchen leak not fixed and nobody called back', resident: { givenName: 'Grace', familyName: 'Okafor', postcode: 'SE1 7PB' }, serviceArea: 'Repairs', category: 'Delay' } })).body;
    c = (await s.t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: lee.id, conflict: { hasConflict: false } } })).body;
    const ack = await s.t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, {
      body: { version: c.version, definition: { understanding: 'The leak was not fixed and nobody called back', outcomesSought: 'Fix it and apologise', points: [{ summary: 'Leak not repaired in time', landlordResponsible: true }, { summary: 'Ceiling paint colour', landlordResponsible: true }] } },
    });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    const reference: string = c.reference;

    // Lee responds through the pages: partly upheld, with an apology.
    const { page, errors } = await freshPage();
    await (await SignInPage.visit(page)).signIn(lee.email, lee.password);
    let casePage = await CasePage.visit(page, c.id);
    await casePage.startStep('Respond');
    const respond = await RespondPage.verifyOnPage(page);
    await respond.decide('P1', 'Upheld', 'The repair took three weeks against a 5-day target');
    await respond.decide('P2', 'Not upheld', 'The colour matches the specification');
    await respond.overallDecision('Partly upheld');
    await respond.remedy(1, { type: 'Apology', description: 'We apologise for the delay in repairing the leak' });
    await respond.submit();
    casePage = await CasePage.verifyOnPage(page);
    assert.equal(await casePage.successMessage(), 'Response recorded.');

    // Remedies and actions, from the case page.
    await navigating(page, () => page.getByRole('link', { name: 'Remedies and outstanding actions' }).click());
    let remedies = await RemediesPage.verifyOnPage(page);
    assert.deepEqual(await remedies.remedyTitles(), ['Apology']);
    assert.match(await remedies.remedyStatus('Apology'), /^Done/);
    await remedies.addFinancialRemedy({ description: 'Compensation for the delay and the damage to the ceiling', amount: '350', by: [30, 1, 2026] });
    remedies = await RemediesPage.verifyOnPage(page);
    assert.equal(await remedies.successMessage(), 'Remedy recorded.');
    assert.match(await remedies.remedyStatus('Financial remedy £350'), /^Awaiting approval/);
    // Above Lee's £250 limit: Lee cannot approve it or record it as offered; only cancel is offered.
    assert.deepEqual(await remedies.remedySteps('Financial remedy £350'), ['Cancel']);
    assert.match(await remedies.remedyCard('Financial remedy £350').innerText(), /cannot be offered until a manager approves it/);
    // Two actions: one due on Wednesday, one on Friday.
    await remedies.addAction({ description: 'Call the resident about the repair date', owner: 'Lee Handler', due: [7, 1, 2026] });
    remedies = await RemediesPage.verifyOnPage(page);
    await remedies.addAction({ description: 'Replace the kitchen ceiling', owner: 'Lee Handler', due: [9, 1, 2026] });
    remedies = await RemediesPage.verifyOnPage(page);
    assert.equal(await remedies.successMessage(), 'Action added.');
    await axe(page, 'remedies and actions');

    // Thursday: the call is overdue. The reminder sweep tells Lee; "my actions" shows both.
    s.t.clock.set('2026-01-08T09:00:00Z');
    await page.reload();
    remedies = await RemediesPage.verifyOnPage(page);
    assert.deepEqual((await remedies.actionTitles()).sort(), ['Call the resident about the repair date', 'Replace the kitchen ceiling']);
    assert.equal(await remedies.overdueActions(), 1);
    const sent = await s.t.app.services.reminders.sweep();
    assert.ok(sent.some((r) => r.kind === 'action_overdue' && r.text.includes('Call the resident')));
    await remedies.goTo('Actions');
    assert.equal((await page.locator('main h1').innerText()).trim(), 'My actions');
    const reminders = await page.locator('#reminders li').allInnerTexts();
    assert.ok(reminders.some((r) => /Action overdue: Action on CMP-\d+: “Call the resident about the repair date” was due on/.test(r)), reminders.join('\n'));
    assert.ok(reminders.some((r) => /Action due soon: .*Replace the kitchen ceiling/.test(r)), reminders.join('\n'));
    await axe(page, 'my actions with reminders');

    // Kim, a manager, approves the £350 and records that it was offered.
    await remedies.signOut();
    await (await SignInPage.verifyOnPage(page)).signIn(kim.email, kim.password);
    await page.goto(`/complaints/${c.id}/remedies-and-actions`);
    remedies = await RemediesPage.verifyOnPage(page);
    assert.deepEqual(await remedies.remedySteps('Financial remedy £350'), ['Approve the offer', 'Cancel']);
    await remedies.remedyStep('Financial remedy £350', 'Approve the offer');
    remedies = await RemediesPage.verifyOnPage(page);
    assert.equal(await remedies.successMessage(), 'Offer approved.');
    assert.match(await remedies.remedyCard('Financial remedy £350').innerText(), /Approved by Kim Manager/);
    await remedies.remedyStep('Financial remedy £350', 'Record that the offer was made');
    remedies = await RemediesPage.verifyOnPage(page);
    assert.match(await remedies.remedyStatus('Financial remedy £350'), /^Offered/);

    // The learning item the partly upheld response opened: record it and publish it.
    await remedies.goTo('Learning');
    const register = await LearningRegisterPage.verifyOnPage(page);
    assert.match(await register.rowFor(reference).innerText(), /Open: learning to be recorded/);
    await axe(page, 'learning register');
    await register.open(reference);
    let item = await LearningItemPage.verifyOnPage(page);
    await axe(page, 'learning item');
    await item.record({
      rootCause: 'Delay in a repair or service',
      whatWentWrong: 'The repair was not chased after the contractor missed the first visit.',
      recommendation: 'Chase every missed repair the next working day.',
      serviceArea: 'Repairs',
      areaResponse: 'Agreed: a daily missed-repairs report from January.',
      improvement: 'Daily missed-repairs report',
      improvedOn: [7, 1, 2026],
      status: 'Improvement made',
      youSaid: 'Repairs were not chased when a contractor missed a visit.',
      weDid: 'We now check every missed repair the next working day.',
      publish: true,
    });
    item = await LearningItemPage.verifyOnPage(page);
    assert.equal(await item.successMessage(), 'Learning item saved.');
    assert.equal(await item.summaryValue('Published as “you said, we did”'), 'Yes');
    await page.goto('/learning/themes?from=2026-01-01&to=2026-03-31');
    assert.match(await page.locator('table').first().innerText(), /Delay in a repair or service\s+1\s+1/);
    await axe(page, 'learning themes');
    await page.goto('/you-said-we-did');
    const published = await page.locator('main').innerText();
    assert.match(published, /We now check every missed repair the next working day\./);
    assert.doesNotMatch(published, new RegExp(`${reference}|Okafor`));
    await axe(page, 'you said, we did');

    // The resident goes to the Ombudsman: from the case page.
    s.t.clock.set('2026-01-12T09:00:00Z');
    casePage = await CasePage.visit(page, c.id);
    await navigating(page, () => page.getByRole('link', { name: 'Ombudsman cases' }).click());
    const complaintCases = await OmbudsmanComplaintPage.verifyOnPage(page);
    await axe(page, 'a complaint’s Ombudsman cases');
    await complaintCases.recordCase('202600123', [12, 1, 2026]);
    let oc = await OmbudsmanCasePage.verifyOnPage(page);
    assert.equal(await oc.successMessage(), 'Ombudsman case recorded.');
    await oc.requestInformation('The repair records and the complaint file', [12, 1, 2026], [19, 1, 2026]);
    oc = await OmbudsmanCasePage.verifyOnPage(page);
    assert.deepEqual(await oc.requestStates(), ['Open']);

    // The determination: two findings, three orders.
    s.t.clock.set('2026-01-20T09:00:00Z');
    await page.reload();
    oc = await OmbudsmanCasePage.verifyOnPage(page);
    assert.deepEqual(await oc.requestStates(), ['Overdue'], 'the unanswered request is overdue');
    await axe(page, 'Ombudsman case before the determination');
    await oc.determine({
      on: [20, 1, 2026],
      findings: [
        { issue: 'The landlord’s handling of the kitchen leak', kind: 'Repairs', finding: 'Maladministration' },
        { issue: 'The landlord’s record keeping', kind: 'Record keeping', finding: 'Service failure' },
      ],
      orders: [
        { description: 'Apologise in writing from a senior manager', due: [17, 2, 2026] },
        { description: 'Review how missed repairs are recorded', due: [27, 1, 2026] },
        { description: 'Pay the resident £500', due: [17, 2, 2026] },
      ],
    });
    oc = await OmbudsmanCasePage.verifyOnPage(page);
    assert.equal(await oc.successMessage(), 'Determination recorded.');
    assert.deepEqual(await oc.findings(), [
      ['The landlord’s handling of the kitchen leak', 'Repairs', 'Maladministration'],
      ['The landlord’s record keeping', 'Record keeping', 'Service failure'],
    ]);
    s.t.clock.set('2026-01-23T09:00:00Z');
    await page.reload();
    oc = await OmbudsmanCasePage.verifyOnPage(page);
    await oc.recordCompliance('Apologise in writing from a senior manager', [22, 1, 2026], 'Letter of 22 January from the Director of Property', [23, 1, 2026]);
    oc = await OmbudsmanCasePage.verifyOnPage(page);
    assert.equal(await oc.orderState('Apologise in writing from a senior manager'), 'Complied with, evidence sent');
    await axe(page, 'Ombudsman case after the determination');

    // A week later the review is overdue; the open-orders view shows it first.
    s.t.clock.set('2026-01-30T09:00:00Z');
    const open = await OpenOrdersPage.visit(page);
    assert.deepEqual(await open.rows(), [
      ['Review how missed repairs are recorded', 'Overdue'],
      ['Pay the resident £500', 'Open'],
    ]);
    await axe(page, 'open Ombudsman orders');
    await open.goTo('Ombudsman');
    assert.equal((await page.locator('main h1').innerText()).trim(), 'Ombudsman cases');
    await axe(page, 'Ombudsman cases');

    // Everything on the case's timeline.
    casePage = await CasePage.visit(page, c.id);
    const history = (await s.t.app.db.selectFrom('history').select('action').where('complaint_id', '=', c.id).execute()).map((h) => h.action);
    for (const a of ['learning_prompted', 'learning_improvement_made', 'learning_published', 'ombudsman_case_opened', 'ombudsman_determination', 'ombudsman_order_evidence_sent', 'remedy_approved']) assert.ok(history.includes(a), `history has ${a}`);
    assert.deepEqual(errors, [], 'no script errors or CSP violations on any page');
    assert.equal(axeChecked.length, 11);
  });
});
