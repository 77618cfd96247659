/** Stopping an instance answers 503 (try again), never 500, to work it refuses or can no longer finish. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toErrorPayload } from '../../src/http/errors.js';
import { ShuttingDown } from '../../src/services/errors.js';

test('a report refused while the instance stops is a 503 that says nothing changed', () => {
  const p = toErrorPayload(new ShuttingDown());
  assert.equal(p.status, 503);
  assert.equal(p.body.error, 'unavailable');
  assert.match(p.body.message, /Nothing was changed/);
});

test('a query after the database was closed is a 503, not a 500', () => {
  assert.equal(toErrorPayload(new Error('driver has already been destroyed')).status, 503);
  assert.equal(toErrorPayload(new Error('something else entirely')).status, 500);
});
