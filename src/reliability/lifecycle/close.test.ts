/**
 * Closing a store: every method refuses afterwards, closing again (even
 * concurrently) is harmless, and close first drains the drop worker: the
 * pending drops are applied and their statistics event delivered before the
 * close resolves. On a SQLite file, reopening the raw tier shows the drops
 * really reached the disk (not merely the recovery of the next open), and
 * left nothing to recover.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { utf8 } from '../../common/bytes.js';
import { isStoreError } from '../../common/errors.js';
import type { StorageStatsRecorded } from '../../event/events.js';
import { MockClock } from '../../runtime/clock.js';
import { MultiStore } from '../../store/multistore.js';
import { forEachStoreSetup, STORE_SETUPS, tempDir } from '../../test-support/store-setups.js';
import { openTier } from '../../tier/factory.js';

const closedMethods: [string, (store: MultiStore) => unknown][] = [
  ['get', (s) => s.get('a')],
  ['contains', (s) => s.contains('a')],
  ['range', (s) => s.range()],
  ['versions', (s) => s.versions('a')],
  ['commit', (s) => s.commit([{ type: 'set', key: 'a', value: 'b' }], 9)],
  ['stats', (s) => s.stats()],
  ['dropWorkerStats', (s) => s.dropWorkerStats()],
  ['latestVersion', (s) => s.latestVersion],
  ['tierKind', (s) => s.tierKind],
  ['events.on', (s) => s.events.on('storage-stats', () => undefined)],
];

function isClosed(error: unknown): boolean {
  return isStoreError(error, 'STORE_CLOSED');
}

/** Options that keep every drop pending until something flushes: big batches, a frozen clock. */
const HOLD_DROPS = {
  tables: [{ name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } }],
  dropWorker: { batchSize: 10_000, flushIntervalMs: 1_000 },
} as const;

/** Readers kept reachable (a collected transaction releases its snapshot). */
const held: unknown[] = [];

/**
 * 50 commits over 5 keys of a keep-1 table (10 versions each) and an
 * explicit drop. A reader at version 0, open until close, keeps the commits
 * from trimming in their own step (it reads nothing they erase, so it holds
 * no drop back): their retention requests wait in the queue.
 */
function fillPending(store: MultiStore): void {
  held.push(store.begin({ asOf: 0, readOnly: true }));
  for (let v = 1; v <= 50; v++)
    store.commit([{ type: 'set', key: `s:${v % 5}`, value: `value ${v}` }], v);
  store.commit([{ type: 'set', key: 'x', value: '1' }], 51);
  store.commit([{ type: 'set', key: 'x', value: '2' }], 52);
  store.commit([{ type: 'drop', key: 'x', upToVersion: 52 }], 53);
}

/** Everything {@link fillPending} leaves to drop: 9 versions of 5 keys, and x@51. */
const EXPECTED_DROPS = 5 * 9 + 1;

forEachStoreSetup((setup) => {
  it('throws STORE_CLOSED from every method after close (flush rejects with it)', async () => {
    const store = setup.open();
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    await store.close();
    assert.equal(store.closed, true);
    for (const [name, call] of closedMethods) assert.throws(() => call(store), isClosed, name);
    await assert.rejects(store.flush(), isClosed, 'flush');
  });

  it('refuses a subscription after close, even through an events object taken before it', async () => {
    const store = setup.open();
    const events = store.events;
    await store.close();
    assert.throws(() => events.on('storage-stats', () => undefined), isClosed);
  });

  it('fails a range iterator taken before close and read after it with STORE_CLOSED', async () => {
    const store = setup.open();
    for (let v = 1; v <= 6; v++) store.commit([{ type: 'set', key: `k${v}`, value: 'v' }], v);
    const entries = store.range(undefined, { pageSize: 2 });
    assert.equal(entries.next().done, false);
    await store.close();
    assert.throws(() => [...entries], isClosed);
  });

  it('closes twice, and concurrently, harmlessly; a flush racing the close resolves', async () => {
    const store = setup.open(HOLD_DROPS);
    fillPending(store);
    const flushed = store.flush();
    const [first, second] = [store.close(), store.close()];
    assert.equal(store.closed, true, 'closed as soon as close is called');
    await Promise.all([first, second, flushed]);
    await store.close();
    await Promise.all([store.close(), store.close()]);
    assert.throws(() => store.get('s:1'), isClosed);
  });

  it('drains the drop worker before close resolves: drops applied, their event delivered', async () => {
    const store = setup.open({ ...HOLD_DROPS, clock: new MockClock() });
    const dropped: StorageStatsRecorded[] = [];
    store.events.on('storage-stats', (event) => {
      if (event.drops.length > 0) dropped.push(event);
    });
    fillPending(store);
    assert.equal(store.versions('s:1').length, 10, 'nothing was dropped before close');
    assert.equal(store.dropWorkerStats().entriesDropped, 0);
    await store.close();
    const total = dropped.reduce((n, event) => n + event.drops.length, 0);
    assert.equal(total, EXPECTED_DROPS, 'every pending drop was applied and reported');
    assert.ok(dropped.every((event) => event.version <= 53));
  });

  it('applies a drop submitted in the same turn as close', async () => {
    const store = setup.open({ ...HOLD_DROPS, clock: new MockClock() });
    let reported = 0;
    store.events.on('storage-stats', (event) => {
      reported += event.drops.length;
    });
    store.commit([{ type: 'set', key: 's:1', value: 'a' }], 1);
    store.commit([{ type: 'set', key: 's:1', value: 'b' }], 2);
    const closing = store.close();
    await closing;
    assert.equal(reported, 1);
  });
});

describe('close drains the drop worker to a SQLite file', () => {
  let dir: ReturnType<typeof tempDir>;
  before(() => {
    dir = tempDir('multistore-close-');
  });
  after(() => dir.cleanup());

  for (const { actorMode } of STORE_SETUPS.filter((s) => s.tier === 'sqlite')) {
    it(`${actorMode} mode: the file holds no dropped version after close`, async () => {
      const path = join(dir.path, `${actorMode}.db`);
      const store = MultiStore.open({ path, actorMode, clock: new MockClock(), ...HOLD_DROPS });
      fillPending(store);
      assert.equal(store.versions('s:1').length, 10);
      await store.close();
      // The raw tier: no recovery at open, no drop worker; only what close wrote.
      const tier = openTier({ kind: 'sqlite', path });
      try {
        for (let k = 0; k < 5; k++)
          assert.equal(tier.getAllVersions('single', utf8(`s:${k}`)).length, 1, `s:${k}`);
        assert.deepEqual(
          tier.getAllVersions('multi', utf8('x')).map((v) => v.version),
          [52],
        );
        assert.deepEqual(tier.readLog(), [], 'a clean close leaves no request to recover');
      } finally {
        tier.close();
      }
      const again = MultiStore.open({ path, actorMode, tables: HOLD_DROPS.tables });
      try {
        await again.flush();
        assert.equal(again.latestVersion, 53);
        assert.equal(again.stats().tables.single?.currentCount, 5);
        assert.equal(again.stats().tables.single?.historicalCount, 0);
        assert.equal(
          again.dropWorkerStats().requests,
          0,
          'the open found nothing to recover or sweep',
        );
      } finally {
        await again.close();
      }
    });
  }
});
