/**
 * Letters that always say what the Code requires, through the API against a real database: one
 * case walked from receipt to stage 2 closure, every letter kind rendered and sent from it, and
 * each required element found in the letter by hand (not by the code under test). Edited wording
 * that drops a required element is refused, naming what is missing; wording that hides one at
 * render time cannot be sent.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { DEFAULT_TEMPLATES, LETTER_KINDS, readability } from '../../src/core/letters.js';

const RESIDENT = {
  title: 'Ms',
  givenName: 'Grace',
  familyName: 'Okafor',
  email: 'grace.okafor@example.net',
  addressLine1: '12 Example Road',
  town: 'Anytown',
  postcode: 'SE1 7PB',
  tenure: 'LCRA',
  preferredContact: 'email',
  communicationNeeds: ['large_print', 'Interpreter: Yoruba'],
};
const REPRESENTATIVE = { name: 'Tunde Okafor', relationship: 'Son', email: 'tunde@example.net', consentEvidence: 'Signed consent form, 17 April 2025', consentRecordedOn: '2025-04-17' };
const DEFINITION = {
  understanding: 'The kitchen leak you reported in March has not been repaired, and water has damaged the ceiling below.',
  outcomesSought: 'Repair the leak and redecorate the ceiling.',
  points: [
    { summary: 'The leak was not repaired within the target time', landlordResponsible: true },
    { summary: 'The contractor missed two appointments', landlordResponsible: true },
    { summary: 'Damage to your belongings', landlordResponsible: false, responsibilityNote: 'Belongings are covered by your own contents insurance' },
  ],
};
const S1_RESPONSE = {
  points: [
    { pointId: 'P1', decision: 'upheld', reasons: 'Our repairs policy says a leak is fixed within 7 days. It took 6 weeks.' },
    { pointId: 'P2', decision: 'partly_upheld', reasons: 'One appointment was missed by the contractor; the other was rearranged with you.' },
    { pointId: 'P3', decision: 'outside_responsibility', reasons: 'Your contents insurer deals with damage to belongings.' },
  ],
  outcome: 'partly_upheld',
  remedies: [
    { type: 'apology', description: 'We are sorry that the leak took so long to repair.' },
    { type: 'financial', description: 'A payment for your time and trouble', amountPence: 15000 },
  ],
  outstandingActions: [{ description: 'Redecorate the kitchen ceiling', dueBy: '2025-06-13', owner: 'Repairs team' }],
  nextSteps: 'If you are unhappy with this response, you can ask us to look at it again at stage 2.',
};

/** Whitespace-insensitive "contains". */
function has(text: string, value: string, what: string) {
  const n = (s: string) => s.replace(/\s+/g, ' ').trim();
  assert.ok(n(text).includes(n(value)), `${what}: "${value}" not found in:\n${text}`);
}

