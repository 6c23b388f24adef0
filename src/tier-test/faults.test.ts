/**
 * The contract suite can fail: run against deliberately wrong tiers (one
 * mistake each, test-support/faulty-tiers.ts), it must fail every one of
 * them, and pass the same tier without a fault. A fault the suite lets
 * through is a hole in what `multistore-kv/tier-test` promises custom tiers.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { FAULTS } from '../test-support/faulty-tiers.js';

const suite = fileURLToPath(new URL('../test-support/faulty-tiers-suite.js', import.meta.url));

it('fails every faulty tier and passes the same tier without a fault', () => {
  // Without the test runner's own context variable, the child reports in plain TAP.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => name !== 'NODE_TEST_CONTEXT'),
  );
  const run = spawnSync(process.execPath, ['--test-reporter=tap', suite], {
    encoding: 'utf8',
    env,
  });
  const outcomes = new Map<string, boolean>();
  for (const match of run.stdout.matchAll(/^(not )?ok \d+ - tier contract: fault (\S+)$/gm)) {
    outcomes.set(match[2] as string, match[1] === undefined);
  }
  assert.equal(outcomes.get('none'), true, `the fault-free tier passes:\n${run.stdout}`);
  const passed = Object.keys(FAULTS).filter((fault) => outcomes.get(fault) !== false);
  assert.deepEqual(passed, [], 'faults the contract suite did not catch');
});
