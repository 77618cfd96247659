/**
 * Bad input never gives a 500 and never changes anything: hand-written cases for the mistakes
 * people and integrations make, then a property over every API route with generated ids, bodies
 * and query strings. Every refusal is checked against a fingerprint of every table.
 */
import crypto from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sql } from 'kysely';
import { can, type Permission } from '../../src/core/permissions.js';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/app.js';

const NEW_COMPLAINT = { channel: 'phone', description: 'Leak not fixed', resident: { givenName: 'Test', familyName: 'Person', postcode: 'AB1 2CD' } };
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Total generated requests across all routes; PUTRIGHT_FC_RUNS raises it for a longer hunt. */
const TOTAL_RUNS = Number(process.env.PUTRIGHT_FC_RUNS ?? 400);

interface Ids {
  complaint: string;
  other: string;
  resident: string;
  serviceRequest: string;
  attachment: string;
  user: string;
  /** Complaints investigating, responded, and at stage 2. */
  later: string[];
}

/**
 * A valid body for each route holding only its required fields (so removing any field must be
 * refused). `noRequired` marks routes whose every field is optional: there only a wrong type or
 * an unknown field must be refused.
 */
function templates(ids: Ids, handlerId: string): Record<string, { body: Record<string, unknown>; noRequired?: boolean }> {
  const v = 1;
  return {
    'POST /api/v1/complaints': { body: NEW_COMPLAINT },
    'POST /api/v1/complaints/:id/triage': { body: { version: v, complexity: 'complex', vulnerable: false, atRisk: false } },
    'POST /api/v1/complaints/:id/assign': { body: { version: v, handlerId } },
    'POST /api/v1/complaints/:id/acknowledge': { body: { version: v } },
    'POST /api/v1/complaints/:id/extend': { body: { version: v, newDue: '2025-06-30' } },
    'POST /api/v1/complaints/:id/update-interval': { body: { version: v, everyWorkingDays: 5 } },
    'POST /api/v1/complaints/:id/updates': { body: { version: v, summary: 'Called the resident' } },
    'POST /api/v1/complaints/:id/respond': { body: { version: v } },
    'POST /api/v1/complaints/:id/escalate': { body: { version: v } },
    'POST /api/v1/complaints/:id/refuse': { body: { version: v } },
    'POST /api/v1/complaints/:id/refuse-escalation': { body: { version: v } },
    'POST /api/v1/complaints/:id/withdraw': { body: { version: v } },
    'POST /api/v1/complaints/:id/reopen': { body: { version: v } },
    'POST /api/v1/complaints/:id/close': { body: { version: v } },
    'POST /api/v1/complaints/:id/related-issues': { body: { version: v, summary: 'The gutter too', landlordResponsible: true } },
    'POST /api/v1/complaints/:id/links': { body: { version: v, otherComplaintId: ids.other } },
    'POST /api/v1/complaints/:id/notes': { body: { body: 'A note' } },
    'POST /api/v1/complaints/:id/correspondence': { body: { direction: 'out', channel: 'email', body: 'We wrote' } },
    'POST /api/v1/complaints/:id/attachments': { body: { filename: 'a.txt', contentBase64: Buffer.from('hello').toString('base64') } },
    'POST /api/v1/residents': { body: { givenName: 'Ann' }, noRequired: true },
    'PATCH /api/v1/residents/:id': { body: { version: v } },
    'POST /api/v1/residents/:id/needs': { body: { kind: 'adjustment', description: 'Large print' } },
    'POST /api/v1/residents/:id/restrictions': { body: { restriction: 'Email only', reason: 'r', proportionality: 'p', equalityConsiderations: 'e', startsOn: '2025-04-17', reviewOn: '2025-07-17' } },
    'POST /api/v1/residents/:id/representatives': { body: { name: 'Rita Rep', relationship: 'Daughter', consentEvidence: 'Signed form', consentRecordedOn: '2025-04-17' } },
    'POST /api/v1/service-requests': { body: { channel: 'phone', description: 'Boiler broken' } },
    'PATCH /api/v1/service-requests/:id': { body: { version: v } },
    'POST /api/v1/service-requests/:id/complaint': { body: { description: 'Slow handling', channel: 'phone' } },
    'POST /api/v1/contacts': { body: { channel: 'phone', summary: 'Unhappy', choiceOffered: true, choice: 'undecided' } },
    'POST /api/v1/users': { body: { email: 'someone@test.example', name: 'Some One', role: 'staff' } },
    'POST /api/v1/users/:id/tokens': { body: { name: 'integration' } },
    'POST /api/v1/tokens': { body: { email: 'manager@test.example', password: 'not the password', name: 'mine' } },
    'PATCH /api/v1/settings': { body: { serviceAreas: ['Repairs'] }, noRequired: true },
  };
}

