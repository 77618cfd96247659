/**
 * The named column lists (src/db/columns.ts) stand for `*` on the busiest reads so those can be
 * prepared: each must name exactly the columns its table has once migrated, on both databases.
 * And the case page's reads are then all named statements (none planned afresh per view).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { forEachBackend } from '../helpers/db.js';
import { startTestApp, type TestApp } from '../helpers/app.js';
import { NAMED_COLUMNS } from '../../src/db/columns.js';
import { statementName } from '../../src/db/prepared.js';
import { signIn } from '../web/session.js';
import { SYSTEM_ACTOR } from '../../src/services/actor.js';

forEachBackend('named column lists', (backend) => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp(await backend.open());
  });
  after(async () => {
    await t?.close();
  });

  test('each list names every column of its table, and nothing else', async () => {
    for (const [table, columns] of Object.entries(NAMED_COLUMNS)) {
      const { rows } = await sql<{ column_name: string }>`select column_name from information_schema.columns where table_schema = current_schema() and table_name = ${table}`.execute(t.app.db);
      assert.deepEqual([...columns].sort(), rows.map((r) => r.column_name).sort(), table);
    }
  });

  test('the case page sends no statement that names its columns with *', async () => {
    await t.app.services.users.create(SYSTEM_ACTOR, { email: 'casey@test.example', name: 'Casey Manager', role: 'manager', password: 'a long enough password' });
    const cookie = await signIn(t.app, 'casey@test.example', 'a long enough password');
    const c = await t.call('POST', '/api/v1/complaints', { body: { channel: 'phone', description: 'Stairs light out', resident: { givenName: 'Ann', familyName: 'Lee', postcode: 'N1 1AA' } } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    await t.call('POST', `/api/v1/complaints/${c.body.id}/notes`, { body: { body: 'Called the resident' } });
    const sent: string[] = [];
    const executor = (t.app.db as any).getExecutor();
    const execute = executor.executeQuery.bind(executor);
    executor.executeQuery = (query: { sql: string }, ...rest: unknown[]) => {
      sent.push(query.sql);
      return execute(query, ...rest);
    };
    try {
      const page = await t.app.inject({ method: 'GET', url: `/complaints/${c.body.id}`, headers: { cookie } });
      assert.equal(page.statusCode, 200, page.body);
      assert.match(page.body, /Stairs light out/);
    } finally {
      executor.executeQuery = execute;
    }
    assert.ok(sent.length >= 4, `the page read the case (${sent.length} statements)`);
    const unnamed = sent.filter((text) => /\$1/.test(text) && statementName(text) === null);
    assert.deepEqual(unnamed, []);
  });
});