forEachBackend('letters through the API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open());
  });
  after(async () => {
    await t?.close();
  });

  async function create(receivedAt: string, extra: Record<string, unknown> = {}) {
    t.clock.set(receivedAt);
    const r = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', receivedAt, description: 'My kitchen leak is still not fixed.', resident: RESIDENT, ...extra } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }
  async function step(c: { id: string; version: number }, name: string, body: Record<string, unknown>, as = t.users.manager) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { as, body: { version: c.version, ...body } });
    assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    return r.body;
  }
  async function send(c: { id: string }, kind: string, extra: Record<string, unknown> = {}, as = t.users.handler) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as, body: { kind, ...extra } });
    assert.equal(r.status, 201, `${kind}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.letter.kind, kind);
    return r.body as { letter: any; prompts: any[] };
  }
  /** Every letter carries the Ombudsman's details and the reference in its subject. */
  function common(l: any) {
    has(l.subject, l.subject.match(/CMP-\d{6}/)?.[0] ?? 'CMP-', 'reference in the subject');
    assert.match(l.subject, /CMP-\d{6}/);
    for (const v of ['Housing Ombudsman Service', '0300 111 3000', 'www.housing-ombudsman.org.uk']) has(l.text, v, `${l.kind}: Ombudsman's details`);
    assert.equal(typeof l.readability.fleschReadingEase, 'number');
    assert.ok(l.readability.fleschReadingEase >= 60, `${l.kind} reads as ${l.readability.band} (${l.readability.fleschReadingEase})`);
    assert.deepEqual(l.readability.longSentences, [], `${l.kind}: no sentence over 25 words`);
    assert.deepEqual(l.readability.jargon, []);
    assert.ok(l.html.includes('font-size:16pt'), `${l.kind}: large print HTML`);
  }

  describe('one case, receipt to stage 2 closure: every letter, every element', () => {
    let c: any;
    const sent: Record<string, any> = {};

    test('nothing can be written before the case holds it', async () => {
      c = await create('2025-04-17T09:00:00Z', { serviceArea: 'Repairs', representative: REPRESENTATIVE });
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'stage1_acknowledgement' } });
      assert.equal(r.status, 422);
      assert.match(r.body.message, /acknowledge it at stage 1 first/);
      const r2 = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'stage2_response' } });
      assert.equal(r2.status, 422);
      assert.match(r2.body.message, /not been escalated to stage 2/);
    });

    test('stage 1 acknowledgement: definition, points in and out of our responsibility, handler, due date', async () => {
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      t.clock.set('2025-04-22T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: DEFINITION }, t.users.handler);
      const { letter: l, prompts } = await send(c, 'stage1_acknowledgement');
      sent.ack1 = l;
      common(l);
      has(l.text, DEFINITION.understanding, 'understanding');
      has(l.text, DEFINITION.outcomesSought, 'outcomes sought');
      for (const p of DEFINITION.points) has(l.text, p.summary, 'each point');
      has(l.text, 'Belongings are covered by your own contents insurance', 'who is responsible for a point outside ours');
      has(l.text, 'We are responsible for this', 'points inside our responsibility');
      has(l.text, 'Hana Handler', 'who handles it');
      has(l.text, 'Wednesday 7 May 2025', 'when the response is due');
      has(l.text, 'Dear Ms Okafor', 'greeting');
      // Communication preferences: email to the resident, a copy to the representative, large print.
      assert.equal(l.channel, 'email');
      assert.equal(l.to, RESIDENT.email);
      assert.deepEqual(l.cc, [REPRESENTATIVE.email]);
      assert.equal(l.largePrint, true);
      assert.equal(l.email.status, 'pending');
      assert.match(l.email.messageId, new RegExp(`^<outbox\\.${l.email.outboxId}@`));
      // An interpreter need prompts the handler but does not stop the letter.
      assert.equal(prompts.length, 1);
      assert.equal(prompts[0].code, 'language_need');
      assert.match(prompts[0].message, /Interpreter: Yoruba/);
    });

    test('extension notice: reasons, new date, Ombudsman contact details', async () => {
      t.clock.set('2025-05-02T09:00:00Z');
      c = await step(c, 'extend', { reason: 'We are waiting for a surveyor’s report on the ceiling.', newDue: '2025-05-21', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 }, t.users.handler);
      const { letter: l } = await send(c, 'extension');
      common(l);
      has(l.text, 'We are waiting for a surveyor’s report on the ceiling.', 'reason');
      has(l.text, 'Wednesday 21 May 2025', 'new date');
      has(l.text, 'Wednesday 7 May 2025', 'previous date');
      has(l.text, 'every 3 working days', 'update interval');
    });

    test('update letter: what is happening and when the response is due', async () => {
      t.clock.set('2025-05-08T12:00:00Z');
      c = await step(c, 'updates', { summary: 'The surveyor is booked for 12 May.', method: 'email' }, t.users.handler);
      const { letter: l } = await send(c, 'update');
      common(l);
      has(l.text, 'The surveyor is booked for 12 May.', 'update summary');
      has(l.text, 'Wednesday 21 May 2025', 'response due');
    });

    test('stage 1 response: elements (a) to (g)', async () => {
      t.clock.set('2025-05-20T14:00:00Z');
      c = await step(c, 'respond', S1_RESPONSE, t.users.handler);
      const { letter: l } = await send(c, 'stage1_response');
      sent.r1 = l;
      common(l);
      has(l.text, 'stage 1', '(a) stage');
      has(l.text, DEFINITION.understanding, '(b) definition');
      has(l.text, DEFINITION.outcomesSought, '(b) outcomes sought');
      has(l.text, 'We have partly upheld your complaint', '(c) decision');
      for (const p of S1_RESPONSE.points) has(l.text, p.reasons, '(d) reasons for each point');
      for (const d of ['Upheld', 'Partly upheld', 'Not our responsibility']) has(l.text, d, '(d) decision per point');
      has(l.text, 'We are sorry that the leak took so long to repair.', '(e) remedy');
      has(l.text, '£150', '(e) the amount');
      has(l.text, 'Redecorate the kitchen ceiling', '(f) outstanding action');
      has(l.text, 'Friday 13 June 2025', '(f) when');
      has(l.text, S1_RESPONSE.nextSteps, '(g) how to escalate');
      has(l.text, 'stage 2', '(g) stage 2');
      has(l.text, '0300 000 0000', '(g) how to reach us');
    });

    test('remedy offer and action completed: the offer, its amount, how long it is open, how to accept; the action and when', async () => {
      t.clock.set('2025-05-21T10:00:00Z');
      const early = await t.call('POST', `/api/v1/complaints/${c.id}/letters/preview`, { as: t.users.handler, body: { kind: 'action_completed' } });
      assert.equal(early.status, 422, 'no action is done yet');
      assert.match(early.body.message, /no action is recorded as done/);
      const offer = await send(c, 'remedy_offer');
      common(offer.letter);
      has(offer.letter.text, 'A payment for your time and trouble', 'what is offered');
      has(offer.letter.text, '£150', 'the amount');
      assert.match(offer.letter.text, /The offer is open until \w+day \d+ \w+ 2025/, 'how long it is open');
      has(offer.letter.text, 'To accept, please contact us on 0300 000 0000', 'how to accept');
      const actions = await t.call('GET', `/api/v1/actions?complaintId=${c.id}`, { as: t.users.manager });
      const a = actions.body.items.find((x: any) => x.description === 'Redecorate the kitchen ceiling');
      const done = await t.call('POST', `/api/v1/actions/${a.id}/complete`, { as: t.users.manager, body: { version: a.version, on: '2025-05-20', note: 'The ceiling was repainted by our decorator.' } });
      assert.equal(done.status, 200, JSON.stringify(done.body));
      const dueKinds = async () => ((await t.app.services.letters.due([c.id])).get(c.id) ?? []).map((d) => d.kind);
      assert.ok((await dueKinds()).includes('action_completed'), 'the action done calls for its letter');
      t.clock.set('2025-05-21T11:00:00Z');
      const { letter: l } = await send(c, 'action_completed');
      assert.ok(!(await dueKinds()).includes('action_completed'), 'until it is sent');
      common(l);
      has(l.text, 'Redecorate the kitchen ceiling', 'the action');
      has(l.text, 'Tuesday 20 May 2025', 'when it was done');
      has(l.text, 'The ceiling was repainted by our decorator.', 'the note');
      has(l.text, 'There is nothing else left for us to do', 'nothing remaining');
    });

    test('stage 2 acknowledgement, by a different handler', async () => {
      t.clock.set('2025-05-28T10:00:00Z');
      c = await step(c, 'escalate', { reason: 'The ceiling is still stained.' });
      c = await step(c, 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false } });
      t.clock.set('2025-06-02T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: { ...DEFINITION, points: DEFINITION.points.slice(0, 2) } });
      const { letter: l } = await send(c, 'stage2_acknowledgement');
      common(l);
      has(l.text, 'Hugo Handler', 'the stage 2 handler');
      has(l.text, 'Monday 30 June 2025', 'final response due');
      has(l.text, 'Wednesday 28 May 2025', 'escalation requested on');
      has(l.text, DEFINITION.points[0].summary, 'points');
    });

    test('stage 2 final response: (a) to (f) and the route to the Housing Ombudsman', async () => {
      t.clock.set('2025-06-20T09:00:00Z');
      c = await step(c, 'respond', {
        ...S1_RESPONSE,
        points: S1_RESPONSE.points.slice(0, 2),
        nextSteps: 'You can take your complaint to the Housing Ombudsman.',
      });
      const { letter: l } = await send(c, 'stage2_response');
      common(l);
      has(l.text, 'stage 2', '(a)');
      has(l.text, 'final response', '(a) final');
      has(l.text, 'We have partly upheld your complaint', '(c)');
      has(l.text, S1_RESPONSE.points[1].reasons, '(d)');
      has(l.text, 'A payment for your time and trouble', '(e)');
      has(l.text, 'Redecorate the kitchen ceiling', '(f)');
      has(l.text, 'ask the Housing Ombudsman Service to investigate your complaint', '(g) route to the Ombudsman');
      has(l.text, '12 months', '(g) the time limit');
      assert.ok(!l.text.includes('Local Government'), 'a repairs complaint goes to the Housing Ombudsman only');
    });

    test('closure letter', async () => {
      t.clock.set('2025-06-23T09:00:00Z');
      c = await step(c, 'close', { summary: 'The ceiling has been redecorated and the payment made.' });
      const { letter: l } = await send(c, 'closure');
      common(l);
      has(l.text, 'The ceiling has been redecorated and the payment made.', 'summary');
      has(l.text, 'Monday 23 June 2025', 'closed on');
      has(l.text, 'Housing Ombudsman Service to investigate', 'next steps after stage 2');
    });

    test('the letters are archived as sent, with history, correspondence and an outbox row each', async () => {
      const list = await t.call('GET', `/api/v1/complaints/${c.id}/letters`, { as: t.users.governance });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.items.map((l: any) => l.kind), ['stage1_acknowledgement', 'extension', 'update', 'stage1_response', 'remedy_offer', 'action_completed', 'stage2_acknowledgement', 'stage2_response', 'closure']);
      assert.ok(list.body.items.every((l: any) => l.sentBy.name === 'Hana Handler' && l.email.status === 'pending'));
      const one = await t.call('GET', `/api/v1/complaints/${c.id}/letters/${sent.ack1.id}`, { as: t.users.governance });
      assert.equal(one.status, 200);
      assert.equal(one.body.text, sent.ack1.text, 'the words are kept exactly as sent');
      const history = (await t.call('GET', `/api/v1/complaints/${c.id}/history`)).body.items;
      const lettersSent = history.filter((h: any) => h.action === 'letter_sent');
      assert.equal(lettersSent.length, 9);
      assert.equal(lettersSent[0].entity, 'letter');
      assert.equal(lettersSent[0].after.kind, 'stage1_acknowledgement');
      const messages = (await t.call('GET', `/api/v1/complaints/${c.id}/correspondence`)).body.items.filter((m: any) => m.direction === 'out');
      assert.equal(messages.length, 9);
      const ob = await t.call('GET', `/api/v1/outbox?complaintId=${c.id}`);
      assert.equal(ob.status, 200);
      assert.equal(ob.body.items.length, 9);
      assert.ok(ob.body.items.every((i: any) => i.status === 'pending' && i.to[0] === RESIDENT.email && i.cc[0] === REPRESENTATIVE.email));
      assert.equal((await t.call('GET', '/api/v1/outbox', { as: t.users.handler })).status, 403, 'the outbox is for managers and administrators');
    });

    test('the same Idempotency-Key sends once', async () => {
      const a = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'closure' }, headers: { 'idempotency-key': 'closure-once' } });
      const b = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'closure' }, headers: { 'idempotency-key': 'closure-once' } });
      assert.equal(a.status, 201);
      assert.equal(b.status, 201);
      assert.equal(a.body.letter.id, b.body.letter.id);
      assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}/letters`)).body.items.length, 10);
    });
  });

  describe('refusals', () => {
    test('refusal to accept: the reasons and the right to take the decision to the Ombudsman; LGSCO for its service areas', async () => {
      const c0 = await create('2025-04-17T09:00:00Z', { serviceArea: 'Support services', resident: { ...RESIDENT, communicationNeeds: [], email: null, preferredContact: 'letter' } });
      const c = await step(c0, 'refuse', {
        ground: 'legal_proceedings',
        reasoning: 'You have started a claim at the county court about the same repairs, so the court will decide it.',
        ombudsmanRightGiven: true,
      });
      const { letter: l, prompts } = await send(c, 'refusal_acceptance');
      has(l.text, 'Legal proceedings have started', 'the policy ground');
      has(l.text, 'You have started a claim at the county court', 'why it applies');
      has(l.text, 'You have the right to ask the Housing Ombudsman Service to look at our decision not to accept your complaint', 'the right to go to the Ombudsman');
      has(l.text, 'Local Government and Social Care Ombudsman', 'LGSCO signposted for support services');
      has(l.text, '0300 061 0614', 'LGSCO phone');
      // No email address and a preference for letters: it goes by post, with no outbox row.
      assert.equal(l.channel, 'post');
      assert.equal(l.email, null);
      assert.equal(l.to, 'Ms Grace Okafor, 12 Example Road, Anytown, SE1 7PB');
      assert.equal(l.largePrint, false);
      assert.ok(!l.html.includes('16pt'));
      assert.deepEqual(prompts, []);
    });

    test('refusal to escalate', async () => {
      let c = await create('2025-04-17T09:00:00Z');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      t.clock.set('2025-04-22T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: DEFINITION }, t.users.handler);
      t.clock.set('2025-05-06T09:00:00Z');
      c = await step(c, 'respond', S1_RESPONSE, t.users.handler);
      t.clock.set('2025-05-09T09:00:00Z');
      c = await step(c, 'escalate', {});
      c = await step(c, 'refuse-escalation', { ground: 'already_considered', reasoning: 'This matter was fully answered in complaint CMP-000001.', ombudsmanRightGiven: true });
      const { letter: l } = await send(c, 'refusal_escalation');
      has(l.text, 'The matter has already been through the complaints process', 'ground');
      has(l.text, 'This matter was fully answered in complaint CMP-000001.', 'reasoning');
      has(l.text, 'not to escalate your complaint', 'the right, for this decision');
      has(l.text, 'Friday 9 May 2025', 'escalation requested on');
      assert.ok(!l.text.includes('Local Government'));
    });
  });

  describe('templates', () => {
    test('the default templates are complete, plain and free of long sentences and jargon', async () => {
      const r = await t.call('GET', '/api/v1/letter-templates', { as: t.users.handler });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.items.map((i: any) => i.kind), [...LETTER_KINDS]);
      for (const item of r.body.items) {
        assert.equal(item.edited, false);
        assert.ok(item.required.length >= 3, item.kind);
        // The fixed wording alone (fields removed) is plain English.
        const wording = DEFAULT_TEMPLATES[item.kind as keyof typeof DEFAULT_TEMPLATES].body.replace(/\{[{%][^}]*[}%]\}/g, 'it');
        const rd = readability(wording);
        assert.deepEqual(rd.longSentences, [], item.kind);
        assert.deepEqual(rd.jargon, [], item.kind);
      }
      assert.ok('ombudsman.phone' in r.body.fields && 'points_table' in r.body.fields);
    });

    test('an edited template that drops a required element is refused, naming it', async () => {
      const body = DEFAULT_TEMPLATES.extension.body.replace('{{ ombudsman }}', 'Call us if you are unhappy.');
      const r = await t.call('PUT', '/api/v1/letter-templates/extension', { body: { subject: DEFAULT_TEMPLATES.extension.subject, body } });
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.equal(r.body.error, 'template_missing_elements');
      assert.equal(r.body.message, "The extension notice must include the Ombudsman's contact details ({{ ombudsman }}).");
      assert.deepEqual(r.body.missing.map((m: any) => m.key), ['ombudsman']);

      const s1 = DEFAULT_TEMPLATES.stage1_response.body.replace('{{ outstanding_actions }}', '').replace('{{ escalation_route }}', '');
      const r2 = await t.call('PUT', '/api/v1/letter-templates/stage1_response', { body: { subject: 'Our response', body: s1 } });
      assert.equal(r2.status, 422);
      assert.match(r2.body.message, /\(f\) details of any outstanding actions \(\{\{ outstanding_actions \}\}\)/);
      assert.match(r2.body.message, /\(g\) details of how to escalate the matter to stage 2 \(\{\{ escalation_route \}\}\)/);
      assert.match(r2.body.message, /subject must include the complaint reference/);
      assert.equal((await t.call('GET', '/api/v1/letter-templates/extension')).body.edited, false, 'nothing was saved');
    });

    test('templates cannot reach outside the documented fields or run code', async () => {
      for (const bad of ['{{ range.constructor("return process")() }}', '{{ ombudsman.constructor }}', '{% include "x.njk" %}', '{{ settings }}', '{{ ombudsman | safe }}']) {
        const r = await t.call('PUT', '/api/v1/letter-templates/extension', { body: { subject: '{{ complaint.reference }}', body: `${DEFAULT_TEMPLATES.extension.body}\n${bad}` } });
        assert.equal(r.status, 422, bad);
        assert.equal(r.body.error, 'template_invalid', bad);
      }
    });

    test('only managers and administrators edit wording; an edit is used for the next letter', async () => {
      const body = DEFAULT_TEMPLATES.update.body.replace('This is an update on your complaint', 'Here is news about your complaint');
      const denied = await t.call('PUT', '/api/v1/letter-templates/update', { as: t.users.handler, body: { subject: DEFAULT_TEMPLATES.update.subject, body } });
      assert.equal(denied.status, 403);
      const ok = await t.call('PUT', '/api/v1/letter-templates/update', { as: t.users.admin, body: { subject: DEFAULT_TEMPLATES.update.subject, body, version: 0 } });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.edited, true);
      assert.equal(ok.body.version, 1);
      const stale = await t.call('PUT', '/api/v1/letter-templates/update', { as: t.users.admin, body: { subject: DEFAULT_TEMPLATES.update.subject, body, version: 0 } });
      assert.equal(stale.status, 409);

      let c = await create('2025-04-17T09:00:00Z');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      t.clock.set('2025-04-22T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: DEFINITION }, t.users.handler);
      const { letter } = await send(c, 'update', { summary: 'We have ordered the parts for the repair.' });
      has(letter.text, 'Here is news about your complaint', 'the edited wording');
      has(letter.text, 'We have ordered the parts for the repair.', 'the summary given when sending');
      assert.equal(letter.templateVersion, 1);

      const reset = await t.call('DELETE', '/api/v1/letter-templates/update', { as: t.users.admin });
      assert.equal(reset.status, 200);
      assert.equal(reset.body.edited, false);
    });

    test('wording that hides a required element when rendered cannot be sent', async () => {
      const body = DEFAULT_TEMPLATES.update.body.replace('{{ update.summary }}', '{% if stage == 3 %}{{ update.summary }}{% endif %}');
      const saved = await t.call('PUT', '/api/v1/letter-templates/update', { body: { subject: DEFAULT_TEMPLATES.update.subject, body } });
      assert.equal(saved.status, 200, 'the field is in the wording, so the edit is accepted');
      let c = await create('2025-04-17T09:00:00Z');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      t.clock.set('2025-04-22T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: DEFINITION }, t.users.handler);
      const preview = await t.call('POST', `/api/v1/complaints/${c.id}/letters/preview`, { as: t.users.handler, body: { kind: 'update', summary: 'Parts ordered.' } });
      assert.equal(preview.status, 200);
      assert.equal(preview.body.complete, false);
      assert.equal(typeof preview.body.readability.fleschReadingEase, 'number');
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'update', summary: 'Parts ordered.' } });
      assert.equal(r.status, 422);
      assert.equal(r.body.error, 'letter_incomplete');
      assert.match(r.body.message, /does not contain what is happening with the complaint \(\{\{ update.summary \}\}\)/);
      assert.equal((await t.call('GET', `/api/v1/complaints/${c.id}/letters`)).body.items.length, 0, 'nothing was sent');
      await t.call('DELETE', '/api/v1/letter-templates/update');
    });
  });
});
