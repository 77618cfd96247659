/**
 * Every path of the two-stage state machine, through the HTTP API, against a real database.
 * Each deadline is checked against a date worked out by hand across bank holidays (England and
 * Wales), and each Code guardrail is shown refusing the wrong move with the record unchanged.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';

const NEW_RESIDENT = { givenName: 'Grace', familyName: 'Okafor', postcode: 'SE1 7PB', addressLine1: '12 Example Road', tenure: 'LCRA' };

const DEFINITION = {
  understanding: 'The kitchen leak reported in March has not been repaired and has damaged the ceiling below.',
  outcomesSought: 'Repair the leak and redecorate the ceiling.',
  points: [
    { summary: 'The leak was not repaired within the target time', landlordResponsible: true },
    { summary: 'The contractor missed two appointments', landlordResponsible: true },
    { summary: 'Damage to contents', landlordResponsible: false, responsibilityNote: 'Contents are covered by the resident’s own insurance' },
  ],
};

function answers(decisions: string[]) {
  return decisions.map((d, i) => ({ pointId: `P${i + 1}`, decision: d, reasons: `Reasons for point ${i + 1}, citing the repairs policy.` }));
}

forEachBackend('complaint lifecycle through the API', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open());
  });
  after(async () => {
    await t?.close();
  });

  async function create(receivedAt: string, extra: Record<string, unknown> = {}) {
    t.clock.set(receivedAt);
    const r = await t.call('POST', '/api/v1/complaints', {
      body: { channel: 'phone', receivedAt, description: 'My kitchen leak is still not fixed.', resident: NEW_RESIDENT, ...extra },
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  }

  async function step(c: { id: string; version: number }, name: string, body: Record<string, unknown>, expect = 200) {
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { body: { version: c.version, ...body } });
    assert.equal(r.status, expect, `${name}: ${JSON.stringify(r.body)}`);
    return r.body;
  }

  async function history(id: string) {
    return (await t.call('GET', `/api/v1/complaints/${id}/history`)).body.items as any[];
  }

  /** Attempt a move the Code forbids: it is refused with a clear message and nothing changes. */
  async function refused(c: { id: string; version: number }, name: string, body: Record<string, unknown>, code: string, field?: string) {
    const beforeCase = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
    const beforeHistory = await history(c.id);
    const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { body: { version: c.version, ...body } });
    assert.equal(r.status, 422, `${name} should be refused: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error, code, JSON.stringify(r.body));
    assert.ok(r.body.message.length > 20, 'the message explains the refusal');
    if (field) assert.equal(r.body.field, field);
    const afterCase = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
    assert.deepEqual(afterCase, beforeCase, 'the case is unchanged');
    assert.equal((await history(c.id)).length, beforeHistory.length, 'no history was written');
    return r.body;
  }

  describe('the full journey: receipt to stage 2 closure across Easter and the May bank holidays', () => {
    let c: any;

    test('receipt on Thursday 17 April 2025 gives an acknowledgement due on Monday 28 April', async () => {
      c = await create('2025-04-17T09:00:00Z', { issueArose: '2025-03-03', serviceArea: 'Repairs', category: 'Delay' });
      assert.equal(c.status, 'awaiting_acknowledgement');
      assert.equal(c.stage, 1);
      assert.equal(c.ruleVersion, '2024');
      assert.match(c.reference, /^CMP-\d{6}$/);
      assert.equal(c.receivedOn, '2025-04-17');
      assert.equal(c.stages[0].acknowledgementDue, '2025-04-28');
      assert.deepEqual(c.nextDue, { kind: 'acknowledgement', date: '2025-04-28', status: 'on_track', workingDaysLeft: 5 });
      assert.equal(c.stages[0].responseDueProjected, true);
    });

    test('acknowledging needs a handler and a definition', async () => {
      await refused(c, 'acknowledge', { definition: DEFINITION }, 'handler_required', 'handlerId');
      await refused(c, 'assign', { handlerId: t.users.handler.id }, 'conflict_declaration_required', 'conflict');
      await refused(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: true, statement: 'My neighbour' } }, 'conflict_of_interest', 'conflict');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      c = await step(c, 'triage', { complexity: 'straightforward', vulnerable: false, atRisk: false });
      assert.deepEqual(c.triage, { complexity: 'straightforward', vulnerable: false, atRisk: false });
      t.clock.set('2025-04-22T09:00:00Z');
      await refused(c, 'acknowledge', {}, 'definition_required', 'definition');
      await refused(c, 'acknowledge', { definition: { ...DEFINITION, understanding: '  ' } }, 'definition_required', 'definition.understanding');
      await refused(c, 'acknowledge', { definition: { ...DEFINITION, outcomesSought: '' } }, 'definition_required', 'definition.outcomesSought');
      await refused(c, 'acknowledge', { definition: { ...DEFINITION, points: [] } }, 'definition_required', 'definition.points');
      await refused(c, 'acknowledge', { definition: { ...DEFINITION, points: [{ summary: 'A point' }] } }, 'responsibility_required', 'definition.points.0.landlordResponsible');
      await refused(c, 'acknowledge', { definition: { ...DEFINITION, points: [{ summary: 'Not ours', landlordResponsible: false }] } }, 'responsibility_required');
      await refused(c, 'acknowledge', { definition: DEFINITION, on: '2025-04-23' }, 'date_in_future', 'on');
    });

    test('acknowledged on Tuesday 22 April: response due Wednesday 7 May (Early May bank holiday skipped)', async () => {
      c = await step(c, 'acknowledge', { definition: DEFINITION });
      assert.equal(c.status, 'investigating');
      assert.equal(c.stages[0].acknowledgedOn, '2025-04-22');
      assert.equal(c.stages[0].responseDueOriginal, '2025-05-07');
      assert.equal(c.stages[0].responseDue, '2025-05-07');
      assert.equal(c.stages[0].timeliness.ackOnTime, true);
      assert.equal(c.stages[0].definition.points[2].landlordResponsible, false);
      assert.deepEqual(c.nextDue.date, '2025-05-07');
    });

    test('a related issue raised before the response joins the complaint as a new point', async () => {
      t.clock.set('2025-04-24T10:00:00Z');
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/related-issues`, {
        body: { version: c.version, summary: 'The repairs line kept me on hold for an hour', landlordResponsible: true },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.joined, true);
      c = r.body.complaint;
      assert.equal(c.stages[0].definition.points.length, 4);
      assert.equal(c.stages[0].definition.points[3].id, 'P4');
    });

    test('extensions: capped at 10 working days without a good reason, told with the Ombudsman’s details', async () => {
      t.clock.set('2025-05-02T09:00:00Z');
      await refused(c, 'extend', { newDue: '2025-05-21', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 }, 'reason_required', 'reason');
      await refused(c, 'extend', { reason: 'Awaiting a surveyor’s report', newDue: '2025-05-21', residentToldOn: '2025-05-02', updateEveryWorkingDays: 3 }, 'ombudsman_details_required', 'ombudsmanDetailsGiven');
      // 22 May is 11 working days after 7 May: over the cap.
      await refused(
        c,
        'extend',
        { reason: 'Awaiting a surveyor’s report', newDue: '2025-05-22', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 },
        'extension_over_cap',
        'goodReason',
      );
      await refused(c, 'extend', { reason: 'Awaiting a surveyor’s report', newDue: '2025-05-21', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true }, 'update_interval_required', 'updateEveryWorkingDays');
      await refused(c, 'extend', { reason: 'Awaiting a surveyor’s report', newDue: '2025-05-24', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 }, 'not_a_working_day', 'newDue');
      // 21 May is exactly 10 working days after 7 May.
      c = await step(c, 'extend', { reason: 'Awaiting a surveyor’s report', newDue: '2025-05-21', residentToldOn: '2025-05-02', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 3 });
      const s1 = c.stages[0];
      assert.equal(s1.responseDueOriginal, '2025-05-07');
      assert.equal(s1.responseDue, '2025-05-21');
      assert.equal(s1.responseDueCompliant, '2025-05-21');
      assert.equal(s1.extensions.length, 1);
      assert.equal(s1.extensions[0].beyondCap, false);
      assert.equal(s1.extensions[0].toldLate, false);
      assert.equal(s1.extensions[0].compliant, true);
      // Updates every 3 working days from 2 May: 7 May (the 5th is a bank holiday).
      assert.deepEqual(s1.updateInterval, { everyWorkingDays: 3, agreedOn: '2025-05-02' });
      assert.equal(s1.nextUpdateDue, '2025-05-08');
    });

    test('updates on the agreed interval are tracked', async () => {
      t.clock.set('2025-05-08T12:00:00Z');
      c = await step(c, 'updates', { summary: 'Surveyor booked for 12 May', method: 'phone' });
      assert.equal(c.stages[0].updates[0].due, '2025-05-08');
      assert.equal(c.stages[0].updates[0].onTime, true);
      assert.equal(c.stages[0].nextUpdateDue, '2025-05-13');
      assert.equal(c.nextDue.kind, 'update');
    });

    test('a response must answer every point and carry every element (a)–(g)', async () => {
      t.clock.set('2025-05-20T14:00:00Z');
      const base = {
        points: answers(['upheld', 'partly_upheld', 'outside_responsibility', 'not_upheld']),
        outcome: 'partly_upheld',
        remedies: [
          { type: 'apology', description: 'We apologise for the delay in repairing the leak.' },
          { type: 'financial', description: '£150 for time and trouble', amountPence: 15000 },
        ],
        outstandingActions: [{ description: 'Redecorate the kitchen ceiling', dueBy: '2025-06-13', owner: 'Repairs team' }],
        nextSteps: 'If you are unhappy, ask us to escalate your complaint to stage 2 by phone, email or letter.',
      };
      const missingPoint = await refused(c, 'respond', { ...base, points: base.points.slice(0, 3) }, 'response_incomplete', 'points');
      assert.match(missingPoint.message, /unanswered: P4/);
      const noReasons = { ...base, points: base.points.map((p, i) => (i === 0 ? { ...p, reasons: '' } : p)) };
      await refused(c, 'respond', noReasons, 'response_incomplete', 'points');
      const { nextSteps: _g, ...noG } = base;
      const msg = await refused(c, 'respond', noG, 'response_incomplete', 'nextSteps');
      assert.match(msg.message, /\(g\) details of how to escalate the matter to stage 2/);
      const { outcome: _c, ...noDecision } = base;
      await refused(c, 'respond', noDecision, 'response_incomplete', 'outcome');
      const { remedies: _e, ...noRemedySection } = base;
      await refused(c, 'respond', noRemedySection, 'response_incomplete', 'remedies');
      const { outstandingActions: _f, ...noActions } = base;
      await refused(c, 'respond', noActions, 'response_incomplete', 'outstandingActions');
      await refused(c, 'respond', { ...base, remedies: [] }, 'remedy_required', 'remedies');
      await refused(c, 'respond', { ...base, outcome: 'not_upheld' }, 'outcome_inconsistent', 'outcome');
      await refused(c, 'respond', { ...base, outcome: 'upheld' }, 'outcome_inconsistent', 'outcome');
      await refused(c, 'respond', { ...base, points: answers(['outside_responsibility', 'upheld', 'outside_responsibility', 'upheld']) }, 'decision_invalid');
      c = await step(c, 'respond', base);
      assert.equal(c.status, 'responded');
      assert.equal(c.stages[0].respondedOn, '2025-05-20');
      assert.equal(c.stages[0].outcome, 'partly_upheld');
      assert.equal(c.stages[0].timeliness.respondedOnTimeOriginal, false, 'after the original 7 May');
      assert.equal(c.stages[0].timeliness.respondedOnTimeCompliant, true, 'within the compliant extension');
      assert.equal(c.nextDue, null);
    });

    test('after the response, a new issue becomes a new complaint linked to this one', async () => {
      t.clock.set('2025-05-22T10:00:00Z');
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/related-issues`, { body: { version: c.version, summary: 'The operative left rubbish in the garden', landlordResponsible: true } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.equal(r.body.joined, false);
      assert.notEqual(r.body.newComplaint.id, c.id);
      assert.equal(r.body.newComplaint.residentId, c.residentId);
      assert.equal(r.body.newComplaint.stages[0].acknowledgementDue, '2025-05-30', '22 May + 5 working days, skipping the Spring bank holiday on 26 May');
      assert.deepEqual(r.body.newComplaint.links, [{ otherComplaintId: c.id, relation: 'related_issue' }]);
      c = r.body.complaint;
      assert.deepEqual(c.links, [{ otherComplaintId: r.body.newComplaint.id, relation: 'related_issue' }]);
    });

    test('escalation at the resident’s request, with no reason: stage 2 acknowledgement due 4 June', async () => {
      t.clock.set('2025-05-28T10:00:00Z');
      c = await step(c, 'escalate', {});
      assert.equal(c.stage, 2);
      assert.equal(c.status, 'awaiting_acknowledgement');
      assert.equal(c.stages[1].startDate, '2025-05-28');
      assert.equal(c.stages[1].acknowledgementDue, '2025-06-04');
      assert.equal(c.stages[1].escalationReason, null);
      await refused(c, 'escalate', {}, 'already_stage_two');
    });

    test('the stage 2 handler cannot be the person who handled stage 1', async () => {
      await refused(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } }, 'stage_two_handler_handled_stage_one', 'handlerId');
      // The manager acknowledged nothing at stage 1 but the stage 1 handler did: a manager is fine.
      c = await step(c, 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false, statement: 'No connection with the resident' } });
      assert.equal(c.stages[1].handler.id, t.users.handler2.id);
      assert.equal(c.stages[0].handler.id, t.users.handler.id);
    });

    test('stage 2 acknowledged on Monday 2 June: final response due Monday 30 June', async () => {
      t.clock.set('2025-06-02T09:00:00Z');
      c = await step(c, 'acknowledge', { definition: { ...DEFINITION, points: DEFINITION.points.slice(0, 2) } });
      assert.equal(c.stages[1].acknowledgedOn, '2025-06-02');
      assert.equal(c.stages[1].responseDue, '2025-06-30');
    });

    test('stage 2 extension cap is 20 working days', async () => {
      t.clock.set('2025-06-20T09:00:00Z');
      // 30 June + 20 working days = 28 July; 29 July is one too many.
      await refused(c, 'extend', { reason: 'Independent survey', newDue: '2025-07-29', residentToldOn: '2025-06-20', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 5 }, 'extension_over_cap');
      const ok = await t.call('POST', `/api/v1/complaints/${c.id}/extend`, {
        body: { version: c.version, reason: 'Independent survey', newDue: '2025-07-28', residentToldOn: '2025-06-20', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 5 },
      });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      c = ok.body;
      assert.equal(c.stages[1].responseDue, '2025-07-28');
    });

    test('final response, then closure', async () => {
      t.clock.set('2025-07-10T09:00:00Z');
      const { nextSteps: _n, ...noOmbudsman } = {
        points: answers(['upheld', 'partly_upheld']),
        outcome: 'partly_upheld',
        remedies: [{ type: 'financial', description: '£250 for distress and inconvenience', amountPence: 25000 }],
        outstandingActions: [],
        nextSteps: 'x',
      };
      const m = await refused(c, 'respond', noOmbudsman, 'response_incomplete', 'nextSteps');
      assert.match(m.message, /escalate the matter to the Ombudsman/);
      c = await step(c, 'respond', { ...noOmbudsman, nextSteps: 'You can now take your complaint to the Housing Ombudsman: 0300 111 3000.' });
      assert.equal(c.status, 'responded');
      assert.equal(c.stages[1].timeliness.respondedOnTimeOriginal, false);
      assert.equal(c.stages[1].timeliness.respondedOnTimeCompliant, true);
      await refused(c, 'close', { on: '2025-07-09' }, 'date_too_early', 'on');
      c = await step(c, 'close', { summary: 'Remedies paid' });
      assert.equal(c.status, 'closed');
      assert.equal(c.closedOn, '2025-07-10');
      await refused(c, 'escalate', {}, 'already_stage_two');
      await refused(c, 'respond', { outcome: 'upheld' }, 'not_allowed_now');
    });

    test('the history shows every step, who did it and when, in order', async () => {
      const h = await history(c.id);
      const lifecycle = h.filter((e) => e.entity === 'complaint').map((e) => e.action);
      assert.deepEqual(lifecycle, [
        'received',
        'assigned',
        'triaged',
        'acknowledged',
        'point_added',
        'update_interval_agreed',
        'extended',
        'update_given',
        'responded',
        'linked',
        'escalation_requested',
        'assigned',
        'acknowledged',
        'update_interval_agreed',
        'extended',
        'responded',
        'closed',
      ]);
      const ack = h.find((e) => e.action === 'acknowledged');
      assert.equal(ack.actor.name, 'Mo Manager');
      assert.equal(ack.at, '2025-04-22T09:00:00.000Z');
      assert.equal(ack.before.status, 'awaiting_acknowledgement');
      assert.equal(ack.after.status, 'investigating');
    });
  });

  describe('deadlines across Christmas and New Year', () => {
    test('received Tuesday 23 December 2025: acknowledgement due Friday 2 January 2026; response 10 working days from acknowledgement', async () => {
      let c = await create('2025-12-23T15:00:00Z');
      assert.equal(c.stages[0].acknowledgementDue, '2026-01-02');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      t.clock.set('2025-12-24T10:00:00Z');
      c = await step(c, 'acknowledge', { definition: DEFINITION });
      // 24 Dec + 10: 29, 30, 31 Dec, 2, 5, 6, 7, 8, 9, 12 Jan.
      assert.equal(c.stages[0].responseDue, '2026-01-12');
    });

    test('received on a Saturday counts from the Monday', async () => {
      const c = await create('2025-06-07T11:00:00Z');
      assert.equal(c.receivedOn, '2025-06-09');
      assert.equal(c.stages[0].acknowledgementDue, '2025-06-16');
    });

    test('a received time late in the evening in British Summer Time is the next London day', async () => {
      const c = await create('2025-07-03T23:30:00Z');
      assert.equal(c.receivedOn, '2025-07-04');
      assert.equal(c.stages[0].acknowledgementDue, '2025-07-11');
    });
  });

  describe('extensions beyond the cap and told late', () => {
    test('beyond the cap with a good reason is allowed and marked; a notice after the date in force is flagged and not compliant', async () => {
      let c = await create('2025-09-01T09:00:00Z');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      c = await step(c, 'acknowledge', { definition: DEFINITION });
      // Acknowledged 1 Sept: response due 15 Sept.
      assert.equal(c.stages[0].responseDue, '2025-09-15');
      t.clock.set('2025-09-17T09:00:00Z');
      c = await step(c, 'extend', {
        reason: 'Structural engineer needed',
        newDue: '2025-10-15',
        residentToldOn: '2025-09-17',
        ombudsmanDetailsGiven: true,
        goodReason: 'Structural engineer’s report is the only way to establish the cause',
        updateEveryWorkingDays: 5,
      });
      const ext = c.stages[0].extensions[0];
      assert.equal(ext.beyondCap, true);
      assert.equal(ext.toldLate, true);
      assert.equal(ext.compliant, false);
      assert.equal(c.stages[0].responseDue, '2025-10-15');
      assert.equal(c.stages[0].responseDueCompliant, '2025-09-15', 'a late notice is not a compliant extension');
    });
  });

  describe('refusals, withdrawal and reopening', () => {
    test('refusing to accept needs a policy ground, case-specific reasoning and the Ombudsman right; an old issue needs a discretion decision', async () => {
      let c = await create('2025-04-17T09:00:00Z', { issueArose: '2023-12-01' });
      assert.equal(c.lateIssue, true);
      const good = { ground: 'over_12_months', reasoning: 'The resident first reported the issue in December 2023 and gave no reason for the delay.', ombudsmanRightGiven: true, discretion: { decision: 'refuse', reasons: 'No good reason for the delay; evidence no longer available.' } };
      await refused(c, 'refuse', { ...good, ground: null }, 'ground_required', 'ground');
      await refused(c, 'refuse', { ...good, ground: 'we_are_busy' }, 'ground_invalid', 'ground');
      await refused(c, 'refuse', { ...good, reasoning: ' ' }, 'reasoning_required', 'reasoning');
      await refused(c, 'refuse', { ...good, ombudsmanRightGiven: false }, 'ombudsman_right_required', 'ombudsmanRightGiven');
      await refused(c, 'refuse', { ...good, discretion: null }, 'discretion_required', 'discretion');
      // Accepting it also needs the discretion decision recorded.
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      await refused(c, 'acknowledge', { definition: DEFINITION }, 'discretion_required', 'discretion');
      c = await step(c, 'refuse', good);
      assert.equal(c.status, 'refused');
      assert.deepEqual(c.refusal, { kind: 'acceptance', ground: 'over_12_months', on: '2025-04-17' });
      assert.equal(c.nextDue, null);
      await refused(c, 'acknowledge', { definition: DEFINITION }, 'not_allowed_now');
      await refused(c, 'reopen', {}, 'reason_required', 'reason');
      c = await step(c, 'reopen', { reason: 'The resident sent evidence of reporting it in 2024' });
      assert.equal(c.status, 'awaiting_acknowledgement');
      c = await step(c, 'acknowledge', { definition: DEFINITION, discretion: { decision: 'accept', reasons: 'New evidence shows it was reported within 12 months' } });
      assert.equal(c.status, 'investigating');
      assert.equal(c.stages[0].discretion.decision, 'accept');
    });

    test('the 12-month ground cannot be used for a recent issue', async () => {
      const c = await create('2025-04-17T09:00:00Z', { issueArose: '2025-01-10' });
      await refused(c, 'refuse', { ground: 'over_12_months', reasoning: 'Too old', ombudsmanRightGiven: true, discretion: { decision: 'refuse', reasons: 'x' } }, 'ground_not_met', 'ground');
    });

    test('refusing to escalate is allowed only on a section 2 ground; the resident needs no reason to escalate', async () => {
      t.clock.set('2025-03-03T09:00:00Z');
      let c = await create('2025-03-03T09:00:00Z');
      c = await step(c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
      c = await step(c, 'acknowledge', { definition: { ...DEFINITION, points: DEFINITION.points.slice(0, 1) } });
      t.clock.set('2025-03-10T09:00:00Z');
      c = await step(c, 'respond', { points: answers(['not_upheld']), outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Ask us to escalate.' });
      await refused(c, 'refuse-escalation', { ground: 'legal_proceedings', reasoning: 'x', ombudsmanRightGiven: true }, 'not_allowed_now');
      t.clock.set('2025-03-20T09:00:00Z');
      c = await step(c, 'close', {});
      // Escalation after closure at stage 1 is still the resident's right.
      t.clock.set('2025-03-24T09:00:00Z');
      c = await step(c, 'escalate', { reason: 'I disagree with the decision' });
      assert.equal(c.stage, 2);
      assert.equal(c.stages[1].acknowledgementDue, '2025-03-31');
      await refused(c, 'refuse-escalation', { ground: 'resident_gave_no_reason', reasoning: 'No reason given', ombudsmanRightGiven: true }, 'ground_invalid', 'ground');
      await refused(c, 'refuse-escalation', { ground: 'legal_proceedings', reasoning: 'Claim filed at county court on 14 March', ombudsmanRightGiven: false }, 'ombudsman_right_required');
      c = await step(c, 'refuse-escalation', { ground: 'legal_proceedings', reasoning: 'Claim filed at county court on 14 March', ombudsmanRightGiven: true });
      assert.equal(c.status, 'refused');
      assert.equal(c.refusal.kind, 'escalation');
      t.clock.set('2025-06-30T09:00:00Z');
      const later = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
      assert.deepEqual(later.stages[1].timeliness, { ackOnTime: null, respondedOnTimeOriginal: null, respondedOnTimeCompliant: null, openPastDue: false }, 'a refused stage has no clock running');
    });

    test('withdrawal and reopening', async () => {
      let c = await create('2025-04-17T09:00:00Z');
      await refused(c, 'withdraw', {}, 'reason_required', 'reason');
      c = await step(c, 'withdraw', { reason: 'Repair completed; resident happy', how: 'phone' });
      assert.equal(c.status, 'withdrawn');
      assert.equal(c.nextDue, null);
      await refused(c, 'close', {}, 'not_allowed_now');
      c = await step(c, 'reopen', { reason: 'Leak returned' });
      assert.equal(c.status, 'awaiting_acknowledgement');
      assert.equal(c.nextDue.date, '2025-04-28');
    });

    test('a member of staff named in the complaint cannot handle it', async () => {
      const c = await create('2025-04-17T09:00:00Z', { subjectStaffIds: [t.users.handler2.id] });
      await refused(c, 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false } }, 'handler_is_subject', 'handlerId');
    });

    test('escalation is refused before a stage 1 response: there is no stage 0 or informal stage', async () => {
      const c = await create('2025-04-17T09:00:00Z');
      await refused(c, 'escalate', {}, 'not_allowed_now');
      await refused(c, 'close', {}, 'not_allowed_now');
    });
  });

  describe('anonymous complaints, representatives and service requests', () => {
    test('an anonymous complaint, and a complaint by a representative with consent', async () => {
      t.clock.set('2025-04-17T09:00:00Z');
      const anon = await t.call('POST', '/api/v1/complaints', { body: { channel: 'letter', anonymous: true, description: 'Communal lights out for weeks' } });
      assert.equal(anon.status, 201, JSON.stringify(anon.body));
      assert.equal(anon.body.anonymous, true);
      assert.equal(anon.body.residentId, null);
      const rep = await t.call('POST', '/api/v1/complaints', {
        body: {
          channel: 'email',
          description: 'My mother’s heating has failed three times',
          resident: { givenName: 'Edna', familyName: 'Price', postcode: 'LS1 4AP' },
          representative: { name: 'Carol Price', relationship: 'Daughter', consentEvidence: 'Signed consent form received 10 April 2025', consentRecordedOn: '2025-04-10' },
        },
      });
      assert.equal(rep.status, 201, JSON.stringify(rep.body));
      assert.ok(rep.body.representativeId);
      const resident = await t.call('GET', `/api/v1/residents/${rep.body.residentId}`);
      assert.equal(resident.body.representatives[0].name, 'Carol Price');
      assert.equal(resident.body.complaints[0].reference, rep.body.reference);
    });

    test('a complaint raised from a service request leaves the request open and linked', async () => {
      const res = await t.call('POST', '/api/v1/residents', { body: { givenName: 'Tom', familyName: 'Baker', postcode: 'M1 1AE' } });
      assert.equal(res.status, 201);
      const sr = await t.call('POST', '/api/v1/service-requests', { body: { residentId: res.body.id, channel: 'phone', serviceArea: 'Repairs', description: 'Boiler not working' } });
      assert.equal(sr.status, 201, JSON.stringify(sr.body));
      assert.equal(sr.body.status, 'open');
      const c = await t.call('POST', `/api/v1/service-requests/${sr.body.id}/complaint`, { body: { channel: 'phone', description: 'Nobody has come to fix the boiler in two weeks' } });
      assert.equal(c.status, 201, JSON.stringify(c.body));
      assert.equal(c.body.serviceRequestId, sr.body.id);
      assert.equal(c.body.serviceArea, 'Repairs');
      const after = await t.call('GET', `/api/v1/service-requests/${sr.body.id}`);
      assert.equal(after.body.status, 'open');
      assert.equal(after.body.complaints[0].id, c.body.id);
    });
  });

  describe('concurrency and retries', () => {
    test('two concurrent updates to one case: one wins, the other gets 409, nothing lost', async () => {
      const c = await create('2025-04-17T09:00:00Z');
      const [a, b] = await Promise.all([
        t.call('POST', `/api/v1/complaints/${c.id}/triage`, { body: { version: c.version, complexity: 'complex', vulnerable: true, atRisk: false } }),
        t.call('POST', `/api/v1/complaints/${c.id}/assign`, { body: { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } } }),
      ]);
      const statuses = [a.status, b.status].sort();
      assert.deepEqual(statuses, [200, 409], `${a.status} ${b.status}`);
      const loser = a.status === 409 ? a : b;
      assert.equal(loser.body.error, 'version_conflict');
      assert.equal(loser.body.currentVersion, c.version + 1);
      const h = await history(c.id);
      assert.equal(h.filter((e) => e.entity === 'complaint').length, 2, 'received and exactly one winning change');
      // The loser retries with the new version and succeeds: nothing is lost.
      const fresh = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
      const retry = a.status === 409 ? 'triage' : 'assign';
      const body = retry === 'triage' ? { complexity: 'complex', vulnerable: true, atRisk: false } : { handlerId: t.users.handler.id, conflict: { hasConflict: false } };
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/${retry}`, { body: { version: fresh.version, ...body } });
      assert.equal(r.status, 200);
      assert.ok(r.body.triage && r.body.stages[0].handler);
    });

    test('a stale version gets 409', async () => {
      const c = await create('2025-04-17T09:00:00Z');
      await step(c, 'triage', { complexity: 'complex', vulnerable: false, atRisk: false });
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/triage`, { body: { version: c.version, complexity: 'straightforward', vulnerable: false, atRisk: false } });
      assert.equal(r.status, 409);
    });

    test('a create retried with the same Idempotency-Key returns the first result and makes one complaint', async () => {
      const body = { channel: 'web', description: 'Idempotent please', resident: { givenName: 'Ida', familyName: 'Empotent', postcode: 'B1 1AA' } };
      const count = async () => (await t.call('GET', '/api/v1/complaints?limit=200')).body.items.length;
      const before = await count();
      const first = await t.call('POST', '/api/v1/complaints', { body, headers: { 'idempotency-key': 'retry-123' } });
      const second = await t.call('POST', '/api/v1/complaints', { body, headers: { 'idempotency-key': 'retry-123' } });
      assert.equal(first.status, 201);
      assert.equal(second.status, 201);
      assert.deepEqual(second.body, first.body);
      const [c1, c2] = await Promise.all([
        t.call('POST', '/api/v1/complaints', { body, headers: { 'idempotency-key': 'race-456' } }),
        t.call('POST', '/api/v1/complaints', { body, headers: { 'idempotency-key': 'race-456' } }),
      ]);
      assert.equal(c1.body.id, c2.body.id);
      assert.equal(await count(), before + 2);
      const reused = await t.call('POST', '/api/v1/complaints', { body: { ...body, description: 'Different' }, headers: { 'idempotency-key': 'retry-123' } });
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error, 'idempotency_key_reused');
    });
  });

  describe('lists', () => {
    test('filter by stage, status, handler and due window; page by cursor', async () => {
      t.clock.set('2025-04-28T09:00:00Z');
      const overdue = await t.call('GET', '/api/v1/complaints?due=overdue&limit=200');
      assert.equal(overdue.status, 200);
      for (const i of overdue.body.items) assert.ok(i.nextDue.date < '2025-04-28', JSON.stringify(i));
      const today = await t.call('GET', '/api/v1/complaints?due=due_today');
      for (const i of today.body.items) assert.equal(i.nextDue.date, '2025-04-28');
      assert.ok(today.body.items.length >= 1, 'the open complaints received on 17 April are due today');
      assert.ok(today.body.items.every((i: any) => i.nextDue.status === 'due_today'));
      const mine = await t.call('GET', `/api/v1/complaints?handlerId=${t.users.handler.id}&open=true`);
      assert.ok(mine.body.items.every((i: any) => i.handler?.id === t.users.handler.id));
      const stage2 = await t.call('GET', '/api/v1/complaints?stage=2');
      assert.ok(stage2.body.items.length >= 2);
      assert.ok(stage2.body.items.every((i: any) => i.stage === 2));
      // Paging by cursor visits every complaint once.
      const all = await t.call('GET', '/api/v1/complaints?limit=200');
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: any = await t.call('GET', `/api/v1/complaints?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200);
        seen.push(...page.body.items.map((i: any) => i.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, all.body.items.map((i: any) => i.id));
      assert.equal(new Set(seen).size, seen.length);
      const byDue: string[] = [];
      cursor = null;
      do {
        const page: any = await t.call('GET', `/api/v1/complaints?sort=due&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        byDue.push(...page.body.items.map((i: any) => i.nextDue.date));
        cursor = page.body.nextCursor;
      } while (cursor);
      assert.deepEqual(byDue, [...byDue].sort());
    });

    test('lists and the case name the handler of the current stage, one added a moment ago included', async () => {
      const named = async (id: string) => {
        const [list, search, one] = await Promise.all([
          t.call('GET', '/api/v1/complaints?open=true&limit=200'),
          t.app.services.complaints.search(SYSTEM_ACTOR, (await t.call('GET', `/api/v1/complaints/${id}`)).body.reference),
          t.call('GET', `/api/v1/complaints/${id}`),
        ]);
        return { list: list.body.items.find((i: any) => i.id === id)?.handler ?? null, search: search.find((i: any) => i.id === id)?.handler ?? null, case: one.body.stages[0].handler };
      };
      const c = await create('2025-06-02T09:00:00Z');
      assert.deepEqual(await named(c.id), { list: null, search: null, case: null }, 'unassigned');
      // The case's view takes names from the staff names kept in memory (loaded above): someone
      // created since must still be named, not shown without a name.
      await t.app.services.users.names();
      const newcomer = await t.app.services.users.create(SYSTEM_ACTOR, { email: `newcomer-${backend.name}@test.example`, name: 'Nia Newcomer', role: 'handler', password: 'a long enough password' });
      await step(c, 'assign', { handlerId: newcomer.id, conflict: { hasConflict: false } });
      const expected = { id: newcomer.id, name: 'Nia Newcomer' };
      assert.deepEqual(await named(c.id), { list: expected, search: expected, case: expected });
      // At stage 2 the lists name the stage 2 handler (the journey above escalated one to Hugo Handler).
      const atStage2 = ((await t.call('GET', '/api/v1/complaints?stage=2&limit=200')).body.items as any[]).filter((i) => i.handler?.id === t.users.handler2.id);
      assert.ok(atStage2.length > 0, 'a stage 2 complaint is with Hugo Handler');
      for (const i of atStage2) assert.equal(i.handler.name, 'Hugo Handler');
    });
  });
});
