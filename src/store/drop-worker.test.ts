import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { bytesToBinaryString } from '../common/bytes.js';
import { MemoryLogger } from '../common/logger.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, turns } from '../test-support/store-setups.js';
import { BruteForceTier } from '../test-support/tier-model.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { openTier } from '../tier/factory.js';
import { MemoryTier } from '../tier/memory/memory-tier.js';
import { MultiStore } from './multistore.js';

/** Write two versions of each key, so that a `keepLastVersions: 1` drop erases one. */
function twoVersions(store: MultiStore, names: string[]): void {
  store.commit(
    names.map((key) => ({ type: 'set', key, value: 'old' })),
    1,
  );
  store.commit(
    names.map((key) => ({ type: 'set', key, value: 'new' })),
    2,
  );
}

const counts = (store: MultiStore, names: string[]) =>
  names.map((key) => store.versions(key).length);

forEachStoreSetup((setup) => {
  let store: MultiStore;
  let clock: MockClock;
  afterEach(() => store.close());

  const open = (dropWorker: object, logger?: MemoryLogger) => {
    clock = new MockClock();
    store = setup.open({ clock, dropWorker, ...(logger ? { logger } : {}) });
    return store;
  };

  it('flushes as soon as batchSize requests are pending', async () => {
    open({ batchSize: 3, flushIntervalMs: 1e9 });
    twoVersions(store, ['a', 'b', 'c']);
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 3);
    store.commit([{ type: 'drop', key: 'b', keepLastVersions: 1 }], 4);
    await turns();
    assert.deepEqual(counts(store, ['a', 'b', 'c']), [2, 2, 2]);
    store.commit([{ type: 'drop', key: 'c', keepLastVersions: 1 }], 5);
    await turns();
    assert.deepEqual(counts(store, ['a', 'b', 'c']), [1, 1, 1]);
    assert.equal(store.dropWorkerStats().batches, 1);
  });

  it('holds a partial batch until flushIntervalMs after its first request, then flushes it', async () => {
    open({ batchSize: 100, flushIntervalMs: 50 });
    twoVersions(store, ['a']);
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 3);
    for (let t = 10; t < 50; t += 10) {
      clock.advanceMillis(10);
      await turns();
      assert.deepEqual(counts(store, ['a']), [2], `still pending at ${t} ms`);
    }
    clock.advanceMillis(10);
    await turns();
    assert.deepEqual(counts(store, ['a']), [1]);
    assert.equal(store.dropWorkerStats().batches, 1);
  });

  it('emits one storage-stats event per flush, with the batch highest version', async () => {
    open({ batchSize: 100, flushIntervalMs: 1e9 });
    twoVersions(store, ['a', 'b']);
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 7);
    store.commit([{ type: 'drop', key: 'b' }], 5);
    await store.flush();
    const dropEvents = events.filter((e) => e.drops.length > 0);
    assert.equal(dropEvents.length, 1);
    assert.equal(dropEvents[0]?.version, 7);
    const dropped = dropEvents[0]?.drops.map(
      (d) => `${bytesToBinaryString(d.key)}@${d.version}:${d.category}`,
    );
    assert.deepEqual(dropped?.sort(), ['a@1:historical', 'b@1:historical', 'b@2:current']);
  });

  it('loses nothing when the queue is over its bound: the sender applies the oldest requests (backpressure)', async () => {
    // The queue may stand for mailboxCapacity x batchSize = 4 accepted requests.
    open({ batchSize: 2, flushIntervalMs: 1e9, mailboxCapacity: 2 });
    const names = Array.from({ length: 20 }, (_, i) => `k${i}`);
    twoVersions(store, names);
    for (const [i, key] of names.entries()) {
      store.commit([{ type: 'drop', key, keepLastVersions: 1 }], 3 + i);
      const waiting = counts(store, names.slice(0, i + 1)).filter((count) => count > 1);
      assert.ok(waiting.length <= 4, `${waiting.length} requests wait after commit ${i}`);
    }
    if (setup.actorMode === 'event-loop') assert.ok(store.dropWorkerStats().backpressure > 0);
    await store.flush();
    assert.deepEqual(
      counts(store, names),
      names.map(() => 1),
    );
    assert.equal(store.dropWorkerStats().requests, 20);
    assert.equal(store.dropWorkerStats().entriesDropped, 20);
  });

  it('applies what is pending on close', async () => {
    open({ batchSize: 1000, flushIntervalMs: 1e9 });
    twoVersions(store, ['a']);
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    store.commit([{ type: 'drop', key: 'a' }], 3);
    await store.close();
    assert.equal(events.at(-1)?.drops.length, 2);
  });

  it('an idle store schedules no timer; pending requests arm one, until they are flushed', async () => {
    open({ batchSize: 3, flushIntervalMs: 50 });
    assert.equal(clock.pendingTimers, 0, 'nothing scheduled at open');
    twoVersions(store, ['a', 'b', 'c']);
    await turns();
    assert.equal(clock.pendingTimers, 0, 'commits without drops schedule nothing');
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 3);
    await turns();
    assert.equal(clock.pendingTimers, 1, 'a pending request arms the flush timer');
    store.commit([{ type: 'drop', key: 'b', keepLastVersions: 1 }], 4);
    await turns();
    assert.equal(clock.pendingTimers, 1, 'one timer for the whole batch');
    store.commit([{ type: 'drop', key: 'c', keepLastVersions: 1 }], 5);
    await turns();
    assert.deepEqual(counts(store, ['a', 'b', 'c']), [1, 1, 1]);
    assert.equal(clock.pendingTimers, 0, 'a flush by batch size cancels the timer');
    store.commit([{ type: 'drop', key: 'a' }], 6);
    await turns();
    clock.advanceMillis(50);
    await turns();
    assert.deepEqual(counts(store, ['a']), [0]);
    assert.equal(clock.pendingTimers, 0, 'a flush by the timer leaves none');
    store.commit([{ type: 'drop', key: 'b' }], 7);
    await store.flush();
    assert.equal(clock.pendingTimers, 0, 'store.flush() cancels it too');
    clock.advanceMillis(1000);
    await turns();
    assert.equal(clock.pendingTimers, 0, 'an idle store stays idle');
  });

  it('logs and counts a failing request and still applies the others', async () => {
    const logger = new MemoryLogger();
    const inner = openTier({ kind: setup.tier });
    const tier = failingTier(inner, 'bad');
    clock = new MockClock();
    store = MultiStore.fromTier(tier, { clock, logger, actorMode: setup.actorMode });
    twoVersions(store, ['a', 'bad', 'c', 'worse']);
    store.commit(
      ['a', 'bad', 'c', 'worse'].map((key) => ({ type: 'drop', key, keepLastVersions: 1 })),
      3,
    );
    await store.flush();
    assert.deepEqual(counts(store, ['a', 'c', 'worse']), [1, 1, 2]);
    assert.equal(inner.getVersionSizes('multi', new TextEncoder().encode('bad')).length, 2);
    assert.equal(store.dropWorkerStats().failures, 2);
    assert.ok(
      logger.records.some((r) => r.level === 'error' && r.message.includes('drop request failed')),
    );
    await store.flush();
    const recount = store.stats().total;
    assert.equal(recount.historicalCount, 2, 'figures only count what was really erased');
  });

  it('loses no request to a logger that throws: the failing one is counted, the others applied', async () => {
    const throwing = () => {
      throw new Error('the log transport is down');
    };
    const logger = { debug: throwing, info: throwing, warn: throwing, error: throwing };
    const inner = openTier({ kind: setup.tier });
    clock = new MockClock();
    store = MultiStore.fromTier(failingTier(inner, 'bad'), {
      clock,
      logger,
      actorMode: setup.actorMode,
    });
    twoVersions(store, ['a', 'bad', 'c']);
    store.commit(
      ['a', 'bad', 'c'].map((key) => ({ type: 'drop', key, keepLastVersions: 1 })),
      3,
    );
    await store.flush();
    assert.deepEqual(counts(store, ['a', 'bad', 'c']), [1, 2, 1]);
    const { requests, batches, entriesDropped, failures } = store.dropWorkerStats();
    assert.deepEqual(
      { requests, batches, entriesDropped, failures },
      {
        requests: 3,
        batches: 1,
        entriesDropped: 2,
        failures: 1,
      },
    );
    assert.equal(store.stats().total.historicalCount, 1, 'the figures saw the erasures');
  });
});

