/**
 * Retention: personal data on a complaint is anonymised once the retention period after closure
 * has passed (six years by default), keeping the figures — the complaint row, its stage dates,
 * status, outcome and every history event's type and time — so past reports do not change. Names,
 * contact details, free text, attachments and notes go. A hold stops it for a case under dispute.
 *
 * Runs are logged. Until an administrator turns automatic anonymisation on (after reading the
 * dry-run report) the scheduled sweep only reports what it would do. Several instances may sweep
 * at once: each complaint is claimed with `FOR UPDATE SKIP LOCKED` and done in its own transaction.
 */
import os from 'node:os';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../db/database.js';
import { londonDateOf } from '../../core/dates.js';
import type { Actor } from '../actor.js';
import { requirePermission } from '../actor.js';
import { InvalidInput, NotFound } from '../errors.js';
import { recordHistory } from '../history.js';
import { clearSummaryRepresentative } from '../stage-facts.js';

export const ANONYMISED = '[anonymised]';
const CLOSED_STATUSES = ['closed', 'refused', 'withdrawn'];

export const retentionSettingsSchema = z
  .object({
    years: z.number().int('must be a whole number of years').min(1, 'must be at least 1 year').max(100, 'must be at most 100 years'),
    enabled: z.boolean(),
  })
  .strict();
export type RetentionSettings = z.infer<typeof retentionSettingsSchema>;
export const DEFAULT_RETENTION: RetentionSettings = { years: 6, enabled: false };

/** Keys whose string values are always free text. */
const FREE_TEXT_KEYS = new Set([
  'description', 'summary', 'reason', 'reasons', 'reasoning', 'notes', 'note', 'statement', 'understanding', 'outcomesSought', 'outcomeSought',
  'responsibilityNote', 'nextSteps', 'goodReason', 'agreedWith', 'body', 'subject', 'counterpart', 'name', 'givenName', 'familyName', 'title',
  'email', 'phone', 'address', 'addressLine1', 'addressLine2', 'town', 'postcode', 'filename', 'text', 'owner', 'contributors', 'helpNeeded',
  'contractor', 'heldBy', 'completionNote', 'cancelledReason', 'declineReason', 'approvalNote', 'paymentReference', 'to', 'cc', 'toAddress',
]);
/** Strings kept as they are: dates and times, ids, lower-case codes (statuses, outcomes), references. */
const SAFE = [/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, /^[a-z0-9_.:\-]{1,60}$/, /^[A-Z]{2,5}-\d{1,12}$/];

/** Blank personal data inside a JSON value, keeping its shape, codes, numbers, dates and ids. */
export function scrubJson(value: unknown, key = ''): unknown {
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'string') return !FREE_TEXT_KEYS.has(key) && SAFE.some((r) => r.test(value)) ? value : value === '' ? '' : ANONYMISED;
  if (Array.isArray(value)) return value.map((v) => scrubJson(v, key));
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, scrubJson(v, k)]));
  return value;
}

function subtractYears(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const t = new Date(Date.UTC(y - years, m - 1, d));
  if (t.getUTCMonth() !== m - 1) t.setUTCDate(0); // 29 February → 28 February
  return t.toISOString().slice(0, 10);
}

export interface RetentionCandidate {
  id: string;
  reference: string;
  status: string;
  closedOn: string;
  residentReference: string | null;
  hold: { reason: string; placedBy: string; placedAt: string } | null;
}

export interface RetentionRunView {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  dryRun: boolean;
  trigger: string;
  triggeredBy: string;
  instance: string;
  retentionYears: number;
  cutoff: string;
  eligible: number;
  anonymised: number;
  held: number;
  skipped: number;
  residentsAnonymised: number;
  references: string[];
  error: string | null;
}

export class RetentionService {
  readonly instance = `${os.hostname()}:${process.pid}`;