/** Values of a different JSON type from v (null only where the field is required). */
function wrongTypes(v: unknown, allowNull: boolean): unknown[] {
  const out: unknown[] = [];
  if (typeof v !== 'string') out.push('x', '');
  if (typeof v !== 'number') out.push(0, -1, 1.5);
  if (typeof v !== 'boolean') out.push(true, false);
  if (!Array.isArray(v)) out.push([], ['x']);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) out.push({}, { a: 1 });
  if (allowNull) out.push(null);
  return out;
}

/** The tables' fingerprint: row count and a hash of every row, for every table but the access audit (reads are recorded there by design). */
async function fingerprint(t: TestApp): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }>`select table_name as name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' and table_name not like 'kysely%' and table_name <> 'access_audit' order by 1`.execute(t.app.db);
  assert.ok(tables.rows.length >= 10, 'the fingerprint must cover the tables');
  const parts = tables.rows.map((r) => sql`select ${r.name}::text as name, count(*)::int as n, coalesce(md5(string_agg(x::text, E'\n' order by x::text)), '') as h from ${sql.table(r.name)} x`);
  const { rows } = await sql<{ name: string; n: number; h: string }>`${sql.join(parts, sql` union all `)}`.execute(t.app.db);
  return Object.fromEntries(rows.map((r) => [r.name, `${r.n}:${r.h}`]));
}

async function counts(t: TestApp) {
  const { rows } = await sql<Record<string, number>>`select
      (select count(*)::int from complaints) as complaints,
      (select count(*)::int from residents) as residents,
      (select count(*)::int from history) as history,
      (select count(*)::int from service_requests) as service_requests`.execute(t.app.db);
  return rows[0];
}

function assertErrorBody(res: { status: number; body: any; headers: Record<string, any> }, what: string) {
  assert.match(String(res.headers['content-type']), /^application\/json/, `${what}: not JSON`);
  assert.equal(typeof res.body, 'object', `${what}: body is not an object`);
  assert.equal(typeof res.body.error, 'string', `${what}: no error code: ${JSON.stringify(res.body)}`);
  assert.equal(typeof res.body.message, 'string', `${what}: no message`);
  assert.ok(res.body.message.length > 0);
}

/** Strings chosen to upset storage, search and rendering. */
const HOSTILE = ['\u0000', 'a\u0000b', ' ', '\t\n', '\ud800', '\u202e', '\ufeff', '🏠🏠', "'; drop table complaints; --", '<script>alert(1)</script>', '${x}{{x}}', '%00%s%n', '../../etc/passwd', 'NULL', '-1'];

/**
 * An arbitrary for values shaped by a JSON schema from the OpenAPI document: mostly well-typed, so
 * they get past validation and reach the services, but with hostile strings and extreme dates.
 */
function fromSchema(s: any, ids: string[]): fc.Arbitrary<unknown> {
  if (!s || typeof s !== 'object' || Object.keys(s).length === 0) return fc.jsonValue();
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return fc.oneof(...alts.map((x: any) => fromSchema(x, ids)));
  if (Array.isArray(s.type)) return fc.oneof(...s.type.map((ty: string) => fromSchema({ ...s, type: ty }, ids)));
  if (s.enum) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer':
    case 'number': {
      const min = Math.max(s.minimum ?? -1e6, -1e12);
      const max = Math.min(s.maximum ?? 1e6, 1e12);
      return fc.oneof(fc.integer({ min: Math.max(min, -1000), max: Math.max(Math.min(max, 1000), Math.min(max, Math.max(min, -1000) + 1000)) }), fc.constantFrom(min, max, min + 1, Math.min(max, 2 ** 31), Math.min(max, 2 ** 31 - 1)));
    }
    case 'array':
      return fc.array(fromSchema(s.items, ids), { minLength: s.minItems ?? 0, maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 3)) });
    case 'object': {
      const props: Record<string, any> = s.properties ?? {};
      // A version is mostly one a record could have, so commands get past the version check.
      const model = Object.fromEntries(Object.entries(props).map(([k, v]) => [k, k === 'version' ? fc.oneof(fc.integer({ min: 1, max: 8 }), fromSchema(v, ids)) : fromSchema(v, ids)]));
      return fc.record(model, { requiredKeys: s.required ?? [] });
    }
    case 'string':
      return stringFor(s, ids);
    default:
      return fc.jsonValue();
  }
}

