/**
 * Export of all complaint data, so a landlord is never locked in: every complaint, its stages
 * and dates, residents and their needs, restrictions and representatives, the full append-only
 * history (with each lifecycle event, from which every case can be rebuilt), notes,
 * correspondence, attachment details, remedies, actions, letters and service requests.
 *
 * As a ZIP of CSV files (one per table, UTF-8, RFC 4180, with a README describing every column)
 * or, for smaller data sets, one XLSX workbook (a sheet per table). The schema is `EXPORT_SCHEMA`,
 * documented in docs/export-schema.md; `schemaVersion` changes whenever a column is added or changed.
 *
 * Both are streamed: each table is read in batches of a few thousand rows in a unique, indexed
 * order (keyset pagination: each batch continues after the last row of the one before), written
 * and compressed as it comes, and the next batch is read only when the reader of the response has
 * taken the last, so memory stays flat at any size (9.2 million history rows, 1.8 million letters).
 * On PostgreSQL the whole export reads one snapshot (a REPEATABLE READ, read-only transaction);
 * on the embedded database, whose one connection serves every request, each batch is its own
 * short query so that other requests go between them.
 */
import { Readable } from 'node:stream';
import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import type { Actor } from './actor.js';
import { actorCan, requirePermission } from './actor.js';
import { TooLargeForWorkbook } from './errors.js';
import { storedExtensions } from './measure-queries.js';
import { csvHeaderLine, csvRowLine } from './spreadsheets.js';
import { XlsxWriter, XLSX_MAX_DATA_ROWS } from './xlsx-stream.js';
import { ZipWriter } from './zip-stream.js';

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

/** Rows read per query. */
export const EXPORT_BATCH_SIZE = 2_000;
/**
 * The most rows any table may have for the XLSX workbook: beyond it the CSV files are the export
 * (a workbook holds at most 1,048,575 rows a sheet, and one this size is already slow to open).
 */
export const XLSX_MAX_ROWS = 100_000;
/** The time written on every file in the ZIP. */
const ZIP_MTIME = new Date('2020-01-01T00:00:00Z');
/** Text written to the compressor at a time. */
const WRITE_CHUNK = 256 * 1024;
export const RESTRICTED_NOTE_WITHHELD = '[restricted note withheld: ask someone allowed to read restricted notes to export]';

type Row = Record<string, unknown>;
/** Where a table's next batch starts: the last row's order key, as text (exact to the microsecond). */
type Cursor = readonly string[] | null;
interface ReadContext {
  mayRestricted: boolean;
}
interface Batch {
  rows: Row[];
  next: Cursor;
}

/** How each table is read: its rows in batches, and how many there are (up to a limit). */
interface TableReader {
  batch(db: Db, after: Cursor, limit: number, ctx: ReadContext): Promise<Batch>;
  count(db: Db, upTo: number): Promise<number>;
}

const columnsOf = (name: string) => EXPORT_SCHEMA.find((t) => t.name === name)!.columns.map((c) => c.key);

