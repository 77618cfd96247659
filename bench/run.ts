/**
 * `npm run bench`: measure Putright's speed on realistic data. Starts the real server in its own
 * process, signs in, drives each target with autocannon and prints median, p95 and p99 latency
 * and throughput as a markdown table ready for BENCHMARKS.md, each against its target.
 *
 * PostgreSQL (issue 9): `npm run bench -- --database-url postgres://…` (or BENCH_DATABASE_URL) on a
 * database filled by `npm run seed`. Adds creates, acknowledgements, search and a bare baseline:
 * Fastify + pg running the worklist's SQL, in its own process, so the product's overhead shows.
 * Embedded (default without a URL): the 10,000-home demo landlord on PGlite, generated once into
 * .tmp/bench-<homes>-<seed>.
 *
 * Options: --homes N (embedded; default 10000), --seed S (1), --seconds T per target (10),
 *          --connections C (10), --fresh (regenerate embedded data), --only a,b (target keys).
 * Targets are a table (TARGETS below): a new page or report is one line. Benchmarks are not tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { migrate, openEmbedded } from '../src/db/database.js';
import { generateDemo } from '../src/demo/generate.js';
import { londonDateOf } from '../src/core/dates.js';
import { postgresCpu, statTimes } from '../src/seed/load.js';
import { SERVER_NODE_FLAGS } from '../src/runtime-flags.js';

const DEMO_PASSWORD = 'putright-demo-password';
/** What the bench's own complaints say, so that a rerun does not count them in the seeded caseloads. */
const BENCH_DESCRIPTION = 'The repair to the boiler was booked three times and nobody came.';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const databaseUrl = arg('database-url', process.env.BENCH_DATABASE_URL ?? '');
const mode: 'postgres' | 'pglite' = databaseUrl ? 'postgres' : 'pglite';
const homes = Number(arg('homes', '10000'));
const seed = Number(arg('seed', '1'));
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '10'));
const only = arg('only', '').split(',').filter(Boolean);
const fresh = process.argv.includes('--fresh');
const dataDir = path.resolve('.tmp', `bench-${homes}-${seed}`);

/** What the bench learns about the data: who to sign in as and what to ask for. */
interface Fixture {
  handler: { id: string; email: string; open: number };
  /** Complaints the bench creates are assigned to the manager, so the measured caseload stays as seeded. */
  manager: { id: string; email: string };
  /** Cases to open on the case-page targets (rotated through), and the busiest one's history size. */
  caseIds: string[];
  caseEvents: number;
  postcodes: string[];
  names: string[];
  residentIds: string[];
  description: string;
}

interface Ctx {
  base: string;
  api: Record<string, string>;
  html: Record<string, string>;
  /** A manager's token and session: the reports are for managers, governance and administrators. */
  managerApi: Record<string, string>;
  managerHtml: Record<string, string>;
  /** The reporting year the reports are run for (1 April of this year to 31 March of the next). */
  year: number;
  /** Ids made by `before` steps (the annual report). */
  made: Record<string, string>;
  fx: Fixture;
  /** Complaints created by the create target, acknowledged by the acknowledge target. */
  created: { id: string; version: number }[];
}

interface Target {
  key: string;
  name: string;
  /** Only in this mode (default: both). */
  mode?: 'postgres' | 'pglite';
  /** The request(s): a path, or a function that gives each request (rotating through fixtures). */
  request: (ctx: Ctx) => { path: string | (() => string); method?: 'GET' | 'POST'; headers: Record<string, string>; body?: () => string; onResponse?: (status: number, body: string) => void; amount?: number };
  /** Prepare before measuring (not timed). */
  before?: (ctx: Ctx) => Promise<void>;
  /** The target from issue 9, shown beside the figures. */
  goal?: { p95?: number; rps?: number };
  /** Skip (with the reason) when a route is missing: for pages built on other branches. */
  requires?: string;
}

