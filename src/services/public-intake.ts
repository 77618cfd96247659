/**
 * Residents' own pages, with no account: make a complaint (a server-side draft keyed by an opaque
 * id in a cookie), follow it (a one-time link emailed to the address on the complaint, or the
 * reference with the surname and postcode), add information or files, and escalate to stage 2.
 *
 * Every change to a case is made in one transaction with its history entry, by ONLINE_ACTOR.
 * Secrets (draft ids, link tokens, session ids) are kept only as SHA-256 hashes. Rate limits are
 * counted in the database, so they hold however many instances serve the pages.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { formatLongDate, londonDateOf, type LocalDate } from '../core/dates.js';
import type { Actor } from './actor.js';
import { checkAttachment, MAX_ATTACHMENT_BYTES, type ComplaintService } from './complaints.js';
import { InvalidInput } from './errors.js';
import { recordHistory } from './history.js';
import { enqueueEmail } from './outbox.js';
import { postcodeKey, type ResidentInput } from './residents.js';
import type { SettingsService } from './settings.js';

/** Who the history shows for what residents do on the public pages. */
export const ONLINE_ACTOR: Actor = { id: null, name: 'Resident (online)', role: 'system' };

export const DRAFT_TTL_MS = 24 * 3600_000;
export const LINK_TTL_MS = 30 * 60_000;
export const FOLLOW_TTL_MS = 60 * 60_000;
export const MAX_DRAFT_FILES = 5;
export { MAX_ATTACHMENT_BYTES };

/** Rate limits: [hits allowed, window in ms]. */
export const LIMITS = {
  /** Completed complaints from one address. */
  submitPerAddress: [10, 3600_000],
  /** New drafts from one address. */
  draftsPerAddress: [30, 3600_000],
  /** Any form sent to the public pages from one address. */
  postsPerAddress: [600, 600_000],
  /** Follow links asked for from one address, and sent to one email address. */
  linksPerAddress: [10, 3600_000],
  linksPerEmail: [3, 3600_000],
  /** Reference, surname and postcode tries from one address, and against one reference. */
  lookupsPerAddress: [10, 900_000],
  lookupsPerReference: [10, 3600_000],
  /** Additions to one case. */
  additionsPerComplaint: [20, 3600_000],
} as const satisfies Record<string, readonly [number, number]>;

export type LimitName = keyof typeof LIMITS;

export const HELP_OPTIONS = {
  large_print: 'Large print',
  language: 'Another language',
  bsl: 'British Sign Language (BSL)',
  easy_read: 'Easy read',
  phone_instead_of_letters: 'A phone call instead of letters',
  other: 'Something else',
} as const;
export type HelpOption = keyof typeof HELP_OPTIONS;

export interface DraftAnswers {
  who?: 'resident' | 'representative';
  repName?: string;
  repRelationship?: string;
  repConsent?: string;
  givenName?: string;
  familyName?: string;
  addressLine1?: string;
  addressLine2?: string;
  town?: string;
  postcode?: string;
  email?: string;
  phone?: string;
  preferredContact?: 'email' | 'phone' | 'letter' | 'text';
  description?: string;
  issueArose?: LocalDate | null;
  issueAroseAnswered?: boolean;
  outcomeSought?: string;
  help?: HelpOption[];
  helpLanguage?: string;
  helpOther?: string;
  helpAnswered?: boolean;
}

export interface DraftFile {
  id: string;
  filename: string;
  contentType: string;
  sizeBytes: number;
}

export const hashSecret = (s: string) => crypto.createHash('sha256').update(s).digest('hex');
const newSecret = () => crypto.randomBytes(32).toString('base64url');
/** A bucket key that names no one: the address or email, hashed. */
const bucketKey = (kind: string, value: string) => `${kind}:${crypto.createHash('sha256').update(`putright-rate:${value.toLowerCase()}`).digest('hex').slice(0, 32)}`;

export class RateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('Too many requests');
  }
}

export function familyKey(s: string | null | undefined): string {
  return (s ?? '').normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z]/gi, '').toLowerCase();
}

export class PublicIntakeService {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly complaints: ComplaintService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  // ------------------------------------------------------------------ rate limits

