/**
 * No personal data in logs or addresses: a resident's whole journey (complain, ask for a link,
 * use it, add information) with the server's own logger capturing every line. The rate-limit
 * counters hold hashes, never addresses or emails. Every /complain route is public and declared so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { backends } from '../helpers/db.js';
import { buildApp, logRedact, logSerializers } from '../../src/http/app.js';
import { TestClock } from '../helpers/app.js';
import { fillDraft, ptFrom, ResidentClient, send } from './client.js';

test('a resident’s journey leaves no personal data in the logs, the addresses or the rate-limit counters', async () => {
  const lines: string[] = [];
  const log = pino({ level: 'trace', serializers: logSerializers, redact: logRedact }, { write: (s: string) => void lines.push(s) });
  const db = await backends()[0].open();
  const clock = new TestClock('2025-04-17T09:00:00Z');
  const app = await buildApp({ database: db, clock: clock.now, logger: log });
  await app.ready();
  try {
    const c = new ResidentClient(app, '203.0.113.99');
    const urls: string[] = [];
    const check = await fillDraft(c, { givenName: 'Philippa', familyName: 'Quartermaine', postcode: 'YO1 7HH', email: 'philippa.q@example.net' });
    assert.equal(check.status, 200);
    const sent = await send(c);
    assert.equal(sent.location, '/complain/new/confirmation');
    const reference = /CMP-\d{6}/.exec((await c.get('/complain/new/confirmation')).body)![0];
    await c.post('/complain/follow/email', { reference });
    const mail = await app.db.selectFrom('outbox').select('text_body').where('kind', '=', 'follow_link').executeTakeFirstOrThrow();
    const token = /link\?t=([A-Za-z0-9_-]+)/.exec(mail.text_body)![1];
    await c.get(`/complain/follow/link?t=${token}`);
    assert.equal((await c.post('/complain/follow/link', { t: token })).location, '/complain/follow/case');
    const page = await c.get('/complain/follow/case');
    await c.postMultipart('/complain/follow/add', { _pt: ptFrom(page.body), information: 'Quartermaine family update' });
    await c.post('/complain/follow/details', { detailsReference: reference, surname: 'Quartermaine', postcode: 'YO1 7HH' });

    const all = lines.join('\n');
    assert.ok(lines.length > 20, `the logger was used (${lines.length} lines)`);
    assert.match(all, /\/complain\/follow\/link"/, 'requests are logged by path');
    for (const secret of ['Philippa', 'Quartermaine', 'YO1', '7HH', 'philippa.q', token, c.cookies.get('putright_draft')!, c.cookies.get('putright_follow')!, '203.0.113.99']) {
      assert.ok(!all.includes(secret), `the logs do not contain ${secret.slice(0, 12)}`);
      for (const u of urls) assert.ok(!u.includes(secret));
    }
    const buckets = await app.db.selectFrom('rate_limit_hits').select('bucket').execute();
    assert.ok(buckets.length > 0);
    for (const b of buckets) assert.match(b.bucket, /^[a-zA-Z]+:[0-9a-f]{32}$/, 'a counter names a hash, not an address or email');
    const drafts = await app.db.selectFrom('public_drafts').select('id_hash').execute();
    assert.ok(drafts.every((d) => d.id_hash !== c.cookies.get('putright_draft')), 'only hashes of draft ids are stored');

    for (const r of app.routeTable.filter((x) => x.url === '/complain' || x.url.startsWith('/complain/'))) assert.equal(r.access, 'public', `${r.method} ${r.url}`);
  } finally {
    await app.close();
    await db.close();
  }
});
