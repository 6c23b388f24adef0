#!/usr/bin/env node
// Runs the built tests in steps, so that a long test never hides in a quick
// one, and ends every run with the plain line `N passed, N failed`:
//
//   node scripts/tests.mjs conformance  the goldenscript scripts on every tier: the
//                                       shared suites (../shared/conformance and
//                                       ../shared/txn-conformance, see
//                                       shared-suite.mjs) and conformance/
//   node scripts/tests.mjs crash        the crash test, 25 kills
//   node scripts/tests.mjs unit         every dist/**/*.test.js except *.slow.test.js,
//                                       with node --test (two files at a time)
//   node scripts/tests.mjs slow         every dist/**/*.slow.test.js, one file at a
//                                       time, each announced and timed; the tests
//                                       themselves print progress on stderr while
//                                       they run (fuzz cases done, benchmark rounds...)
//   node scripts/tests.mjs all          the four above, in that order (npm test)
//
// Each step's own output is passed through as it comes; the counts are read
// from it (`N passed, N failed, N excluded` from the conformance runner,
// `N passed, N failed` from the crash test, node:test's `pass N` / `fail N`).
// A step that fails without counts (it crashed) counts as one failure.
// Excluded scripts (the runner's exclusion file) are neither passed nor
// failed: the step's line shows them, the total counts passed and failed. `all` runs every step even after a
// failure, then prints one line per step and, last, the total.
//
// A slow test is one that takes more than about 5 s even on an idle machine
// and cannot be made smaller without losing what it proves. Extra arguments
// of unit and slow are passed on to node (e.g. --test-name-pattern).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { conformancePlan, SHARED_SUITES, sharedDir, sharedRequired } from './shared-suite.mjs';

const root = new URL('..', import.meta.url).pathname;
const SLOW = '.slow.test.js';
const CRASH_ITERATIONS = '25';
// Fixes fast-check's seed under CI, draws a new one elsewhere (TEST_SEED
// overrides): see src/test-support/seed-policy.ts.
const SEED_POLICY = ['--import', './dist/test-support/fast-check-seed.js'];

function testFiles(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...testFiles(path));
    else if (entry.name.endsWith('.test.js')) found.push(path);
  }
  return found.sort();
}

/** Run node with `args`; stdout is shown as it comes and kept, stderr goes straight through. */
function node(args) {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ['inherit', 'pipe', 'inherit'],
      env: process.stdout.isTTY ? { ...process.env, FORCE_COLOR: '1' } : process.env,
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
    });
    child.on('close', (code) => done({ status: code ?? 1, output }));
  });
}

const plain = (text) => stripVTControlCharacters(text);

/** The last `N passed, N failed` line of `output` (with `, N excluded` when the runner has it). */
function runnerCounts(output) {
  const lines = [...plain(output).matchAll(/^(\d+) passed, (\d+) failed(?:, (\d+) excluded)?$/gm)];
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const counts = { passed: Number(last[1]), failed: Number(last[2]) };
  return last[3] === undefined ? counts : { ...counts, excluded: Number(last[3]) };
}

/** node:test's summary (`ℹ pass N`, `ℹ fail N`, `ℹ cancelled N`) in `output`. */
function nodeTestCounts(output) {
  const figure = (name) => {
    const found = [...plain(output).matchAll(new RegExp(`^\\S+ ${name} (\\d+)$`, 'gm'))].at(-1);
    return found && Number(found[1]);
  };
  const passed = figure('pass');
  const failed = figure('fail');
  if (passed === undefined || failed === undefined) return undefined;
  return { passed, failed: failed + (figure('cancelled') ?? 0) };
}

/** Counts of a finished step: a failing exit counts as at least one failure. */
function settle({ status, output }, read) {
  const counts = read(output) ?? { passed: 0, failed: 0 };
  if (status !== 0 && counts.failed === 0) counts.failed = 1;
  return counts;
}

async function conformance() {
  const shared = sharedDir(root);
  const plan = conformancePlan({
    shared,
    present: SHARED_SUITES.filter((name) => existsSync(join(shared, name))),
    required: sharedRequired(),
  });
  if (plan.error !== undefined) {
    console.log(plan.error);
    return { passed: 0, failed: 1 };
  }
  if (plan.notice !== undefined) console.log(plan.notice);
  // No --tier: every tier that can run here (PostgreSQL when a server can be
  // started; under CI=true a missing one is an error, see multistore run).
  const run = await node(['dist/cli/main.js', 'run', ...plan.paths]);
  return settle(run, runnerCounts);
}

async function crash() {
  const run = await node(['dist/reliability/crash/main.js', '--iterations', CRASH_ITERATIONS]);
  return settle(run, runnerCounts);
}

async function unit(extra) {
  const files = testFiles(join(root, 'dist')).filter((file) => !file.endsWith(SLOW));
  const reporter = ['--test-reporter=spec', '--test-concurrency=2'];
  return settle(
    await node(['--test', ...SEED_POLICY, ...reporter, ...extra, ...files]),
    nodeTestCounts,
  );
}

async function slow(extra) {
  const files = testFiles(join(root, 'dist')).filter((file) => file.endsWith(SLOW));
  const total = { passed: 0, failed: files.length === 0 ? 1 : 0 };
  for (const [index, file] of files.entries()) {
    const name = relative(root, file);
    console.log(`\nslow test ${index + 1}/${files.length}: ${name}`);
    const started = Date.now();
    // Run in this file's own process (not under --test), so that the
    // progress it writes on stderr shows up as it happens.
    const run = await node([...SEED_POLICY, '--test-reporter=spec', ...extra, file]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    console.log(
      `slow test ${index + 1}/${files.length}: ${run.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`,
    );
    const counts = settle(run, nodeTestCounts);
    total.passed += counts.passed;
    total.failed += counts.failed;
  }
  return total;
}

const STEPS = { conformance, crash, unit, slow };
const line = ({ passed, failed, excluded }) =>
  `${passed} passed, ${failed} failed${excluded === undefined ? '' : `, ${excluded} excluded`}`;

async function main(step, extra) {
  const names = step === 'all' ? Object.keys(STEPS) : [step];
  const results = [];
  for (const name of names) {
    if (step === 'all') console.log(`\n=== ${name} ===`);
    results.push([name, await STEPS[name](extra)]);
  }
  const sum = (field) => results.reduce((total, [, counts]) => total + counts[field], 0);
  const total = { passed: sum('passed'), failed: sum('failed') };
  // A step's own line keeps its excluded count; the total is passed and failed.
  console.log('');
  if (step === 'all') for (const [name, counts] of results) console.log(`${name}: ${line(counts)}`);
  console.log(line(total));
  if (total.failed > 0) process.exitCode = 1;
}

const [step, ...extra] = process.argv.slice(2);
if (step === 'all' || Object.hasOwn(STEPS, step ?? '')) {
  await main(step, extra);
} else {
  console.error('usage: node scripts/tests.mjs conformance|crash|unit|slow|all [node options...]');
  process.exitCode = 2;
}