let rr = 0;
/** Targets that issue 9 sets for PostgreSQL only (embedded mode has one: the HTML worklist). */
const pgGoal = (g: Target['goal']) => (mode === 'postgres' ? g : undefined);
const rotate = <T>(list: T[]) => () => list[rr++ % list.length];

const ACK_DEFINITION = {
  understanding: 'The resident is unhappy that the repair was not done when promised.',
  outcomesSought: 'The repair done and an apology.',
  points: [{ id: 'P1', summary: 'The repair was not done when promised', landlordResponsible: true }],
};

/**
 * The targets, in order. To add one (CH01/CH02, the dashboard, self-assessment evidence, the annual
 * report), add a line: `requires` names a path that must answer, so it is skipped until it exists.
 */
const TARGETS: Target[] = [
  {
    key: 'create',
    name: 'Create a complaint (API)',
    mode: 'postgres',
    goal: { p95: 50, rps: 400 },
    request: (c) => ({
      path: '/api/v1/complaints',
      method: 'POST',
      headers: { ...c.api, 'content-type': 'application/json' },
      body: () => JSON.stringify({ residentId: rotate(c.fx.residentIds)(), channel: 'phone', description: c.fx.description, serviceArea: 'Repairs', category: 'Delay' }),
      onResponse: (status, body) => {
        if (status === 201) {
          const j = JSON.parse(body);
          c.created.push({ id: j.id, version: j.version });
        }
      },
    }),
  },
  {
    key: 'acknowledge',
    name: 'Acknowledge a complaint (API)',
    mode: 'postgres',
    before: async (c) => {
      // Assign the complaints just created to the handler (not timed), eight at a time.
      const assigned: { id: string; version: number }[] = [];
      await eightAtATime(c.created.splice(0, c.created.length), async (item) => {
        const r = await fetch(`${c.base}/api/v1/complaints/${item.id}/assign`, {
          method: 'POST',
          headers: { ...c.api, 'content-type': 'application/json' },
          body: JSON.stringify({ version: item.version, handlerId: c.fx.manager.id, conflict: { hasConflict: false, statement: 'No conflict.' } }),
        });
        if (r.ok) assigned.push({ id: item.id, version: ((await r.json()) as { version: number }).version });
      });
      c.created = assigned;
    },
    request: (c) => {
      const list = c.created;
      let i = 0;
      return {
        amount: list.length,
        path: () => `/api/v1/complaints/${list[i % list.length].id}/acknowledge`,
        method: 'POST',
        headers: { ...c.api, 'content-type': 'application/json' },
        body: () => JSON.stringify({ version: list[i++ % list.length].version, definition: ACK_DEFINITION }),
      };
    },
  },
  { key: 'worklist-json', name: 'JSON worklist: a handler’s first 50 by deadline', goal: pgGoal({ p95: 30, rps: 800 }), request: (c) => ({ path: `/api/v1/complaints?handlerId=${c.fx.handler.id}&open=true&sort=due&limit=50`, headers: c.api }) },
  { key: 'baseline', name: 'Baseline: bare Fastify + pg, the same worklist SQL', mode: 'postgres', request: (c) => ({ path: `BASELINE/worklist?handlerId=${c.fx.handler.id}`, headers: {} }) },
  { key: 'team-json', name: 'JSON worklist: the team’s first 50 by deadline', goal: pgGoal({ p95: 30, rps: 800 }), request: (c) => ({ path: '/api/v1/complaints?open=true&sort=due&limit=50', headers: c.api }) },
  { key: 'case-json', name: 'JSON case (rotating cases)', goal: pgGoal({ p95: 30, rps: 800 }), request: (c) => ({ path: (() => { const r = rotate(c.fx.caseIds); return () => `/api/v1/complaints/${r()}`; })(), headers: c.api }) },
  { key: 'timeline-json', name: 'JSON case timeline (full history)', goal: pgGoal({ p95: 30, rps: 800 }), request: (c) => ({ path: (() => { const r = rotate(c.fx.caseIds); return () => `/api/v1/complaints/${r()}/history`; })(), headers: c.api }) },
  { key: 'worklist-html', name: 'HTML worklist: my work (handler)', goal: { p95: mode === 'pglite' ? 100 : 60, rps: mode === 'pglite' ? undefined : 200 }, request: (c) => ({ path: '/work', headers: c.html }) },
  { key: 'team-html', name: 'HTML worklist: the team’s', goal: { p95: mode === 'pglite' ? undefined : 60, rps: mode === 'pglite' ? undefined : 200 }, request: (c) => ({ path: '/work?handler=all', headers: c.html }) },
  { key: 'case-html', name: 'HTML case page with full timeline', goal: { p95: mode === 'pglite' ? undefined : 60, rps: mode === 'pglite' ? undefined : 200 }, request: (c) => ({ path: (() => { const r = rotate(c.fx.caseIds); return () => `/complaints/${r()}`; })(), headers: c.html }) },
  { key: 'search-postcode', name: 'Search residents by postcode (API)', mode: 'postgres', request: (c) => ({ path: (() => { const r = rotate(c.fx.postcodes); return () => `/api/v1/residents?postcode=${encodeURIComponent(r())}`; })(), headers: c.api }) },
  { key: 'search-name', name: 'Search residents by surname (API)', mode: 'postgres', request: (c) => ({ path: (() => { const r = rotate(c.fx.names); return () => `/api/v1/residents?name=${encodeURIComponent(r())}`; })(), headers: c.api }) },
  // Reports: CH01 and CH02 come together from /reports/tsm (with the drill-down lists).
  { key: 'tsm', name: 'CH01, CH02 and TP09 for a reporting year (API)', goal: { p95: 1000 }, request: (c) => ({ path: `/api/v1/reports/tsm?year=${c.year}`, headers: c.managerApi }) },
  { key: 'dashboard-html', name: 'Dashboard for a reporting year (HTML, SVG charts)', goal: { p95: mode === 'pglite' ? 200 : 500 }, request: (c) => ({ path: `/reports/dashboard?from=${c.year}-04-01&to=${c.year + 1}-03-31`, headers: c.managerHtml }) },
  {
    key: 'self-assessment',
    name: 'Self-assessment: start one with the evidence from the record (72 provisions)',
    request: (c) => ({
      amount: 20,
      path: '/api/v1/self-assessments',
      method: 'POST',
      headers: { ...c.managerApi, 'content-type': 'application/json' },
      body: () => JSON.stringify({ periodFrom: `${c.year}-04-01`, periodTo: `${c.year + 1}-03-31`, reason: 'other', startFrom: 'blank' }),
    }),
  },
  {
    key: 'annual-report',
    name: 'Annual report as PDF (built from the record)',
    goal: { p95: mode === 'pglite' ? 5000 : 10000 },
    before: async (c) => {
      const r = await fetch(`${c.base}/api/v1/annual-reports`, { method: 'POST', headers: { ...c.managerApi, 'content-type': 'application/json' }, body: JSON.stringify({ startYear: c.year }) });
      const list = (await (await fetch(`${c.base}/api/v1/annual-reports`, { headers: c.managerApi })).json()) as { items?: { id: string; startYear?: number }[] };
      const made = r.ok ? ((await r.json()) as { id: string }).id : list.items?.[0]?.id;
      if (!made) throw new Error(`could not make an annual report (${r.status})`);
      c.made.annualReport = made;
    },
    request: (c) => ({ amount: 10, path: `/api/v1/annual-reports/${c.made.annualReport}/pdf`, headers: c.managerApi }),
  },
];

