/**
 * Properties of the pure state machine: whatever sequence of commands is tried, the engine only
 * ever moves as the Code allows, and every derived deadline is a working day.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WorkingDayCalendar } from '../../src/core/calendar.js';
import { addDays, londonDateOf } from '../../src/core/dates.js';
import {
  decide,
  missingResponseElements,
  nextDue,
  project,
  responseElements,
  RuleViolation,
  type Command,
  type LifecycleEvent,
  type LifecycleEventData,
} from '../../src/core/lifecycle.js';
import { DEFAULT_EXCLUSION_GROUNDS } from '../../src/core/rules.js';

const cal = new WorkingDayCalendar({ division: 'england-and-wales' });
const HANDLERS = ['h1', 'h2', 'h3'];
const GROUNDS = DEFAULT_EXCLUSION_GROUNDS.map((g) => g.key);

const definition = {
  understanding: 'The repair was late.',
  outcomesSought: 'Fix it.',
  points: [
    { summary: 'Late repair', landlordResponsible: true },
    { summary: 'Neighbour noise', landlordResponsible: false, responsibilityNote: 'Police matter' },
  ],
};

const commandArb = fc.oneof(
  fc.record({ type: fc.constant('assign' as const), handlerId: fc.constantFrom(...HANDLERS), conflict: fc.constant({ hasConflict: false }) }),
  fc.constant<Command>({ type: 'triage', complexity: 'complex', vulnerable: true, atRisk: false }),
  fc.constant<Command>({ type: 'acknowledge', definition, discretion: { decision: 'accept', reasons: 'Good reason' } }),
  fc.record({ type: fc.constant('extend' as const), days: fc.integer({ min: 1, max: 30 }), good: fc.boolean() }).map((x) => ({ ...x, kind: 'extend' })) as any,
  fc.constant<Command>({ type: 'record_update', summary: 'Told the resident' }),
  fc.constant<Command>({
    type: 'respond',
    points: [
      { pointId: 'P1', decision: 'upheld', reasons: 'It was late.' },
      { pointId: 'P2', decision: 'outside_responsibility', reasons: 'Report it to the police.' },
    ],
    outcome: 'upheld',
    remedies: [{ type: 'apology', description: 'Sorry' }],
    outstandingActions: [],
    nextSteps: 'How to escalate',
  }),
  fc.constant<Command>({ type: 'escalate' }),
  fc.constantFrom(...GROUNDS).map((g) => ({ type: 'refuse', kind: 'acceptance', ground: g, reasoning: 'Specific reasons', ombudsmanRightGiven: true, discretion: { decision: 'refuse', reasons: 'r' } }) as Command),
  fc.constantFrom(...GROUNDS).map((g) => ({ type: 'refuse', kind: 'escalation', ground: g, reasoning: 'Specific reasons', ombudsmanRightGiven: true, discretion: { decision: 'refuse', reasons: 'r' } }) as Command),
  fc.constant<Command>({ type: 'withdraw', reason: 'Resolved' }),
  fc.constant<Command>({ type: 'reopen', reason: 'Came back' }),
  fc.constant<Command>({ type: 'close' }),
);

const HAPPY_PATH: Command[] = [
  { type: 'assign', handlerId: 'h1', conflict: { hasConflict: false } },
  { type: 'acknowledge', definition, discretion: { decision: 'accept', reasons: 'Good reason' } },
  { type: 'respond', points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'On time' }, { pointId: 'P2', decision: 'outside_responsibility', reasons: 'Police' }], outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Escalate by phone' },
  { type: 'escalate' },
  { type: 'assign', handlerId: 'h2', conflict: { hasConflict: false } },
  { type: 'acknowledge', definition },
  { type: 'respond', points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'On time' }, { pointId: 'P2', decision: 'outside_responsibility', reasons: 'Police' }], outcome: 'not_upheld', remedies: [], outstandingActions: [], nextSteps: 'Housing Ombudsman' },
  { type: 'close' },
];

function isWorkingDay(d: string | null) {
  return d === null || cal.isWorkingDay(d);
}

describe('the two-stage state machine', () => {
  test('any sequence of commands keeps the Code’s invariants', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('2024-04-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }),
        fc.boolean(),
        // A happy path (assign, acknowledge, respond, escalate, assign, acknowledge, respond, close)
        // with random commands between its steps, so that deep states are reached as well as odd ones.
        fc.array(fc.array(fc.tuple(commandArb as fc.Arbitrary<Command>, fc.integer({ min: 0, max: 6 }), fc.constantFrom('h1', 'h2', 'h3')), { maxLength: 4 }), { minLength: 9, maxLength: 9 }),
        fc.array(fc.constantFrom('h1', 'h2', 'h3'), { minLength: 9, maxLength: 9 }),
        (receivedAt, late, noise, who) => {
          const happy = HAPPY_PATH.map((c, i) => [c, 1, who[i]] as [Command, number, string]);
          const steps = happy.flatMap((h, i) => [h, ...noise[i]]).concat(noise[8]);
          let now = receivedAt;
          const receivedOn = londonDateOf(receivedAt);
          const events: LifecycleEvent[] = [
            { type: 'received', receivedAt: receivedAt.toISOString(), issueArose: late ? addDays(receivedOn, -400) : addDays(receivedOn, -30), actorId: 'h1', at: receivedAt.toISOString() },
          ];
          for (const [raw, gapDays, actor] of steps) {
            now = new Date(now.getTime() + gapDays * 86_400_000);
            let state = project(events, cal);
            let cmd = raw;
            if ((raw as any).kind === 'extend') {
              const s = state.stages[state.stage]!;
              cmd = {
                type: 'extend',
                reason: 'Complex',
                newDue: cal.addWorkingDays(s.responseDue, (raw as any).days),
                residentToldOn: londonDateOf(now),
                ombudsmanDetailsGiven: true,
                goodReason: (raw as any).good ? 'Expert report' : null,
                updateEveryWorkingDays: 5,
              };
            }
            let produced: LifecycleEventData[];
            try {
              produced = decide(state, cmd, { calendar: cal, now, actorId: actor, exclusionGrounds: GROUNDS });
            } catch (e) {
              assert.ok(e instanceof RuleViolation, `only rule violations are thrown: ${e}`);
              continue;
            }
            for (const p of produced) events.push({ ...p, actorId: actor, at: now.toISOString() });
            state = project(events, cal);

            // Exactly two stages; the stage 2 handler never handled stage 1.
            assert.ok(state.stage === 1 || state.stage === 2);
            const s2 = state.stages[2];
            if (s2?.handlerId) assert.ok(!state.stages[1].handlers.includes(s2.handlerId), 'stage 2 handler handled stage 1');
            // Every deadline is a working day; the response never falls due before the acknowledgement.
            for (const s of [state.stages[1], s2]) {
              if (!s) continue;
              assert.ok(isWorkingDay(s.acknowledgementDue) && isWorkingDay(s.responseDue) && isWorkingDay(s.responseDueOriginal));
              assert.equal(cal.workingDaysBetween(s.startDate, s.acknowledgementDue), 5);
              if (s.acknowledgedOn) {
                assert.ok(s.definition && s.definition.points.length > 0, 'acknowledged without a definition');
                assert.equal(cal.workingDaysBetween(cal.effectiveStartDate(s.acknowledgedOn), s.responseDueOriginal), s.stage === 1 ? 10 : 20);
                assert.ok(s.responseDue >= s.responseDueOriginal);
              }
              for (const e of s.extensions) {
                if (cal.workingDaysBetween(s.responseDueOriginal, e.newDue) > (s.stage === 1 ? 10 : 20)) assert.ok(e.goodReason, 'over the cap without a good reason');
                assert.ok(e.ombudsmanDetailsGiven);
              }
              if (s.respondedOn) assert.ok(s.acknowledgedOn && s.pointDecisions.length === s.definition!.points.length);
            }
            // A late issue is accepted only with a recorded discretion decision.
            if (state.lateIssue && state.stages[1].acknowledgedOn) assert.equal(state.stages[1].discretion?.decision, 'accept');
            // Only open cases have something due.
            const due = nextDue(state);
            if (due) assert.ok(['awaiting_acknowledgement', 'investigating'].includes(state.status));
            // Folding the same events again gives the same state (deadlines derive from events only).
            assert.deepEqual(project(events, cal), state);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('response elements (a)–(g) differ only in (g) between the stages', () => {
    const s1 = responseElements(1);
    const s2 = responseElements(2);
    assert.equal(s1.length, 7);
    assert.deepEqual(s1.slice(0, 6), s2.slice(0, 6));
    assert.match(s1[6].label, /stage 2/);
    assert.match(s2[6].label, /Ombudsman/);
    const def = { understanding: 'u', outcomesSought: 'o', points: [{ id: 'P1', summary: 's', landlordResponsible: true }] };
    assert.deepEqual(
      missingResponseElements(1, def, {}).map((e) => e.key),
      ['c', 'd', 'e', 'f', 'g'],
    );
    assert.deepEqual(missingResponseElements(1, def, { outcome: 'upheld', points: [{ pointId: 'P1', decision: 'upheld', reasons: 'r' }], remedies: [], outstandingActions: [], nextSteps: 'n' }), []);
  });

  test('the 2022 rules keep their own clocks for older cases', () => {
    const events: LifecycleEvent[] = [{ type: 'received', receivedAt: '2023-06-01T09:00:00Z', actorId: null, at: '2023-06-01T09:00:00Z' }];
    const st = project(events, cal);
    assert.equal(st.ruleVersion, '2022');
    // Stage 1 timed from logging: 1 June 2023 + 10 working days = 15 June.
    assert.equal(st.stages[1].responseDue, '2023-06-15');
  });
});
