/**
 * The annual complaints performance and service improvement report (Code 8.1 (a) to (f), 8.2) as
 * a document model: headed sections of paragraphs and tables, built from the year's figures and
 * the landlord's text. The Word, PDF and web renderers all draw this one model. Pure.
 */
import type { WorkingDayCalendar } from './calendar.js';
import { CODE_SECTIONS } from './code-provisions.js';
import { formatLongDate, type LocalDate } from './dates.js';
import { evidenceFigures, n, ofPct, type EvidenceFigures, type EvidenceInput } from './self-assessment.js';
import { formatPounds } from './numbers.js';

export type ReportBlock =
  | { kind: 'p'; text: string }
  | { kind: 'note'; text: string }
  | { kind: 'link'; text: string; href: string }
  | { kind: 'table'; caption: string; head: string[]; rows: string[][]; numeric?: boolean[] };

export interface ReportSection {
  id: string;
  /** The Code paragraph it answers, e.g. '8.1(b)'. */
  code: string;
  heading: string;
  blocks: ReportBlock[];
}

export interface ReportModel {
  title: string;
  landlordName: string;
  yearLabel: string;
  publishedOn: LocalDate | null;
  sections: ReportSection[];
}

/** The reporting year that starts on 1 April of `startYear`. */
export function reportingYear(startYear: number): { from: LocalDate; to: LocalDate; label: string } {
  return { from: `${startYear}-04-01`, to: `${startYear + 1}-03-31`, label: `${startYear} to ${startYear + 1}` };
}

export interface PerformanceFigures extends EvidenceFigures {
  outcomes: { 1: Record<string, number>; 2: Record<string, number> };
  serviceAreas: [string, number][];
  refusals: { kind: 'acceptance' | 'escalation'; ground: string; count: number }[];
  remedies: { total: number; byType: Record<string, number>; compensationPaidPence: number; financialOffers: number };
  withdrawn: number;
}

/** The year's performance: the self-assessment's figures plus outcomes, service areas, refusals and remedies. */
export function performanceFigures(input: EvidenceInput): PerformanceFigures {
  const base = evidenceFigures(input);
  const t = input.cases;
  return {
    ...base,
    outcomes: t.outcomes,
    serviceAreas: Object.entries(t.serviceAreas).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    refusals: [...t.refusals.values()].sort((a, b) => b.count - a.count),
    remedies: { total: input.remedies.recorded, byType: input.remedies.byType, compensationPaidPence: input.remedies.paidPence, financialOffers: input.remedies.financial },
    withdrawn: t.withdrawn,
  };
}

export interface ReportInput {
  landlordName: string;
  year: { from: LocalDate; to: LocalDate; label: string };
  publishedOn: LocalDate | null;
  text: {
    introduction: string;
    performanceCommentary: string;
    ombudsmanFindings: string;
    serviceImprovements: string;
    ombudsmanAnnualReport: string;
    otherReports: string;
    governingBodyResponse: string;
    governingBodyResponseOn: LocalDate | null;
  };
  performance: PerformanceFigures;
  exclusionGroundLabels: Record<string, string>;
  remedyTypeLabels: Record<string, string>;
  selfAssessment: {
    title: string;
    periodFrom: LocalDate;
    periodTo: LocalDate;
    status: string;
    completedOn: LocalDate | null;
    rows: { provisionId: string; section: number; comply: string | null; flag: string | null; commentary: string; actions: { text: string; dueOn: string | null }[] }[];
  } | null;
  /** The regulator's measures, when the measures service is present (CH01, CH02). */
  measures?: { label: string; value: string }[] | null;
  /** Items from the learning register, when present. */
  learning?: { title: string; status: string; outcome: string | null }[] | null;
  /** Ombudsman determinations with findings of non-compliance, when present. */
  ombudsmanCases?: { reference: string; finding: string; orders: string }[] | null;
  files: { kind: string; filename: string; description: string | null; href: string | null }[];
}

const paras = (text: string): ReportBlock[] =>
  text
    .split(/\n{2,}|\r\n\r\n/)
    .map((t) => t.trim())
    .filter(Boolean)
    .map((t) => ({ kind: 'p' as const, text: t }));
const OUTCOME_LABELS: Record<string, string> = { upheld: 'Upheld', partly_upheld: 'Partly upheld', not_upheld: 'Not upheld' };
const pounds = (pence: number) => formatPounds(pence);

