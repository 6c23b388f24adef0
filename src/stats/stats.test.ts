import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import type { StorageStatsRecorded } from '../event/events.js';
import type { Delta } from '../store/deltas.js';
import { MultiStore } from '../store/multistore.js';
import { STORE_SETUPS } from '../test-support/store-setups.js';
import { openTier } from '../tier/factory.js';
import { EMPTY_FIGURES } from './figures.js';
import { recountFigures } from './recount.js';
import { StorageStatsTracker } from './tracker.js';

const entry = (
  table: string,
  key: string,
  valueBytes: number,
  category: 'current' | 'historical',
) => ({
  table,
  key: utf8(key),
  version: 1,
  valueBytes,
  category,
});

describe('StorageStatsTracker', () => {
  it('adds writes and deletes, subtracts drops, and moves between categories', () => {
    const tracker = new StorageStatsTracker();
    const event = (parts: Partial<StorageStatsRecorded>): StorageStatsRecorded => ({
      type: 'storage-stats',
      version: 1,
      writes: [],
      deletes: [],
      drops: [],
      moves: [],
      ...parts,
    });
    tracker.record(event({ writes: [entry('t', 'ab', 5, 'current')] }));
    tracker.record(
      event({
        writes: [entry('t', 'ab', 3, 'current')],
        moves: [entry('t', 'ab', 5, 'historical')],
      }),
    );
    tracker.record(event({ deletes: [entry('u', 'x', 0, 'historical')] }));
    assert.deepEqual(tracker.stats().tables.t, {
      currentCount: 1,
      currentKeyBytes: 12,
      currentValueBytes: 3,
      historicalCount: 1,
      historicalKeyBytes: 12,
      historicalValueBytes: 5,
    });
    tracker.record(
      event({ drops: [entry('t', 'ab', 5, 'historical'), entry('t', 'ab', 3, 'current')] }),
    );
    assert.deepEqual(tracker.stats().tables.t, EMPTY_FIGURES);
    assert.equal(tracker.stats().total.historicalKeyBytes, 11);
  });
});

const KEYS = ['a', 'b', 'cc', 'one:1', 'one:2', 'two:1'];
const delta: fc.Arbitrary<Delta> = fc.oneof(
  fc.record({
    type: fc.constant('set' as const),
    key: fc.constantFrom(...KEYS),
    value: fc.string({ maxLength: 6 }),
  }),
  fc.record({ type: fc.constant('remove' as const), key: fc.constantFrom(...KEYS) }),
  fc.record({
    type: fc.constant('unset' as const),
    key: fc.constantFrom(...KEYS),
    value: fc.string({ maxLength: 3 }),
  }),
  fc.record(
    {
      type: fc.constant('drop' as const),
      key: fc.constantFrom(...KEYS),
      upToVersion: fc.nat(20),
      keepLastVersions: fc.nat(3),
    },
    { requiredKeys: ['type', 'key'] },
  ),
);
const commit = fc.record({
  deltas: fc.array(delta, { maxLength: 5 }),
  step: fc.integer({ min: -2, max: 3 }),
});

describe('tracked figures equal a full recount after every operation', () => {
  for (const setup of STORE_SETUPS) {
    it(`${setup.tier} tier, ${setup.actorMode} mode`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(commit, { minLength: 1, maxLength: 30, size: 'max' }),
          async (commits) => {
            const tier = openTier({ kind: setup.tier });
            const store = MultiStore.fromTier(tier, {
              actorMode: setup.actorMode,
              tables: [
                { name: 'one', prefix: 'one:', retention: { keepLastVersions: 1 } },
                { name: 'two', prefix: 'two:', retention: { keepLastVersions: 2 } },
              ],
            });
            try {
              for (const { deltas, step } of commits) {
                try {
                  store.commit(deltas, Math.max(0, store.latestVersion + step));
                } catch (error) {
                  // A write where history was erased is refused and changes nothing.
                  if (!isStoreError(error, 'VERSION_TOO_OLD')) throw error;
                }
                await store.flush();
                const recount = Object.fromEntries(recountFigures(tier, ['multi', 'one', 'two']));
                assert.deepEqual(store.stats().tables, recount);
              }
            } finally {
              await store.close();
            }
          },
        ),
        { numRuns: 40 },
      );
    });
  }
});
