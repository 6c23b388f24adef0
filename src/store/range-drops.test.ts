/**
 * Range and prefix drops: what they erase (each key as a per-key drop at the
 * request's commit would), that deleted keys are reached, that later commits
 * are left alone, that the drop worker applies them a bounded page at a time
 * (counted through the tier's calls), what open snapshots keep, the figures,
 * and the change feed's refusals; on both tiers, in both actor modes.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToBinaryString } from '../common/bytes.js';
import { InvalidInputError, VersionTooOldError } from '../common/errors.js';
import type { ActorMode } from '../runtime/actor.js';
import { recountFigures } from '../stats/recount.js';
import {
  forEachStoreSetup,
  type StoreSetup,
  tempDir,
  turns,
} from '../test-support/store-setups.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import { SqliteTier } from '../tier/sqlite/sqlite-tier.js';
import type {
  PageRequest,
  StateChange,
  TierDrops,
  TierHorizons,
  TierPrefixDrops,
} from '../tier/tier.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

/** Every stored version of `key`, newest first. */
const versions = (store: MultiStore<string, string>, key: string) =>
  store.versions(key).map((v) => v.version);

/** What `read` answers, or the code and readable version of the error it throws. */
function outcome(read: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(read() ?? null));
  } catch (error) {
    if (error instanceof VersionTooOldError) return [error.code, error.readableFrom];
    throw error;
  }
}

/** Three versions of each key, then `u:dead` deleted at 4: latest 4. */
function seed(store: MultiStore<string, string>, keys: readonly string[]): void {
  for (let v = 1; v <= 3; v++)
    store.commit(
      keys.map((key) => ({ type: 'set', key, value: `${key}@${v}` })),
      v,
    );
  store.commit([{ type: 'remove', key: 'u:dead' }], 4);
}

const KEYS = ['a', 'u:1', 'u:2', 'u:3', 'u:dead', 'v:1'];

/** The figures the tracker keeps equal a recount of the storage. */
function assertExactFigures(store: MultiStore<string, string>, tier: AbstractTier): void {
  const tables = Object.keys(store.stats().tables);
  const recounted = recountFigures(tier, tables);
  assert.deepEqual(
    Object.fromEntries(Object.entries(store.stats().tables).map(([t, f]) => [t, { ...f }])),
    Object.fromEntries([...recounted].map(([t, f]) => [t, { ...f }])),
    'figures equal a recount',
  );
}

/** A tier whose `page` and `drop` calls are counted (per call: keys and versions erased). */
function countingTier(kind: 'memory' | 'sqlite') {
  const tier = openTier({ kind });
  const calls = { pages: [] as number[], drops: [] as { keys: number; versions: number }[] };
  const page = tier.page.bind(tier);
  const drop = tier.drop.bind(tier);
  Object.assign(tier, {
    page: (table: string, request: PageRequest) => {
      calls.pages.push(request.limit);
      return page(table, request);
    },
    drop: (
      drops: TierDrops,
      horizons?: TierHorizons,
      change?: StateChange,
      prefixes?: TierPrefixDrops,
    ) => {
      const call = { keys: 0, versions: 0 };
      const keys = new Set<string>();
      for (const list of drops.values()) {
        call.versions += list.length;
        for (const entry of list) keys.add(bytesToBinaryString(entry.key));
      }
      // Keys erased by a bound count too, and so does each version the tier says went.
      for (const list of prefixes?.keys.values() ?? []) {
        for (const entry of list) keys.add(bytesToBinaryString(entry.key));
      }
      call.keys = keys.size;
      calls.drops.push(call);
      const counted: TierPrefixDrops | undefined = prefixes && {
        keys: prefixes.keys,
        erased: (...args) => {
          call.versions++;
          prefixes.erased(...args);
        },
      };
      return drop(drops, horizons, change, counted);
    },
  });
  return { tier, calls };
}

