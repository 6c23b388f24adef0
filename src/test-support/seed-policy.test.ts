import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { CI_SEED, chosenSeed } from './seed-policy.js';

it('fixes the seed under CI, draws one elsewhere, and obeys TEST_SEED', () => {
  assert.equal(chosenSeed({ CI: 'true' }), CI_SEED);
  assert.equal(chosenSeed({ CI: 'false' }), undefined);
  assert.equal(chosenSeed({}), undefined);
  assert.equal(chosenSeed({ TEST_SEED: '42' }), 42);
  assert.equal(chosenSeed({ CI: 'true', TEST_SEED: 'random' }), undefined);
  assert.throws(() => chosenSeed({ TEST_SEED: 'x' }), /TEST_SEED must be an integer/);
});

it('is in force in this test process when the run asked for a seed', () => {
  const asked = chosenSeed(process.env);
  assert.equal(fc.readConfigureGlobal().seed, asked);
});
