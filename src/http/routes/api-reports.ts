/**
 * /api/v1/reports: the regulator's measures (CH01, CH02, TP09) for a reporting year with the
 * complaints behind every figure, the dashboard's figures for a period, the MRC pack, and the
 * report settings (home counts per year, which CH02 figure is submitted, survey imports).
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DRILL_COLUMNS, figureSchema, reportSettingsSchema } from '../../services/reports.js';
import { sheetCsv, sheetsXlsx } from '../../services/spreadsheets.js';
import { mrcPackDocx, mrcPackPdf } from '../../services/report-documents.js';
import { EXPORT_SCHEMA, EXPORT_SCHEMA_VERSION, XLSX_MAX_ROWS } from '../../services/data-export.js';
import { localDate, uuid } from '../schemas.js';
import { formatCount } from '../../core/numbers.js';

const year = z
  .string()
  .regex(/^\d{4}$/, 'must be a year written YYYY, e.g. 2025')
  .transform(Number)
  .describe('The calendar year the reporting year starts in: 2025 for 1 April 2025 to 31 March 2026');
const period = z.object({ from: localDate, to: localDate }).strict();
const homes = z.number().int().min(0).max(10_000_000).nullable();

function fileHeaders(reply: FastifyReply, contentType: string, filename: string) {
  return reply
    .header('content-type', contentType)
    .header('content-disposition', `attachment; filename="${filename.replace(/[^\w.\- ]/g, '_')}"`)
    .header('x-content-type-options', 'nosniff')
    .header('cache-control', 'no-store');
}

export function sendFile(reply: FastifyReply, body: Buffer | string, contentType: string, filename: string) {
  return fileHeaders(reply, contentType, filename).send(body);
}

/**
 * Send a download made as it is read (the data export). Nothing is read for a HEAD request. A
 * failure before the first bytes is answered as any error is (503 when the database is away); one
 * part-way cuts the download off (the client sees it incomplete) and is logged, and the process
 * goes on. A client that goes away stops the export (Fastify destroys the stream).
 */