  constructor(
    private readonly db: Db,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async settings(): Promise<RetentionSettings> {
    const row = await this.db.selectFrom('settings').select('value').where('key', '=', 'retention').executeTakeFirst();
    const parsed = retentionSettingsSchema.safeParse({ ...DEFAULT_RETENTION, ...((row?.value as object) ?? {}) });
    return parsed.success ? parsed.data : DEFAULT_RETENTION;
  }

  async updateSettings(actor: Actor, patch: Partial<RetentionSettings>): Promise<RetentionSettings> {
    requirePermission(actor, 'retention:manage');
    const before = await this.settings();
    const parsed = retentionSettingsSchema.safeParse({ ...before, ...patch });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InvalidInput(`${issue.path.join('.')}: ${issue.message}`, issue.path.join('.'));
    }
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('settings')
        .values({ key: 'retention', value: JSON.stringify(parsed.data), updated_by: actor.id })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value: JSON.stringify(parsed.data), updated_by: actor.id, updated_at: this.clock() }))
        .execute();
      await recordHistory(trx, actor, { entity: 'settings', action: 'settings_retention_changed', before, after: parsed.data }, this.clock());
    });
    return parsed.data;
  }

  /** The last closure date that is past retention today. */
  cutoff(years: number): string {
    return subtractYears(londonDateOf(this.clock()), years);
  }

  private eligibleQuery(trx: Db, cutoff: string) {
    return trx
      .selectFrom('complaints')
      .where('complaints.status', 'in', CLOSED_STATUSES)
      .where(sql<string>`coalesce(complaints.closed_on, (complaints.updated_at at time zone 'Europe/London')::date)`, '<=', cutoff)
      .where((eb) => eb.not(eb.exists(eb.selectFrom('anonymised_complaints').select('anonymised_complaints.complaint_id').whereRef('anonymised_complaints.complaint_id', '=', 'complaints.id'))))
      // A case linked to one still open is kept until that one closes and passes retention too.
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('complaint_links')
              .innerJoin('complaints as other', 'other.id', 'complaint_links.other_id')
              .select('complaint_links.other_id')
              .whereRef('complaint_links.complaint_id', '=', 'complaints.id')
              .where('other.status', 'not in', CLOSED_STATUSES),
          ),
        ),
      );
  }

  /** The dry-run report: every complaint past retention, held ones marked. Changes nothing. */
  async preview(actor: Actor): Promise<{ years: number; enabled: boolean; cutoff: string; candidates: RetentionCandidate[] }> {
    requirePermission(actor, 'retention:manage');
    const { years, enabled } = await this.settings();
    const cutoff = this.cutoff(years);
    const rows = await this.eligibleQuery(this.db, cutoff)
      .leftJoin('residents', 'residents.id', 'complaints.resident_id')
      .leftJoin('retention_holds', 'retention_holds.complaint_id', 'complaints.id')
      .select([
        'complaints.id',
        'complaints.reference',
        'complaints.status',
        sql<string>`coalesce(complaints.closed_on, (complaints.updated_at at time zone 'Europe/London')::date)`.as('closed_on'),
        'residents.reference as resident_reference',
        'retention_holds.reason as hold_reason',
        'retention_holds.placed_by_name',
        'retention_holds.placed_at',
      ])
      .orderBy('closed_on')
      .orderBy('complaints.reference')
      .limit(5000)
      .execute();
    return {
      years,
      enabled,
      cutoff,
      candidates: rows.map((r) => ({
        id: r.id,
        reference: r.reference,
        status: r.status,
        closedOn: typeof r.closed_on === 'string' ? r.closed_on : new Date(r.closed_on).toISOString().slice(0, 10),
        residentReference: r.resident_reference,
        hold: r.hold_reason ? { reason: r.hold_reason, placedBy: r.placed_by_name!, placedAt: new Date(r.placed_at!).toISOString() } : null,
      })),
    };
  }

  /** A manual run by an administrator (dry run or real). */
  async runNow(actor: Actor, opts: { dryRun: boolean }): Promise<RetentionRunView> {
    requirePermission(actor, 'retention:manage');
    return this.run(actor, { dryRun: opts.dryRun, trigger: 'manual' });
  }

  /**
   * One sweep. A dry run counts what is eligible; a real run claims eligible complaints one at a
   * time (skipping any another instance holds) and anonymises each in its own transaction.
   */
  async run(actor: Actor, opts: { dryRun: boolean; trigger: 'manual' | 'schedule'; limit?: number }): Promise<RetentionRunView> {
    const { years } = await this.settings();
    const cutoff = this.cutoff(years);
    const run = await this.db
      .insertInto('retention_runs')
      .values({ started_at: this.clock(), dry_run: opts.dryRun, trigger: opts.trigger, triggered_by: actor.id, triggered_by_name: actor.name, instance: this.instance, retention_years: years, cutoff, references: JSON.stringify([]) })
      .returning('id')
      .executeTakeFirstOrThrow();
    const references: string[] = [];
    let anonymised = 0;
    let residents = 0;
    let error: string | null = null;
    const counts = await this.eligibleQuery(this.db, cutoff)
      .leftJoin('retention_holds', 'retention_holds.complaint_id', 'complaints.id')
      .select([sql<string>`count(*)`.as('eligible'), sql<string>`count(retention_holds.complaint_id)`.as('held')])
      .executeTakeFirstOrThrow();
    const eligible = Number(counts.eligible);
    const held = Number(counts.held);
    if (opts.dryRun) {
      const list = await this.eligibleQuery(this.db, cutoff)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('retention_holds').select('retention_holds.complaint_id').whereRef('retention_holds.complaint_id', '=', 'complaints.id'))))
        .select('complaints.reference')
        .orderBy('complaints.reference')
        .limit(5000)
        .execute();
      references.push(...list.map((r) => r.reference));
    } else {
      const limit = opts.limit ?? 100_000;
      try {
        while (anonymised < limit) {
          const done = await this.anonymiseNext(run.id, cutoff);
          if (!done) break;
          anonymised++;
          references.push(done.reference);
          if (done.residentAnonymised) residents++;
        }
      } catch (err) {
        error = (err as Error).message?.slice(0, 500) ?? 'failed';
      }
    }
    const row = await this.db
      .updateTable('retention_runs')
      .set({
        finished_at: this.clock(),
        eligible,
        held,
        anonymised,
        skipped: opts.dryRun ? eligible - held : Math.max(0, eligible - held - anonymised),
        residents_anonymised: residents,
        references: JSON.stringify(references),
        error,
      })
      .where('id', '=', run.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return runView(row);
  }

  /** Claim one eligible complaint no other instance holds and anonymise it; null when none is left. */
  private async anonymiseNext(runId: string, cutoff: string): Promise<{ reference: string; residentAnonymised: boolean } | null> {
    return this.db.transaction().execute(async (trx) => {
      const c = await this.eligibleQuery(trx, cutoff)
        .where((eb) => eb.not(eb.exists(eb.selectFrom('retention_holds').select('retention_holds.complaint_id').whereRef('retention_holds.complaint_id', '=', 'complaints.id'))))
        .select(['complaints.id', 'complaints.reference', 'complaints.resident_id'])
        .orderBy('complaints.closed_on')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!c) return null;
      const claimed = await trx.insertInto('anonymised_complaints').values({ complaint_id: c.id, run_id: runId, anonymised_at: this.clock() }).onConflict((oc) => oc.doNothing()).returning('complaint_id').executeTakeFirst();
      if (!claimed) return { reference: c.reference, residentAnonymised: false }; // another instance finished it meanwhile
      await sql`select set_config('putright.anonymising', 'on', true)`.execute(trx);
      await anonymiseComplaint(trx, c.id);
      let residentAnonymised = false;
      if (c.resident_id) {
        // Lock the resident first so two instances finishing a resident's last two cases agree.
        await trx.selectFrom('residents').select('id').where('id', '=', c.resident_id).forUpdate().execute();
        const remaining = await trx
          .selectFrom('complaints')
          .select('id')
          .where('resident_id', '=', c.resident_id)
          .where((eb) => eb.not(eb.exists(eb.selectFrom('anonymised_complaints').select('anonymised_complaints.complaint_id').whereRef('anonymised_complaints.complaint_id', '=', 'complaints.id'))))
          .limit(1)
          .executeTakeFirst();
        const openRequest = await trx.selectFrom('service_requests').select('id').where('resident_id', '=', c.resident_id).where('status', '=', 'open').limit(1).executeTakeFirst();
        if (!remaining && !openRequest) {
          await anonymiseResident(trx, c.resident_id);
          residentAnonymised = true;
        }
      }
      await trx
        .insertInto('history')
        .values({ complaint_id: c.id, resident_id: null, entity: 'complaint', entity_id: c.id, action: 'personal_data_anonymised', event: null, before: null, after: JSON.stringify({ runId, cutoff }), actor_id: null, actor_label: 'Putright (retention)', at: this.clock() })
        .execute();
      return { reference: c.reference, residentAnonymised };
    });
  }

  async runs(actor: Actor, limit = 50): Promise<RetentionRunView[]> {
    requirePermission(actor, 'retention:manage');
    const rows = await this.db.selectFrom('retention_runs').selectAll().orderBy('seq', 'desc').limit(Math.min(Math.max(limit, 1), 200)).execute();
    return rows.map(runView);
  }

  async hold(actor: Actor, complaintId: string, reason: string) {
    requirePermission(actor, 'retention:hold');
    const text = reason.trim();
    if (!text) throw new InvalidInput('Say why the case is held (for example the dispute or claim).', 'reason');
    return this.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('complaints').select(['id', 'reference', 'resident_id']).where('id', '=', complaintId).forUpdate().executeTakeFirst();
      if (!c) throw new NotFound('The complaint');
      const done = await trx.selectFrom('anonymised_complaints').select('complaint_id').where('complaint_id', '=', complaintId).executeTakeFirst();
      if (done) throw new InvalidInput('This complaint has already been anonymised; there is nothing left to hold.', 'complaintId');
      await trx
        .insertInto('retention_holds')
        .values({ complaint_id: complaintId, reason: text.slice(0, 2000), placed_by: actor.id, placed_by_name: actor.name, placed_at: this.clock() })
        .onConflict((oc) => oc.column('complaint_id').doUpdateSet({ reason: text.slice(0, 2000), placed_by: actor.id, placed_by_name: actor.name, placed_at: this.clock() }))
        .execute();
      await recordHistory(trx, actor, { complaintId, residentId: c.resident_id, entity: 'complaint', entityId: complaintId, action: 'retention_hold_placed', after: { reason: text } }, this.clock());
      return { complaintId, reference: c.reference, held: true, reason: text };
    });
  }

  async release(actor: Actor, complaintId: string) {
    requirePermission(actor, 'retention:hold');
    return this.db.transaction().execute(async (trx) => {
      const c = await trx.selectFrom('complaints').select(['id', 'reference', 'resident_id']).where('id', '=', complaintId).executeTakeFirst();
      if (!c) throw new NotFound('The complaint');
      const removed = await trx.deleteFrom('retention_holds').where('complaint_id', '=', complaintId).returning('reason').executeTakeFirst();
      if (removed) await recordHistory(trx, actor, { complaintId, residentId: c.resident_id, entity: 'complaint', entityId: complaintId, action: 'retention_hold_lifted', before: { reason: removed.reason } }, this.clock());
      return { complaintId, reference: c.reference, held: false, reason: null };
    });
  }

  async holds(actor: Actor) {
    requirePermission(actor, 'retention:hold');
    const rows = await this.db
      .selectFrom('retention_holds')
      .innerJoin('complaints', 'complaints.id', 'retention_holds.complaint_id')
      .select(['retention_holds.complaint_id', 'complaints.reference', 'complaints.status', 'retention_holds.reason', 'retention_holds.placed_by_name', 'retention_holds.placed_at'])
      .orderBy('retention_holds.placed_at', 'desc')
      .execute();
    return rows.map((r) => ({ complaintId: r.complaint_id, reference: r.reference, status: r.status, reason: r.reason, placedBy: r.placed_by_name, placedAt: new Date(r.placed_at).toISOString() }));
  }

  async holdOf(complaintId: string) {
    const h = await this.db.selectFrom('retention_holds').selectAll().where('complaint_id', '=', complaintId).executeTakeFirst();
    return h ? { reason: h.reason, placedBy: h.placed_by_name, placedAt: new Date(h.placed_at).toISOString() } : null;
  }
}