  /**
   * Count a hit in a fixed window; throw RateLimited once the limit is passed. One statement, so
   * concurrent hits from several instances are all counted.
   */
  async hit(limit: LimitName, value: string): Promise<void> {
    const [max, windowMs] = LIMITS[limit];
    const now = this.clock().getTime();
    const start = new Date(Math.floor(now / windowMs) * windowMs);
    const bucket = bucketKey(limit, value);
    const row = await this.db
      .insertInto('rate_limit_hits')
      .values({ bucket, window_start: start, hits: 1 })
      .onConflict((oc) => oc.columns(['bucket', 'window_start']).doUpdateSet({ hits: sql`rate_limit_hits.hits + 1` }))
      .returning('hits')
      .executeTakeFirstOrThrow();
    if (row.hits > max) throw new RateLimited(Math.max(1, Math.ceil((start.getTime() + windowMs - now) / 1000)));
  }

  /** Remove what has expired: drafts (and their files), links, sessions, old counters. */
  async sweep(): Promise<void> {
    const now = this.clock();
    await this.db.deleteFrom('public_drafts').where('expires_at', '<', now).execute();
    await this.db.deleteFrom('follow_links').where('expires_at', '<', now).execute();
    await this.db.deleteFrom('follow_sessions').where('expires_at', '<', now).execute();
    await this.db.deleteFrom('rate_limit_hits').where('window_start', '<', new Date(now.getTime() - 2 * 3600_000)).execute();
  }

  // ------------------------------------------------------------------ drafts

  async createDraft(): Promise<{ id: string; csrf: string }> {
    const id = newSecret();
    const csrf = newSecret();
    const now = this.clock();
    await this.db.insertInto('public_drafts').values({ id_hash: hashSecret(id), csrf_token: csrf, answers: JSON.stringify({}), created_at: now, updated_at: now, expires_at: new Date(now.getTime() + DRAFT_TTL_MS) }).execute();
    return { id, csrf };
  }

  async draft(id: string | undefined | null) {
    if (!id || id.length > 100) return null;
    const row = await this.db.selectFrom('public_drafts').selectAll().where('id_hash', '=', hashSecret(id)).where('expires_at', '>', this.clock()).executeTakeFirst();
    if (!row) return null;
    const files = await this.db.selectFrom('public_draft_files').select(['id', 'filename', 'content_type', 'size_bytes']).where('draft_hash', '=', row.id_hash).orderBy('created_at').orderBy('id').execute();
    return {
      hash: row.id_hash,
      csrf: row.csrf_token,
      answers: row.answers as DraftAnswers,
      complaintId: row.complaint_id,
      files: files.map((f): DraftFile => ({ id: f.id, filename: f.filename, contentType: f.content_type, sizeBytes: f.size_bytes })),
    };
  }

  async saveAnswers(hash: string, patch: Partial<DraftAnswers>): Promise<void> {
    const row = await this.db.selectFrom('public_drafts').select('answers').where('id_hash', '=', hash).executeTakeFirstOrThrow();
    const answers = { ...(row.answers as DraftAnswers), ...patch };
    await this.db.updateTable('public_drafts').set({ answers: JSON.stringify(answers), updated_at: this.clock() }).where('id_hash', '=', hash).execute();
  }

  /** Keep a file with the draft, after checking its size and content (not its name's claim alone). */
  async addDraftFile(hash: string, file: { filename: string; data: Buffer }): Promise<DraftFile> {
    const checked = checkAttachment(file.filename, '', file.data);
    return this.db.transaction().execute(async (trx) => {
      // Lock the draft so two uploads at once cannot pass the count together.
      await trx.selectFrom('public_drafts').select('id_hash').where('id_hash', '=', hash).forUpdate().executeTakeFirstOrThrow();
      const n = await trx.selectFrom('public_draft_files').select((eb) => eb.fn.countAll<string>().as('n')).where('draft_hash', '=', hash).executeTakeFirstOrThrow();
      if (Number(n.n) >= MAX_DRAFT_FILES) throw new InvalidInput(`You can add up to ${MAX_DRAFT_FILES} files. Remove one to add another.`, 'file');
      const row = await trx
        .insertInto('public_draft_files')
        .values({ draft_hash: hash, filename: checked.filename, content_type: checked.contentType, size_bytes: file.data.length, data: file.data, created_at: this.clock() })
        .returning(['id', 'filename', 'content_type', 'size_bytes'])
        .executeTakeFirstOrThrow();
      return { id: row.id, filename: row.filename, contentType: row.content_type, sizeBytes: row.size_bytes };
    });
  }