async function countUpTo(db: Db, table: string, upTo: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from (select 1 from ${sql.table(table)} limit ${upTo}) x`.execute(db);
  return rows[0].n;
}

/** Keyset pagination in (instant, id) order: the rows after the cursor's. */
function afterInstant(instant: RawBuilder<unknown>, id: RawBuilder<unknown>, after: Cursor): RawBuilder<unknown> {
  return after ? sql`where (${instant}, ${id}) > (${after[0]}::timestamptz, ${after[1]}::uuid)` : sql``;
}

/** Where the next batch starts: the last row's key, or null when this batch (`got` of `limit`) was the last. */
function nextCursor(rows: Row[], got: number, limit: number, key: (last: Row) => string[] = (r) => [String(r._k1), String(r._k2)]): Cursor {
  const last = rows.at(-1);
  return got < limit || !last ? null : key(last);
}

/** A table read in (`order`, id) order: created_at for most, sent_at for letters (indexes from migration 0017). */
function byInstant(table: string, order: 'created_at' | 'sent_at', map?: (r: Row, ctx: ReadContext) => Row): TableReader {
  const cols = columnsOf(table);
  const o = sql.ref(`t.${order}`);
  return {
    async batch(db, after, limit, ctx) {
      const where = afterInstant(o, sql.ref('t.id'), after);
      const { rows } = await sql<Row>`
        select ${sql.join(cols.map((c) => sql.ref(`t.${c}`)))}, ${o}::text as _k1, t.id::text as _k2
        from ${sql.table(table)} as t ${where}
        order by ${o}, t.id limit ${limit}`.execute(db);
      return { rows: map ? rows.map((r) => map(r, ctx)) : rows, next: nextCursor(rows, rows.length, limit) };
    },
    count: (db, upTo) => countUpTo(db, table, upTo),
  };
}

/** Complaints with their resident's reference and tenure and their handlers' emails, in the order received. */
const COMPLAINT_JOINED: Record<string, RawBuilder<unknown>> = {
  resident_reference: sql`r.reference`,
  tenure: sql`r.tenure`,
  stage1_handler_email: sql`h1.email`,
  stage2_handler_email: sql`h2.email`,
};
const complaintsReader: TableReader = {
  async batch(db, after, limit) {
    const cols = columnsOf('complaints').map((k) => (COMPLAINT_JOINED[k] ? sql`${COMPLAINT_JOINED[k]} as ${sql.id(k)}` : sql.ref(`c.${k}`)));
    const where = afterInstant(sql.ref('c.received_at'), sql.ref('c.id'), after);
    const { rows } = await sql<Row>`
      select ${sql.join(cols)}, c.received_at::text as _k1, c.id::text as _k2
      from complaints c
        left join residents r on r.id = c.resident_id
        left join users h1 on h1.id = c.stage1_handler_id
        left join users h2 on h2.id = c.stage2_handler_id
      ${where}
      order by c.received_at, c.id limit ${limit}`.execute(db);
    return { rows, next: nextCursor(rows, rows.length, limit) };
  },
  count: (db, upTo) => countUpTo(db, 'complaints', upTo),
};

/**
 * Each complaint's stages from the stored facts (complaint_stage_facts, with its extensions from
 * complaint_extension_facts, as `storedFacts` in measure-queries.ts reads them), a batch of
 * complaints at a time in the order received, each complaint's stages in order.
 */
const stagesReader: TableReader = {
  async batch(db, after, limit) {
    const where = afterInstant(sql.ref('received_at'), sql.ref('id'), after);
    const { rows } = await sql<any>`
      select p.id, p.reference, p._k1, p._k2, f.stage, f.started_on, f.acknowledgement_due, f.acknowledged_on, f.due_original, f.due_compliant, f.due_in_force,
        f.responded_on, f.outcome, f.ended_how, f.ended_on, f.ended_ground, case when f.stage is null then null else ${storedExtensions('f')} end as extensions
      from (select id, reference, received_at, received_at::text as _k1, id::text as _k2 from complaints ${where} order by received_at, id limit ${limit}) p
        left join complaint_stage_facts f on f.complaint_id = p.id
      order by p.received_at, p.id, f.stage`.execute(db);
    const complaints = new Set(rows.map((r) => r._k2)).size;
    const out: Row[] = [];
    for (const r of rows) {
      if (r.stage === null) continue; // a complaint without stored facts has no stages to show
      const ext = (r.extensions ?? []) as unknown[];
      out.push({
        complaint_id: r.id,
        reference: r.reference,
        stage: Number(r.stage),
        started_on: r.started_on,
        acknowledgement_due: r.acknowledgement_due,
        acknowledged_on: r.acknowledged_on,
        response_due_original: r.due_original,
        response_due_compliant: r.due_compliant,
        response_due_in_force: r.due_in_force,
        responded_on: r.responded_on,
        outcome: r.outcome,
        ended_how: r.ended_how ?? null,
        ended_on: r.ended_how ? (r.ended_on ?? null) : null,
        refusal_ground: r.ended_how ? (r.ended_ground ?? null) : null,
        extensions: ext.length,
        extensions_detail: ext.length ? ext : null,
      });
    }
    return { rows: out, next: nextCursor(rows, complaints, limit) };
  },
  count: (db, upTo) => countUpTo(db, 'complaint_stage_facts', upTo),
};

const historyReader: TableReader = {
  async batch(db, after, limit) {
    const cols = columnsOf('history');
    const where = after ? sql`where id > ${after[0]}::bigint` : sql``;
    const { rows } = await sql<Row>`select ${sql.join(cols.map((c) => sql.ref(c)))} from history ${where} order by id limit ${limit}`.execute(db);
    return { rows, next: nextCursor(rows, rows.length, limit, (last) => [String(last.id)]) };
  },
  count: (db, upTo) => countUpTo(db, 'history', upTo),
};

const withheld = (r: Row, ctx: ReadContext): Row => (r.restricted && !ctx.mayRestricted ? { ...r, body: RESTRICTED_NOTE_WITHHELD } : r);

const READERS: Record<string, TableReader> = {
  complaints: complaintsReader,
  stages: stagesReader,
  residents: byInstant('residents', 'created_at'),
  resident_needs: byInstant('resident_needs', 'created_at'),
  contact_restrictions: byInstant('contact_restrictions', 'created_at'),
  representatives: byInstant('representatives', 'created_at'),
  history: historyReader,
  notes: byInstant('notes', 'created_at', withheld),
  correspondence: byInstant('correspondence', 'created_at'),
  attachments: byInstant('attachments', 'created_at'),
  remedies: byInstant('remedies', 'created_at'),
  actions: byInstant('actions', 'created_at'),
  letters: byInstant('letters', 'sent_at'),
  service_requests: byInstant('service_requests', 'created_at'),
};

export interface DataExportOptions {
  /** Rows read per query (default EXPORT_BATCH_SIZE). */
  batchSize?: number;
  /** The most rows a table may have for the XLSX workbook (default XLSX_MAX_ROWS). */
  xlsxMaxRows?: number;
  /**
   * Read each export in one REPEATABLE READ, read-only transaction, so every table comes from the
   * same moment. For PostgreSQL; not for the embedded database, where the transaction would hold
   * its only connection (and so every other request) for as long as the download takes.
   */
  snapshot?: boolean;
}

/** The database an export reads, and how to let it go. */
interface ReadSession {
  db: Db;
  close(completed: boolean): Promise<void>;
}

export class DataExportService {
  private readonly batchSize: number;
  private readonly xlsxMaxRows: number;

  constructor(
    private readonly db: Db,
    private readonly opts: DataExportOptions = {},
  ) {
    this.batchSize = Math.max(1, Math.floor(opts.batchSize ?? EXPORT_BATCH_SIZE));
    this.xlsxMaxRows = Math.min(XLSX_MAX_DATA_ROWS, Math.max(0, Math.floor(opts.xlsxMaxRows ?? XLSX_MAX_ROWS)));
  }

  get workbookRowLimit(): number {
    return this.xlsxMaxRows;
  }

  private async open(): Promise<ReadSession> {
    if (!this.opts.snapshot) return { db: this.db, close: async () => {} };
    const trx = await this.db.startTransaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute();
    const close = async (completed: boolean) => {
      try {
        await (completed ? trx.commit() : trx.rollback()).execute();
      } catch {
        /* the connection has gone: the pool drops it */
      }
    };
    try {
      // A reader that stops reading must not hold the transaction (and its connection) for ever.
      await sql`set local idle_in_transaction_session_timeout = '15min'`.execute(trx);
    } catch (err) {
      await close(false);
      throw err;
    }
    return { db: trx, close };
  }

  /** A table's rows, a batch at a time, each batch continuing after the last row of the one before. */
  private async *rows(db: Db, table: string, ctx: ReadContext): AsyncGenerator<Row[]> {
    const reader = READERS[table];
    let after: Cursor = null;
    do {
      const b: Batch = await reader.batch(db, after, this.batchSize, ctx);
      if (b.rows.length) yield b.rows;
      after = b.next;
    } while (after);
  }

  /** The export as a byte stream: `produce` reads through the session, which is closed when it ends, fails or is abandoned. */
  private stream(session: ReadSession, produce: (db: Db) => AsyncGenerator<Uint8Array>): Readable {
    async function* run() {
      let completed = false;
      try {
        yield* produce(session.db);
        completed = true;
      } finally {
        await session.close(completed);
      }
    }
    return Readable.from(run(), { objectMode: false, highWaterMark: 64 * 1024 });
  }

  /** A ZIP of one CSV per table, README.txt first, describing every column. Streamed. */
  async csvZip(actor: Actor): Promise<Readable> {
    requirePermission(actor, 'data:export');
    const ctx = { mayRestricted: actorCan(actor, 'notes:restricted') };
    const session = await this.open();
    const self = this;
    return this.stream(session, async function* (db) {
      const { zip, out, take } = bufferedZip();
      zip.startFile('README.txt');
      zip.write(schemaText());
      for (const t of EXPORT_SCHEMA) {
        zip.startFile(`${t.name}.csv`);
        zip.write(csvHeaderLine(t.columns));
        for await (const rows of self.rows(db, t.name, ctx)) {
          let text = '';
          for (const r of rows) {
            text += csvRowLine(t.columns, r);
            if (text.length >= WRITE_CHUNK) {
              zip.write(text);
              text = '';
            }
          }
          zip.write(text);
          if (out.length) yield take();
        }
      }
      zip.end();
      yield take();
    });
  }

  /** Only the complaints table, as one CSV. Streamed. */
  async complaintsCsv(actor: Actor): Promise<Readable> {
    requirePermission(actor, 'data:export');
    const ctx = { mayRestricted: actorCan(actor, 'notes:restricted') };
    const session = await this.open();
    const self = this;
    const complaints = EXPORT_SCHEMA[0];
    return this.stream(session, async function* (db) {
      // The header goes with the first batch: a failure before it is still answered as an error.
      let text = csvHeaderLine(complaints.columns);
      for await (const rows of self.rows(db, complaints.name, ctx)) {
        for (const r of rows) text += csvRowLine(complaints.columns, r);
        yield Buffer.from(text, 'utf8');
        text = '';
      }
      if (text) yield Buffer.from(text, 'utf8');
    });
  }

  /**
   * One XLSX workbook, a sheet per table, for smaller data sets: refused with TooLargeForWorkbook,
   * before anything is sent, when any table has more rows than the limit. Streamed.
   */
  async xlsx(actor: Actor, landlordName: string): Promise<Readable> {
    requirePermission(actor, 'data:export');
    const ctx = { mayRestricted: actorCan(actor, 'notes:restricted') };
    const session = await this.open();
    try {
      for (const t of EXPORT_SCHEMA) {
        const n = await READERS[t.name].count(session.db, this.xlsxMaxRows + 1);
        if (n > this.xlsxMaxRows) throw new TooLargeForWorkbook(t.name, this.xlsxMaxRows);
      }
    } catch (err) {
      await session.close(false);
      throw err;
    }
    const self = this;
    return this.stream(session, async function* (db) {
      const { zip, out, take } = bufferedZip();
      // Column headers are the machine names, so the workbook and the CSV files read the same way.
      const sheets = EXPORT_SCHEMA.map((t) => ({ name: t.name, columns: t.columns.map((c) => ({ key: c.key, label: c.key })) }));
      const book = new XlsxWriter(zip, sheets, { title: `Complaint data export (${EXPORT_SCHEMA_VERSION})`, creator: landlordName });
      for (const t of EXPORT_SCHEMA) {
        book.startSheet();
        for await (const rows of self.rows(db, t.name, ctx)) {
          for (let i = 0; i < rows.length; i += 200) book.addRows(rows.slice(i, i + 200));
          if (out.length) yield take();
        }
      }
      book.end();
      yield take();
    });
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

/** A ZIP writer whose output gathers in `out` until `take` hands it on as one buffer (a stream's next chunk). */
function bufferedZip() {
  const out: Uint8Array[] = [];
  const zip = new ZipWriter((c) => out.push(c), { level: 6, mtime: ZIP_MTIME });
  const take = () => {
    const b = Buffer.concat(out);
    out.length = 0;
    return b;
  };
  return { zip, out, take };
}