describe('range drop deltas are validated', () => {
  const store = MultiStore.open({ keyEncoding: 'utf8' });
  const refused = (delta: unknown, code: string, message: RegExp) =>
    assert.throws(
      () => store.commit([delta as Delta<string>]),
      (error: unknown) =>
        error instanceof InvalidInputError && error.code === code && message.test(error.message),
    );

  it('refuses a drop naming no key, prefix, start or end (never a drop of every key)', () => {
    refused({ type: 'drop' }, 'INVALID_DELTA', /no key, prefix, start or end/);
    refused({ type: 'drop', key: undefined, keepLastVersions: 1 }, 'INVALID_DELTA', /no key/);
    refused({ type: 'drop', start: undefined, end: undefined }, 'INVALID_DELTA', /no key/);
  });

  it('refuses prefix with start/end, endInclusive with a prefix or not a boolean, unknown properties', () => {
    refused({ type: 'drop', prefix: 'a', start: 'b' }, 'INVALID_DELTA', /either prefix or start/);
    refused({ type: 'drop', prefix: 'a', endInclusive: true }, 'INVALID_DELTA', /endInclusive/);
    refused({ type: 'drop', end: 'a', endInclusive: 1 }, 'INVALID_DELTA', /endInclusive must/);
    refused({ type: 'drop', prefix: 'a', keepLastVersion: 1 }, 'INVALID_DELTA', /keepLastVersion/);
    refused({ type: 'drop', prefix: 'a', upToVersion: -1 }, 'INVALID_VERSION', /upToVersion/);
    refused({ type: 'drop', prefix: 'a', keepLastVersions: 0.5 }, 'INVALID_DELTA', /keepLast/);
  });

  it('refuses a drop naming a key and a range, saying so (not that prefix or start is unknown)', () => {
    refused(
      { type: 'drop', key: 'a', prefix: 'b' },
      'INVALID_DELTA',
      /a key or a range \(prefix, start\/end\), not both/,
    );
    refused(
      { type: 'drop', key: 'a', start: 'b' },
      'INVALID_DELTA',
      /a key or a range \(prefix, start\/end\), not both/,
    );
  });

  it('an ordered store names every key with start: null, as the error for a drop naming nothing says', async () => {
    const ordered = MultiStore.open({ keyEncoding: 'ordered', valueEncoding: 'json' });
    try {
      const keys = [null, false, -5, 3, '', 'a', ['a', 1]];
      for (let v = 1; v <= 2; v++)
        ordered.commit(keys.map((key) => ({ type: 'set', key, value: v })));
      assert.throws(
        () => ordered.commit([{ type: 'drop' } as never]),
        /start: null with ordered keys/,
      );
      ordered.commit([{ type: 'drop', start: null, keepLastVersions: 1 }]);
      await ordered.flush();
      for (const key of keys) assert.equal(ordered.versions(key).length, 1, JSON.stringify(key));
    } finally {
      await ordered.close();
    }
  });

  it('takes bounds in the key encoding (INVALID_KEY otherwise), and a refused commit queues nothing', () => {
    refused({ type: 'drop', prefix: 7 }, 'INVALID_KEY', /prefix/);
    refused({ type: 'drop', start: 'a', end: 7 }, 'INVALID_KEY', /key/);
    assert.equal(store.dropWorkerStats().requests, 0);
  });
});

