/**
 * API fuzz: every public method of MultiStore called with random wrong input
 * mixed with valid input (see fuzz-specs.ts and fuzz-open-specs.ts for what is generated,
 * fuzz-harness.ts, fuzz-case-run.ts and fuzz-judge.ts for how each call is judged).
 *
 * Every call must succeed or throw a StoreError with a code documented for
 * that method; afterwards (after `flush`) the store holds exactly what a model
 * that saw only the accepted commits holds. Most cases run on the memory tier;
 * a smaller share runs on SQLite (in memory, and in files that are reopened).
 *
 * fast-check prints the seed and the shrunk case when a run fails; rerun it
 * with `FUZZ_SEED=<seed>` (and `FUZZ_PATH=<path>` to replay one case).
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../common/errors.js';
import { tempDir } from '../../test-support/store-setups.js';
import { type FuzzCase, runCase } from './fuzz-harness.js';
import { tempPaths } from './fuzz-materialize.js';
import { openOptions, tables } from './fuzz-open-specs.js';
import { call } from './fuzz-specs.js';
import { FuzzTally, type Method } from './fuzz-tally.js';

const MEMORY_CASES = 10_000;
const SQLITE_CASES = 1_000;
const MAX_CALLS = 16;

function fuzzCase(tier: 'memory' | 'sqlite'): fc.Arbitrary<FuzzCase> {
  return fc.record({
    attempt: openOptions(tier === 'sqlite'),
    tables,
    inline: fc.boolean(),
    mockClock: fc.boolean(),
    batchSize: fc.integer({ min: 1, max: 8 }),
    mailboxCapacity: fc.integer({ min: 1, max: 8 }),
    file:
      tier === 'sqlite'
        ? fc.oneof(
            { weight: 1, arbitrary: fc.constant(true) },
            { weight: 7, arbitrary: fc.constant(false) },
          )
        : fc.constant(false),
    calls: fc.array(call, { minLength: 1, maxLength: MAX_CALLS }),
  });
}

function replayParameters(): fc.Parameters<[FuzzCase]> {
  const seed = process.env.FUZZ_SEED;
  const path = process.env.FUZZ_PATH;
  return {
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

const METHODS: Method[] = [
  'open',
  'commit',
  'get',
  'contains',
  'versions',
  'range',
  'flush',
  'stats',
  'dropWorkerStats',
  'close',
];
const REJECTING: Method[] = ['open', 'commit', 'get', 'contains', 'versions', 'range'];
/** Every code the fuzz must see: all but those no wrong input can cause. */
const NOT_FROM_INPUT = ['STORE_LOCKED', 'TIER_IO', 'SCRIPT_ERROR'];
const CODES = ERROR_CODES.filter((code) => !NOT_FROM_INPUT.includes(code));

describe('API fuzz', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir('multistore-fuzz-');
  });
  after(() => dir.cleanup());

  for (const [tier, numRuns] of [
    ['memory', MEMORY_CASES],
    ['sqlite', SQLITE_CASES],
  ] as const) {
    it(`${tier} tier: ${numRuns} cases of up to ${MAX_CALLS} calls; every call succeeds or throws a documented StoreError, and the store equals the model`, async (t) => {
      const tally = new FuzzTally();
      const env = { tier, tally, tempPath: tempPaths(dir.path) };
      await fc.assert(
        fc.asyncProperty(fuzzCase(tier), (c) => runCase(c, env)),
        { numRuns, ...replayParameters() },
      );
      for (const line of tally.summary()) t.diagnostic(line);
      assert.ok(tally.cases >= numRuns, `ran ${tally.cases} cases`);
      tally.assertCoverage(METHODS, REJECTING, CODES);
    });
  }
});
