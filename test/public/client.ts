/**
 * A resident's browser, for page tests without a browser: it keeps cookies, reads each form's
 * own token (`_pt`), and walks the make-a-complaint questions.
 */
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

export function ptFrom(html: string): string {
  const m = /name="_pt" value="([^"]*)"/.exec(html);
  assert.ok(m, 'the page has a _pt field');
  return m[1];
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, any>;
  location: string | null;
}

export class ResidentClient {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly app: FastifyInstance,
    readonly ip = '203.0.113.7',
  ) {}

  private keep(headers: Record<string, any>) {
    const raw = headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [String(raw)] : []) {
      const [pair, ...attrs] = String(c).split(';');
      const i = pair.indexOf('=');
      const name = pair.slice(0, i);
      const value = pair.slice(i + 1);
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=Thu, 01 Jan 1970/i.test(a.trim()));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  private cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private async send(opts: { method: string; url: string; headers?: Record<string, string>; payload?: string | Buffer }): Promise<Reply> {
    const res = await this.app.inject({ ...opts, method: opts.method as any, remoteAddress: this.ip, headers: { ...(opts.headers ?? {}), cookie: this.cookieHeader() } });
    this.keep(res.headers as any);
    return { status: res.statusCode, body: res.body, headers: res.headers as any, location: (res.headers.location as string) ?? null };
  }

  get(url: string) {
    return this.send({ method: 'GET', url });
  }

  post(url: string, fields: Record<string, string | string[] | undefined>) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      for (const x of [v].flat()) body.append(k, x);
    }
    return this.send({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  }

  /** A multipart form with fields and at most one file. */
  postMultipart(url: string, fields: Record<string, string>, file?: { name: string; data: Buffer; type?: string }) {
    const boundary = `----putright${Math.random().toString(16).slice(2)}`;
    const parts: Buffer[] = [];
    for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
    if (file) {
      parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`));
      parts.push(file.data, Buffer.from('\r\n'));
    }
    parts.push(Buffer.from(`--${boundary}--\r\n`));
    return this.send({ method: 'POST', url, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: Buffer.concat(parts) });
  }

  /** Answer one question page: fetch it for its token, then post the answers. */
  async answer(page: string, fields: Record<string, string | string[]>): Promise<Reply> {
    const form = await this.get(`/complain/new/${page}`);
    assert.equal(form.status, 200, `${page}: ${form.status} ${form.location ?? ''}`);
    const pt = /name="_pt" value="([^"]*)"/.exec(form.body)?.[1];
    return this.post(`/complain/new/${page}`, { ...(pt ? { _pt: pt } : {}), ...fields });
  }
}

export const TINY_PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

export interface Complainant {
  who?: 'resident' | 'representative';
  givenName?: string;
  familyName?: string;
  postcode?: string;
  email?: string;
  help?: string[];
}

/** Every question answered, up to the check page (not sent). */
export async function fillDraft(c: ResidentClient, o: Complainant = {}, opts: { file?: boolean } = {}): Promise<Reply> {
  const expectNext = (r: Reply, next: string) => assert.equal(r.location, `/complain/new/${next}`, `expected to go to ${next}, got ${r.status} ${r.location}: ${r.body.slice(0, 300)}`);
  const who = o.who ?? 'resident';
  let r = await c.answer('who', { who });
  if (r.status === 429) return r;
  if (who === 'representative') {
    expectNext(r, 'representative');
    r = await c.answer('representative', { repName: 'Rita Helper', repRelationship: 'Daughter', repConsent: 'My mother asked me to complain for her' });
  }
  expectNext(r, 'name');
  r = await c.answer('name', { givenName: o.givenName ?? 'Nadia', familyName: o.familyName ?? 'Okafor' });
  expectNext(r, 'address');
  r = await c.answer('address', { addressLine1: '12 Mill Lane', town: 'Leeds', postcode: o.postcode ?? 'ls6 2ab' });
  expectNext(r, 'contact');
  r = await c.answer('contact', { email: o.email ?? 'nadia@example.net', phone: '07700 900982', preferredContact: 'email' });
  expectNext(r, 'what-happened');
  r = await c.answer('what-happened', { description: 'Black mould has grown in the bedroom for months and the repair never came' });
  expectNext(r, 'when');
  r = await c.answer('when', { 'issueArose-day': '3', 'issueArose-month': '2', 'issueArose-year': '2025' });
  expectNext(r, 'put-right');
  r = await c.answer('put-right', { outcomeSought: 'Treat the mould and fix the leak that causes it' });
  expectNext(r, 'help');
  r = await c.answer('help', o.help ? { help: o.help, helpLanguage: 'Polish' } : { help: 'none' });
  expectNext(r, 'files');
  const files = await c.get('/complain/new/files');
  assert.equal(files.status, 200);
  if (opts.file) {
    r = await c.postMultipart('/complain/new/files', { _pt: ptFrom(files.body), action: 'upload' }, { name: 'mould.png', data: TINY_PNG, type: 'image/png' });
    assert.equal(r.location, '/complain/new/files', r.body.slice(0, 500));
  }
  return c.get('/complain/new/check');
}

/** Send the draft from the check page. */
export async function send(c: ResidentClient, extra: Record<string, string> = {}): Promise<Reply> {
  const check = await c.get('/complain/new/check');
  if (check.status !== 200) return check;
  return c.post('/complain/new/check', { _pt: ptFrom(check.body), website: '', ...extra });
}
