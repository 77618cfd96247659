/**
 * /api/v1 self-assessments against the Code (8.3), the annual complaints performance and service
 * improvement report (8.1, 8.2) and exceptional circumstances notices (8.5), so that a landlord's
 * own tools can read them, with Word, PDF and spreadsheet exports.
 */
import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { CODE_PROVISIONS } from '../../core/code-provisions.js';
import { COMPLY_VALUES } from '../../core/self-assessment.js';
import { annualReportDocx, annualReportPdf } from '../../services/annual-report-documents.js';
import { FILE_KINDS, REPORT_TEXT_FIELDS } from '../../services/annual-reports.js';
import { assessmentDocx, assessmentXlsx, tableFrom } from '../../services/self-assessment-documents.js';
import { ASSESSMENT_REASONS } from '../../services/self-assessments.js';
import { idParams, localDate, optionalText, text, uuid, version } from '../schemas.js';

const provisionId = z.enum(CODE_PROVISIONS.map((p) => p.id) as [string, ...string[]]);
const actionSchema = z.object({ text: text(2_000), dueOn: localDate.nullable() }).strict();
const base64 = z.string().min(1).max(14_500_000).regex(/^[A-Za-z0-9+/=\s]+$/, 'must be base64');
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const safeName = (s: string) => s.replace(/[^\w.\- ]/g, '_');

