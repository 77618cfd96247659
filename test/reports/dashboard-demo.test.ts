/**
 * The dashboard on a demo landlord (a year of complaints generated through the engine; 2,000
 * homes by default so the suite stays quick, PUTRIGHT_DEMO_HOMES=10000 for the full demo; the
 * 10,000-home figure over HTTP is in `npm run bench`): it renders in under 200 ms once the
 * complaints' facts are folded, its figures agree with counts taken straight from the database,
 * and the MRC pack is produced. The timings are printed as test diagnostics.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { DatabaseHandle } from '../../src/db/database.js';
import { generateDemo } from '../../src/demo/generate.js';
import { buildApp } from '../../src/http/app.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';
import { forEachBackend } from '../helpers/db.js';
import { getPage, signIn } from '../web/session.js';
import type { FastifyInstance } from 'fastify';

const END = '2026-03-31';
const HOMES = Number(process.env.PUTRIGHT_DEMO_HOMES ?? 2000);

forEachBackend(`the dashboard on the ${HOMES.toLocaleString('en-GB')}-home demo`, (backend) => {
  let handle: DatabaseHandle;
  let app: FastifyInstance;
  let cookie: string;
  let complaints = 0;

  before(async () => {
    handle = await backend.open();
    const r = await generateDemo(handle.db, { homes: HOMES, years: 1, seed: 1, end: END });
    assert.deepEqual(r.errors, []);
    complaints = Number((await handle.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    app = await buildApp({ database: handle, clock: () => new Date(`${END}T16:00:00Z`) });
    await app.ready();
    await app.services.users.create(SYSTEM_ACTOR, { email: 'mrc@test.example', name: 'Mo MRC', role: 'governance', password: 'the board password' });
    cookie = await signIn(app, 'mrc@test.example', 'the board password');
  });
  after(async () => {
    await app?.close();
    await handle?.close();
  });

  test('the dashboard renders in under 200 ms', async (t) => {
    // Wall time, and the CPU time this process spent (the embedded database runs in-process too),
    // which is what the machine's own load cannot inflate.
    const cpu: number[] = [];
    const time = async (url: string) => {
      const s = process.hrtime.bigint();
      const c = process.cpuUsage();
      const res = await getPage(app, url, cookie);
      const ms = Number(process.hrtime.bigint() - s) / 1e6;
      const used = process.cpuUsage(c);
      cpu.push((used.user + used.system) / 1000);
      assert.equal(res.statusCode, 200, res.body.slice(0, 300));
      return { ms, body: res.body };
    };
    const cold = await time('/reports/dashboard');
    const warm: number[] = [];
    for (let i = 0; i < 7; i++) warm.push((await time('/reports/dashboard')).ms);
    warm.sort((a, b) => a - b);
    const median = warm[3];
    const tsm: number[] = [];
    for (let i = 0; i < 5; i++) tsm.push((await time('/reports/tsm')).ms);
    tsm.sort((a, b) => a - b);
    const warmCpu = cpu.slice(1, 8).sort((a, b) => a - b);
    t.diagnostic(`${complaints} complaints; dashboard first render (folding every complaint's events) ${cold.ms.toFixed(1)} ms wall, ${cpu[0].toFixed(1)} ms CPU; then median ${median.toFixed(1)} ms wall (worst ${warm[6].toFixed(1)}), ${warmCpu[3].toFixed(1)} ms CPU; measures page median ${tsm[2].toFixed(1)} ms wall`);
    // Where the time goes, for the record.
    const part = async (name: string, f: () => Promise<unknown>) => {
      const s = process.hrtime.bigint();
      await f();
      return `${name} ${(Number(process.hrtime.bigint() - s) / 1e6).toFixed(1)} ms`;
    };
    t.diagnostic(
      [
        await part('facts', () => app.services.reports.facts(END)),
        await part('remedy figures', () => app.services.remedies.figures('2025-04-01', END)),
        await part('dashboard figures', () => app.services.reports.dashboardFor(SYSTEM_ACTOR, '2025-04-01', END)),
      ].join('; '),
    );
    // The machine these tests run on is shared, so the check is on the CPU time the request took
    // (the embedded database runs in this process, so that is all of its work); wall time only
    // has to be sane. The wall-clock figures on a quiet machine are in BENCHMARKS.md.
    assert.ok(warmCpu[3] < 200, `dashboard median CPU ${warmCpu[3].toFixed(1)} ms`);
    assert.ok(median < 2000, `dashboard median ${median.toFixed(1)} ms wall`);
    assert.match(cold.body, /<svg [^>]*role="img"/);
  });

  test('its volumes agree with counts taken straight from the database', async () => {
    const d = await app.services.reports.dashboardFor(SYSTEM_ACTOR, '2025-04-01', END);
    const direct = await sql<{ n: number }>`select count(*)::int as n from complaints where (received_at at time zone 'Europe/London')::date between '2025-04-01' and ${END}`.execute(handle.db);
    assert.equal(d.received.stage1.count, direct.rows[0].n);
    assert.ok(d.received.stage1.count > HOMES * 0.02, `${d.received.stage1.count} stage 1 complaints`);
    const byArea = await sql<{ a: string; n: number }>`select coalesce(service_area, 'Not recorded') as a, count(*)::int as n from complaints where (received_at at time zone 'Europe/London')::date between '2025-04-01' and ${END} group by 1`.execute(handle.db);
    assert.deepEqual(Object.fromEntries(d.byServiceArea.map((b) => [b.key, b.count])), Object.fromEntries(byArea.rows.map((r) => [r.a, r.n])));
    const responses = await sql<{ n: number }>`select count(*)::int as n from history where entity = 'complaint' and event->>'type' = 'responded' and event->>'stage' = '1' and (event->>'on') between '2025-04-01' and ${END}`.execute(handle.db);
    assert.equal(d.timeliness[0].responded.count, responses.rows[0].n);
  });

  test('the MRC pack for the year is produced as PDF and Word', async (t) => {
    const s = process.hrtime.bigint();
    const pdf = await getPage(app, `/reports/mrc-pack.pdf?from=2025-04-01&to=${END}`, cookie);
    const ms = Number(process.hrtime.bigint() - s) / 1e6;
    assert.equal(pdf.statusCode, 200);
    assert.equal(pdf.rawPayload.subarray(0, 5).toString(), '%PDF-');
    const docx = await getPage(app, `/reports/mrc-pack.docx?from=2025-04-01&to=${END}`, cookie);
    assert.equal(docx.statusCode, 200);
    t.diagnostic(`MRC pack PDF ${ms.toFixed(0)} ms, ${pdf.rawPayload.length} bytes; Word ${docx.rawPayload.length} bytes`);
    if (process.env.PUTRIGHT_KEEP_PACK) (await import('node:fs')).writeFileSync(process.env.PUTRIGHT_KEEP_PACK, pdf.rawPayload);
  });
});
