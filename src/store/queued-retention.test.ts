/**
 * Retention requests waiting in the drop queue: a key written again while
 * its request waits is applied once, with the same outcome, statistics and
 * request log as applying every request in commit order (pending-drops.ts).
 * (Without an open snapshot, the built-in tiers trim retention tables in
 * each commit's own step instead: retention.test.ts.)
 */

import assert from 'node:assert/strict';
import { afterEach, it } from 'node:test';
import { bytesToBinaryString } from '../common/bytes.js';
import type { StorageStatsRecorded } from '../event/events.js';
import { MockClock } from '../runtime/clock.js';
import { recordSpans } from '../test-support/span-recorder.js';
import { forEachStoreSetup, turns } from '../test-support/store-setups.js';
import { BruteForceTier } from '../test-support/tier-model.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'r:', retention: { keepLastVersions: 3 } },
];
const WAITING = { batchSize: 1000, flushIntervalMs: 1e9 };

// The drop batches' spans say how many requests each flush applied.
const exporter = recordSpans();

/** Requests the drop batches applied since the last call. */
function requestsApplied(): number {
  const batches = exporter.getFinishedSpans().filter((span) => span.name === 'drop.process_batch');
  exporter.reset();
  return batches.reduce((sum, span) => sum + Number(span.attributes.num_requests), 0);
}

const dropsOf = (events: readonly StorageStatsRecorded[]) =>
  events
    .flatMap((event) => event.drops)
    .map((d) => `${bytesToBinaryString(d.key)}@${d.version}:${d.category}:${d.valueBytes}`)
    .sort();

