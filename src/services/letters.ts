/**
 * Letters: rendered from the case with the landlord's templates, checked for every element the
 * Code requires, and archived exactly as sent. Sending writes the letter, its email (through the
 * outbox, when it goes by email), a correspondence entry and a history row in one transaction.
 */
import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { formatLongDate, londonDateOf } from '../core/dates.js';
import type { LifecycleEvent, Stage } from '../core/lifecycle.js';
import {
  buildContext,
  sampleFacts,
  lettersDue,
  type CaseStep,
  checkTemplate,
  DEFAULT_TEMPLATES,
  describeMissing,
  isLetterKind,
  LETTER_KINDS,
  LETTER_TITLES,
  REQUIRED_ELEMENTS,
  renderLetter,
  SUBJECT_REQUIRED,
  TEMPLATE_FIELDS,
  TemplateProblem,
  toHtml,
  type Block,
  type ElementCheck,
  type LetterFacts,
  type LetterKind,
  type Letterhead,
  type LetterTemplate,
  type Readability,
} from '../core/letters.js';
import type { Actor } from './actor.js';
import { requirePermission } from './actor.js';
import type { ComplaintService } from './complaints.js';
import { InvalidInput, NotFound, VersionConflict } from './errors.js';
import { recordHistory } from './history.js';
import { idempotentCreate } from './idempotency.js';
import { letterDocx, letterPdf } from './letter-documents.js';
import { enqueueEmail } from './outbox.js';
import type { Settings, SettingsService } from './settings.js';

export { TemplateProblem } from '../core/letters.js';

/** A letter that lacks a required element: it cannot be sent. */
export class LetterIncomplete extends Error {
  constructor(
    message: string,
    public readonly missing: ElementCheck[],
  ) {
    super(message);
    this.name = 'LetterIncomplete';
  }
}

export interface SendOptions {
  /** email or post; by default email when the resident has an address and does not prefer letters. */
  channel?: 'email' | 'post' | null;
  /** For an update letter: what to tell the resident, when it differs from the last recorded update. */
  summary?: string | null;
  /** For the action-completed letter: which completed action (the latest by default). */
  actionId?: string | null;
}

export interface Prompt {
  code: 'language_need' | 'format_need' | 'representative_copy_by_post';
  message: string;
}

interface Recipient {
  channel: 'email' | 'post';
  to: string;
  cc: string[];
  largePrint: boolean;
  prompts: Prompt[];
  letterhead: Letterhead;
}

const LARGE_PRINT = /large[\s_-]*print/i;
const LANGUAGE = /interpret|translat|language|\bbsl\b|sign[\s_-]*language/i;
const FORMAT = /braille|easy[\s_-]*read|audio|\bbraille\b/i;

function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  return at > 0 ? email.slice(at + 1) : null;
}

/** Where a letters-due input comes from (complaint_letter_inputs.source). */
type LetterInputSource = 'step' | 'letter' | 'offer' | 'done';

