/**
 * Times RemedyService.figures for a period on a seeded PostgreSQL (issue 9: the dashboard needs it
 * in 500 ms, the MRC pack and the annual report in 10 s):
 *
 *   npx tsx bench/remedy-figures.ts --database-url URL [--from 2025-04-01] [--to 2026-03-31] [--runs 5] [--reference] [--sequential]
 *
 * Prints, for each run, the wall time, this process's CPU (user + system) and its resident memory
 * at the end. --reference times the old in-memory fold (test/reports/remedy-figures-reference.ts)
 * instead, and checks both give the same figures.
 */
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import os from 'node:os';
import { openPostgres } from '../src/db/database.js';
import { buildServices } from '../src/services/index.js';
import { referenceFigures } from '../test/reports/remedy-figures-reference.js';

const { values } = parseArgs({
  options: {
    'database-url': { type: 'string' },
    from: { type: 'string', default: '2025-04-01' },
    to: { type: 'string', default: '2026-03-31' },
    runs: { type: 'string', default: '5' },
    reference: { type: 'boolean', default: false },
    sequential: { type: 'boolean', default: false },
  },
});
const url = values['database-url'];
if (!url) throw new Error('--database-url is required');
const h = openPostgres(url, 10);
// As the server runs them on PostgreSQL: side by side on a shared snapshot (--sequential: in turn on one connection).
const services = buildServices(h.db, undefined, { parallelReads: !values.sequential });
const today = services.remedies.today();
const from = values.from!;
const to = values.to!;
const run = () => (values.reference ? referenceFigures(h.db, today, from, to) : services.remedies.figures(from, to));

console.log(`${values.reference ? 'reference (in memory)' : 'SQL'} figures for ${from} to ${to}, today ${today}; load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
let last: unknown;
for (let i = 0; i < Number(values.runs); i++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  last = await run();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  console.log(`  run ${i + 1}: ${ms.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(1)} ms CPU, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`);
}
if (values.reference) {
  assert.deepEqual(await services.remedies.figures(from, to), last);
  console.log('  the SQL figures equal the reference');
}
console.log(JSON.stringify((last as { compensation: unknown }).compensation).slice(0, 400));
console.log(`load average ${os.loadavg().map((n) => n.toFixed(2)).join(' ')}`);
await h.close();
