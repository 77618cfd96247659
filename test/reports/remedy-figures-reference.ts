/**
 * The putting-things-right figures as RemedyService.figures computed them before issue 9: every
 * remedy and action overlapping the period read whole and folded in memory. Kept only here, as
 * the reference the SQL figures (src/services/remedy-figure-queries.ts) must equal exactly; the
 * body is the old method's, with `today` passed in instead of read from the clock.
 */
import { sql } from 'kysely';
import type { Db } from '../../src/db/database.js';
import type { RemedyRow } from '../../src/db/schema.js';
import { londonDateOf, type LocalDate } from '../../src/core/dates.js';
import {
  GUIDANCE_NOTE,
  HEAD_LABELS,
  HEADS_OF_AWARD,
  REMEDY_TYPE_LABELS,
  REMEDY_TYPES,
  bandFit,
  bandsFor,
  effectiveStatus,
  lapseDate,
  type AwardHead,
  type HeadOfAward,
  type RemedyRecord,
  type RemedyStatus,
  type RemedyType,
} from '../../src/core/remedies.js';
import { loadRemedySettings, toRemedyRecord } from '../../src/services/remedies.js';


function sum<T extends Record<string, unknown>>(rows: T[], key: keyof T): number {
  return rows.reduce((n, r) => n + (r[key] as number), 0);
}

