/**
 * One seed worker: writes its share of residents (a range of homes) and of complaints (a slice of
 * the period, in time order) with everything that hangs off them, through COPY streams.
 * Run by src/seed/load.ts as a child process: `tsx src/seed/worker.ts '<json>'`.
 */
import crypto from 'node:crypto';
import { WorkingDayCalendar } from '../core/calendar.js';
import { addDays, londonDateOf, type LocalDate } from '../core/dates.js';
import { escapeHtml, toHtml, type Block } from '../core/letters.js';
import { Rng } from '../demo/generate.js';
import { DEFAULT_SETTINGS } from '../services/settings.js';
import { CopyStream } from './csv.js';
import { homeFacts, residentId, type ShardSpec } from './model.js';
import { simulateComplaint, projectionColumns, type SeedStaff } from './simulate.js';
import type { RemedyRecord } from '../core/remedies.js';
import { EXTENSION_FACT_COLUMNS, STAGE_FACT_COLUMNS, stageFactRows, summaryRow, SUMMARY_COLUMNS } from '../services/stage-facts.js';
import type { LifecycleEvent } from '../core/lifecycle.js';

const spec = JSON.parse(process.argv[2]) as ShardSpec;
const cal = new WorkingDayCalendar(DEFAULT_SETTINGS.calendar);
const exclusionGrounds = DEFAULT_SETTINGS.exclusionGrounds.map((g) => g.key);
const staff = spec.staff as SeedStaff[];
const handlers = staff.filter((s) => s.role === 'handler');
const managers = staff.filter((s) => s.role === 'manager');
const loggers = staff.filter((s) => s.role === 'staff' || s.role === 'handler');

const url = spec.databaseUrl;
const streams = {
  residents: new CopyStream(url, 'residents', ['id', 'reference', 'title', 'given_name', 'family_name', 'email', 'phone', 'address_line1', 'address_line2', 'town', 'postcode', 'postcode_key', 'property_reference', 'tenure', 'preferred_contact', 'communication_needs', 'language', 'created_at', 'updated_at']),
  needs: new CopyStream(url, 'resident_needs', ['resident_id', 'kind', 'description', 'disclosed_on', 'review_on', 'created_at']),
  serviceRequests: new CopyStream(url, 'service_requests', ['id', 'reference', 'resident_id', 'received_at', 'channel', 'service_area', 'category', 'description', 'status', 'closed_on', 'created_by', 'created_at', 'updated_at']),
  complaints: new CopyStream(url, 'complaints', ['id', 'reference', 'resident_id', 'anonymous', 'channel', 'received_at', 'received_on', 'issue_arose', 'description', 'outcome_sought', 'service_area', 'category', 'service_request_id', 'subject_staff_ids', 'logged_by', 'rule_version', 'status', 'stage', 'stage1_handler_id', 'stage2_handler_id', 'outcome', 'next_due_on', 'next_due_kind', 'vulnerable', 'extended', 'closed_on', 'created_at', 'updated_at', 'version', 'facts_version']),
  stageFacts: new CopyStream(url, 'complaint_stage_facts', [...STAGE_FACT_COLUMNS]),
  extensionFacts: new CopyStream(url, 'complaint_extension_facts', [...EXTENSION_FACT_COLUMNS]),
  caseSummaries: new CopyStream(url, 'complaint_case_summaries', [...SUMMARY_COLUMNS]),
  history: new CopyStream(url, 'history', ['complaint_id', 'resident_id', 'entity', 'entity_id', 'action', 'event', 'before', 'after', 'actor_id', 'actor_label', 'at']),
  remedies: new CopyStream(url, 'remedies', ['id', 'complaint_id', 'stage', 'type', 'description', 'owner_user_id', 'status', 'source', 'recorded_on', 'amount_pence', 'due_on', 'approval_required', 'approval_limit_pence', 'offered_on', 'open_until', 'accepted_on', 'paid_on', 'payment_method', 'payment_reference', 'not_offset_confirmed', 'completed_on', 'completion_note', 'created_by', 'created_at', 'updated_at', 'version']),
  actions: new CopyStream(url, 'actions', ['complaint_id', 'stage', 'description', 'owner_team', 'due_on', 'status', 'source', 'recorded_on', 'completed_on', 'completion_note', 'created_by', 'created_at', 'updated_at', 'version']),
  letters: new CopyStream(url, 'letters', ['id', 'complaint_id', 'kind', 'stage', 'subject', 'body_text', 'body_html', 'blocks', 'letterhead', 'channel', 'to_address', 'large_print', 'readability', 'sent_by', 'sent_by_name', 'sent_at']),
};

