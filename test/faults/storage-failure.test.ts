/**
 * A full disk or a failed attachment write: the request gets a clear error (507, saying nothing
 * was saved) and the case is not half-written — no attachment row, no history event, no new
 * version; a complaint whose write fails leaves no complaint, resident or history behind.
 * The failure is injected in the database (a trigger raising SQLSTATE 53100 disk_full), which
 * is where attachments are stored.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

forEachBackend('storage failures', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open());
    await sql`create table test_disk_full (table_name text primary key)`.execute(t.app.db);
    await sql`create function fail_disk_full() returns trigger language plpgsql as $$ begin if exists (select 1 from test_disk_full where table_name = tg_table_name) then raise exception 'could not extend file: No space left on device' using errcode = 'disk_full'; end if; return new; end $$`.execute(t.app.db);
    for (const table of ['attachments', 'complaints']) await sql`create trigger ${sql.raw(`fail_${table}`)} before insert on ${sql.raw(table)} for each row execute function fail_disk_full()`.execute(t.app.db);
  });
  after(async () => {
    await t?.close();
  });

  /** From now on, every write to this table fails as if the disk were full (null: space again). */
  async function diskFullOn(table: string | null) {
    await sql`delete from test_disk_full`.execute(t.app.db);
    if (table) await sql`insert into test_disk_full values (${table})`.execute(t.app.db);
  }

  test('a failed attachment write: 507 with a clear message, and the case is unchanged', async () => {
    const c = (await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', anonymous: true, description: 'Damp in the bedroom.' } })).body;
    const before = await snapshot(c.id);
    await diskFullOn('attachments');
    try {
      const r = await t.call('POST', `/api/v1/complaints/${c.id}/attachments`, { as: t.users.handler, body: { filename: 'mould.png', contentType: 'image/png', contentBase64: PNG.toString('base64') } });
      assert.equal(r.status, 507, JSON.stringify(r.body));
      assert.equal(r.body.error, 'storage_full');
      assert.match(r.body.message, /Nothing was saved/);
    } finally {
      await diskFullOn(null);
    }
    assert.deepEqual(await snapshot(c.id), before, 'no attachment, no history event, same version');
    const ok = await t.call('POST', `/api/v1/complaints/${c.id}/attachments`, { as: t.users.handler, body: { filename: 'mould.png', contentType: 'image/png', contentBase64: PNG.toString('base64') } });
    assert.equal(ok.status, 201, 'once there is space again the same upload works');
  });

  test('a failed complaint write leaves no complaint, no resident and no history', async () => {
    const count = async () => {
      const n = async (table: 'complaints' | 'residents' | 'history') => Number((await t.app.db.selectFrom(table).select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
      return { complaints: await n('complaints'), residents: await n('residents'), history: await n('history') };
    };
    const before = await count();
    await diskFullOn('complaints');
    try {
      const r = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Broken boiler.', resident: { givenName: 'Ines', familyName: 'Vasquez-Lowe', tenure: 'LCRA' } }, headers: { 'idempotency-key': 'full-disk-1' } });
      assert.equal(r.status, 507, JSON.stringify(r.body));
    } finally {
      await diskFullOn(null);
    }
    assert.deepEqual(await count(), before);
    // The idempotency key was not used up by the failure: the retry creates the complaint.
    const retry = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Broken boiler.', resident: { givenName: 'Ines', familyName: 'Vasquez-Lowe', tenure: 'LCRA' } }, headers: { 'idempotency-key': 'full-disk-1' } });
    assert.equal(retry.status, 201);
  });

  async function snapshot(id: string) {
    const c = (await t.call('GET', `/api/v1/complaints/${id}`)).body;
    const attachments = (await t.call('GET', `/api/v1/complaints/${id}/attachments`)).body.items;
    const history = (await t.call('GET', `/api/v1/complaints/${id}/history`)).body.items;
    return { version: c.version, updatedAt: c.updatedAt, attachments, history: history.length };
  }
});