function stringFor(s: any, ids: string[]): fc.Arbitrary<string> {
  if (typeof s.pattern === 'string' && s.pattern.includes('[0-9a-fA-F]{8}')) return fc.oneof(fc.constantFrom(...ids), fc.uuid());
  if (s.format === 'date') {
    return fc.oneof(
      fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2025-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
      fc.constantFrom('0000-01-01', '0001-01-01', '1900-02-28', '2024-02-29', '2025-04-17', '2025-12-25', '9999-12-31'),
    );
  }
  if (s.format === 'date-time') {
    return fc.oneof(
      fc.date({ min: new Date('2024-01-01T00:00:00Z'), max: new Date('2025-04-17T10:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.constantFrom('2025-04-17T10:00:00+01:00', '2025-04-16T23:59:59.999999-12:00', '0001-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2025-03-30T01:30:00Z'),
    );
  }
  if (s.format === 'email') return fc.oneof(fc.emailAddress(), fc.constantFrom('a@b.co', 'manager@test.example', 'MANAGER@TEST.EXAMPLE'));
  const maxLength = s.maxLength ?? 200;
  const minLength = s.minLength ?? 0;
  if (typeof s.pattern === 'string') {
    const re = new RegExp(s.pattern);
    return fc.oneof(fc.stringMatching(re).filter((x) => x.length >= minLength && x.length <= maxLength), fc.constantFrom(...HOSTILE));
  }
  const fit = (x: string) => x.length >= minLength && x.length <= maxLength;
  const edges = [minLength, maxLength, maxLength + 1].filter((n) => n <= 25_000).map((n) => 'x'.repeat(n));
  return fc.oneof(
    { arbitrary: fc.string({ minLength, maxLength: Math.min(maxLength, 30) }).filter(fit), weight: 3 },
    { arbitrary: fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 20) }).filter(fit), weight: 2 },
    { arbitrary: fc.string({ unit: 'binary', minLength, maxLength: Math.min(maxLength, 20) }).filter(fit), weight: 1 },
    { arbitrary: fc.constantFrom(...HOSTILE, ...edges), weight: 2 },
  );
}