export class LetterService {
  constructor(
    private readonly db: Db,
    private readonly settings: SettingsService,
    private readonly complaints: ComplaintService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  // ------------------------------------------------------------------ templates

  private async storedTemplates(): Promise<Map<string, { subject: string; body: string; version: number; updated_at: Date; updated_by: string | null }>> {
    const rows = await this.db.selectFrom('letter_templates').selectAll().execute();
    return new Map(rows.map((r) => [r.kind, r]));
  }

  private async templateFor(kind: LetterKind): Promise<{ template: LetterTemplate; version: number | null }> {
    const row = await this.db.selectFrom('letter_templates').selectAll().where('kind', '=', kind).executeTakeFirst();
    return row ? { template: { subject: row.subject, body: row.body }, version: row.version } : { template: DEFAULT_TEMPLATES[kind], version: null };
  }

  private templateView(kind: LetterKind, row?: { subject: string; body: string; version: number; updated_at: Date; updated_by: string | null }) {
    return {
      kind,
      title: LETTER_TITLES[kind],
      subject: row?.subject ?? DEFAULT_TEMPLATES[kind].subject,
      body: row?.body ?? DEFAULT_TEMPLATES[kind].body,
      edited: !!row,
      version: row?.version ?? 0,
      updatedAt: row ? new Date(row.updated_at).toISOString() : null,
      required: [...REQUIRED_ELEMENTS[kind], { ...SUBJECT_REQUIRED, label: `${SUBJECT_REQUIRED.label} (in the subject)` }].map((e) => ({
        key: e.key,
        label: e.label,
        code: e.code,
        fields: e.fields.map((alt) => alt.map((f) => `{{ ${f} }}`)),
      })),
      defaultWording: DEFAULT_TEMPLATES[kind],
    };
  }

  async listTemplates(actor: Actor) {
    requirePermission(actor, 'letters:read');
    const stored = await this.storedTemplates();
    return { items: LETTER_KINDS.map((k) => this.templateView(k, stored.get(k))), fields: TEMPLATE_FIELDS };
  }

  async getTemplate(actor: Actor, kind: string) {
    requirePermission(actor, 'letters:read');
    const k = this.kind(kind);
    const row = await this.db.selectFrom('letter_templates').selectAll().where('kind', '=', k).executeTakeFirst();
    return { ...this.templateView(k, row), fields: TEMPLATE_FIELDS };
  }

  /**
   * Save edited wording. Refused (TemplateProblem, naming what is missing) when it drops a
   * required element or uses anything the sandbox does not allow.
   */
  async saveTemplate(actor: Actor, kind: string, input: { subject: string; body: string; version?: number | null }) {
    requirePermission(actor, 'letter-templates:manage');
    const k = this.kind(kind);
    const t = { subject: input.subject.trim(), body: input.body.replace(/\r\n?/g, '\n') };
    checkTemplate(k, t);
    const now = this.clock();
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('letter_templates').selectAll().where('kind', '=', k).forUpdate().executeTakeFirst();
      const current = row?.version ?? 0;
      if (input.version != null && input.version !== current) throw new VersionConflict('The template', current);
      if (row) {
        await trx.updateTable('letter_templates').set({ subject: t.subject, body: t.body, version: current + 1, updated_by: actor.id, updated_at: now }).where('kind', '=', k).execute();
      } else {
        await trx.insertInto('letter_templates').values({ kind: k, subject: t.subject, body: t.body, version: 1, updated_by: actor.id, updated_at: now }).execute();
      }
      await recordHistory(
        trx,
        actor,
        { entity: 'letter_template', action: 'letter_template_changed', before: row ? { kind: k, subject: row.subject, body: row.body, version: row.version } : { kind: k, default: true }, after: { kind: k, ...t, version: current + 1 } },
        now,
      );
    });
    return this.getTemplate(actor, k);
  }

  /** Go back to the default wording. */
  async resetTemplate(actor: Actor, kind: string) {
    requirePermission(actor, 'letter-templates:manage');
    const k = this.kind(kind);
    await this.db.transaction().execute(async (trx) => {
      const row = await trx.deleteFrom('letter_templates').where('kind', '=', k).returningAll().executeTakeFirst();
      if (row) await recordHistory(trx, actor, { entity: 'letter_template', action: 'letter_template_reset', before: { kind: k, subject: row.subject, body: row.body, version: row.version } }, this.clock());
    });
    return this.getTemplate(actor, k);
  }

  /** Who changed a template's wording, and when (newest first). */
  async templateHistory(actor: Actor, kind: string) {
    requirePermission(actor, 'letters:read');
    const k = this.kind(kind);
    const rows = await this.db
      .selectFrom('history')
      .select(['id', 'action', 'actor_label', 'at', 'after'])
      .where('entity', '=', 'letter_template')
      .where(sql<boolean>`coalesce(after->>'kind', before->>'kind') = ${k}`)
      .orderBy('at', 'desc')
      .orderBy('id', 'desc')
      .limit(100)
      .execute();
    return rows.map((r) => ({
      action: r.action === 'letter_template_reset' ? 'Went back to the shipped wording' : `Changed the wording (version ${(r.after as any)?.version ?? '?'})`,
      by: r.actor_label,
      at: new Date(r.at).toISOString(),
    }));
  }

  /**
   * Render wording that has not been saved, against the sample case or a chosen case (by its
   * reference), so a manager sees exactly what a resident would get. Checks the template first.
   */
  async previewTemplate(actor: Actor, kind: string, template: LetterTemplate, against: { reference?: string | null } = {}) {
    requirePermission(actor, 'letter-templates:manage');
    const k = this.kind(kind);
    const t = { subject: template.subject.trim(), body: template.body.replace(/\r\n?/g, '\n') };
    checkTemplate(k, t);
    let facts: LetterFacts;
    let caseLabel = 'the sample case (CMP-000123, Ms Priya Shah)';
    if (against.reference) {
      const ref = against.reference.trim().toUpperCase();
      const row = await this.db.selectFrom('complaints').select(['id', 'reference']).where('reference', '=', ref).executeTakeFirst();
      if (!row) throw new InvalidInput(`There is no complaint with the reference ${ref}.`, 'reference');
      facts = (await this.facts(actor, row.id, k, {})).facts;
      caseLabel = row.reference;
    } else {
      const st = await this.settings.get();
      facts = sampleFacts(
        k,
        { landlord: { name: st.landlord.name, address: st.landlord.address, email: st.landlord.complaintsEmail, phone: st.landlord.complaintsPhone }, ombudsman: st.ombudsman, lgsco: st.lgsco },
        actor.name,
      );
    }
    const rendered = renderLetter(k, t, buildContext(facts));
    return { caseLabel, subject: rendered.subject, text: rendered.text, complete: rendered.complete, message: rendered.complete ? null : describeMissing(k, rendered.missing), readability: rendered.readability };
  }

  private kind(kind: string): LetterKind {
    if (!isLetterKind(kind)) throw new InvalidInput(`There is no letter kind "${kind}". The kinds are: ${LETTER_KINDS.join(', ')}.`, 'kind');
    return kind;
  }

  // ------------------------------------------------------------------ rendering from the case

  /** The facts of the case a letter of this kind is written from; refuses a kind the case is not ready for. */
  private async facts(actor: Actor, complaintId: string, kind: LetterKind, options: SendOptions) {
    const view = await this.complaints.get(actor, complaintId);
    const settings = await this.settings.get();
    const events = await this.complaints.events(this.db, complaintId);
    const stageView = (n: Stage) => view.stages.find((s) => s.stage === n) ?? null;
    const lastEvent = <T extends LifecycleEvent['type']>(type: T, pred: (e: Extract<LifecycleEvent, { type: T }>) => boolean = () => true) =>
      [...events].reverse().find((e) => e.type === type && pred(e as any)) as Extract<LifecycleEvent, { type: T }> | undefined;
    const notReady = (why: string): never => {
      throw new InvalidInput(`${LETTER_TITLES[kind]} cannot be written for this complaint yet: ${why}`, 'kind');
    };

    let stage: Stage = view.stage as Stage;
    if (kind === 'stage1_acknowledgement' || kind === 'stage1_response') stage = 1;
    if (kind === 'stage2_acknowledgement' || kind === 'stage2_response' || kind === 'refusal_escalation') stage = 2;
    const s = stageView(stage);
    if (!s) notReady(`it has not been escalated to stage ${stage}.`);
    const st = s!;

    switch (kind) {
      case 'stage1_acknowledgement':
      case 'stage2_acknowledgement':
        if (!st.acknowledgedOn) notReady(`acknowledge it at stage ${stage} first, recording the complaint definition.`);
        break;
      case 'extension':
        if (st.extensions.length === 0) notReady(`no extension is recorded at stage ${stage}.`);
        break;
      case 'update':
        if (!['awaiting_acknowledgement', 'investigating'].includes(view.status)) notReady(`it is ${view.statusLabel.toLowerCase()}; updates are for complaints still being investigated.`);
        break;
      case 'stage1_response':
      case 'stage2_response':
        if (!st.respondedOn) notReady(`no stage ${stage} response is recorded.`);
        break;
      case 'refusal_acceptance':
      case 'refusal_escalation': {
        const want = kind === 'refusal_acceptance' ? 'acceptance' : 'escalation';
        if (view.status !== 'refused' || view.refusal?.kind !== want) notReady(`no refusal ${want === 'acceptance' ? 'to accept it' : 'to escalate it'} is recorded.`);
        break;
      }
      case 'closure':
        if (view.status !== 'closed') notReady('it is not closed.');
        break;
    }

    let offers: LetterFacts['offers'] = null;
    let completedAction: LetterFacts['completedAction'] = null;
    let remainingActions: LetterFacts['remainingActions'] = null;
    if (kind === 'remedy_offer') {
      const rows = await this.db.selectFrom('remedies').select(['type', 'description', 'amount_pence', 'open_until']).where('complaint_id', '=', complaintId).where('status', '=', 'offered').orderBy('recorded_on').orderBy('id').execute();
      if (rows.length === 0) notReady('no offer is recorded as made to the resident and awaiting their answer (record the offer on the remedies page first).');
      offers = rows.map((r) => ({ type: r.type as any, description: r.description, amountPence: r.amount_pence, openUntil: r.open_until ? String(r.open_until).slice(0, 10) : null }));
    }
    if (kind === 'action_completed') {
      const done = await this.db
        .selectFrom('actions')
        .select(['id', 'description', 'completed_on', 'completion_note'])
        .where('complaint_id', '=', complaintId)
        .where('status', '=', 'done')
        .$if(!!options.actionId, (q) => q.where('id', '=', options.actionId!))
        .orderBy('completed_on', 'desc')
        .orderBy('updated_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      if (!done) notReady(options.actionId ? 'that action is not recorded as done on this complaint.' : 'no action is recorded as done.');
      completedAction = { description: done!.description, completedOn: String(done!.completed_on).slice(0, 10), note: done!.completion_note };
      const open = await this.db.selectFrom('actions').select(['description', 'due_on']).where('complaint_id', '=', complaintId).where('status', '=', 'open').orderBy('due_on').orderBy('id').execute();
      remainingActions = open.map((a) => ({ description: a.description, dueBy: a.due_on ? String(a.due_on).slice(0, 10) : null }));
    }

    const responded = lastEvent('responded', (e) => e.stage === stage);
    const refused = lastEvent('refused');
    const closed = lastEvent('closed');
    const lastExt = st.extensions[st.extensions.length - 1];
    const lastUpdate = st.updates[st.updates.length - 1];

    const resident = view.residentId ? await this.db.selectFrom('residents').selectAll().where('id', '=', view.residentId).executeTakeFirst() : undefined;
    const needsRows = view.residentId
      ? await this.db.selectFrom('resident_needs').select(['kind', 'description']).where('resident_id', '=', view.residentId).where('ended_on', 'is', null).execute()
      : [];
    const representative = view.representativeId ? await this.db.selectFrom('representatives').selectAll().where('id', '=', view.representativeId).executeTakeFirst() : undefined;

    const addressLines = resident ? [resident.address_line1, resident.address_line2, resident.town, resident.postcode].filter((x): x is string => !!x && !!x.trim()) : [];
    const residentName = resident ? [resident.title, resident.given_name, resident.family_name].filter(Boolean).join(' ') : null;
    const today = londonDateOf(this.clock());

    const facts: LetterFacts = {
      kind,
      today,
      landlord: { name: settings.landlord.name, address: settings.landlord.address, email: settings.landlord.complaintsEmail, phone: settings.landlord.complaintsPhone },
      ombudsman: settings.ombudsman,
      lgsco: settings.lgsco,
      resident: resident
        ? { name: residentName, title: resident.title, givenName: resident.given_name, familyName: resident.family_name, addressLines }
        : null,
      complaint: { reference: view.reference, receivedOn: view.receivedOn, serviceArea: view.serviceArea, description: view.description },
      senderName: actor.name,
      stage,
      handlerName: st.handler?.name ?? null,
      stageFacts: {
        acknowledgedOn: st.acknowledgedOn,
        startedOn: st.startDate,
        escalationReason: st.escalationReason,
        definition: st.definition,
        responseDue: st.responseDueProjected ? null : st.responseDue,
        extension: lastExt ? { reason: lastExt.reason, previousDue: lastExt.previousDue, newDue: lastExt.newDue } : null,
        updateInterval: st.updateInterval ? { everyWorkingDays: st.updateInterval.everyWorkingDays } : null,
        nextUpdateDue: st.nextUpdateDue,
        lastUpdate: lastUpdate ? { on: lastUpdate.on, summary: lastUpdate.summary } : null,
        response: responded
          ? {
              on: responded.on,
              outcome: responded.outcome,
              points: responded.points,
              remedies: responded.remedies,
              outstandingActions: responded.outstandingActions,
              nextSteps: responded.nextSteps,
            }
          : null,
      },
      refusal:
        refused && view.status === 'refused'
          ? {
              kind: refused.kind,
              groundLabel: settings.exclusionGrounds.find((g) => g.key === refused.ground)?.label ?? refused.ground,
              reasoning: refused.reasoning,
              on: refused.on,
              discretion: refused.discretion?.reasons ?? null,
            }
          : null,
      closure: closed && view.status === 'closed' ? { on: closed.on, summary: closed.summary ?? null, afterStage: view.stage as Stage } : null,
      summaryOverride: options.summary ?? null,
      offers,
      completedAction,
      remainingActions,
    };
    return { view, settings, facts, resident, representative, needs: [...((resident?.communication_needs as string[] | null) ?? []), ...needsRows.map((n) => n.description)], residentName, addressLines, today };
  }

  private recipient(
    settings: Settings,
    f: Awaited<ReturnType<LetterService['facts']>>,
    options: SendOptions,
  ): Recipient {
    const { resident, representative, needs, residentName, addressLines, view, today } = f;
    if (!resident) throw new InvalidInput('This complaint is anonymous, so there is no one to send a letter to.', 'kind');
    const channel = options.channel ?? (resident.email && resident.preferred_contact !== 'letter' ? 'email' : 'post');
    if (channel === 'email' && !resident.email) throw new InvalidInput('The resident has no email address on record: send the letter by post, or add their email address.', 'channel');
    if (channel === 'post' && addressLines.length === 0) throw new InvalidInput('The resident has no postal address on record: send the letter by email, or add their address.', 'channel');
    const prompts: Prompt[] = [];
    const languageNeeds = needs.filter((n) => LANGUAGE.test(n));
    const language = resident.language && !/^english$/i.test(resident.language.trim()) ? resident.language.trim() : null;
    if (languageNeeds.length || language) {
      const what = [...languageNeeds, ...(language && !languageNeeds.some((n) => n.toLowerCase().includes(language.toLowerCase())) ? [`Language: ${language}`] : [])].join('; ');
      prompts.push({
        code: 'language_need',
        message: `${residentName || 'The resident'} has a communication need (${what}). The letter has gone in English: arrange a translation, an interpreter or a BSL video call so they can understand it, and record what you did.`,
      });
    }
    const formatNeeds = needs.filter((n) => FORMAT.test(n));
    if (formatNeeds.length) {
      prompts.push({ code: 'format_need', message: `${residentName || 'The resident'} needs another format (${formatNeeds.join('; ')}). Send the letter in that format too.` });
    }
    const cc: string[] = [];
    if (representative) {
      if (channel === 'email' && representative.email) cc.push(representative.email);
      else if (channel === 'post' && representative.address) cc.push(`${representative.name}, ${representative.address.replace(/\s*\n\s*/g, ', ')}`);
      else {
        prompts.push({
          code: 'representative_copy_by_post',
          message: `${representative.name} (${representative.relationship}) represents the resident but has no ${channel === 'email' ? 'email address' : 'postal address'} on record: send them a copy another way.`,
        });
      }
    }
    return {
      channel,
      to: channel === 'email' ? resident.email! : [residentName, ...addressLines].filter(Boolean).join(', '),
      cc,
      largePrint: needs.some((n) => LARGE_PRINT.test(n)),
      prompts,
      letterhead: {
        landlordName: settings.landlord.name,
        landlordAddress: settings.landlord.address,
        landlordPhone: settings.landlord.complaintsPhone,
        landlordEmail: settings.landlord.complaintsEmail,
        colour: settings.landlord.primaryColour,
        date: formatLongDate(today),
        reference: view.reference,
        recipient: [residentName ?? '', ...addressLines].filter(Boolean),
      },
    };
  }

  private async compose(actor: Actor, complaintId: string, kind: LetterKind, options: SendOptions) {
    const f = await this.facts(actor, complaintId, kind, options);
    const { template, version } = await this.templateFor(kind);
    const rendered = renderLetter(kind, template, buildContext(f.facts));
    const r = this.recipient(f.settings, f, options);
    const logo = await this.db.selectFrom('letterhead_logo').select(['content_type', 'data']).where('id', '=', 'logo').executeTakeFirst();
    if (logo) r.letterhead.logo = { contentType: logo.content_type, data: Buffer.from(logo.data).toString('base64') };
    const html = toHtml(rendered.blocks, { subject: rendered.subject, largePrint: r.largePrint, letterhead: r.letterhead });
    return { f, rendered, r, html, templateVersion: version };
  }

  /** Render a letter without sending it: the words, the checks, readability and how it would go. */
  async preview(actor: Actor, complaintId: string, kind: string, options: SendOptions = {}) {
    requirePermission(actor, 'letters:send');
    const k = this.kind(kind);
    const { rendered, r, html } = await this.compose(actor, complaintId, k, options);
    return {
      kind: k,
      title: LETTER_TITLES[k],
      subject: rendered.subject,
      text: rendered.text,
      html,
      complete: rendered.complete,
      missing: rendered.missing,
      message: rendered.complete ? null : describeMissing(k, rendered.missing),
      readability: rendered.readability,
      channel: r.channel,
      to: r.to,
      cc: r.cc,
      largePrint: r.largePrint,
      prompts: r.prompts,
    };
  }

  /**
   * Render the letter from the case, check it carries every required element, and send it: the
   * letter, its email (through the outbox, if by email), a correspondence entry and a history row
   * are written in one transaction. Returns the letter and any prompts for the handler (e.g. an
   * interpreter is needed): they do not stop the letter.
   */
  async send(actor: Actor, complaintId: string, kind: string, options: SendOptions = {}, idempotencyKey?: string | null) {
    requirePermission(actor, 'letters:send');
    const k = this.kind(kind);
    const { f, rendered, r, html, templateVersion } = await this.compose(actor, complaintId, k, options);
    if (!rendered.complete) throw new LetterIncomplete(describeMissing(k, rendered.missing), rendered.missing);
    const now = this.clock();
    const result = await idempotentCreate(
      this.db,
      { userId: actor.id, key: idempotencyKey, route: 'POST /api/v1/complaints/:id/letters', request: { complaintId, kind: k, options } },
      async (trx) => {
        const letterId = crypto.randomUUID();
        let outboxId: string | null = null;
        if (r.channel === 'email') {
          outboxId = (
            await enqueueEmail(
              trx,
              { to: [r.to], cc: r.cc, subject: rendered.subject, text: rendered.text, html, complaintId, kind: k, letterId, messageIdDomain: domainOf(f.settings.landlord.complaintsEmail) },
              now,
            )
          ).id;
        }
        await trx
          .insertInto('letters')
          .values({
            id: letterId,
            complaint_id: complaintId,
            kind: k,
            stage: f.facts.stage,
            subject: rendered.subject,
            body_text: rendered.text,
            body_html: html,
            blocks: JSON.stringify(rendered.blocks),
            letterhead: JSON.stringify(r.letterhead),
            channel: r.channel,
            to_address: r.to,
            cc: JSON.stringify(r.cc),
            large_print: r.largePrint,
            readability: JSON.stringify(rendered.readability),
            prompts: JSON.stringify(r.prompts),
            template_version: templateVersion,
            outbox_id: outboxId,
            sent_by: actor.id,
            sent_by_name: actor.name,
            sent_at: now,
          })
          .execute();
        await trx
          .insertInto('correspondence')
          .values({
            complaint_id: complaintId,
            direction: 'out',
            channel: r.channel === 'email' ? 'email' : 'letter',
            subject: rendered.subject,
            body: rendered.text,
            counterpart: [r.to, ...r.cc].join('; '),
            occurred_at: now,
            recorded_by: actor.id,
            created_at: now,
          })
          .execute();
        await recordHistory(
          trx,
          actor,
          {
            complaintId,
            residentId: f.view.residentId,
            entity: 'letter',
            entityId: letterId,
            action: 'letter_sent',
            after: { kind: k, title: LETTER_TITLES[k], channel: r.channel, to: r.to, cc: r.cc, subject: rendered.subject, largePrint: r.largePrint, outboxId, prompts: r.prompts.map((p) => p.code) },
          },
          now,
        );
        return { status: 201, body: { letter: await this.get(actor, complaintId, letterId, trx), prompts: r.prompts } };
      },
    );
    return result;
  }

  // ------------------------------------------------------------------ letters due

  /**
   * For each complaint, the letters its recorded steps call for that have not been sent since
   * (e.g. acknowledged, but no acknowledgement letter). One query however many complaints.
   */
  async due(complaintIds: string[]): Promise<Map<string, { kind: LetterKind; title: string; since: Date }[]>> {
    const out = new Map<string, { kind: LetterKind; title: string; since: Date }[]>();
    if (complaintIds.length === 0) return out;
    const ids = [...new Set(complaintIds)];
    // What the rule reads, kept in one narrow table beside the four it comes from (migration 0023):
    // one run of one index per complaint, read from the index alone. Each complaint's inputs come
    // as one JSON array (parsing hundreds of rows and dates cost the server more than the rule
    // itself), with times as whole milliseconds since 1970, as a Date holds them. The time is
    // worked out in whole numbers (seconds, then the milliseconds within them), exactly as the
    // driver would read it but without numeric arithmetic, and the array is not sorted in SQL:
    // both cost PostgreSQL more than the rest of the query (issue 9). Sorted here instead.
    const rows = (
      await sql<{ complaint_id: string; items: [LetterInputSource, string | null, number, number | null, string | null, number][] }>`
        select complaint_id,
          json_agg(json_build_array(source, kind,
            date_part('epoch', date_trunc('second', at))::bigint * 1000 + (date_part('microseconds', at)::int / 1000) % 1000,
            stage, refusal_kind, seq)) as items
          from complaint_letter_inputs
         where complaint_id = any(${ids}::uuid[])
         group by complaint_id`.execute(this.db)
    ).rows;
    const byCase = new Map(ids.map((id) => [id, { steps: [] as CaseStep[], sent: [] as { kind: string; sentAt: Date }[], offers: [] as Date[], done: [] as Date[] }]));
    for (const r of rows) {
      const c = byCase.get(r.complaint_id);
      if (!c) continue;
      // Steps in the order they were recorded (the rule orders them by time, keeping that order
      // for steps at the same instant); offers and completed actions earliest first.
      const items = r.items.sort((a, b) => a[5] - b[5] || a[2] - b[2]);
      for (const [source, kind, ms, stage, refusalKind] of items) {
        const at = new Date(ms);
        if (source === 'step') c.steps.push({ action: kind!, at, stage: stage ?? null, refusalKind: refusalKind ?? null });
        else if (source === 'letter') c.sent.push({ kind: kind!, sentAt: at });
        else if (source === 'offer') c.offers.push(at);
        else c.done.push(at);
      }
    }
    for (const [id, c] of byCase) {
      const extra = [...c.offers.map((since) => ({ kind: 'remedy_offer' as const, since })), ...c.done.map((since) => ({ kind: 'action_completed' as const, since }))];
      const due = lettersDue(c.steps, c.sent, extra);
      if (due.length) out.set(id, due);
    }
    return out;
  }

  // ------------------------------------------------------------------ the archive

  async list(actor: Actor, complaintId: string) {
    requirePermission(actor, 'letters:read');
    await this.complaints.getRow(complaintId);
    const rows = await this.letterRows(this.db).where('letters.complaint_id', '=', complaintId).orderBy('letters.sent_at').orderBy('letters.id').execute();
    return rows.map((row) => {
      const { text: _t, html: _h, ...rest } = this.letterView(row);
      return rest;
    });
  }

  async get(actor: Actor, complaintId: string, letterId: string, trx: Db = this.db) {
    requirePermission(actor, 'letters:read');
    const row = await this.letterRows(trx).where('letters.id', '=', letterId).where('letters.complaint_id', '=', complaintId).executeTakeFirst();
    if (!row) throw new NotFound('The letter');
    return this.letterView(row);
  }

  /** The letter as a Word document or PDF, made from the words archived when it was sent. */
  async document(actor: Actor, complaintId: string, letterId: string, format: 'docx' | 'pdf') {
    requirePermission(actor, 'letters:read');
    const row = await this.db.selectFrom('letters').selectAll().where('id', '=', letterId).where('complaint_id', '=', complaintId).executeTakeFirst();
    if (!row) throw new NotFound('The letter');
    const input = { subject: row.subject, blocks: row.blocks as Block[], letterhead: row.letterhead as Letterhead, largePrint: row.large_print };
    const data = format === 'docx' ? await letterDocx(input) : await letterPdf(input);
    const ref = (row.letterhead as Letterhead).reference;
    return {
      filename: `${ref}-${row.kind.replace(/_/g, '-')}-${londonDateOf(new Date(row.sent_at))}.${format}`,
      contentType: format === 'docx' ? 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' : 'application/pdf',
      data,
    };
  }

  private letterRows(db: Db) {
    return db
      .selectFrom('letters')
      .leftJoin('outbox', 'outbox.id', 'letters.outbox_id')
      .selectAll('letters')
      .select(['outbox.status as outbox_status', 'outbox.attempts as outbox_attempts', 'outbox.last_error as outbox_error', 'outbox.sent_at as outbox_sent_at', 'outbox.message_id as outbox_message_id']);
  }

  private letterView(r: any) {
    const kind = r.kind as LetterKind;
    const base = `/api/v1/complaints/${r.complaint_id}/letters/${r.id}`;
    return {
      id: r.id as string,
      complaintId: r.complaint_id as string,
      kind,
      title: LETTER_TITLES[kind] ?? kind,
      stage: r.stage as number,
      subject: r.subject as string,
      text: r.body_text as string,
      html: r.body_html as string,
      channel: r.channel as 'email' | 'post',
      to: r.to_address as string,
      cc: r.cc as string[],
      largePrint: r.large_print as boolean,
      readability: r.readability as Readability,
      prompts: r.prompts as Prompt[],
      templateVersion: r.template_version as number | null,
      sentBy: { id: r.sent_by as string | null, name: r.sent_by_name as string },
      sentAt: new Date(r.sent_at).toISOString(),
      email: r.outbox_id
        ? {
            outboxId: r.outbox_id as string,
            messageId: r.outbox_message_id as string,
            status: r.outbox_status as string,
            attempts: r.outbox_attempts as number,
            lastError: r.outbox_error as string | null,
            sentAt: r.outbox_sent_at ? new Date(r.outbox_sent_at).toISOString() : null,
          }
        : null,
      downloads: { docx: `${base}.docx`, pdf: `${base}.pdf` },
    };
  }
}