// ------------------------------------------------------------------------------------------------
// Data

async function fixtureFromPostgres(url: string): Promise<{ fx: Fixture; data: string }> {
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const one = async <T>(q: string, p: unknown[] = []) => (await pool.query(q, p)).rows[0] as T;
    const all = async <T>(q: string, p: unknown[] = []) => (await pool.query(q, p)).rows as T[];
    const h = await one<{ id: string; email: string; open: string }>(
      `select u.id, u.email, count(*) as open from complaints c join users u on u.id = case when c.stage = 2 then c.stage2_handler_id else c.stage1_handler_id end
        where c.status in ('awaiting_acknowledgement', 'investigating', 'responded') and u.role = 'handler' and c.description <> $1 group by u.id, u.email order by 3 desc limit 1`,
      [BENCH_DESCRIPTION],
    );
    const m = await one<{ id: string; email: string }>(`select id, email from users where role = 'manager' order by email limit 1`);
    const cases = await all<{ id: string }>(`select id from complaints tablesample system (1) where version >= 8 limit 500`);
    const busiest = await one<{ n: string }>(`select count(*) as n from history where complaint_id = $1`, [cases[0]?.id]);
    const residents = await all<{ id: string; postcode: string; family_name: string }>(`select id, postcode, family_name from residents tablesample system (0.5) limit 1000`);
    const counts = await one<Record<string, string>>(
      `select (select count(*) from complaints) as complaints, (select count(*) from residents) as residents, (select count(*) from history) as history,
              (select count(*) from complaints where status in ('awaiting_acknowledgement', 'investigating', 'responded')) as open,
              (select pg_size_pretty(pg_database_size(current_database()))) as size`,
    );
    const fmt = (s: string) => Number(s).toLocaleString('en-GB');
    return {
      fx: {
        handler: { id: h.id, email: h.email, open: Number(h.open) },
        manager: m,
        caseIds: cases.map((c) => c.id),
        caseEvents: Number(busiest.n),
        postcodes: residents.map((r) => r.postcode.split(' ')[0] + ' ' + r.postcode.split(' ')[1].slice(0, 1)),
        names: residents.map((r) => r.family_name),
        residentIds: residents.map((r) => r.id),
        description: BENCH_DESCRIPTION,
      },
      data: `${fmt(counts.residents)} households, ${fmt(counts.complaints)} complaints (${fmt(counts.open)} open), ${fmt(counts.history)} history entries; database ${counts.size}`,
    };
  } finally {
    await pool.end();
  }
}