/** A tier that fails to read versions of `bad` and fails to erase versions of `worse`. */
function failingTier(inner: AbstractTier, bad: string): AbstractTier {
  const isKey = (key: Uint8Array, name: string) => bytesToBinaryString(key) === name;
  return new Proxy(inner, {
    get(target, property, receiver) {
      // Reading the bad key fails, by either read the applier plans with.
      if (property === 'getVersionSizes' || property === 'getVersions') {
        return (table: string, key: Uint8Array) => {
          if (isKey(key, bad)) throw new Error('disk on fire');
          return property === 'getVersions'
            ? target.getVersions(table, key)
            : target.getVersionSizes(table, key);
        };
      }
      // Erasing "worse" fails, as a pair or as a prefix.
      if (property === 'drop') {
        return (...args: Parameters<AbstractTier['drop']>) => {
          const [drops, , , prefixes] = args;
          const keys = [...drops.values(), ...(prefixes?.keys.values() ?? [])].flat();
          if (keys.some((d: { key: Uint8Array }) => isKey(d.key, 'worse')))
            throw new Error('sector gone');
          target.drop(...args);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

it('flush waits for room in a full mailbox without polling: the drain lets it in', async () => {
  const clock = new MockClock();
  const store = MultiStore.open({
    clock,
    dropWorker: { batchSize: 1000, flushIntervalMs: 1e9, mailboxCapacity: 1 },
  });
  const realSetTimeout = globalThis.setTimeout;
  let timeouts = 0;
  try {
    twoVersions(store, ['a', 'b', 'c']);
    // The first commit's message fills the mailbox; the others need not send one.
    for (const [i, key] of ['a', 'b', 'c'].entries()) {
      store.commit([{ type: 'drop', key, keepLastVersions: 1 }], 3 + i);
    }
    assert.equal(store.dropWorkerStats().backpressure, 0, 'nothing applied by a sender');
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      timeouts++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    const flushed = store.flush();
    let settled = false;
    void flushed.then(() => {
      settled = true;
    });
    await Promise.resolve();
    assert.equal(settled, false, 'flush waits while the mailbox is full');
    await flushed;
    assert.equal(timeouts, 0, 'nothing polled while waiting');
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(counts(store, ['a', 'b', 'c']), [1, 1, 1]);
  } finally {
    globalThis.setTimeout = realSetTimeout;
    await store.close();
  }
});

it('a memory tier, never opened again, is given no log records; a persistent tier gets one per commit', async () => {
  for (const tier of [new MemoryTier(), new BruteForceTier()]) {
    const store = MultiStore.fromTier(tier, {
      clock: new MockClock(),
      dropWorker: { batchSize: 1000, flushIntervalMs: 1e9 },
      tables: [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }],
    });
    try {
      for (let version = 1; version <= 3; version++) {
        store.commit([{ type: 'set', key: 's:a', value: `v${version}` }], version);
      }
      // The requests wait for the worker; only a persistent tier holds them.
      assert.equal(tier.readLog().length, tier.persistent ? 3 : 0, tier.kind);
      await store.flush();
      assert.deepEqual(tier.readLog(), [], tier.kind);
      assert.equal(store.versions('s:a').length, 1, tier.kind);
      assert.equal(store.dropWorkerStats().entriesDropped, 2, tier.kind);
    } finally {
      await store.close();
    }
  }
  assert.equal(new MemoryTier().persistent, false);
});
