/**
 * A change feed refuses only what it would skip: a consumer that keeps up
 * with retention tables (which erase only versions it already followed
 * past) is never refused, on both tiers, after reopening a file too; a
 * consumer that fell behind an erasure is still refused.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import { MODEL_KEYS, MODEL_TABLES } from '../test-support/model-keys.js';
import { reopenable } from '../test-support/reopen.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import type { Delta } from './deltas.js';
import type { MultiStore } from './multistore.js';

const TABLES = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];

/** Apply the feed from `from` to `held` (binary key -> value); the last version seen. */
function follow(store: MultiStore, from: number | undefined, held: Map<string, string>): number {
  let last = from ?? 0;
  for (const { version, writes } of store.changes(from === undefined ? {} : { from })) {
    for (const { key, value } of writes) {
      if (value === undefined) held.delete(bytesToBinaryString(key));
      else held.set(bytesToBinaryString(key), bytesToBinaryString(value));
    }
    last = version;
  }
  return last;
}

function latestState(store: MultiStore): Map<string, string> {
  return new Map(
    [...store.range()].map((e) => [bytesToBinaryString(e.key), bytesToBinaryString(e.value)]),
  );
}

forEachStoreSetup((setup) => {
  it('a feed that keeps up with a keep-1 retention table is never refused', async () => {
    const store = setup.open({ tables: TABLES });
    try {
      let last = 0;
      const seen: string[] = [];
      for (let v = 1; v <= 3; v++) {
        store.commit([{ type: 'set', key: 's:1', value: `v${v}` }]);
        await store.flush(); // retention erased every version of s:1 but the newest
        for (const { version, writes } of store.changes({ from: last })) {
          seen.push(`${version}:${writes.map((w) => text(w.value)).join(',')}`);
          last = version;
        }
      }
      assert.deepEqual(seen, ['1:v1', '2:v2', '3:v3']);
    } finally {
      await store.close();
    }
  });

  it('retention erasing only versions at or below from leaves the feed from there accepted, sparse versions too', async () => {
    const store = setup.open({ tables: TABLES });
    try {
      store.commit([{ type: 'set', key: 's:1', value: 'a' }]); // 1
      for (let i = 0; i < 4; i++) store.commit([{ type: 'set', key: 'x', value: `${i}` }]); // 2..5
      store.commit([{ type: 'set', key: 's:1', value: 'b' }]); // 6: erases s:1@1, horizon [1, 6)
      await store.flush();
      const feed = [...store.changes({ from: 3 })].map((c) => c.version);
      assert.deepEqual(feed, [4, 5, 6], 'nothing above 3 was erased: accepted');
      assert.throws(
        () => [...store.changes({ from: 0 })],
        (error: unknown) => error instanceof VersionTooOldError && error.readableFrom === 6,
        'the erased write at 1 is in (0, 6]: refused, resuming from the floor, 6',
      );
    } finally {
      await store.close();
    }
  });

  it('a consumer behind an erased write, or behind a deletion, is still refused', async () => {
    const store = setup.open({ tables: TABLES });
    try {
      store.commit([{ type: 'set', key: 's:1', value: 'a' }]); // 1
      store.commit([{ type: 'set', key: 's:1', value: 'b' }]); // 2
      store.commit([{ type: 'set', key: 's:1', value: 'c' }]); // 3
      await store.flush(); // erased 1 and 2: a feed from 1 would skip 2
      assert.throws(() => [...store.changes({ from: 1 })], VersionTooOldError);
      assert.equal([...store.changes({ from: 2 })].length, 1);
      store.commit([{ type: 'set', key: 'k', value: 'v' }]); // 4
      store.commit([{ type: 'set', key: 'y', value: 'w' }]); // 5
      store.commit([{ type: 'drop', key: 'k' }]); // 6: deletes k, a change no write records
      await store.flush();
      assert.throws(() => [...store.changes({ from: 5 })], VersionTooOldError);
      assert.deepEqual([...store.changes({ from: 6 })], []);
    } finally {
      await store.close();
    }
  });

  it('a consumer that keeps up with random commits on retention tables is never refused and holds the latest state', async () => {
    const key = fc.constantFrom(...MODEL_KEYS);
    const delta: fc.Arbitrary<Delta> = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          type: fc.constant('set' as const),
          key,
          value: fc.uint8Array({ maxLength: 2 }),
        }),
      },
      fc.record({ type: fc.constant('remove' as const), key }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            deltas: fc.array(delta, { minLength: 1, maxLength: 3 }),
            flush: fc.boolean(),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        async (commits) => {
          const store = setup.open({ tables: MODEL_TABLES, dropWorker: { batchSize: 2 } });
          try {
            const held = new Map<string, string>();
            let last = follow(store, undefined, held);
            for (const { deltas, flush } of commits) {
              store.commit(deltas);
              if (flush) await store.flush();
              last = follow(store, last, held);
            }
            await store.flush();
            last = follow(store, last, held);
            assert.deepEqual(held, latestState(store));
          } finally {
            await store.close();
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});

it('a caught-up feed stays accepted after reopening a file (the erased top is stored)', async () => {
  const place = reopenable('sqlite', 'inline');
  try {
    let store = place.open({ tables: TABLES });
    store.commit([{ type: 'set', key: 's:1', value: 'a' }]); // 1
    store.commit([{ type: 'set', key: 'x', value: '1' }]); // 2
    store.commit([{ type: 'set', key: 's:1', value: 'b' }]); // 3: erases s:1@1
    await store.flush();
    await store.close();
    store = place.open({ tables: TABLES });
    try {
      assert.deepEqual(
        [...store.changes({ from: 1 })].map((c) => c.version),
        [2, 3],
      );
      assert.throws(() => [...store.changes({ from: 0 })], VersionTooOldError);
    } finally {
      await store.close();
    }
  } finally {
    place.dispose();
  }
});