export async function sendStream(req: FastifyRequest, reply: FastifyReply, open: () => Promise<Readable>, contentType: string, filename: string) {
  if (req.method === 'HEAD') return fileHeaders(reply, contentType, filename).send();
  // Opened before the download's headers are set, so a refusal is answered as itself, not as a file.
  const stream = await open();
  fileHeaders(reply, contentType, filename);
  const started = Date.now();
  let bytes = 0;
  stream.on('data', (c: Buffer) => {
    bytes += c.length;
  });
  stream.once('error', (err) =>
    req.log.error({ err, file: filename, bytes, ms: Date.now() - started }, bytes ? 'data export failed part-way: the download was cut off' : 'data export failed before its first byte'),
  );
  stream.once('end', () => req.log.info({ file: filename, bytes, ms: Date.now() - started }, 'data export sent'));
  return reply.send(stream);
}

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const reportsApi: FastifyPluginAsyncZod = async (app) => {
  const reports = app.services.reports;

  app.get(
    '/reports/tsm',
    {
      config: { access: 'reports:read' },
      schema: {
        tags: ['reports'],
        summary: 'CH01, CH02 (both figures and open complaints past their date) and TP09 for a reporting year; `ids=true` adds the complaint ids behind every figure',
        querystring: z.object({ year, ids: z.enum(['true', 'false']).optional() }).strict(),
      },
    },
    async (req) => reports.tsmJson(req.actor!, req.query.year, req.query.ids === 'true'),
  );

  const drillQuery = figureSchema.extend({ year }).strict();
  app.get(
    '/reports/tsm/complaints',
    {
      config: { access: 'reports:read' },
      schema: { tags: ['reports'], summary: 'The complaints behind one figure of the measures, with the dates that put them there', querystring: drillQuery },
    },
    async (req) => {
      const { year: y, ...figure } = req.query;
      return reports.drill(req.actor!, y, figure);
    },
  );

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(
      `/reports/tsm/complaints.${format}`,
      {
        config: { access: 'reports:read' },
        schema: { tags: ['reports'], summary: `The complaints behind one figure, as ${format.toUpperCase()}`, querystring: drillQuery },
      },
      async (req, reply) => {
        const { year: y, ...figure } = req.query;
        const d = await reports.drill(req.actor!, y, figure);
        const sheet = { name: 'Complaints', columns: DRILL_COLUMNS.map((c) => ({ key: c.key, label: c.label })), rows: d.items as unknown as Record<string, unknown>[] };
        const name = `${figure.measure}-stage${figure.stage}-${figure.tenure}-${figure.line}-${d.year.label.replace('/', '-')}`;
        if (format === 'csv') return sendFile(reply, sheetCsv(sheet), 'text/csv; charset=utf-8', `${name}.csv`);
        const settings = await app.services.settings.get();
        return sendFile(reply, await sheetsXlsx([sheet], { title: `${figure.measure.toUpperCase()} ${d.label} ${d.year.label} (${d.measuresVersion})`, creator: settings.landlord.name }), XLSX_TYPE, `${name}.xlsx`);
      },
    );
  }

  app.get(
    '/reports/settings',
    { config: { access: 'reports:read' }, schema: { tags: ['reports'], summary: 'Report settings: the CH02 figure submitted, the tenure of anonymous complaints, homes per reporting year, survey imports' } },
    async () => ({ settings: await reports.reportSettings(), homeCounts: await reports.homeCounts(), surveyImports: await reports.surveyImports() }),
  );

  app.put(
    '/reports/settings',
    {
      config: { access: 'reports:manage' },
      schema: { tags: ['reports'], summary: 'Choose which CH02 figure is submitted and the tenure of complaints with no resident', body: reportSettingsSchema.partial().strict() },
    },
    async (req) => reports.updateReportSettings(req.actor!, req.body),
  );

  app.put(
    '/reports/homes/:year',
    {
      config: { access: 'reports:manage' },
      schema: {
        tags: ['reports'],
        summary: 'Homes owned at the end of a reporting year, by tenure (the divisor of CH01)',
        params: z.object({ year }).strict(),
        body: z.object({ LCRA: homes, LCHO: homes }).strict(),
      },
    },
    async (req) => reports.setHomeCounts(req.actor!, req.params.year, req.body),
  );

  app.post(
    '/reports/surveys',
    {
      config: { access: 'reports:manage' },
      schema: {
        tags: ['reports'],
        summary: 'Import tenant survey answers for TP09 (CSV with the header respondent_ref,surveyed_on,tenure,complained_last_12_months,complaints_handling_satisfaction); any bad row refuses the file with each row’s error',
        body: z.object({ csv: z.string().min(1).max(20_000_000), source: z.string().max(200).optional() }).strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await reports.importSurvey(req.actor!, req.body.csv, req.body.source ?? 'survey.csv')),
  );

  app.delete(
    '/reports/surveys/:id',
    { config: { access: 'reports:manage' }, schema: { tags: ['reports'], summary: 'Remove an imported survey file and its answers', params: z.object({ id: uuid }).strict() } },
    async (req) => reports.deleteSurveyImport(req.actor!, req.params.id),
  );

  app.get(
    '/reports/dashboard',
    {
      config: { access: 'reports:read' },
      schema: {
        tags: ['reports'],
        summary: 'The dashboard’s figures for a period: volumes by stage, channel, service area, category and month; outcomes; timeliness; extensions; escalation; refusals by ground; remedies and compensation; actions overdue',
        querystring: period,
      },
    },
    async (req) => {
      const d = await reports.dashboardFor(req.actor!, req.query.from, req.query.to);
      return JSON.parse(JSON.stringify(d, (k, v) => (k === 'ids' ? undefined : v)));
    },
  );

  for (const format of ['docx', 'pdf'] as const) {
    app.get(
      `/reports/mrc-pack.${format}`,
      {
        config: { access: 'reports:read' },
        schema: { tags: ['reports'], summary: `The pack for the Member Responsible for Complaints and the governing body (Code 9.6, 9.7) for a period, as ${format === 'docx' ? 'a Word document' : 'a PDF'}`, querystring: period },
      },
      async (req, reply) => {
        const pack = await reports.mrcPack(req.actor!, req.query.from, req.query.to);
        const name = `mrc-pack-${req.query.from}-to-${req.query.to}.${format}`;
        if (format === 'docx') return sendFile(reply, await mrcPackDocx(pack), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name);
        return sendFile(reply, await mrcPackPdf(pack), 'application/pdf', name);
      },
    );
  }

  // ------------------------------------------------------------------ export of all complaint data

  app.get(
    '/exports/schema',
    { config: { access: 'data:export' }, schema: { tags: ['exports'], summary: 'The export’s tables and columns, with what each holds' } },
    async () => ({ schemaVersion: EXPORT_SCHEMA_VERSION, tables: EXPORT_SCHEMA }),
  );
  const stamp = () => new Date().toISOString().slice(0, 10);
  app.get(
    '/exports/complaint-data.xlsx',
    {
      config: { access: 'data:export' },
      schema: {
        tags: ['exports'],
        summary: `All complaint data as one XLSX workbook, a sheet per table (see /exports/schema), for smaller data sets: refused (422, too_large_for_workbook) when any table has more than ${formatCount(XLSX_MAX_ROWS)} rows; the ZIP of CSV files holds any size`,
      },
    },
    async (req, reply) => {
      const settings = await app.services.settings.get();
      return sendStream(req, reply, () => app.services.dataExport.xlsx(req.actor!, settings.landlord.name), XLSX_TYPE, `complaint-data-${stamp()}.xlsx`);
    },
  );
  app.get(
    '/exports/complaint-data.zip',
    { config: { access: 'data:export' }, schema: { tags: ['exports'], summary: 'All complaint data as a ZIP of CSV files, one per table, with README.txt describing every column; streamed as it is read, whatever the size' } },
    async (req, reply) => sendStream(req, reply, () => app.services.dataExport.csvZip(req.actor!), 'application/zip', `complaint-data-${stamp()}.zip`),
  );
  app.get(
    '/exports/complaints.csv',
    { config: { access: 'data:export' }, schema: { tags: ['exports'], summary: 'The complaints table alone, as CSV; streamed' } },
    async (req, reply) => sendStream(req, reply, () => app.services.dataExport.complaintsCsv(req.actor!), 'text/csv; charset=utf-8', `complaints-${stamp()}.csv`),
  );
};

export default reportsApi;
