/**
 * A hand-built fixture for the self-assessment and the annual report, walked through the API with
 * a moving clock. Every figure the tests expect is worked out by hand below (England and Wales
 * bank holidays: 18 and 21 April, 5 and 26 May 2025).
 *
 * E  received Thu 27 Mar 2025 (before the period), acknowledged 28 Mar, responded Tue 8 Apr
 *    (due 11 Apr: on time). Counts as a stage 1 response in the period, not as a complaint received.
 * A  phone, received Tue 22 Apr 2025 (ack due Tue 29 Apr), acknowledged Thu 24 Apr (on time),
 *    response due Fri 9 May, responded Thu 8 May (on time), not upheld; escalated Mon 12 May;
 *    stage 2 by another handler, acknowledged Tue 13 May (due Mon 19 May: on time), responded
 *    Tue 20 May (on time), upheld with an apology.
 * B  phone, received 22 Apr, acknowledged Wed 30 Apr (late), response due Thu 15 May; extended
 *    on Mon 12 May to Thu 22 May (5 working days, within the cap; told before the date), update
 *    interval 5 days; responded Wed 21 May: late against the original date, on time against the
 *    extended one.
 * C  email, received 22 Apr, refused Wed 23 Apr (legal proceedings): no acknowledgement clock.
 * D  letter, received 22 Apr, acknowledged Fri 25 Apr (on time), response due Mon 12 May, never
 *    responded: open past its date at 30 June 2025.
 *
 * So for 1 April 2025 to 31 March 2026 as at 30 June 2025:
 *   received 4 (phone 2, email 1, letter 1); stage 1 acknowledged on time 2 of 3 (66.7%);
 *   stage 1 responses 3: on time against the original date 2 of 3 (66.7%), with compliant
 *   extensions 3 of 3 (100.0%); 1 open past its date; 1 extension, within the cap; escalated
 *   1 of 3 (33.3%); stage 2 acknowledged 1 of 1, responded on time 1 of 1; 1 refusal.
 */
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.js';

const DEFINITION = {
  understanding: 'The repair was not done.',
  outcomesSought: 'Do the repair.',
  points: [{ summary: 'The repair was not done in time', landlordResponsible: true }],
};
const NOT_UPHELD = {
  points: [{ pointId: 'P1', decision: 'not_upheld', reasons: 'The repair was done within the policy target.' }],
  outcome: 'not_upheld',
  remedies: [],
  outstandingActions: [],
  nextSteps: 'Ask us to escalate to stage 2 if you are unhappy.',
};

export const FIXTURE_PERIOD = { from: '2025-04-01', to: '2026-03-31', asAt: '2025-06-30' };

export async function buildFixture(t: TestApp) {
  const call = async (method: string, url: string, body: unknown, as = t.users.manager) => {
    const r = await t.call(method, url, { as, body });
    assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const at = (d: string) => t.clock.set(`${d}T10:00:00Z`);
  const log = async (d: string, channel: string, name: string) => {
    at(d);
    return call('POST', '/api/v1/complaints', { channel, description: `Complaint from ${name}`, resident: { givenName: name, familyName: 'Fixture', postcode: 'SE1 7PB', tenure: 'LCRA' } });
  };
  const step = async (c: any, d: string, name: string, body: Record<string, unknown>, as = t.users.handler) => {
    at(d);
    return call('POST', `/api/v1/complaints/${c.id}/${name}`, { version: c.version, ...body }, as);
  };
  const assign = (c: any, d: string, handlerId = t.users.handler.id) => step(c, d, 'assign', { handlerId, conflict: { hasConflict: false } }, t.users.manager);

  let e = await log('2025-03-27', 'phone', 'Esme');
  e = await assign(e, '2025-03-27');
  e = await step(e, '2025-03-28', 'acknowledge', { definition: DEFINITION });
  e = await step(e, '2025-04-08', 'respond', NOT_UPHELD);

  let a = await log('2025-04-22', 'phone', 'Ada');
  let b = await log('2025-04-22', 'phone', 'Bo');
  let c = await log('2025-04-22', 'email', 'Cy');
  let d = await log('2025-04-22', 'letter', 'Di');
  c = await step(c, '2025-04-23', 'refuse', { ground: 'legal_proceedings', reasoning: 'A claim about this repair was filed at court on 1 April.', ombudsmanRightGiven: true });
  a = await assign(a, '2025-04-24');
  a = await step(a, '2025-04-24', 'acknowledge', { definition: DEFINITION });
  d = await assign(d, '2025-04-25');
  d = await step(d, '2025-04-25', 'acknowledge', { definition: DEFINITION });
  b = await assign(b, '2025-04-30');
  b = await step(b, '2025-04-30', 'acknowledge', { definition: DEFINITION });
  a = await step(a, '2025-05-08', 'respond', NOT_UPHELD);
  b = await step(b, '2025-05-12', 'extend', { reason: 'We need a surveyor’s report.', newDue: '2025-05-22', ombudsmanDetailsGiven: true, updateEveryWorkingDays: 5 });
  a = await step(a, '2025-05-12', 'escalate', {}, t.users.manager);
  a = await step(a, '2025-05-13', 'assign', { handlerId: t.users.handler2.id, conflict: { hasConflict: false } }, t.users.manager);
  a = await step(a, '2025-05-13', 'acknowledge', { definition: DEFINITION }, t.users.handler2);
  a = await step(
    a,
    '2025-05-20',
    'respond',
    {
      points: [{ pointId: 'P1', decision: 'upheld', reasons: 'The repair took longer than it should.' }],
      outcome: 'upheld',
      remedies: [{ type: 'apology', description: 'We apologise for the delay.' }],
      outstandingActions: [],
      nextSteps: 'You can refer your complaint to the Housing Ombudsman.',
      contributors: ['Repairs manager'],
    },
    t.users.handler2,
  );
  b = await step(b, '2025-05-21', 'respond', NOT_UPHELD);
  at('2025-06-30');
  return { a, b, c, d, e };
}
