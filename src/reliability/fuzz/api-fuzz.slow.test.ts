/**
 * API fuzz: every public method of MultiStore called with random wrong input
 * mixed with valid input (see fuzz-specs.ts and fuzz-open-specs.ts for what
 * is generated, fuzz-harness.ts and fuzz-case-run.ts for how a case runs).
 *
 * Every call's outcome is predicted from the generated input alone
 * (fuzz-predict.ts, fuzz-predict-open.ts): accepted, or rejected with one
 * exact code. The call must do exactly that (fuzz-judge.ts): a valid call the
 * store rejects fails the test as surely as a wrong call it accepts or
 * rejects with another code. The model sees exactly the accepted commits, and
 * afterwards (after `flush`) the store holds exactly what the model holds.
 * Most cases run on the memory tier; a smaller share runs on SQLite (in
 * memory, and in files that are reopened).
 *
 * A slow test (`npm run test:slow`): it prints a progress line on stderr
 * every tenth of its cases.
 *
 * Mutation runs of the store, each caught on both tiers within the first
 * hundreds of cases: an empty value rejected with INVALID_VALUE (a valid call
 * refused with a documented code: the fuzz before predictions passed it); a
 * delta without a key given INVALID_KEY instead of INVALID_DELTA; a negative
 * keepLastVersions accepted; `prefix` with `start` accepted; a bad range
 * version given INVALID_ARGUMENT instead of INVALID_VERSION; a table named
 * " " refused by `open`.
 *
 * fast-check prints the seed and the shrunk case when a run fails; rerun it
 * with `FUZZ_SEED=<seed>` (and `FUZZ_PATH=<path>` to replay one case).
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ERROR_CODES } from '../../common/errors.js';
import { tempDir } from '../../test-support/store-setups.js';
import { call } from './fuzz-calls.js';
import { type FuzzCase, runCase } from './fuzz-harness.js';
import { tempPaths } from './fuzz-materialize.js';
import { openOptions, tables } from './fuzz-open-specs.js';
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
  'begin',
  'transaction',
  'tx.get',
  'tx.contains',
  'tx.range',
  'tx.set',
  'tx.unset',
  'tx.remove',
  'tx.drop',
  'tx.asOf',
  'tx.commit',
  'tx.rollback',
];
const REJECTING: Method[] = [
  'open',
  'commit',
  'get',
  'contains',
  'versions',
  'range',
  'begin',
  'transaction',
  'tx.get',
  'tx.contains',
  'tx.range',
  'tx.set',
  'tx.unset',
  'tx.remove',
  'tx.drop',
  'tx.asOf',
  'tx.commit',
];
/**
 * Every code the fuzz must see: all but those no call can cause on a healthy
 * store, and WATCH_OVERFLOW, which no call causes either (a watch's consumer
 * falls behind over time; the watch tests provoke it).
 */
const NOT_FROM_INPUT = [
  'STORE_LOCKED',
  'TIER_IO',
  'STORE_FAILED',
  'SCRIPT_ERROR',
  'WATCH_OVERFLOW',
];
const CODES = ERROR_CODES.filter((code) => !NOT_FROM_INPUT.includes(code));
/** READ_ONLY needs a file (a read-only store beside the writer, in the SQLite file cases). */
const CODES_OF: Record<'memory' | 'sqlite', readonly string[]> = {
  memory: CODES.filter((code) => code !== 'READ_ONLY'),
  sqlite: CODES,
};

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
    it(`${tier} tier: ${numRuns} cases of up to ${MAX_CALLS} calls; every call is accepted or rejected exactly as predicted, and the store equals the model`, async (t) => {
      const tally = new FuzzTally();
      const env = { tier, tally, tempPath: tempPaths(dir.path) };
      const started = Date.now();
      const progress = (c: FuzzCase) => {
        if (tally.cases > 0 && tally.cases % (numRuns / 10) === 0) {
          const seconds = ((Date.now() - started) / 1000).toFixed(0);
          process.stderr.write(
            `api fuzz, ${tier} tier: ${tally.cases}/${numRuns} cases (${seconds} s)\n`,
          );
        }
        return runCase(c, env);
      };
      await fc.assert(fc.asyncProperty(fuzzCase(tier), progress), {
        numRuns,
        ...replayParameters(),
      });
      for (const line of tally.summary()) t.diagnostic(line);
      assert.ok(tally.cases >= numRuns, `ran ${tally.cases} cases`);
      tally.assertCoverage(METHODS, REJECTING, CODES_OF[tier]);
    });
  }
});
