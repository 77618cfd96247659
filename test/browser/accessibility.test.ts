/**
 * axe-core (WCAG 2.0/2.1/2.2 A and AA) finds no violations on every page, as the role that uses
 * it, and on each form's error state. Each page is its own subtest, so one failure does not hide
 * another; a failure lists the rule ids and the elements they hit. No rule is disabled.
 *
 * Error states also check that every link in the error summary points at an element on the page
 * (GOV.UK's error summary moves focus there).
 */
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { addPerson, browserSkip, launchBrowser, newContext, serve, type Person, type Served } from './support/browser.js';
import { axeViolations, describeViolations } from './support/axe.js';
import { acknowledgeBody, respondBody, seedComplaint, step, type Seeded } from './support/seed.js';
import { SignInPage } from './pages/sign-in-page.js';
import { navigating } from './pages/abstract-page.js';
import { STEPS } from '../../src/web/routes/complaint-forms.js';

// Skipped, test by test, when chromium is absent (unless PUTRIGHT_REQUIRE_BROWSER=1).
const skip = browserSkip();

describe('accessibility: axe-core finds no WCAG 2.2 AA violations', () => {
  let s: Served;
  let browser: Browser;
  let manager: Person;
  let admin: Person;
  let handler: Person;
  let staff: Person;
  const contexts: BrowserContext[] = [];
  // Complaints in the states that offer each step.
  let awaiting: Seeded; // stage 1, awaiting acknowledgement, unassigned; resident with needs, a restriction, a representative
  let investigating: Seeded; // stage 1, acknowledged
  let responded: Seeded; // stage 1, responded
  let closed: Seeded; // stage 1, closed
  let stage2: Seeded; // escalated, stage 2 awaiting acknowledgement
  let serviceRequestId: string;

  before(async () => {
    if (skip) return;
    s = await serve('2025-04-17T09:00:00Z');
    const { t } = s;
    [browser, manager, admin, handler, staff] = await Promise.all([
      launchBrowser(),
      addPerson(t, 'kim@test.example', 'Kim Manager', 'manager'),
      addPerson(t, 'ada.admin@test.example', 'Ada Administrator', 'admin'),
      addPerson(t, 'lee@test.example', 'Lee Handler', 'handler'),
      addPerson(t, 'sol@test.example', 'Sol Staff', 'staff'),
    ]);

    awaiting = await seedComplaint(t, { givenName: 'Ann', familyName: 'Lee', serviceArea: null });
    const rid = awaiting.residentId!;
    assert.equal((await t.call('POST', `/api/v1/residents/${rid}/needs`, { body: { kind: 'disability', description: 'Uses a wheelchair', reviewOn: '2025-04-10' } })).status, 201);
    assert.equal(
      (
        await t.call('POST', `/api/v1/residents/${rid}/restrictions`, {
          body: { restriction: 'Contact in writing only', reason: 'Abusive calls', proportionality: 'Writing still lets her raise concerns', equalityConsiderations: 'None known', startsOn: '2025-04-01', reviewOn: '2025-07-01' },
        })
      ).status,
      201,
    );
    assert.equal(
      (await t.call('POST', `/api/v1/residents/${rid}/representatives`, { body: { name: 'Bo Lee', relationship: 'Son', consentEvidence: 'Signed form on file', consentRecordedOn: '2025-04-01' } })).status,
      201,
    );
    assert.equal((await t.call('POST', `/api/v1/complaints/${awaiting.id}/notes`, { body: { body: 'Called the resident back' } })).status, 201);
    assert.equal((await t.call('POST', `/api/v1/complaints/${awaiting.id}/correspondence`, { body: { direction: 'in', channel: 'email', subject: 'My ceiling', body: 'It is still leaking' } })).status, 201);

    const acknowledged = async () => {
      const c = await seedComplaint(t);
      await step(t, c.id, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false, statement: null } });
      await step(t, c.id, 'acknowledge', acknowledgeBody);
      return c;
    };
    investigating = await acknowledged();
    responded = await acknowledged();
    await step(t, responded.id, 'respond', respondBody);
    closed = await acknowledged();
    await step(t, closed.id, 'respond', respondBody);
    await step(t, closed.id, 'close', { summary: 'Done' });
    stage2 = await acknowledged();
    await step(t, stage2.id, 'respond', respondBody);
    await step(t, stage2.id, 'escalate', {});

    const sr = await t.call('POST', '/api/v1/service-requests', { body: { residentId: rid, channel: 'phone', serviceArea: 'Repairs', description: 'Fix the back door lock' } });
    assert.equal(sr.status, 201, JSON.stringify(sr.body));
    serviceRequestId = sr.body.id;
  });

  after(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await s?.close();
  });

  /** A page signed in as this person (its own cookies). */
  async function signedIn(person: Person): Promise<Page> {
    const ctx = await newContext(browser, s.baseURL);
    contexts.push(ctx);
    const page = await ctx.newPage();
    const signIn = await SignInPage.visit(page);
    await signIn.signIn(person.email, person.password);
    assert.doesNotMatch(page.url(), /sign-in/, `${person.email} signed in`);
    return page;
  }

  /** The site's own links seen on each signed-in page, to check they lead somewhere. */
  const linksSeen = new Map<Page, Map<string, string>>();
  async function collectLinks(page: Page) {
    const hrefs = await page.locator('a[href^="/"]').evaluateAll((as) => as.map((a) => (a as any).getAttribute('href') as string));
    const seen = linksSeen.get(page) ?? new Map<string, string>();
    for (const h of hrefs) if (!seen.has(h.split('#')[0])) seen.set(h.split('#')[0], new URL(page.url()).pathname);
    linksSeen.set(page, seen);
  }

  /** Links known to be broken, each kept visible as a TODO until fixed. */
  const KNOWN_BROKEN_LINKS: Record<string, string> = {
  };

  /** Every link collected on this page's visits answers without an error (as the same user). */
  async function checkLinks(t: TestContext, page: Page) {
    const broken: string[] = [];
    await t.test('every link on those pages leads somewhere', async () => {
      for (const [href, from] of linksSeen.get(page) ?? []) {
        const r = await page.request.get(href);
        if (r.status() >= 400) broken.push(`${href} (on ${from}): ${r.status()}`);
      }
      assert.deepEqual(broken.filter((b) => !KNOWN_BROKEN_LINKS[b.split(' ')[0]]), [], 'broken links');
    });
    for (const [href, todo] of Object.entries(KNOWN_BROKEN_LINKS)) {
      await t.test(`the link to ${href} leads somewhere`, { todo }, () => {
        assert.deepEqual(broken.filter((b) => b.startsWith(`${href} `)), []);
      });
    }
  }

  /** axe over the page as it is now; and its title names the page (the layout puts `title` first). */
  async function assertNoViolations(page: Page, label: string) {
    await collectLinks(page);
    const title = await page.title();
    assert.match(title, /^(Error: )?[^\s–]/, `${label}: the page title “${title}” does not say what the page is`);
    const found = await axeViolations(page);
    assert.equal(found.length, 0, describeViolations(`${label} (${new URL(page.url()).pathname})`, found));
  }

  /** The error summary's links that point at nothing on the page. */
  async function brokenErrorLinks(page: Page): Promise<string[]> {
    const links = await page.locator('.govuk-error-summary__list a').evaluateAll((as) => as.map((a) => (a as any).getAttribute('href') as string));
    return page.evaluate((hrefs) => hrefs.filter((h) => !h.startsWith('#') || !(globalThis as any).document.getElementById(decodeURIComponent(h.slice(1)))), links);
  }

  /** The page shows an error summary, and each of its links points at something on the page. */
  async function assertErrorState(page: Page, label: string, knownBroken: string[] = []) {
    assert.ok(await page.locator('.govuk-error-summary__list a').count(), `${label}: expected an error summary at ${page.url()}, but there is none`);
    assert.match(await page.title(), /^Error: /, `${label}: a page with errors says so first in its title`);
    const broken = (await brokenErrorLinks(page)).filter((h) => !knownBroken.includes(h));
    assert.deepEqual(broken, [], `${label}: error summary links with no target on the page`);
  }

  async function visitAndCheck(t: TestContext, page: Page, url: string, label = url, status = 200) {
    await t.test(label, async () => {
      const r = await page.goto(url);
      assert.equal(r?.status(), status, `${url} answered ${r?.status()}`);
      await assertNoViolations(page, label);
    });
  }

  /** Open the form, optionally change it, send it, and check the error page that comes back. */
  async function errorAndCheck(
    t: TestContext,
    page: Page,
    url: string,
    label: string,
    prepare: (page: Page) => Promise<void> = async () => {},
    submit = 'form#form button',
    knownBroken?: { hrefs: string[]; todo: string },
  ) {
    await t.test(`${label}: error state`, async () => {
      await page.goto(url);
      await prepare(page);
      await navigating(page, () => page.locator(submit).first().click());
      await assertErrorState(page, label, knownBroken?.hrefs);
      await assertNoViolations(page, `${label} with errors`);
    });
    // A known fault outside the templates: kept visible as a TODO until it is fixed.
    if (knownBroken) {
      await t.test(`${label}: error summary links reach their fields`, { todo: knownBroken.todo }, async () => {
        assert.deepEqual(await brokenErrorLinks(page), [], `${label}: error summary links with no target on the page`);
      });
    }
  }

  test('signed out: the sign-in page and its errors', { skip }, async (t) => {
    const ctx = await newContext(browser, s.baseURL);
    contexts.push(ctx);
    const page = await ctx.newPage();
    await visitAndCheck(t, page, '/sign-in');
    await errorAndCheck(t, page, '/sign-in', 'sign in, empty', async () => {}, 'main form button[type=submit]');
    await errorAndCheck(t, page, '/sign-in', 'sign in, wrong password', async (p) => {
      await p.getByLabel('Email address').fill(manager.email);
      await p.getByLabel('Password', { exact: true }).fill('not the password at all');
    }, 'main form button[type=submit]');
  });

  test('a complaints manager’s pages', { skip }, async (t) => {
    const page = await signedIn(manager);
    const rid = awaiting.residentId!;
    await visitAndCheck(t, page, '/work', 'my work (empty)');
    await visitAndCheck(t, page, '/work?handler=all', 'my work, everyone');
    await visitAndCheck(t, page, '/work?handler=all&stage=1&due=overdue&vulnerable=true', 'my work, filtered to nothing');
    await visitAndCheck(t, page, '/team');
    await visitAndCheck(t, page, '/complaints/new');
    await visitAndCheck(t, page, `/complaints/new?residentId=${rid}`, 'log a complaint for a resident');
    await visitAndCheck(t, page, `/complaints/${awaiting.id}`, 'case: awaiting acknowledgement, with needs and notes');
    await visitAndCheck(t, page, `/complaints/${investigating.id}`, 'case: investigating');
    await visitAndCheck(t, page, `/complaints/${responded.id}?done=respond`, 'case: responded, with banner');
    await visitAndCheck(t, page, `/complaints/${closed.id}`, 'case: closed');
    await visitAndCheck(t, page, `/complaints/${stage2.id}`, 'case: stage 2');
    await visitAndCheck(t, page, '/service-requests/new');
    await visitAndCheck(t, page, `/service-requests/${serviceRequestId}?done=logged`, 'service request');
    await visitAndCheck(t, page, `/residents/${rid}?done=need`, 'resident, with banner and review reminder');
    for (const form of ['contact', 'needs', 'restrictions', 'representatives']) await visitAndCheck(t, page, `/residents/${rid}/${form}`);
    await visitAndCheck(t, page, '/search');
    await visitAndCheck(t, page, '/search?q=Lee', 'search with results');
    await visitAndCheck(t, page, '/search?q=zzzz', 'search with no results');
    await visitAndCheck(t, page, '/residents/00000000-0000-4000-8000-000000000000', 'not found page', 404);
    await checkLinks(t, page);
  });

  test('every lifecycle step page, in a state that offers it', { skip }, async (t) => {
    const page = await signedIn(manager);
    const where: Record<keyof typeof STEPS, Seeded> = {
      assign: awaiting,
      triage: awaiting,
      acknowledge: awaiting,
      extend: investigating,
      'update-interval': awaiting,
      updates: awaiting,
      'related-issue': investigating,
      respond: investigating,
      escalate: responded,
      refuse: awaiting,
      'refuse-escalation': stage2,
      withdraw: awaiting,
      reopen: closed,
      close: responded,
      link: awaiting,
    };
    for (const [name, c] of Object.entries(where)) {
      await t.test(`step: ${name}`, async () => {
        const r = await page.goto(`/complaints/${c.id}`);
        assert.equal(r?.status(), 200);
        // The case page offers the step (so this is a state where it is used)…
        const link = page.locator(`a[href="/complaints/${c.id}/${name}"]`);
        assert.equal(await link.count(), 1, `the case page of a ${c.reference} offers “${name}”`);
        await navigating(page, () => link.click());
        assert.equal(await page.locator('main h1').innerText(), STEPS[name as keyof typeof STEPS]);
        await assertNoViolations(page, `step ${name}`);
      });
    }
  });

  test('every lifecycle form’s error state', { skip }, async (t) => {
    const page = await signedIn(manager);
    const url = (c: Seeded, name: string) => `/complaints/${c.id}/${name}`;
    // Sent empty, each of these is refused (none of them changes the complaint).
    const empty: [Seeded, string][] = [
      [awaiting, 'assign'],
      [awaiting, 'triage'],
      [awaiting, 'acknowledge'], // no handler yet: the engine refuses
      [investigating, 'extend'],
      [awaiting, 'update-interval'],
      [awaiting, 'updates'],
      [investigating, 'related-issue'],
      [investigating, 'respond'],
      [awaiting, 'refuse'],
      [stage2, 'refuse-escalation'],
      [awaiting, 'withdraw'],
      [closed, 'reopen'],
      [awaiting, 'link'],
    ];
    for (const [c, name] of empty) await errorAndCheck(t, page, url(c, name), `step ${name}`);
    // A step with a point left unanswered, and the acknowledgement with a point half filled in.
    await errorAndCheck(t, page, url(investigating, 'respond'), 'step respond, one point decided', async (p) => {
      await p.getByRole('group', { name: /^P1: / }).getByLabel('Upheld', { exact: true }).check();
    });
    // Sent empty, these would succeed: a date that is not real, or a stale version, gets their errors.
    await errorAndCheck(t, page, url(responded, 'close'), 'step close, not a real date', async (p) => {
      await p.getByRole('group', { name: 'Date' }).getByLabel('Day').fill('31');
      await p.getByRole('group', { name: 'Date' }).getByLabel('Month').fill('2');
      await p.getByRole('group', { name: 'Date' }).getByLabel('Year').fill('2025');
    });
    await errorAndCheck(t, page, url(responded, 'escalate'), 'step escalate, changed by someone else', async (p) => {
      await p.locator('input[name=version]').evaluate((el) => ((el as any).value = String(Number((el as any).value) - 1)));
    });
  });

  test('the other forms’ error states', { skip }, async (t) => {
    const page = await signedIn(manager);
    const rid = awaiting.residentId!;
    await errorAndCheck(t, page, '/complaints/new', 'log a complaint, empty', async () => {}, 'button[value=log]');
    await errorAndCheck(t, page, '/complaints/new', 'log a complaint, new resident with nothing filled in', async (p) => {
      await p.getByLabel('A new resident').check();
    }, 'button[value=log]');
    await errorAndCheck(t, page, '/complaints/new', 'log a complaint, find with no query', async (p) => {
      await p.getByLabel('A resident on our records').check();
    }, 'button[value=find]');
    await errorAndCheck(t, page, '/service-requests/new', 'log a service request, empty', async () => {}, 'button[value=log]');
    await errorAndCheck(t, page, `/service-requests/${serviceRequestId}`, 'service request review, empty', async () => {}, `form[action$="/review"] button`);
    await errorAndCheck(t, page, `/service-requests/${serviceRequestId}`, 'service request raise complaint, empty', async () => {}, `form[action$="/complaint"] button`);
    await errorAndCheck(t, page, `/residents/${rid}/contact`, 'resident contact, no family name and a bad postcode', async (p) => {
      await p.getByLabel('Family name').fill('');
      await p.getByLabel('Postcode').fill('not a postcode');
    }, 'main form button[type=submit]');
    for (const form of ['needs', 'restrictions', 'representatives']) {
      await errorAndCheck(t, page, `/residents/${rid}/${form}`, `resident ${form}, empty`, async (p) => {
        // The start and disclosed dates are filled in with today: clear them too.
        for (const input of await p.locator('main form input.govuk-date-input__input').all()) await input.fill('');
      }, 'main form button[type=submit]');
    }
    await errorAndCheck(t, page, '/team', 'team assignment, nothing chosen', async () => {}, 'form[action="/team/assign"] button[type=submit]');
    await errorAndCheck(t, page, `/complaints/${awaiting.id}`, 'case page, empty note', async () => {}, 'form[action$="/notes/add"] button');
    await errorAndCheck(t, page, `/complaints/${awaiting.id}`, 'case page, empty message', async (p) => {
      await p.getByText('Record a message').click();
    }, 'form[action$="/messages/add"] button');
  });

  test('a handler’s and other staff’s pages', { skip }, async (t) => {
    const asHandler = await signedIn(handler);
    await visitAndCheck(t, asHandler, '/work', 'my work as a handler');
    await visitAndCheck(t, asHandler, `/complaints/${investigating.id}`, 'case page as a handler');
    const asStaff = await signedIn(staff);
    await visitAndCheck(t, asStaff, '/complaints/new', 'log a complaint as other staff');
    await visitAndCheck(t, asStaff, `/residents/${awaiting.residentId}`, 'resident as other staff');
    await checkLinks(t, asHandler);
    await checkLinks(t, asStaff);
  });

  test('letters and email: templates, outbox, triage, letter settings, and their errors', { skip }, async (t) => {
    const page = await signedIn(manager);
    for (const url of ['/letter-templates', '/letter-templates/stage1_response', '/letter-templates/remedy_offer', '/outbox', '/outbox?status=needs-action', '/inbound-email', `/complaints/${awaiting.id}/letters`]) {
      await visitAndCheck(t, page, url);
    }
    await errorAndCheck(t, page, '/letter-templates/extension', 'template saved without the Ombudsman', async (p) => {
      const body = p.locator('#body');
      await body.fill((await body.inputValue()).replace('{{ ombudsman }}', 'Call us.'));
    }, 'button[value=save]');
    await errorAndCheck(t, page, '/outbox', 'outbox, bad reference', async (p) => {
      await p.locator('#reference').fill('nonsense');
    }, 'form[action="/outbox"] button');
    const admin_ = await signedIn(admin);
    await visitAndCheck(t, admin_, '/settings/letters');
    await errorAndCheck(t, admin_, '/settings/letters', 'letter sender, bad address', async (p) => {
      await p.locator('#fromAddress').fill('not an address');
    }, 'form[action="/settings/letters"] button');
  });

  test('an administrator’s settings pages and their errors', { skip }, async (t) => {
    const page = await signedIn(admin);
    for (const url of ['/settings', '/settings/landlord', '/settings/lists', '/settings/calendar', '/settings/ombudsman', '/settings/targets', '/settings/users', '/settings/users/new']) {
      await visitAndCheck(t, page, url);
    }
    await visitAndCheck(t, page, `/settings/users/${manager.id}`, 'a staff account');
    await visitAndCheck(t, page, `/settings/users/${admin.id}`, 'your own account');
    const save = 'main form button[type=submit]';
    await errorAndCheck(t, page, '/settings/landlord', 'landlord, blanked', async (p) => {
      await p.getByLabel('Landlord’s name').fill('');
      await p.getByLabel('Primary colour').fill('#ffff00');
      await p.getByLabel('Complaints email address').fill('not an email');
    }, save);
    await errorAndCheck(t, page, '/settings/lists', 'lists, blanked', async (p) => {
      await p.getByLabel('Service areas').fill('');
      await p.getByLabel('Exclusion grounds').fill('no bar here');
    }, save);
    await errorAndCheck(t, page, '/settings/calendar', 'calendar, bad dates', async (p) => {
      await p.getByLabel('Closure days (optional)').fill('31 February 2025');
      await p.getByLabel('End-of-day cut-off (optional)').fill('25:99');
    }, save);
    await errorAndCheck(t, page, '/settings/ombudsman', 'ombudsman, blanked', async (p) => {
      await p.getByRole('group', { name: 'Housing Ombudsman' }).getByLabel('Name').fill('');
    }, save);
    await errorAndCheck(t, page, '/settings/targets', 'targets, out of range', async (p) => {
      await p.getByLabel('Complaints acknowledged on time').fill('150');
    }, save);
    await errorAndCheck(t, page, '/settings/users/new', 'new staff, empty', async () => {}, save);
    await checkLinks(t, page);
  });
});
