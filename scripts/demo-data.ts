/**
 * Fill the database with a realistic year (or more) of complaints for a landlord of a given size.
 *
 *   npm run demo -- [--homes 10000] [--years 1] [--seed 1] [--end YYYY-MM-DD] [--force]
 *
 * Uses the server's configuration (DATABASE_URL, or the embedded database in PUTRIGHT_DATA_DIR,
 * default ./data), migrates it, and refuses to add to a database that already has complaints
 * unless --force is given. Everything is created through the application services.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../src/config.js';
import { londonDateOf, isValidLocalDate } from '../src/core/dates.js';
import { DataDirectoryLocked, migrate, openEmbedded, openPostgres, type DatabaseHandle } from '../src/db/database.js';
import { generateDemo, type DemoResult } from '../src/demo/generate.js';

/** The password of every demo staff account (for exploring only: never use demo data in production). */
const DEMO_PASSWORD = 'putright-demo-password';

const USAGE = `Usage: npm run demo -- [options]

  --homes N          homes the landlord owns (default 10000)
  --years Y          years of history, ending on --end (default 1)
  --seed S           seed for the pseudo-random generator (default 1)
  --end YYYY-MM-DD   the simulated "today" (default: today in London)
  --force            add to a database that already has complaints
  --help             show this help
`;

