/**
 * Bulk-load realistic data into PostgreSQL, fast (issue 9):
 *
 *   npm run seed -- --homes 4000000 --years 5 [--database-url URL] [--seed 1] [--workers 2] [--end YYYY-MM-DD]
 *
 * Residents (one household per home), service requests, complaints at about 39 per 1,000 homes a
 * year with ~15% escalated, their full lifecycle history as the engine writes it, remedies,
 * outstanding actions and letters. Into an empty database only (it is migrated first). Uses
 * DATABASE_URL when --database-url is not given. Staff sign in with the password printed.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { isValidLocalDate } from '../src/core/dates.js';
import { seed, todayEndMs } from '../src/seed/load.js';

const PASSWORD = 'putright-demo-password';
const USAGE = `Usage: npm run seed -- --homes N --years Y [--database-url URL] [--seed S] [--workers W] [--end YYYY-MM-DD] [--rate R]\n`;

function fail(m: string): never {
  process.stderr.write(`${m}\n\n${USAGE}`);
  process.exit(64);
}

const { values } = parseArgs({
  options: {
    homes: { type: 'string' },
    years: { type: 'string' },
    'database-url': { type: 'string' },
    seed: { type: 'string' },
    workers: { type: 'string' },
    end: { type: 'string' },
    rate: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
  strict: true,
});
if (values.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
const homes = Number((values.homes ?? '10000').replace(/[,_]/g, ''));
if (!Number.isInteger(homes) || homes < 100 || homes > 20_000_000) fail('--homes must be a whole number from 100 to 20000000.');
const years = Number(values.years ?? '1');
if (!(years > 0 && years <= 10)) fail('--years must be more than 0 and at most 10.');
const url = values['database-url'] ?? process.env.DATABASE_URL;
if (!url || !/^postgres(ql)?:\/\//.test(url)) fail('Give --database-url postgres://… or set DATABASE_URL: the seed loads PostgreSQL only (use npm run demo for the embedded database).');
if (values.end && !isValidLocalDate(values.end)) fail('--end must be a real date written YYYY-MM-DD.');
const workers = Number(values.workers ?? '2');
if (!Number.isInteger(workers) || workers < 1 || workers > 16) fail('--workers must be from 1 to 16.');
const rate = Number(values.rate ?? '39');
if (!(rate > 0 && rate <= 500)) fail('--rate must be complaints per 1,000 homes a year, more than 0.');

const fmt = (n: number) => n.toLocaleString('en-GB');
const started = Date.now();
const loadAtStart = os.loadavg()[0];
seed({ databaseUrl: url, homes, years, seed: Number(values.seed ?? '1'), endMs: todayEndMs(values.end), workers, password: PASSWORD, ratePerThousand: rate, log: (m) => console.log(m) })
  .then((r) => {
    console.log(`\nSeeded ${fmt(homes)} homes over ${years} year(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const [k, v] of Object.entries(r.rows)) console.log(`  ${k.padEnd(16)} ${fmt(v)}`);
    console.log('  timings:');
    for (const [k, v] of Object.entries(r.timings)) console.log(`    ${k.padEnd(26)} ${(v / 1000).toFixed(1)} s`);
    console.log(`  CPU: seed processes ${r.cpu.node.toFixed(0)} s, PostgreSQL ${r.cpu.postgres === null ? 'not measured (not local)' : `${r.cpu.postgres.toFixed(0)} s`}; load average at start ${loadAtStart.toFixed(1)}, now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    console.log(`\nStaff sign in as handler1@seed.putright.test (manager1@…, governance@…) with password "${PASSWORD}".`);
    process.exit(0);
  })
  .catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
