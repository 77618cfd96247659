/**
 * A complaint from logging to stage 2 closure, through the pages alone, in a real browser: the
 * same journey as test/web/case-page.test.ts, but clicking, typing and reading what is shown.
 * Then a shorter journey by keyboard only, checking that focus can always be seen.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { Keyboard } from './support/keyboard.js';
import { navigating } from './pages/abstract-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WorkPage } from './pages/work-page.js';
import { LogComplaintPage } from './pages/log-complaint-page.js';
import { CasePage } from './pages/case-page.js';
import { AcknowledgePage, AssignPage, ClosePage, EscalatePage, RespondPage } from './pages/step-pages.js';

// Skipped, test by test, when chromium is absent (unless PUTRIGHT_REQUIRE_BROWSER=1).
const skip = browserSkip();

describe('journeys in a browser', () => {
  let s: Served;
  let browser: Browser;
  let kim: Person;
  let lee: Person;
  const contexts: BrowserContext[] = [];

  before(async () => {
    if (skip) return;
    s = await serve('2025-04-17T09:00:00Z'); // a Thursday, 10:00 in London
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

  test('a manager logs a complaint and it is taken through both stages to closure, page by page', { skip }, async () => {
    const { page, errors } = await freshPage();
    const stage1Handler = s.t.users.handler; // Hana Handler

    // Sign in as a complaints manager: "My work".
    await (await SignInPage.visit(page)).signIn(kim.email, kim.password);
    let work = await WorkPage.verifyOnPage(page);
    assert.match(await work.signedInAs.innerText(), /Kim Manager/);

    // Log a complaint from a new resident.
    await work.goTo('Log a complaint');
    const log = await LogComplaintPage.verifyOnPage(page);
    await log.newResident({ givenName: 'Ann', familyName: 'Example', addressLine1: '1 High Street', town: 'Leeds', postcode: 'ls1 1aa', tenure: 'Rented (low cost rental)', preferredContact: 'Letter' });
    await log.madeBy('Phone');
    await log.describe('The boiler has not worked for a week and the repair was cancelled twice', 'Fix the boiler and compensate me');
    await log.submit();
    let c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint logged. It is with the complaints team.');
    assert.equal(await c.status(), 'Stage 1: Awaiting acknowledgement');
    const reference = await c.reference();
    const id = c.id;

    // It is on the worklist (unassigned, so under "Everyone"); open it from there.
    work = await WorkPage.visit(page, 'handler=all');
    assert.equal(await work.rowFor(reference).count(), 1, `${reference} is listed`);
    assert.match(await work.rowFor(reference).innerText(), /Ann Example[\s\S]*Awaiting acknowledgement[\s\S]*Acknowledgement by 28 Apr 2025/);
    await work.openComplaint(reference);
    c = await CasePage.verifyOnPage(page);
    assert.equal(c.id, id);
    assert.deepEqual((await c.availableSteps()).slice(0, 2), ['Acknowledge and define the complaint', 'Assign a handler']);
    assert.ok(!(await c.availableSteps()).includes('Escalate to stage 2'), 'no escalation before a response');

    // Assign a stage 1 handler, declaring no conflict of interest.
    await c.startStep('Assign a handler');
    let assign = await AssignPage.verifyOnPage(page);
    await assign.assign(stage1Handler.name, { conflict: false, declaration: 'Hana has no link to the resident or the repair' });
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Handler assigned.');
    assert.equal(await c.summaryValue('Stage 1 handler'), stage1Handler.name);

    // Acknowledge, with a definition of two points, one not the landlord's responsibility.
    await c.startStep('Acknowledge and define the complaint');
    const ack = await AcknowledgePage.verifyOnPage(page);
    assert.equal(await ack.understanding.inputValue(), 'The boiler has not worked for a week and the repair was cancelled twice', 'stage 1 starts from the resident’s words');
    await ack.define({
      understanding: 'The boiler has not worked for a week; two repair appointments were cancelled',
      outcomesSought: 'A working boiler and compensation',
      points: [
        { summary: 'Boiler repair delayed', ours: true },
        { summary: 'Gas supplier billing', ours: false, whoIsResponsible: 'The gas supplier' },
      ],
    });
    await ack.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint acknowledged.');
    assert.equal(await c.status(), 'Stage 1: Investigating');
    assert.deepEqual(await c.points(1), [
      ['P1: Boiler repair delayed', 'Ours', ''],
      ['P2: Gas supplier billing', 'Not ours: The gas supplier', ''],
    ]);

    // A week later: respond point by point, with remedies and an outstanding action.
    s.t.clock.set('2025-04-24T09:00:00Z');
    await c.startStep('Respond');
    let respond = await RespondPage.verifyOnPage(page);
    assert.equal(await respond.point('P2').getByLabel('Not the landlord’s responsibility').count(), 1, 'the point outside our responsibility can be answered as such');
    assert.equal(await respond.point('P1').getByLabel('Not the landlord’s responsibility').count(), 0);
    await respond.decide('P1', 'Upheld', 'Our repairs policy sets 24 hours for no heating; we took a week');
    await respond.decide('P2', 'Not the landlord’s responsibility', 'Billing is a matter for the gas supplier');
    await respond.overallDecision('Upheld');
    await respond.remedy(1, { type: 'Apology', description: 'We apologise for the delay' });
    await respond.remedy(2, { type: 'Financial remedy', description: 'Compensation for the time without heating', amount: '75.50' });
    await respond.action(1, { description: 'Service the boiler', owner: 'Repairs team', dueBy: [9, 5, 2025] });
    assert.match(await respond.nextSteps.inputValue(), /escalate your complaint to stage 2/);
    await respond.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Response recorded.');
    assert.equal(await c.status(), 'Stage 1: Responded');
    assert.deepEqual(await c.remedies(), ['Apology: We apologise for the delay', 'Financial remedy: Compensation for the time without heating (£75.50)']);
    assert.deepEqual((await c.points(1)).map((r) => r[2]), ['Upheld: Our repairs policy sets 24 hours for no heating; we took a week', 'Outside responsibility: Billing is a matter for the gas supplier']);

    // The resident is still unhappy: escalate.
    s.t.clock.set('2025-04-28T09:00:00Z');
    await c.startStep('Escalate to stage 2');
    const escalate = await EscalatePage.verifyOnPage(page);
    await escalate.reason.fill('The compensation does not cover the cost of heaters');
    await escalate.via.fill('Phone');
    await escalate.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint escalated to stage 2.');
    assert.equal(await c.status(), 'Stage 2: Awaiting acknowledgement');

    // Stage 2 needs a different handler: the stage 1 handler is refused, naming Code 6.13.
    await c.startStep('Assign a handler');
    assign = await AssignPage.verifyOnPage(page);
    assert.match(await page.locator('main').innerText(), /must not be anyone who handled stage 1 \(Code 6\.13\)/);
    await assign.assign(stage1Handler.name, { conflict: false });
    assign = await AssignPage.verifyOnPage(page);
    const problems = await assign.errorMessages();
    assert.equal(problems.length, 1, problems.join('; '));
    assert.match(problems[0], /Code 6\.13/);
    assert.match(problems[0], /stage 2 handler must not be the person who handled stage 1/);
    assert.ok((await page.title()).startsWith(`Error: Assign a handler – ${reference}`), `the title says there is an error: ${await page.title()}`);
    assert.equal(await assign.handler.inputValue(), stage1Handler.id, 'the choice is kept');
    // The error summary's link takes focus to the handler select.
    await assign.errorSummary.getByRole('link').click();
    assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement?.id), 'handlerId');
    await assign.assign(lee.name, { conflict: false, declaration: 'Lee was not involved at stage 1' });
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Handler assigned.');
    assert.equal(await c.summaryValue('Stage 2 handler'), lee.name);

    // The stage 2 handler signs in and finds it on their own worklist.
    await c.signOut();
    await (await SignInPage.verifyOnPage(page)).signIn(lee.email, lee.password);
    work = await WorkPage.verifyOnPage(page);
    assert.deepEqual(await work.references(), [reference]);
    await work.openComplaint(reference);
    c = await CasePage.verifyOnPage(page);

    // Acknowledge stage 2 with its own definition.
    await c.startStep('Acknowledge and define the complaint');
    const ack2 = await AcknowledgePage.verifyOnPage(page);
    assert.equal(await ack2.understanding.inputValue(), '', 'stage 2 is defined afresh');
    await ack2.define({ understanding: 'The resident says the compensation is too low', outcomesSought: 'More compensation', points: [{ summary: 'Compensation too low', ours: true }] });
    await ack2.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint acknowledged.');
    assert.equal(await c.status(), 'Stage 2: Investigating');

    // Respond at stage 2 (the default next steps point to the Ombudsman), then close.
    s.t.clock.set('2025-05-12T09:00:00Z');
    await c.startStep('Respond');
    respond = await RespondPage.verifyOnPage(page);
    assert.match(await respond.nextSteps.inputValue(), /refer your complaint to the Housing Ombudsman/);
    await respond.decide('P1', 'Not upheld', 'The amount follows our compensation policy for loss of heating');
    await respond.overallDecision('Not upheld');
    await respond.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Response recorded.');

    await c.startStep('Close');
    const close = await ClosePage.verifyOnPage(page);
    await close.note.fill('Final response sent; resident told about the Ombudsman');
    await close.submit();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint closed.');
    assert.equal(await c.status(), 'Stage 2: Closed');
    assert.deepEqual(await c.availableSteps(), ['Reopen', 'Add a related issue', 'Link a related complaint']);

    // The timeline tells the whole story, newest first.
    // (Other entries, such as remedies and actions tracked after the response, may come between.)
    const timeline = await c.timelineEntries();
    const lifecycle = ['Closed', 'Response sent', 'Acknowledged', 'Handler assigned', 'Escalation to stage 2 requested', 'Complaint received'];
    assert.deepEqual(
      timeline.map((e) => e.split(':')[0]).filter((title) => lifecycle.includes(title)),
      ['Closed', 'Response sent', 'Acknowledged', 'Handler assigned', 'Escalation to stage 2 requested', 'Response sent', 'Acknowledged', 'Handler assigned', 'Complaint received'],
    );
    const text = timeline.join('\n');
    assert.match(text, /Closed: Final response sent; resident told about the Ombudsman/);
    assert.match(text, /Response sent: Stage 2 response on Monday 12 May 2025: not upheld\. 0 remedies, 0 outstanding actions\./);
    assert.match(text, /Acknowledged: Stage 2 acknowledged on Monday 28 April 2025 with 1 points? to answer\. Response due Wednesday 28 May 2025\./);
    assert.match(text, /Handler assigned: Stage 2 handler: Lee Handler\. Conflict of interest declared: none \(Lee was not involved at stage 1\)\./);
    assert.match(text, /Escalation to stage 2 requested: Reason given: The compensation does not cover the cost of heaters/);
    assert.match(text, /Response sent: Stage 1 response on Thursday 24 April 2025: upheld\. 2 remedies, 1 outstanding actions?\./);
    assert.match(text, /Acknowledged: Stage 1 acknowledged on Thursday 17 April 2025 with 2 points to answer\. Response due Tuesday 6 May 2025\./);
    assert.match(text, /Handler assigned: Stage 1 handler: Hana Handler\. Conflict of interest declared: none \(Hana has no link to the resident or the repair\)\./);
    assert.match(text, /Complaint received: Received on Thursday 17 April 2025\./);

    assert.deepEqual(errors, [], 'no script errors or CSP violations on any page');
  });

  test('by keyboard alone: sign in, log a complaint, assign it and acknowledge it, with focus always visible', { skip }, async () => {
    s.t.clock.set('2025-06-02T08:30:00Z'); // a Monday, 9:30 in London (the clock only moves forward)
    const { page, errors } = await freshPage();
    const kb = new Keyboard(page);
    const enter = () => navigating(page, () => page.keyboard.press('Enter'));

    // The first Tab lands on the skip link, and its focus can be seen.
    await page.goto('/sign-in');
    const first = await kb.press('Tab');
    assert.match(first.what, /^a\.govuk-skip-link "Skip to main content"/, `first tab stop: ${first.what}`);
    assert.ok(first.visible, `the skip link's focus is visible (${first.how})`);
    // Following it moves focus to the main content; the next Tab is the first field.
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => (globalThis as any).document.activeElement?.id), 'main-content');
    await kb.tabTo('#email', { max: 1 });
    await kb.type(kim.email);
    await kb.tabTo('#password', { max: 1 });
    await kb.type(kim.password);
    await kb.tabTo('main button[type=submit]', { max: 3 });
    // Back and forth: Shift+Tab returns to the password field, past its "Show" button.
    await kb.tabTo('#password', { back: true, max: 2 });
    await kb.tabTo('main button[type=submit]', { max: 2 });
    await enter();
    await WorkPage.verifyOnPage(page);

    // To "Log a complaint" in the menu.
    await kb.tabTo('nav a[href="/complaints/new"]');
    await enter();
    await LogComplaintPage.verifyOnPage(page);
    await kb.tabTo('#residentMode'); // the first radio of "Who is complaining?"; arrows move within a radio group
    await kb.press('ArrowDown');
    await kb.press('Space');
    assert.equal(await page.locator('#residentMode-2').isChecked(), true, '“A new resident” is chosen');
    await kb.tabTo('#familyName', { max: 2 });
    await kb.type('Keyboard');
    await kb.tabTo('#email', { max: 6 });
    await kb.type('k.user@example.org');
    await kb.tabTo('#tenure', { max: 3 }); // "Rented (low cost rental)"
    await kb.press('Space');
    await kb.tabTo('#preferredContact', { max: 2 }); // "Email"
    await kb.press('Space');
    await kb.tabTo('#channel', { max: 12 }); // "Phone"
    await kb.press('Space');
    await kb.tabTo('#description', { max: 12 });
    await kb.type('The front door lock was left broken after a repair');
    await kb.tabTo('#outcomeSought', { max: 1 });
    await kb.type('Replace the lock');
    await kb.tabTo('button[value=log]', { max: 12 });
    await enter();
    let c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint logged. It is with the complaints team.');
    assert.equal(await c.summaryValue('Resident'), 'Keyboard');
    assert.equal(await c.summaryValue('Received'), '2 Jun 2025, 9:30am by Phone');

    // Assign a handler: the select by typing the name, the conflict radio with Space.
    await kb.tabTo(`a[href="/complaints/${c.id}/assign"]`);
    await enter();
    const assign = await AssignPage.verifyOnPage(page);
    await kb.tabTo('#handlerId');
    await kb.type('Hana');
    assert.equal(await assign.handler.inputValue(), s.t.users.handler.id, 'typing chose Hana Handler');
    await kb.tabTo('#conflict', { max: 1 }); // "No"
    await kb.press('Space');
    await kb.tabTo('form#form button', { max: 3 });
    await enter();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Handler assigned.');

    // Acknowledge: the understanding and outcomes come from the complaint; add one point.
    await kb.tabTo(`a[href="/complaints/${c.id}/acknowledge"]`);
    await enter();
    await AcknowledgePage.verifyOnPage(page);
    await kb.tabTo('#point-0-summary');
    await kb.type('Lock left broken after a repair');
    await kb.tabTo('#point-0-responsible', { max: 1 }); // "Yes"
    await kb.press('Space');
    await kb.tabTo('form#form button');
    await enter();
    c = await CasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Complaint acknowledged.');
    assert.equal(await c.status(), 'Stage 1: Investigating');
    assert.deepEqual(await c.points(1), [['P1: Lock left broken after a repair', 'Ours', '']]);

    assert.deepEqual(kb.invisible, [], `every focus stop shows where focus is (${kb.stops.length} stops checked)`);
    assert.deepEqual(kb.browserDefault, [], 'every focus stop has the GOV.UK focus style, not just the browser’s ring');
    assert.deepEqual(errors, [], 'no script errors or CSP violations on any page');
  });
});
