/**
 * Bulk seed: realistic data for a landlord (or a shared service) of any size, straight into
 * PostgreSQL with COPY. Staff are inserted first; then the constraints and secondary indexes of the
 * tables being filled are set aside, worker processes stream residents, service requests,
 * complaints, history, remedies, actions and letters in parallel, and the indexes and constraints
 * are rebuilt (in parallel) and the tables analysed. Only into a database with no complaints.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import argon2 from 'argon2';
import { sql } from 'kysely';
import pg from 'pg';
import { SettingsService } from '../services/settings.js';
import { ReminderService } from '../services/reminders.js';
import { FACTS_CALENDAR_KEY, factsCalendarKey } from '../services/stage-facts.js';
import { migrate, openPostgres } from '../db/database.js';
import { rebuildStageDayCounts } from '../services/stage-day-counts.js';
import { londonDateOf } from '../core/dates.js';
import type { ShardSpec } from './model.js';

export interface SeedOptions {
  databaseUrl: string;
  homes: number;
  years: number;
  seed: number;
  /** The simulated "today", an instant; complaints are received in the years before it. */
  endMs: number;
  workers: number;
  password: string;
  /** Complaints per 1,000 homes a year at stage 1 (the sector's figure is about 39). */
  ratePerThousand: number;
  log: (m: string) => void;
  /** Run after the core load, for other record types (Ombudsman cases, learning): gets the pool. */
  extensions?: SeedExtension[];
}

/** A hook for record types seeded by other parts of the product; run once the complaints are in. */
export type SeedExtension = (ctx: { pool: pg.Pool; opts: SeedOptions; log: (m: string) => void }) => Promise<void>;

const LOADED = ['residents', 'resident_needs', 'service_requests', 'complaints', 'history', 'remedies', 'actions', 'letters', 'complaint_stage_facts', 'complaint_extension_facts', 'complaint_case_summaries', 'complaint_letter_inputs'];
/** Tables whose triggers keep derived tables (rebuilt once after the load instead). */
const TRIGGERED = ['complaint_stage_facts', 'history', 'letters', 'remedies', 'actions'];

export interface SeedResult {
  rows: Record<string, number>;
  timings: Record<string, number>;
  totalMs: number;
  /** CPU seconds used by the seed's own processes and, when the server is local, by PostgreSQL. */
  cpu: { node: number; postgres: number | null };
}

const TICKS = 100; // USER_HZ on Linux
export function statTimes(pid: number | string): { self: number; children: number; ppid: number } | null {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17; ppid is 4.
    return { self: (Number(rest[11]) + Number(rest[12])) / TICKS, children: (Number(rest[13]) + Number(rest[14])) / TICKS, ppid: Number(rest[1]) };
  } catch {
    return null;
  }
}

/** CPU seconds of a local PostgreSQL: the postmaster, its live children and the children that have exited. */
export function postgresCpu(postmaster: number | null): number | null {
  if (!postmaster) return null;
  const pm = statTimes(postmaster);
  if (!pm) return null;
  let total = pm.self + pm.children;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const t = statTimes(d);
    if (t && t.ppid === postmaster) total += t.self;
  }
  return total;
}

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.ts');

