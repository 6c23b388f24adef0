/**
 * `npm run test:crash -- --iterations N [--seed S] [--keep-dir]`
 *
 * Runs the crash test (harness.ts) and ends with the plain line
 * `N passed, N failed`; the exit code is 1 when any iteration failed. Without
 * `--seed` the test suite's seed policy picks one (fixed under CI, `TEST_SEED`
 * if set, else drawn at random); it is printed, so a run's plans and workload
 * can be replayed (where each SIGKILL lands cannot).
 *
 * @module
 */

import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { chosenSeed } from '../../test-support/seed-policy.js';
import { runCrashTest } from './harness.js';

function fail(message: string): never {
  process.stderr.write(`test:crash: ${message}\n`);
  process.exit(2);
}

function integer(text: string | undefined, what: string, fallback: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) fail(`${what} must be a non-negative integer`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', short: 'n' },
      seed: { type: 'string' },
      'keep-dir': { type: 'boolean', default: false },
    },
  });
  const iterations = integer(values.iterations, '--iterations', 25);
  const seed = integer(values.seed, '--seed', chosenSeed(process.env) ?? randomInt(2 ** 31));
  const started = performance.now();
  const summary = await runCrashTest({ iterations, seed, keepDir: values['keep-dir'] });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`seed ${seed}, ${seconds} s\n`);
  process.stdout.write(
    `${summary.reopenedWithPending} reopens found drops pending (${summary.recovered} requests recovered and applied); ${summary.killedWithParked} kills landed with requests parked behind a snapshot\n`,
  );
  process.stdout.write(`${summary.passed} passed, ${summary.failed} failed\n`);
  if (summary.failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`test:crash failed: ${error instanceof Error ? error.stack : error}\n`);
  process.exitCode = 1;
});
