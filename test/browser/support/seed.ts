/**
 * Setting up complaints in a given state through the API (as the test app's manager), so a
 * browser test can start from there. The journeys themselves go through the pages.
 */
import assert from 'node:assert/strict';
import type { TestApp, TestUser } from '../../helpers/app.js';

export interface Seeded {
  id: string;
  reference: string;
  residentId: string | null;
}

let n = 0;

/** Log a complaint from a new resident, received "now" on the test clock. */
export async function seedComplaint(
  t: TestApp,
  o: { givenName?: string; familyName?: string; description?: string; serviceArea?: string | null; receivedAt?: string; as?: TestUser } = {},
): Promise<Seeded> {
  n += 1;
  const r = await t.call('POST', '/api/v1/complaints', {
    as: o.as,
    body: {
      channel: 'phone',
      description: o.description ?? `The kitchen ceiling has leaked for three weeks (case ${n})`,
      outcomeSought: 'Fix the leak and repaint the ceiling',
      ...(o.serviceArea !== undefined && o.serviceArea !== null ? { serviceArea: o.serviceArea } : {}),
      ...(o.receivedAt ? { receivedAt: o.receivedAt } : {}),
      resident: { givenName: o.givenName ?? 'Pat', familyName: o.familyName ?? `Resident${n}`, postcode: 'N1 1AA', tenure: 'LCRA', preferredContact: 'letter', addressLine1: `${n} High Street` },
    },
  });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return { id: r.body.id, reference: r.body.reference, residentId: r.body.residentId ?? null };
}

/** Run a lifecycle step through the API at the complaint's current version. */
export async function step(t: TestApp, id: string, name: string, body: Record<string, unknown> = {}, as?: TestUser) {
  const now = await t.call('GET', `/api/v1/complaints/${id}`, { as });
  assert.equal(now.status, 200, JSON.stringify(now.body));
  const r = await t.call('POST', `/api/v1/complaints/${id}/${name}`, { as, body: { version: now.body.version, ...body } });
  assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
  return r.body;
}

export const acknowledgeBody = {
  definition: {
    understanding: 'The kitchen ceiling leaks and the repair was not done',
    outcomesSought: 'Repair and redecoration',
    points: [
      { summary: 'Repair delayed', landlordResponsible: true },
      { summary: 'Water bill', landlordResponsible: false, responsibilityNote: 'The water company' },
    ],
  },
};

export const respondBody = {
  points: [
    { pointId: 'P1', decision: 'upheld', reasons: 'Our repairs policy sets 20 working days' },
    { pointId: 'P2', decision: 'outside_responsibility', reasons: 'Billing is for the water company' },
  ],
  outcome: 'upheld',
  remedies: [{ type: 'apology', description: 'We apologise for the delay' }],
  outstandingActions: [{ description: 'Repair the ceiling', owner: 'Repairs team', dueBy: '2025-05-30' }],
  nextSteps: 'Ask us to escalate to stage 2.',
};