forEachBackend('bad input', (backend) => {
  let t: TestApp;
  let ids: Ids;
  before(async () => {
    t = await startTestApp(await backend.open());
    const c = await t.call('POST', '/api/v1/complaints', { body: NEW_COMPLAINT });
    assert.equal(c.status, 201);
    const other = await t.call('POST', '/api/v1/complaints', { body: NEW_COMPLAINT });
    const sr = await t.call('POST', '/api/v1/service-requests', { body: { channel: 'phone', description: 'Boiler broken', residentId: c.body.residentId } });
    assert.equal(sr.status, 201);
    const a = await t.call('POST', `/api/v1/complaints/${c.body.id}/attachments`, { body: { filename: 'a.txt', contentBase64: Buffer.from('hi').toString('base64') } });
    assert.equal(a.status, 201);
    ids = { complaint: c.body.id, other: other.body.id, resident: c.body.residentId, serviceRequest: sr.body.id, attachment: a.body.id, user: t.users.handler2.id, later: [] };
    // Complaints further along, so generated commands meet every state: investigating, responded, at stage 2.
    const step = async (id: string, name: string, body: Record<string, unknown>) => {
      const cur = await t.call('GET', `/api/v1/complaints/${id}`);
      const r = await t.call('POST', `/api/v1/complaints/${id}/${name}`, { body: { version: cur.body.version, ...body } });
      assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    };
    for (const depth of [1, 2, 3]) {
      const x = await t.call('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, residentId: ids.resident, resident: undefined } });
      assert.equal(x.status, 201);
      await step(x.body.id, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      await step(x.body.id, 'acknowledge', { definition: { understanding: 'The leak', outcomesSought: 'Fix it', points: [{ summary: 'Not fixed', landlordResponsible: true }] } });
      if (depth >= 2) await step(x.body.id, 'respond', { points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'Fixed on time' }], outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Ask us to escalate.' });
      if (depth >= 3) await step(x.body.id, 'escalate', { reason: 'Unhappy' });
      ids.later.push(x.body.id);
    }
  });
  after(async () => {
    await t?.close();
  });

  /** Sends a request that must be refused with `status`, and checks nothing changed. */
  async function refused(method: string, url: string, opts: Parameters<TestApp['call']>[2], status: number | number[]) {
    const beforeFp = await fingerprint(t);
    const res = await t.call(method, url, opts);
    const ok = Array.isArray(status) ? status : [status];
    assert.ok(ok.includes(res.status), `${method} ${url}: expected ${ok.join(' or ')}, got ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    assertErrorBody(res, `${method} ${url}`);
    assert.deepEqual(await fingerprint(t), beforeFp, `${method} ${url} changed the database`);
    return res.body;
  }

  describe('hand-written cases', () => {
    test('the fingerprint notices a new row and a changed row (so the checks below can fail)', async () => {
      const a = await fingerprint(t);
      const note = await t.call('POST', `/api/v1/complaints/${ids.complaint}/notes`, { body: { body: 'fingerprint check' } });
      assert.equal(note.status, 201);
      const b = await fingerprint(t);
      assert.notDeepEqual(b, a);
      assert.notEqual(b.notes, a.notes);
      const r = await t.call('GET', `/api/v1/residents/${ids.resident}`);
      const patch = await t.call('PATCH', `/api/v1/residents/${ids.resident}`, { body: { version: r.body.version, phone: `0${Date.now()}`.slice(0, 11) } });
      assert.equal(patch.status, 200, JSON.stringify(patch.body));
      const c = await fingerprint(t);
      assert.notEqual(c.residents, b.residents);
      assert.equal(c.residents.split(':')[0], b.residents.split(':')[0], 'same number of residents, different content');
    });

    test('malformed JSON is 400 saying the body is not valid JSON', async () => {
      for (const payload of ['{"channel":', '{channel: "phone"}', "{'a':1}", '[1,2', '{"a":1}}', 'nul']) {
        const body = await refused('POST', '/api/v1/complaints', { payload, headers: { 'content-type': 'application/json' } }, 400);
        assert.match(body.message, /not valid JSON/, payload);
      }
      const empty = await refused('POST', '/api/v1/complaints', { payload: '', headers: { 'content-type': 'application/json' } }, 400);
      assert.match(empty.message, /empty/);
      const form = await refused('POST', '/api/v1/complaints', { payload: '<channel>phone</channel>', headers: { 'content-type': 'application/xml' } }, 415);
      assert.match(form.message, /must be JSON/);
      // Prototype poisoning is refused, not merged.
      await refused('POST', '/api/v1/complaints', { payload: '{"__proto__":{"admin":true},"channel":"phone","anonymous":true,"description":"x"}', headers: { 'content-type': 'application/json' } }, 400);
      // A JSON value that is not an object
      for (const payload of ['null', '5', '"text"', '[]', 'true']) {
        const body = await refused('POST', '/api/v1/complaints', { payload, headers: { 'content-type': 'application/json' } }, 400);
        assert.equal(body.field, 'body', payload);
      }
    });

    test('wrong types are 400 naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ ...NEW_COMPLAINT, channel: 5 }, 'channel'],
        [{ ...NEW_COMPLAINT, channel: 'pigeon' }, 'channel'],
        [{ ...NEW_COMPLAINT, receivedAt: 'yesterday' }, 'receivedAt'],
        [{ ...NEW_COMPLAINT, receivedAt: '2025-04-17 10:00' }, 'receivedAt'],
        [{ ...NEW_COMPLAINT, description: 42 }, 'description'],
        [{ ...NEW_COMPLAINT, description: '   ' }, 'description'],
        [{ ...NEW_COMPLAINT, anonymous: 'yes' }, 'anonymous'],
        [{ ...NEW_COMPLAINT, subjectStaffIds: 'someone' }, 'subjectStaffIds'],
        [{ ...NEW_COMPLAINT, subjectStaffIds: ['not-a-uuid'] }, 'subjectStaffIds.0'],
        [{ ...NEW_COMPLAINT, resident: { ...NEW_COMPLAINT.resident, email: 'not an email' } }, 'resident.email'],
        [{ ...NEW_COMPLAINT, resident: { ...NEW_COMPLAINT.resident, postcode: 'AB1 2CD!!' } }, 'resident.postcode'],
      ];
      for (const [body, field] of cases) {
        const res = await refused('POST', '/api/v1/complaints', { body }, 400);
        assert.equal(res.error, 'invalid_input');
        assert.equal(res.field, field, JSON.stringify(res));
        assert.ok(res.details.some((d: any) => d.field === field));
        assert.ok(res.message.startsWith(`${field}: `), res.message);
      }
      const v = await refused('POST', `/api/v1/complaints/${ids.complaint}/triage`, { body: { version: '1', complexity: 'complex', vulnerable: false, atRisk: false } }, 400);
      assert.equal(v.field, 'version');
      const bool = await refused('POST', `/api/v1/complaints/${ids.complaint}/triage`, { body: { version: 1, complexity: 'complex', vulnerable: 'no', atRisk: false } }, 400);
      assert.equal(bool.field, 'vulnerable');
    });

    test('missing required fields are 400 naming each one', async () => {
      const { description: _d, ...noDescription } = NEW_COMPLAINT;
      const res = await refused('POST', '/api/v1/complaints', { body: noDescription }, 400);
      assert.equal(res.field, 'description');
      assert.deepEqual(
        res.details.map((d: any) => d.field),
        ['description'],
      );
      const both = await refused('POST', '/api/v1/complaints', { body: { resident: NEW_COMPLAINT.resident } }, 400);
      assert.deepEqual(both.details.map((d: any) => d.field).sort(), ['channel', 'description']);
      const noVersion = await refused('POST', `/api/v1/complaints/${ids.complaint}/acknowledge`, { body: {} }, 400);
      assert.equal(noVersion.field, 'version');
      const noBody = await refused('POST', `/api/v1/complaints/${ids.complaint}/notes`, {}, 400);
      assert.equal(noBody.field, 'body');
      // Said who is complaining? The service refuses it, naming the field.
      const nobody = await refused('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'x' } }, 422);
      assert.equal(nobody.field, 'resident');
    });

    test('unknown ids are 404; ids that are not ids are 400 naming the parameter', async () => {
      const missing = crypto.randomUUID();
      for (const url of [`/api/v1/complaints/${missing}`, `/api/v1/complaints/${missing}/history`, `/api/v1/complaints/${missing}/notes`, `/api/v1/residents/${missing}`, `/api/v1/service-requests/${missing}`, `/api/v1/complaints/${ids.complaint}/attachments/${missing}`, '/api/v1/complaints/by-reference/CMP-999999']) {
        const body = await refused('GET', url, {}, 404);
        assert.equal(body.error, 'not_found');
      }
      await refused('POST', `/api/v1/complaints/${missing}/notes`, { body: { body: 'x' } }, 404);
      await refused('POST', `/api/v1/complaints/${missing}/triage`, { body: { version: 1, complexity: 'complex', vulnerable: false, atRisk: false } }, 404);
      await refused('PATCH', `/api/v1/residents/${missing}`, { body: { version: 1, phone: '1' } }, 404);
      await refused('POST', `/api/v1/users/${missing}/tokens`, { as: t.users.admin, body: { name: 'x' } }, 404);
      // an id in the body that names nothing
      const body = await refused('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'x', residentId: missing } }, 422);
      assert.equal(body.field, 'residentId');
      const link = await refused('POST', `/api/v1/complaints/${ids.complaint}/links`, { body: { version: 1, otherComplaintId: missing } }, [404, 422]);
      assert.ok(link.error);

      for (const bad of ['not-a-uuid', '123', `${missing}x`, missing.replace(/-/g, ''), "1'%20or%20'1'='1"]) {
        const res = await refused('GET', `/api/v1/complaints/${bad}`, {}, 400);
        assert.equal(res.field, 'params.id', bad);
      }
      const att = await refused('GET', `/api/v1/complaints/${ids.complaint}/attachments/nope`, {}, 400);
      assert.equal(att.field, 'params.attachmentId');
      const step = await refused('POST', `/api/v1/complaints/nope/acknowledge`, { body: { version: 1 } }, 400);
      assert.equal(step.field, 'params.id');
    });

    test('a related issue for an unknown complaint is 404, not 500', async () => {
      // Found by the property below: the service folds the (empty) history before checking the complaint exists.
      const missing = crypto.randomUUID();
      await refused('POST', `/api/v1/complaints/${missing}/related-issues`, { body: { version: 1, summary: 'The gutter too', landlordResponsible: true } }, 404);
    });

    test('a resident reference already in use is refused, not a 500', async () => {
      // Found by the property below (a second resident given the same reference).
      const first = await t.call('POST', '/api/v1/residents', { body: { reference: 'DUP-REF-1', givenName: 'Ann' } });
      assert.equal(first.status, 201);
      await refused('POST', '/api/v1/residents', { body: { reference: 'DUP-REF-1', givenName: 'Bea' } }, [409, 422]);
      await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, resident: { ...NEW_COMPLAINT.resident, reference: 'DUP-REF-1' } } }, [409, 422]);
    });

    test('impossible dates are 400 naming the field', async () => {
      const c = await t.call('GET', `/api/v1/complaints/${ids.complaint}`);
      const version = c.body.version;
      for (const date of ['2025-02-30', '2025-13-01', '2025-4-1', '17/04/2025', '2025-02-29']) {
        const on = await refused('POST', `/api/v1/complaints/${ids.complaint}/acknowledge`, { body: { version, on: date } }, 400);
        assert.equal(on.field, 'on', date);
        const due = await refused('POST', `/api/v1/complaints/${ids.complaint}/extend`, { body: { version, newDue: date } }, 400);
        assert.equal(due.field, 'newDue', date);
        const arose = await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, issueArose: date } }, 400);
        assert.equal(arose.field, 'issueArose', date);
        assert.match(arose.message, /real date/);
      }
      const start = await refused('POST', `/api/v1/residents/${ids.resident}/restrictions`, { body: { restriction: 'r', reason: 'r', proportionality: 'p', equalityConsiderations: 'e', startsOn: '2025-02-30', reviewOn: '2025-07-17' } }, 400);
      assert.equal(start.field, 'startsOn');
      const review = await refused('POST', `/api/v1/residents/${ids.resident}/restrictions`, { body: { restriction: 'r', reason: 'r', proportionality: 'p', equalityConsiderations: 'e', startsOn: '2025-07-17', reviewOn: '2025-04-17' } }, 400);
      assert.equal(review.field, 'reviewOn');
      // Dates that are real but out of the database's range are refused, not a 500.
      await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, issueArose: '0000-01-01' } }, [400, 422]);
    });

    test('an oversized body is 413 and nothing is stored', async () => {
      const big = { ...NEW_COMPLAINT, description: 'x'.repeat(1_100_000) };
      const res = await refused('POST', '/api/v1/complaints', { body: big }, 413);
      assert.match(res.message, /too large/);
      // Just under the limit but over the field's maximum: 400 naming the field.
      const long = await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, description: 'x'.repeat(20_001) } }, 400);
      assert.equal(long.field, 'description');
    });

    test('unknown properties are refused (schemas are strict)', async () => {
      const top = await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, priority: 'high' } }, 400);
      assert.match(top.message, /priority/);
      const nested = await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, resident: { ...NEW_COMPLAINT.resident, nickname: 'T' } } }, 400);
      assert.match(JSON.stringify(nested.details), /nickname/);
      const step = await refused('POST', `/api/v1/complaints/${ids.complaint}/notes`, { body: { body: 'x', pinned: true } }, 400);
      assert.match(step.message, /pinned/);
      const settings = await refused('PATCH', '/api/v1/settings', { as: t.users.admin, body: { theme: 'dark' } }, 400);
      assert.match(settings.message, /theme/);
      const query = await refused('GET', '/api/v1/complaints?colour=red', {}, 400);
      assert.match(query.message, /colour/);
    });

    test('bad query filters are 400 or 422, never 500', async () => {
      const cases: [string, number, string][] = [
        ['stage=3', 400, 'query.stage'],
        ['stage=one', 400, 'query.stage'],
        ['due=soon', 400, 'query.due'],
        ['limit=0', 400, 'query.limit'],
        ['limit=201', 400, 'query.limit'],
        ['limit=ten', 400, 'query.limit'],
        ['limit=1.5', 400, 'query.limit'],
        ['open=yes', 400, 'query.open'],
        ['status=lost', 400, 'query.status'],
        ['handlerId=bob', 400, 'query.handlerId'],
        ['sort=random', 400, 'query.sort'],
        ['cursor=garbage', 422, 'cursor'],
      ];
      for (const [q, status, field] of cases) {
        const res = await refused('GET', `/api/v1/complaints?${q}`, {}, status);
        assert.equal(res.field, field, q);
      }
      // Cursors that decode but hold the wrong things, and NUL characters in text filters.
      for (const q of [
        `cursor=${b64url(['2025-01-01T00:00:00Z', 'not-a-uuid'])}`,
        `sort=due&cursor=${b64url(['garbage', 'x'])}`,
        `cursor=${b64url([1, {}])}`,
        `cursor=${b64url({ a: 1 })}`,
        `cursor=${b64url([])}`,
        `category=%00`,
        `serviceArea=a%00b`,
      ]) {
        await refused('GET', `/api/v1/complaints?${q}`, {}, [400, 422]);
      }
      for (const q of ['limit=0', 'limit=-1', 'status=maybe', 'residentId=x', 'name=x']) await refused('GET', `/api/v1/service-requests?${q}`, {}, 400);
      for (const q of ['limit=0', 'postcode=AAAAAAAAAAAAAAAAAAAA', 'unknown=1', 'name=%00']) await refused('GET', `/api/v1/residents?${q}`, {}, 400);
    });

    test('a NUL character in text is refused, not a 500', async () => {
      await refused('POST', '/api/v1/complaints', { body: { ...NEW_COMPLAINT, description: 'a\u0000b' } }, 400);
      await refused('POST', `/api/v1/complaints/${ids.complaint}/notes`, { body: { body: 'a\u0000b' } }, 400);
      await refused('GET', '/api/v1/complaints/by-reference/%00', {}, [400, 404]);
    });
  });

  test('property: no generated input to any API route gives a 500, and no refusal changes anything', async (tc) => {
    const routes = t.app.routeTable.filter((r) => r.url.startsWith('/api/v1/') && !r.url.startsWith('/api/v1/docs') && r.url !== '/api/v1/openapi.json');
    assert.ok(routes.length > 40, `only ${routes.length} routes`);
    const tpl = templates(ids, t.users.handler.id);
    const runsPerRoute = Math.max(4, Math.ceil(TOTAL_RUNS / routes.length));
    const countsBefore = await counts(t);
    let last = await fingerprint(t);
    let changedBy2xx = 0;
    let requests = 0;
    const statuses = new Map<number, number>();

    const callerFor = (access: string): TestUser | null => {
      if (access === 'public') return null;
      if (access === 'authenticated') return t.users.manager;
      const u = [t.users.manager, t.users.admin, t.users.handler, t.users.staff, t.users.governance].find((x) => can(x.role, access as Permission));
      assert.ok(u, `nobody may use ${access}`);
      return u;
    };

    const existing = [ids.complaint, ids.other, ...ids.later, ids.resident, ids.serviceRequest, ids.attachment, ids.user, t.users.manager.id];
    const garbage = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 60 }),
      fc.constantFrom('0', '-1', 'null', 'undefined', '..', '\u0000', "' or 1=1 --", 'CMP-000001', 'x'.repeat(300), `${ids.complaint}x`, ids.complaint.toUpperCase().replace(/-/g, '')),
    );
    // Each path parameter: an existing id, a random uuid, or garbage (which must be refused).
    const param = fc.oneof(
      fc.constantFrom(...existing).map((v) => ({ v, bad: false })),
      fc.uuid().map((v) => ({ v, bad: false })),
      garbage.map((v) => ({ v, bad: !UUID_RE.test(v) })),
    );
    const queryValue = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: 'grapheme', maxLength: 10 }),
      fc.constantFrom('', '0', '-1', '1', '2', '3', '201', '1e309', 'NaN', 'true', 'false', 'yes', 'soon', 'overdue', 'garbage', '\u0000', 'open', 'due', ids.complaint, b64url(['x', 'y']), b64url([1, 2]), b64url([null, null]), b64url(['2025-01-01T00:00:00Z', 'zzz'])),
    );
    const queryKey = fc.oneof(
      fc.constantFrom('stage', 'status', 'open', 'handlerId', 'unassigned', 'serviceArea', 'category', 'due', 'vulnerable', 'extended', 'residentId', 'sort', 'cursor', 'limit', 'name', 'postcode', 'reference'),
      fc.string({ minLength: 1, maxLength: 10 }),
    );
    const junkQuery = fc.array(fc.tuple(queryKey, queryValue), { maxLength: 4 });
    const doc: any = t.app.swagger();

    for (const route of routes) {
      await tc.test(`${route.method} ${route.url}`, async () => {
        // Start each route from the database as it is, so one route's failure does not cascade.
        last = await fingerprint(t);
        const template = tpl[`${route.method} ${route.url}`];
        const hasBody = route.method === 'POST' || route.method === 'PATCH';
        // The route's own schema, from the OpenAPI document (HEAD shares its GET's).
        const op = doc.paths[route.url.replace(/:(\w+)/g, '{$1}')]?.[route.method === 'HEAD' ? 'get' : route.method.toLowerCase()];
        const bodySchema = op?.requestBody?.content?.['application/json']?.schema;
        const queryParams: any[] = (op?.parameters ?? []).filter((x: any) => x.in === 'query');
        const schemaQuery = fc
          .record(Object.fromEntries(queryParams.map((x) => [x.name, fromSchema(x.schema, existing).map((v) => String(v))])), { requiredKeys: [] })
          .map((o) => Object.entries(o) as [string, string][]);
        const query = queryParams.length ? fc.oneof({ arbitrary: schemaQuery, weight: 3 }, { arbitrary: junkQuery, weight: 1 }) : junkQuery;
        type Body = { json?: unknown; raw?: string; mustReject: boolean; how: string };
        const bodies: fc.Arbitrary<Body>[] = [
          fc.anything().map((json) => ({ json, mustReject: false, how: 'anything' })),
          fc.object().map((json) => ({ json, mustReject: false, how: 'object' })),
          fc.jsonValue().map((json) => ({ json, mustReject: false, how: 'jsonValue' })),
          fc.string({ unit: 'binary', maxLength: 60 }).map((raw) => ({ raw, mustReject: false, how: 'raw string' })),
        ];
        if (bodySchema) {
          // Shaped like the schema, so most get past validation with hostile values.
          const shaped = fromSchema(bodySchema, existing).map((json) => ({ json, mustReject: false, how: 'schema-shaped' }));
          bodies.push(shaped, shaped, shaped);
        }
        if (template) {
          const keys = Object.keys(template.body);
          const removable = template.noRequired ? [] : keys;
          if (removable.length) {
            bodies.push(
              fc.constantFrom(...removable).map((k) => {
                const { [k]: _gone, ...rest } = template.body;
                return { json: rest, mustReject: true, how: `without ${k}` };
              }),
            );
          }
          bodies.push(
            fc.constantFrom(...keys).chain((k) =>
              fc.constantFrom(...wrongTypes(template.body[k], !template.noRequired)).map((w) => ({ json: { ...template.body, [k]: w }, mustReject: true, how: `${k} = ${JSON.stringify(w)}` })),
            ),
            fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !(k in template.body) && k !== '__proto__').map((k) => ({ json: { ...template.body, [k]: 1 }, mustReject: true, how: `extra ${JSON.stringify(k)}` })),
          );
        }
        const params = (route.url.match(/:\w+/g) ?? []).map((name) => (name === ':reference' ? garbage.map((v) => ({ v, bad: false })) : param));
        const request = fc.record({
          params: fc.tuple(...params),
          body: hasBody ? fc.oneof(...bodies) : fc.constant<Body>({ mustReject: false, how: 'none' }),
          query,
          idempotencyKey: fc.option(fc.string({ maxLength: 250 }), { freq: 4 }),
        });

        await fc.assert(
          fc.asyncProperty(request, async (rq) => {
            let i = 0;
            // "." and ".." are dot-segments: a URL resolves them away even percent-encoded (WHATWG URL,
            // which inject parses with), so /complaints/%2E%2E/remedies would reach /remedies. "..." is
            // not a dot-segment and reaches the route as a value.
            const url = route.url.replace(/:\w+/g, () => encodeURIComponent(rq.params[i++].v.replace(/^\.{1,2}$/, '...')));
            const qs = new URLSearchParams(rq.query).toString();
            const headers: Record<string, string> = {};
            if (rq.idempotencyKey !== null) headers['idempotency-key'] = rq.idempotencyKey.replace(/[^\x20-\x7e]/g, '');
            let payload: string | undefined;
            if (hasBody) {
              payload = rq.body.raw ?? (rq.body.json === undefined ? undefined : JSON.stringify(rq.body.json));
              if (payload !== undefined) headers['content-type'] = 'application/json';
            }
            const res = await t.call(route.method, qs ? `${url}?${qs}` : url, { as: callerFor(route.access), headers, payload });
            requests++;
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            const what = `${route.method} ${url}?${qs} body(${rq.body.how})=${String(payload).slice(0, 200)} -> ${res.status} ${route.method === 'HEAD' ? '' : JSON.stringify(res.body).slice(0, 300)}`;
            assert.ok(res.status < 500, what);
            const mustReject = rq.body.mustReject || rq.params.some((p) => p.bad);
            if (mustReject) assert.ok(res.status >= 400 && res.status < 500, `must be refused: ${what}`);
            if (res.status >= 400 && route.method !== 'HEAD') assertErrorBody(res, what);
            const now = await fingerprint(t);
            if (res.status >= 400 || route.method === 'GET' || route.method === 'HEAD') {
              assert.deepEqual(now, last, `changed the database: ${what}`);
            } else {
              if (JSON.stringify(now) !== JSON.stringify(last)) changedBy2xx++;
              last = now;
            }
          }),
          { numRuns: runsPerRoute, includeErrorInReport: true },
        );
      });
    }

    tc.diagnostic(`${requests} generated requests; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ${changedBy2xx} accepted requests changed data`);
    assert.ok(requests >= routes.length * runsPerRoute);
    // Some generated requests must have got past validation and some must have been refused.
    assert.ok([...statuses.keys()].some((s) => s < 300), 'no generated request succeeded');
    assert.ok((statuses.get(400) ?? 0) > requests / 4, 'too few 400s: are the bodies reaching validation?');
    if (changedBy2xx === 0) assert.deepEqual(await counts(t), countsBefore);
    else assert.ok((await counts(t)).complaints >= countsBefore.complaints);
  });
});