async function fixtureFromEmbedded(): Promise<{ fx: Fixture; data: string }> {
  if (fresh) fs.rmSync(dataDir, { recursive: true, force: true });
  const h = await openEmbedded(dataDir);
  try {
    await migrate(h.db);
    const count = await h.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(count.n) === 0) {
      const t = Date.now();
      console.log(`Generating the demo landlord: ${homes} homes, 1 year, seed ${seed}…`);
      await generateDemo(h.db, { homes, years: 1, seed, end: londonDateOf(new Date()), password: DEMO_PASSWORD });
      console.log(`  generated in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    }
    const handler = await h.db
      .selectFrom('complaints')
      .innerJoin('users', 'users.id', 'complaints.stage1_handler_id')
      .select(['users.email', 'users.id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('complaints.status', 'in', ['awaiting_acknowledgement', 'investigating', 'responded'])
      .groupBy(['users.email', 'users.id'])
      .orderBy('n', 'desc')
      .executeTakeFirstOrThrow();
    const busiest = await h.db
      .selectFrom('history')
      .select(['complaint_id', (eb) => eb.fn.countAll<string>().as('n')])
      .where('complaint_id', 'is not', null)
      .groupBy('complaint_id')
      .orderBy('n', 'desc')
      .executeTakeFirstOrThrow();
    const totals = await h.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const manager = await h.db.selectFrom('users').select(['id', 'email']).where('role', '=', 'manager').executeTakeFirstOrThrow();
    return {
      fx: { handler: { id: handler.id, email: handler.email, open: Number(handler.n) }, manager, caseIds: [busiest.complaint_id!], caseEvents: Number(busiest.n), postcodes: [], names: [], residentIds: [], description: '' },
      data: `the ${homes.toLocaleString('en-GB')}-home demo landlord (1 year, seed ${seed}): ${Number(totals.n).toLocaleString('en-GB')} complaints`,
    };
  } finally {
    await h.close();
  }
}

// ------------------------------------------------------------------------------------------------
// Processes

async function startProcess(script: string, env: Record<string, string>, port: number): Promise<ChildProcess> {
  // The server runs with the flags `npm start` gives it (src/runtime-flags.ts).
  // BENCH_SERVER_FLAGS adds Node flags for the server alone, e.g. "--cpu-prof --cpu-prof-dir=.tmp/prof".
  const flags = script === 'src/server.ts' ? [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_FLAGS ?? '').split(' ').filter(Boolean)] : [];
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', script], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'inherit', 'inherit'] });
  const end = Date.now() + 60_000;
  while (Date.now() < end) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  child.kill('SIGKILL');
  throw new Error(`${script} did not start`);
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
}

function rssMb(pid: number | undefined): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

async function signIn(base: string, email: string): Promise<{ cookie: string; token: string }> {
  const page = await fetch(`${base}/sign-in`);
  const html = await page.text();
  const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
  const loginCookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const r = await fetch(`${base}/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: loginCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password: DEMO_PASSWORD, next: '/work' }),
  });
  const cookie = r.headers.getSetCookie().find((c) => c.startsWith('putright_session='))!.split(';')[0];
  const t = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: DEMO_PASSWORD, name: 'bench' }) });
  const { token } = (await t.json()) as { token: string };
  return { cookie, token };
}