/** Blank one complaint's personal data inside the caller's transaction (anonymising already set). */
async function anonymiseComplaint(trx: Db, id: string): Promise<void> {
  await trx.updateTable('complaints').set({ description: ANONYMISED, outcome_sought: null, help_needed: null }).where('id', '=', id).execute();
  await trx.deleteFrom('notes').where('complaint_id', '=', id).execute();
  await trx.deleteFrom('attachments').where('complaint_id', '=', id).execute();
  await trx.updateTable('correspondence').set({ subject: null, body: ANONYMISED, counterpart: null }).where('complaint_id', '=', id).execute();
  const letters = await trx.selectFrom('letters').select(['id', 'blocks', 'letterhead']).where('complaint_id', '=', id).execute();
  for (const l of letters) {
    await trx
      .updateTable('letters')
      .set({ subject: ANONYMISED, body_text: ANONYMISED, body_html: `<p>${ANONYMISED}</p>`, to_address: ANONYMISED, cc: JSON.stringify([]), blocks: JSON.stringify(scrubJson(l.blocks)), letterhead: JSON.stringify(scrubJson(l.letterhead)) })
      .where('id', '=', l.id)
      .execute();
  }
  const remedies = await trx.selectFrom('remedies').select(['id', 'heads']).where('complaint_id', '=', id).execute();
  for (const r of remedies) {
    await trx
      .updateTable('remedies')
      .set({ description: ANONYMISED, decline_reason: null, approval_note: null, completion_note: null, cancelled_reason: null, payment_reference: null, heads: JSON.stringify(scrubJson(r.heads)) })
      .where('id', '=', r.id)
      .execute();
  }
  await trx.updateTable('actions').set({ description: ANONYMISED, completion_note: null, cancelled_reason: null }).where('complaint_id', '=', id).execute();
  const outbox = await trx.selectFrom('outbox').select('id').where('complaint_id', '=', id).execute();
  if (outbox.length > 0) {
    const ids = outbox.map((o) => o.id);
    await trx.updateTable('outbox').set({ to_addresses: JSON.stringify([]), cc_addresses: JSON.stringify([]), subject: ANONYMISED, text_body: ANONYMISED, html_body: null, last_error: null, smtp_response: null }).where('id', 'in', ids).execute();
    await trx.updateTable('outbox_attempts').set({ detail: null }).where('outbox_id', 'in', ids).execute();
  }
  await trx.updateTable('inbound_messages').set({ from_address: null, subject: null }).where('complaint_id', '=', id).execute();
  await trx.updateTable('contacts').set({ summary: ANONYMISED }).where('complaint_id', '=', id).execute();
  // A stored API response to an idempotent create carries the complaint as it was.
  await trx.deleteFrom('idempotency_keys').where(sql<boolean>`response::text like ${'%' + id + '%'}`).execute();
  const history = await trx.selectFrom('history').select(['id', 'event', 'before', 'after']).where('complaint_id', '=', id).execute();
  for (const h of history) {
    await trx
      .updateTable('history')
      .set({ event: h.event === null ? null : JSON.stringify(scrubJson(h.event)), before: h.before === null ? null : JSON.stringify(scrubJson(h.before)), after: h.after === null ? null : JSON.stringify(scrubJson(h.after)) })
      .where('id', '=', h.id)
      .execute();
  }
}