forEachStoreSetup((setup) => {
  const open = (options: Parameters<StoreSetup['open']>[0] = {}) =>
    setup.open({ keyEncoding: 'utf8', valueEncoding: 'utf8', ...options }) as unknown as MultiStore<
      string,
      string
    >;

  it('a prefix drop erases under the prefix only, deleted keys included', async () => {
    const store = open();
    try {
      seed(store, KEYS);
      store.commit([{ type: 'drop', prefix: 'u:', keepLastVersions: 1 }]);
      await store.flush();
      for (const key of ['u:1', 'u:2', 'u:3']) assert.deepEqual(versions(store, key), [3], key);
      assert.deepEqual(versions(store, 'u:dead'), [4], 'the tombstone is kept, history trimmed');
      assert.deepEqual(versions(store, 'a'), [3, 2, 1]);
      assert.deepEqual(versions(store, 'v:1'), [3, 2, 1]);
      assert.equal(
        store.dropWorkerStats().entriesDropped,
        9,
        'two versions of u:1..3, three of u:dead',
      );
    } finally {
      await store.close();
    }
  });

  it('a range drop erases what the per-key drop of each key at that commit erases', async () => {
    const constraints = [
      {},
      { upToVersion: 3 },
      { keepLastVersions: 2 },
      { upToVersion: 3, keepLastVersions: 1 },
      { upToVersion: 2, keepLastVersions: 2 },
    ];
    for (const given of constraints) {
      const ranged = open();
      const perKey = open();
      try {
        for (const store of [ranged, perKey]) seed(store, KEYS);
        // [u:1, u:dead]: u:2 and u:3 are inside, v:1 and a are not.
        ranged.commit([
          { type: 'drop', start: 'u:1', end: 'u:dead', endInclusive: true, ...given },
        ]);
        perKey.commit(
          ['u:1', 'u:2', 'u:3', 'u:dead'].map((key) => ({ type: 'drop', key, ...given })),
        );
        await ranged.flush();
        await perKey.flush();
        for (const key of KEYS)
          assert.deepEqual(
            versions(ranged, key),
            versions(perKey, key),
            `${key} ${JSON.stringify(given)}`,
          );
        assert.deepEqual(ranged.stats().total, perKey.stats().total);
        for (let at = 0; at <= 5; at++) {
          for (const key of KEYS)
            assert.deepEqual(
              outcome(() => ranged.get(key, at)),
              outcome(() => perKey.get(key, at)),
            );
          const feed = (store: MultiStore<string, string>) => () => [
            ...store.changes({ from: at }),
          ];
          assert.deepEqual(outcome(feed(ranged)), outcome(feed(perKey)), `changes from ${at}`);
        }
      } finally {
        await ranged.close();
        await perKey.close();
      }
    }
  });

  it('applies at its commit: later versions and later keys are not judged; its own writes are kept', async () => {
    const store = open({ dropWorker: { flushIntervalMs: 1_000_000, batchSize: 1_000 } });
    try {
      seed(store, KEYS);
      store.commit([
        { type: 'set', key: 'u:1', value: 'mine' },
        { type: 'drop', prefix: 'u:' },
      ]); // 5
      store.commit([
        { type: 'set', key: 'u:2', value: 'later' },
        { type: 'set', key: 'u:new', value: 'later' },
      ]); // 6, before the drop is applied
      await store.flush();
      assert.deepEqual(versions(store, 'u:1'), [5], 'the pending version of its own commit stays');
      assert.deepEqual(versions(store, 'u:2'), [6], 'a version above the ceiling stays');
      assert.deepEqual(versions(store, 'u:new'), [6], 'a key made after the request stays');
      assert.deepEqual(versions(store, 'u:dead'), [], 'a deleted key is erased whole');
      assert.throws(() => store.get('u:dead', 2), VersionTooOldError);
    } finally {
      await store.close();
    }
  });

  it('is applied in bounded tier calls, a page of batchSize keys per step', async () => {
    const { tier, calls } = countingTier(setup.tier);
    const store = MultiStore.fromTier(tier, {
      actorMode: setup.actorMode,
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      dropWorker: { batchSize: 8 },
    });
    try {
      const keys = Array.from({ length: 50 }, (_, i) => `k:${String(i).padStart(2, '0')}`);
      seed(store, keys);
      calls.pages.length = 0;
      store.commit([{ type: 'drop', prefix: 'k:', keepLastVersions: 1 }]);
      await store.flush();
      for (const key of keys) assert.deepEqual(versions(store, key), [3]);
      assert.ok(
        calls.pages.every((limit) => limit === 8),
        `page limits ${calls.pages}`,
      );
      assert.ok(
        calls.drops.every((call) => call.keys <= 8),
        'no tier.drop erases more than a page of keys',
      );
      assert.equal(calls.drops.length, 7, '50 keys in pages of 8: 7 erasing steps');
      assert.equal(
        calls.drops.reduce((sum, call) => sum + call.versions, 0),
        100,
      );
      assertExactFigures(store, tier);
    } finally {
      await store.close();
    }
  });

  it('keeps what an open snapshot reads, parked per key, and applies it once the snapshot ends', async () => {
    const store = open();
    try {
      seed(store, KEYS);
      const reader = store.begin({ asOf: 2, readOnly: true });
      store.commit([{ type: 'drop', prefix: 'u:' }]);
      await store.flush();
      assert.equal(reader.get('u:1')?.value, 'u:1@2', 'the snapshot still reads its version');
      assert.deepEqual(versions(store, 'u:1'), [3, 2], 'v1 went; v2 and v3 wait');
      assert.equal(store.dropWorkerStats().parked, 4, 'one parked request per key of the range');
      reader.rollback();
      await store.flush();
      for (const key of ['u:1', 'u:2', 'u:3', 'u:dead']) assert.deepEqual(versions(store, key), []);
      assert.equal(store.dropWorkerStats().parked, 0);
    } finally {
      await store.close();
    }
  });

  it('statistics events and figures: exactly what the erasures took', async () => {
    const { tier } = countingTier(setup.tier);
    const store = MultiStore.fromTier(tier, {
      actorMode: setup.actorMode,
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      dropWorker: { batchSize: 2 },
    }) as MultiStore<string, string>;
    try {
      let dropped = 0;
      store.events.on('storage-stats', (event) => {
        dropped += event.drops.length;
      });
      seed(store, KEYS);
      store.commit([{ type: 'drop', start: 'a', end: 'u:3', upToVersion: 3 }]);
      await store.flush();
      await turns(); // event-loop listeners run on later turns
      assert.equal(dropped, 6, 'a, u:1 and u:2 each lose versions 1 and 2');
      assert.equal(store.dropWorkerStats().entriesDropped, 6);
      assertExactFigures(store, tier);
    } finally {
      await store.close();
    }
  });

  it('the change feed refuses erased history as it does after per-key drops', async () => {
    const store = open();
    try {
      seed(store, KEYS);
      store.commit([{ type: 'drop', prefix: 'u:', upToVersion: 3 }]);
      await store.flush();
      assert.throws(
        () => [...store.changes({ from: 0, prefix: 'u:' })],
        (error: unknown) => error instanceof VersionTooOldError && error.readableFrom === 3,
      );
      // Outside the range, and from the readable version on, the feed answers.
      assert.equal([...store.changes({ from: 0, prefix: 'v:' })].length, 3);
      assert.equal([...store.changes({ from: 3, prefix: 'u:' })].length, 1);
      assert.throws(() => store.get('u:1', 2), VersionTooOldError);
    } finally {
      await store.close();
    }
  });

  it('counts as a write of every key of its range for conflict checks, as a per-key drop of each would', async () => {
    const store = open();
    try {
      seed(store, KEYS);
      const ranged = store.begin();
      const perKey = store.begin();
      const outside = store.begin();
      store.commit([{ type: 'drop', prefix: 'u:', upToVersion: 2 }]);
      store.commit([{ type: 'drop', key: 'v:1', upToVersion: 2 }]);
      ranged.set('u:1', 'tx');
      perKey.set('v:1', 'tx');
      outside.set('a', 'tx');
      assert.throws(() => ranged.commit(), { code: 'TRANSACTION_CONFLICT', reason: 'write' });
      assert.throws(() => perKey.commit(), { code: 'TRANSACTION_CONFLICT', reason: 'write' });
      assert.equal(outside.commit(), 7);
      await store.flush();
      assert.deepEqual(versions(store, 'u:1'), [3, 2]);
    } finally {
      await store.close();
    }
  });

  it('ordered keys: bounds and prefixes are given as the keys are', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'json' });
    try {
      for (let v = 1; v <= 2; v++)
        store.commit(
          [
            { type: 'set', key: ['user', 1], value: v },
            { type: 'set', key: ['user', 2], value: v },
            { type: 'set', key: ['user', 10], value: v },
            { type: 'set', key: ['zone', 1], value: v },
          ],
          v,
        );
      store.commit([{ type: 'drop', start: ['user', 2], end: ['user', 100], keepLastVersions: 1 }]);
      await store.flush();
      const count = (key: [string, number]) => store.versions(key).length;
      assert.deepEqual(
        [count(['user', 1]), count(['user', 2]), count(['user', 10]), count(['zone', 1])],
        [2, 1, 1, 2],
      );
    } finally {
      await store.close();
    }
  });
});

