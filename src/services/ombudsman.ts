/**
 * Ombudsman cases (rules.md §6): linked to a complaint, with the Ombudsman's reference, its
 * requests for information (due dates, replies, late or overdue: a late reply risks a Complaint
 * Handling Failure Order), the determination with one finding per issue, and its orders and
 * recommendations with "no later than" dates, the evidence of compliance and the date the evidence
 * went to the Ombudsman. A determination with severe maladministration is flagged for the member
 * responsible for complaints (governance), who records when it was reported to them.
 *
 * Every change writes a history row on the complaint in the same transaction.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { OmbudsmanCaseRow, OmbudsmanOrderRow } from '../db/schema.js';
import { isValidLocalDate, londonDateOf, type LocalDate } from '../core/dates.js';
import {
  CHFO_NOTE,
  FINDINGS,
  FINDING_LABELS,
  ISSUE_KINDS,
  ISSUE_KIND_LABELS,
  OMBUDSMAN_LABELS,
  ORDER_STATE_LABELS,
  isSevere,
  orderState,
  overallFinding,
  requestState,
  type Finding,
  type IssueKind,
  type OrderKind,
} from '../core/ombudsman.js';
import { RuleViolation } from '../core/lifecycle.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory } from './history.js';

type Clock = () => Date;

export interface OmbudsmanCaseInput {
  complaintId: string;
  reference: string;
  ombudsman?: 'HOS' | 'LGSCO';
  openedOn?: LocalDate | null;
  ownerUserId?: string | null;
}

export interface InformationRequestInput {
  requestedOn: LocalDate;
  dueOn: LocalDate;
  what: string;
}

export interface DeterminationInput {
  determinedOn: LocalDate;
  summary?: string | null;
  findings: { issue: string; issueKind: IssueKind; finding: Finding; note?: string | null }[];
  orders?: { kind: OrderKind; description: string; dueOn?: LocalDate | null; amountPence?: number | null; ownerUserId?: string | null }[];
}

export interface OrderProgress {
  compliedOn?: LocalDate | null;
  evidence?: string | null;
  evidenceSentOn?: LocalDate | null;
  declinedReason?: string | null;
}

const blank = (s: string | null | undefined) => !s || !s.trim();

export class OmbudsmanService {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock = () => new Date(),
  ) {}

  today(): LocalDate {
    return londonDateOf(this.clock());
  }

  private checkDate(d: LocalDate | null | undefined, field: string, opts: { notFuture?: boolean } = {}) {
    if (d === null || d === undefined) return;
    if (!isValidLocalDate(d)) throw new InvalidInput('The date must be a real date written YYYY-MM-DD.', field);
    if (opts.notFuture && d > this.today()) throw new InvalidInput('The date cannot be in the future.', field);
  }

  private async history(trx: Db, actor: Actor, c: OmbudsmanCaseRow, action: string, after: unknown, before?: unknown) {
    const resident = await trx.selectFrom('complaints').select('resident_id').where('id', '=', c.complaint_id).executeTakeFirst();
    await recordHistory(trx, actor, { complaintId: c.complaint_id, residentId: resident?.resident_id ?? null, entity: 'ombudsman_case', entityId: c.id, action, before, after }, this.clock());
  }

  /** Lock the case and check the caller's version; every change bumps it. */
  private async lockCase(trx: Db, id: string, version: number | null): Promise<OmbudsmanCaseRow> {
    const row = await trx.selectFrom('ombudsman_cases').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!row) throw new NotFound('The Ombudsman case');
    if (version !== null && row.version !== version) throw new VersionConflict('The Ombudsman case', row.version);
    return row;
  }

  private async bump(trx: Db, row: OmbudsmanCaseRow, cols: Record<string, unknown> = {}): Promise<OmbudsmanCaseRow> {
    return trx
      .updateTable('ombudsman_cases')
      .set({ ...(cols as any), version: row.version + 1, updated_at: this.clock() })
      .where('id', '=', row.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  private async checkOwner(trx: Db, id: string | null | undefined, field: string) {
    if (!id) return;
    const u = await trx.selectFrom('users').select(['id', 'active']).where('id', '=', id).executeTakeFirst();
    if (!u || !u.active) throw new InvalidInput('There is no active member of staff with that id.', field);
  }

  // ------------------------------------------------------------------ reading

  async view(trx: Db, row: OmbudsmanCaseRow) {
    const today = this.today();
    const [complaint, requests, findings, orders] = await Promise.all([
      trx.selectFrom('complaints').select(['reference']).where('id', '=', row.complaint_id).executeTakeFirst(),
      trx.selectFrom('ombudsman_requests').selectAll().where('case_id', '=', row.id).orderBy('due_on').orderBy('id').execute(),
      trx.selectFrom('ombudsman_findings').selectAll().where('case_id', '=', row.id).orderBy('position').orderBy('id').execute(),
      trx.selectFrom('ombudsman_orders').selectAll().where('case_id', '=', row.id).orderBy('due_on').orderBy('position').orderBy('id').execute(),
    ]);
    const ownerIds = [row.owner_user_id, ...orders.map((o) => o.owner_user_id)].filter((x): x is string => !!x);
    const names = new Map(ownerIds.length ? (await trx.selectFrom('users').select(['id', 'name']).where('id', 'in', ownerIds).execute()).map((u) => [u.id, u.name]) : []);
    const fs = findings.map((f) => f.finding as Finding);
    return {
      id: row.id,
      complaintId: row.complaint_id,
      complaintReference: complaint?.reference ?? '',
      reference: row.reference,
      ombudsman: row.ombudsman,
      ombudsmanLabel: OMBUDSMAN_LABELS[row.ombudsman as 'HOS'] ?? row.ombudsman,
      openedOn: row.opened_on,
      owner: row.owner_user_id ? { userId: row.owner_user_id, name: names.get(row.owner_user_id) ?? null } : null,
      status: row.status,
      determinedOn: row.determined_on,
      determinationSummary: row.determination_summary,
      overallFinding: overallFinding(fs),
      severeMaladministration: isSevere(fs),
      mrcReportedOn: row.mrc_reported_on,
      closedOn: row.closed_on,
      chfoNote: CHFO_NOTE,
      requests: requests.map((r) => {
        const state = requestState({ dueOn: r.due_on, repliedOn: r.replied_on }, today);
        return { id: r.id, requestedOn: r.requested_on, dueOn: r.due_on, what: r.what, repliedOn: r.replied_on, replyNote: r.reply_note, state, late: state === 'late' || state === 'overdue' };
      }),
      findings: findings.map((f) => ({
        id: f.id,
        issue: f.issue,
        issueKind: f.issue_kind,
        issueKindLabel: ISSUE_KIND_LABELS[f.issue_kind as IssueKind] ?? f.issue_kind,
        finding: f.finding,
        findingLabel: FINDING_LABELS[f.finding as Finding] ?? f.finding,
        note: f.note,
      })),
      orders: orders.map((o) => this.orderView(o, today, names)),
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      version: row.version,
    };
  }

  private orderView(o: OmbudsmanOrderRow, today: LocalDate, names: Map<string, string>) {
    const state = orderState({ kind: o.kind as OrderKind, dueOn: o.due_on, compliedOn: o.complied_on, evidenceSentOn: o.evidence_sent_on, declinedReason: o.declined_reason }, today);
    return {
      id: o.id,
      caseId: o.case_id,
      kind: o.kind,
      description: o.description,
      amountPence: o.amount_pence,
      dueOn: o.due_on,
      owner: o.owner_user_id ? { userId: o.owner_user_id, name: names.get(o.owner_user_id) ?? null } : null,
      compliedOn: o.complied_on,
      evidence: o.evidence,
      evidenceSentOn: o.evidence_sent_on,
      declinedReason: o.declined_reason,
      state,
      stateLabel: ORDER_STATE_LABELS[state],
      overdue: state === 'overdue',
      version: o.version,
    };
  }

  async get(actor: Actor, id: string) {
    requirePermission(actor, 'ombudsman:read');
    const row = await this.db.selectFrom('ombudsman_cases').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw new NotFound('The Ombudsman case');
    return this.view(this.db, row);
  }

  async list(actor: Actor, f: { complaintId?: string; status?: string; severe?: boolean; limit?: number } = {}) {
    requirePermission(actor, 'ombudsman:read');
    let q = this.db.selectFrom('ombudsman_cases').selectAll();
    if (f.complaintId) q = q.where('complaint_id', '=', f.complaintId);
    if (f.status) q = q.where('status', '=', f.status);
    if (f.severe) q = q.where((eb) => eb.exists(eb.selectFrom('ombudsman_findings as f').select('f.id').whereRef('f.case_id', '=', 'ombudsman_cases.id').where('f.finding', '=', 'severe_maladministration')));
    const rows = await q.orderBy('opened_on', 'desc').orderBy('id').limit(Math.min(Math.max(f.limit ?? 200, 1), 500)).execute();
    const out = [];
    for (const r of rows) out.push(await this.view(this.db, r));
    return out;
  }

  /** Orders and recommendations not yet complied with (evidence sent), overdue first. */
  async openOrders(actor: Actor) {
    requirePermission(actor, 'ombudsman:read');
    const today = this.today();
    const rows = await this.db
      .selectFrom('ombudsman_orders as o')
      .innerJoin('ombudsman_cases as c', 'c.id', 'o.case_id')
      .innerJoin('complaints as k', 'k.id', 'c.complaint_id')
      .selectAll('o')
      .select(['c.reference as case_reference', 'c.complaint_id', 'k.reference as complaint_reference'])
      .where((eb) => eb.or([eb('o.complied_on', 'is', null), eb('o.evidence_sent_on', 'is', null)]))
      .where('o.declined_reason', 'is', null)
      .orderBy(sql`case when o.due_on < ${today} then 0 else 1 end`)
      .orderBy('o.due_on', (ob) => ob.asc().nullsLast())
      .orderBy('c.id')
      .orderBy('o.position')
      .limit(500)
      .execute();
    const ownerIds = rows.map((o) => o.owner_user_id).filter((x): x is string => !!x);
    const names = new Map(ownerIds.length ? (await this.db.selectFrom('users').select(['id', 'name']).where('id', 'in', ownerIds).execute()).map((u) => [u.id, u.name]) : []);
    return rows.map((o) => ({ ...this.orderView(o, today, names), caseReference: o.case_reference, complaintId: o.complaint_id, complaintReference: o.complaint_reference }));
  }

  // ------------------------------------------------------------------ changing

  async create(actor: Actor, input: OmbudsmanCaseInput) {
    requirePermission(actor, 'ombudsman:write');
    if (blank(input.reference)) throw new InvalidInput('Give the Ombudsman’s reference.', 'reference');
    this.checkDate(input.openedOn, 'openedOn', { notFuture: true });
    return this.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('complaints').select(['id', 'received_on']).where('id', '=', input.complaintId).executeTakeFirst();
      if (!c) throw new InvalidInput('There is no complaint with that id.', 'complaintId');
      await this.checkOwner(trx, input.ownerUserId, 'ownerUserId');
      const ombudsman = input.ombudsman ?? 'HOS';
      const dup = await trx.selectFrom('ombudsman_cases').select('id').where('ombudsman', '=', ombudsman).where('reference', '=', input.reference.trim()).executeTakeFirst();
      if (dup) throw new InvalidInput('A case with that Ombudsman reference is recorded already.', 'reference');
      const row = await trx
        .insertInto('ombudsman_cases')
        .values({
          complaint_id: c.id,
          reference: input.reference.trim(),
          ombudsman,
          opened_on: input.openedOn ?? this.today(),
          owner_user_id: input.ownerUserId ?? actor.id,
          status: 'open',
          created_by: actor.id,
          created_at: this.clock(),
          updated_at: this.clock(),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.history(trx, actor, row, 'ombudsman_case_opened', { reference: row.reference, ombudsman: row.ombudsman, openedOn: row.opened_on });
      return this.view(trx, row);
    });
  }

  async addRequest(actor: Actor, caseId: string, version: number, input: InformationRequestInput) {
    requirePermission(actor, 'ombudsman:write');
    this.checkDate(input.requestedOn, 'requestedOn', { notFuture: true });
    this.checkDate(input.dueOn, 'dueOn');
    if (input.dueOn < input.requestedOn) throw new InvalidInput('The reply cannot be due before the request was made.', 'dueOn');
    if (blank(input.what)) throw new InvalidInput('Say what the Ombudsman asked for.', 'what');
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockCase(trx, caseId, version);
      const r = await trx.insertInto('ombudsman_requests').values({ case_id: caseId, requested_on: input.requestedOn, due_on: input.dueOn, what: input.what.trim() }).returningAll().executeTakeFirstOrThrow();
      const updated = await this.bump(trx, row);
      await this.history(trx, actor, row, 'ombudsman_information_requested', { requestId: r.id, requestedOn: r.requested_on, dueOn: r.due_on, what: r.what });
      return this.view(trx, updated);
    });
  }

  async replyToRequest(actor: Actor, caseId: string, requestId: string, version: number, input: { repliedOn: LocalDate; note?: string | null }) {
    requirePermission(actor, 'ombudsman:write');
    this.checkDate(input.repliedOn, 'repliedOn', { notFuture: true });
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockCase(trx, caseId, version);
      const r = await trx.selectFrom('ombudsman_requests').selectAll().where('id', '=', requestId).where('case_id', '=', caseId).executeTakeFirst();
      if (!r) throw new NotFound('The request for information');
      if (r.replied_on) throw new RuleViolation('already_replied', `The reply was recorded already (${r.replied_on}).`);
      if (input.repliedOn < r.requested_on) throw new InvalidInput('The reply cannot be before the request.', 'repliedOn');
      await trx.updateTable('ombudsman_requests').set({ replied_on: input.repliedOn, reply_note: input.note?.trim() || null }).where('id', '=', requestId).execute();
      const updated = await this.bump(trx, row);
      await this.history(trx, actor, row, 'ombudsman_information_sent', { requestId, dueOn: r.due_on, repliedOn: input.repliedOn, late: input.repliedOn > r.due_on });
      return this.view(trx, updated);
    });
  }

  /** Record the determination: a finding per issue, and the orders and recommendations made. */
  async determine(actor: Actor, caseId: string, version: number, input: DeterminationInput) {
    requirePermission(actor, 'ombudsman:write');
    this.checkDate(input.determinedOn, 'determinedOn', { notFuture: true });
    if (!input.findings.length) throw new InvalidInput('Record a finding for each issue the Ombudsman decided.', 'findings');
    for (const [i, f] of input.findings.entries()) {
      if (blank(f.issue)) throw new InvalidInput(`Finding ${i + 1}: say what the issue was.`, 'findings');
      if (!(FINDINGS as readonly string[]).includes(f.finding)) throw new InvalidInput(`Finding ${i + 1}: "${f.finding}" is not a finding.`, 'findings');
      if (!(ISSUE_KINDS as readonly string[]).includes(f.issueKind)) throw new InvalidInput(`Finding ${i + 1}: "${f.issueKind}" is not a kind of issue.`, 'findings');
    }
    for (const [i, o] of (input.orders ?? []).entries()) {
      if (blank(o.description)) throw new InvalidInput(`Order ${i + 1}: say what was ordered.`, 'orders');
      if (o.kind === 'order' && !o.dueOn) throw new InvalidInput(`Order ${i + 1}: an order has a “no later than” date.`, 'orders');
      this.checkDate(o.dueOn, 'orders');
      if (o.dueOn && o.dueOn < input.determinedOn) throw new InvalidInput(`Order ${i + 1}: its date cannot be before the determination.`, 'orders');
    }
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockCase(trx, caseId, version);
      if (row.status !== 'open') throw new RuleViolation('already_determined', 'The determination is recorded already.');
      if (input.determinedOn < row.opened_on) throw new InvalidInput('The determination cannot be before the case was opened.', 'determinedOn');
      for (const o of input.orders ?? []) await this.checkOwner(trx, o.ownerUserId, 'orders');
      await trx
        .insertInto('ombudsman_findings')
        .values(input.findings.map((f, i) => ({ case_id: caseId, issue: f.issue.trim(), issue_kind: f.issueKind, finding: f.finding, note: f.note?.trim() || null, position: i })))
        .execute();
      if (input.orders?.length) {
        await trx
          .insertInto('ombudsman_orders')
          .values(
            input.orders.map((o, i) => ({
              case_id: caseId,
              position: i,
              kind: o.kind,
              description: o.description.trim(),
              due_on: o.dueOn ?? null,
              amount_pence: o.amountPence ?? null,
              owner_user_id: o.ownerUserId ?? row.owner_user_id,
              created_at: this.clock(),
              updated_at: this.clock(),
            })),
          )
          .execute();
      }
      const updated = await this.bump(trx, row, { status: 'determined', determined_on: input.determinedOn, determination_summary: input.summary?.trim() || null });
      const severe = isSevere(input.findings.map((f) => f.finding));
      await this.history(trx, actor, row, 'ombudsman_determination', {
        determinedOn: input.determinedOn,
        findings: input.findings.map((f) => ({ issue: f.issue, finding: f.finding })),
        orders: (input.orders ?? []).map((o) => ({ kind: o.kind, description: o.description, dueOn: o.dueOn ?? null })),
        severeMaladministration: severe,
      });
      return this.view(trx, updated);
    });
  }

  /** Record compliance with an order, the evidence, and when the evidence went to the Ombudsman. */
  async orderProgress(actor: Actor, orderId: string, version: number, p: OrderProgress) {
    requirePermission(actor, 'ombudsman:write');
    this.checkDate(p.compliedOn, 'compliedOn', { notFuture: true });
    this.checkDate(p.evidenceSentOn, 'evidenceSentOn', { notFuture: true });
    return this.db.transaction().execute(async (trx) => {
      const o = await trx.selectFrom('ombudsman_orders').selectAll().where('id', '=', orderId).forUpdate().executeTakeFirst();
      if (!o) throw new NotFound('The order');
      if (o.version !== version) throw new VersionConflict('The order', o.version);
      const next = {
        complied_on: p.compliedOn === undefined ? o.complied_on : p.compliedOn,
        evidence: p.evidence === undefined ? o.evidence : p.evidence?.trim() || null,
        evidence_sent_on: p.evidenceSentOn === undefined ? o.evidence_sent_on : p.evidenceSentOn,
        declined_reason: p.declinedReason === undefined ? o.declined_reason : p.declinedReason?.trim() || null,
      };
      if (next.complied_on && !next.evidence) throw new InvalidInput('Describe the evidence of compliance.', 'evidence');
      if (next.evidence_sent_on && !next.complied_on) throw new InvalidInput('Record when it was complied with before the evidence was sent.', 'evidenceSentOn');
      if (next.evidence_sent_on && next.complied_on && next.evidence_sent_on < next.complied_on) throw new InvalidInput('The evidence cannot have gone before compliance.', 'evidenceSentOn');
      if (next.declined_reason && o.kind === 'order') throw new InvalidInput('An order binds the landlord: it cannot be declined. Only a recommendation can.', 'declinedReason');
      const c = await this.lockCase(trx, o.case_id, null);
      const updated = await trx
        .updateTable('ombudsman_orders')
        .set({ ...next, version: o.version + 1, updated_at: this.clock() })
        .where('id', '=', orderId)
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.bump(trx, c);
      const action = next.evidence_sent_on && !o.evidence_sent_on ? 'ombudsman_order_evidence_sent' : next.complied_on && !o.complied_on ? 'ombudsman_order_complied' : 'ombudsman_order_changed';
      await this.history(trx, actor, c, action, { orderId, kind: updated.kind, description: updated.description, dueOn: updated.due_on, ...next }, { complied_on: o.complied_on, evidence_sent_on: o.evidence_sent_on });
      return this.orderView(updated, this.today(), new Map());
    });
  }

  /** Governance records that a severe maladministration finding was reported to the MRC. */
  async reportToMrc(actor: Actor, caseId: string, version: number, on: LocalDate) {
    requirePermission(actor, 'ombudsman:mrc');
    this.checkDate(on, 'on', { notFuture: true });
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockCase(trx, caseId, version);
      const updated = await this.bump(trx, row, { mrc_reported_on: on });
      await this.history(trx, actor, row, 'ombudsman_reported_to_mrc', { on });
      return this.view(trx, updated);
    });
  }

  async close(actor: Actor, caseId: string, version: number, on: LocalDate) {
    requirePermission(actor, 'ombudsman:write');
    this.checkDate(on, 'on', { notFuture: true });
    return this.db.transaction().execute(async (trx) => {
      const row = await this.lockCase(trx, caseId, version);
      const open = await trx.selectFrom('ombudsman_orders').select('id').where('case_id', '=', caseId).where('declined_reason', 'is', null).where((eb) => eb.or([eb('complied_on', 'is', null), eb('evidence_sent_on', 'is', null)])).where('kind', '=', 'order').execute();
      if (open.length) throw new RuleViolation('orders_open', `${open.length} order(s) are not yet complied with and evidenced to the Ombudsman.`);
      const updated = await this.bump(trx, row, { status: 'closed', closed_on: on });
      await this.history(trx, actor, row, 'ombudsman_case_closed', { on });
      return this.view(trx, updated);
    });
  }

  /** Figures for a period: cases opened, determinations, findings by kind, orders made, complied and overdue, requests replied late. */
  async figures(from: LocalDate, to: LocalDate) {
    if (to < from) throw new InvalidInput('The period ends before it starts.', 'to');
    const today = this.today();
    const asAt = to < today ? to : today;
    const inP = (d: string | null) => !!d && d >= from && d <= to;
    const cases = await this.db.selectFrom('ombudsman_cases').select(['id', 'opened_on', 'determined_on']).where('opened_on', '<=', to).execute();
    const determined = new Map(cases.filter((c) => inP(c.determined_on)).map((c) => [c.id, c]));
    const findings = determined.size ? await this.db.selectFrom('ombudsman_findings').select(['case_id', 'finding', 'issue_kind']).where('case_id', 'in', [...determined.keys()]).execute() : [];
    const byFinding = FINDINGS.map((f) => ({ finding: f, label: FINDING_LABELS[f], count: findings.filter((x) => x.finding === f).length }));
    const byIssue = ISSUE_KINDS.map((k) => ({ issueKind: k, label: ISSUE_KIND_LABELS[k], count: findings.filter((x) => x.issue_kind === k).length, adverse: findings.filter((x) => x.issue_kind === k && ['service_failure', 'maladministration', 'severe_maladministration'].includes(x.finding)).length }));
    const overall = { maladministration: 0, partial_maladministration: 0, no_maladministration: 0 };
    for (const id of determined.keys()) {
      const o = overallFinding(findings.filter((f) => f.case_id === id).map((f) => f.finding as Finding));
      if (o !== 'none') overall[o]++;
    }
    const orders = await this.db
      .selectFrom('ombudsman_orders as o')
      .innerJoin('ombudsman_cases as c', 'c.id', 'o.case_id')
      .select(['o.kind', 'o.due_on', 'o.complied_on', 'o.evidence_sent_on', 'o.declined_reason', 'o.amount_pence', 'c.determined_on'])
      .where('c.determined_on', '<=', to)
      .execute();
    const requests = await this.db.selectFrom('ombudsman_requests').select(['due_on', 'replied_on']).where('requested_on', '<=', to).execute();
    return {
      casesOpened: cases.filter((c) => inP(c.opened_on)).length,
      determinations: determined.size,
      severeMaladministration: [...determined.keys()].filter((id) => findings.some((f) => f.case_id === id && f.finding === 'severe_maladministration')).length,
      overall,
      findingsByKind: byFinding,
      findingsByIssue: byIssue,
      orders: {
        made: orders.filter((o) => o.kind === 'order' && inP(o.determined_on)).length,
        recommendationsMade: orders.filter((o) => o.kind === 'recommendation' && inP(o.determined_on)).length,
        compensationOrderedPence: orders.filter((o) => inP(o.determined_on)).reduce((n, o) => n + (o.amount_pence ?? 0), 0),
        compliedInPeriod: orders.filter((o) => inP(o.complied_on)).length,
        compliedOnTime: orders.filter((o) => inP(o.complied_on) && o.due_on && o.complied_on! <= o.due_on).length,
        evidenceSentInPeriod: orders.filter((o) => inP(o.evidence_sent_on)).length,
        overdueAtEnd: orders.filter((o) => o.kind === 'order' && o.due_on && o.due_on < asAt && (!o.complied_on || o.complied_on > asAt)).length,
        openAtEnd: orders.filter((o) => o.kind === 'order' && (!o.evidence_sent_on || o.evidence_sent_on > asAt)).length,
      },
      informationRequests: {
        dueInPeriod: requests.filter((r) => inP(r.due_on)).length,
        repliedLate: requests.filter((r) => inP(r.replied_on) && r.replied_on! > r.due_on).length,
        overdueAtEnd: requests.filter((r) => r.due_on < asAt && (!r.replied_on || r.replied_on > asAt)).length,
      },
    };
  }
}