  async removeDraftFile(hash: string, fileId: string): Promise<void> {
    await this.db.deleteFrom('public_draft_files').where('draft_hash', '=', hash).where('id', '=', fileId).execute();
  }

  /** The first question not yet answered, or null when the draft is complete. */
  static missing(a: DraftAnswers): string | null {
    if (!a.who) return 'who';
    if (a.who === 'representative' && (!a.repName || !a.repRelationship || !a.repConsent)) return 'representative';
    if (!a.familyName) return 'name';
    if (!a.addressLine1 || !a.postcode) return 'address';
    if (!a.preferredContact) return 'contact';
    if (!a.description) return 'what-happened';
    if (!a.issueAroseAnswered) return 'when';
    if (a.outcomeSought === undefined) return 'put-right';
    if (!a.helpAnswered) return 'help';
    return null;
  }

  static helpText(a: DraftAnswers): string | null {
    const parts = (a.help ?? []).map((h) => (h === 'language' && a.helpLanguage ? `${HELP_OPTIONS.language}: ${a.helpLanguage}` : h === 'other' && a.helpOther ? `${HELP_OPTIONS.other}: ${a.helpOther}` : HELP_OPTIONS[h]));
    return parts.length ? parts.join('; ') : null;
  }

  /**
   * Make the complaint from a complete draft, in one transaction: the resident (an existing one
   * when exactly one has the same name and postcode, otherwise a new record), the representative,
   * needs, the complaint and its receipt event, the files, the form's answers as a message in,
   * and the acknowledgement email. Nothing is kept if any part fails.
   */
  async submit(hash: string): Promise<{ complaintId: string; reference: string; acknowledgementDue: LocalDate; emailed: boolean }> {
    const { settings, calendar } = await this.settings.load();
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const draft = await trx.selectFrom('public_drafts').selectAll().where('id_hash', '=', hash).where('expires_at', '>', now).forUpdate().executeTakeFirst();
      if (!draft) throw new InvalidInput('Your answers have expired. Start again.', 'draft');
      if (draft.complaint_id) throw new InvalidInput('This complaint has already been sent.', 'draft');
      const a = draft.answers as DraftAnswers;
      const gap = PublicIntakeService.missing(a);
      if (gap) throw new InvalidInput('Some questions have not been answered.', gap);
      const isRep = a.who === 'representative';
      const today = londonDateOf(now);

      const pkey = postcodeKey(a.postcode);
      const matches = await trx
        .selectFrom('residents')
        .select('id')
        .where('postcode_key', '=', pkey)
        .where(sql<boolean>`lower(family_name) = ${(a.familyName ?? '').trim().toLowerCase()}`)
        .where(sql<boolean>`lower(coalesce(given_name, '')) = ${(a.givenName ?? '').trim().toLowerCase()}`)
        .limit(2)
        .execute();
      const existingId = matches.length === 1 ? matches[0].id : null;
      const helpLabels = (a.help ?? []).map((h) => (h === 'language' && a.helpLanguage ? `Another language: ${a.helpLanguage}` : h === 'other' && a.helpOther ? a.helpOther : HELP_OPTIONS[h]));
      const resident: ResidentInput = {
        givenName: a.givenName || null,
        familyName: a.familyName!,
        addressLine1: a.addressLine1!,
        addressLine2: a.addressLine2 || null,
        town: a.town || null,
        postcode: a.postcode!,
        email: isRep ? null : a.email || null,
        phone: isRep ? null : a.phone || null,
        preferredContact: a.preferredContact,
        tenure: 'LCRA',
        communicationNeeds: helpLabels,
        language: (a.help ?? []).includes('language') && a.helpLanguage ? a.helpLanguage : null,
      };

      const row = await this.complaints.insertComplaint(
        trx,
        ONLINE_ACTOR,
        {
          ...(existingId ? { residentId: existingId } : { resident }),
          representative: isRep
            ? {
                name: a.repName!,
                relationship: a.repRelationship!,
                email: a.email || null,
                phone: a.phone || null,
                consentEvidence: `Stated on the online complaint form by ${a.repName}: ${a.repConsent}`.slice(0, 2000),
                consentRecordedOn: today,
              }
            : null,
          channel: 'web',
          issueArose: a.issueArose ?? null,
          description: a.description!,
          outcomeSought: a.outcomeSought || null,
          helpNeeded: PublicIntakeService.helpText(a),
        },
        { receivedAt: now, calendar },
      );

      // An existing resident's record is not changed from an unchecked form: their needs are added.
      if (existingId) {
        for (const label of helpLabels) {
          const need = await trx
            .insertInto('resident_needs')
            .values({ resident_id: existingId, kind: 'adjustment', description: label.slice(0, 500), disclosed_on: today, review_on: null, recorded_by: null, created_at: now })
            .returning('id')
            .executeTakeFirstOrThrow();
          await recordHistory(trx, ONLINE_ACTOR, { residentId: existingId, complaintId: row.id, entity: 'resident_need', entityId: need.id, action: 'adjustment_recorded', after: { kind: 'adjustment', description: label, disclosedOn: today } }, now);
        }
      }

      // The form's answers, as the resident gave them, filed as a message in.
      const lines = [
        `Complaint made online${isRep ? ` by ${a.repName} (${a.repRelationship}) for the resident` : ' by the resident'}.`,
        `Name: ${[a.givenName, a.familyName].filter(Boolean).join(' ')}`,
        `Address: ${[a.addressLine1, a.addressLine2, a.town, a.postcode].filter(Boolean).join(', ')}`,
        `Email: ${a.email || 'not given'}`,
        `Phone: ${a.phone || 'not given'}`,
        `Preferred contact: ${a.preferredContact}`,
        isRep ? `Consent: ${a.repConsent}` : null,
        existingId ? 'Matched to the existing resident record with the same name and postcode; the record was not changed.' : 'A new resident record was created.',
      ].filter(Boolean);
      const msg = await trx
        .insertInto('correspondence')
        .values({ complaint_id: row.id, direction: 'in', channel: 'web', subject: 'Online complaint form', body: lines.join('\n'), counterpart: isRep ? a.repName! : [a.givenName, a.familyName].filter(Boolean).join(' '), occurred_at: now, recorded_by: null, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordHistory(trx, ONLINE_ACTOR, { complaintId: row.id, residentId: row.resident_id, entity: 'correspondence', entityId: msg.id, action: 'message_received', after: { channel: 'web', subject: 'Online complaint form', occurredAt: now.toISOString() } }, now);

      const files = await trx.selectFrom('public_draft_files').selectAll().where('draft_hash', '=', hash).orderBy('created_at').orderBy('id').execute();
      for (const f of files) {
        const sha256 = crypto.createHash('sha256').update(f.data).digest('hex');
        const att = await trx
          .insertInto('attachments')
          .values({ complaint_id: row.id, filename: f.filename, content_type: f.content_type, size_bytes: f.size_bytes, sha256, data: f.data, description: 'Sent with the online complaint form', uploaded_by: null, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recordHistory(trx, ONLINE_ACTOR, { complaintId: row.id, residentId: row.resident_id, entity: 'attachment', entityId: att.id, action: 'attachment_added', after: { filename: f.filename, contentType: f.content_type, sizeBytes: f.size_bytes, sha256 } }, now);
      }

      await trx.insertInto('public_submissions').values({ complaint_id: row.id, email: a.email?.toLowerCase() || null, family_name_key: familyKey(a.familyName), postcode_key: pkey, submitted_at: now }).execute();
      await trx.deleteFrom('public_draft_files').where('draft_hash', '=', hash).execute();
      // The draft keeps only what the confirmation page needs, and expires soon.
      await trx
        .updateTable('public_drafts')
        .set({ answers: JSON.stringify({}), complaint_id: row.id, updated_at: now, expires_at: new Date(now.getTime() + 3600_000) })
        .where('id_hash', '=', hash)
        .execute();

      const state = await this.complaints.loadState(trx, row.id, calendar);
      const acknowledgementDue = state.stages[1].acknowledgementDue;
      let emailed = false;
      if (a.email) {
        await enqueueEmail(
          trx,
          {
            to: [a.email],
            subject: `We have your complaint: ${row.reference}`,
            text: [
              `Thank you for your complaint to ${settings.landlord.name}.`,
              `Your reference is ${row.reference}.`,
              `We will acknowledge it by ${formatLongDate(acknowledgementDue)} and tell you who is dealing with it.`,
              `To see how it is going, go to the complaints pages and choose "Follow a complaint". You will need your reference.`,
              `If you need help, call ${settings.landlord.complaintsPhone} or email ${settings.landlord.complaintsEmail}.`,
            ].join('\n\n'),
            complaintId: row.id,
            kind: 'online_receipt',
          },
          now,
        );
        emailed = true;
      }
      return { complaintId: row.id, reference: row.reference, acknowledgementDue, emailed };
    });
  }

  // ------------------------------------------------------------------ following a complaint

  /**
   * Send a one-time link to the email on the complaint, if there is one. The caller answers the
   * same whatever happens here, so no one learns whether a reference exists.
   */
  async requestLink(reference: string, baseUrl: string): Promise<void> {
    const ref = reference.trim().toUpperCase();
    if (!/^CMP-\d{1,12}$/.test(ref)) return;
    const now = this.clock();
    const c = await this.db
      .selectFrom('complaints')
      .leftJoin('residents', 'residents.id', 'complaints.resident_id')
      .leftJoin('representatives', 'representatives.id', 'complaints.representative_id')
      .leftJoin('public_submissions', 'public_submissions.complaint_id', 'complaints.id')
      .select(['complaints.id', 'complaints.reference', 'public_submissions.email as submitted_email', 'residents.email as resident_email', 'representatives.email as rep_email'])
      .where('complaints.reference', '=', ref)
      .executeTakeFirst();
    const to = c ? (c.submitted_email ?? c.rep_email ?? c.resident_email) : null;
    if (!c || !to) return;
    try {
      await this.hit('linksPerEmail', to);
    } catch {
      return; // too many links to one inbox: quietly send no more this hour
    }
    const token = newSecret();
    const { landlord } = await this.settings.get();
    await this.db.transaction().execute(async (trx) => {
      await trx.insertInto('follow_links').values({ token_hash: hashSecret(token), complaint_id: c.id, created_at: now, expires_at: new Date(now.getTime() + LINK_TTL_MS) }).execute();
      await enqueueEmail(
        trx,
        {
          to: [to],
          subject: `Your link to follow complaint ${c.reference}`,
          text: [
            `Someone asked to follow complaint ${c.reference} with ${landlord.name}.`,
            `Use this link to see it, add information or ask for stage 2. It works once, for ${LINK_TTL_MS / 60_000} minutes:`,
            `${baseUrl}/complain/follow/link?t=${token}`,
            `If this was not you, you do not need to do anything.`,
          ].join('\n\n'),
          complaintId: c.id,
          kind: 'follow_link',
        },
        now,
      );
    });
  }

  /** Use a one-time link: it works once, before it expires. Returns a follow session. */
  async redeemLink(token: string): Promise<{ sessionId: string } | null> {
    if (!token || token.length > 100) return null;
    const now = this.clock();
    const used = await this.db
      .updateTable('follow_links')
      .set({ used_at: now })
      .where('token_hash', '=', hashSecret(token))
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('complaint_id')
      .executeTakeFirst();
    if (!used) return null;
    return this.startSession(used.complaint_id);
  }

  /** The reference, surname and postcode: all three must match, and a miss is a miss whichever was wrong. */
  async lookup(reference: string, surname: string, postcode: string): Promise<{ sessionId: string } | null> {
    const ref = reference.trim().toUpperCase();
    const fam = familyKey(surname);
    const pkey = postcodeKey(postcode);
    const rows = await this.db
      .selectFrom('complaints')
      .leftJoin('residents', 'residents.id', 'complaints.resident_id')
      .leftJoin('public_submissions', 'public_submissions.complaint_id', 'complaints.id')
      .select(['complaints.id', 'residents.family_name', 'residents.postcode_key', 'public_submissions.family_name_key', 'public_submissions.postcode_key as submitted_postcode'])
      .where('complaints.reference', '=', /^CMP-\d{1,12}$/.test(ref) ? ref : 'CMP-none')
      .execute();
    const c = rows[0];
    const ok =
      !!c &&
      !!fam &&
      !!pkey &&
      ((familyKey(c.family_name) === fam && c.postcode_key === pkey) || (c.family_name_key === fam && c.submitted_postcode === pkey));
    if (!ok) return null;
    return this.startSession(c.id);
  }

  private async startSession(complaintId: string) {
    const sessionId = newSecret();
    const now = this.clock();
    await this.db.insertInto('follow_sessions').values({ id_hash: hashSecret(sessionId), complaint_id: complaintId, csrf_token: newSecret(), created_at: now, expires_at: new Date(now.getTime() + FOLLOW_TTL_MS) }).execute();
    return { sessionId };
  }

  async session(id: string | undefined | null): Promise<{ hash: string; complaintId: string; csrf: string } | null> {
    if (!id || id.length > 100) return null;
    const row = await this.db.selectFrom('follow_sessions').selectAll().where('id_hash', '=', hashSecret(id)).where('expires_at', '>', this.clock()).executeTakeFirst();
    return row ? { hash: row.id_hash, complaintId: row.complaint_id, csrf: row.csrf_token } : null;
  }

  async endSession(id: string | undefined | null): Promise<void> {
    if (id) await this.db.deleteFrom('follow_sessions').where('id_hash', '=', hashSecret(id)).execute();
  }

  /** What the resident sees: stage, status, key dates, letters sent, outstanding actions, what they sent. */
  async followView(complaintId: string) {
    const { calendar } = await this.settings.load();
    const row = await this.complaints.getRow(complaintId);
    const state = await this.complaints.loadState(this.db, complaintId, calendar);
    const view = await this.complaints.view(row, state, calendar);
    const letters = await this.db.selectFrom('letters').select(['id', 'kind', 'subject', 'sent_at', 'channel']).where('complaint_id', '=', complaintId).orderBy('sent_at').execute();
    const actions = await this.db
      .selectFrom('actions')
      .select(['id', 'description', 'due_on', 'status', 'completed_on'])
      .where('complaint_id', '=', complaintId)
      .where('status', 'not in', ['cancelled'])
      .orderBy('due_on')
      .execute();
    const added = await this.db
      .selectFrom('correspondence')
      .select(['id', 'subject', 'occurred_at'])
      .where('complaint_id', '=', complaintId)
      .where('direction', '=', 'in')
      .where('channel', '=', 'web')
      .orderBy('occurred_at')
      .execute();
    const files = await this.db.selectFrom('attachments').select(['id', 'filename', 'created_at']).where('complaint_id', '=', complaintId).where('uploaded_by', 'is', null).orderBy('created_at').execute();
    const s1 = state.stages[1];
    const closedAfterStageOne = state.status === 'closed' && state.stage === 1 && !!s1.respondedOn;
    const mayEscalate = state.stage === 1 && (state.status === 'responded' || closedAfterStageOne);
    return { complaint: view, state, letters, actions, added, files, mayEscalate };
  }

  /** Information or a file from the resident, filed on the case as a message in and attachment, with history. */
  async addInformation(complaintId: string, input: { text: string | null; file: { filename: string; data: Buffer } | null }) {
    const checked = input.file ? checkAttachment(input.file.filename, '', input.file.data) : null;
    if (!input.text && !checked) throw new InvalidInput('Enter the information, or choose a file to send.', 'information');
    const now = this.clock();
    return this.db.transaction().execute(async (trx) => {
      const row = await this.complaints.getRow(complaintId, trx);
      const body = input.text ?? `A file was sent: ${checked!.filename}`;
      const c = await trx
        .insertInto('correspondence')
        .values({ complaint_id: complaintId, direction: 'in', channel: 'web', subject: 'Information added online', body, counterpart: 'Resident (online)', occurred_at: now, recorded_by: null, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await recordHistory(trx, ONLINE_ACTOR, { complaintId, residentId: row.resident_id, entity: 'correspondence', entityId: c.id, action: 'message_received', after: { channel: 'web', subject: 'Information added online', occurredAt: now.toISOString() } }, now);
      if (checked && input.file) {
        const sha256 = crypto.createHash('sha256').update(input.file.data).digest('hex');
        const a = await trx
          .insertInto('attachments')
          .values({ complaint_id: complaintId, filename: checked.filename, content_type: checked.contentType, size_bytes: input.file.data.length, sha256, data: input.file.data, description: 'Added online by the resident', uploaded_by: null, created_at: now })
          .returning('id')
          .executeTakeFirstOrThrow();
        await recordHistory(trx, ONLINE_ACTOR, { complaintId, residentId: row.resident_id, entity: 'attachment', entityId: a.id, action: 'attachment_added', after: { filename: checked.filename, contentType: checked.contentType, sizeBytes: input.file.data.length, sha256 } }, now);
      }
    });
  }

  /** Escalate to stage 2 through the engine's own command: no reason needed. */
  async escalate(complaintId: string, reason: string | null) {
    const row = await this.complaints.getRow(complaintId);
    const view = await this.complaints.command(ONLINE_ACTOR, complaintId, row.version, { type: 'escalate', reason: reason || null, via: 'Online, by the resident' });
    return { acknowledgementDue: view.stages[1]?.acknowledgementDue ?? null, reference: view.reference };
  }
}
