/**
 * The bench's baseline (bench/baseline.ts) must run the very SQL the service runs for a handler's
 * worklist, with the same values, or its ratio measures something else: the statement
 * ComplaintService.list sends is captured and compared, quoting and spacing aside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { migrate, openEmbedded } from '../../src/db/database.js';
import { buildServices } from '../../src/services/index.js';
import { WORKLIST_SQL, worklistValues } from '../../bench/baseline.js';

const normalise = (text: string) => text.replace(/"/g, '').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();

test('the baseline runs the worklist statement the service sends, with the same values', async () => {
  const h = await openEmbedded(null);
  try {
    await migrate(h.db);
    const services = buildServices(h.db);
    const sent: { sql: string; parameters: readonly unknown[] }[] = [];
    const executor = (h.db as any).getExecutor();
    const execute = executor.executeQuery.bind(executor);
    executor.executeQuery = (query: { sql: string; parameters: readonly unknown[] }, ...rest: unknown[]) => {
      if (query.sql.includes('from "complaints"')) sent.push(query);
      return execute(query, ...rest);
    };
    const handlerId = '6cfdfab1-f38e-4a74-9279-36411b3e765f';
    await services.complaints.list({ id: null, name: 'Bench', role: 'manager' } as any, { open: true, sort: 'due', limit: 50, handlerId });
    assert.equal(sent.length, 1, sent.map((q) => q.sql).join('\n'));
    assert.equal(normalise(sent[0].sql), normalise(WORKLIST_SQL));
    assert.deepEqual(sent[0].parameters, worklistValues(handlerId));
  } finally {
    await h.close();
  }
});
