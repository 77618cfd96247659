/**
 * `npm run bench`: measure Putright's speed on realistic data. Generates (once, then reuses) the
 * demo landlord, starts the real server in its own process, signs in, and drives each page and
 * endpoint with autocannon, printing median, p95 and p99 latency and throughput.
 *
 * Options: --homes N (default 10000), --seed S (1), --seconds T per target (10), --connections C (10),
 *          --fresh (regenerate the data).
 * Data lives in .tmp/bench-<homes>-<seed> (embedded PGlite). Benchmarks are not tests: nothing here runs in `npm test`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { migrate, openEmbedded } from '../src/db/database.js';
import { generateDemo } from '../src/demo/generate.js';
import { londonDateOf } from '../src/core/dates.js';

const DEMO_PASSWORD = 'putright-demo-password';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

const homes = Number(arg('homes', '10000'));
const seed = Number(arg('seed', '1'));
const seconds = Number(arg('seconds', '10'));
const connections = Number(arg('connections', '10'));
const fresh = process.argv.includes('--fresh');
const dataDir = path.resolve('.tmp', `bench-${homes}-${seed}`);

async function prepare() {
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
    const manager = await h.db.selectFrom('users').select('email').where('role', '=', 'manager').where('active', '=', true).orderBy('email').executeTakeFirstOrThrow();
    return {
      managerEmail: manager.email, handler, caseId: busiest.complaint_id!, caseEvents: Number(busiest.n), complaints: Number(totals.n), handlerOpen: Number(handler.n) };
  } finally {
    await h.close();
  }
}

async function startServer(port: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PUTRIGHT_DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', NODE_ENV: 'production', DATABASE_URL: '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
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
  throw new Error('the server did not start');
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

interface Row {
  name: string;
  p50: number;
  p95: number;
  p99: number;
  rps: number;
  errors: number;
}

function percentile(sorted: number[], p: number) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(name: string, url: string, headers: Record<string, string>): Promise<Row> {
  const latencies: number[] = [];
  let errors = 0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, headers }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client: unknown, status: number, _bytes: number, responseTime: number) => {
      if (status >= 400) errors++;
      latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  return { name, p50: percentile(latencies, 50), p95: percentile(latencies, 95), p99: percentile(latencies, 99), rps: result.requests.average, errors: errors + result.errors + result.non2xx };
}

async function main() {
  const info = await prepare();
  const port = 40000 + Math.floor(Math.random() * 10000);
  const base = `http://127.0.0.1:${port}`;
  const server = await startServer(port);
  try {
    const { cookie, token } = await signIn(base, info.handler.email);
    const html = { cookie };
    const api = { authorization: `Bearer ${token}` };
    // Reports are for managers, governance and administrators.
    const mgr = await signIn(base, info.managerEmail);
    const reportsHtml = { cookie: mgr.cookie };
    const reportsApi = { authorization: `Bearer ${mgr.token}` };
    const today = londonDateOf(new Date());
    const yearStart = today.slice(5) >= '04-01' ? `${today.slice(0, 4)}-04-01` : `${Number(today.slice(0, 4)) - 1}-04-01`;
    // Warm up each target once.
    const targets: [string, string, Record<string, string>][] = [
      ['HTML worklist: my work (handler)', `${base}/work`, html],
      ['HTML worklist: the team’s (everyone)', `${base}/work?handler=all`, html],
      ['HTML case page with full timeline', `${base}/complaints/${info.caseId}`, html],
      ['JSON worklist: first 50 by deadline', `${base}/api/v1/complaints?handlerId=${info.handler.id}&open=true&sort=due&limit=50`, api],
      ['JSON team worklist: first 50 by deadline', `${base}/api/v1/complaints?open=true&sort=due&limit=50`, api],
      ['JSON case', `${base}/api/v1/complaints/${info.caseId}`, api],
      ['HTML dashboard: this reporting year, charts and tables', `${base}/reports/dashboard`, reportsHtml],
      ['HTML measures (CH01, CH02, TP09): this reporting year', `${base}/reports/tsm`, reportsHtml],
      ['JSON dashboard figures: this reporting year', `${base}/api/v1/reports/dashboard?from=${yearStart}&to=${today}`, reportsApi],
    ];
    for (const [, url, headers] of targets) await fetch(url, { headers });
    const rows: Row[] = [];
    for (const [name, url, headers] of targets) rows.push(await measure(name, url, headers));
    const rss = Number(fs.readFileSync(`/proc/${server.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024;
    console.log('');
    console.log(`Putright benchmark — ${new Date().toISOString()}`);
    console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; database: embedded PGlite`);
    console.log(`data: ${homes} homes, ${info.complaints} complaints; handler with ${info.handlerOpen} open; case with ${info.caseEvents} history events`);
    console.log(`load: ${connections} connections for ${seconds} s per target (autocannon), server in its own process`);
    console.log('');
    console.log('| target | median ms | p95 ms | p99 ms | requests/s | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.name} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.rps.toFixed(0)} | ${r.errors} |`);
    console.log('');
    console.log(`server resident memory after the run: ${rss.toFixed(0)} MB`);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