// ------------------------------------------------------------------------------------------------
// Measuring

interface Row {
  key: string;
  name: string;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  requests: number;
  errors: number;
  /** CPU milliseconds per request: the server process, and PostgreSQL when it runs on this machine. */
  serverCpu: number;
  pgCpu: number | null;
  goal?: Target['goal'];
  skipped?: string;
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(t: Target, ctx: Ctx, baselineBase: string, cpu: { server: () => number; pg: () => number | null }): Promise<Row> {
  const spec = t.request(ctx);
  const origin = (p: string) => (p.startsWith('BASELINE') ? `${baselineBase}${p.slice('BASELINE'.length)}` : `${ctx.base}${p}`);
  const first = typeof spec.path === 'string' ? spec.path : spec.path();
  const latencies: number[] = [];
  let errors = 0;
  const started = Date.now();
  const cpu0 = { server: cpu.server(), pg: cpu.pg() };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const requests = [
      {
        method: spec.method ?? 'GET',
        setupRequest: (req: any) => {
          const p = typeof spec.path === 'string' ? spec.path : spec.path();
          return { ...req, path: new URL(origin(p)).pathname + new URL(origin(p)).search, ...(spec.body ? { body: spec.body() } : {}) };
        },
        ...(spec.onResponse ? { onResponse: (status: number, body: string) => spec.onResponse!(status, body) } : {}),
      },
    ];
    const opts: any = { url: origin(first), connections, headers: spec.headers, requests };
    if (spec.amount !== undefined) opts.amount = spec.amount;
    else opts.duration = seconds;
    const instance = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      if (status >= 400) errors++;
      latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  const elapsed = (Date.now() - started) / 1000;
  const pg1 = cpu.pg();
  const n = Math.max(1, latencies.length);
  return {
    key: t.key,
    name: t.name,
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    p99: percentile(latencies, 99),
    rps: spec.amount !== undefined ? latencies.length / elapsed : result.requests.average,
    requests: latencies.length,
    errors: errors + result.errors + result.non2xx,
    serverCpu: ((cpu.server() - cpu0.server) * 1000) / n,
    pgCpu: pg1 !== null && cpu0.pg !== null ? ((pg1 - cpu0.pg) * 1000) / n : null,
    goal: t.goal,
  };
}

function verdict(r: Row): string {
  if (!r.goal) return '';
  const parts: string[] = [];
  if (r.goal.p95 !== undefined) parts.push(`p95 ≤ ${r.goal.p95} ms ${r.p95 <= r.goal.p95 ? 'met' : 'MISSED'}`);
  if (r.goal.rps !== undefined) parts.push(`≥ ${r.goal.rps}/s ${r.rps >= r.goal.rps ? 'met' : 'MISSED'}`);
  return parts.join('; ');
}

/** Work through `items` (emptying the array), eight requests in flight at a time. */
async function eightAtATime<T>(items: T[], each: (item: T) => Promise<void>) {
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let item = items.pop(); item !== undefined; item = items.pop()) await each(item);
    }),
  );
}

