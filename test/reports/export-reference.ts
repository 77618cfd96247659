/**
 * The data export as it was made before it was streamed (commit ca54c82): every table read whole
 * with `select *`, the stages from `ReportService.facts` (the stored facts folded back into each
 * complaint), and each CSV made in one piece by `toCsv`. The one change: rows that share an
 * instant are put in id order (before, their order among themselves was whatever the database
 * gave), so that the streamed export, which pages through that order, can be compared byte for byte.
 */
import type { Db } from '../../src/db/database.js';
import type { ReportService } from '../../src/services/reports.js';
import { EXPORT_SCHEMA } from '../../src/services/data-export.js';
import { toCsv } from '../../src/core/csv.js';

export async function referenceCsvFiles(db: Db, reports: ReportService, mayRestricted: boolean): Promise<Record<string, string>> {
  const complaints = await db
    .selectFrom('complaints')
    .leftJoin('residents', 'residents.id', 'complaints.resident_id')
    .leftJoin('users as h1', 'h1.id', 'complaints.stage1_handler_id')
    .leftJoin('users as h2', 'h2.id', 'complaints.stage2_handler_id')
    .selectAll('complaints')
    .select(['residents.reference as resident_reference', 'residents.tenure', 'h1.email as stage1_handler_email', 'h2.email as stage2_handler_email'])
    .orderBy('complaints.received_at')
    .orderBy('complaints.id')
    .execute();
  const facts = await reports.facts('9999-12-31');
  const stages = facts.flatMap((f) =>
    f.stages.map((s) => ({
      complaint_id: f.id,
      reference: f.reference,
      stage: s.stage,
      started_on: s.startedOn,
      acknowledgement_due: s.acknowledgementDue,
      acknowledged_on: s.acknowledgedOn,
      response_due_original: s.dueOriginal,
      response_due_compliant: s.dueCompliant,
      response_due_in_force: s.dueInForce,
      responded_on: s.respondedOn,
      outcome: s.outcome,
      ended_how: s.ended?.how ?? null,
      ended_on: s.ended?.on ?? null,
      refusal_ground: s.ended?.ground ?? null,
      extensions: s.extensions.length,
      extensions_detail: s.extensions.length ? s.extensions : null,
    })),
  );
  const all = async (table: string, order = 'created_at') => (await (db as any).selectFrom(table).selectAll().orderBy(order).orderBy('id').execute()) as Record<string, unknown>[];
  const notes = (await all('notes')).map((n) => (n.restricted && !mayRestricted ? { ...n, body: '[restricted note withheld: ask someone allowed to read restricted notes to export]' } : n));
  const data: Record<string, Record<string, unknown>[]> = {
    complaints: complaints as unknown as Record<string, unknown>[],
    stages,
    residents: await all('residents'),
    resident_needs: await all('resident_needs'),
    contact_restrictions: await all('contact_restrictions'),
    representatives: await all('representatives'),
    history: await all('history', 'id'),
    notes,
    correspondence: await all('correspondence'),
    attachments: (await db
      .selectFrom('attachments')
      .select(['id', 'complaint_id', 'filename', 'content_type', 'size_bytes', 'sha256', 'description', 'uploaded_by', 'created_at'])
      .orderBy('created_at')
      .orderBy('id')
      .execute()) as Record<string, unknown>[],
    remedies: await all('remedies'),
    actions: await all('actions'),
    letters: await all('letters', 'sent_at'),
    service_requests: await all('service_requests'),
  };
  const files: Record<string, string> = {};
  for (const t of EXPORT_SCHEMA) {
    files[`${t.name}.csv`] = toCsv(
      t.columns.map((c) => c.key),
      (data[t.name] ?? []).map((r) => t.columns.map((c) => r[c.key])),
    );
  }
  return files;
}
