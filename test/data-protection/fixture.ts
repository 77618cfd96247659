/** A resident with several complaints, each with notes (one restricted), correspondence, a letter, an attachment, remedies and actions; some closed. */
import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.js';

export const RESIDENT = {
  title: 'Ms',
  givenName: 'Philippa',
  familyName: 'Quennell-Aderinto',
  email: 'philippa.quennell@example.org',
  phone: '07700 900461',
  addressLine1: '41 Larkspur Gardens',
  town: 'Anytown',
  postcode: 'SE1 7PB',
  tenure: 'LCRA',
  preferredContact: 'email',
};

export const DEFINITION = {
  understanding: 'The kitchen leak you reported in March has not been repaired, and water has damaged the ceiling below.',
  outcomesSought: 'Repair the leak and redecorate the ceiling.',
  points: [
    { summary: 'The leak was not repaired within the target time', landlordResponsible: true },
    { summary: 'Damage to your belongings', landlordResponsible: false, responsibilityNote: 'Belongings are covered by your own contents insurance' },
  ],
};

export const RESPONSE = {
  points: [
    { pointId: 'P1', decision: 'upheld', reasons: 'Our repairs policy says a leak is fixed within 7 days. It took 6 weeks.' },
    { pointId: 'P2', decision: 'outside_responsibility', reasons: 'Your contents insurer deals with damage to belongings.' },
  ],
  outcome: 'upheld',
  remedies: [{ type: 'apology', description: 'We are sorry that the leak took so long to repair.' }],
  outstandingActions: [{ description: 'Redecorate the kitchen ceiling', dueBy: '2025-06-13', owner: 'Repairs team' }],
  nextSteps: 'If you are unhappy with this response, you can ask us to look at it again at stage 2.',
};

export const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

export interface Case {
  id: string;
  reference: string;
  version: number;
  attachmentSha?: string;
}

export async function step(t: TestApp, c: { id: string; version: number }, name: string, body: Record<string, unknown>, as = t.users.manager) {
  const r = await t.call('POST', `/api/v1/complaints/${c.id}/${name}`, { as, body: { version: c.version, ...body } });
  assert.equal(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** One complaint for the resident, walked to a stage 1 response (and closed when asked), with a record of every kind. */
export async function buildCase(t: TestApp, opts: { residentId?: string; start: string; close?: boolean; tag: string }): Promise<Case & { residentId: string }> {
  t.clock.set(opts.start);
  const created = await t.call('POST', '/api/v1/complaints', {
    body: { channel: 'phone', description: `The kitchen leak is still not fixed (${opts.tag}). My neighbour Mrs Threlfall saw the water.`, ...(opts.residentId ? { residentId: opts.residentId } : { resident: RESIDENT }) },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  let c = created.body;
  c = await step(t, c, 'assign', { handlerId: t.users.handler.id, conflict: { hasConflict: false } });
  c = await step(t, c, 'acknowledge', { definition: DEFINITION }, t.users.handler);
  const letter = await t.call('POST', `/api/v1/complaints/${c.id}/letters`, { as: t.users.handler, body: { kind: 'stage1_acknowledgement' } });
  assert.equal(letter.status, 201, JSON.stringify(letter.body));
  for (const [body, restricted] of [
    [`Spoke to Ms Quennell-Aderinto about ${opts.tag}; she is anxious about the damp.`, false],
    [`Restricted: safeguarding concern raised by her GP about ${opts.tag}.`, true],
  ] as const) {
    const n = await t.call('POST', `/api/v1/complaints/${c.id}/notes`, { as: t.users.manager, body: { body, restricted } });
    assert.equal(n.status, 201, JSON.stringify(n.body));
  }
  const m = await t.call('POST', `/api/v1/complaints/${c.id}/correspondence`, { as: t.users.handler, body: { direction: 'in', channel: 'email', subject: 'Photos of the ceiling', body: `Here are the photos (${opts.tag}). Philippa`, counterpart: RESIDENT.email } });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  const data = Buffer.concat([PNG, Buffer.from(opts.tag)]);
  const a = await t.call('POST', `/api/v1/complaints/${c.id}/attachments`, { as: t.users.handler, body: { filename: `ceiling-${opts.tag}.png`, contentType: 'image/png', contentBase64: data.toString('base64'), description: 'Photo of the ceiling' } });
  assert.equal(a.status, 201, JSON.stringify(a.body));
  c = (await t.call('GET', `/api/v1/complaints/${c.id}`)).body;
  t.clock.set(new Date(Date.parse(opts.start) + 5 * 86_400_000).toISOString());
  c = await step(t, c, 'respond', RESPONSE);
  if (opts.close) c = await step(t, c, 'close', { summary: `Closed after the apology to Philippa (${opts.tag})` });
  return { id: c.id, reference: c.reference, version: c.version, residentId: c.residentId, attachmentSha: a.body.sha256 };
}