export async function seed(opts: SeedOptions): Promise<SeedResult> {
  const t0 = Date.now();
  const timings: Record<string, number> = {};
  const mark = (name: string, since: number) => (timings[name] = Date.now() - since);
  const handle = openPostgres(opts.databaseUrl, 3);
  const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 3 });
  try {
    const { rows: me } = await pool.query<{ pid: number }>('select pg_backend_pid() as pid');
    const postmaster = statTimes(me[0].pid)?.ppid ?? null;
    const pgCpu0 = postgresCpu(postmaster);
    let t = Date.now();
    await migrate(handle.db);
    const existing = await handle.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    if (Number(existing.n) > 0) throw new Error(`The database already has ${existing.n} complaints: seed into an empty database.`);
    // The stored measures' facts are folded with the default calendar (the workers use it).
    const { calendar } = await new SettingsService(handle.db).load();
    await handle.db
      .insertInto('settings')
      .values({ key: FACTS_CALENDAR_KEY, value: JSON.stringify(factsCalendarKey(calendar)) })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(factsCalendarKey(calendar)) }))
      .execute();
    mark('migrate', t);

    // Staff: about one handler for every 8,000 homes (a caseload of 30–40 open complaints).
    t = Date.now();
    const hash = await argon2.hash(opts.password, { type: argon2.argon2id });
    const nHandlers = Math.max(3, Math.round(opts.homes / 8000));
    const nManagers = Math.max(1, Math.round(nHandlers / 10));
    const nStaff = Math.max(2, Math.round(nHandlers / 2));
    const staffRows: { email: string; name: string; role: string; team: string }[] = [];
    const team = (i: number) => `Complaints team ${1 + (i % Math.max(1, nManagers))}`;
    for (let i = 0; i < nManagers; i++) staffRows.push({ email: `manager${i + 1}@seed.putright.test`, name: `Manager ${i + 1}`, role: 'manager', team: team(i) });
    for (let i = 0; i < nHandlers; i++) staffRows.push({ email: `handler${i + 1}@seed.putright.test`, name: `Handler ${i + 1}`, role: 'handler', team: team(i) });
    for (let i = 0; i < nStaff; i++) staffRows.push({ email: `staff${i + 1}@seed.putright.test`, name: `Customer services ${i + 1}`, role: 'staff', team: 'Customer services' });
    staffRows.push({ email: 'governance@seed.putright.test', name: 'Board member for complaints', role: 'governance', team: 'Board' });
    const staff: ShardSpec['staff'] = [];
    for (let i = 0; i < staffRows.length; i += 500) {
      const chunk = staffRows.slice(i, i + 500).map((s) => ({ ...s, password_hash: hash }));
      const rows = await handle.db.insertInto('users').values(chunk).returning(['id', 'name', 'role', 'team']).execute();
      staff.push(...rows);
    }
    mark('staff', t);

    // Set aside the constraints and indexes of the tables being filled (and foreign keys into them).
    t = Date.now();
    const { rows: cons } = await pool.query<{ table: string; name: string; def: string; type: string }>(
      `select c.conrelid::regclass::text as table, c.conname as name, pg_get_constraintdef(c.oid) as def, c.contype as type
         from pg_constraint c
        where c.contype in ('p', 'u', 'f')
          and (c.conrelid::regclass::text = any($1) or (c.contype = 'f' and c.confrelid::regclass::text = any($1)))`,
      [LOADED],
    );
    const { rows: idx } = await pool.query<{ name: string; def: string }>(
      `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as def
         from pg_index i
        where i.indrelid::regclass::text = any($1)
          and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid and c.contype in ('p', 'u'))`,
      [LOADED],
    );
    const fks = cons.filter((c) => c.type === 'f');
    const keys = cons.filter((c) => c.type !== 'f');
    for (const c of fks) await pool.query(`alter table ${c.table} drop constraint ${c.name}`);
    for (const c of keys) await pool.query(`alter table ${c.table} drop constraint ${c.name}`);
    for (const i of idx) await pool.query(`drop index ${i.name}`);
    // The measures' day counts and the letters-due inputs are made once after the load, not row by
    // row during it (the history's append-only guard is off with them: the load only inserts).
    for (const table of TRIGGERED) await pool.query(`alter table ${table} disable trigger user`);
    mark('drop indexes', t);

    // Stream the data from worker processes.
    t = Date.now();
    const startMs = opts.endMs - Math.round(opts.years * 365.25 * 86_400_000);
    const total = Math.round((opts.homes / 1000) * opts.ratePerThousand * opts.years);
    const W = Math.max(1, opts.workers);
    const specs: ShardSpec[] = Array.from({ length: W }, (_, w) => ({
      worker: w,
      databaseUrl: opts.databaseUrl,
      seed: opts.seed,
      homes: opts.homes,
      homeFrom: Math.floor((w * opts.homes) / W),
      homeTo: Math.floor(((w + 1) * opts.homes) / W),
      complaintFrom: Math.floor((w * total) / W),
      complaintTo: Math.floor(((w + 1) * total) / W),
      sliceStartMs: startMs + Math.floor(((opts.endMs - startMs) * w) / W),
      sliceEndMs: startMs + Math.floor(((opts.endMs - startMs) * (w + 1)) / W),
      startMs,
      endMs: opts.endMs,
      landlordName: 'Example Housing Association',
      staff,
    }));
    const rows: Record<string, number> = { users: staff.length };
    const children: ReturnType<typeof fork>[] = [];
    await Promise.all(
      specs.map(
        (spec) =>
          new Promise<void>((resolve, reject) => {
            const child = fork(WORKER, [JSON.stringify(spec)], { execArgv: ['--import', 'tsx', ...(process.env.PUTRIGHT_SEED_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PUTRIGHT_SEED_PROFILE}`] : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
            children.push(child);
            child.on('message', (m: any) => {
              if (m.progress) opts.log(`  worker ${spec.worker}: ${m.progress.toLocaleString('en-GB')} of ${(spec.complaintTo - spec.complaintFrom).toLocaleString('en-GB')} complaints`);
              if (m.done) for (const [k, v] of Object.entries(m.rows as Record<string, number>)) rows[k] = (rows[k] ?? 0) + v;
            });
            child.on('exit', (code) => {
              if (code === 0) return resolve();
              for (const other of children) if (other !== child && other.exitCode === null) other.kill('SIGTERM');
              reject(new Error(`seed worker ${spec.worker} failed (exit ${code}); the database is left part-loaded without its indexes: drop it and seed a fresh one`));
            });
          }),
      ),
    );
    mark('load', t);
    // The letters-due inputs, while that table has no keys (they are rebuilt with the others).
    t = Date.now();
    await pool.query('select rebuild_complaint_letter_inputs()');
    mark('letters-due inputs', t);

    // Rebuild: keys first (foreign keys need them), then the indexes, two at a time.
    t = Date.now();
    const parallel = async (stmts: string[], n: number) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: n }, async () => {
          const client = await pool.connect();
          try {
            await client.query(`set maintenance_work_mem = '512MB'`);
            while (next < stmts.length) await client.query(stmts[next++]);
          } finally {
            client.release();
          }
        }),
      );
    };
    await parallel(keys.map((c) => `alter table ${c.table} add constraint ${c.name} ${c.def}`), 2);
    await parallel(idx.map((i) => i.def), 2);
    mark('rebuild keys and indexes', t);
    t = Date.now();
    await parallel(fks.map((c) => `alter table ${c.table} add constraint ${c.name} ${c.def}`), 2);
    mark('rebuild foreign keys', t);
    t = Date.now();
    await rebuildStageDayCounts(handle.db);
    for (const table of TRIGGERED) await pool.query(`alter table ${table} enable trigger user`);
    mark('day counts', t);

    t = Date.now();
    await sql`select setval('complaint_ref_seq', ${total}::bigint)`.execute(handle.db);
    await sql`select setval('resident_ref_seq', ${opts.homes}::bigint)`.execute(handle.db);
    await sql`select setval('service_request_ref_seq', ${Math.max(1, total * 2 + 10)}::bigint)`.execute(handle.db);
    for (const ext of opts.extensions ?? []) await ext({ pool, opts, log: opts.log });
    mark('sequences', t);
    // A running service has already reminded its staff of what fell due before today: record
    // those reminders as sent (with no email), so the first sweep of a server on seeded data sends
    // only what is new, as in steady state, rather than every reminder of five years at once.
    t = Date.now();
    rows.remindersSent = 0;
    const reminders = new ReminderService(handle.db, () => new Date(), { instance: 'seed' });
    for await (const batch of reminders.batches({ unsentOnly: false, size: 5000 })) {
      await handle.db
        .insertInto('reminders_sent')
        .values(batch.map((c) => ({ subject: c.subject, subject_id: c.subjectId, kind: c.kind, due_on: c.dueOn, complaint_id: c.complaintId, recipient_user_ids: JSON.stringify(c.recipients), message: c.text, instance: 'seed' })))
        .onConflict((oc) => oc.columns(['subject', 'subject_id', 'kind', 'due_on']).doNothing())
        .execute();
      rows.remindersSent += batch.length;
    }
    mark('reminders already sent', t);
    t = Date.now();
    await parallel(LOADED.concat('users', 'reminders_sent', 'complaint_stage_day_totals').map((tbl) => `analyze ${tbl}`), 2);
    mark('analyse', t);
    const pgCpu1 = postgresCpu(postmaster);
    const own = statTimes('self');
    const nodeCpu = (own ? own.children : 0) + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    return { rows, timings, totalMs: Date.now() - t0, cpu: { node: nodeCpu, postgres: pgCpu0 !== null && pgCpu1 !== null ? pgCpu1 - pgCpu0 : null } };
  } finally {
    await pool.end();
    await handle.close();
  }
}

export function todayEndMs(end?: string): number {
  return end ? Date.parse(`${end}T17:00:00Z`) : Date.now();
}

export { londonDateOf };
