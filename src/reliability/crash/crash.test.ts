/**
 * The crash test harness, run briefly so that `npm run test:unit` covers it
 * (`npm run test:crash` runs it at length). Five iterations with a fixed
 * seed: the plans (kill moments, actor modes, drop-worker tuning, SQLite
 * locking) are fixed, where each SIGKILL lands is not, and every landing
 * must pass.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { planIteration, runCrashTest } from './harness.js';

const SEED = 20_240_611;
const ITERATIONS = 5;

it('five crash iterations pass: acknowledged commits survive, none is partly visible', async () => {
  const lines: string[] = [];
  const summary = await runCrashTest({
    iterations: ITERATIONS,
    seed: SEED,
    log: (line) => lines.push(line),
  });
  assert.equal(summary.failed, 0, lines.join('\n'));
  assert.equal(summary.passed, ITERATIONS);
  assert.equal(summary.results.length, ITERATIONS);
  assert.equal(summary.dir, undefined, 'the temp dir is removed after a clean run');
  const acked = summary.results.reduce((n, result) => n + result.life.acked.length, 0);
  assert.ok(acked > 0, `the children acknowledged commits:\n${lines.join('\n')}`);
  assert.equal(lines.filter((line) => / ok$/.test(line)).length, ITERATIONS);
});

it('an iteration plan depends only on the seed and the iteration', () => {
  const a = planIteration({ seed: SEED }, '/tmp/x.db', 3);
  const b = planIteration({ seed: SEED }, '/tmp/x.db', 3);
  assert.deepEqual(a, b);
  const kills = new Set(
    Array.from({ length: 200 }, (_, i) => planIteration({ seed: SEED }, '/tmp/x.db', i + 1).kill),
  );
  assert.deepEqual([...kills].sort(), ['at-spawn', 'at-start', 'running', 'self-exit']);
  const lockings = new Set(
    Array.from({ length: 50 }, (_, i) => planIteration({ seed: SEED }, '/tmp/x.db', i + 1).locking),
  );
  assert.deepEqual([...lockings].sort(), ['exclusive', 'normal'], 'children of both lockings');
});
