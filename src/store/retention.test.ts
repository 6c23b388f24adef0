/**
 * Retention tables converge: once `flush()` resolves, a table declared with
 * `keepLastVersions: N` holds at most N versions of each key, the N highest,
 * whatever order the writes came in (a write older than the key's newest
 * version included, unless it lands where retention already erased history:
 * then it is refused), reads of erased history are refused, and reopening the
 * store changes nothing that the flushed store showed.
 *
 * Every case runs on both tiers, in both actor modes, with and without a
 * reopen (a memory store reopens over the same memory tier: see
 * test-support/reopen.ts).
 */

import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import fc from 'fast-check';
import { isStoreError, VersionTooOldError } from '../common/errors.js';
import { reopenable } from '../test-support/reopen.js';
import { versionsOf } from '../test-support/store-checks.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 2 } },
];
const KEYS = ['s:a', 's:b', 'r:a', 'r:b', 'plain'];
const keepOf = (key: string) => (key.startsWith('s:') ? 1 : key.startsWith('r:') ? 2 : undefined);

const storedVersions = (store: MultiStore, key: string) =>
  store.versions(key).map((v) => v.version);

/** What a flushed store shows: every key's versions and values, and the figures. */
function shown(store: MultiStore): unknown {
  return {
    latest: store.latestVersion,
    keys: KEYS.map((key) => [key, versionsOf(store.versions(key))]),
    tables: store.stats().tables,
  };
}

/** What a read gives: `ok`, or the code it throws. */
function readCode(read: () => unknown): string {
  try {
    read();
    return 'ok';
  } catch (error) {
    if (isStoreError(error)) return error.code;
    throw error;
  }
}

forEachStoreSetup((setup) => {
  let place: ReturnType<typeof reopenable>;
  before(() => {
    place = reopenable(setup.tier, setup.actorMode);
  });
  after(() => place.dispose());

  it('a keep-1 table drops a write older than the key newest version (no second version survives the flush)', async () => {
    const store = setup.open({ tables: TABLES });
    try {
      store.commit([{ type: 'set', key: 's:a', value: 'ten' }], 10);
      await store.flush();
      store.commit([{ type: 'set', key: 's:a', value: 'five' }], 5);
      await store.flush();
      assert.deepEqual(storedVersions(store, 's:a'), [10]);
      // Single-version means exactly that: only the latest version can be read.
      assert.throws(
        () => store.get('s:a', 5),
        (error: unknown) => error instanceof VersionTooOldError && error.readableFrom === 10,
      );
      assert.equal(store.stats().tables.single?.historicalCount, 0);
    } finally {
      await store.close();
    }
  });

  it('a keep-2 table keeps the two highest versions whatever the write order, flushed after each write', async () => {
    const store = setup.open({ tables: TABLES });
    try {
      for (const version of [8, 10, 5, 9]) {
        store.commit([{ type: 'set', key: 'r:a', value: `v${version}` }], version);
        await store.flush();
      }
      assert.deepEqual(storedVersions(store, 'r:a'), [10, 9]);
      // Below what retention erased (5 and 8), the key's history is closed to writes.
      assert.throws(
        () => store.commit([{ type: 'set', key: 'r:a', value: 'v1' }], 1),
        (error: unknown) => error instanceof VersionTooOldError && error.readableFrom === 9,
      );
      assert.deepEqual(storedVersions(store, 'r:a'), [10, 9]);
    } finally {
      await store.close();
    }
  });

  it('reopening a flushed store after an out-of-order write to a retention table changes nothing it showed', async () => {
    const first = place.open({ tables: TABLES });
    first.commit([{ type: 'set', key: 's:a', value: 'ten' }], 10);
    await first.flush();
    first.commit([{ type: 'set', key: 's:a', value: 'five' }], 5);
    await first.flush();
    const before = shown(first);
    const readAtFive = readCode(() => first.get('s:a', 5));
    await first.close();
    const again = place.open({ tables: TABLES });
    try {
      await again.flush();
      assert.deepEqual(shown(again), before);
      assert.equal(
        readCode(() => again.get('s:a', 5)),
        readAtFive,
      );
      assert.equal(
        readAtFive,
        'VERSION_TOO_OLD',
        'the erased history stays refused after a reopen',
      );
    } finally {
      await again.close();
    }
  });
});

/** One random commit: a few writes (or tombstones) at a version near the latest. */
const commit = fc.record({
  keys: fc.uniqueArray(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 }),
  tombstone: fc.boolean(),
  step: fc.integer({ min: -6, max: 3 }),
  flushAfter: fc.boolean(),
});

forEachStoreSetup((setup) => {
  it('after any writes in any order, each retention key holds its N highest versions, and a reopen changes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commit, { minLength: 1, maxLength: 25 }), async (commits) => {
        const place = reopenable(setup.tier, setup.actorMode);
        try {
          const first = place.open({ tables: TABLES, dropWorker: { batchSize: 3 } });
          const written = new Map<string, Set<number>>(KEYS.map((key) => [key, new Set()]));
          let latest = 0;
          for (const { keys, tombstone, step, flushAfter } of commits) {
            const version = Math.max(0, latest + step);
            try {
              first.commit(
                keys.map((key) =>
                  tombstone ? { type: 'remove', key } : { type: 'set', key, value: `${version}` },
                ),
                version,
              );
            } catch (error) {
              // A write where retention erased the history is refused, and writes nothing.
              if (error instanceof VersionTooOldError) continue;
              throw error;
            }
            for (const key of keys) written.get(key)?.add(version);
            latest = Math.max(latest, version);
            if (flushAfter) await first.flush();
          }
          await first.flush();
          for (const key of KEYS) {
            const highest = [...(written.get(key) ?? [])].sort((a, b) => b - a);
            const keep = keepOf(key);
            const expected = keep === undefined ? highest : highest.slice(0, keep);
            assert.deepEqual(storedVersions(first, key), expected, `versions of ${key}`);
          }
          const before = shown(first);
          await first.close();
          const again = place.open({ tables: TABLES });
          try {
            await again.flush();
            assert.deepEqual(shown(again), before, 'the reopened store shows the same');
          } finally {
            await again.close();
          }
        } finally {
          place.dispose();
        }
      }),
      { numRuns: 25 },
    );
  });
});
