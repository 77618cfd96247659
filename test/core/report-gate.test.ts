import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReportGate } from '../../src/services/report-gate.js';

test('the report gate runs at most its limit at once, the rest in turn, and a failure frees its place', async () => {
  const gate = new ReportGate(2);
  let now = 0;
  let most = 0;
  const order: number[] = [];
  const work = (i: number) =>
    gate.run(async () => {
      now++;
      most = Math.max(most, now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      order.push(i);
      if (i === 3) throw new Error('report failed');
      return i;
    });
  const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => work(i)));
  assert.equal(most, 2);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 7);
  assert.equal((results[3] as PromiseRejectedResult).reason.message, 'report failed');
  assert.deepEqual([...order].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  // Still usable after a failure.
  assert.equal(await gate.run(async () => 'again'), 'again');
});

test('closing the gate refuses the reports still waiting, lets those running finish, and resolves when none runs', async () => {
  const gate = new ReportGate(1);
  let release!: () => void;
  const running = gate.run(() => new Promise<string>((r) => (release = () => r('finished'))));
  const waiting = gate.run(async () => 'should not start');
  let closed = false;
  const close = gate.close().then(() => (closed = true));
  await assert.rejects(waiting, { name: 'ShuttingDown' });
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(closed, false, 'close waits for the running report');
  release();
  assert.equal(await running, 'finished');
  await close;
  assert.equal(closed, true);
  await assert.rejects(gate.run(async () => 'late'), { name: 'ShuttingDown' });
  // Closing an idle gate resolves at once.
  await new ReportGate(2).close();
});