/** Blank a resident's personal data once all their complaints are anonymised. */
async function anonymiseResident(trx: Db, residentId: string): Promise<void> {
  await trx
    .updateTable('residents')
    .set({ title: null, given_name: null, family_name: null, email: null, phone: null, address_line1: null, address_line2: null, town: null, postcode: null, postcode_key: null, property_reference: null, communication_needs: JSON.stringify([]), language: null })
    .where('id', '=', residentId)
    .execute();
  await trx.deleteFrom('resident_needs').where('resident_id', '=', residentId).execute();
  await trx.deleteFrom('contact_restrictions').where('resident_id', '=', residentId).execute();
  await trx.updateTable('complaints').set({ representative_id: null }).where('resident_id', '=', residentId).execute();
  await clearSummaryRepresentative(trx, residentId);
  await trx.deleteFrom('representatives').where('resident_id', '=', residentId).execute();
  await trx.updateTable('contacts').set({ summary: ANONYMISED }).where('resident_id', '=', residentId).execute();
  await trx.updateTable('service_requests').set({ description: ANONYMISED }).where('resident_id', '=', residentId).execute();
  const history = await trx.selectFrom('history').select(['id', 'event', 'before', 'after']).where('resident_id', '=', residentId).execute();
  for (const h of history) {
    await trx
      .updateTable('history')
      .set({ event: h.event === null ? null : JSON.stringify(scrubJson(h.event)), before: h.before === null ? null : JSON.stringify(scrubJson(h.before)), after: h.after === null ? null : JSON.stringify(scrubJson(h.after)) })
      .where('id', '=', h.id)
      .execute();
  }
}