/**
 * Each run creates (and acknowledges) a few thousand complaints. Left open, they would grow the
 * team's worklist from run to run, so a rerun would measure more than the seeded data: withdraw
 * those earlier runs left open, through the API as a user would (not timed).
 */
async function withdrawEarlierRuns(c: Ctx) {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const { rows } = await db.query<{ id: string; version: number }>(
    `select id, version from complaints where description = $1 and status in ('awaiting_acknowledgement', 'investigating', 'responded')`,
    [BENCH_DESCRIPTION],
  );
  await db.end();
  let withdrawn = 0;
  await eightAtATime([...rows], async (item) => {
    const r = await fetch(`${c.base}/api/v1/complaints/${item.id}/withdraw`, {
      method: 'POST',
      headers: { ...c.managerApi, 'content-type': 'application/json' },
      body: JSON.stringify({ version: item.version, reason: 'Created by an earlier benchmark run.' }),
    });
    if (r.ok) withdrawn++;
  });
  if (rows.length) process.stderr.write(`  withdrew ${withdrawn} of ${rows.length} complaints earlier runs left open\n`);
}

async function main() {
  const { fx, data } = mode === 'postgres' ? await fixtureFromPostgres(databaseUrl) : await fixtureFromEmbedded();
  const port = 40000 + Math.floor(Math.random() * 10000);
  const base = `http://127.0.0.1:${port}`;
  const env: Record<string, string> =
    mode === 'postgres'
      ? { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', NODE_ENV: 'production', PUTRIGHT_MAIL_MODE: 'eml', PUTRIGHT_OUTBOX_DIR: path.resolve('.tmp', 'bench-outbox') }
      : { PUTRIGHT_DATA_DIR: dataDir, LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_URL: '', PUTRIGHT_MAIL_MODE: 'eml', PUTRIGHT_OUTBOX_DIR: path.resolve('.tmp', 'bench-outbox') };
  const server = await startProcess('src/server.ts', env, port);
  const baselinePort = port + 1;
  const baseline = mode === 'postgres' ? await startProcess('bench/baseline.ts', { DATABASE_URL: databaseUrl }, baselinePort) : null;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(server.pid))), 250);
  try {
    const { cookie, token } = await signIn(base, fx.handler.email);
    const mgr = await signIn(base, fx.manager.email);
    // The last complete reporting year.
    const now = new Date();
    const year = now.getUTCMonth() >= 3 ? now.getUTCFullYear() - 1 : now.getUTCFullYear() - 2;
    const ctx: Ctx = { base, api: { authorization: `Bearer ${token}` }, html: { cookie }, managerApi: { authorization: `Bearer ${mgr.token}` }, managerHtml: { cookie: mgr.cookie }, year, made: {}, fx, created: [] };
    if (mode === 'postgres') await withdrawEarlierRuns(ctx);
    const rows: Row[] = [];
    const load0 = os.loadavg()[0];
    let postmaster: number | null = null;
    if (mode === 'postgres') {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      postmaster = statTimes((await c.query('select pg_backend_pid() as pid')).rows[0].pid)?.ppid ?? null;
      await c.end();
    }
    for (const t of TARGETS) {
      if (t.mode && t.mode !== mode) continue;
      if (only.length && !only.includes(t.key)) continue;
      if (t.requires) {
        const probe = await fetch(`${base}${t.requires}`, { headers: { ...ctx.api, ...ctx.html } }).catch(() => null);
        if (!probe || probe.status === 404) {
          rows.push({ key: t.key, name: t.name, p50: NaN, p95: NaN, p99: NaN, rps: NaN, requests: 0, errors: 0, serverCpu: NaN, pgCpu: null, skipped: `${t.requires} not built yet` });
          continue;
        }
      }
      if (t.before) await t.before(ctx);
      // Warm up: one request of each.
      const spec = t.request(ctx);
      if (!spec.method || spec.method === 'GET') {
        const p = typeof spec.path === 'string' ? spec.path : spec.path();
        await fetch(p.startsWith('BASELINE') ? `http://127.0.0.1:${baselinePort}${p.slice(8)}` : `${base}${p}`, { headers: spec.headers });
      }
      const proc = t.key === 'baseline' ? baseline : server;
      rows.push(await measure(t, ctx, `http://127.0.0.1:${baselinePort}`, { server: () => statTimes(proc!.pid!)?.self ?? 0, pg: () => postgresCpu(postmaster) }));
      process.stderr.write(`  ${t.key}: p95 ${rows[rows.length - 1].p95} ms, ${rows[rows.length - 1].rps.toFixed(0)}/s\n`);
    }
    const load1 = os.loadavg()[0];
    let commit = '';
    try {
      commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim() + (execSync('git status --porcelain', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '');
    } catch {
      commit = 'unknown';
    }
    const out: string[] = [];
    out.push(`Putright benchmark — ${new Date().toISOString()}, commit ${commit}`);
    out.push(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; database: ${mode === 'postgres' ? 'PostgreSQL (server, database and load generator share the machine)' : 'embedded PGlite'}`);
    out.push(`data: ${data}; handler with ${fx.handler.open} open; cases rotated: ${fx.caseIds.length} (first has ${fx.caseEvents} history entries)`);
    out.push(`load: ${connections} connections for ${seconds} s per target (autocannon; acknowledge runs once per complaint created); machine load average ${load0.toFixed(1)} at start, ${load1.toFixed(1)} at end`);
    out.push('');
    out.push('| target | median ms | p95 ms | p99 ms | requests/s | errors | server CPU ms/req | PostgreSQL CPU ms/req | target (issue 9) |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const r of rows) {
      if (r.skipped) out.push(`| ${r.name} | – | – | – | – | – | – | – | skipped: ${r.skipped} |`);
      else out.push(`| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rps.toFixed(0)} | ${r.errors} | ${r.serverCpu.toFixed(2)} | ${r.pgCpu === null ? '–' : r.pgCpu.toFixed(2)} | ${verdict(r)} |`);
    }
    const wl = rows.find((r) => r.key === 'worklist-json');
    const bl = rows.find((r) => r.key === 'baseline');
    out.push('');
    if (wl && bl) out.push(`Worklist throughput against the bare baseline: ${((100 * wl.rps) / bl.rps).toFixed(0)}% (target ≥ 60%: ${wl.rps / bl.rps >= 0.6 ? 'met' : 'MISSED'})`);
    out.push(`Server resident memory, peak during the run: ${peakRss.toFixed(0)} MB${mode === 'postgres' ? ` (target ≤ 350 MB: ${peakRss <= 350 ? 'met' : 'MISSED'})` : ''}`);
    out.push('CPU per request is what the server process (and PostgreSQL, when local) spent per request: it depends far less than latency on other load on the machine. The server is one Node.js thread, so 1000 ÷ server CPU ms is its ceiling in requests/s on an idle core.');
    console.log(`\n${out.join('\n')}`);
  } finally {
    clearInterval(sampler);
    await stop(server);
    if (baseline) await stop(baseline);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