const AREAS = DEFAULT_SETTINGS.serviceAreas;
const AREA_WEIGHTS: readonly (readonly [string, number])[] = [
  ['Repairs', 42], ['Damp and mould', 14], ['Anti-social behaviour', 10], ['Rent and service charges', 8], ['Estate services', 8], ['Lettings', 4], ['Customer service', 11], ['Support services', 3],
];
const ISSUES: Record<string, string[]> = {
  Repairs: ['The boiler has broken down repeatedly and the repair keeps being cancelled', 'A leak from the flat above was reported many times before anyone came', 'The kitchen repair was left unfinished by the contractor', 'The front door does not lock properly and the repair is overdue'],
  'Damp and mould': ['Black mould in the bedroom has come back after treatment', 'Condensation and damp in the bathroom were not investigated', 'Damp in the children’s bedroom is affecting their health'],
  'Anti-social behaviour': ['Reports of noise and harassment from a neighbour were not acted on', 'Drug dealing in the stairwell was reported but nothing changed'],
  'Rent and service charges': ['The service charge went up without explanation', 'Rent payments were not credited to the account'],
  'Estate services': ['The communal areas have not been cleaned for weeks', 'The grounds maintenance visits did not happen'],
  Lettings: ['The home was not ready on the day of moving in'],
  'Customer service': ['Calls and emails were not returned', 'Staff were rude on the phone'],
  'Support services': ['The support worker stopped visiting without notice'],
};
const CHANNELS: readonly (readonly [string, number])[] = [['phone', 42], ['email', 25], ['web', 18], ['letter', 5], ['in_person', 5], ['social_media', 3], ['text', 2]];
const CATEGORIES = DEFAULT_SETTINGS.categories;

const LETTER_SUBJECT: Record<string, string> = {
  stage1_acknowledgement: 'We have received your complaint',
  stage2_acknowledgement: 'We have escalated your complaint to stage 2',
  extension: 'We need more time to respond to your complaint',
  stage1_response: 'Our response to your complaint',
  stage2_response: 'Our final response to your complaint',
  refusal_acceptance: 'We cannot take your complaint forward',
  refusal_escalation: 'We cannot escalate your complaint',
};