const selfAssessmentsApi: FastifyPluginAsyncZod = async (app) => {
  const { selfAssessments, annualReports, exceptionalNotices, settings } = app.services;
  const tags = ['self-assessment'];

  app.get('/self-assessments', { config: { access: 'self-assessments:read' }, schema: { tags, summary: 'Self-assessments against the Complaint Handling Code, newest first' } }, async (req) => ({
    items: await selfAssessments.list(req.actor!),
  }));

  app.post(
    '/self-assessments',
    {
      config: { access: 'self-assessments:write' },
      schema: {
        tags,
        summary: 'Start a self-assessment at any time (Code 8.3): pre-filled from the last one’s answers, with the evidence from the record for the period',
        body: z
          .object({
            periodFrom: localDate,
            periodTo: localDate,
            reason: z.enum(ASSESSMENT_REASONS),
            title: optionalText(300),
            ombudsmanCaseRef: optionalText(100).describe('The Ombudsman case that led to it (Code 8.4)'),
            startFrom: z.union([z.literal('last'), z.literal('blank'), uuid]).optional().describe('last (the default), blank, or the id of an earlier self-assessment'),
          })
          .strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await selfAssessments.start(req.actor!, req.body as any)),
  );

  app.get('/self-assessments/:id', { config: { access: 'self-assessments:read' }, schema: { tags, summary: 'A self-assessment: all 72 provisions by section, with answers, evidence, flags and actions', params: idParams } }, async (req) =>
    selfAssessments.get(req.actor!, req.params.id),
  );

  app.patch(
    '/self-assessments/:id',
    {
      config: { access: 'self-assessments:write' },
      schema: {
        tags,
        summary: 'Change answers: comply, evidence, commentary and actions with dates, for any provisions; each change is kept in the history',
        params: idParams,
        body: z
          .object({
            version,
            rows: z
              .array(
                z
                  .object({
                    provisionId,
                    comply: z.enum(COMPLY_VALUES).nullable().optional(),
                    evidence: z.string().max(20_000).optional(),
                    commentary: z.string().max(20_000).optional(),
                    actions: z.array(actionSchema).max(20).optional(),
                  })
                  .strict(),
              )
              .min(1)
              .max(72),
          })
          .strict(),
      },
    },
    async (req) => selfAssessments.update(req.actor!, req.params.id, req.body.version, req.body.rows as any),
  );

  app.post(
    '/self-assessments/:id/import',
    {
      config: { access: 'self-assessments:write' },
      bodyLimit: 15 * 1024 * 1024,
      schema: {
        tags,
        summary: 'Import an existing self-assessment: a pasted table (tab-separated text) or a .docx, .xlsx or .csv file sent as base64. Returns what it placed and what it could not',
        params: idParams,
        body: z
          .object({ version, text: z.string().min(1).max(2_000_000).optional(), filename: z.string().min(1).max(200).optional(), contentBase64: base64.optional() })
          .strict()
          .refine((b) => !!b.text !== !!b.contentBase64, { message: 'give either text or contentBase64 (with filename)', path: ['text'] }),
      },
    },
    async (req) => {
      const b = req.body;
      const { table, source } = await tableFrom({ text: b.text ?? null, filename: b.filename ?? null, data: b.contentBase64 ? Buffer.from(b.contentBase64, 'base64') : null });
      return selfAssessments.importTable(req.actor!, req.params.id, b.version, table, source);
    },
  );

  app.post(
    '/self-assessments/:id/refresh-evidence',
    { config: { access: 'self-assessments:write' }, schema: { tags, summary: 'Recompute the evidence and flags from the record for the period', params: idParams, body: z.object({ version }).strict() } },
    async (req) => selfAssessments.refreshEvidence(req.actor!, req.params.id, req.body.version),
  );

  app.post(
    '/self-assessments/:id/complete',
    { config: { access: 'self-assessments:write' }, schema: { tags, summary: 'Mark it complete (every provision answered yes or no)', params: idParams, body: z.object({ version }).strict() } },
    async (req) => selfAssessments.complete(req.actor!, req.params.id, req.body.version),
  );

  app.get('/self-assessments/:id/history', { config: { access: 'self-assessments:read' }, schema: { tags, summary: 'Who changed what, and when', params: idParams } }, async (req) => ({
    items: await selfAssessments.history(req.actor!, req.params.id),
  }));

  app.get('/self-assessments/:id/docx', { config: { access: 'self-assessments:read' }, schema: { tags, summary: 'The self-assessment as Word, in the Ombudsman’s form layout', params: idParams } }, async (req, reply) => {
    const a = await selfAssessments.get(req.actor!, req.params.id);
    const s = await settings.get();
    return reply.header('content-type', DOCX).header('content-disposition', `attachment; filename="${safeName(`self-assessment-${a.periodFrom}-to-${a.periodTo}.docx`)}"`).send(await assessmentDocx(a, s.landlord.name));
  });

  app.get('/self-assessments/:id/xlsx', { config: { access: 'self-assessments:read' }, schema: { tags, summary: 'The self-assessment as a spreadsheet', params: idParams } }, async (req, reply) => {
    const a = await selfAssessments.get(req.actor!, req.params.id);
    const s = await settings.get();
    return reply.header('content-type', XLSX).header('content-disposition', `attachment; filename="${safeName(`self-assessment-${a.periodFrom}-to-${a.periodTo}.xlsx`)}"`).send(await assessmentXlsx(a, s.landlord.name));
  });

  // ------------------------------------------------------------------ annual reports

  const rtags = ['annual report'];
  const textPatch = z.object(Object.fromEntries(Object.keys(REPORT_TEXT_FIELDS).map((k) => [k, z.string().max(50_000).optional()])) as Record<keyof typeof REPORT_TEXT_FIELDS, z.ZodOptional<z.ZodString>>).strict();

  app.get('/annual-reports', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'Annual complaints performance and service improvement reports' } }, async (req) => ({ items: await annualReports.list(req.actor!) }));

  app.post(
    '/annual-reports',
    {
      config: { access: 'annual-reports:write' },
      schema: {
        tags: rtags,
        summary: 'Start the report for a reporting year (1 April to 31 March); it links the latest self-assessment ending in the year unless one is given',
        body: z.object({ startYear: z.number().int().min(2020).max(2100), selfAssessmentId: uuid.nullish() }).strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await annualReports.create(req.actor!, req.body)),
  );

  app.get('/annual-reports/:id', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'The report’s text, linked self-assessment, files and publication', params: idParams } }, async (req) => annualReports.get(req.actor!, req.params.id));

  app.patch(
    '/annual-reports/:id',
    {
      config: { access: 'annual-reports:write' },
      schema: {
        tags: rtags,
        summary: 'Change the text, the linked self-assessment, or record the governing body’s response (Code 8.2)',
        params: idParams,
        body: z.object({ version, selfAssessmentId: uuid.nullish(), governingBodyResponseOn: localDate.nullish(), text: textPatch.optional() }).strict(),
      },
    },
    async (req) => annualReports.update(req.actor!, req.params.id, req.body.version, req.body as any),
  );

  app.get('/annual-reports/:id/content', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'The whole report as data: every section (8.1 (a) to (f) and 8.2) with its paragraphs and tables, figures from the record', params: idParams } }, async (req) =>
    annualReports.model(req.actor!, req.params.id),
  );

  app.get('/annual-reports/:id/docx', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'The report as Word', params: idParams } }, async (req, reply) => {
    const m = await annualReports.model(req.actor!, req.params.id);
    return reply.header('content-type', DOCX).header('content-disposition', `attachment; filename="${safeName(`annual-complaints-report-${m.yearLabel.replace(/ to /, '-')}.docx`)}"`).send(await annualReportDocx(m));
  });

  app.get('/annual-reports/:id/pdf', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'The report as PDF', params: idParams } }, async (req, reply) => {
    const m = await annualReports.model(req.actor!, req.params.id);
    const s = await settings.get();
    return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${safeName(`annual-complaints-report-${m.yearLabel.replace(/ to /, '-')}.pdf`)}"`).send(await annualReportPdf(m, s.landlord.primaryColour));
  });

  app.post(
    '/annual-reports/:id/files',
    {
      config: { access: 'annual-reports:write' },
      bodyLimit: 15 * 1024 * 1024,
      schema: {
        tags: rtags,
        summary: 'Upload the Ombudsman’s annual report on the landlord, or another report (PDF, Word, spreadsheet, CSV or text, up to 10 MB), as base64',
        params: idParams,
        body: z.object({ kind: z.enum(FILE_KINDS), filename: text(200), contentBase64: base64, description: optionalText(1_000) }).strict(),
      },
    },
    async (req, reply) => reply.status(201).send(await annualReports.addFile(req.actor!, req.params.id, { kind: req.body.kind, filename: req.body.filename, data: Buffer.from(req.body.contentBase64, 'base64'), description: req.body.description })),
  );

  app.get('/annual-reports/:id/files/:fileId', { config: { access: 'annual-reports:read' }, schema: { tags: rtags, summary: 'Download an uploaded report', params: z.object({ id: uuid, fileId: uuid }) } }, async (req, reply) => {
    const f = await annualReports.fileContent(req.actor!, req.params.id, req.params.fileId);
    return reply.header('content-type', f.contentType).header('content-disposition', `attachment; filename="${safeName(f.filename)}"`).header('x-content-type-options', 'nosniff').send(f.data);
  });

  app.post(
    '/annual-reports/:id/publish',
    { config: { access: 'annual-reports:publish' }, schema: { tags: rtags, summary: 'Publish the report with the governing body’s response on the public site (Code 8.2)', params: idParams, body: z.object({ version }).strict() } },
    async (req) => annualReports.publish(req.actor!, req.params.id, req.body.version),
  );

  app.post(
    '/annual-reports/:id/unpublish',
    { config: { access: 'annual-reports:publish' }, schema: { tags: rtags, summary: 'Take the report off the public site', params: idParams, body: z.object({ version }).strict() } },
    async (req) => annualReports.unpublish(req.actor!, req.params.id, req.body.version),
  );

  // ------------------------------------------------------------------ exceptional circumstances

  const ntags = ['exceptional circumstances'];
  const noticeFields = {
    title: text(300),
    circumstances: text(10_000).describe('What happened (for example a cyber incident)'),
    effect: text(10_000).describe('How it affects complaint handling, and what residents should do'),
    provisions: z.array(provisionId).max(72).optional().describe('The provisions of the Code that cannot be met'),
    startsOn: localDate,
    expectedReturnOn: localDate.describe('When the landlord expects to comply again'),
    ombudsmanToldOn: localDate.nullish().describe('When the Ombudsman was told'),
    residentsToldHow: optionalText(5_000),
    published: z.boolean().optional().describe('Shown on the public page (the default)'),
  };

  app.get('/exceptional-notices', { config: { access: 'exceptional-notices:manage' }, schema: { tags: ntags, summary: 'Exceptional circumstances notices (Code 8.5)' } }, async (req) => ({ items: await exceptionalNotices.list(req.actor!) }));

  app.post(
    '/exceptional-notices',
    { config: { access: 'exceptional-notices:manage' }, schema: { tags: ntags, summary: 'Record a notice that the landlord cannot comply with the Code for a time, and publish it', body: z.object(noticeFields).strict() } },
    async (req, reply) => reply.status(201).send(await exceptionalNotices.create(req.actor!, req.body as any)),
  );

  app.get('/exceptional-notices/:id', { config: { access: 'exceptional-notices:manage' }, schema: { tags: ntags, summary: 'A notice', params: idParams } }, async (req) => exceptionalNotices.get(req.actor!, req.params.id));

  app.patch(
    '/exceptional-notices/:id',
    {
      config: { access: 'exceptional-notices:manage' },
      schema: {
        tags: ntags,
        summary: 'Change a notice, or record that normal service has resumed (endedOn)',
        params: idParams,
        body: z
          .object({ version, endedOn: localDate.nullish(), ...Object.fromEntries(Object.entries(noticeFields).map(([k, v]) => [k, (v as z.ZodTypeAny).optional()])) })
          .strict(),
      },
    },
    async (req) => {
      const { version: v, ...patch } = req.body as any;
      return exceptionalNotices.update(req.actor!, req.params.id, v, patch);
    },
  );
};

export default selfAssessmentsApi;
