/**
 * Residents' pages in a real browser: a resident complains, receives the follow link by email
 * (caught by a local SMTP server; the outbox worker sends through it), follows it, adds a file and
 * escalates; staff then see each of these on the case. Then: axe on every public page and error
 * state; the whole complaint with JavaScript off; screenshots at 320 px and at 200% zoom with no
 * sideways scrolling (saved in test-results/screenshots/ to look at).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, watchErrors, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { acknowledgeBody, respondBody, step } from './support/seed.js';
import { navigating } from './pages/abstract-page.js';
import { SignInPage } from './pages/sign-in-page.js';
import { WorkPage } from './pages/work-page.js';
import { CasePage } from './pages/case-page.js';
import { answerQuestions, CheckAnswersPage, ConfirmationPage, FilesPage, FollowCasePage, FollowStartPage, QuestionPage, StartPage, type ComplaintAnswers } from './pages/resident-pages.js';
import { OutboxWorker, smtpMailer } from '../../src/services/outbox.js';

const skip = browserSkip();
const OUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../test-results/screenshots');

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(2046, 0x90)]);

const NADIA: ComplaintAnswers = {
  representative: { name: 'Rita Okafor', relationship: 'Daughter', consent: 'My mother asked me to complain for her and signed a note' },
  givenName: 'Nadia',
  familyName: 'Okafor',
  addressLine1: '12 Mill Lane',
  town: 'Leeds',
  postcode: 'LS6 2AB',
  email: 'rita@example.net',
  contactBy: 'Email',
  whatHappened: 'Black mould has grown in the bedroom since January and the repair was cancelled twice.',
  when: { day: '6', month: '1', year: '2025' },
  putRight: 'Treat the mould and fix the leak causing it',
  help: ['Large print', 'Another language'],
  language: 'Yoruba',
};

describe('residents’ pages in a browser', () => {
  let s: Served;
  let browser: Browser;
  let kim: Person;
  let worker: OutboxWorker;
  const inbox: ParsedMail[] = [];
  let smtp: SMTPServer;
  const contexts: BrowserContext[] = [];

  before(async () => {
    if (skip) return;
    fs.mkdirSync(OUT, { recursive: true });
    s = await serve('2025-04-17T09:00:00Z'); // Thursday; Good Friday and Easter Monday follow
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', async () => {
          inbox.push(await simpleParser(Buffer.concat(chunks)));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as any).port;
    worker = new OutboxWorker(s.t.app.db, { mailer: smtpMailer(`smtp://127.0.0.1:${port}`), from: () => '"Example Housing" <complaints@example.org.uk>', clock: s.t.clock.now });
    [browser, kim] = await Promise.all([launchBrowser(), addPerson(s.t, 'kim@test.example', 'Kim Manager', 'manager')]);
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
    await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  });

  async function freshPage(opts: Parameters<typeof newContext>[2] = {}): Promise<{ page: Page; errors: string[] }> {
    const ctx = await newContext(browser, s.baseURL, opts);
    contexts.push(ctx);
    const page = await ctx.newPage();
    return { page, errors: watchErrors(page) };
  }

  /** Send what is due in the outbox and return the mail the SMTP server received for `to`. */
  async function mailTo(to: string): Promise<ParsedMail[]> {
    await worker.runOnce();
    return inbox.filter((m) => ((m.to as any)?.value ?? []).some((v: any) => v.address === to));
  }

  let journey: { reference: string; complaintId: string } | null = null;

  test('a resident’s representative complains, gets the link by email, follows it, adds a file and escalates; staff see each of these', { skip }, async () => {
    const { page, errors } = await freshPage();
    const start = await StartPage.visit(page);
    await start.start();
    await answerQuestions(page, NADIA);
    const files = await FilesPage.verifyOnPage(page);
    await files.add({ name: 'bedroom.png', mimeType: 'image/png', buffer: PNG });
    assert.deepEqual(await files.filesAdded(), ['bedroom.png']);
    await files.continue();
    const check = await CheckAnswersPage.verifyOnPage(page);
    assert.equal(await check.answer('Help needed'), 'Large print; Another language: Yoruba');
    assert.equal(await check.answer('Your name'), 'Rita Okafor (Daughter)');
    await check.send();
    const conf = await ConfirmationPage.verifyOnPage(page);
    const reference = await conf.reference();
    assert.match(await conf.text(), /We will acknowledge your complaint by Monday 28 April 2025/);
    assert.doesNotMatch(page.url(), /Okafor|rita|LS6/i, 'no personal data in the address');

    // The receipt email, then a one-time link by email.
    const receipts = await mailTo('rita@example.net');
    assert.equal(receipts.length, 1);
    assert.equal(receipts[0].subject, `We have your complaint: ${reference}`);
    const follow = await FollowStartPage.visit(page);
    await follow.emailMeALink(reference);
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const links = (await mailTo('rita@example.net')).filter((m) => m.subject?.startsWith('Your link to follow'));
    assert.equal(links.length, 1);
    const link = /http:\/\/\S+\/complain\/follow\/link\?t=[A-Za-z0-9_-]+/.exec(links[0].text ?? '')![0];
    assert.ok(link.startsWith(s.baseURL), link);
    await page.goto(link);
    await navigating(page, () => page.getByRole('button', { name: 'Continue to your complaint' }).click());
    let c = await FollowCasePage.verifyOnPage(page);
    assert.equal(await c.status(), 'Stage 1: Awaiting acknowledgement');
    assert.equal(await c.keyDate('Stage 1 acknowledgement'), 'Due by Monday 28 April 2025');

    // The link works once.
    const other = await freshPage();
    await other.page.goto(link);
    await navigating(other.page, () => other.page.getByRole('button', { name: 'Continue to your complaint' }).click());
    await other.page.getByRole('heading', { name: 'This link cannot be used' }).waitFor();

    // Add information and a file.
    await c.addInformation('The mould has spread to the hall. Here is the letter we got.', { name: 'letter.pdf', mimeType: 'application/pdf', buffer: PDF });
    c = await FollowCasePage.verifyOnPage(page);
    assert.equal(await c.successMessage(), 'Thank you. We have added what you sent to your complaint.');

    // Staff answer stage 1; the resident asks for stage 2 in one step, with no reason.
    const complaintId = (await s.t.app.db.selectFrom('complaints').select('id').where('reference', '=', reference).executeTakeFirstOrThrow()).id;
    await step(s.t, complaintId, 'assign', { handlerId: s.t.users.handler.id, conflict: { hasConflict: false, statement: null } });
    await step(s.t, complaintId, 'acknowledge', acknowledgeBody);
    s.t.clock.set('2025-04-24T09:00:00Z'); // a week later
    await step(s.t, complaintId, 'respond', respondBody);
    // The follow session lasted an hour: ask for a new link.
    await page.reload();
    await (await FollowStartPage.verifyOnPage(page)).emailMeALink(reference);
    const again = (await mailTo('rita@example.net')).filter((m) => m.subject?.startsWith('Your link to follow'));
    assert.equal(again.length, 2);
    await page.goto(/http:\/\/\S+\/complain\/follow\/link\?t=[A-Za-z0-9_-]+/.exec(again[1].text ?? '')![0]);
    await navigating(page, () => page.getByRole('button', { name: 'Continue to your complaint' }).click());
    c = await FollowCasePage.verifyOnPage(page);
    assert.equal(await c.status(), 'Stage 1: Responded');
    assert.equal(await c.keyDate('Stage 1 answer'), 'Sent Thursday 24 April 2025');
    await c.askForStageTwo();
    await page.getByRole('heading', { name: 'Ask for stage 2' }).waitFor();
    await navigating(page, () => page.getByRole('button', { name: 'Ask for stage 2' }).click());
    await page.getByRole('heading', { name: 'Stage 2 requested' }).waitFor();
    assert.match((await page.locator('main').innerText()).replace(/\s+/g, ' '), /We will acknowledge your stage 2 request by Thursday 1 May 2025/);
    journey = { reference, complaintId };

    // Staff see it all on the case.
    const staff = await freshPage();
    await (await SignInPage.visit(staff.page)).signIn(kim.email, kim.password);
    await WorkPage.verifyOnPage(staff.page);
    const cp = await CasePage.visit(staff.page, complaintId);
    assert.equal(await cp.status(), 'Stage 2: Awaiting acknowledgement');
    const alerts = (await staff.page.locator('.app-alerts').innerText()).replace(/\s+/g, ' ');
    assert.match(alerts, /Large print/);
    assert.match(alerts, /language: Yoruba/);
    assert.match(alerts, /Representative: Rita Okafor \(Daughter\), consent: Stated on the online complaint form/);
    assert.equal(await cp.summaryValue('Received'), `17 Apr 2025, 10:00am by Online form`);
    assert.equal(await cp.summaryValue('Help needed'), 'Large print; Another language: Yoruba');
    const attachments = await staff.page.locator('#attachments + ul li').allInnerTexts();
    assert.equal(attachments.length, 2);
    assert.match(attachments.join('\n'), /bedroom\.png[\s\S]*letter\.pdf/);
    const messages = (await staff.page.locator('#messages + table').innerText()).replace(/\s+/g, ' ');
    assert.match(messages, /Online complaint form/);
    assert.match(messages, /Information added online The mould has spread to the hall/);
    const timeline = await cp.timelineEntries();
    assert.ok(timeline.some((e) => e.startsWith('Escalation to stage 2 requested: No reason needed or given.')), timeline.join('\n'));
    const byResident = await staff.page.locator('.moj-timeline__item', { hasText: 'Escalation to stage 2 requested' }).locator('.moj-timeline__byline').innerText();
    assert.equal(byResident.trim(), 'by Resident (online)');
    assert.ok(timeline.filter((e) => e.startsWith('File attached')).length >= 2);
    assert.deepEqual(errors, []);
  });

  test('axe finds no WCAG 2.2 AA violation on any public page, error states included', { skip }, async () => {
    const { page, errors } = await freshPage();
    const found: string[] = [];
    const check = async (name: string) => {
      const v = await axeViolations(page);
      if (v.length) found.push(describeViolations(name, v));
      const dup = await page.evaluate(() => {
        const ids = [...(globalThis as any).document.querySelectorAll('[id]')].map((e: any) => String(e.id));
        return ids.filter((x, i) => ids.indexOf(x) !== i);
      });
      if (dup.length) found.push(`${name}: duplicate ids ${dup.join(', ')}`);
      if (await page.locator('.govuk-error-summary').count()) {
        for (const href of await page.locator('.govuk-error-summary a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
          if (!(await page.locator(href!).count())) found.push(`${name}: error summary link ${href} points at nothing`);
        }
      }
    };
    const submitEmpty = async () => navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await page.goto('/complain');
    await check('start');
    await page.goto('/complaints-policy');
    await check('policy');
    await page.goto('/complain/new/who');
    await check('who');
    await submitEmpty();
    await check('who (error)');
    await page.getByLabel('I am complaining for a resident, with their permission').check();
    await submitEmpty();
    for (const [name, fill] of [
      ['representative', async () => {
        await page.getByLabel('Your full name').fill('Rita');
        await page.getByLabel('How do you know the resident?').fill('Daughter');
        await page.getByLabel('How has the resident given you permission to complain for them?').fill('She asked me');
      }],
      ['name', async () => page.getByLabel('Last name').fill('Okafor')],
      ['address', async () => {
        await page.getByLabel(/Address line 1/).fill('1 Road');
        await page.getByLabel('Postcode').fill('LS1 1AA');
      }],
      ['contact', async () => {
        await page.getByLabel('Email address (optional)').fill('axe@example.net');
        await page.getByLabel('Email', { exact: true }).check();
      }],
      ['what-happened', async () => page.getByRole('textbox', { name: 'What happened?' }).fill('It leaks')],
      ['when', async () => {}],
      ['put-right', async () => {}],
      ['help', async () => {
        await page.getByLabel('Another language').check();
        await page.getByLabel('Which language?').fill('Welsh');
      }],
    ] as [string, () => Promise<unknown>][]) {
      await check(name);
      if (name === 'when') {
        await page.getByLabel('Day').fill('31');
        await page.getByLabel('Month').fill('2');
        await page.getByLabel('Year').fill('2025');
        await submitEmpty();
        await check('when (error)');
        await page.getByLabel('Day').fill('');
        await page.getByLabel('Month').fill('');
        await page.getByLabel('Year').fill('');
      } else if (name !== 'put-right') {
        await submitEmpty();
        await check(`${name} (error)`);
      }
      await fill();
      await submitEmpty();
    }
    const files = await FilesPage.verifyOnPage(page);
    await check('files');
    await files.add({ name: 'photo.jpg', mimeType: 'image/jpeg', buffer: EXE });
    assert.match((await files.errorMessages()).join(), /The file's content is not a JPG file/);
    await check('files (refused file)');
    await files.add({ name: 'photo.png', mimeType: 'image/png', buffer: PNG });
    await check('files (one added)');
    await files.continue();
    const answers = await CheckAnswersPage.verifyOnPage(page);
    await check('check answers');
    await answers.send();
    const conf = await ConfirmationPage.verifyOnPage(page);
    await check('confirmation');
    const reference = await conf.reference();

    const follow = await FollowStartPage.visit(page);
    await check('follow');
    await navigating(page, () => page.getByRole('button', { name: 'Email me a link' }).click());
    await check('follow (email error)');
    await follow.withDetails('CMP-999999', 'Nobody', 'LS1 1AA');
    await check('follow (not found)');
    await follow.emailMeALink(reference);
    await check('check your email');
    await page.goto('/complain/follow/link?t=not-a-real-token');
    await check('link');
    await navigating(page, () => page.getByRole('button', { name: 'Continue to your complaint' }).click());
    await check('link (used or expired)');
    await (await FollowStartPage.visit(page)).withDetails(reference, 'Okafor', 'LS1 1AA');
    const c = await FollowCasePage.verifyOnPage(page);
    await check('follow case');
    await navigating(page, () => page.getByRole('button', { name: 'Send to us' }).click());
    await check('follow case (error)');
    const id = (await s.t.app.db.selectFrom('complaints').select('id').where('reference', '=', reference).executeTakeFirstOrThrow()).id;
    await step(s.t, id, 'assign', { handlerId: s.t.users.handler.id, conflict: { hasConflict: false, statement: null } });
    await step(s.t, id, 'acknowledge', acknowledgeBody);
    await step(s.t, id, 'respond', respondBody);
    await page.reload();
    await c.askForStageTwo();
    await check('escalate');
    await navigating(page, () => page.getByRole('button', { name: 'Ask for stage 2' }).click());
    await check('escalated');
    // Too many tries: the throttled page.
    const g = await freshPage();
    for (let i = 0; i < 11; i++) {
      await g.page.goto('/complain/follow');
      await (await FollowStartPage.verifyOnPage(g.page)).withDetails(`CMP-9${String(i).padStart(5, '0')}`, 'Guess', 'LS1 1AA');
    }
    await g.page.getByRole('heading', { name: 'You have tried too many times' }).waitFor();
    const v = await axeViolations(g.page);
    if (v.length) found.push(describeViolations('too many tries', v));
    s.t.clock.set(new Date(s.t.clock.now().getTime() + 20 * 60_000).toISOString()); // past the 15-minute window, for the tests that follow
    assert.deepEqual(found, []);
    assert.deepEqual(errors, []);
  });

  test('with JavaScript off, a resident makes a complaint with a file and asks for stage 2', { skip }, async () => {
    const { page, errors } = await freshPage({ javaScriptEnabled: false });
    await (await StartPage.visit(page)).start();
    // Without JavaScript the conditional "Which language?" question is simply shown.
    await answerQuestions(page, { ...NADIA, representative: undefined, givenName: 'Jo', familyName: 'Nojs', email: 'jo@example.net', help: ['Another language', 'Easy read'], language: 'Urdu' });
    const files = await FilesPage.verifyOnPage(page);
    await files.add({ name: 'damp.png', mimeType: 'image/png', buffer: PNG });
    await files.continue();
    const check = await CheckAnswersPage.verifyOnPage(page);
    assert.equal(await check.answer('Files'), 'damp.png');
    await check.send();
    const reference = await (await ConfirmationPage.verifyOnPage(page)).reference();
    await (await FollowStartPage.visit(page)).withDetails(reference, 'NOJS', 'ls6 2ab');
    let c = await FollowCasePage.verifyOnPage(page);
    await c.addInformation('Another photo', { name: 'hall.png', mimeType: 'image/png', buffer: PNG });
    c = await FollowCasePage.verifyOnPage(page);
    const id = (await s.t.app.db.selectFrom('complaints').select('id').where('reference', '=', reference).executeTakeFirstOrThrow()).id;
    await step(s.t, id, 'assign', { handlerId: s.t.users.handler.id, conflict: { hasConflict: false, statement: null } });
    await step(s.t, id, 'acknowledge', acknowledgeBody);
    await step(s.t, id, 'respond', respondBody);
    await page.reload();
    c = await FollowCasePage.verifyOnPage(page);
    await c.askForStageTwo();
    await page.getByLabel('Why are you still unhappy? (optional)').fill('The mould is back');
    await navigating(page, () => page.getByRole('button', { name: 'Ask for stage 2' }).click());
    await page.getByRole('heading', { name: 'Stage 2 requested' }).waitFor();
    const complaint = await s.t.app.db.selectFrom('complaints').select(['stage', 'help_needed']).where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(complaint.stage, 2);
    assert.equal(complaint.help_needed, 'Another language: Urdu; Easy read');
    assert.equal((await s.t.app.db.selectFrom('attachments').select('id').where('complaint_id', '=', id).execute()).length, 2);
    assert.deepEqual(errors, []);
  });

  test('screenshots at 320 px and at 200% zoom: nothing needs scrolling sideways', { skip }, async () => {
    assert.ok(journey, 'runs after the journey');
    const widths = [
      { name: '320', width: 320 },
      { name: 'zoom200', width: 640 }, // a 1280 px screen at 200% zoom
    ];
    const { page, errors } = await freshPage();
    const overflowing: string[] = [];
    const shoot = async (name: string) => {
      for (const w of widths) {
        await page.setViewportSize({ width: w.width, height: 800 });
        await page.screenshot({ path: path.join(OUT, `residents-${name}-${w.name}.png`), fullPage: true });
        const sizes = await page.evaluate(() => ({ scroll: (globalThis as any).document.documentElement.scrollWidth }));
        if (sizes.scroll > w.width) overflowing.push(`${name} at ${w.width}px: ${sizes.scroll}`);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    };
    await page.goto('/complain');
    await shoot('start');
    await page.goto('/complain/new/who');
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await shoot('who-error');
    await page.getByLabel('I am the resident').check();
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    const q = await QuestionPage.verifyOnPage(page, 'What is your name?');
    await q.fill('Last name', 'Fitzgerald-Montgomery-Oyelaran');
    await q.continue();
    await page.getByLabel(/Address line 1/).fill('Flat 12, Bartholomew Court, 145 Westminster Bridge Road');
    await page.getByLabel('Postcode').fill('SE1 7XA');
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await page.getByLabel('Email address (optional)').fill('a.very.long.email.address.for.testing@example-housing-association.org.uk');
    await page.getByLabel('Email', { exact: true }).check();
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await page.getByRole('textbox', { name: 'What happened?' }).fill('Water comes through the ceiling whenever it rains. '.repeat(8));
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    await shoot('help');
    await page.getByLabel('Something else').check();
    await page.getByLabel('What help do you need?').fill('Please call after 3pm');
    await navigating(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    const files = await FilesPage.verifyOnPage(page);
    await files.add({ name: 'a-photo-with-a-really-long-file-name-taken-on-my-phone-20250417.png', mimeType: 'image/png', buffer: PNG });
    await shoot('files');
    await files.continue();
    await shoot('check');
    await (await CheckAnswersPage.verifyOnPage(page)).send();
    await shoot('confirmation');
    await (await FollowStartPage.visit(page)).withDetails(journey!.reference, 'Okafor', 'LS6 2AB');
    await FollowCasePage.verifyOnPage(page);
    await shoot('follow-case');
    assert.deepEqual(overflowing, [], 'no horizontal scrolling');
    assert.deepEqual(errors, []);
  });
});