for (const mode of ['event-loop', 'inline'] as ActorMode[]) {
  describe(`drop worker steps (${mode} mode)`, () => {
    it('requests behind a range drop wait for it (commit order), and flush() applies all of it', async () => {
      const store = MultiStore.open({
        actorMode: mode,
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
        dropWorker: { batchSize: 2, flushIntervalMs: 1_000_000 },
      });
      try {
        // "k:9" comes in the range's last page; the request of version 12 names it.
        store.commit(
          ['k:1', 'k:2', 'k:3', 'k:4', 'k:9'].map((key) => ({ type: 'set', key, value: 'x' })),
          8,
        );
        store.commit([{ type: 'set', key: 'k:9', value: 'y' }], 10);
        store.commit([{ type: 'drop', prefix: 'k:' }], 11);
        store.commit(
          [
            { type: 'set', key: 'k:9', value: '12' },
            { type: 'drop', key: 'k:9', keepLastVersions: 1 },
          ],
          12,
        );
        await store.flush();
        // In commit order the range deletes k:9 (absent at 11), then keep 1 finds only 12;
        // the other way round keep 1 erases 8 and 10 first and reads at 11 are refused.
        assert.deepEqual(versions(store, 'k:9'), [12]);
        assert.equal(store.get('k:9', 11), undefined, 'absent at 11: the range drop came first');
        assert.ok(store.dropWorkerStats().batches >= 3, 'more than one step');
      } finally {
        await store.close();
      }
    });
  });
}

