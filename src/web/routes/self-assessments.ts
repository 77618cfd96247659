/**
 * Pages for the Code's self-assessment, reporting and compliance (section 8): self-assessments
 * (list, start, one section at a time, import, history, Word and Excel), the annual complaints
 * performance and service improvement report (edit, uploads, Word and PDF, publish) and
 * exceptional circumstances notices; and the public pages: the published annual report and the
 * notices in force.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import { z } from 'zod';
import { CODE_PROVISIONS, CODE_SECTIONS, provisionsIn } from '../../core/code-provisions.js';
import { formatLongDate, londonDateOf } from '../../core/dates.js';
import { actorCan } from '../../services/actor.js';
import { annualReportDocx, annualReportPdf } from '../../services/annual-report-documents.js';
import { FILE_KINDS, REPORT_TEXT_FIELDS, type ReportFileKind, type ReportTextField } from '../../services/annual-reports.js';
import { InvalidInput, NotFound, VersionConflict } from '../../services/errors.js';
import { assessmentDocx, assessmentXlsx, tableFrom } from '../../services/self-assessment-documents.js';
import { ASSESSMENT_REASONS, REASON_LABELS, type RowChange } from '../../services/self-assessments.js';
import type { FormErrors } from '../plugin.js';
import { dateField, FormProblem } from './complaint-forms.js';
import { formBody, pageContext } from './common.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const idParams = z.object({ id: z.string().regex(UUID) });
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ACTION_SLOTS = 3;

const DONE: Record<string, string> = {
  started: 'Self-assessment started. The answers are carried over from the last one; the evidence from the record is filled in.',
  saved: 'Section saved.',
  refreshed: 'Evidence refreshed from the record.',
  completed: 'Self-assessment marked as complete.',
  'report-started': 'Annual report started.',
  'report-saved': 'Annual report saved.',
  'report-file': 'File uploaded.',
  'report-published': 'Annual report published on the public site.',
  'report-unpublished': 'Annual report taken off the public site.',
  'notice-recorded': 'Notice recorded.',
  'notice-ended': 'Notice ended: normal service has resumed.',
};

const REPORT_TEXT_LABELS: Record<ReportTextField, { label: string; hint: string }> = {
  introduction: { label: 'Introduction', hint: 'Optional: a few words from the landlord before the figures.' },
  performanceCommentary: { label: 'Commentary on performance (8.1 (b))', hint: 'What the figures mean, and what you are doing about them.' },
  ombudsmanFindings: { label: 'Ombudsman findings of non-compliance with the Code (8.1 (c))', hint: 'Any finding of non-compliance the Ombudsman made in the year, and what you did.' },
  serviceImprovements: { label: 'Service improvements from learning (8.1 (d))', hint: 'What changed because of complaints.' },
  ombudsmanAnnualReport: { label: 'The Ombudsman’s annual report on you (8.1 (e))', hint: 'A summary, or upload the report below.' },
  otherReports: { label: 'Other reports about your complaint handling (8.1 (f))', hint: 'For example a special report, or internal audit.' },
  governingBodyResponse: { label: 'The governing body’s response (8.2)', hint: 'Required before publishing.' },
};
const FILE_KIND_LABELS: Record<ReportFileKind, string> = { ombudsman_annual_report: 'The Ombudsman’s annual report on us', other_report: 'Another report' };

function errorsOf(field: string, text: string): FormErrors {
  return { errorList: [{ text, href: `#${field}` }], fields: { [field]: { text } } };
}

function splitDate(d: string | null | undefined, name: string): Record<string, string> {
  if (!d) return {};
  return { [`${name}-day`]: String(Number(d.slice(8, 10))), [`${name}-month`]: String(Number(d.slice(5, 7))), [`${name}-year`]: d.slice(0, 4) };
}

/** The reporting year that contains a date: 1 April to 31 March. */
function yearContaining(d: string): number {
  const y = Number(d.slice(0, 4));
  return d.slice(5) >= '04-01' ? y : y - 1;
}