async function main() {
  const t0 = Date.now();
  // Residents: one household per home in this worker's range.
  const created = new Date(spec.startMs - 400 * 86_400_000);
  for (let h = spec.homeFrom; h < spec.homeTo; h++) {
    const f = homeFacts(h, spec.seed);
    await streams.residents.row([residentId(h), f.reference, f.title, f.givenName, f.familyName, f.email, f.phone, f.line1, null, f.town, f.postcode, f.postcodeKey, f.propertyReference, f.tenure, f.preferred, f.needs, null, created, created]);
    if (f.need) await streams.needs.row([residentId(h), f.need.kind, f.need.description, addDays(londonDateOf(created), 30), null, created]);
  }

  // Complaints in this worker's slice of the period, in order of receipt.
  const rng = new Rng(spec.seed * 7919 + spec.worker);
  const n = spec.complaintTo - spec.complaintFrom;
  const span = spec.sliceEndMs - spec.sliceStartMs;
  const times = Array.from({ length: n }, () => spec.sliceStartMs + Math.floor(rng.next() * span)).sort((a, b) => a - b);
  let srNumber = spec.complaintFrom * 2;
  for (let i = 0; i < n; i++) {
    const k = spec.complaintFrom + i;
    const c = Rng.of(spec.seed, 'c', k);
    const home = c.int(0, spec.homes - 1);
    const f = homeFacts(home, spec.seed);
    const rid = residentId(home);
    const area = c.weighted(AREA_WEIGHTS);
    const issue = c.pick(ISSUES[area] ?? ISSUES.Repairs);
    const receivedAt = new Date(times[i]);
    const channel = c.weighted(CHANNELS);
    const category = c.pick(CATEGORIES);
    const reference = `CMP-${String(k + 1).padStart(6, '0')}`;
    const id = crypto.randomUUID();
    const logger = c.pick(loggers);
    const manager = c.pick(managers);
    const lateIssue = c.chance(0.03);
    const issueArose = lateIssue ? addDays(londonDateOf(receivedAt), -c.int(380, 600)) : c.chance(0.6) ? addDays(londonDateOf(receivedAt), -c.int(3, 120)) : null;
    const description = `${issue}. ${f.givenName} says it has been going on for ${c.int(2, 16)} weeks.`;

    // A repair-type complaint usually follows a service request; every household makes others too.
    let srId: string | null = null;
    if (area === 'Repairs' || area === 'Damp and mould' ? c.chance(0.7) : c.chance(0.15)) {
      srId = crypto.randomUUID();
      const srAt = new Date(receivedAt.getTime() - c.int(3, 60) * 86_400_000);
      await streams.serviceRequests.row([srId, `SR-${String(++srNumber).padStart(6, '0')}`, rid, srAt, c.weighted(CHANNELS), area, null, `${issue} (reported)`, 'closed', londonDateOf(receivedAt), logger.id, srAt, receivedAt]);
    }
    if (c.chance(0.6)) {
      const srAt = new Date(receivedAt.getTime() - c.int(1, 300) * 86_400_000);
      const closed = srAt.getTime() + 20 * 86_400_000 < spec.endMs;
      await streams.serviceRequests.row([crypto.randomUUID(), `SR-${String(++srNumber).padStart(6, '0')}`, rid, srAt, c.weighted(CHANNELS), c.pick(AREAS), null, 'Routine repair request', closed ? 'closed' : 'open', closed ? londonDateOf(new Date(srAt.getTime() + 20 * 86_400_000)) : null, logger.id, srAt, srAt]);
    }

    const sim = simulateComplaint({
      rng: c, cal, receivedAt, endMs: spec.endMs, logger, manager, handlers, area, issue, exclusionGrounds, channel, description, reference, category, issueArose,
    });
    const state = sim.state;
    const last = sim.steps[sim.steps.length - 1].at;
    const vulnerable = !!f.need && f.need.kind !== 'adjustment' ? true : !!state.triage?.vulnerable;
    const p = projectionColumns(state);
    await streams.complaints.row([
      id, reference, rid, false, channel, receivedAt, state.receivedOn, issueArose, description, 'The problem put right and an apology.', area, category, srId, '[]', logger.id,
      p.rule_version, p.status, p.stage, p.stage1_handler_id, p.stage2_handler_id, p.outcome, p.next_due_on, p.next_due_kind, vulnerable, p.extended, p.closed_on,
      sim.steps[0].at, last, sim.version, sim.version,
    ]);
    // The measures' facts, as the engine stores them beside every command (stage-facts.ts).
    const facts = stageFactRows(id, state, { received_on: state.receivedOn, tenure: f.tenure, channel, service_area: area, category });
    for (const r of facts.stages) await streams.stageFacts.row(STAGE_FACT_COLUMNS.map((k) => r[k]));
    for (const r of facts.extensions) await streams.extensionFacts.row(EXTENSION_FACT_COLUMNS.map((k) => r[k]));
    const summary = summaryRow(id, sim.steps.map((s) => ({ ...s.event, actorId: s.actor.id, at: s.at.toISOString() }) as LifecycleEvent), cal, { channel, service_area: area, contractor: null, representative_id: null, service_request_id: srId, logged_by: logger.id }, state);
    await streams.caseSummaries.row(SUMMARY_COLUMNS.map((k) => summary[k]));

    // History in the order the services write it: each lifecycle event, then what it caused.
    const remedyIds = sim.remedies.map(() => crypto.randomUUID());
    const byTime: { at: number; order: number; row: (string | Date | null)[] }[] = [];
    let order = 0;
    for (const s of sim.steps) {
      byTime.push({ at: s.at.getTime(), order: order++, row: [id, rid, 'complaint', id, s.action, JSON.stringify(s.event), s.before === null ? null : JSON.stringify(s.before), JSON.stringify(s.after), s.actor.id, s.actor.name, s.at] });
    }
    for (const [j, r] of sim.remedies.entries()) {
      for (const st of r.steps) {
        byTime.push({ at: st.at.getTime(), order: order++, row: [id, rid, 'remedy', remedyIds[j], st.action, null, st.before ? JSON.stringify(remedySnapshot(r, st.before)) : null, JSON.stringify(remedySnapshot(r, st.after)), r.actor.id, r.actor.name, st.at] });
      }
      const rec = r.record;
      await streams.remedies.row([
        remedyIds[j], id, r.stage, rec.type, r.description, r.actor.id, rec.status, 'response', rec.recordedOn, rec.amountPence, rec.dueOn, rec.approvalRequired, rec.type === 'financial' ? 25_000 : null,
        rec.offeredOn, rec.openUntil, rec.acceptedOn, rec.paidOn, rec.paymentMethod, rec.paymentReference, rec.notOffsetConfirmed, rec.completedOn, rec.completionNote, r.actor.id, r.steps[0].at, r.steps[r.steps.length - 1].at, r.steps.length,
      ]);
    }
    for (const a of sim.actions) {
      const actionId = crypto.randomUUID();
      void actionId;
      await streams.actions.row([id, a.stage, a.description, a.ownerTeam, a.dueOn, a.completedOn ? 'done' : 'open', 'response', a.recordedOn, a.completedOn, a.completedOn ? 'Done and checked.' : null, a.actor.id, a.at, a.at, a.completedOn ? 2 : 1]);
      byTime.push({ at: a.at.getTime(), order: order++, row: [id, rid, 'action', null, 'action_added', null, null, JSON.stringify({ description: a.description, status: 'open', ownerUserId: null, ownerTeam: a.ownerTeam, contractor: null, dueOn: a.dueOn, residentUpdateDueOn: null, residentUpdateEveryDays: null, lastResidentUpdateOn: null, completedOn: null, completionNote: null, cancelledReason: null }), a.actor.id, a.actor.name, a.at] });
    }
    for (const l of sim.letters) {
      const letterId = crypto.randomUUID();
      const subject = `${LETTER_SUBJECT[l.kind] ?? 'Your complaint'}: ${reference}`;
      const to = f.email ?? `${f.line1}, ${f.town}, ${f.postcode}`;
      const body = `Dear ${f.title} ${f.familyName}\n\nYour complaint reference is ${reference}. ${l.kind.includes('response') ? 'This letter sets out our decision on each point of your complaint, the reasons for it and what we will do to put things right.' : 'This letter confirms what happens next and when.'}\n\nIf you are unhappy, you can contact the Housing Ombudsman on 0300 111 3000.\n\nYours sincerely\n${l.actor.name}`;
      const blocks: Block[] = body.split('\n\n').map((para) => ({ type: 'paragraph', lines: para.split('\n') }));
      const letterhead = { landlordName: spec.landlordName, landlordAddress: DEFAULT_SETTINGS.landlord.address, landlordPhone: DEFAULT_SETTINGS.landlord.complaintsPhone, landlordEmail: DEFAULT_SETTINGS.landlord.complaintsEmail, colour: DEFAULT_SETTINGS.landlord.primaryColour, date: londonDateOf(l.at), reference, recipient: [`${f.title} ${f.givenName} ${f.familyName}`, f.line1, f.town, f.postcode] };
      const html = letterHtml(l.kind, subject, { ref: reference, title: f.title, family: f.familyName, given: f.givenName, line1: f.line1, town: f.town, postcode: f.postcode, date: letterhead.date, handler: l.actor.name });
      const channel = f.email ? 'email' : 'post';
      await streams.letters.row([letterId, id, l.kind, l.stage, subject, body, html, JSON.stringify(blocks), JSON.stringify(letterhead), channel, to, false, '{"fleschReadingEase":68,"band":"plain English","words":70,"sentences":5,"longSentences":[],"jargon":[]}', l.actor.id, l.actor.name, l.at]);
      byTime.push({ at: l.at.getTime(), order: order++, row: [id, rid, 'letter', letterId, 'letter_sent', null, null, JSON.stringify({ kind: l.kind, channel, to, cc: [], subject, largePrint: false, outboxId: null, prompts: [] }), l.actor.id, l.actor.name, l.at] });
    }
    byTime.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const h of byTime) await streams.history.row(h.row);
    if (i % 20000 === 0 && i > 0 && process.send) process.send({ progress: i });
  }
  await Promise.all(Object.values(streams).map((s) => s.end()));
  const rows = Object.fromEntries(Object.entries(streams).map(([k, s]) => [k, s.rows]));
  if (process.send) process.send({ done: true, rows, ms: Date.now() - t0 });
}