describe('drop worker steps in the background (event-loop mode)', () => {
  it('takes one page per turn without flush(), so other work runs between pages', async () => {
    const store = MultiStore.open({
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      dropWorker: { batchSize: 2, flushIntervalMs: 1_000_000 },
    });
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `k:${i}`);
      seed(store, keys);
      // Two requests reach batchSize: the worker takes the first step on its own.
      store.commit([
        { type: 'drop', prefix: 'k:', keepLastVersions: 1 },
        { type: 'drop', key: 'u:dead' },
      ]);
      await turns(1);
      const early = store.dropWorkerStats().batches;
      await turns(30);
      const late = store.dropWorkerStats().batches;
      assert.ok(early >= 1 && early < late, `batches ${early} then ${late}: steps on later turns`);
      for (const key of keys) assert.deepEqual(versions(store, key), [3]);
    } finally {
      await store.close();
    }
  });
});

describe('a range drop resumed after a reopen (SQLite)', () => {
  /** Tables `a` and `b`, in the order given; a page of `a` after its first fails once. */
  const tablesAB = [
    { name: 'a', prefix: 'a/' },
    { name: 'b', prefix: 'b/' },
  ];
  const keys = ['a/1', 'a/2', 'a/3', 'a/4', 'b/1', 'b/2', 'm'];

  /** A file whose range drop (keep 1 over every key) stopped at a page of `table`. */
  function fileStoppedIn(
    path: string,
    tables: readonly { name: string; prefix: string }[],
    stopAt: (table: string, request: PageRequest) => boolean,
  ): Promise<void> {
    const tier = SqliteTier.open(path);
    const page = tier.page.bind(tier);
    let failed = false;
    Object.assign(tier, {
      page: (table: string, request: PageRequest) => {
        if (stopAt(table, request) && !failed) {
          failed = true;
          throw new Error('injected: page unreadable');
        }
        return page(table, request);
      },
    });
    const store = MultiStore.fromTier(tier, {
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      tables,
      dropWorker: { batchSize: 2 },
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    for (let v = 1; v <= 3; v++)
      store.commit(
        keys.map((key) => ({ type: 'set', key, value: `${v}` })),
        v,
      );
    store.commit([{ type: 'drop', prefix: '', keepLastVersions: 1 }]);
    return store.close();
  }

  it('reaches every table of its range when the tables are declared in another order', async () => {
    const dir = tempDir('multistore-range-reorder-');
    try {
      const path = `${dir.path}/reorder.db`;
      // Stopped after the first page of table a.
      await fileStoppedIn(
        path,
        tablesAB,
        (table, request) => table === 'a' && request.cursor !== undefined,
      );
      const stopped = MultiStore.open({
        path,
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
        tables: tablesAB,
        readOnly: true,
      });
      assert.deepEqual(
        versions(stopped, 'b/1'),
        [3, 2, 1],
        'table b not reached before the reopen',
      );
      await stopped.close();
      const store = MultiStore.open({
        path,
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
        tables: [...tablesAB].reverse(),
      });
      try {
        await store.flush();
        for (const key of keys) assert.deepEqual(versions(store, key), [3], key);
        assert.deepEqual(store.verify(), []);
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('goes on with the tables after its cursor when the (empty) table of its cursor is no longer declared', async () => {
    const dir = tempDir('multistore-range-removed-');
    try {
      const path = `${dir.path}/removed.db`;
      const withEmpty = [
        { name: 'a', prefix: 'a/' },
        { name: 'a2', prefix: 'a2/' },
        { name: 'b', prefix: 'b/' },
      ];
      // Stopped at the first page of a2 (empty; paged after a, before b).
      await fileStoppedIn(path, withEmpty, (table) => table === 'a2');
      const store = MultiStore.open({
        path,
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
        tables: tablesAB,
      });
      try {
        await store.flush();
        for (const key of keys) assert.deepEqual(versions(store, key), [3], key);
        assert.deepEqual(store.verify(), []);
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
