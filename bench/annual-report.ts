/**
 * `npx tsx bench/annual-report.ts [--homes N] [--seed S] [--dir D]`: time the annual complaints
 * report and the self-assessment for the demo landlord's latest reporting year, end to end through
 * the services (gathering the record, projecting every case, building the report) and the
 * Word, PDF and spreadsheet renderers. Uses the bench's data directory (generating it if absent).
 */
import path from 'node:path';
import { migrate, openEmbedded } from '../src/db/database.js';
import { generateDemo } from '../src/demo/generate.js';
import { londonDateOf } from '../src/core/dates.js';
import { buildServices } from '../src/services/index.js';
import { SYSTEM_ACTOR } from '../src/services/actor.js';
import { annualReportDocx, annualReportPdf } from '../src/services/annual-report-documents.js';
import { assessmentDocx, assessmentXlsx } from '../src/services/self-assessment-documents.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
};
const homes = Number(arg('homes', '10000'));
const seed = Number(arg('seed', '1'));
const dir = path.resolve(arg('dir', path.join('.tmp', `bench-${homes}-${seed}`)));

const h = await openEmbedded(dir);
try {
  await migrate(h.db);
  const n = await h.db.selectFrom('complaints').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  if (Number(n.n) === 0) await generateDemo(h.db, { homes, years: 1, seed, end: londonDateOf(new Date()) });
  const latest = await h.db.selectFrom('complaints').select((eb) => eb.fn.max('received_on').as('d')).executeTakeFirstOrThrow();
  const end = String(latest.d);
  // The reporting year (1 April to 31 March) holding the latest complaint.
  const startYear = end.slice(5) >= '04-01' ? Number(end.slice(0, 4)) : Number(end.slice(0, 4)) - 1;
  const s = buildServices(h.db, () => new Date(`${end}T12:00:00Z`));
  const actor = { ...SYSTEM_ACTOR };
  const counts = await h.db.selectFrom('history').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  console.log(`${homes} homes, seed ${seed}: ${n.n} complaints, ${counts.n} history entries; reporting year from April ${startYear}`);
  const time = async <T>(label: string, f: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const r = await f();
    console.log(`  ${label}: ${(performance.now() - t).toFixed(0)} ms`);
    return r;
  };
  const from = `${startYear}-04-01`;
  const to = `${startYear + 1}-03-31`;
  await time('evidence for the year, first run (cold)', () => s.evidence.forPeriod(from, to));
  await time('evidence for the year, again', () => s.evidence.forPeriod(from, to));
  const total = performance.now();
  const sa = await time('self-assessment started (evidence for 72 provisions)', () => s.selfAssessments.start(actor, { periodFrom: from, periodTo: to, reason: 'annual', startFrom: 'blank' }));
  await time('self-assessment as Word', () => assessmentDocx(sa, 'Demo'));
  await time('self-assessment as a spreadsheet', () => assessmentXlsx(sa, 'Demo'));
  const existing = await h.db.selectFrom('annual_reports').select('id').where('year_start', '=', from).executeTakeFirst();
  const report = existing ?? (await s.annualReports.create(actor, { startYear, selfAssessmentId: sa.id }));
  const model = await time('annual report built (figures from the record)', () => s.annualReports.model(actor, report.id));
  await time('annual report as Word', () => annualReportDocx(model));
  const pdf = await time('annual report as PDF', () => annualReportPdf(model));
  console.log(`  total: ${(performance.now() - total).toFixed(0)} ms (PDF ${Math.round(pdf.length / 1024)} KB)`);
} finally {
  await h.close();
}