export async function referenceFigures(db: Db, today: LocalDate, from: LocalDate, to: LocalDate) {
  if (to < from) throw new Error('The period ends before it starts.');
  const asAt = to < today ? to : today;
  const settings = await loadRemedySettings(db);
  const inP = (d: LocalDate | null | undefined) => !!d && d >= from && d <= to;
  const finishOf = (r: RemedyRow): LocalDate | null => {
    const rec = toRemedyRecord(r);
    return r.completed_on ?? r.cancelled_on ?? r.declined_on ?? r.lapsed_on ?? (effectiveStatus(rec, today) === 'lapsed' ? lapseDate(rec) : null);
  };

  const remedyRows = await db
    .selectFrom('remedies')
    .selectAll()
    .where('recorded_on', '<=', to)
    .where(sql<LocalDate>`coalesce(completed_on, cancelled_on, declined_on, lapsed_on, case when status = 'offered' then open_until + 1 end, date '9999-12-31')`, '>=', from)
    .execute();

  const byType = new Map(REMEDY_TYPES.map((t) => [t, { type: t, label: REMEDY_TYPE_LABELS[t], recorded: 0, completed: 0, completedOnTime: 0, completedLate: 0, completedWithoutDate: 0, cancelled: 0, openAtEnd: 0, overdueAtEnd: 0 }]));
  const money = () => ({ count: 0, totalPence: 0 });
  const comp = {
    offered: money(),
    accepted: money(),
    declined: money(),
    lapsed: money(),
    paid: money(),
    approvedByAnother: money(),
    recordedAboveProposerLimit: money(),
    acceptedUnpaidAtEnd: money(),
    awaitingApprovalAtEnd: money(),
  };
  const heads = new Map<string, { head: string; label: string; offeredPence: number; paidPence: number }>(
    [...HEADS_OF_AWARD, 'not_broken_down'].map((h) => [h, { head: h, label: h === 'not_broken_down' ? 'Not broken down by head' : HEAD_LABELS[h as HeadOfAward], offeredPence: 0, paidPence: 0 }]),
  );
  const bandCounts = new Map<string, { key: string; label: string; offered: number; offeredPence: number }>(
    [...settings.bands.map((b) => [b.key, { key: b.key, label: b.label, offered: 0, offeredPence: 0 }] as const), ['below_lowest', { key: 'below_lowest', label: 'Below the lowest band', offered: 0, offeredPence: 0 }] as const],
  );
  const fit = { within: 0, below: 0, above: 0, no_band: 0 };
  const add = (m: { count: number; totalPence: number }, p: number) => {
    m.count++;
    m.totalPence += p;
  };
  const addHeads = (r: RemedyRow, key: 'offeredPence' | 'paidPence') => {
    const hs = (r.heads ?? []) as AwardHead[];
    if (hs.length === 0) heads.get('not_broken_down')![key] += r.amount_pence ?? 0;
    for (const h of hs) if (heads.has(h.head)) heads.get(h.head)![key] += h.amountPence;
  };

  for (const r of remedyRows) {
    const t = byType.get(r.type as RemedyType);
    if (!t) continue;
    const finish = finishOf(r);
    if (inP(r.recorded_on)) t.recorded++;
    if ((r.status === 'done' || r.status === 'paid') && inP(r.completed_on)) {
      t.completed++;
      if (!r.due_on) t.completedWithoutDate++;
      else if (r.completed_on! <= r.due_on) t.completedOnTime++;
      else t.completedLate++;
    }
    if (r.status === 'cancelled' && inP(r.cancelled_on)) t.cancelled++;
    const openAtEnd = r.recorded_on <= asAt && (!finish || finish > asAt);
    if (openAtEnd) {
      t.openAtEnd++;
      if (r.due_on && r.due_on < asAt) t.overdueAtEnd++;
    }
    if (r.type !== 'financial' || !r.amount_pence) continue;
    const amount = r.amount_pence;
    if (inP(r.recorded_on) && r.approval_required) add(comp.recordedAboveProposerLimit, amount);
    if (r.approved_by && r.approved_at && inP(londonDateOf(new Date(r.approved_at)))) add(comp.approvedByAnother, amount);
    if (inP(r.offered_on)) {
      add(comp.offered, amount);
      addHeads(r, 'offeredPence');
      const first = bandsFor(amount, settings.bands)[0];
      const b = bandCounts.get(first ? first.key : 'below_lowest');
      if (b) {
        b.offered++;
        b.offeredPence += amount;
      }
      fit[bandFit(amount, r.impact_band, settings.bands)]++;
    }
    if (inP(r.accepted_on)) add(comp.accepted, amount);
    if (inP(r.declined_on)) add(comp.declined, amount);
    const lapsedOn = r.lapsed_on ?? (effectiveStatus(toRemedyRecord(r), today) === 'lapsed' ? lapseDate(toRemedyRecord(r)) : null);
    if (inP(lapsedOn)) add(comp.lapsed, amount);
    if (r.status === 'paid' && inP(r.paid_on)) {
      add(comp.paid, amount);
      addHeads(r, 'paidPence');
    }
    if (r.accepted_on && r.accepted_on <= asAt && (!r.paid_on || r.paid_on > asAt)) add(comp.acceptedUnpaidAtEnd, amount);
    const approvedOn = r.approved_at ? londonDateOf(new Date(r.approved_at)) : null;
    if (r.approval_required && r.recorded_on <= asAt && (!approvedOn || approvedOn > asAt) && (!r.cancelled_on || r.cancelled_on > asAt)) add(comp.awaitingApprovalAtEnd, amount);
  }

  const actionRows = await db
    .selectFrom('actions')
    .selectAll()
    .where('recorded_on', '<=', to)
    .where(sql<LocalDate>`coalesce(completed_on, cancelled_on, date '9999-12-31')`, '>=', from)
    .execute();
  const acts = { recorded: 0, completed: 0, completedOnTime: 0, completedLate: 0, completedWithoutDate: 0, cancelled: 0, dueInPeriod: 0, dueInPeriodDoneByDate: 0, openAtEnd: 0, overdueAtEnd: 0, overdueAtEndWithClosedComplaint: 0 };
  const closed = new Set(
    actionRows.length
      ? (await db.selectFrom('complaints').select('id').where('id', 'in', [...new Set(actionRows.map((a) => a.complaint_id))]).where('status', 'in', ['closed', 'withdrawn', 'refused']).execute()).map((c) => c.id)
      : [],
  );
  for (const a of actionRows) {
    if (inP(a.recorded_on)) acts.recorded++;
    if (a.status === 'done' && inP(a.completed_on)) {
      acts.completed++;
      if (!a.due_on) acts.completedWithoutDate++;
      else if (a.completed_on! <= a.due_on) acts.completedOnTime++;
      else acts.completedLate++;
    }
    if (a.status === 'cancelled' && inP(a.cancelled_on)) acts.cancelled++;
    if (inP(a.due_on)) {
      acts.dueInPeriod++;
      if (a.status === 'done' && a.completed_on! <= a.due_on!) acts.dueInPeriodDoneByDate++;
    }
    const finish = a.completed_on ?? a.cancelled_on;
    if (a.recorded_on <= asAt && (!finish || finish > asAt)) {
      acts.openAtEnd++;
      if (a.due_on && a.due_on < asAt) {
        acts.overdueAtEnd++;
        if (closed.has(a.complaint_id)) acts.overdueAtEndWithClosedComplaint++;
      }
    }
  }

  return {
    period: { from, to, asAt },
    guidanceNote: GUIDANCE_NOTE,
    remedies: {
      byType: [...byType.values()],
      recorded: sum([...byType.values()], 'recorded'),
      completed: sum([...byType.values()], 'completed'),
      completedOnTime: sum([...byType.values()], 'completedOnTime'),
      completedLate: sum([...byType.values()], 'completedLate'),
      openAtEnd: sum([...byType.values()], 'openAtEnd'),
      overdueAtEnd: sum([...byType.values()], 'overdueAtEnd'),
    },
    compensation: {
      ...comp,
      byHead: [...heads.values()],
      byGuidanceBand: [...bandCounts.values()],
      againstImpactBand: fit,
    },
    actions: acts,
  };
}
