/**
 * The learning register, Ombudsman cases and reminders through the API and services: a learning
 * item opened with every upheld or partly upheld response; themes and the public "you said, we
 * did" list; an Ombudsman case with a late request, a determination with findings per issue and
 * orders, compliance and the open-orders view, the MRC flag; the figures for a period; and two
 * instances sweeping reminders at once, each reminder sent exactly once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/app.js';
import { buildServices } from '../../src/services/index.js';
import { ReminderService, ReminderSweeper } from '../../src/services/reminders.js';
import { openPostgres, type DatabaseHandle } from '../../src/db/database.js';

const RESIDENT = { givenName: 'Grace', familyName: 'Okafor', postcode: 'SE1 7PB', tenure: 'LCRA' };
const DEFINITION = {
  understanding: 'The kitchen leak has not been repaired and the landlord did not call back.',
  outcomesSought: 'Repair the leak and apologise.',
  points: [
    { summary: 'The leak was not repaired in time', landlordResponsible: true },
    { summary: 'The ceiling paint is the wrong colour', landlordResponsible: true },
  ],
};

forEachBackend('learning register, Ombudsman cases and reminders', (backend) => {
  let t: TestApp;
  let handle: DatabaseHandle;
  before(async () => {
    handle = await backend.open();
    t = await startTestApp(handle, '2026-01-05T09:00:00Z');
  });
  after(async () => {
    await t?.close();
  });

  async function call(method: string, url: string, body?: unknown, as?: TestUser | null, expect?: number) {
    const r = await t.call(method, url, { as, body });
    if (expect !== undefined) assert.equal(r.status, expect, `${method} ${url}: ${JSON.stringify(r.body)}`);
    return r;
  }

  async function respond(outcome: 'partly_upheld' | 'not_upheld', extra: Record<string, unknown> = {}) {
    let c = (await call('POST', '/api/v1/complaints', { channel: 'phone', description: 'Leak not fixed', resident: RESIDENT, category: 'Delay', serviceArea: 'Repairs' }, undefined, 201)).body;
    c = (await call('POST', `/api/v1/complaints/${c.id}/assign`, { version: c.version, handlerId: t.users.handler.id, conflict: { hasConflict: false } }, undefined, 200)).body;
    c = (await call('POST', `/api/v1/complaints/${c.id}/acknowledge`, { version: c.version, definition: DEFINITION }, t.users.handler, 200)).body;
    const upheld = outcome === 'partly_upheld';
    c = (
      await call(
        'POST',
        `/api/v1/complaints/${c.id}/respond`,
        {
          version: c.version,
          points: [
            { pointId: 'P1', decision: upheld ? 'upheld' : 'not_upheld', reasons: 'The repair took longer than the 28-day target.' },
            { pointId: 'P2', decision: 'not_upheld', reasons: 'The colour matches the specification.' },
          ],
          outcome,
          remedies: upheld ? [{ type: 'apology', description: 'We apologise for the delay.' }] : [],
          outstandingActions: [],
          nextSteps: 'Ask us to escalate to stage 2 if you are unhappy.',
          ...extra,
        },
        t.users.handler,
        200,
      )
    ).body;
    return c as { id: string; version: number; reference: string };
  }

  describe('learning register', () => {
    test('a partly upheld response opens a learning item in the same transaction; a not upheld one does not', async () => {
      const c = await respond('partly_upheld');
      const items = (await call('GET', `/api/v1/learning-items?complaintId=${c.id}`, undefined, t.users.handler, 200)).body.items;
      assert.equal(items.length, 1);
      assert.equal(items[0].status, 'open');
      assert.equal(items[0].outcome, 'partly_upheld');
      assert.equal(items[0].source, 'response');
      assert.equal(items[0].complaintReference, c.reference);
      const history = (await t.app.db.selectFrom('history').select(['action', 'entity']).where('complaint_id', '=', c.id).execute()).map((h) => h.action);
      assert.ok(history.includes('learning_prompted'), 'the case history records the prompt');
      const n = await respond('not_upheld');
      assert.equal((await call('GET', `/api/v1/learning-items?complaintId=${n.id}`, undefined, t.users.handler, 200)).body.items.length, 0);
    });

    test('learning is recorded step by step, published only by a manager, and the public list holds no case details', async () => {
      const c = await respond('partly_upheld');
      let item = (await call('GET', `/api/v1/learning-items?complaintId=${c.id}`, undefined, t.users.handler, 200)).body.items[0];
      // The area's response needs the learning itself first.
      const bad = await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, status: 'area_responded' }, t.users.handler, 422);
      assert.equal(bad.body.field, 'rootCause');
      await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, rootCause: 'no_such_cause' }, t.users.handler, 422);
      item = (
        await call(
          'PATCH',
          `/api/v1/learning-items/${item.id}`,
          { version: item.version, status: 'area_responded', rootCause: 'repair_delay', whatWentWrong: 'The job was not chased after the contractor missed it.', recommendation: 'Chase missed jobs within 2 days.', serviceArea: 'Repairs', areaResponse: 'Agreed: a daily missed-jobs report.' },
          t.users.handler,
          200,
        )
      ).body;
      assert.equal(item.rootCauseLabel, 'Delay in a repair or service');
      t.clock.set('2026-02-10T09:00:00Z');
      await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, status: 'improvement_made', improvement: 'Daily missed-jobs report' }, t.users.handler, 422);
      item = (await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, status: 'improvement_made', improvement: 'Daily missed-jobs report', improvedOn: '2026-02-09' }, t.users.handler, 200)).body;
      const words = { youSaid: 'Repairs were not chased when a contractor missed them.', weDid: 'We now check every missed repair the next working day.' };
      // A handler may not publish.
      await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, publishable: true, ...words }, t.users.handler, 403);
      await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, publishable: true }, t.users.manager, 422);
      item = (await call('PATCH', `/api/v1/learning-items/${item.id}`, { version: item.version, publishable: true, ...words }, t.users.manager, 200)).body;
      assert.equal(item.publishable, true);
      const pub = (await call('GET', '/api/v1/learning-items/published', undefined, t.users.handler, 200)).body.items;
      assert.equal(pub.length, 1);
      assert.deepEqual(Object.keys(pub[0]).sort(), ['id', 'improvedIn', 'serviceArea', 'weDid', 'youSaid']);
      assert.equal(pub[0].improvedIn, '2026-02');
      assert.ok(!JSON.stringify(pub).includes(c.reference), 'no complaint reference in the public list');
      assert.ok(!JSON.stringify(pub).includes('Okafor'));
      // The public page shows it too, without signing in.
      const page = await t.app.inject({ method: 'GET', url: '/you-said-we-did' });
      assert.equal(page.statusCode, 200);
      assert.match(page.body, /We now check every missed repair/);
      assert.doesNotMatch(page.body, new RegExp(c.reference));
    });

    test('themes count items by cause, area and category per quarter and month', async () => {
      const th = (await call('GET', '/api/v1/learning-items/themes?from=2026-01-01&to=2026-12-31', undefined, t.users.governance, 200)).body;
      assert.equal(th.total, 2);
      assert.deepEqual(th.periods, ['2026 Q1']);
      const cause = th.byCause.find((x: any) => x.key === 'repair_delay');
      assert.equal(cause.total, 1);
      assert.deepEqual(cause.byPeriod, { '2026 Q1': 1 });
      assert.equal(th.byCause.find((x: any) => x.key === 'not_recorded').total, 1);
      assert.equal(th.byArea.find((x: any) => x.key === 'Repairs').total, 2);
      assert.equal(th.byCategory.find((x: any) => x.key === 'Delay').total, 2);
      const monthly = (await call('GET', '/api/v1/learning-items/themes?from=2026-01-01&to=2026-12-31&by=month', undefined, t.users.governance, 200)).body;
      assert.deepEqual(monthly.periods, ['2026-01']);
      await call('GET', '/api/v1/learning-items/themes?from=2026-12-31&to=2026-01-01', undefined, t.users.governance, 422);
      await call('GET', '/api/v1/learning-items', undefined, t.users.staff, 403);
    });
  });

  describe('Ombudsman cases', () => {
    let complaintId: string;
    let caseId: string;
    test('a case with a late request, a determination with findings per issue and orders; compliance; open orders; the MRC flag', async () => {
      t.clock.set('2026-03-02T09:00:00Z');
      const c = await respond('partly_upheld');
      complaintId = c.id;
      let oc = (await call('POST', '/api/v1/ombudsman-cases', { complaintId: c.id, reference: '202612345', openedOn: '2026-03-02' }, t.users.handler, 201)).body;
      caseId = oc.id;
      await call('POST', '/api/v1/ombudsman-cases', { complaintId: c.id, reference: '202612345' }, t.users.handler, 422);
      oc = (await call('POST', `/api/v1/ombudsman-cases/${oc.id}/requests`, { version: oc.version, requestedOn: '2026-03-02', dueOn: '2026-03-16', what: 'The repair records and the complaint file' }, t.users.handler, 200)).body;
      t.clock.set('2026-03-18T09:00:00Z');
      oc = (await call('GET', `/api/v1/ombudsman-cases/${oc.id}`, undefined, t.users.handler, 200)).body;
      assert.equal(oc.requests[0].state, 'overdue');
      assert.match(oc.chfoNote, /Complaint Handling Failure Order/);
      oc = (await call('POST', `/api/v1/ombudsman-cases/${oc.id}/requests/${oc.requests[0].id}/reply`, { version: oc.version, repliedOn: '2026-03-18' }, t.users.handler, 200)).body;
      assert.equal(oc.requests[0].state, 'late');
      t.clock.set('2026-05-04T09:00:00Z');
      await call('POST', `/api/v1/ombudsman-cases/${oc.id}/determination`, { version: oc.version, determinedOn: '2026-05-04', findings: [] }, t.users.handler, 400);
      await call('POST', `/api/v1/ombudsman-cases/${oc.id}/determination`, { version: oc.version, determinedOn: '2026-05-04', findings: [{ issue: 'Repairs', issueKind: 'repairs', finding: 'maladministration' }], orders: [{ kind: 'order', description: 'Pay £300' }] }, t.users.handler, 422);
      oc = (
        await call(
          'POST',
          `/api/v1/ombudsman-cases/${oc.id}/determination`,
          {
            version: oc.version,
            determinedOn: '2026-05-04',
            summary: 'Severe maladministration in the handling of the leak; service failure in record keeping.',
            findings: [
              { issue: 'The landlord’s handling of the kitchen leak', issueKind: 'repairs', finding: 'severe_maladministration' },
              { issue: 'The landlord’s record keeping', issueKind: 'record_keeping', finding: 'service_failure' },
            ],
            orders: [
              { kind: 'order', description: 'Apologise in writing from the chief executive', dueOn: '2026-06-01' },
              { kind: 'order', description: 'Pay the resident £900', dueOn: '2026-06-01', amountPence: 90_000 },
              { kind: 'order', description: 'Review the repairs record keeping', dueOn: '2026-05-18' },
              { kind: 'recommendation', description: 'Train staff on chasing contractors' },
            ],
          },
          t.users.handler,
          200,
        )
      ).body;
      assert.equal(oc.status, 'determined');
      assert.equal(oc.findings.length, 2);
      assert.equal(oc.overallFinding, 'maladministration');
      assert.equal(oc.severeMaladministration, true);
      assert.equal(oc.orders.filter((o: any) => o.kind === 'order').length, 3);
      const review = oc.orders[0]; // by due date: the review first
      const apology = oc.orders.find((o: any) => o.description.startsWith('Apologise'));
      t.clock.set('2026-05-12T09:00:00Z');
      assert.equal(review.description, 'Review the repairs record keeping');
      // Compliance needs evidence; the evidence goes after compliance.
      await call('PATCH', `/api/v1/ombudsman-orders/${apology.id}`, { version: apology.version, compliedOn: '2026-05-10' }, t.users.handler, 422);
      const a1 = (await call('PATCH', `/api/v1/ombudsman-orders/${apology.id}`, { version: apology.version, compliedOn: '2026-05-10', evidence: 'Letter of 10 May from the chief executive' }, t.users.handler, 200)).body;
      assert.equal(a1.state, 'complied_evidence_due');
      const a2 = (await call('PATCH', `/api/v1/ombudsman-orders/${apology.id}`, { version: a1.version, evidenceSentOn: '2026-05-11' }, t.users.handler, 200)).body;
      assert.equal(a2.state, 'complied');
      await call('PATCH', `/api/v1/ombudsman-orders/${review.id}`, { version: review.version, declinedReason: 'No' }, t.users.handler, 422);
      t.clock.set('2026-05-20T09:00:00Z');
      const open = (await call('GET', '/api/v1/ombudsman-cases/open-orders', undefined, t.users.manager, 200)).body.items;
      assert.deepEqual(open.map((o: any) => o.description), ['Review the repairs record keeping', 'Pay the resident £900', 'Train staff on chasing contractors']);
      assert.equal(open[0].overdue, true);
      assert.equal(open[0].complaintReference, c.reference);
      // Severe maladministration: governance sees it and records the report to the MRC; a handler cannot.
      const severe = (await call('GET', '/api/v1/ombudsman-cases?severe=true', undefined, t.users.governance, 200)).body.items;
      assert.deepEqual(severe.map((x: any) => x.id), [oc.id]);
      await call('POST', `/api/v1/ombudsman-cases/${oc.id}/mrc-report`, { version: oc.version + 1, on: '2026-05-20' }, t.users.handler, 403);
      const cur = (await call('GET', `/api/v1/ombudsman-cases/${oc.id}`, undefined, t.users.governance, 200)).body;
      const rep = (await call('POST', `/api/v1/ombudsman-cases/${oc.id}/mrc-report`, { version: cur.version, on: '2026-05-20' }, t.users.governance, 200)).body;
      assert.equal(rep.mrcReportedOn, '2026-05-20');
      await call('POST', `/api/v1/ombudsman-cases/${oc.id}/close`, { version: rep.version, on: '2026-05-20' }, t.users.handler, 422);
      const history = (await t.app.db.selectFrom('history').select('action').where('complaint_id', '=', c.id).where('entity', '=', 'ombudsman_case').orderBy('id').execute()).map((h) => h.action);
      assert.deepEqual(history, [
        'ombudsman_case_opened',
        'ombudsman_information_requested',
        'ombudsman_information_sent',
        'ombudsman_determination',
        'ombudsman_order_complied',
        'ombudsman_order_evidence_sent',
        'ombudsman_reported_to_mrc',
      ]);
      await call('GET', '/api/v1/ombudsman-cases', undefined, t.users.staff, 403);
    });

    test('figures for a period: Ombudsman findings and orders, learning, remedies', async () => {
      const f = (await call('GET', '/api/v1/remedies/figures?from=2026-05-01&to=2026-05-31', undefined, t.users.governance, 200)).body;
      assert.equal(f.ombudsman.determinations, 1);
      assert.equal(f.ombudsman.severeMaladministration, 1);
      assert.equal(f.ombudsman.findingsByKind.find((x: any) => x.finding === 'service_failure').count, 1);
      assert.equal(f.ombudsman.findingsByIssue.find((x: any) => x.issueKind === 'record_keeping').adverse, 1);
      assert.equal(f.ombudsman.orders.made, 3);
      assert.equal(f.ombudsman.orders.recommendationsMade, 1);
      assert.equal(f.ombudsman.orders.compensationOrderedPence, 90_000);
      assert.equal(f.ombudsman.orders.compliedOnTime, 1);
      assert.equal(f.ombudsman.orders.overdueAtEnd, 1, 'the review, due 18 May');
      const march = (await call('GET', '/api/v1/remedies/figures?from=2026-03-01&to=2026-03-31', undefined, t.users.governance, 200)).body;
      assert.equal(march.ombudsman.casesOpened, 1);
      assert.equal(march.ombudsman.informationRequests.repliedLate, 1);
      assert.equal(march.learning.promptedByUpheldResponses, 1);
      assert.equal(march.remedies.byType.find((x: any) => x.type === 'apology').recorded, 1);
      void complaintId;
      void caseId;
    });
  });

  describe('reminders', () => {
    test('two instances sweeping at once send each reminder exactly once, to the owner, through the outbox', async () => {
      t.clock.set('2026-07-01T08:00:00Z');
      const c = await respond('partly_upheld');
      const due = (await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Fit a new extractor fan', ownerUserId: t.users.handler2.id, dueOn: '2026-07-02' }, t.users.handler, 201)).body;
      const late = (await call('POST', `/api/v1/complaints/${c.id}/actions`, { description: 'Replace the ceiling', ownerUserId: t.users.handler.id, dueOn: '2026-07-01' }, t.users.handler, 201)).body;
      // A reasonable adjustment and a contact restriction due for review, recorded by the handler.
      const residentId = (await call('GET', `/api/v1/complaints/${c.id}`, undefined, t.users.handler, 200)).body.residentId;
      const need = (await call('POST', `/api/v1/residents/${residentId}/needs`, { kind: 'adjustment', description: 'Large print letters', reviewOn: '2026-07-04' }, t.users.handler, 201)).body;
      const restriction = (
        await call('POST', `/api/v1/residents/${residentId}/restrictions`, { restriction: 'Email only', reason: 'Abusive calls', proportionality: 'Email still reaches us', equalityConsiderations: 'None found', startsOn: '2026-07-01', reviewOn: '2026-07-03' }, t.users.handler, 201)
      ).body;
      t.clock.set('2026-07-03T08:00:00Z');
      // A second instance: on PostgreSQL its own connection pool to the same database; on PGlite a second service build on the one database.
      let second: DatabaseHandle | null = null;
      if (backend.name === 'postgres') {
        const name = (await t.app.db.selectNoFrom((eb) => eb.fn<string>('current_database').as('d')).executeTakeFirstOrThrow()).d;
        const u = new URL(process.env.PUTRIGHT_TEST_DATABASE_URL!);
        u.pathname = `/${name}`;
        second = openPostgres(u.toString(), 10);
      }
      const one = new ReminderService(t.app.db, t.clock.now, { instance: 'one' });
      const two = new ReminderService((second ?? handle).db, t.clock.now, { instance: 'two' });
      assert.ok(buildServices((second ?? handle).db, t.clock.now).reminders, 'a whole second service build works on the same database');
      const expected = (await one.candidates()).map((x) => `${x.subject}|${x.subjectId}|${x.kind}|${x.dueOn}`).sort();
      assert.ok(expected.includes(`action|${due.id}|action_overdue|2026-07-02`));
      assert.ok(expected.includes(`action|${late.id}|action_overdue|2026-07-01`));
      assert.ok(expected.includes(`resident_need|${need.id}|adjustment_review_due|2026-07-04`));
      assert.ok(expected.includes(`contact_restriction|${restriction.id}|restriction_review_due|2026-07-03`));
      assert.ok(expected.some((k) => k.startsWith('ombudsman_order|') && k.includes('|ombudsman_order_due|2026-05-18')), 'the overdue Ombudsman order from the case above');
      // Several rounds at once, as instances on a timer would.
      // Pages of one and two reminders as well as the default, so batches end mid-source.
      const results = await Promise.all([one.sweep({ size: 1 }), two.sweep({ size: 2 }), one.sweep(), two.sweep({ size: 1 })]);
      const sent = results.flat().map((x) => `${x.subject}|${x.subjectId}|${x.kind}|${x.dueOn}`).sort();
      assert.deepEqual(sent, expected, 'every reminder sent once between the instances');
      const rows = await t.app.db.selectFrom('reminders_sent').select(['subject_id', 'kind', 'due_on', 'outbox_id', 'instance']).execute();
      assert.equal(rows.length, expected.length);
      const emails = await t.app.db.selectFrom('outbox').select(['to_addresses', 'subject', 'text_body']).where('kind', '=', 'reminder').execute();
      assert.equal(emails.length, rows.filter((r) => r.outbox_id).length);
      const fan = emails.filter((e) => e.text_body.includes('Fit a new extractor fan'));
      assert.equal(fan.length, 1, 'the reminder for the fan went once');
      assert.deepEqual(fan[0].to_addresses, ['handler2@test.example']);
      // Nothing more on a later sweep, and nothing read: the unsent ones are none; a new due date is a new reminder.
      for await (const batch of one.batches({ unsentOnly: true, size: 1 })) assert.fail(`already sent, read again: ${batch.map((c) => c.kind).join(', ')}`);
      assert.equal((await one.candidates()).length, expected.length, 'the sent ones are still due (candidates lists them before de-duplication)');
      assert.deepEqual(await one.sweep(), []);
      const moved = (await call('PATCH', `/api/v1/actions/${due.id}`, { version: due.version, dueOn: '2026-07-04' }, t.users.handler, 200)).body;
      const again = await Promise.all([one.sweep(), two.sweep()]);
      assert.deepEqual(again.flat().map((x) => `${x.subjectId}|${x.kind}|${x.dueOn}`), [`${moved.id}|action_due|2026-07-04`]);
      // Shown in the app for the owner.
      const mine = (await call('GET', '/api/v1/reminders/mine', undefined, t.users.handler2, 200)).body.items;
      assert.ok(mine.some((m: any) => m.message.includes('Fit a new extractor fan')));
      await second?.close();
    });

    test('the sweeper runs on its interval and stops cleanly, waiting for a sweep in progress', async () => {
      let calls = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const fake = { sweep: async () => { calls++; await gate; return []; } } as unknown as ReminderService;
      const s = new ReminderSweeper(fake, { intervalMs: 10 });
      s.start();
      await new Promise((r) => setTimeout(r, 30));
      let stopped = false;
      const stopping = s.stop().then(() => (stopped = true));
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(stopped, false, 'stop waits for the sweep in progress');
      release();
      await stopping;
      const n = calls;
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(calls, n, 'no sweep after stop');
      assert.equal(n, 1);
    });
  });
});
