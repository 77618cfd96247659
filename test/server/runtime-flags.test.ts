/** The server's V8 flags (src/runtime-flags.ts): `npm start` passes them, and node takes them as meant. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../../src/runtime-flags.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('npm start runs the server with the flags the bench measures it with', () => {
  const start: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
  assert.match(start, /^node .*--import tsx src\/server\.ts$/);
  for (const f of SERVER_NODE_FLAGS) assert.ok(start.split(/\s+/).includes(f), `npm start lacks ${f}: ${start}`);
});

test('node bounds the heap as the flags say', () => {
  const limit = Number(execFileSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))']).toString());
  const mb = Number(/--max-old-space-size=(\d+)/.exec(SERVER_NODE_FLAGS.join(' '))![1]);
  // The limit is the old space plus the young generation: above the flag, and far below node's default here.
  assert.ok(limit >= mb * 2 ** 20 && limit < (mb + 128) * 2 ** 20, `heap limit ${limit}`);
});