function runView(r: {
  id: string;
  started_at: Date;
  finished_at: Date | null;
  dry_run: boolean;
  trigger: string;
  triggered_by_name: string;
  instance: string;
  retention_years: number;
  cutoff: string;
  eligible: number;
  anonymised: number;
  held: number;
  skipped: number;
  residents_anonymised: number;
  references: unknown;
  error: string | null;
}): RetentionRunView {
  return {
    id: r.id,
    startedAt: new Date(r.started_at).toISOString(),
    finishedAt: r.finished_at ? new Date(r.finished_at).toISOString() : null,
    dryRun: r.dry_run,
    trigger: r.trigger,
    triggeredBy: r.triggered_by_name,
    instance: r.instance,
    retentionYears: r.retention_years,
    cutoff: r.cutoff,
    eligible: r.eligible,
    anonymised: r.anonymised,
    held: r.held,
    skipped: r.skipped,
    residentsAnonymised: r.residents_anonymised,
    references: (r.references as string[]) ?? [],
    error: r.error,
  };
}

/** The scheduled sweep: once shortly after start and then every interval, on every instance. */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;
  constructor(
    private readonly service: RetentionService,
    private readonly actor: Actor,
    private readonly opts: { intervalMs: number; firstAfterMs?: number; log?: { info: (o: object, m: string) => void; error: (o: object, m: string) => void } },
  ) {}

  start() {
    const tick = () => {
      if (this.running) return;
      this.running = this.sweep().finally(() => (this.running = null));
    };
    this.timer = setTimeout(function again(this: RetentionSweeper) {
      tick();
      this.timer = setTimeout(again.bind(this), this.opts.intervalMs);
      this.timer.unref();
    }.bind(this), this.opts.firstAfterMs ?? 60_000);
    this.timer.unref();
  }

  async sweep() {
    try {
      const { enabled } = await this.service.settings();
      const run = await this.service.run(this.actor, { dryRun: !enabled, trigger: 'schedule' });
      // Counts and the run id only: references and names stay out of the logs.
      this.opts.log?.info({ retentionRun: run.id, dryRun: run.dryRun, eligible: run.eligible, anonymised: run.anonymised, held: run.held, error: run.error ?? undefined }, 'retention sweep finished');
      return run;
    } catch (err) {
      this.opts.log?.error({ err }, 'retention sweep failed');
      return null;
    }
  }

  async stop() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }
}
