#!/usr/bin/env node
// Runs the test suite with node's built-in test runner and tsx.
//
//   node scripts/run-tests.mjs                 -> every *.test.ts under test/
//   node scripts/run-tests.mjs test/core a.test.ts
//                                              -> only under these dirs / these files
//
// Node 20's `--test` does not expand globs, so this script finds the files
// (recursively, sorted, including test/browser/: browser tests skip
// themselves when chromium is absent) and runs
//   node --import tsx --test --test-concurrency=2 --test-timeout=300000 <files...>
// with inherited stdio, exiting with the runner's exit code.
// Finding no test files at all is an error (exit 1), so that a broken layout
// cannot pass CI vacuously.

import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TEST_SUFFIX = '.test.ts';
const SKIP_DIRS = new Set(['node_modules', '.git']);

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    throw new Error(`cannot read directory ${dir}: ${err.message}`);
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) walk(full, out);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && entry.name.endsWith(TEST_SUFFIX)) {
      out.push(full);
    }
  }
}

// Paths are given relative to the repository root (the runner's cwd, so that
// `--import tsx` resolves from our node_modules) when inside it, else absolute.
function display(p) {
  const rel = path.relative(repoRoot, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function collect(targets) {
  const found = new Set();
  for (const target of targets) {
    const abs = path.resolve(target);
    let st;
    try {
      st = statSync(abs);
    } catch {
      throw new Error(`no such file or directory: ${target}`);
    }
    if (st.isDirectory()) {
      const files = [];
      walk(abs, files);
      for (const f of files) found.add(f);
    } else {
      // An explicitly named file is run even if its name does not end in .test.ts.
      found.add(abs);
    }
  }
  // Plain code-unit order: deterministic regardless of locale.
  return [...found].map(display).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const args = process.argv.slice(2);
const explicit = args.length > 0;
// Without arguments, search test/ in the repository (whatever the cwd is).
const targets = explicit ? args : [path.join(repoRoot, 'test')];

let files;
try {
  if (!explicit) {
    try {
      statSync(targets[0]);
    } catch {
      console.error(`run-tests: no test directory at ${display(targets[0])}`);
      process.exit(1);
    }
  }
  files = collect(targets);
} catch (err) {
  console.error(`run-tests: ${err.message}`);
  process.exit(1);
}

if (files.length === 0) {
  console.error(`run-tests: no *${TEST_SUFFIX} files found under ${targets.map(display).join(', ')}`);
  process.exit(1);
}

const nodeArgs = [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  ...files,
];

console.error(`run-tests: ${files.length} test file(s)`);
for (const f of files) console.error(`  ${f}`);

const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit', cwd: repoRoot });

// Pass termination signals on to the runner (which passes them to its
// per-file subprocesses) instead of dying and leaving it orphaned.
const forwarded = ['SIGINT', 'SIGTERM', 'SIGHUP'];
for (const sig of forwarded) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}

child.on('error', (err) => {
  console.error(`run-tests: failed to start node: ${err.message}`);
  process.exit(1);
});

child.on('exit', (code, signal) => {
  if (signal) {
    const signo = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1;
    console.error(`run-tests: test runner killed by ${signal}`);
    process.exit(128 + signo);
  }
  process.exit(code ?? 1);
});
