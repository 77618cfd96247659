/**
 * The worklist's handler filter at scale: someone in a team is offered their own team by name (a
 * landlord's whole staff can be hundreds), anyone chosen from the Team page is added, and without
 * teams everyone is listed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { handlerChoices } from '../../src/web/routes/work.js';

const staff = [
  { id: 'a', name: 'Asha', team: 'Complaints North' },
  { id: 'b', name: 'Ben', team: 'complaints north ' },
  { id: 'c', name: 'Cara', team: 'Complaints South' },
  { id: 'd', name: 'Dev', team: null },
];

test('someone in a team is offered their team (names compared without case or spaces), and told so', () => {
  const r = handlerChoices(staff, 'a', 'me');
  assert.deepEqual(r.handlers.map((h) => h.id), ['a', 'b']);
  assert.equal(r.teamOnly, true);
});

test('a handler chosen from outside the team (a link from the Team page) is offered too, so the filter shows them', () => {
  assert.deepEqual(handlerChoices(staff, 'a', 'c').handlers.map((h) => h.id), ['a', 'b', 'c']);
});

test('without a team (or not a caseworker), everyone is listed', () => {
  assert.deepEqual(handlerChoices(staff, 'd', 'me'), { handlers: staff, teamOnly: false });
  assert.deepEqual(handlerChoices(staff, 'nobody', 'all'), { handlers: staff, teamOnly: false });
  const oneTeam = staff.map((s) => ({ ...s, team: 'Complaints' }));
  assert.equal(handlerChoices(oneTeam, 'a', 'me').teamOnly, false, 'a team that is everyone is not called "your team"');
});
