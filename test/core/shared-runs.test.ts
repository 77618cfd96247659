/**
 * Identical reads asked for at about the same time are done once (src/services/shared-runs.ts),
 * and every answer was read after its request came.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedRuns } from '../../src/services/shared-runs.js';

/** A read that takes `ms` and says when it started and which run it was. */
function reads(ms: number) {
  let runs = 0;
  const started: number[] = [];
  const work = async () => {
    const run = ++runs;
    started.push(performance.now());
    await sleep(ms);
    return { run, startedAt: started[run - 1]! };
  };
  return { work, runs: () => runs };
}

test('requests that come together share one run', async () => {
  const shared = new SharedRuns<{ run: number; startedAt: number }>(5);
  const r = reads(20);
  const answers = await Promise.all(Array.from({ length: 10 }, () => shared.run('year', r.work)));
  assert.equal(r.runs(), 1);
  assert.ok(answers.every((a) => a.run === 1));
  assert.equal(shared.active, 0, 'nothing is kept once the run has answered');
});

test('a request that comes while a run reads waits for the next, which reads after it came', async () => {
  const shared = new SharedRuns<{ run: number; startedAt: number }>(5);
  const r = reads(30);
  const first = shared.run('year', r.work);
  await sleep(15); // the first run is reading now
  const askedAt = performance.now();
  const later = [shared.run('year', r.work), shared.run('year', r.work)];
  const a = await first;
  const [b, c] = await Promise.all(later);
  assert.equal(a.run, 1);
  assert.equal(b.run, 2, 'not the run that was already reading');
  assert.equal(c.run, 2, 'the requests that waited share the next run');
  assert.ok(b.startedAt >= askedAt, 'the answer was read after the request came');
  assert.equal(r.runs(), 2);
});

test('every answer is read after its request came, under a stream of requests', async () => {
  const shared = new SharedRuns<{ run: number; startedAt: number }>(3);
  const r = reads(8);
  const checks: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    const askedAt = performance.now();
    checks.push(shared.run('year', r.work).then((a) => assert.ok(a.startedAt >= askedAt, `request ${i} got a run started before it came`)));
    await sleep(i % 3);
  }
  await Promise.all(checks);
  assert.ok(r.runs() < 40, `${r.runs()} runs for 40 requests`);
});

test('different keys never share; a failed run fails the requests that joined it, and the next run is fresh', async () => {
  const shared = new SharedRuns<string>(5);
  let calls = 0;
  const ok = (v: string) => async () => {
    calls++;
    return v;
  };
  const [x, y] = await Promise.all([shared.run('2024', ok('a')), shared.run('2025', ok('b'))]);
  assert.deepEqual([x, y], ['a', 'b']);
  assert.equal(calls, 2);
  const failing = async () => {
    throw new Error('database gone');
  };
  const results = await Promise.allSettled([shared.run('2025', failing), shared.run('2025', failing)]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['rejected', 'rejected'],
  );
  assert.equal(await shared.run('2025', ok('c')), 'c');
});
