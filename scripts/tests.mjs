#!/usr/bin/env node
// Runs the built tests in two steps, so that a long test never hides in the
// quick one:
//
//   node scripts/tests.mjs unit   every dist/**/*.test.js except *.slow.test.js,
//                                 with node --test (two files at a time)
//   node scripts/tests.mjs slow   every dist/**/*.slow.test.js, one file at a
//                                 time, each announced and timed; the tests
//                                 themselves print progress on stderr while
//                                 they run (fuzz cases done, benchmark rounds...)
//
// A slow test is one that takes more than about 5 s even on an idle machine
// and cannot be made smaller without losing what it proves. Extra arguments
// are passed on to node (e.g. --test-name-pattern).
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const SLOW = '.slow.test.js';

function testFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) found.push(path);
  }
  return found.sort();
}

function node(args) {
  return spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status ?? 1;
}

const [step, ...extra] = process.argv.slice(2);
const files = testFiles(join(root, 'dist'));
const slow = files.filter((file) => file.endsWith(SLOW));

if (step === 'unit') {
  const unit = files.filter((file) => !file.endsWith(SLOW));
  const reporter = ['--test-reporter=spec', '--test-concurrency=2'];
  process.exitCode = node(['--test', ...reporter, ...extra, ...unit]);
} else if (step === 'slow') {
  let failed = 0;
  for (const [index, file] of slow.entries()) {
    const name = relative(root, file);
    console.log(`\nslow test ${index + 1}/${slow.length}: ${name}`);
    const started = Date.now();
    // Run in this file's own process (not under --test), so that the
    // progress it writes on stderr shows up as it happens.
    const status = node(['--test-reporter=spec', ...extra, file]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `slow test ${index + 1}/${slow.length}: ${status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`,
    );
    if (status !== 0) failed++;
  }
  console.log(`\nslow tests: ${slow.length - failed} passed, ${failed} failed`);
  if (slow.length === 0 || failed > 0) process.exitCode = 1;
} else {
  console.error('usage: node scripts/tests.mjs unit|slow [node options...]');
  process.exitCode = 2;
}
