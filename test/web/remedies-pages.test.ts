/** The remedies and actions pages, through plain form posts: adding, approving, paying, and "my actions". */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { csrfFrom, getPage, postForm, signIn, textOf } from './session.js';

forEachBackend('remedies and actions pages', (backend) => {
  let t: TestApp;
  let manager: string;
  let handler: string;
  let admin: string;
  let handlerId: string;
  let id: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    handlerId = (await t.app.services.users.create(SYSTEM_ACTOR, { email: 'lee@test.example', name: 'Lee Handler', role: 'handler', team: 'Repairs', password: 'another long password' })).id;
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'ada@test.example', name: 'Ada Admin', role: 'admin', password: 'the admin password' });
    manager = await signIn(t.app, 'kim@test.example', 'a long enough password');
    handler = await signIn(t.app, 'lee@test.example', 'another long password');
    admin = await signIn(t.app, 'ada@test.example', 'the admin password');
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Boiler broken for a week', resident: { givenName: 'Ann', familyName: 'Lee', postcode: 'N1 1AA' } } });
    id = c.body.id;
  });
  after(async () => {
    await t?.close();
  });

  const page = `/complaints/${'ID'}/remedies-and-actions`;
  const url = () => page.replace('ID', id);

  async function post(path: string, cookie: string, fields: Record<string, string | undefined>) {
    const p = await getPage(t.app, url(), cookie);
    assert.equal(p.statusCode, 200);
    return postForm(t.app, path, cookie, { _csrf: csrfFrom(p.body), ...fields });
  }

  async function remedies() {
    return (await t.call('GET', `/api/v1/complaints/${id}/remedies`)).body.items as any[];
  }

  test('the page shows the guidance bands, the caller’s limit, and the forms with CSRF tokens', async () => {
    const r = await getPage(t.app, url(), handler);
    assert.equal(r.statusCode, 200, r.body);
    const text = textOf(r.body);
    assert.match(text, /Remedies and actions/);
    assert.match(text, /guidance, not a tariff/);
    assert.match(text, /Your approval limit is £250/);
    assert.match(text, /Maladministration that adversely affected the resident £100 to £600/);
    const forms = r.body.match(/<form[^>]*method="post"/g)!.length;
    const tokens = r.body.match(/name="_csrf"/g)!.length;
    assert.equal(tokens, forms, 'every form carries the CSRF token');
    // No CSRF token: refused.
    const bad = await postForm(t.app, `${url()}/remedies`, handler, { type: 'apology', description: 'Sorry' });
    assert.equal(bad.statusCode, 403);
  });

  test('a form with a problem comes back with an error summary and its values', async () => {
    let r = await post(`${url()}/remedies`, handler, { description: 'We will pay for the heater' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /govuk-error-summary/);
    assert.match(r.body, /href="#nr-type"/);
    assert.match(r.body, /We will pay for the heater/);
    r = await post(`${url()}/remedies`, handler, { type: 'financial', description: 'Heater costs', amount: '300', offerNow: 'yes' });
    assert.equal(r.statusCode, 422);
    assert.match(textOf(r.body), /above the proposer’s approval limit/);
    assert.match(r.body, /href="#nr-offerNow"/);
    r = await post(`${url()}/remedies`, handler, { type: 'financial', description: 'Heater costs', amount: '300', 'head-quantifiable_loss': '100' });
    assert.equal(r.statusCode, 422);
    assert.match(textOf(r.body), /add up to £100, not the £300 offered/);
    assert.equal((await remedies()).length, 0, 'nothing saved');
  });

  test('a handler’s £350 waits for a manager’s approval; then offered, accepted and paid through the forms', async () => {
    let r = await post(`${url()}/remedies`, handler, { type: 'financial', description: 'Compensation for a week without heating', amount: '350', 'dueOn-day': '30', 'dueOn-month': '5', 'dueOn-year': '2025', impactBand: 'maladministration' });
    assert.equal(r.statusCode, 303, r.body);
    const [rem] = await remedies();
    assert.equal(rem.status, 'awaiting_approval');
    let p = await getPage(t.app, url(), handler);
    assert.match(textOf(p.body), /Waiting for approval/);
    assert.doesNotMatch(p.body, new RegExp(`/remedies/${rem.id}/approve`), 'a handler is not offered the approval form');
    assert.doesNotMatch(p.body, new RegExp(`/remedies/${rem.id}/offer`), 'nor the offer form before approval');
    r = await post(`${url()}/remedies/${rem.id}/approve`, handler, { version: String(rem.version) });
    assert.equal(r.statusCode, 403);

    r = await post(`${url()}/remedies/${rem.id}/approve`, manager, { version: String(rem.version), note: 'Fair' });
    assert.equal(r.statusCode, 303);
    p = await getPage(t.app, url(), handler);
    assert.match(textOf(p.body), /Approved by Kim Manager/);
    let cur = (await remedies())[0];
    r = await post(`${url()}/remedies/${rem.id}/offer`, handler, { version: String(cur.version) });
    assert.equal(r.statusCode, 303);
    cur = (await remedies())[0];
    r = await post(`${url()}/remedies/${rem.id}/accept`, handler, { version: String(cur.version), 'on-day': '40', 'on-month': '4', 'on-year': '2025' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, new RegExp(`href="#r-${rem.id}-accept-on-day"`));
    r = await post(`${url()}/remedies/${rem.id}/accept`, handler, { version: String(cur.version) });
    assert.equal(r.statusCode, 303);
    cur = (await remedies())[0];
    r = await post(`${url()}/remedies/${rem.id}/pay`, handler, { version: String(cur.version), method: 'bank_transfer', reference: 'BACS-1' });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, new RegExp(`href="#r-${rem.id}-pay-notOffsetConfirmed"`));
    r = await post(`${url()}/remedies/${rem.id}/pay`, handler, { version: String(cur.version), method: 'offset_against_arrears', reference: 'RENT', notOffsetConfirmed: 'yes' });
    assert.equal(r.statusCode, 422);
    assert.match(textOf(r.body), /must not be offset against rent arrears/);
    r = await post(`${url()}/remedies/${rem.id}/pay`, handler, { version: String(cur.version), method: 'bank_transfer', reference: 'BACS-1', notOffsetConfirmed: 'yes' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, `${url()}?done=remedy-pay#remedy-${rem.id}`);
    p = await getPage(t.app, `${url()}?done=remedy-pay`, handler);
    assert.match(textOf(p.body), /Payment recorded/);
    assert.match(textOf(p.body), /reference BACS-1\. Confirmed not offset against rent arrears/);
  });

  test('actions: added on the case page, listed in "my actions" overdue first, completed from there', async () => {
    let r = await post(`${url()}/actions`, manager, { description: 'Service the boiler', owner: handlerId, contractor: 'Boilers R Us', 'dueOn-day': '24', 'dueOn-month': '4', 'dueOn-year': '2025', every: '7' });
    assert.equal(r.statusCode, 303, r.body);
    r = await post(`${url()}/actions`, manager, { description: 'Check the radiators', owner: 'team', ownerTeam: 'Repairs', 'dueOn-day': '30', 'dueOn-month': '5', 'dueOn-year': '2025' });
    assert.equal(r.statusCode, 303);
    r = await post(`${url()}/actions`, manager, { description: 'No owner' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /href="#na-owner"/);

    t.clock.set('2025-04-28T09:00:00Z');
    const mine = await getPage(t.app, '/actions', handler);
    assert.equal(mine.statusCode, 200);
    const text = textOf(mine.body);
    assert.match(text, /My actions/);
    assert.ok(text.indexOf('Service the boiler') < text.indexOf('Check the radiators'), 'the overdue one first');
    assert.match(text, /Overdue/);
    assert.match(text, /Boilers R Us/);
    const acts = (await t.call('GET', `/api/v1/complaints/${id}/actions`)).body.items as any[];
    const boiler = acts.find((a) => a.description === 'Service the boiler');
    r = await postForm(t.app, `/actions/${boiler.id}/complete`, handler, { _csrf: csrfFrom(mine.body), version: String(boiler.version), back: '/actions', note: 'Serviced' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, `/actions?done=action-complete#action-${boiler.id}`);
    const after = await getPage(t.app, '/actions?done=action-complete', handler);
    assert.match(textOf(after.body), /Action marked as done/);
    assert.doesNotMatch(textOf(after.body), /Service the boiler/);
    const overdue = await getPage(t.app, '/actions?view=overdue', manager);
    assert.equal(overdue.statusCode, 200);
  });

  test('the remedy settings page changes the limits, bands and lapse period', async () => {
    const p = await getPage(t.app, '/settings/remedies', admin);
    assert.equal(p.statusCode, 200);
    assert.match(p.body, /value="250"/);
    let r = await postForm(t.app, '/settings/remedies', admin, { _csrf: csrfFrom(p.body), 'limit-handler': '300', 'limit-manager': '2000', 'limit-governance': '', lapseMonths: 'x', 'band-0-label': 'Minor', 'band-0-from': '50', 'band-0-to': '100', 'band-1-label': 'Mal', 'band-1-from': '100', 'band-1-to': '600', 'band-2-label': 'Sig', 'band-2-from': '600', 'band-2-to': '1000', 'band-3-label': 'Severe', 'band-3-from': '1000', 'band-3-to': '' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /href="#lapseMonths"/);
    r = await postForm(t.app, '/settings/remedies', admin, { _csrf: csrfFrom(p.body), 'limit-handler': '300', 'limit-manager': '2000', 'limit-governance': '', lapseMonths: '4', 'band-0-label': 'Minor', 'band-0-from': '50', 'band-0-to': '100', 'band-1-label': 'Mal', 'band-1-from': '100', 'band-1-to': '600', 'band-2-label': 'Sig', 'band-2-from': '600', 'band-2-to': '1000', 'band-3-label': 'Severe', 'band-3-from': '1000', 'band-3-to': '' });
    assert.equal(r.statusCode, 303);
    const s = (await t.call('GET', '/api/v1/settings/remedies')).body;
    assert.equal(s.approvalLimitsPence.handler, 30_000);
    assert.equal(s.approvalLimitsPence.governance, null);
    assert.equal(s.lapseMonths, 4);
    assert.equal(s.bands[1].label, 'Mal');
    assert.equal((await getPage(t.app, '/settings/remedies', manager)).statusCode, 403);
  });
});
