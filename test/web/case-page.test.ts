/** The case page and its forms, through the pages alone (no JavaScript: plain form posts). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';

function csrf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(m, 'the page has a CSRF token');
  return m[1];
}

async function signIn(app: FastifyInstance, email: string, password: string): Promise<string> {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  const loginCookie = String(page.headers['set-cookie']).split(';')[0];
  const r = await app.inject({ method: 'POST', url: '/sign-in', headers: { cookie: loginCookie }, payload: { _csrf: csrf(page.body), email, password, next: '/work' } });
  assert.equal(r.statusCode, 303, r.body);
  const cookies = ([] as string[]).concat(r.headers['set-cookie'] as any);
  return cookies.find((c) => c.startsWith('putright_session='))!.split(';')[0];
}

forEachBackend('the case page', (backend) => {
  let t: TestApp;
  let manager: string;
  let handler2: string;
  let id: string;
  before(async () => {
    t = await startTestApp(await backend.open(), '2025-04-17T09:00:00Z');
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'kim@test.example', name: 'Kim Manager', role: 'manager', password: 'a long enough password' });
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'lee@test.example', name: 'Lee Handler', role: 'handler', password: 'another long password' });
    manager = await signIn(t.app, 'kim@test.example', 'a long enough password');
    handler2 = await signIn(t.app, 'lee@test.example', 'another long password');
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Boiler broken for a week', outcomeSought: 'Fix the boiler', resident: { givenName: 'Ann', familyName: 'Lee', postcode: 'N1 1AA' } } });
    id = c.body.id;
    await t.call('POST', `/api/v1/residents/${c.body.residentId}/needs`, { body: { kind: 'disability', description: 'Uses a wheelchair', reviewOn: '2025-10-01' } });
  });
  after(async () => {
    await t?.close();
  });

  async function get(url: string, cookie = manager) {
    return t.app.inject({ method: 'GET', url, headers: { cookie } });
  }
  async function post(url: string, fields: Record<string, string>, cookie = manager) {
    const page = await get(url, cookie);
    assert.equal(page.statusCode, 200, `${url}: ${page.statusCode}`);
    const version = /name="version" value="(\d+)"/.exec(page.body)?.[1];
    return t.app.inject({ method: 'POST', url, headers: { cookie }, payload: { _csrf: csrf(page.body), ...(version ? { version } : {}), ...fields } });
  }

  test('attach a file from the case page: kept with the right token; refused with a wrong one, nothing saved', async () => {
    const page = await get(`/complaints/${id}`);
    const token = csrf(page.body);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const multipart = (csrfToken: string) => {
      const b = '----putright-test-boundary';
      const body = Buffer.concat([
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrfToken}\r\n`),
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="description"\r\n\r\nPhoto of the boiler\r\n`),
        Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="boiler.png"\r\nContent-Type: image/png\r\n\r\n`),
        png,
        Buffer.from(`\r\n--${b}--\r\n`),
      ]);
      return { headers: { cookie: manager, 'content-type': `multipart/form-data; boundary=${b}` }, payload: body };
    };
    const count = async () => (await t.app.db.selectFrom('attachments').select((eb) => eb.fn.countAll<string>().as('n')).where('complaint_id', '=', id).executeTakeFirstOrThrow()).n;
    const before = Number(await count());
    const wrong = await t.app.inject({ method: 'POST', url: `/complaints/${id}/attachments/add`, ...multipart('not-the-token') });
    assert.equal(wrong.statusCode, 403);
    assert.equal(Number(await count()), before, 'nothing saved with a wrong token');
    const ok = await t.app.inject({ method: 'POST', url: `/complaints/${id}/attachments/add`, ...multipart(token) });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 300));
    assert.equal(Number(await count()), before + 1);
    const shown = await get(`/complaints/${id}`);
    assert.match(shown.body, /boiler\.png/);
  });

  test('the case page shows deadlines, the resident’s needs at the top, and the actions allowed now', async () => {
    const r = await get(`/complaints/${id}`);
    assert.equal(r.statusCode, 200);
    assert.match(r.body, /Before you contact Ann Lee/);
    assert.match(r.body, /Uses a wheelchair/);
    assert.match(r.body, /Acknowledgement by Monday 28 April 2025 \(5 working days left\)/);
    assert.match(r.body, /href="\/complaints\/[^"]+\/acknowledge"/);
    assert.doesNotMatch(r.body, /href="\/complaints\/[^"]+\/escalate"/, 'no escalation before a response');
    assert.match(r.body, /class="moj-timeline"/);
  });

  test('each form refuses what the Code forbids with an error summary, then the journey runs to stage 2 closure', async () => {
    let r = await post(`/complaints/${id}/acknowledge`, { understanding: 'Boiler', outcomesSought: 'Fix' });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /govuk-error-summary/);
    assert.match(r.body, /Assign a stage 1 handler before acknowledging/);

    r = await post(`/complaints/${id}/assign`, { handlerId: t.users.handler.id });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /Say whether the handler has a conflict of interest/);
    r = await post(`/complaints/${id}/assign`, { handlerId: t.users.handler.id, conflict: 'no' });
    assert.equal(r.statusCode, 303);
    assert.equal(r.headers.location, `/complaints/${id}?done=assign`);

    r = await post(`/complaints/${id}/acknowledge`, { understanding: 'The boiler has not worked for a week', outcomesSought: 'Repair', 'point-0-summary': 'Boiler repair delayed' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /Say whether point 1 is the landlord’s responsibility/);
    assert.match(r.body, /value="Boiler repair delayed"/, 'values are kept');
    r = await post(`/complaints/${id}/acknowledge`, { 'on-day': '30', 'on-month': '2', 'on-year': '2025', understanding: 'x', outcomesSought: 'y', 'point-0-summary': 'z', 'point-0-responsible': 'yes' });
    assert.equal(r.statusCode, 400);
    assert.match(r.body, /must be a real date/);
    r = await post(`/complaints/${id}/acknowledge`, {
      understanding: 'The boiler has not worked for a week',
      outcomesSought: 'Repair',
      'point-0-summary': 'Boiler repair delayed',
      'point-0-responsible': 'yes',
      'point-1-summary': 'Gas supplier billing',
      'point-1-responsible': 'no',
      'point-1-note': 'The gas supplier',
    });
    assert.equal(r.statusCode, 303, r.body);

    t.clock.set('2025-04-24T09:00:00Z');
    r = await post(`/complaints/${id}/respond`, { 'decision-P1': 'upheld', 'reasons-P1': 'Late by our repairs policy', 'decision-P2': 'outside_responsibility', outcome: 'upheld' });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /The response is missing: \(d\) a decision and reasons for every point of the complaint \(unanswered: P2\)/);
    r = await post(`/complaints/${id}/respond`, {
      'decision-P1': 'upheld',
      'reasons-P1': 'Late by our repairs policy',
      'decision-P2': 'outside_responsibility',
      'reasons-P2': 'Billing is for the gas supplier',
      outcome: 'upheld',
      'remedy-0-type': 'apology',
      'remedy-0-description': 'We apologise',
      'remedy-1-type': 'financial',
      'remedy-1-description': 'Compensation for time and trouble',
      'remedy-1-amount': '£75.50',
      'action-0-description': 'Service the boiler',
      'action-0-dueBy-day': '9',
      'action-0-dueBy-month': '5',
      'action-0-dueBy-year': '2025',
      nextSteps: 'Ask us to escalate to stage 2.',
    });
    assert.equal(r.statusCode, 303, r.body);
    const api = await t.call('GET', `/api/v1/complaints/${id}`);
    assert.equal(api.body.stages[0].remedies[1].amountPence, 7550);
    assert.equal(api.body.stages[0].outstandingActions[0].dueBy, '2025-05-09');

    t.clock.set('2025-04-28T09:00:00Z');
    r = await post(`/complaints/${id}/escalate`, {});
    assert.equal(r.statusCode, 303);
    r = await post(`/complaints/${id}/assign`, { handlerId: t.users.handler.id, conflict: 'no' });
    assert.equal(r.statusCode, 422);
    assert.match(r.body, /The stage 2 handler must not be the person who handled stage 1/);
    const lee = (await t.app.services.users.list()).find((u) => u.email === 'lee@test.example')!;
    r = await post(`/complaints/${id}/assign`, { handlerId: lee.id, conflict: 'no' });
    assert.equal(r.statusCode, 303);
    // The stage 2 handler (a handler, with their own session) does the rest.
    r = await post(`/complaints/${id}/acknowledge`, { understanding: 'Still unhappy with the boiler', outcomesSought: 'Compensation', 'point-0-summary': 'Compensation too low', 'point-0-responsible': 'yes' }, handler2);
    assert.equal(r.statusCode, 303, r.body);
    t.clock.set('2025-05-12T09:00:00Z');
    r = await post(`/complaints/${id}/respond`, { 'decision-P1': 'not_upheld', 'reasons-P1': 'In line with our compensation policy', outcome: 'not_upheld', nextSteps: 'You can now go to the Housing Ombudsman.' }, handler2);
    assert.equal(r.statusCode, 303, r.body);
    r = await post(`/complaints/${id}/close`, {}, handler2);
    assert.equal(r.statusCode, 303);
    const page = await get(`/complaints/${id}`, handler2);
    assert.match(page.body, /Stage 2: Closed/);
    assert.match(page.body, /Escalation to stage 2 requested/);
  });

  test('a form posted without its CSRF token is refused and changes nothing', async () => {
    const before = (await t.call('GET', `/api/v1/complaints/${id}`)).body.version;
    const r = await t.app.inject({ method: 'POST', url: `/complaints/${id}/reopen`, headers: { cookie: manager }, payload: { version: String(before), reason: 'x' } });
    assert.equal(r.statusCode, 403);
    assert.equal((await t.call('GET', `/api/v1/complaints/${id}`)).body.version, before);
  });

  test('restricted notes: the handler sees that one exists and who holds it, not its text', async () => {
    const page = await get(`/complaints/${id}`);
    const r = await t.app.inject({ method: 'POST', url: `/complaints/${id}/notes/add`, headers: { cookie: manager }, payload: { _csrf: csrf(page.body), body: 'Safeguarding concern: see file', restricted: 'yes' } });
    assert.equal(r.statusCode, 303);
    const asHandler = await get(`/complaints/${id}`, handler2);
    assert.doesNotMatch(asHandler.body, /Safeguarding concern/);
    assert.match(asHandler.body, /A restricted note exists. It is held by Kim Manager/);
    const asManager = await get(`/complaints/${id}`);
    assert.match(asManager.body, /Safeguarding concern/);
  });

  test('a stale version on a form says someone else changed the complaint', async () => {
    const page = await get(`/complaints/${id}/reopen`);
    const reopened = await t.call('POST', `/api/v1/complaints/${id}/reopen`, { body: { version: (await t.call('GET', `/api/v1/complaints/${id}`)).body.version, reason: 'API reopen' } });
    assert.equal(reopened.status, 200, JSON.stringify(reopened.body));
    const version = /name="version" value="(\d+)"/.exec(page.body)![1];
    const r = await t.app.inject({ method: 'POST', url: `/complaints/${id}/reopen`, headers: { cookie: manager }, payload: { _csrf: csrf(page.body), version, reason: 'Form reopen' } });
    assert.equal(r.statusCode, 409);
    assert.match(r.body, /Someone else changed this complaint/);
  });

  test('unauthenticated requests get the sign-in page, never data', async () => {
    const r = await t.app.inject({ method: 'GET', url: `/complaints/${id}` });
    assert.equal(r.statusCode, 303);
    assert.match(String(r.headers.location), /^\/sign-in\?next=/);
  });
});
