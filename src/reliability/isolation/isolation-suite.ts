/**
 * The randomized isolation test, parameterised by size: the unit run
 * (`isolation.test.ts`) keeps it small, the slow step
 * (`isolation.slow.test.ts`) runs many more and longer histories.
 *
 * For every tier (memory, a SQLite file that can be closed and reopened) and
 * both actor modes, fast-check generates histories of interleaved
 * transactions, plain commits (automatic, explicit above and below the latest
 * version), drops, retention, reads at random versions, flushes, clock
 * advances and reopenings, and `IsolationHarness` checks, against the serial
 * model of `isolation-model.ts`:
 *
 * 1. Reads never lie: every read answers the truth at its version, or absent
 *    after a deletion, or VERSION_TOO_OLD below a drop's reach; inside a
 *    transaction only drops committed before its snapshot count, and the
 *    same read gives the same answer twice; after every flush every key is
 *    read again at each open snapshot's version, and at idle moments
 *    (`settle`) at each of the last few versions.
 * 2. Snapshot isolation: every commit outcome is predicted exactly: a
 *    conflict exactly when a commit above the transaction's base wrote or
 *    dropped a key it writes (no lost update, no false abort).
 * 3. Serializable: ...or, in serializable mode, a key it read or a key in a
 *    range it read; the final audit re-checks 2 and 3 over every committed
 *    transaction, and write skew is seen to commit under snapshot isolation.
 * 4. Versions: automatic commits take the next version, empty and read-only
 *    commits none, explicit commits at or below an open snapshot fail with
 *    SNAPSHOT_VIOLATION exactly when the model says one is open; the
 *    registry's open count and watermark follow the model.
 * 5. History kept: once every transaction ended and the worker flushed,
 *    nothing is parked and each key's stored versions are the model's.
 *
 * Range drops (plain commits only) count, for conflicts, as a write of every
 * key of their range: the model's commit log lists every key of the test
 * inside the range.
 *
 * Coverage counters, summed over a setup's runs, must show that conflicts
 * (write and read, and with range drops), committed write skew, parked
 * drops, VERSION_TOO_OLD, SNAPSHOT_VIOLATION and expiry were all reached: a
 * generator that stopped reaching them would make the checks vacuous.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ActorMode } from '../../runtime/actor.js';
import { MockClock } from '../../runtime/clock.js';
import { MultiStore } from '../../store/multistore.js';
import { tempDir } from '../../test-support/store-setups.js';
import { type Coverage, emptyCoverage } from './isolation-coverage.js';
import { IsolationHarness } from './isolation-harness.js';
import { RETENTION_PREFIX, runOf } from './isolation-ops.js';
import type { StoreOpener } from './isolation-state.js';

/** How big a run of the suite is. */
export interface SuiteSize {
  /** Histories per setup. */
  readonly numRuns: number;
  /**
   * A fixed seed (the unit run: the same histories every time, so its
   * coverage assertion cannot flake), or `undefined` for the run's seed
   * policy (`test-support/seed-policy.ts`: fixed under CI, new each run
   * elsewhere, so local slow runs explore; fast-check prints the seed of a
   * failure).
   */
  readonly seed?: number;
  readonly maxLength: number;
  /** Print coverage per setup on stderr (the slow step's progress). */
  readonly report?: boolean;
}

const TABLES = [{ name: 'single', prefix: RETENTION_PREFIX, retention: { keepLastVersions: 1 } }];

function opener(
  tier: 'memory' | 'sqlite',
  actorMode: ActorMode,
  clock: MockClock,
  path: string | undefined,
): StoreOpener {
  const open = () =>
    MultiStore.open({
      ...(tier === 'sqlite' ? { path } : { tier }),
      actorMode,
      clock,
      tables: TABLES,
      dropWorker: { batchSize: 3, mailboxCapacity: 4 },
    });
  return Object.assign(open, { durable: tier === 'sqlite' });
}

async function runOnce(
  tier: 'memory' | 'sqlite',
  actorMode: ActorMode,
  ops: Parameters<IsolationHarness['run']>[0],
  coverage: Coverage,
): Promise<void> {
  const dir = tier === 'sqlite' ? tempDir('multistore-isolation-') : undefined;
  try {
    const clock = new MockClock();
    const path = dir === undefined ? undefined : `${dir.path}/store.sqlite`;
    await new IsolationHarness(opener(tier, actorMode, clock, path), clock, coverage).run(ops);
  } finally {
    dir?.cleanup();
  }
}

/** Register the suite: one test per tier and actor mode. */
export function isolationSuite(size: SuiteSize): void {
  for (const tier of ['memory', 'sqlite'] as const) {
    for (const actorMode of ['event-loop', 'inline'] as const) {
      describe(`${tier} tier (${tier === 'sqlite' ? 'a file, reopened' : 'in memory'}), ${actorMode} mode`, () =>
        suite(size, tier, actorMode));
    }
  }
}

/**
 * Register one history (a case the generator once found) as a test of its
 * own, run on every tier and actor mode.
 */
export function isolationCase(title: string, ops: Parameters<IsolationHarness['run']>[0]): void {
  it(title, async () => {
    for (const tier of ['memory', 'sqlite'] as const) {
      for (const actorMode of ['event-loop', 'inline'] as const) {
        await runOnce(tier, actorMode, ops, emptyCoverage());
      }
    }
  });
}

function suite(size: SuiteSize, tier: 'memory' | 'sqlite', actorMode: ActorMode): void {
  it('keeps reads honest, snapshots stable and commits isolated, against the serial model', async () => {
    const coverage = emptyCoverage();
    await fc.assert(
      fc.asyncProperty(runOf(size.maxLength), (ops) => runOnce(tier, actorMode, ops, coverage)),
      {
        numRuns: size.numRuns,
        ...(size.seed === undefined ? {} : { seed: size.seed }),
      },
    );
    if (size.report) process.stderr.write(`  ${tier}/${actorMode}: ${JSON.stringify(coverage)}\n`);
    assertCovered(coverage, tier);
  });
}

function assertCovered(coverage: Coverage, tier: 'memory' | 'sqlite'): void {
  const reached = { ...coverage };
  for (const counter of [
    'commits',
    'writeConflicts',
    'readConflicts',
    'writeSkewsCommitted',
    'parkedSeen',
    'versionTooOld',
    'snapshotViolations',
    'expired',
    'rangeDrops',
    'rangeDropConflicts',
  ] as const) {
    assert.ok(
      reached[counter] > 0,
      `the generator never reached ${counter}: ${JSON.stringify(coverage)}`,
    );
  }
  if (tier === 'sqlite')
    assert.ok(reached.reopened > 0, 'the generator never reopened a SQLite file');
}
