/**
 * What each role may and may not do through the API, checked route by route against the
 * PERMISSIONS table, then the cases that matter most spelt out by hand, and restricted notes:
 * those who may not read one see that it exists and who holds it, never its text.
 */
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { can, PERMISSIONS, type Permission } from '../../src/core/permissions.js';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/app.js';

const NEW_COMPLAINT = { channel: 'phone', description: 'Leak not fixed', resident: { givenName: 'Test', familyName: 'Person', postcode: 'AB1 2CD' } };
const DEFINITION = {
  understanding: 'The kitchen leak has not been repaired.',
  outcomesSought: 'Repair the leak.',
  points: [{ summary: 'The leak was not repaired in time', landlordResponsible: true }],
};
const ROLE_USERS = ['admin', 'manager', 'handler', 'staff', 'governance'] as const;

interface Ids {
  complaint: string;
  other: string;
  resident: string;
  serviceRequest: string;
  attachment: string;
  user: string;
  handler: string;
  serviceAreas: string[];
}

/** A well-formed request for each route, so that what decides the answer is the role. */
function validBody(method: string, url: string, ids: Ids): unknown {
  const v = 1;
  const bodies: Record<string, unknown> = {
    'POST /api/v1/complaints/:id/remedies': { type: 'apology', description: 'We apologise for the delay', dueOn: '2025-05-01' },
    'PATCH /api/v1/remedies/:id': {},
    'POST /api/v1/remedies/:id/approve': {},
    'POST /api/v1/remedies/:id/offer': {},
    'POST /api/v1/remedies/:id/accept': {},
    'POST /api/v1/remedies/:id/decline': {},
    'POST /api/v1/remedies/:id/pay': {},
    'POST /api/v1/remedies/:id/complete': {},
    'POST /api/v1/remedies/:id/cancel': {},
    'POST /api/v1/remedies/lapse-due': {},
    'POST /api/v1/complaints/:id/actions': { description: 'Redecorate the ceiling', dueOn: '2025-05-01', ownerTeam: 'Repairs' },
    'PATCH /api/v1/actions/:id': {},
    'POST /api/v1/actions/:id/updates': {},
    'POST /api/v1/actions/:id/complete': {},
    'POST /api/v1/actions/:id/cancel': {},
    'POST /api/v1/actions/:id/reopen': {},
    'PATCH /api/v1/settings/remedies': { lapseMonths: 3 },
    'POST /api/v1/complaints': NEW_COMPLAINT,
    'POST /api/v1/complaints/:id/triage': { version: v, complexity: 'straightforward', vulnerable: false, atRisk: false },
    'POST /api/v1/complaints/:id/assign': { version: v, handlerId: ids.handler, conflict: { hasConflict: false } },
    'POST /api/v1/complaints/:id/acknowledge': { version: v },
    'POST /api/v1/complaints/:id/extend': { version: v, newDue: '2025-06-30', reason: 'Waiting for a survey' },
    'POST /api/v1/complaints/:id/update-interval': { version: v, everyWorkingDays: 5 },
    'POST /api/v1/complaints/:id/updates': { version: v, summary: 'Called the resident' },
    'POST /api/v1/complaints/:id/respond': { version: v },
    'POST /api/v1/complaints/:id/escalate': { version: v },
    'POST /api/v1/complaints/:id/refuse': { version: v, reasoning: 'Outside policy' },
    'POST /api/v1/complaints/:id/refuse-escalation': { version: v, reasoning: 'Outside policy' },
    'POST /api/v1/complaints/:id/withdraw': { version: v },
    'POST /api/v1/complaints/:id/reopen': { version: v },
    'POST /api/v1/complaints/:id/close': { version: v },
    'POST /api/v1/complaints/:id/related-issues': { version: v, summary: 'The gutter too', landlordResponsible: true },
    'POST /api/v1/complaints/:id/links': { version: v, otherComplaintId: ids.other },
    'POST /api/v1/complaints/:id/notes': { body: 'A note' },
    'POST /api/v1/complaints/:id/correspondence': { direction: 'out', channel: 'email', body: 'We wrote to the resident' },
    'POST /api/v1/complaints/:id/attachments': { filename: 'note.txt', contentType: 'text/plain', contentBase64: Buffer.from('hello').toString('base64') },
    'POST /api/v1/residents': { givenName: 'Ann', familyName: 'Other' },
    'PATCH /api/v1/residents/:id': { version: v, phone: '01234 567890' },
    'POST /api/v1/residents/:id/needs': { kind: 'adjustment', description: 'Large print' },
    'POST /api/v1/residents/:id/restrictions': { restriction: 'Email only', reason: 'r', proportionality: 'p', equalityConsiderations: 'e', startsOn: '2025-04-17', reviewOn: '2025-07-17' },
    'POST /api/v1/residents/:id/representatives': { name: 'Rita Rep', relationship: 'Daughter', consentEvidence: 'Signed form', consentRecordedOn: '2025-04-17' },
    'POST /api/v1/service-requests': { channel: 'phone', description: 'Boiler broken', residentId: ids.resident },
    'PATCH /api/v1/service-requests/:id': { version: v, reviewedOn: '2025-04-17' },
    'POST /api/v1/service-requests/:id/complaint': { description: 'Slow handling', channel: 'phone' },
    'POST /api/v1/contacts': { channel: 'phone', summary: 'Unhappy about the wait', choiceOffered: true, choice: 'undecided', residentId: ids.resident },
    'POST /api/v1/users': { email: `u-${crypto.randomUUID()}@test.example`, name: 'New Person', role: 'staff' },
    'POST /api/v1/users/:id/tokens': { name: 'integration' },
    'PATCH /api/v1/settings': { serviceAreas: ids.serviceAreas },
    'POST /api/v1/complaints/:id/letters': { kind: 'stage1_acknowledgement' },
    'POST /api/v1/complaints/:id/letters/preview': { kind: 'stage1_acknowledgement' },
    'POST /api/v1/outbox/:id/retry': {},
    'POST /api/v1/outbox/:id/dealt-with': { note: 'Sent by post instead' },
    'POST /api/v1/reports/surveys': { csv: 'respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction\nS1,2025-06-01,LCRA,yes,very_satisfied\n' },
    'POST /api/v1/subject-access-requests': { residentId: ids.resident },
    'POST /api/v1/retention/runs': { dryRun: true },
    'POST /api/v1/learning-items': { whatWentWrong: 'The repair was not chased' },
    'PATCH /api/v1/learning-items/:id': {},
    'POST /api/v1/ombudsman-cases': { complaintId: ids.complaint, reference: `HOS-${crypto.randomUUID().slice(0, 8)}` },
    'POST /api/v1/ombudsman-cases/:id/requests': {},
    'POST /api/v1/ombudsman-cases/:id/requests/:requestId/reply': {},
    'POST /api/v1/ombudsman-cases/:id/determination': {},
    'POST /api/v1/ombudsman-cases/:id/mrc-report': {},
    'POST /api/v1/ombudsman-cases/:id/close': {},
    'PATCH /api/v1/ombudsman-orders/:id': {},
    // selfassess: section 8 of the Code (bodies without a version stop at validation, after access)
    'POST /api/v1/self-assessments': { periodFrom: '2025-04-01', periodTo: '2026-03-31', reason: 'annual' },
    'PATCH /api/v1/self-assessments/:id': {},
    'POST /api/v1/self-assessments/:id/import': {},
    'POST /api/v1/self-assessments/:id/refresh-evidence': {},
    'POST /api/v1/self-assessments/:id/complete': {},
    'POST /api/v1/annual-reports': { startYear: 2025 },
    'PATCH /api/v1/annual-reports/:id': {},
    'POST /api/v1/annual-reports/:id/files': {},
    'POST /api/v1/annual-reports/:id/publish': {},
    'POST /api/v1/annual-reports/:id/unpublish': {},
    'POST /api/v1/exceptional-notices': { title: 'Cyber incident', circumstances: 'Systems down', effect: 'Replies may be late', startsOn: '2025-04-17', expectedReturnOn: '2025-05-30' },
    'PATCH /api/v1/exceptional-notices/:id': {},
  };
  const key = `${method} ${url}`;
  if (method === 'POST' || method === 'PATCH') {
    assert.ok(key in bodies, `no valid body written for ${key}: add one`);
    return bodies[key];
  }
  return undefined;
}

