/**
 * Report pages: the regulator's measures for a year (/reports/tsm) with every figure drilling
 * down to its complaints (/reports/tsm/complaints, also as CSV and XLSX); the performance
 * dashboard (/reports/dashboard) with SVG charts beside their data tables; the MRC pack as Word
 * and PDF; report settings (/reports/settings: home counts, the CH02 figure submitted, survey
 * imports for TP09); and the export of all complaint data (/reports/export).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z, ZodError } from 'zod';
import { isValidLocalDate, londonDateOf } from '../../core/dates.js';
import {
  CH02_BASIS_LABELS,
  CHANNEL_REPORT_LABELS,
  OUTCOME_REPORT_LABELS,
  TENURE_LABELS,
  reportingYear,
  reportingYearOf,
} from '../../core/measures.js';
import { actorCan } from '../../services/actor.js';
import { InvalidInput, TooLargeForWorkbook } from '../../services/errors.js';
import { DRILL_COLUMNS, figureSchema, formatDay, formatPeriod, monthLabel, SURVEY_COLUMNS } from '../../services/reports.js';
import { mrcPackDocx, mrcPackPdf } from '../../services/report-documents.js';
import { sheetCsv, sheetsXlsx } from '../../services/spreadsheets.js';
import { EXPORT_SCHEMA, EXPORT_SCHEMA_VERSION } from '../../services/data-export.js';
import { sendFile, sendStream, XLSX_TYPE } from '../../http/routes/api-reports.js';
import { barChart, monthChart } from '../charts.js';
import { formBody, pageContext } from './common.js';
import type { FormErrors } from '../plugin.js';
import { formatCount, formatPounds } from '../../core/numbers.js';

const DONE: Record<string, string> = {
  settings: 'Report settings saved.',
  homes: 'Home counts saved.',
  survey: 'Survey answers imported.',
  'survey-removed': 'Survey import removed.',
};


function errorsOf(list: { field: string; text: string }[]): FormErrors {
  return { errorList: list.map((e) => ({ text: e.text, href: `#${e.field}` })), fields: Object.fromEntries(list.map((e) => [e.field, { text: e.text }])) };
}

const reportPages: FastifyPluginAsync = async (app) => {
  const reports = app.services.reports;
  // Fields are parsed before the CSRF check (a preHandler), so a multipart form carries its token like any other.
  await app.register(multipart, {
    limits: { fileSize: 20 * 1024 * 1024 + 1, files: 1, fields: 5 },
    attachFieldsToBody: 'keyValues',
    async onFile(part) {
      const data = await part.toBuffer().catch(() => null);
      (part as unknown as { value: unknown }).value = { filename: part.filename, data: data ?? Buffer.alloc(0), truncated: data === null || part.file.truncated };
    },
  });
  const today = () => londonDateOf(app.services.complaints.now());

  app.get('/reports', { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) =>
    reply.view('reports/index.njk', await pageContext(app, req, { title: 'Reports', mayManage: actorCan(req.actor!, 'reports:manage'), mayExport: actorCan(req.actor!, 'data:export') })),
  );

  // ------------------------------------------------------------------ the measures

  app.get('/reports/tsm', { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) => {
    const asked = (req.query as { year?: unknown }).year;
    if (asked !== undefined && (typeof asked !== 'string' || !/^\d{4}$/.test(asked) || Number(asked) < 2000 || Number(asked) > 2200)) {
      return reply.view('error.njk', await pageContext(app, req, { title: 'Choose a reporting year', message: 'The year must be the year the reporting year starts in, like 2025 for 2025/26.' }), 400);
    }
    const year = asked === undefined ? reportingYearOf(today()) : Number(asked);
    const r = await reports.tsmFor(req.actor!, year);
    const current = reportingYearOf(today());
    const years = [];
    for (let y = current; y >= current - 5; y--) years.push(reportingYear(y));
    return reply.view(
      'reports/tsm.njk',
      await pageContext(app, req, {
        title: `Tenant satisfaction measures on complaints, ${r.year.label}`,
        r,
        years,
        tenureLabels: TENURE_LABELS,
        basisLabels: CH02_BASIS_LABELS,
        asOfText: formatDay(r.asOf),
        mayManage: actorCan(req.actor!, 'reports:manage'),
      }),
    );
  });

  const drillQuery = figureSchema.extend({ year: z.coerce.number().int().min(2000).max(2200) }).strict();
  async function drill(req: FastifyRequest) {
    const q = drillQuery.safeParse(req.query);
    if (!q.success) throw new InvalidInput('That figure does not exist: go back to the measures and choose a figure.', 'figure');
    const { year, ...figure } = q.data;
    return { query: q.data, d: await reports.drill(req.actor!, year, figure) };
  }

  app.get('/reports/tsm/complaints', { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) => {
    try {
      const { query, d } = await drill(req);
      const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
      return reply.view(
        'reports/drill.njk',
        await pageContext(app, req, {
          title: `${query.measure.toUpperCase()} stage ${query.stage}, ${TENURE_LABELS[query.tenure]}: ${d.label}`,
          d,
          qs,
          columns: DRILL_COLUMNS,
          backLink: `/reports/tsm?year=${query.year}`,
        }),
      );
    } catch (err) {
      if (err instanceof InvalidInput) return reply.view('error.njk', await pageContext(app, req, { title: 'Figure not found', message: err.message }), 400);
      throw err;
    }
  });

  for (const format of ['csv', 'xlsx'] as const) {
    app.get(`/reports/tsm/complaints.${format}`, { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) => {
      try {
        const { query, d } = await drill(req);
        const sheet = { name: 'Complaints', columns: DRILL_COLUMNS.map((c) => ({ key: c.key, label: c.label })), rows: d.items as unknown as Record<string, unknown>[] };
        const name = `${query.measure}-stage${query.stage}-${query.tenure}-${query.line}-${d.year.label.replace('/', '-')}`;
        if (format === 'csv') return sendFile(reply, sheetCsv(sheet), 'text/csv; charset=utf-8', `${name}.csv`);
        const s = await app.services.settings.get();
        return sendFile(reply, await sheetsXlsx([sheet], { title: `${query.measure.toUpperCase()} ${d.label} ${d.year.label} (${d.measuresVersion})`, creator: s.landlord.name }), XLSX_TYPE, `${name}.xlsx`);
      } catch (err) {
        if (err instanceof InvalidInput) return reply.view('error.njk', await pageContext(app, req, { title: 'Figure not found', message: err.message }), 400);
        throw err;
      }
    });
  }

  // ------------------------------------------------------------------ settings

  async function settingsPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    const [rs, homes, imports] = await Promise.all([reports.reportSettings(), reports.homeCounts(), reports.surveyImports()]);
    const done = (req.query as { done?: string } | undefined)?.done;
    return reply.view(
      'reports/settings.njk',
      await pageContext(app, req, {
        title: 'Report settings',
        rs,
        homes,
        imports: imports.map((i) => ({ ...i, importedOn: formatDay(londonDateOf(new Date(i.imported_at))) })),
        basisLabels: CH02_BASIS_LABELS,
        surveyColumns: SURVEY_COLUMNS,
        defaultYear: reportingYearOf(today()) - (today().slice(5) < '06-30' ? 1 : 0),
        done: done && DONE[done] ? DONE[done] : null,
        values: {},
        backLink: '/reports',
        ...extra,
      }),
      status,
    );
  }

  app.get('/reports/settings', { config: { access: 'reports:manage' }, schema: { hide: true, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } }, async (req, reply) => settingsPage(req, reply));

  app.post('/reports/settings', { config: { access: 'reports:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const problems: { field: string; text: string }[] = [];
    if (!['original', 'compliant'].includes(b.ch02Basis)) problems.push({ field: 'ch02Basis', text: 'Choose which CH02 figure you submit' });
    if (!['LCRA', 'LCHO', 'other'].includes(b.unknownTenure)) problems.push({ field: 'unknownTenure', text: 'Choose the tenure to count anonymous complaints under' });
    if (problems.length) return settingsPage(req, reply, { errors: errorsOf(problems) }, 400);
    await reports.updateReportSettings(req.actor!, { ch02Basis: b.ch02Basis, unknownTenure: b.unknownTenure });
    return reply.redirect('/reports/settings?done=settings', 303);
  });

  app.post('/reports/settings/homes', { config: { access: 'reports:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const problems: { field: string; text: string }[] = [];
    const year = String(b.year ?? '').trim();
    if (!/^\d{4}$/.test(year) || Number(year) < 2000 || Number(year) > 2200) problems.push({ field: 'year', text: 'Enter the year the reporting year starts in, like 2025 for 2025/26' });
    const count = (k: 'LCRA' | 'LCHO') => {
      const v = String(b[k] ?? '').replace(/[,\s]/g, '');
      if (v === '') return null;
      if (!/^\d{1,8}$/.test(v) || Number(v) > 10_000_000) {
        problems.push({ field: k, text: `Enter the number of ${k} homes as a whole number, or leave it blank` });
        return null;
      }
      return Number(v);
    };
    const homes = { LCRA: count('LCRA'), LCHO: count('LCHO') };
    if (problems.length) return settingsPage(req, reply, { errors: errorsOf(problems), values: b }, 400);
    await reports.setHomeCounts(req.actor!, Number(year), homes);
    return reply.redirect('/reports/settings?done=homes', 303);
  });

  app.post('/reports/settings/surveys', { config: { access: 'reports:manage' }, schema: { hide: true } }, async (req, reply) => {
    const fail = (text: string, more: { field: string; text: string }[] = []) => settingsPage(req, reply, { errors: errorsOf([{ field: 'survey', text }, ...more]) }, 400);
    if (!req.isMultipart()) return fail('Choose a CSV file of survey answers');
    const f = (req.body as { survey?: unknown } | undefined)?.survey as { filename?: string; data?: Buffer; truncated?: boolean } | undefined;
    const file = f && Buffer.isBuffer(f.data) ? { filename: String(f.filename ?? ''), data: f.data, truncated: !!f.truncated } : null;
    if (!file || !file.filename || file.data.length === 0) return fail('Choose a CSV file of survey answers');
    if (file.truncated || file.data.length > 20 * 1024 * 1024) return fail('The file must be smaller than 20 MB');
    try {
      await reports.importSurvey(req.actor!, file.data.toString('utf8'), file.filename);
    } catch (err) {
      if (err instanceof InvalidInput) return fail(err.message);
      if (err instanceof ZodError) {
        const msgs = err.issues.map((i) => i.message);
        return settingsPage(req, reply, { errors: errorsOf([{ field: 'survey', text: `The file was not imported: ${msgs.length} problem${msgs.length === 1 ? '' : 's'} to fix` }]), surveyProblems: msgs }, 400);
      }
      throw err;
    }
    return reply.redirect('/reports/settings?done=survey', 303);
  });

  app.post('/reports/settings/surveys/:id/remove', { config: { access: 'reports:manage' }, schema: { hide: true, params: z.object({ id: z.string().regex(/^[0-9a-f-]{36}$/i) }) } }, async (req, reply) => {
    try {
      await reports.deleteSurveyImport(req.actor!, (req.params as { id: string }).id);
    } catch (err) {
      if (err instanceof InvalidInput) return settingsPage(req, reply, { errors: errorsOf([{ field: 'survey', text: err.message }]) }, 404);
      throw err;
    }
    return reply.redirect('/reports/settings?done=survey-removed', 303);
  });

  // ------------------------------------------------------------------ the dashboard and the MRC pack

  function period(req: FastifyRequest): { from: string; to: string; problems: { field: string; text: string }[] } {
    const q = (req.query ?? {}) as Record<string, unknown>;
    const t = today();
    const y = reportingYear(reportingYearOf(t));
    const one = (v: unknown) => (typeof v === 'string' ? v.trim().slice(0, 20) : v === undefined ? '' : 'not a date');
    const from = one(q.from) || y.from;
    const to = one(q.to) || t;
    const problems: { field: string; text: string }[] = [];
    if (!isValidLocalDate(from)) problems.push({ field: 'from', text: 'Enter the start of the period as a real date, like 2025-04-01' });
    if (!isValidLocalDate(to)) problems.push({ field: 'to', text: 'Enter the end of the period as a real date, like 2026-03-31' });
    if (!problems.length && to < from) problems.push({ field: 'to', text: 'The end of the period must be on or after its start' });
    if (!problems.length && Number(to.slice(0, 4)) - Number(from.slice(0, 4)) > 10) problems.push({ field: 'to', text: 'The period can be at most ten years long' });
    return { from, to, problems };
  }

  app.get('/reports/dashboard', { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) => {
    const p = period(req);
    if (p.problems.length) return reply.view('reports/dashboard.njk', await pageContext(app, req, { title: 'Complaints dashboard', from: p.from, to: p.to, errors: errorsOf(p.problems) }), 400);
    const d = await reports.dashboardFor(req.actor!, p.from, p.to, { breakdown: false });
    const s = await app.services.settings.get();
    const colour = s.landlord.primaryColour;
    const stage1 = d.received.stage1.count;
    const share = (n: number, of: number) => (of ? `${((n / of) * 100).toFixed(1)}%` : '–');
    const charts = {
      months: monthChart({ id: 'chart-months', title: 'Complaints received by month', months: d.byMonth.map((m) => ({ label: monthLabel(m.month), a: m.stage1, b: m.stage2 })), seriesA: 'Stage 1', seriesB: 'Stage 2', colour }),
      areas: barChart({ id: 'chart-areas', title: 'Stage 1 complaints by service area', items: d.byServiceArea.map((b) => ({ label: b.key, value: b.count })), colour }),
      categories: barChart({ id: 'chart-categories', title: 'Stage 1 complaints by category', items: d.byCategory.map((b) => ({ label: b.key, value: b.count })), colour }),
      channels: barChart({ id: 'chart-channels', title: 'Stage 1 complaints by channel', items: d.byChannel.map((b) => ({ label: CHANNEL_REPORT_LABELS[b.key] ?? b.key, value: b.count })), colour }),
      outcomes: d.outcomes.map((o) => barChart({ id: `chart-outcomes-${o.stage}`, title: `Stage ${o.stage} outcomes`, items: o.buckets.map((b) => ({ label: OUTCOME_REPORT_LABELS[b.key] ?? b.key, value: b.count })), colour })),
      causes: barChart({ id: 'chart-causes', title: 'Learning recorded by root cause', items: (d.learning?.themes.byCause ?? []).map((c) => ({ label: c.label, value: c.total })), colour }),
      timeliness: barChart({
        id: 'chart-timeliness',
        title: 'Responses on time, as a percentage of responses sent',
        unit: '%',
        colour,
        items: d.timeliness.flatMap((t) => [
          { label: `Stage ${t.stage}, original date`, value: t.percentOnTimeOriginal ?? 0 },
          { label: `Stage ${t.stage}, after extensions`, value: t.percentOnTimeCompliant ?? 0 },
        ]),
      }),
    };
    return reply.view(
      'reports/dashboard.njk',
      await pageContext(app, req, {
        title: 'Complaints dashboard',
        d,
        from: p.from,
        to: p.to,
        periodText: formatPeriod(p.from, p.to),
        monthRows: d.byMonth.map((m) => ({ label: monthLabel(m.month), stage1: m.stage1, stage2: m.stage2 })),
        charts,
        stage1,
        share,
        channelLabels: CHANNEL_REPORT_LABELS,
        outcomeLabels: OUTCOME_REPORT_LABELS,
        pounds: (p: number) => formatPounds(p),
        targets: s.targets,
      }),
    );
  });

  for (const format of ['docx', 'pdf'] as const) {
    app.get(`/reports/mrc-pack.${format}`, { config: { access: 'reports:read' }, schema: { hide: true } }, async (req, reply) => {
      const p = period(req);
      if (p.problems.length) return reply.view('error.njk', await pageContext(app, req, { title: 'Check the period', message: p.problems.map((x) => x.text).join('. ') }), 400);
      const pack = await reports.mrcPack(req.actor!, p.from, p.to);
      const name = `mrc-pack-${p.from}-to-${p.to}.${format}`;
      if (format === 'docx') return sendFile(reply, await mrcPackDocx(pack), 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', name);
      return sendFile(reply, await mrcPackPdf(pack), 'application/pdf', name);
    });
  }

  // ------------------------------------------------------------------ export of all complaint data

  async function exportPage(req: FastifyRequest, reply: FastifyReply, extra: Record<string, unknown> = {}, status = 200) {
    return reply.view(
      'reports/export.njk',
      await pageContext(app, req, { title: 'Export all complaint data', schema: EXPORT_SCHEMA, schemaVersion: EXPORT_SCHEMA_VERSION, workbookLimit: formatCount(app.services.dataExport.workbookRowLimit), backLink: '/reports', ...extra }),
      status,
    );
  }
  app.get('/reports/export', { config: { access: 'data:export' }, schema: { hide: true } }, async (req, reply) => exportPage(req, reply));
  app.get('/reports/export/complaint-data.xlsx', { config: { access: 'data:export' }, schema: { hide: true } }, async (req, reply) => {
    const s = await app.services.settings.get();
    try {
      return await sendStream(req, reply, () => app.services.dataExport.xlsx(req.actor!, s.landlord.name), XLSX_TYPE, `complaint-data-${today()}.xlsx`);
    } catch (err) {
      if (!(err instanceof TooLargeForWorkbook)) throw err;
      return exportPage(req, reply, { errors: { errorList: [{ text: err.message, href: '#csv-files' }] } }, 422);
    }
  });
  app.get('/reports/export/complaint-data.zip', { config: { access: 'data:export' }, schema: { hide: true } }, async (req, reply) =>
    sendStream(req, reply, () => app.services.dataExport.csvZip(req.actor!), 'application/zip', `complaint-data-${today()}.zip`),
  );
};

export default reportPages;