export function buildReport(r: ReportInput): ReportModel {
  const p = r.performance;
  const s1 = p.stage[1];
  const s2 = p.stage[2];
  const sections: ReportSection[] = [];
  sections.push({
    id: 'introduction',
    code: '8.1',
    heading: 'About this report',
    blocks: [
      {
        kind: 'p',
        text: `This is ${r.landlordName}’s annual complaints performance and service improvement report for ${r.year.label} (${formatLongDate(r.year.from)} to ${formatLongDate(r.year.to)}), produced under paragraph 8.1 of the Housing Ombudsman’s Complaint Handling Code. It was reported to our governing body, whose response is in the last section, and is published on our website.`,
      },
      ...paras(r.text.introduction),
    ],
  });

  // (a) the self-assessment
  const sa = r.selfAssessment;
  const saBlocks: ReportBlock[] = [];
  if (sa) {
    const yes = sa.rows.filter((x) => x.comply === 'yes').length;
    const no = sa.rows.filter((x) => x.comply === 'no').length;
    saBlocks.push({
      kind: 'p',
      text: `We assessed ourselves against all ${sa.rows.length} provisions of the Code (${sa.title}, covering ${formatLongDate(sa.periodFrom)} to ${formatLongDate(sa.periodTo)}${sa.completedOn ? `, completed on ${formatLongDate(sa.completedOn)}` : ', in draft'}). We comply with ${n(yes)} and do not yet comply with ${n(no)}${sa.rows.length - yes - no ? `; ${n(sa.rows.length - yes - no)} are not yet answered` : ''}.`,
    });
    saBlocks.push({
      kind: 'table',
      caption: 'Self-assessment by section of the Code',
      head: ['Section', 'Provisions', 'Comply', 'Do not comply'],
      numeric: [false, true, true, true],
      rows: CODE_SECTIONS.map((s) => {
        const rows = sa.rows.filter((x) => x.section === s.number);
        return [`${s.number}. ${s.title}`, n(rows.length), n(rows.filter((x) => x.comply === 'yes').length), n(rows.filter((x) => x.comply === 'no').length)];
      }),
    });
    const gaps = sa.rows.filter((x) => x.comply === 'no');
    if (gaps.length) {
      saBlocks.push({
        kind: 'table',
        caption: 'Where we do not yet comply, and what we are doing about it',
        head: ['Provision', 'Explanation', 'Actions'],
        rows: gaps.map((g) => [g.provisionId, g.commentary || '—', g.actions.map((a) => `${a.text}${a.dueOn ? ` (by ${formatLongDate(a.dueOn)})` : ''}`).join('; ') || '—']),
      });
    }
    saBlocks.push({ kind: 'note', text: 'The full self-assessment, provision by provision with the evidence, is published alongside this report.' });
  } else {
    saBlocks.push({ kind: 'note', text: 'No self-assessment has been linked to this report yet.' });
  }
  sections.push({ id: 'self-assessment', code: '8.1(a)', heading: 'Our self-assessment against the Code', blocks: saBlocks });

  // (b) performance, with the summary of refused complaints
  const perf: ReportBlock[] = [
    {
      kind: 'p',
      text: `We received ${n(s1.started)} stage 1 complaints and ${n(s2.started)} requests to escalate to stage 2 in the year. ${ofPct(s1.ackOnTime, s1.ackJudged)} stage 1 complaints were acknowledged within 5 working days and ${ofPct(s1.respondedOnTimeCompliant, s1.responded)} stage 1 responses were issued on time (within 10 working days of acknowledgement, or the extended date where the extension met the Code). At stage 2, ${ofPct(s2.ackOnTime, s2.ackJudged)} were acknowledged on time and ${ofPct(s2.respondedOnTimeCompliant, s2.responded)} responses were on time (20 working days).`,
    },
    {
      kind: 'table',
      caption: 'Volumes and timeliness',
      head: ['Measure', 'Stage 1', 'Stage 2'],
      numeric: [false, true, true],
      rows: [
        ['Complaints received (stage 1) or escalated (stage 2)', n(s1.started), n(s2.started)],
        ['Acknowledged within 5 working days', ofPct(s1.ackOnTime, s1.ackJudged), ofPct(s2.ackOnTime, s2.ackJudged)],
        ['Responses issued', n(s1.responded), n(s2.responded)],
        ['Responded within the Code’s timescale (original date)', ofPct(s1.respondedOnTimeOriginal, s1.responded), ofPct(s2.respondedOnTimeOriginal, s2.responded)],
        ['Responded on time, counting Code-compliant extensions', ofPct(s1.respondedOnTimeCompliant, s1.responded), ofPct(s2.respondedOnTimeCompliant, s2.responded)],
        ['Extensions', n(s1.extensions), n(s2.extensions)],
        [`Open past the response date at ${formatLongDate(r.year.to)}`, n(s1.openPastDue), n(s2.openPastDue)],
      ],
    },
    {
      kind: 'table',
      caption: 'Outcomes of the responses issued in the year',
      head: ['Outcome', 'Stage 1', 'Stage 2'],
      numeric: [false, true, true],
      rows: Object.keys(OUTCOME_LABELS).map((k) => [OUTCOME_LABELS[k], n(p.outcomes[1][k] ?? 0), n(p.outcomes[2][k] ?? 0)]),
    },
    { kind: 'p', text: `${ofPct(p.escalated, p.stage1RespondedForEscalation)} of the stage 1 responses issued in the year were escalated to stage 2. ${n(p.withdrawn)} complaints were withdrawn by the resident.` },
  ];
  if (r.measures && r.measures.length) {
    perf.push({ kind: 'table', caption: 'Tenant satisfaction measures (Regulator of Social Housing)', head: ['Measure', 'Value'], rows: r.measures.map((m) => [m.label, m.value]) });
    perf.push({ kind: 'note', text: 'The regulator’s measures count complaints from residents in low-cost rental and low-cost home ownership homes only, by the regulator’s rules, so they can differ from the figures above, which count every complaint.' });
  }
  if (p.serviceAreas.length) {
    perf.push({ kind: 'table', caption: 'Complaints by service area', head: ['Service area', 'Complaints'], numeric: [false, true], rows: p.serviceAreas.map(([a, c]) => [a, n(c)]) });
  }
  perf.push({
    kind: 'table',
    caption: 'Putting things right',
    head: ['Remedy', 'Number'],
    numeric: [false, true],
    rows: [
      ...Object.entries(p.remedies.byType)
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => [r.remedyTypeLabels[k] ?? k, n(v)]),
      ['Compensation paid', pounds(p.remedies.compensationPaidPence)],
    ],
  });
  const refusedTotal = p.refusals.reduce((a, x) => a + x.count, 0);
  perf.push({
    kind: 'p',
    text:
      refusedTotal === 0
        ? 'We did not refuse to accept or escalate any complaint in the year.'
        : `We refused ${n(p.refusedAcceptance)} complaints and ${n(p.refusedEscalation)} requests to escalate, each for a reason in our complaints policy, decided on its own facts, and with the resident told of their right to ask the Ombudsman to look at the decision.`,
  });
  if (refusedTotal > 0) {
    perf.push({
      kind: 'table',
      caption: 'Complaints we refused, by reason',
      head: ['Reason (complaints policy)', 'Refused to accept', 'Refused to escalate'],
      numeric: [false, true, true],
      rows: [...new Set(p.refusals.map((x) => x.ground))].map((g) => [
        r.exclusionGroundLabels[g] ?? g,
        n(p.refusals.find((x) => x.ground === g && x.kind === 'acceptance')?.count ?? 0),
        n(p.refusals.find((x) => x.ground === g && x.kind === 'escalation')?.count ?? 0),
      ]),
    });
  }
  perf.push(...paras(r.text.performanceCommentary));
  sections.push({ id: 'performance', code: '8.1(b)', heading: 'How we performed, and the complaints we refused', blocks: perf });

  // (c) Ombudsman findings of non-compliance
  const omb: ReportBlock[] = [];
  if (r.ombudsmanCases && r.ombudsmanCases.length) {
    omb.push({ kind: 'table', caption: 'Ombudsman determinations with findings of non-compliance', head: ['Case', 'Finding', 'Orders'], rows: r.ombudsmanCases.map((c) => [c.reference, c.finding, c.orders]) });
  }
  omb.push(...paras(r.text.ombudsmanFindings));
  if (!omb.length) omb.push({ kind: 'note', text: 'No findings of non-compliance with the Code were made against us by the Ombudsman in the year.' });
  sections.push({ id: 'ombudsman-findings', code: '8.1(c)', heading: 'Findings of non-compliance with the Code by the Ombudsman', blocks: omb });

  // (d) service improvements
  const imp: ReportBlock[] = [];
  if (r.learning && r.learning.length) {
    imp.push({ kind: 'table', caption: 'What we learned from complaints and what we changed', head: ['Learning', 'Status', 'Outcome'], rows: r.learning.map((l) => [l.title, l.status, l.outcome ?? '—']) });
  }
  imp.push(...paras(r.text.serviceImprovements));
  if (!imp.length) imp.push({ kind: 'note', text: 'Service improvements will be added here.' });
  sections.push({ id: 'service-improvements', code: '8.1(d)', heading: 'Service improvements made as a result of learning from complaints', blocks: imp });

  // (e) the Ombudsman's annual report on the landlord, and other reports
  const rep: ReportBlock[] = [...paras(r.text.ombudsmanAnnualReport), ...paras(r.text.otherReports)];
  for (const f of r.files) {
    const text = `${f.kind === 'ombudsman_annual_report' ? 'The Ombudsman’s annual report on us' : 'Report'}: ${f.description ? `${f.description} (${f.filename})` : f.filename}`;
    rep.push(f.href ? { kind: 'link', text, href: f.href } : { kind: 'p', text });
  }
  if (!rep.length) rep.push({ kind: 'note', text: 'No annual report from the Ombudsman on us, and no other report about our complaint handling, was issued in the year.' });
  sections.push({ id: 'reports', code: '8.1(e), (f)', heading: 'The Ombudsman’s annual report on us, and other reports', blocks: rep });

  // 8.2 the governing body's response
  const gb: ReportBlock[] = paras(r.text.governingBodyResponse);
  if (gb.length && r.text.governingBodyResponseOn) gb.unshift({ kind: 'p', text: `Our governing body considered this report on ${formatLongDate(r.text.governingBodyResponseOn)} and responded as follows.` });
  if (!gb.length) gb.push({ kind: 'note', text: 'The governing body’s response will be added when it has considered the report.' });
  sections.push({ id: 'governing-body', code: '8.2', heading: 'Our governing body’s response', blocks: gb });

  return {
    title: `Annual complaints performance and service improvement report ${r.year.label}`,
    landlordName: r.landlordName,
    yearLabel: r.year.label,
    publishedOn: r.publishedOn,
    sections,
  };
}
