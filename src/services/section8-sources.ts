/**
 * Wires the regulator's measures (branch measures), the learning register and Ombudsman cases
 * (branch remedies) into the self-assessment's evidence (9.1, 9.7) and the annual report
 * (8.1 (b) measures, (c) Ombudsman findings of non-compliance, (d) service improvements).
 */
import type { Db } from '../db/database.js';
import type { LocalDate } from '../core/dates.js';
import { LEARNING_STATUS_LABELS, type LearningStatus } from '../core/learning.js';
import { ADVERSE_FINDINGS, FINDING_LABELS, type Finding } from '../core/ombudsman.js';
import { SYSTEM_ACTOR } from './actor.js';
import type { AnnualReportService } from './annual-reports.js';
import type { EvidenceService } from './evidence.js';
import type { ReportService } from './reports.js';

const pct = (v: number | null) => (v === null ? 'not available' : `${v.toFixed(1)}%`);
const NUM = new Intl.NumberFormat('en-GB');

export function wireSection8(db: Db, s: { evidence: EvidenceService; annualReports: AnnualReportService; reports: ReportService }) {
  s.annualReports.sources.measures = async (from: LocalDate) => {
    const r = await s.reports.tsmFor(SYSTEM_ACTOR, Number(from.slice(0, 4)));
    const lines: { label: string; value: string }[] = [];
    for (const st of r.stages) {
      const ch01 = st.ch01.find((l) => l.tenure === 'total');
      const ch02 = st.ch02.find((l) => l.tenure === 'total');
      if (ch01) {
        lines.push({
          label: `CH01 stage ${st.stage} complaints per 1,000 homes`,
          value: ch01.per1000 === null ? `${NUM.format(ch01.received.count)} complaints (home counts not entered)` : `${ch01.per1000.toFixed(2)} (${NUM.format(ch01.received.count)} complaints, ${NUM.format(ch01.homes ?? 0)} homes)`,
        });
      }
      if (ch02) {
        lines.push({
          label: `CH02 stage ${st.stage} responses within the Code’s timescale`,
          value: `${pct(ch02.percentOriginal)} against the original date; ${pct(ch02.percentCompliant)} counting Code-compliant extensions (${NUM.format(ch02.responded.count)} responses)`,
        });
      }
    }
    return lines;
  };

  const adverseComplaintHandling = (from: LocalDate, to: LocalDate) =>
    db
      .selectFrom('ombudsman_cases as c')
      .innerJoin('ombudsman_findings as f', 'f.case_id', 'c.id')
      .select(['c.id', 'c.reference', 'f.issue', 'f.finding'])
      .where('c.determined_on', '>=', from)
      .where('c.determined_on', '<=', to)
      .where('f.issue_kind', '=', 'complaint_handling')
      .where('f.finding', 'in', [...ADVERSE_FINDINGS])
      .orderBy('c.determined_on')
      .orderBy('f.position')
      .execute();

  s.annualReports.sources.ombudsmanCases = async (from, to) => {
    const rows = await adverseComplaintHandling(from, to);
    if (rows.length === 0) return null;
    const ids = [...new Set(rows.map((r) => r.id))];
    const orders = await db.selectFrom('ombudsman_orders').select(['case_id', 'description']).where('case_id', 'in', ids).orderBy('position').execute();
    return ids.map((id) => ({
      reference: rows.find((r) => r.id === id)!.reference,
      finding: rows
        .filter((r) => r.id === id)
        .map((r) => `${FINDING_LABELS[r.finding as Finding] ?? r.finding}: ${r.issue}`)
        .join('; '),
      orders: orders.filter((o) => o.case_id === id).map((o) => o.description).join('; ') || 'None',
    }));
  };

  s.annualReports.sources.learning = async (from, to) => {
    const rows = await db
      .selectFrom('learning_items')
      .select(['status', 'what_went_wrong', 'recommendation', 'improvement', 'we_did', 'service_area', 'improved_on'])
      .where('improved_on', '>=', from)
      .where('improved_on', '<=', to)
      .orderBy('improved_on')
      .orderBy('id')
      .limit(200)
      .execute();
    if (rows.length === 0) return null;
    return rows.map((r) => ({
      title: [r.service_area, r.what_went_wrong ?? r.recommendation].filter(Boolean).join(': ') || 'Learning from a complaint',
      status: LEARNING_STATUS_LABELS[r.status as LearningStatus] ?? r.status,
      outcome: r.we_did ?? r.improvement,
    }));
  };

  s.evidence.learning = async (from, to) => {
    const rows = await db.selectFrom('learning_items').select(['recorded_on', 'improved_on']).where((eb) => eb.or([eb.and([eb('recorded_on', '>=', from), eb('recorded_on', '<=', to)]), eb.and([eb('improved_on', '>=', from), eb('improved_on', '<=', to)])])).execute();
    return { raised: rows.filter((r) => r.recorded_on >= from && r.recorded_on <= to).length, done: rows.filter((r) => !!r.improved_on && r.improved_on >= from && r.improved_on <= to).length };
  };

  s.evidence.ombudsman = async (from, to) => {
    const determined = await db.selectFrom('ombudsman_cases').select('id').where('determined_on', '>=', from).where('determined_on', '<=', to).execute();
    const adverse = new Set((await adverseComplaintHandling(from, to)).map((r) => r.id));
    return { determinations: determined.length, nonComplianceFindings: adverse.size };
  };
}