/** A tier counting the keys the drop worker plans (one `getVersionSizes` per key and flush). */
function countingPlans(tier: AbstractTier): { tier: AbstractTier; plans: string[] } {
  const plans: string[] = [];
  const proxy = new Proxy(tier, {
    get(target, property, receiver) {
      // A key's plan starts with one of these reads (getVersions on a tier that erases prefixes).
      if (property === 'getVersionSizes' || property === 'getVersions') {
        return (table: string, key: Uint8Array) => {
          plans.push(bytesToBinaryString(key));
          return property === 'getVersions'
            ? target.getVersions(table, key)
            : target.getVersionSizes(table, key);
        };
      }
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { tier: proxy, plans };
}

/** Readers kept reachable (a collected transaction releases its snapshot). */
const held: unknown[] = [];

forEachStoreSetup((setup) => {
  let store: MultiStore;
  afterEach(() => store.close());

  /**
   * A store whose retention writes wait in the queue: a reader at version 0
   * (it reads nothing these tests erase, so it holds no drop back) keeps
   * every commit from trimming in its own step (store-writer.ts).
   */
  const openQueuing = (options: Parameters<typeof setup.open>[0]): MultiStore => {
    const opened = setup.open(options);
    held.push(opened.begin({ asOf: 0, readOnly: true })); // reachable: a collected one ends
    return opened;
  };

  it('a key written many times while its retention requests wait ends with exact statistics', async () => {
    store = openQueuing({ clock: new MockClock(), tables: TABLES, dropWorker: WAITING });
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => events.push(event));
    requestsApplied();
    for (let v = 1; v <= 10; v++) {
      store.commit(
        [
          { type: 'set', key: 's:a', value: 'x'.repeat(v) },
          { type: 'set', key: 'r:b', value: 'y'.repeat(v) },
        ],
        v,
      );
    }
    await store.flush();
    assert.equal(requestsApplied(), 2, 'one request per key: the later ones replaced the earlier');
    assert.deepEqual(
      store.versions('s:a').map((e) => e.version),
      [10],
    );
    assert.deepEqual(
      store.versions('r:b').map((e) => e.version),
      [10, 9, 8],
    );
    const expected = [
      ...Array.from({ length: 9 }, (_, i) => `s:a@${i + 1}:historical:${i + 1}`),
      ...Array.from({ length: 7 }, (_, i) => `r:b@${i + 1}:historical:${i + 1}`),
    ].sort();
    assert.deepEqual(dropsOf(events), expected);
    const { single, recent } = store.stats().tables;
    assert.deepEqual(
      [single?.currentCount, single?.historicalCount, single?.currentValueBytes],
      [1, 0, 10],
    );
    assert.deepEqual(
      [recent?.currentCount, recent?.historicalCount, recent?.historicalValueBytes],
      [1, 2, 17],
    );
    const worker = store.dropWorkerStats();
    assert.deepEqual([worker.requests, worker.entriesDropped, worker.failures], [20, 16, 0]);
  });

  it('an explicit drop queued between two retention requests of its key is applied between them', async () => {
    store = openQueuing({ clock: new MockClock(), tables: TABLES, dropWorker: WAITING });
    for (let v = 1; v <= 4; v++) store.commit([{ type: 'set', key: 'r:a', value: `${v}` }], v);
    await store.flush();
    store.commit([{ type: 'set', key: 'r:a', value: '5' }], 5);
    // Not a retention request (upToVersion): a later one must not replace it.
    store.commit([{ type: 'drop', key: 'r:a', upToVersion: 5 }], 6);
    store.commit([{ type: 'set', key: 'r:a', value: '7' }], 7);
    await store.flush();
    assert.deepEqual(
      store.versions('r:a').map((e) => e.version),
      [7, 5],
    );
  });

  it('what an open snapshot reads waits, and the queued requests of its key then finish the job', async () => {
    store = openQueuing({ clock: new MockClock(), tables: TABLES, dropWorker: WAITING });
    store.commit([{ type: 'set', key: 's:a', value: '1' }], 1);
    store.commit([{ type: 'set', key: 's:a', value: '2' }], 2);
    const tx = store.begin();
    assert.equal(tx.get('s:a')?.version, 2);
    for (let v = 3; v <= 6; v++) store.commit([{ type: 'set', key: 's:a', value: `${v}` }], v);
    await store.flush();
    assert.deepEqual(
      store.versions('s:a').map((e) => e.version),
      [6, 5, 4, 3, 2],
      'version 2 stays while the snapshot reads it, and retention erases nothing above it',
    );
    assert.equal(tx.get('s:a')?.version, 2);
    tx.rollback();
    await turns();
    await store.flush();
    assert.deepEqual(
      store.versions('s:a').map((e) => e.version),
      [6],
    );
    assert.equal(store.stats().tables.single?.historicalCount, 0);
    assert.equal(store.dropWorkerStats().parked, 0);
  });

  it("a write into history queued behind its key's request leaves the flush event at the highest commit version", async () => {
    store = openQueuing({ clock: new MockClock(), tables: TABLES, dropWorker: WAITING });
    store.commit([{ type: 'set', key: 's:a', value: '10' }], 10);
    await store.flush();
    const events: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => {
      if (event.drops.length > 0) events.push(event);
    });
    store.commit([{ type: 'set', key: 's:a', value: '12' }], 12);
    // Back-filled below the latest version: its request has the same ceiling (12), a lower commit.
    store.commit([{ type: 'set', key: 's:a', value: '11' }], 11);
    await store.flush();
    assert.deepEqual(dropsOf(events), ['s:a@10:historical:2', 's:a@11:historical:2']);
    assert.deepEqual(
      events.map((event) => event.version),
      [12],
      'one flush, of the requests of commits 12 and 11: the event carries 12',
    );
    assert.deepEqual(
      store.versions('s:a').map((e) => e.version),
      [12],
    );
  });
});

it('on a persistent tier, the records of replaced requests leave the log with the request that replaced them', async () => {
  for (const actorMode of ['event-loop', 'inline'] as const) {
    const counted = countingPlans(new BruteForceTier());
    const store = MultiStore.fromTier(counted.tier, {
      clock: new MockClock(),
      actorMode,
      tables: TABLES,
      dropWorker: WAITING,
    });
    try {
      requestsApplied();
      for (let v = 1; v <= 30; v++) {
        const key = v % 3 === 0 ? 's:b' : 's:a';
        store.commit([{ type: 'set', key, value: `${v}` }], v);
      }
      assert.equal(counted.tier.readLog().length, 30, `${actorMode}: a record per commit`);
      await store.flush();
      assert.equal(requestsApplied(), 2, actorMode);
      assert.deepEqual(counted.tier.readLog(), [], `${actorMode}: every record settled`);
      assert.deepEqual(counted.plans.sort(), ['s:a', 's:b'], actorMode);
      assert.deepEqual([store.versions('s:a').length, store.versions('s:b').length], [1, 1]);
      assert.equal(store.dropWorkerStats().entriesDropped, 28);
    } finally {
      await store.close();
    }
  }
});