function concrete(url: string, ids: Ids) {
  let u = url;
  if (u.startsWith('/api/v1/residents/')) u = u.replace(':id', ids.resident);
  else if (u.startsWith('/api/v1/service-requests/')) u = u.replace(':id', ids.serviceRequest);
  else if (u.startsWith('/api/v1/users/')) u = u.replace(':id', ids.user);
  else u = u.replace(':id', ids.complaint);
  return u.replace(':attachmentId', ids.attachment).replace(':reference', 'CMP-000001');
}

forEachBackend('permissions through the API', (backend) => {
  let t: TestApp;
  let serviceAreas: string[] = [];
  before(async () => {
    t = await startTestApp(await backend.open());
    const s = await t.call('GET', '/api/v1/settings');
    assert.equal(s.status, 200);
    serviceAreas = s.body.serviceAreas;
  });
  after(async () => {
    await t?.close();
  });

  async function newComplaint(as: TestUser = t.users.manager) {
    const r = await t.call('POST', '/api/v1/complaints', { as, body: NEW_COMPLAINT });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { id: string; residentId: string; version: number };
  }

  async function freshIds(): Promise<Ids> {
    const c = await newComplaint();
    const other = await newComplaint();
    const sr = await t.call('POST', '/api/v1/service-requests', { body: { channel: 'phone', description: 'Boiler broken', residentId: c.residentId } });
    assert.equal(sr.status, 201);
    const a = await t.call('POST', `/api/v1/complaints/${c.id}/attachments`, { body: { filename: 'a.txt', contentType: 'text/plain', contentBase64: Buffer.from('hi').toString('base64') } });
    assert.equal(a.status, 201, JSON.stringify(a.body));
    return { complaint: c.id, other: other.id, resident: c.residentId, serviceRequest: sr.body.id, attachment: a.body.id, user: t.users.handler2.id, handler: t.users.handler.id, serviceAreas };
  }

  test('the permission table is what the Code’s roles need', () => {
    // A change to who may do what must be deliberate: it fails here first.
    assert.deepEqual(PERMISSIONS['complaints:read'], ['handler', 'manager', 'governance', 'admin']);
    assert.deepEqual(PERMISSIONS['complaints:log'], ['handler', 'manager', 'staff', 'admin']);
    assert.deepEqual(PERMISSIONS['complaints:handle'], ['handler', 'manager']);
    assert.deepEqual(PERMISSIONS['notes:restricted'], ['manager']);
    assert.deepEqual(PERMISSIONS['settings:manage'], ['admin']);
    assert.deepEqual(PERMISSIONS['users:manage'], ['admin']);
    // Publishing learning and reporting to the MRC are for managers and governance.
    assert.deepEqual(PERMISSIONS['learning:publish'], ['manager', 'governance']);
    assert.deepEqual(PERMISSIONS['ombudsman:mrc'], ['manager', 'governance']);
    assert.deepEqual(PERMISSIONS['remedies:approve'], ['manager', 'governance']);
  });

  for (const roleName of ROLE_USERS) {
    test(`${roleName}: every route answers as the PERMISSIONS table says`, async () => {
      const as = t.users[roleName];
      const ids = await freshIds();
      const routes = t.app.routeTable.filter((r) => r.url.startsWith('/api/v1/') && r.access !== 'public');
      assert.ok(routes.length > 40, `only ${routes.length} routes`);
      let allowed = 0;
      let refused = 0;
      for (const r of routes) {
        const url = concrete(r.url, ids);
        let body = validBody(r.method, r.url, ids) as Record<string, unknown> | undefined;
        if (body && 'version' in body) {
          // Send the current version, so the step reaches the service rather than stopping at 409.
          const resource = /^\/api\/v1\/(?:complaints|residents|service-requests)\/[0-9a-f-]{36}/.exec(url)?.[0];
          assert.ok(resource, `no resource for ${url}`);
          const current = await t.call('GET', resource);
          if (current.status === 200 && typeof current.body.version === 'number') body = { ...body, version: current.body.version };
        }
        const res = await t.call(r.method, url, { as, body });
        const may = r.access === 'authenticated' || can(as.role, r.access as Permission);
        const what = `${roleName} ${r.method} ${r.url} (${r.access}) gave ${res.status} ${r.method === 'HEAD' ? '' : JSON.stringify(res.body).slice(0, 200)}`;
        if (may) {
          allowed++;
          assert.ok(res.status !== 401 && res.status !== 403, what);
          assert.ok(res.status < 500, what);
        } else {
          refused++;
          assert.equal(res.status, 403, what);
          if (r.method !== 'HEAD') {
            assert.deepEqual(Object.keys(res.body).sort(), ['error', 'message'], what);
            assert.equal(res.body.error, 'forbidden', what);
          }
        }
      }
      // Each role is allowed something and (but for the manager) refused something.
      assert.ok(allowed > 0);
      if (roleName !== 'manager') assert.ok(refused > 0, `${roleName} was refused nothing`);
    });
  }

  test('every role can ask who it is', async () => {
    for (const roleName of ROLE_USERS) {
      const me = await t.call('GET', '/api/v1/me', { as: t.users[roleName] });
      assert.equal(me.status, 200);
      assert.equal(me.body.role, roleName);
      assert.equal(me.body.id, t.users[roleName].id);
    }
  });

  test('staff can log a complaint but not read the list, a case, or handle it', async () => {
    const c = await newComplaint(t.users.staff);
    assert.equal(c.version, 1);
    const list = await t.call('GET', '/api/v1/complaints', { as: t.users.staff });
    assert.equal(list.status, 403);
    assert.equal(list.body.error, 'forbidden');
    assert.equal(list.body.items, undefined);
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}`, { as: t.users.staff })).status, 403);
    const ack = await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { as: t.users.staff, body: { version: 1 } });
    assert.equal(ack.status, 403);
    // Refused before its input is looked at: a wrong body is still 403, not 400.
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { as: t.users.staff, body: { nonsense: true } })).status, 403);
    const note = await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.staff, body: { body: 'hello' } });
    assert.equal(note.status, 403);
    // Staff can record residents and service requests.
    assert.equal((await t.call('GET', `/api/v1/residents/${c.residentId}`, { as: t.users.staff })).status, 200);
    // The complaint is untouched by the refusals.
    const seen = await t.call('GET', `/api/v1/complaints/${c.id}`);
    assert.equal(seen.status, 200);
    assert.equal(seen.body.version, 1);
    assert.equal(seen.body.status, 'awaiting_acknowledgement');
  });

  test('governance can read complaints but not log, handle or assign them', async () => {
    const c = await newComplaint();
    const list = await t.call('GET', '/api/v1/complaints', { as: t.users.governance });
    assert.equal(list.status, 200);
    assert.ok(list.body.items.some((i: any) => i.id === c.id));
    const one = await t.call('GET', `/api/v1/complaints/${c.id}`, { as: t.users.governance });
    assert.equal(one.status, 200);
    assert.equal(one.body.description, 'Leak not fixed');
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}/history`, { as: t.users.governance })).status, 200);
    assert.equal((await t.call('POST', '/api/v1/complaints', { as: t.users.governance, body: NEW_COMPLAINT })).status, 403);
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/triage`, { as: t.users.governance, body: { version: 1, complexity: 'complex', vulnerable: false, atRisk: false } })).status, 403);
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { as: t.users.governance, body: { version: 1, handlerId: t.users.handler.id } })).status, 403);
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.governance, body: { body: 'x' } })).status, 403);
    assert.equal((await t.call('GET', `/api/v1/residents/${c.residentId}`, { as: t.users.governance })).status, 403);
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}`)).body.version, 1);
  });

  test('a handler can assign and handle a complaint', async () => {
    const c = await newComplaint();
    const assign = await t.call('POST', `/api/v1/complaints/${c.id}/assign`, { as: t.users.handler, body: { version: 1, handlerId: t.users.handler.id, conflict: { hasConflict: false } } });
    assert.equal(assign.status, 200, JSON.stringify(assign.body));
    const ack = await t.call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { as: t.users.handler, body: { version: assign.body.version, definition: DEFINITION } });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.equal(ack.body.status, 'investigating');
  });

  test('a handler cannot change settings or create users; an administrator can', async () => {
    const patch = await t.call('PATCH', '/api/v1/settings', { as: t.users.handler, body: { serviceAreas: [...serviceAreas, 'Gardens'] } });
    assert.equal(patch.status, 403);
    assert.equal(patch.body.error, 'forbidden');
    const email = `new-${crypto.randomUUID()}@test.example`;
    const user = await t.call('POST', '/api/v1/users', { as: t.users.handler, body: { email, name: 'Nina New', role: 'admin' } });
    assert.equal(user.status, 403);
    assert.equal((await t.call('POST', `/api/v1/users/${t.users.handler.id}/tokens`, { as: t.users.handler, body: { name: 'mine' } })).status, 403);
    for (const as of [t.users.manager, t.users.staff, t.users.governance]) {
      assert.equal((await t.call('PATCH', '/api/v1/settings', { as, body: { serviceAreas } })).status, 403, as.role);
      assert.equal((await t.call('POST', '/api/v1/users', { as, body: { email, name: 'Nina New', role: 'admin' } })).status, 403, as.role);
    }
    // Nothing was changed by the refusals.
    const settings = await t.call('GET', '/api/v1/settings', { as: t.users.handler });
    assert.equal(settings.status, 200);
    assert.deepEqual(settings.body.serviceAreas, serviceAreas);
    const users = await t.call('GET', '/api/v1/users', { as: t.users.admin });
    assert.ok(!users.body.items.some((u: any) => u.email === email));

    const okPatch = await t.call('PATCH', '/api/v1/settings', { as: t.users.admin, body: { serviceAreas: [...serviceAreas, 'Gardens'] } });
    assert.equal(okPatch.status, 200, JSON.stringify(okPatch.body));
    assert.ok(okPatch.body.settings.serviceAreas.includes('Gardens'));
    const okUser = await t.call('POST', '/api/v1/users', { as: t.users.admin, body: { email, name: 'Nina New', role: 'handler' } });
    assert.equal(okUser.status, 201, JSON.stringify(okUser.body));
    assert.equal(okUser.body.role, 'handler');
    const token = await t.call('POST', `/api/v1/users/${okUser.body.id}/tokens`, { as: t.users.admin, body: { name: 'integration' } });
    assert.equal(token.status, 201);
    // The new token works, with the new user's role.
    const me = await t.call('GET', '/api/v1/me', { as: null, headers: { authorization: `Bearer ${token.body.token}` } });
    assert.equal(me.status, 200);
    assert.equal(me.body.role, 'handler');
    // Put the service areas back for other tests.
    assert.equal((await t.call('PATCH', '/api/v1/settings', { as: t.users.admin, body: { serviceAreas } })).status, 200);
  });

  test('an administrator can read complaints and log them but not handle them', async () => {
    const c = await newComplaint(t.users.admin);
    assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}`, { as: t.users.admin })).status, 200);
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/triage`, { as: t.users.admin, body: { version: 1, complexity: 'complex', vulnerable: false, atRisk: false } })).status, 403);
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.admin, body: { body: 'x' } })).status, 403);
  });

  test('restricted notes: others see that one exists and who holds it, never its text', async () => {
    const c = await newComplaint();
    const SECRET = `Resident disclosed a safeguarding concern ${crypto.randomUUID()}`;
    const written = await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.manager, body: { body: SECRET, restricted: true } });
    assert.equal(written.status, 201, JSON.stringify(written.body));
    assert.equal(written.body.restricted, true);
    assert.equal(written.body.body, SECRET);
    const open = await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.handler, body: { body: 'Called the contractor' } });
    assert.equal(open.status, 201);

    for (const as of [t.users.handler, t.users.handler2, t.users.governance, t.users.admin]) {
      const notes = await t.call('GET', `/api/v1/complaints/${c.id}/notes`, { as });
      assert.equal(notes.status, 200, as.role);
      assert.equal(notes.body.items.length, 2);
      const restricted = notes.body.items.find((n: any) => n.id === written.body.id);
      assert.ok(restricted, `${as.name} cannot see that the restricted note exists`);
      assert.equal(restricted.restricted, true);
      assert.equal(restricted.body, null);
      assert.equal(restricted.heldBy, t.users.manager.name);
      const plain = notes.body.items.find((n: any) => n.id === open.body.id);
      assert.equal(plain.body, 'Called the contractor');
      assert.equal(plain.heldBy, null);
      assert.ok(!JSON.stringify(notes.body).includes(SECRET), `${as.name} can read the restricted note`);

      const history = await t.call('GET', `/api/v1/complaints/${c.id}/history`, { as });
      assert.equal(history.status, 200);
      assert.ok(!JSON.stringify(history.body).includes(SECRET), `${as.name} can read the restricted note in the history`);
      const event = history.body.items.find((h: any) => h.entity === 'note' && h.action === 'restricted_note_added');
      assert.ok(event, 'the history records that a restricted note was added');
      assert.equal(event.after.restricted, true);
      assert.equal(event.after.heldBy, t.users.manager.name);
      assert.equal(event.actor.name, t.users.manager.name);
    }

    const mine = await t.call('GET', `/api/v1/complaints/${c.id}/notes`, { as: t.users.manager });
    assert.equal(mine.status, 200);
    const held = mine.body.items.find((n: any) => n.id === written.body.id);
    assert.equal(held.body, SECRET);
    assert.equal(held.heldBy, t.users.manager.name);
  });

  test('a handler cannot write a restricted note (422), and nothing is written', async () => {
    const c = await newComplaint();
    const refused = await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.handler, body: { body: 'Private thoughts', restricted: true } });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error, 'invalid_input');
    assert.equal(refused.body.field, 'restricted');
    const notes = await t.call('GET', `/api/v1/complaints/${c.id}/notes`, { as: t.users.manager });
    assert.deepEqual(notes.body.items, []);
    const history = await t.call('GET', `/api/v1/complaints/${c.id}/history`, { as: t.users.manager });
    assert.ok(!history.body.items.some((h: any) => h.entity === 'note'));
    // restricted: false is an ordinary note and is allowed
    assert.equal((await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.handler, body: { body: 'Open note', restricted: false } })).status, 201);
  });
});
