/**
 * Subject access (UK GDPR Article 15): everything Putright holds about a person, as one zip
 * archive with a readable index (index.html): the resident record, needs, contact restrictions,
 * representatives, contacts and service requests, and for every complaint its record, notes
 * (restricted ones included), correspondence, letters, remedies, actions, attachments and history.
 * Each export is logged (a subject access request row and an access audit entry).
 */
import crypto from 'node:crypto';
import { zipSync, strToU8 } from 'fflate';
import type { Db } from '../../db/database.js';
import type { Actor } from '../actor.js';
import { requirePermission } from '../actor.js';
import { NotFound } from '../errors.js';
import type { AccessAuditService } from './access-audit.js';

export interface SubjectAccessArchive {
  request: SubjectAccessRequestView;
  filename: string;
  zip: Uint8Array;
}

export interface SubjectAccessRequestView {
  id: string;
  residentId: string;
  residentReference: string | null;
  requestedBy: string;
  receivedOn: string | null;
  createdAt: string;
  durationMs: number;
  sizeBytes: number;
  files: number;
  complaints: number;
  sha256: string;
}

const esc = (v: unknown) =>
  String(v ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const json = (v: unknown) => strToU8(JSON.stringify(v, (_k, x) => (x instanceof Date ? x.toISOString() : x), 2));

/** A file name safe in every zip tool: letters, digits, dot, dash and underscore. */
const safeName = (s: string) => s.replace(/[^\w.\-]+/g, '_').slice(0, 120) || 'file';

export class SubjectAccessService {
  constructor(
    private readonly db: Db,
    private readonly audit: AccessAuditService,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Build the archive for a resident, log it, and return it with its log entry. */
  async export(actor: Actor, residentId: string, opts: { receivedOn?: string | null } = {}): Promise<SubjectAccessArchive> {
    requirePermission(actor, 'subject-access:manage');
    const started = performance.now();
    const { files, resident, complaintCount } = await this.collect(residentId);
    const zip = zipSync(files, { level: 6 });
    const durationMs = Math.max(1, Math.round(performance.now() - started));
    const sha256 = crypto.createHash('sha256').update(zip).digest('hex');
    const row = await this.db.transaction().execute(async (trx) => {
      const r = await trx
        .insertInto('subject_access_requests')
        .values({
          resident_id: residentId,
          requested_by: actor.id,
          requested_by_name: actor.name,
          received_on: opts.receivedOn ?? null,
          created_at: this.clock(),
          duration_ms: durationMs,
          size_bytes: zip.length,
          files: Object.keys(files).length,
          complaints: complaintCount,
          sha256,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await this.audit.record(actor, 'subject_access_export', { residentId, entityId: r.id, detail: `${Object.keys(files).length} files, ${zip.length} bytes` }, trx);
      return r;
    });
    return { request: view(row, resident.reference), filename: `subject-access-${safeName(resident.reference)}-${this.clock().toISOString().slice(0, 10)}.zip`, zip };
  }

  /** Download an earlier export again (built afresh from what is held now) — logged as a download. */
  async download(actor: Actor, requestId: string): Promise<SubjectAccessArchive> {
    requirePermission(actor, 'subject-access:manage');
    const req = await this.db.selectFrom('subject_access_requests').selectAll().where('id', '=', requestId).executeTakeFirst();
    if (!req) throw new NotFound('The subject access request');
    const { files, resident } = await this.collect(req.resident_id);
    const zip = zipSync(files, { level: 6 });
    await this.audit.record(actor, 'subject_access_downloaded', { residentId: req.resident_id, entityId: req.id });
    return { request: view(req, resident.reference), filename: `subject-access-${safeName(resident.reference)}.zip`, zip };
  }

  async list(actor: Actor, residentId?: string): Promise<SubjectAccessRequestView[]> {
    requirePermission(actor, 'subject-access:manage');
    let q = this.db
      .selectFrom('subject_access_requests')
      .leftJoin('residents', 'residents.id', 'subject_access_requests.resident_id')
      .selectAll('subject_access_requests')
      .select('residents.reference as resident_reference');
    if (residentId) q = q.where('subject_access_requests.resident_id', '=', residentId);
    const rows = await q.orderBy('subject_access_requests.created_at', 'desc').limit(200).execute();
    return rows.map((r) => view(r, r.resident_reference));
  }

  private async collect(residentId: string) {
    const db = this.db;
    const resident = await db.selectFrom('residents').selectAll().where('id', '=', residentId).executeTakeFirst();
    if (!resident) throw new NotFound('The resident');
    const [needs, restrictions, representatives, contacts, serviceRequests, complaints] = await Promise.all([
      db.selectFrom('resident_needs').selectAll().where('resident_id', '=', residentId).orderBy('created_at').execute(),
      db.selectFrom('contact_restrictions').selectAll().where('resident_id', '=', residentId).orderBy('created_at').execute(),
      db.selectFrom('representatives').selectAll().where('resident_id', '=', residentId).orderBy('created_at').execute(),
      db.selectFrom('contacts').selectAll().where('resident_id', '=', residentId).orderBy('received_at').execute(),
      db.selectFrom('service_requests').selectAll().where('resident_id', '=', residentId).orderBy('received_at').execute(),
      db.selectFrom('complaints').selectAll().where('resident_id', '=', residentId).orderBy('received_at').execute(),
    ]);
    const users = new Map((await db.selectFrom('users').select(['id', 'name']).execute()).map((u) => [u.id, u.name]));
    const who = (id: string | null | undefined) => (id ? (users.get(id) ?? id) : null);
    const files: Record<string, Uint8Array> = {};
    files['resident.json'] = json({ resident, needs, contactRestrictions: restrictions, representatives });
    files['contacts.json'] = json(contacts.map((c) => ({ ...c, recorded_by: who(c.recorded_by) })));
    files['service-requests.json'] = json(serviceRequests.map((s) => ({ ...s, created_by: who(s.created_by) })));
    const residentHistory = await db.selectFrom('history').selectAll().where('resident_id', '=', residentId).where('complaint_id', 'is', null).orderBy('id').execute();
    files['resident-history.json'] = json(residentHistory);

    const sections: string[] = [];
    for (const c of complaints) {
      const dir = `complaints/${safeName(c.reference)}`;
      const [notes, correspondence, letters, remedies, actions, attachments, history, inbound] = await Promise.all([
        db.selectFrom('notes').selectAll().where('complaint_id', '=', c.id).orderBy('created_at').execute(),
        db.selectFrom('correspondence').selectAll().where('complaint_id', '=', c.id).orderBy('occurred_at').execute(),
        db.selectFrom('letters').selectAll().where('complaint_id', '=', c.id).orderBy('sent_at').execute(),
        db.selectFrom('remedies').selectAll().where('complaint_id', '=', c.id).orderBy('created_at').execute(),
        db.selectFrom('actions').selectAll().where('complaint_id', '=', c.id).orderBy('created_at').execute(),
        db.selectFrom('attachments').selectAll().where('complaint_id', '=', c.id).orderBy('created_at').execute(),
        db.selectFrom('history').selectAll().where('complaint_id', '=', c.id).orderBy('id').execute(),
        db.selectFrom('inbound_messages').selectAll().where('complaint_id', '=', c.id).orderBy('received_at').execute(),
      ]);
      files[`${dir}/complaint.json`] = json({ ...c, logged_by: who(c.logged_by), stage1_handler: who(c.stage1_handler_id), stage2_handler: who(c.stage2_handler_id) });
      files[`${dir}/notes.json`] = json(notes.map((n) => ({ ...n, author: who(n.author_id) })));
      files[`${dir}/correspondence.json`] = json(correspondence.map((m) => ({ ...m, recorded_by: who(m.recorded_by) })));
      files[`${dir}/remedies.json`] = json(remedies);
      files[`${dir}/actions.json`] = json(actions);
      files[`${dir}/history.json`] = json(history);
      files[`${dir}/inbound-email.json`] = json(inbound);
      files[`${dir}/letters.json`] = json(letters.map(({ body_html: _h, ...l }) => l));
      const letterLinks: string[] = [];
      letters.forEach((l, i) => {
        const name = `${dir}/letters/${String(i + 1).padStart(2, '0')}-${safeName(l.kind)}.html`;
        files[name] = strToU8(`<!doctype html><html lang="en-GB"><head><meta charset="utf-8"><title>${esc(l.subject)}</title></head><body>${l.body_html}</body></html>`);
        letterLinks.push(`<li><a href="${esc(name)}">${esc(l.subject)}</a> (${esc(l.channel)}, sent ${esc(new Date(l.sent_at).toISOString().slice(0, 10))})</li>`);
      });
      const attachmentLinks: string[] = [];
      attachments.forEach((a, i) => {
        const name = `${dir}/attachments/${String(i + 1).padStart(2, '0')}-${safeName(a.filename)}`;
        files[name] = new Uint8Array(a.data);
        attachmentLinks.push(`<li><a href="${esc(name)}">${esc(a.filename)}</a> (${a.size_bytes} bytes, SHA-256 ${esc(a.sha256)})</li>`);
      });
      sections.push(`<section><h2>Complaint ${esc(c.reference)}</h2>
<p>Received ${esc(c.received_on)} by ${esc(c.channel)}. Status: ${esc(c.status)} (stage ${c.stage})${c.outcome ? `, outcome ${esc(c.outcome)}` : ''}${c.closed_on ? `, closed ${esc(c.closed_on)}` : ''}.</p>
<p>${esc(c.description)}</p>
<ul>
<li><a href="${dir}/complaint.json">The complaint record</a></li>
<li><a href="${dir}/notes.json">Notes</a>: ${notes.length} (${notes.filter((n) => n.restricted).length} restricted)</li>
<li><a href="${dir}/correspondence.json">Correspondence</a>: ${correspondence.length}</li>
<li><a href="${dir}/remedies.json">Remedies</a>: ${remedies.length}; <a href="${dir}/actions.json">actions</a>: ${actions.length}</li>
<li><a href="${dir}/history.json">History</a>: ${history.length} entries; <a href="${dir}/inbound-email.json">emails received</a>: ${inbound.length}</li>
</ul>
<h3>Letters (${letters.length})</h3><ul>${letterLinks.join('\n') || '<li>None</li>'}</ul>
<h3>Attachments (${attachments.length})</h3><ul>${attachmentLinks.join('\n') || '<li>None</li>'}</ul>
</section>`);
    }
    const name = [resident.title, resident.given_name, resident.family_name].filter(Boolean).join(' ') || `Resident ${resident.reference}`;
    files['index.html'] = strToU8(`<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>Information held about ${esc(name)}</title>
<style>body{font-family:Arial,sans-serif;max-width:50em;margin:2em auto;line-height:1.5}h2{border-top:1px solid #b1b4b6;padding-top:1em}</style></head>
<body><h1>Information held about ${esc(name)}</h1>
<p>Resident reference ${esc(resident.reference)}. Produced ${esc(this.clock().toISOString())} in answer to a subject access request under Article 15 of the UK GDPR.</p>
<p>This archive holds everything the complaints service holds about this person. Each item below links to the file in this archive. JSON files can be opened in any text editor.</p>
<h2>Personal details</h2>
<ul>
<li>Name: ${esc(name)}</li>
<li>Email: ${esc(resident.email)}; phone: ${esc(resident.phone)}</li>
<li>Address: ${esc([resident.address_line1, resident.address_line2, resident.town, resident.postcode].filter(Boolean).join(', '))}</li>
<li><a href="resident.json">The resident record</a>, with ${needs.length} recorded needs, ${restrictions.length} contact restrictions and ${representatives.length} representatives</li>
<li><a href="contacts.json">Contacts</a>: ${contacts.length}; <a href="service-requests.json">service requests</a>: ${serviceRequests.length}; <a href="resident-history.json">changes to the record</a>: ${residentHistory.length}</li>
</ul>
<h2>Complaints (${complaints.length})</h2>
${sections.join('\n') || '<p>None.</p>'}
</body></html>`);
    return { files, resident, complaintCount: complaints.length };
  }
}

function view(r: { id: string; resident_id: string; requested_by_name: string; received_on: string | null; created_at: Date; duration_ms: number; size_bytes: number; files: number; complaints: number; sha256: string }, residentReference: string | null): SubjectAccessRequestView {
  return {
    id: r.id,
    residentId: r.resident_id,
    residentReference,
    requestedBy: r.requested_by_name,
    receivedOn: r.received_on,
    createdAt: new Date(r.created_at).toISOString(),
    durationMs: r.duration_ms,
    sizeBytes: r.size_bytes,
    files: r.files,
    complaints: r.complaints,
    sha256: r.sha256,
  };
}