const selfAssessmentPages: FastifyPluginAsync = async (app) => {
  const { selfAssessments, annualReports, exceptionalNotices, settings } = app.services;
  await app.register(multipart, { limits: { fileSize: 10 * 1024 * 1024 + 1, files: 1, fields: 20, fieldSize: 2 * 1024 * 1024 } });

  const today = () => londonDateOf(new Date());

  /** A multipart form's fields and file, with its CSRF token checked (multipart bypasses the form parser). */
  async function multipartForm(req: FastifyRequest): Promise<{ fields: Record<string, string>; file: { filename: string; data: Buffer; truncated: boolean } | null } | null> {
    if (!req.isMultipart()) return { fields: formBody(req) as Record<string, string>, file: null };
    const fields: Record<string, string> = {};
    let file: { filename: string; data: Buffer; truncated: boolean } | null = null;
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        const data = await part.toBuffer().catch(() => null);
        if (part.filename) file = { filename: part.filename, data: data ?? Buffer.alloc(0), truncated: data === null || part.file.truncated };
      } else fields[part.fieldname] = String(part.value);
    }
    if (!req.csrfToken || fields._csrf !== req.csrfToken) return null;
    return { fields, file };
  }
  const expired = async (req: FastifyRequest, reply: FastifyReply) =>
    reply.view('error.njk', await pageContext(app, req, { title: 'This form has expired', message: 'Go back, reload the page and try again.' }), 403);

  // ------------------------------------------------------------------ self-assessments

  async function listPage(req: FastifyRequest, reply: FastifyReply, extra: { values?: Record<string, any>; errors?: FormErrors | null } = {}, status = 200) {
    const items = await selfAssessments.list(req.actor!);
    const y = yearContaining(today());
    const values = extra.values ?? { reason: 'annual', startFrom: 'last', ...splitDate(`${y - 1}-04-01`, 'periodFrom'), ...splitDate(`${y}-03-31`, 'periodTo') };
    return reply.view(
      'self-assessment/list.njk',
      await pageContext(app, req, { title: 'Self-assessments against the Code', items, values, errors: extra.errors ?? null, reasons: ASSESSMENT_REASONS.map((r) => ({ value: r, text: REASON_LABELS[r] })), mayWrite: actorCan(req.actor!, 'self-assessments:write') }),
      status,
    );
  }

  app.get('/self-assessments', { config: { access: 'self-assessments:read' }, schema: { hide: true } }, async (req, reply) => listPage(req, reply));

  app.post('/self-assessments', { config: { access: 'self-assessments:write' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    try {
      const periodFrom = dateField(b, 'periodFrom', 'the start of the period', true)!;
      const periodTo = dateField(b, 'periodTo', 'the end of the period', true)!;
      if (!ASSESSMENT_REASONS.includes(b.reason)) throw new FormProblem('reason', 'Choose why you are carrying out this self-assessment');
      const a = await selfAssessments.start(req.actor!, { periodFrom, periodTo, reason: b.reason, title: str(b.title) || null, ombudsmanCaseRef: str(b.ombudsmanCaseRef) || null, startFrom: b.startFrom === 'blank' ? 'blank' : 'last' });
      return reply.redirect(`/self-assessments/${a.id}?done=started`, 303);
    } catch (err) {
      if (err instanceof FormProblem) return listPage(req, reply, { values: b, errors: errorsOf(err.field, err.message) }, 400);
      if (err instanceof InvalidInput) return listPage(req, reply, { values: b, errors: errorsOf(err.field === 'periodTo' ? 'periodTo' : 'periodFrom', err.message) }, 400);
      throw err;
    }
  });

  async function overview(req: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FormErrors | null; done?: string | null } = {}, status = 200) {
    const a = await selfAssessments.get(req.actor!, id);
    const sections = a.sections.map((s) => ({
      ...s,
      answered: s.rows.filter((r) => r.comply).length,
      no: s.rows.filter((r) => r.comply === 'no').length,
      flagged: s.rows.filter((r) => r.flag),
    }));
    return reply.view(
      'self-assessment/overview.njk',
      await pageContext(app, req, {
        title: a.title,
        backLink: '/self-assessments',
        a,
        sections,
        done: extra.done && DONE[extra.done] ? DONE[extra.done] : null,
        errors: extra.errors ?? null,
        mayWrite: actorCan(req.actor!, 'self-assessments:write'),
        formatLongDate,
      }),
      status,
    );
  }

  app.get('/self-assessments/:id', { config: { access: 'self-assessments:read' }, schema: { hide: true, params: idParams, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } }, async (req, reply) =>
    overview(req, reply, (req.params as any).id, { done: (req.query as any).done ?? null }),
  );

  for (const step of ['refresh-evidence', 'complete'] as const) {
    app.post(`/self-assessments/:id/${step}`, { config: { access: 'self-assessments:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const b = formBody(req);
      try {
        if (step === 'complete') await selfAssessments.complete(req.actor!, id, Number(b.version));
        else await selfAssessments.refreshEvidence(req.actor!, id, Number(b.version));
        return reply.redirect(`/self-assessments/${id}?done=${step === 'complete' ? 'completed' : 'refreshed'}`, 303);
      } catch (err) {
        if (err instanceof InvalidInput || err instanceof VersionConflict) return overview(req, reply, id, { errors: errorsOf('actions', err.message) }, err instanceof VersionConflict ? 409 : 400);
        throw err;
      }
    });
  }

  async function sectionPage(req: FastifyRequest, reply: FastifyReply, id: string, n: number, extra: { values?: Record<string, any>; errors?: FormErrors | null } = {}, status = 200) {
    const a = await selfAssessments.get(req.actor!, id);
    const section = a.sections.find((s) => s.number === n);
    if (!section) throw new NotFound('The section');
    const values =
      extra.values ??
      Object.fromEntries(
        section.rows.flatMap((r) => [
          [`${r.provisionId}-comply`, r.comply ?? ''],
          [`${r.provisionId}-evidence`, r.evidence],
          [`${r.provisionId}-commentary`, r.commentary],
          ...Array.from({ length: ACTION_SLOTS }, (_, i) => [
            [`${r.provisionId}-action-${i}-text`, r.actions[i]?.text ?? ''],
            ...Object.entries(splitDate(r.actions[i]?.dueOn, `${r.provisionId}-action-${i}-due`)),
          ]).flat(),
        ]),
      );
    return reply.view(
      'self-assessment/section.njk',
      await pageContext(app, req, {
        title: `Section ${n}: ${section.title}`,
        backLink: `/self-assessments/${id}`,
        a,
        section,
        values,
        errors: extra.errors ?? null,
        slots: Array.from({ length: ACTION_SLOTS }, (_, i) => i),
        prev: n > 1 ? n - 1 : null,
        next: n < CODE_SECTIONS.length ? n + 1 : null,
        mayWrite: actorCan(req.actor!, 'self-assessments:write'),
      }),
      status,
    );
  }

  const sectionParams = z.object({ id: z.string().regex(UUID), n: z.coerce.number().int().min(1).max(9) });
  app.get('/self-assessments/:id/sections/:n', { config: { access: 'self-assessments:read' }, schema: { hide: true, params: sectionParams } }, async (req, reply) => {
    const { id, n } = req.params as { id: string; n: number };
    return sectionPage(req, reply, id, n);
  });

  app.post('/self-assessments/:id/sections/:n', { config: { access: 'self-assessments:write' }, schema: { hide: true, params: sectionParams } }, async (req, reply) => {
    const { id, n } = req.params as { id: string; n: number };
    const b = formBody(req);
    try {
      const changes: RowChange[] = provisionsIn(n).map((p) => {
        const comply = b[`${p.id}-comply`];
        if (comply && comply !== 'yes' && comply !== 'no') throw new FormProblem(`${p.id}-comply`, `Choose yes or no for ${p.id}`);
        const evidence = typeof b[`${p.id}-evidence`] === 'string' ? b[`${p.id}-evidence`] : '';
        const commentary = typeof b[`${p.id}-commentary`] === 'string' ? b[`${p.id}-commentary`] : '';
        if (evidence.length > 20_000) throw new FormProblem(`${p.id}-evidence`, `The evidence for ${p.id} must be 20,000 characters or fewer`);
        if (commentary.length > 20_000) throw new FormProblem(`${p.id}-commentary`, `The commentary for ${p.id} must be 20,000 characters or fewer`);
        const actions = [];
        for (let i = 0; i < ACTION_SLOTS; i++) {
          const text = str(b[`${p.id}-action-${i}-text`]);
          const due = dateField(b, `${p.id}-action-${i}-due`, `the date for action ${i + 1} on ${p.id}`);
          if (!text && due) throw new FormProblem(`${p.id}-action-${i}-text`, `Describe action ${i + 1} on ${p.id}, or clear its date`);
          if (text.length > 2_000) throw new FormProblem(`${p.id}-action-${i}-text`, `Action ${i + 1} on ${p.id} must be 2,000 characters or fewer`);
          if (text) actions.push({ text, dueOn: due });
        }
        return { provisionId: p.id, comply: comply || null, evidence, commentary, actions };
      });
      await selfAssessments.update(req.actor!, id, Number(b.version), changes);
      return reply.redirect(`/self-assessments/${id}?done=saved#section-${n}`, 303);
    } catch (err) {
      if (err instanceof FormProblem) return sectionPage(req, reply, id, n, { values: b, errors: errorsOf(err.field, err.message) }, 400);
      if (err instanceof VersionConflict) return sectionPage(req, reply, id, n, { values: b, errors: errorsOf('version', err.message) }, 409);
      if (err instanceof InvalidInput) return sectionPage(req, reply, id, n, { values: b, errors: errorsOf('version', err.message) }, 400);
      throw err;
    }
  });

  async function importPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FormErrors | null; report?: unknown; text?: string } = {}, status = 200) {
    const a = await selfAssessments.get(req.actor!, id);
    return reply.view('self-assessment/import.njk', await pageContext(app, req, { title: 'Import a self-assessment', backLink: `/self-assessments/${id}`, a, errors: extra.errors ?? null, report: extra.report ?? null, text: extra.text ?? '' }), status);
  }

  app.get('/self-assessments/:id/import', { config: { access: 'self-assessments:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => importPage(req, reply, (req.params as any).id));

  app.post('/self-assessments/:id/import', { config: { access: 'self-assessments:write', csrfInHandler: true }, bodyLimit: 12 * 1024 * 1024, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const form = await multipartForm(req);
    if (!form) return expired(req, reply);
    const text = form.fields.text ?? '';
    try {
      if (form.file?.truncated) throw new InvalidInput('The file must be smaller than 10 MB.', 'file');
      if (!text.trim() && !form.file) throw new InvalidInput('Paste the table, or choose a .docx, .xlsx or .csv file.', 'text');
      const { table, source } = await tableFrom({ text: form.file ? null : text, filename: form.file?.filename ?? null, data: form.file?.data ?? null });
      const { report } = await selfAssessments.importTable(req.actor!, id, Number(form.fields.version), table, source);
      return importPage(req, reply, id, { report: { ...report, source } });
    } catch (err) {
      if (err instanceof InvalidInput) return importPage(req, reply, id, { errors: errorsOf(err.field === 'file' && form.file ? 'file' : 'text', err.message), text }, 400);
      if (err instanceof VersionConflict) return importPage(req, reply, id, { errors: errorsOf('text', err.message), text }, 409);
      throw err;
    }
  });

  app.get('/self-assessments/:id/history', { config: { access: 'self-assessments:read' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const a = await selfAssessments.get(req.actor!, id);
    const items = (await selfAssessments.history(req.actor!, id)).reverse();
    return reply.view('self-assessment/history.njk', await pageContext(app, req, { title: 'History of changes', backLink: `/self-assessments/${id}`, a, items }));
  });

  for (const format of ['docx', 'xlsx'] as const) {
    app.get(`/self-assessments/:id/${format}`, { config: { access: 'self-assessments:read' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
      const a = await selfAssessments.get(req.actor!, (req.params as any).id);
      const s = await settings.get();
      const data = format === 'docx' ? await assessmentDocx(a, s.landlord.name) : await assessmentXlsx(a, s.landlord.name);
      return reply.header('content-type', format === 'docx' ? DOCX : XLSX).header('content-disposition', `attachment; filename="self-assessment-${a.periodFrom}-to-${a.periodTo}.${format}"`).send(data);
    });
  }

  // ------------------------------------------------------------------ annual reports

  async function reportsPage(req: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors | null; values?: Record<string, any> } = {}, status = 200) {
    const items = await annualReports.list(req.actor!);
    const y = yearContaining(today()) - 1;
    return reply.view(
      'self-assessment/reports.njk',
      await pageContext(app, req, { title: 'Annual complaints performance and service improvement reports', items, values: extra.values ?? { startYear: String(y) }, errors: extra.errors ?? null, mayWrite: actorCan(req.actor!, 'annual-reports:write') }),
      status,
    );
  }

  app.get('/annual-reports', { config: { access: 'annual-reports:read' }, schema: { hide: true } }, async (req, reply) => reportsPage(req, reply));

  app.post('/annual-reports', { config: { access: 'annual-reports:write' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    const y = str(b.startYear);
    if (!/^\d{4}$/.test(y) || Number(y) < 2020 || Number(y) > 2100) return reportsPage(req, reply, { values: b, errors: errorsOf('startYear', 'Enter the year the reporting year starts, for example 2025 for April 2025 to March 2026') }, 400);
    try {
      const r = await annualReports.create(req.actor!, { startYear: Number(y) });
      return reply.redirect(`/annual-reports/${r.id}?done=report-started`, 303);
    } catch (err) {
      if (err instanceof InvalidInput) return reportsPage(req, reply, { values: b, errors: errorsOf('startYear', err.message) }, 400);
      throw err;
    }
  });

  async function reportPage(req: FastifyRequest, reply: FastifyReply, id: string, extra: { errors?: FormErrors | null; values?: Record<string, any>; done?: string | null } = {}, status = 200) {
    const r = await annualReports.get(req.actor!, id);
    const model = await annualReports.model(req.actor!, id, `/annual-reports/${id}`);
    const assessments = await selfAssessments.list(req.actor!);
    const values = extra.values ?? { ...r.text, selfAssessmentId: r.selfAssessmentId ?? '', ...splitDate(r.governingBodyResponseOn, 'governingBodyResponseOn') };
    return reply.view(
      'self-assessment/report.njk',
      await pageContext(app, req, {
        title: r.title,
        backLink: '/annual-reports',
        r,
        model,
        values,
        textFields: Object.entries(REPORT_TEXT_LABELS).map(([k, v]) => ({ name: k, ...v })),
        assessments: [{ value: '', text: 'None' }, ...assessments.map((a) => ({ value: a.id, text: `${a.title} (${a.status === 'final' ? 'complete' : 'draft'})` }))],
        fileKinds: FILE_KINDS.map((k) => ({ value: k, text: FILE_KIND_LABELS[k] })),
        fileKindLabels: FILE_KIND_LABELS,
        errors: extra.errors ?? null,
        done: extra.done && DONE[extra.done] ? DONE[extra.done] : null,
        mayWrite: actorCan(req.actor!, 'annual-reports:write'),
        mayPublish: actorCan(req.actor!, 'annual-reports:publish'),
        formatLongDate,
      }),
      status,
    );
  }

  app.get('/annual-reports/:id', { config: { access: 'annual-reports:read' }, schema: { hide: true, params: idParams, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } }, async (req, reply) =>
    reportPage(req, reply, (req.params as any).id, { done: (req.query as any).done ?? null }),
  );

  app.post('/annual-reports/:id', { config: { access: 'annual-reports:write' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    try {
      const text: Record<string, string> = {};
      for (const k of Object.keys(REPORT_TEXT_FIELDS)) {
        const v = typeof b[k] === 'string' ? b[k] : '';
        if (v.length > 50_000) throw new FormProblem(k, 'This must be 50,000 characters or fewer');
        text[k] = v;
      }
      const sa = str(b.selfAssessmentId);
      if (sa && !UUID.test(sa)) throw new FormProblem('selfAssessmentId', 'Choose a self-assessment from the list');
      await annualReports.update(req.actor!, id, Number(b.version), { text, selfAssessmentId: sa || null, governingBodyResponseOn: dateField(b, 'governingBodyResponseOn', 'the date the governing body responded') });
      return reply.redirect(`/annual-reports/${id}?done=report-saved`, 303);
    } catch (err) {
      if (err instanceof FormProblem) return reportPage(req, reply, id, { values: b, errors: errorsOf(err.field, err.message) }, 400);
      if (err instanceof InvalidInput) return reportPage(req, reply, id, { values: b, errors: errorsOf(err.field ?? 'introduction', err.message) }, 400);
      if (err instanceof VersionConflict) return reportPage(req, reply, id, { values: b, errors: errorsOf('introduction', err.message) }, 409);
      throw err;
    }
  });

  app.post('/annual-reports/:id/files', { config: { access: 'annual-reports:write', csrfInHandler: true }, bodyLimit: 12 * 1024 * 1024, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const form = await multipartForm(req);
    if (!form) return expired(req, reply);
    try {
      if (!form.file) throw new InvalidInput('Choose a file to upload.', 'file');
      if (form.file.truncated) throw new InvalidInput('The file must be smaller than 10 MB.', 'file');
      const kind = (FILE_KINDS as readonly string[]).includes(form.fields.kind) ? (form.fields.kind as ReportFileKind) : 'other_report';
      await annualReports.addFile(req.actor!, id, { kind, filename: form.file.filename, data: form.file.data, description: str(form.fields.description).slice(0, 1_000) || null });
      return reply.redirect(`/annual-reports/${id}?done=report-file#files`, 303);
    } catch (err) {
      if (err instanceof InvalidInput) return reportPage(req, reply, id, { errors: errorsOf('file', err.message) }, 400);
      throw err;
    }
  });

  const fileParams = z.object({ id: z.string().regex(UUID), fileId: z.string().regex(UUID) });
  app.get('/annual-reports/:id/files/:fileId', { config: { access: 'annual-reports:read' }, schema: { hide: true, params: fileParams } }, async (req, reply) => {
    const { id, fileId } = req.params as { id: string; fileId: string };
    const f = await annualReports.fileContent(req.actor!, id, fileId);
    return reply.header('content-type', f.contentType).header('content-disposition', `attachment; filename="${f.filename.replace(/[^\w.\- ]/g, '_')}"`).send(f.data);
  });

  for (const step of ['publish', 'unpublish'] as const) {
    app.post(`/annual-reports/:id/${step}`, { config: { access: 'annual-reports:publish' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const b = formBody(req);
      try {
        if (step === 'publish') await annualReports.publish(req.actor!, id, Number(b.version));
        else await annualReports.unpublish(req.actor!, id, Number(b.version));
        return reply.redirect(`/annual-reports/${id}?done=report-${step}ed`, 303);
      } catch (err) {
        if (err instanceof InvalidInput) return reportPage(req, reply, id, { errors: errorsOf(err.field ?? 'governingBodyResponse', err.message) }, 400);
        if (err instanceof VersionConflict) return reportPage(req, reply, id, { errors: errorsOf('governingBodyResponse', err.message) }, 409);
        throw err;
      }
    });
  }

  for (const format of ['docx', 'pdf'] as const) {
    app.get(`/annual-reports/:id/${format}`, { config: { access: 'annual-reports:read' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
      const m = await annualReports.model(req.actor!, (req.params as any).id);
      const s = await settings.get();
      const name = `annual-complaints-report-${m.yearLabel.replace(' to ', '-')}.${format}`;
      const data = format === 'docx' ? await annualReportDocx(m) : await annualReportPdf(m, s.landlord.primaryColour);
      return reply.header('content-type', format === 'docx' ? DOCX : 'application/pdf').header('content-disposition', `attachment; filename="${name}"`).send(data);
    });
  }

  // ------------------------------------------------------------------ exceptional circumstances

  async function noticesPage(req: FastifyRequest, reply: FastifyReply, extra: { errors?: FormErrors | null; values?: Record<string, any>; done?: string | null } = {}, status = 200) {
    const items = await exceptionalNotices.list(req.actor!);
    return reply.view(
      'self-assessment/notices.njk',
      await pageContext(app, req, {
        title: 'Exceptional circumstances',
        items,
        values: extra.values ?? { published: 'yes' },
        errors: extra.errors ?? null,
        done: extra.done && DONE[extra.done] ? DONE[extra.done] : null,
        provisions: [{ value: '', text: 'None chosen' }, ...CODE_PROVISIONS.map((p) => ({ value: p.id, text: `${p.id} ${p.summary}` }))],
        formatLongDate,
      }),
      status,
    );
  }

  app.get('/exceptional-notices', { config: { access: 'exceptional-notices:manage' }, schema: { hide: true, querystring: z.object({ done: z.string().max(40).optional() }).passthrough() } }, async (req, reply) =>
    noticesPage(req, reply, { done: (req.query as any).done ?? null }),
  );

  app.post('/exceptional-notices', { config: { access: 'exceptional-notices:manage' }, schema: { hide: true } }, async (req, reply) => {
    const b = formBody(req);
    try {
      for (const [k, label] of [['title', 'a title'], ['circumstances', 'what happened'], ['effect', 'how it affects complaints, and what residents should do']] as const) {
        if (!str(b[k])) throw new FormProblem(k, `Enter ${label}`);
        if (str(b[k]).length > (k === 'title' ? 300 : 10_000)) throw new FormProblem(k, 'This is too long');
      }
      const provisions = (Array.isArray(b.provisions) ? b.provisions : b.provisions ? [b.provisions] : []).filter((p: unknown) => typeof p === 'string');
      const startsOn = dateField(b, 'startsOn', 'the date it started', true)!;
      const expectedReturnOn = dateField(b, 'expectedReturnOn', 'the date you expect to comply again', true)!;
      await exceptionalNotices.create(req.actor!, {
        title: str(b.title),
        circumstances: str(b.circumstances),
        effect: str(b.effect),
        provisions,
        startsOn,
        expectedReturnOn,
        ombudsmanToldOn: dateField(b, 'ombudsmanToldOn', 'the date the Ombudsman was told'),
        residentsToldHow: str(b.residentsToldHow).slice(0, 5_000) || null,
        published: b.published === 'yes',
      });
      return reply.redirect('/exceptional-notices?done=notice-recorded', 303);
    } catch (err) {
      if (err instanceof FormProblem) return noticesPage(req, reply, { values: b, errors: errorsOf(err.field, err.message) }, 400);
      if (err instanceof InvalidInput) return noticesPage(req, reply, { values: b, errors: errorsOf(err.field ?? 'title', err.message) }, 400);
      throw err;
    }
  });

  app.post('/exceptional-notices/:id/end', { config: { access: 'exceptional-notices:manage' }, schema: { hide: true, params: idParams } }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = formBody(req);
    try {
      await exceptionalNotices.update(req.actor!, id, Number(b.version), { endedOn: today() });
      return reply.redirect('/exceptional-notices?done=notice-ended', 303);
    } catch (err) {
      if (err instanceof InvalidInput || err instanceof VersionConflict) return noticesPage(req, reply, { errors: errorsOf('title', err.message) }, 400);
      throw err;
    }
  });

  // ------------------------------------------------------------------ public pages

  app.get('/annual-report', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const items = await annualReports.published();
    return reply.view('self-assessment/public-reports.njk', await pageContext(app, req, { title: 'Our annual complaints reports', items, formatLongDate }));
  });

  app.get('/annual-report/:year', { config: { access: 'public' }, schema: { hide: true, params: z.object({ year: z.coerce.number().int().min(2000).max(2200) }) } }, async (req, reply) => {
    const p = await annualReports.publishedModel((req.params as any).year);
    if (!p) return reply.view('error.njk', await pageContext(app, req, { title: 'Page not found', message: 'There is no published annual complaints report for that year.' }), 404);
    return reply.view('self-assessment/public-report.njk', await pageContext(app, req, { title: p.model.title, model: p.model, formatLongDate }));
  });

  app.get('/annual-report/:year/files/:fileId', { config: { access: 'public' }, schema: { hide: true, params: z.object({ year: z.coerce.number().int().min(2000).max(2200), fileId: z.string().regex(UUID) }) } }, async (req, reply) => {
    const { year, fileId } = req.params as { year: number; fileId: string };
    const p = await annualReports.publishedModel(year);
    if (!p) return reply.view('error.njk', await pageContext(app, req, { title: 'Page not found', message: 'There is no published annual complaints report for that year.' }), 404);
    const f = await annualReports.fileContent(null, p.id, fileId);
    return reply.header('content-type', f.contentType).header('content-disposition', `attachment; filename="${f.filename.replace(/[^\w.\- ]/g, '_')}"`).send(f.data);
  });

  app.get('/exceptional-circumstances', { config: { access: 'public' }, schema: { hide: true } }, async (req, reply) => {
    const items = await exceptionalNotices.current();
    return reply.view('self-assessment/public-notices.njk', await pageContext(app, req, { title: 'Exceptional circumstances affecting complaints', items, formatLongDate }));
  });
};

export default selfAssessmentPages;