function fail(message: string): never {
  process.stderr.write(`${message}\n\n${USAGE}`);
  process.exit(64);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        homes: { type: 'string' },
        years: { type: 'string' },
        seed: { type: 'string' },
        end: { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const homes = values.homes === undefined ? 10_000 : Number(values.homes.replace(/[,_]/g, ''));
  if (!Number.isInteger(homes) || homes < 100 || homes > 1_000_000) fail('--homes must be a whole number from 100 to 1000000.');
  const years = values.years === undefined ? 1 : Number(values.years);
  if (!(years > 0 && years <= 10)) fail('--years must be more than 0 and at most 10.');
  const seed = values.seed === undefined ? 1 : Number(values.seed);
  if (!Number.isInteger(seed)) fail('--seed must be a whole number.');
  const end = values.end ?? londonDateOf(new Date());
  if (!isValidLocalDate(end)) fail('--end must be a real date written YYYY-MM-DD.');
  return { homes, years, seed, end, force: values.force === true };
}

const fmt = (n: number) => n.toLocaleString('en-GB');
const pct = (n: number, of: number) => (of > 0 ? `${((100 * n) / of).toFixed(1)}%` : '-');
const STATUS_ORDER = ['awaiting_acknowledgement', 'investigating', 'responded', 'closed', 'refused', 'withdrawn'];
const LABEL: Record<string, string> = {
  awaiting_acknowledgement: 'awaiting acknowledgement',
  investigating: 'investigating',
  responded: 'responded',
  closed: 'closed',
  refused: 'refused',
  withdrawn: 'withdrawn',
};

function print(r: DemoResult, where: string, existing: number) {
  const s = r.summary;
  const c = s.complaints;
  const perYear = (n: number) => ((n / r.homes) * 1000) / r.years;
  const stageLine = (stage: 1 | 2) =>
    STATUS_ORDER.map((st) => [st, c.byStageStatus[`${stage}:${st}`] ?? 0] as const)
      .filter(([, n]) => n > 0)
      .map(([st, n]) => `${LABEL[st]} ${fmt(n)}`)
      .join(', ');
  const outcomes = (o: Record<string, number>) => {
    const total = Object.values(o).reduce((a, b) => a + b, 0);
    return ['upheld', 'partly_upheld', 'not_upheld'].map((k) => `${k.replace('_', ' ')} ${pct(o[k] ?? 0, total)}`).join(', ');
  };
  const roles = s.users;
  const lines = [
    '',
    `Demo data for a landlord of ${fmt(r.homes)} homes: ${r.start} to ${r.end} (${r.years} year${r.years === 1 ? '' : 's'}, seed ${r.seed}), in ${where}`,
    `  staff:        ${roles.manager ?? 0} complaints manager, ${roles.handler ?? 0} handlers, ${roles.staff ?? 0} other staff, ${roles.governance ?? 0} governance`,
    `                sign in as any of them with password "${DEMO_PASSWORD}", e.g. ${r.staff.find((x) => x.role === 'manager')?.email} (manager)`,
    `  residents:    ${fmt(s.residents)} households (${fmt(s.residentNeeds.vulnerability ?? 0)} vulnerabilities, ${fmt(s.residentNeeds.disability ?? 0)} disabilities, ${fmt(s.residentNeeds.adjustment ?? 0)} adjustments, ${fmt(s.contactRestrictions)} contact restrictions, ${fmt(s.representatives)} representatives)`,
    `  service requests: ${fmt(s.serviceRequests.open + s.serviceRequests.closed)} (${fmt(s.serviceRequests.open)} open, ${fmt(s.serviceRequests.closed)} closed; ${fmt(s.serviceRequests.withComplaint)} led to a complaint)`,
    `  complaints:   ${fmt(c.stage1)} at stage 1 (${perYear(c.stage1).toFixed(1)} per 1,000 homes a year), ${fmt(c.stage2)} escalated to stage 2 (${pct(c.stage2, c.stage1)})`,
    `    now at stage 1: ${stageLine(1)}`,
    `    now at stage 2: ${stageLine(2) || 'none'}`,
    `    extended: ${fmt(c.extended.stage1)} at stage 1, ${fmt(c.extended.stage2)} at stage 2; refused: ${fmt(c.refusedAcceptance)} not accepted, ${fmt(c.refusedEscalation)} escalation refused`,
    `    stage 1 outcomes: ${outcomes(c.outcomes.stage1)}`,
    `    stage 2 outcomes: ${outcomes(c.outcomes.stage2)}`,
    `    open and overdue on ${r.end}: ${fmt(c.openOverdue)}; linked pairs: ${fmt(c.linked)}; anonymous: ${fmt(c.anonymous)}`,
    `  records:      ${fmt(s.notes)} notes, ${fmt(s.correspondence)} letters and messages, ${fmt(s.history)} history entries`,
    `  took ${(r.elapsedMs / 1000).toFixed(1)} s`,
  ];
  if (existing > 0) lines.splice(2, 0, `  (the database already held ${fmt(existing)} complaints: the figures below are for the whole database)`);
  if (r.errors.length > 0) {
    lines.push(`  warning: the engine refused ${r.errors.length} step(s); the first:`);
    for (const e of r.errors.slice(0, 5)) lines.push(`    ${e}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main() {
  const args = parse();
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78);
    }
    throw err;
  }
  let handle: DatabaseHandle;
  let where: string;
  try {
    if (config.database.kind === 'postgres') {
      handle = openPostgres(config.database.url, 2);
      where = 'PostgreSQL (DATABASE_URL)';
    } else {
      handle = await openEmbedded(config.database.dataDir);
      where = `the embedded database in ${config.database.dataDir ?? 'memory'}`;
    }
  } catch (err) {
    if (err instanceof DataDirectoryLocked) {
      process.stderr.write(`${err.message}\n`);
      process.exit(75);
    }
    throw err;
  }
  let code = 0;
  try {
    await migrate(handle.db);
    const existing = await handle.db.selectFrom('complaints').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    if (Number(existing.n) > 0 && !args.force) {
      process.stderr.write(`The database already has ${Number(existing.n)} complaints. Use another database, or add --force to add demo data to it anyway.\n`);
      code = 1;
    } else {
      const result = await generateDemo(handle.db, {
        ...args,
        password: DEMO_PASSWORD,
        log: (m) => process.stdout.write(`${m}\n`),
      });
      print(result, where, Number(existing.n));
      if (result.errors.length > 0) code = 2;
    }
  } finally {
    // PGlite keeps the process alive until it is closed.
    await handle.close();
  }
  process.exit(code);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