/**
 * A letter's HTML exactly as toHtml renders it, made once per kind with placeholders and filled
 * in per letter (rendering every one of millions of letters from scratch is the slow part).
 */
const htmlTemplates = new Map<string, string>();
type LetterFields = { ref: string; title: string; family: string; given: string; line1: string; town: string; postcode: string; date: string; handler: string };
function letterHtml(kind: string, subject: string, v: LetterFields): string {
  let tpl = htmlTemplates.get(kind);
  if (!tpl) {
    const ph = (k: string) => `\u0001${k}\u0002`;
    const body = `Dear ${ph('title')} ${ph('family')}\n\nYour complaint reference is ${ph('ref')}. ${kind.includes('response') ? 'This letter sets out our decision on each point of your complaint, the reasons for it and what we will do to put things right.' : 'This letter confirms what happens next and when.'}\n\nIf you are unhappy, you can contact the Housing Ombudsman on 0300 111 3000.\n\nYours sincerely\n${ph('handler')}`;
    const blocks: Block[] = body.split('\n\n').map((para) => ({ type: 'paragraph', lines: para.split('\n') }));
    const letterhead = { landlordName: spec.landlordName, landlordAddress: DEFAULT_SETTINGS.landlord.address, landlordPhone: DEFAULT_SETTINGS.landlord.complaintsPhone, landlordEmail: DEFAULT_SETTINGS.landlord.complaintsEmail, colour: DEFAULT_SETTINGS.landlord.primaryColour, date: ph('date'), reference: ph('ref'), recipient: [`${ph('title')} ${ph('given')} ${ph('family')}`, ph('line1'), ph('town'), ph('postcode')] };
    tpl = toHtml(blocks, { subject: `${LETTER_SUBJECT[kind] ?? 'Your complaint'}: ${ph('ref')}`, largePrint: false, letterhead });
    htmlTemplates.set(kind, tpl);
  }
  void subject;
  return tpl.replace(/\u0001(\w+)\u0002/g, (_, k: keyof LetterFields) => escapeHtml(v[k]));
}

function remedySnapshot(r: { stage: number; description: string; actor: SeedStaff }, rec: RemedyRecord) {
  return {
    type: rec.type,
    stage: r.stage,
    description: r.description,
    status: rec.status,
    dueOn: rec.dueOn,
    ownerUserId: r.actor.id,
    ownerTeam: null,
    ...(rec.type === 'financial'
      ? { amountPence: rec.amountPence, heads: [], impactBand: null, approvalRequired: rec.approvalRequired, approvedBy: rec.approvedBy, approvedAt: rec.approvedAt, offeredOn: rec.offeredOn, openUntil: rec.openUntil, acceptedOn: rec.acceptedOn, declinedOn: rec.declinedOn, lapsedOn: rec.lapsedOn, paidOn: rec.paidOn, paymentMethod: rec.paymentMethod, paymentReference: rec.paymentReference, notOffsetConfirmed: rec.notOffsetConfirmed }
      : {}),
    completedOn: rec.completedOn,
    completionNote: rec.completionNote,
  };
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
void ({} as LocalDate);
