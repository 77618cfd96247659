/**
 * Export of all complaint data, so a landlord is never locked in: every complaint, its stages
 * and dates, residents and their needs, restrictions and representatives, the full append-only
 * history (with each lifecycle event, from which every case can be rebuilt), notes,
 * correspondence, attachment details, remedies, actions, letters and service requests.
 *
 * As one XLSX workbook (a sheet per table) or a ZIP of CSV files (one per table, UTF-8, RFC 4180,
 * with a README describing every column). The schema is `EXPORT_SCHEMA`, documented in
 * docs/export-schema.md; `schemaVersion` changes whenever a column is added or changed.
 */
import { strToU8, zipSync } from 'fflate';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';
import { actorCan, requirePermission } from './actor.js';
import type { ReportService } from './reports.js';
import { sheetCsv, sheetsXlsx, type Sheet } from './spreadsheets.js';

export const EXPORT_SCHEMA_VERSION = 'putright-export-1';

type Col = { key: string; label: string };
const c = (key: string, label: string): Col => ({ key, label });

export interface ExportTable {
  name: string;
  description: string;
  columns: Col[];
}

/** Every table in the export, its columns and what each holds. */
export const EXPORT_SCHEMA: ExportTable[] = [
  {
    name: 'complaints',
    description: 'One row per complaint: what it is about, where it stands, who handles it.',
    columns: [
      c('id', 'Complaint id (UUID); other tables refer to it as complaint_id'),
      c('reference', 'Reference shown to residents, e.g. CMP-000123'),
      c('received_at', 'When it was received (UTC, ISO 8601)'),
      c('received_on', 'The working day its clocks count from (YYYY-MM-DD, Europe/London)'),
      c('channel', 'How it was made: phone, email, letter, web, in_person, social_media, text, other'),
      c('status', 'awaiting_acknowledgement, investigating, responded, refused, withdrawn or closed'),
      c('stage', '1 or 2'),
      c('outcome', 'Latest stage outcome: upheld, partly_upheld, not_upheld'),
      c('resident_id', 'The resident (residents.id); empty when anonymous'),
      c('resident_reference', 'The resident’s reference'),
      c('tenure', 'The resident’s tenure: LCRA, LCHO or other'),
      c('representative_id', 'The representative acting for the resident (representatives.id)'),
      c('anonymous', 'true when made anonymously'),
      c('service_area', 'Service area'),
      c('category', 'Category'),
      c('contractor', 'Contractor involved'),
      c('issue_arose', 'When the issue arose (YYYY-MM-DD)'),
      c('description', 'The complaint in the resident’s words'),
      c('outcome_sought', 'What the resident wants'),
      c('help_needed', 'Help the resident needs to make the complaint'),
      c('service_request_id', 'The service request it came from'),
      c('stage1_handler_email', 'Stage 1 handler'),
      c('stage2_handler_email', 'Stage 2 handler'),
      c('vulnerable', 'true when a vulnerability is recorded'),
      c('extended', 'true when the current stage was extended'),
      c('rule_version', 'Which Code applies: 2024 or 2022'),
      c('next_due_on', 'Next deadline (YYYY-MM-DD)'),
      c('next_due_kind', 'acknowledgement, response or update'),
      c('closed_on', 'When closed (YYYY-MM-DD)'),
      c('created_at', 'When the record was created (UTC)'),
      c('updated_at', 'When the record last changed (UTC)'),
    ],
  },
  {
    name: 'stages',
    description: 'One row per stage of each complaint, with every date the measures use (from the complaint’s history).',
    columns: [
      c('complaint_id', 'complaints.id'),
      c('reference', 'complaints.reference'),
      c('stage', '1 or 2'),
      c('started_on', 'Received (stage 1) or escalation requested (stage 2), YYYY-MM-DD'),
      c('acknowledgement_due', 'Acknowledgement due'),
      c('acknowledged_on', 'Acknowledged'),
      c('response_due_original', 'Response date first told (projected before acknowledgement)'),
      c('response_due_compliant', 'Response date after Code-compliant extensions'),
      c('response_due_in_force', 'Response date after every extension'),
      c('responded_on', 'Response sent'),
      c('outcome', 'upheld, partly_upheld, not_upheld'),
      c('ended_how', 'refused or withdrawn, when the stage ended without a response'),
      c('ended_on', 'When it ended without a response'),
      c('refusal_ground', 'The policy ground for a refusal'),
      c('extensions', 'Number of extensions'),
      c('extensions_detail', 'Each extension as JSON: previousDue, newDue, residentToldOn, beyondCap, goodReason, toldLate, compliant'),
    ],
  },
  {
    name: 'residents',
    description: 'Residents who have made complaints or service requests.',
    columns: ['id', 'reference', 'title', 'given_name', 'family_name', 'email', 'phone', 'address_line1', 'address_line2', 'town', 'postcode', 'property_reference', 'tenure', 'preferred_contact', 'communication_needs', 'language', 'created_at', 'updated_at'].map((k) =>
      c(k, k === 'communication_needs' ? 'JSON list of communication needs' : k.replace(/_/g, ' ')),
    ),
  },
  {
    name: 'resident_needs',
    description: 'Vulnerabilities, disabilities and reasonable adjustments, with review dates.',
    columns: ['id', 'resident_id', 'kind', 'description', 'disclosed_on', 'review_on', 'ended_on', 'recorded_by', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'contact_restrictions',
    description: 'Contact restrictions with reasons, proportionality and review dates.',
    columns: ['id', 'resident_id', 'restriction', 'reason', 'proportionality', 'equality_considerations', 'starts_on', 'review_on', 'ends_on', 'decided_by', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'representatives',
    description: 'People acting for residents, with the consent evidence.',
    columns: ['id', 'resident_id', 'name', 'relationship', 'email', 'phone', 'address', 'consent_evidence', 'consent_recorded_on', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'history',
    description: 'The append-only record of every change, in order. Rows with an event are the complaint’s lifecycle events (JSON), from which its state and every deadline can be rebuilt.',
    columns: [
      c('id', 'Order of recording'),
      c('complaint_id', 'complaints.id'),
      c('resident_id', 'residents.id'),
      c('entity', 'What changed: complaint, note, remedy, action, letter, resident…'),
      c('entity_id', 'Its id'),
      c('action', 'What happened'),
      c('event', 'The lifecycle event (JSON), for complaint changes'),
      c('before', 'The values before (JSON)'),
      c('after', 'The values after (JSON)'),
      c('actor_label', 'Who did it'),
      c('at', 'When (UTC)'),
    ],
  },
  {
    name: 'notes',
    description: 'Case notes. The text of a restricted note is exported only to someone allowed to read restricted notes; otherwise it says it is withheld.',
    columns: ['id', 'complaint_id', 'restricted', 'body', 'author_id', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'correspondence',
    description: 'Every message in and out on a case.',
    columns: ['id', 'complaint_id', 'direction', 'channel', 'subject', 'body', 'counterpart', 'occurred_at', 'recorded_by', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'attachments',
    description: 'Documents on a case (details and SHA-256; the files themselves through GET /api/v1/complaints/{id}/attachments/{attachmentId}).',
    columns: ['id', 'complaint_id', 'filename', 'content_type', 'size_bytes', 'sha256', 'description', 'uploaded_by', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'remedies',
    description: 'Remedies offered and their progress to completion; financial ones in pence.',
    columns: ['id', 'complaint_id', 'stage', 'type', 'description', 'status', 'due_on', 'amount_pence', 'heads', 'impact_band', 'approved_by', 'offered_on', 'accepted_on', 'declined_on', 'lapsed_on', 'paid_on', 'payment_method', 'payment_reference', 'completed_on', 'cancelled_on', 'recorded_on'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'actions',
    description: 'Outstanding actions and their progress.',
    columns: ['id', 'complaint_id', 'stage', 'remedy_id', 'description', 'status', 'owner_team', 'contractor', 'due_on', 'last_resident_update_on', 'completed_on', 'cancelled_on', 'recorded_on'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'letters',
    description: 'Letters sent, with their words exactly as sent.',
    columns: ['id', 'complaint_id', 'kind', 'stage', 'subject', 'body_text', 'channel', 'to_address', 'sent_by_name', 'sent_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
  {
    name: 'service_requests',
    description: 'Service requests (not complaints), recorded and reviewed.',
    columns: ['id', 'reference', 'resident_id', 'received_at', 'channel', 'service_area', 'category', 'description', 'status', 'last_reviewed_on', 'closed_on', 'created_at'].map((k) => c(k, k.replace(/_/g, ' '))),
  },
];

export class DataExportService {
  constructor(
    private readonly db: Db,
    private readonly reports: ReportService,
  ) {}

  /** Every table's rows, in the schema's columns. */
  async sheets(actor: Actor): Promise<Sheet[]> {
    requirePermission(actor, 'data:export');
    const db = this.db;
    const mayRestricted = actorCan(actor, 'notes:restricted');
    const complaints = await db
      .selectFrom('complaints')
      .leftJoin('residents', 'residents.id', 'complaints.resident_id')
      .leftJoin('users as h1', 'h1.id', 'complaints.stage1_handler_id')
      .leftJoin('users as h2', 'h2.id', 'complaints.stage2_handler_id')
      .selectAll('complaints')
      .select(['residents.reference as resident_reference', 'residents.tenure', 'h1.email as stage1_handler_email', 'h2.email as stage2_handler_email'])
      .orderBy('complaints.received_at')
      .execute();
    const facts = await this.reports.facts('9999-12-31');
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
    const all = async (table: string, order = 'created_at') => (await (db as any).selectFrom(table).selectAll().orderBy(order).execute()) as Record<string, unknown>[];
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
      attachments: (await db.selectFrom('attachments').select(['id', 'complaint_id', 'filename', 'content_type', 'size_bytes', 'sha256', 'description', 'uploaded_by', 'created_at']).orderBy('created_at').execute()) as Record<string, unknown>[],
      remedies: await all('remedies'),
      actions: await all('actions'),
      letters: await all('letters', 'sent_at'),
      service_requests: await all('service_requests'),
    };
    return EXPORT_SCHEMA.map((t) => ({ name: t.name, columns: t.columns, rows: data[t.name] ?? [] }));
  }

  async xlsx(actor: Actor, landlordName: string): Promise<Buffer> {
    const sheets = await this.sheets(actor);
    // Column headers are the machine names, so the workbook and the CSV files read the same way.
    return sheetsXlsx(
      sheets.map((s) => ({ ...s, columns: s.columns.map((col) => ({ key: col.key, label: col.key })) })),
      { title: `Complaint data export (${EXPORT_SCHEMA_VERSION})`, creator: landlordName },
    );
  }

  /** A ZIP of one CSV per table, with README.txt describing every column. */
  async csvZip(actor: Actor): Promise<Buffer> {
    const sheets = await this.sheets(actor);
    const files: Record<string, Uint8Array> = { 'README.txt': strToU8(schemaText()) };
    for (const s of sheets) files[`${s.name}.csv`] = strToU8(sheetCsv(s));
    return Buffer.from(zipSync(files, { level: 6, mtime: new Date('2020-01-01T00:00:00Z') }));
  }

  /** Only the complaints table, as one CSV. */
  async complaintsCsv(actor: Actor): Promise<string> {
    const sheets = await this.sheets(actor);
    return sheetCsv(sheets[0]);
  }
}

export function schemaText(): string {
  const lines = [`Putright complaint data export, schema ${EXPORT_SCHEMA_VERSION}`, '', 'Dates are YYYY-MM-DD (Europe/London); instants are ISO 8601 in UTC; JSON columns hold JSON text.', ''];
  for (const t of EXPORT_SCHEMA) {
    lines.push(`${t.name}.csv: ${t.description}`);
    for (const col of t.columns) lines.push(`  ${col.key}: ${col.label}`);
    lines.push('');
  }
  return lines.join('\n');
}
