/**
 * History never lies: reads of erased history are refused (VERSION_TOO_OLD,
 * with the oldest readable version), open snapshots keep reading what they
 * read while drops and retention wait for them (parked, released when the
 * snapshot ends, by commit, rollback, an exhausted iterator, maxAgeMs on a
 * MockClock, or close), and a range reads one state.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { isStoreError, VersionTooOldError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { reopenable } from '../test-support/reopen.js';
import { forEachStoreSetup, text, turns } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const keys = (entries: Iterable<{ key: Uint8Array }>) =>
  [...entries].map((e) => text(e.key)).join(' ');
const versions = (store: MultiStore, key: string) => store.versions(key).map((v) => v.version);
const tooOld = (readableFrom: number) => (error: unknown) =>
  error instanceof VersionTooOldError && error.readableFrom === readableFrom;
const TABLES = [{ name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } }];

forEachStoreSetup((setup) => {
  let store: MultiStore;
  let clock: MockClock;
  beforeEach(() => {
    clock = new MockClock();
    store = setup.open({ clock, tables: TABLES });
  });
  afterEach(() => store.close());

  it('a read whose answer a drop erased fails with VERSION_TOO_OLD; older and newer reads still answer', async () => {
    store.commit([set('doc', 'v1')], 1);
    store.commit([set('doc', 'v2')], 5);
    store.commit([{ type: 'drop', key: 'doc', upToVersion: 5 }], 6);
    await store.flush();
    assert.equal(store.get('doc', 0), undefined, 'before its first version the key did not exist');
    assert.throws(() => store.get('doc', 3), tooOld(5));
    assert.throws(() => store.contains('doc', 1), tooOld(5));
    assert.throws(() => [...store.range(undefined, { version: 4 })], tooOld(5));
    assert.equal(text(store.get('doc', 5)?.value), 'v2');
    assert.equal(text(store.get('doc')?.value), 'v2');
    const tx = store.begin({ asOf: 3, readOnly: true });
    assert.throws(() => tx.get('doc'), tooOld(5));
    assert.throws(() => [...tx.range()], tooOld(5));
    tx.rollback();
  });

  it('a key that never lost history answers at every version, in the same table', async () => {
    store.commit([set('a', '1'), set('b', '1')], 1);
    store.commit([set('a', '2')], 2);
    store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }], 3);
    await store.flush();
    assert.equal(text(store.get('b', 1)?.value), '1');
    assert.throws(() => store.get('a', 1), tooOld(2));
    assert.throws(() => [...store.range({ start: 'a' }, { version: 1 })], tooOld(2));
    assert.equal(keys(store.range({ start: 'b' }, { version: 1 })), 'b');
  });

  it('a full erasure deletes: absent from its version on, refused below it, even in a range', async () => {
    store.commit([set('a', '1'), set('gone', '1'), set('z', '1')], 1);
    store.commit([set('gone', '2')], 2);
    store.commit([{ type: 'drop', key: 'gone' }], 4);
    await store.flush();
    assert.deepEqual(versions(store, 'gone'), []);
    assert.equal(store.get('gone', 4), undefined);
    assert.throws(() => store.get('gone', 3), tooOld(4));
    assert.throws(() => keys(store.range(undefined, { version: 2 })), tooOld(4));
    assert.throws(() => keys(store.range(undefined, { version: 2, reverse: true })), tooOld(4));
    assert.equal(keys(store.range(undefined, { version: 4 })), 'a z');
  });

  it('a keep-1 table reads only at each key latest version', async () => {
    for (let v = 1; v <= 4; v++) store.commit([set('s:k', `v${v}`)], v);
    await store.flush();
    assert.deepEqual(versions(store, 's:k'), [4]);
    assert.throws(() => store.get('s:k', 3), tooOld(4));
    assert.equal(text(store.get('s:k', 4)?.value), 'v4');
  });

  it('a write where history was erased is refused, and writes nothing', async () => {
    store.commit([set('a', '1')], 1);
    store.commit([set('a', '5')], 5);
    store.commit([{ type: 'drop', key: 'a', upToVersion: 5 }], 6);
    await store.flush();
    assert.throws(() => store.commit([set('other', 'x'), set('a', '3')], 3), tooOld(5));
    assert.throws(
      () => store.commit([set('a', '3')], 3),
      /key "a" cannot be written at version 3: its history there was erased/,
      'the message says what was refused: a write, not a read',
    );
    assert.equal(store.get('other'), undefined);
    assert.throws(() => store.commit([set('a', '0')], 0), tooOld(5), 'below them too');
    assert.equal(store.get('a', 0), undefined);
    assert.equal(store.commit([set('a', '6')], 5), 5, 'from the oldest readable version on');
  });

  it('an open transaction keeps its snapshot: the drop erases only what it does not read, the rest waits', async () => {
    store.commit([set('doc', 'v1')], 1);
    store.commit([set('doc', 'v2')], 3);
    const reader = store.begin({ asOf: 2, readOnly: true });
    store.commit([set('doc', 'v3')], 5);
    store.commit([{ type: 'drop', key: 'doc', upToVersion: 5 }], 6);
    await store.flush();
    assert.equal(text(reader.get('doc')?.value), 'v1', 'the snapshot at 2 still reads v1');
    assert.deepEqual(versions(store, 'doc'), [5, 3, 1], 'v1 is needed: nothing above it may go');
    assert.equal(store.dropWorkerStats().parked, 1);
    assert.equal(store.stats().snapshots.watermark, 2);
    reader.rollback();
    await store.flush();
    assert.deepEqual(versions(store, 'doc'), [5]);
    assert.equal(store.dropWorkerStats().parked, 0);
    assert.throws(() => store.get('doc', 4), tooOld(5), 'after the release the history is erased');
  });

  it('the erasure stops below the snapshot: older versions go at once', async () => {
    for (const v of [1, 2, 3, 4]) store.commit([set('k', `v${v}`)], v);
    const tx = store.begin({ asOf: 3, readOnly: true });
    store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 5);
    await store.flush();
    assert.deepEqual(versions(store, 'k'), [4, 3], 'v1 and v2 erased, v3 kept for the snapshot');
    assert.throws(() => store.get('k', 2), tooOld(3));
    assert.equal(text(tx.get('k')?.value), 'v3');
    tx.rollback();
    await store.flush();
    assert.deepEqual(versions(store, 'k'), [4]);
  });

  it('retention waits for snapshots too, and a parked key keeps commit order', async () => {
    store.commit([set('s:k', 'v1')], 1);
    const tx = store.begin({ readOnly: true });
    store.commit([set('s:k', 'v2')], 2);
    store.commit([set('s:k', 'v3')], 3);
    store.commit([{ type: 'drop', key: 's:k' }], 4);
    await store.flush();
    assert.equal(text(tx.get('s:k')?.value), 'v1');
    assert.deepEqual(versions(store, 's:k'), [3, 2, 1]);
    assert.ok(store.dropWorkerStats().parked >= 2, 'the later drop waits behind the retention');
    tx.commit();
    await store.flush();
    assert.deepEqual(versions(store, 's:k'), [], 'applied in commit order: keep 1, then drop all');
    assert.equal(store.get('s:k', 4), undefined);
    assert.throws(() => store.get('s:k', 3), tooOld(4));
  });

  it('flush() does not wait for parked requests; maxAgeMs releases them on the clock alone', async () => {
    store.commit([set('k', 'v1')], 1);
    store.commit([set('k', 'v2')], 2);
    const forgotten = store.begin({ asOf: 1, maxAgeMs: 100 });
    store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 3);
    await store.flush();
    assert.deepEqual(versions(store, 'k'), [2, 1]);
    clock.advanceMillis(101);
    await store.flush();
    assert.deepEqual(versions(store, 'k'), [2], 'the expired transaction no longer holds history');
    assert.throws(
      () => forgotten.get('k'),
      (e: unknown) => isStoreError(e, 'TRANSACTION_TOO_OLD'),
    );
  });

  it('nothing is scheduled for parked drops but the deadline of a maxAgeMs that holds them', async () => {
    store.commit([set('k', 'v1')], 1);
    store.commit([set('k', 'v2')], 2);
    const open = store.begin({ asOf: 1 });
    store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 3);
    await store.flush();
    assert.equal(store.dropWorkerStats().parked, 1);
    assert.equal(
      clock.pendingTimers,
      0,
      'no timer, no polling: the end of the snapshot wakes the worker',
    );
    open.rollback();
    await turns(); // no flush: the end of the snapshot wakes the worker
    assert.equal(store.dropWorkerStats().parked, 0);
    assert.deepEqual(versions(store, 'k'), [2]);
    store.commit([set('k', 'v4')], 4);
    const aging = store.begin({ asOf: 2, maxAgeMs: 50 });
    store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 5);
    await store.flush();
    assert.equal(store.dropWorkerStats().parked, 1);
    assert.equal(clock.pendingTimers, 1, 'one timer, at the deadline of the maxAgeMs');
    clock.advanceMillis(51);
    await turns(); // no flush: the timer alone releases the expired snapshot and applies the drop
    assert.equal(store.dropWorkerStats().parked, 0);
    assert.deepEqual(versions(store, 'k'), [4]);
    assert.equal(clock.pendingTimers, 0);
    assert.throws(
      () => aging.get('k'),
      (e: unknown) => isStoreError(e, 'TRANSACTION_TOO_OLD'),
    );
  });

  it('a range reads one state: commits below it are refused and drops wait while it iterates', async () => {
    store.commit([set('a', 'a'), set('c', 'c'), set('e', 'e')], 5);
    const entries = store.range(undefined, { pageSize: 1 });
    assert.equal(text(entries.next().value?.key), 'a');
    assert.throws(
      () => store.commit([set('d', 'd')], 3),
      (e: unknown) => isStoreError(e, 'SNAPSHOT_VIOLATION'),
    );
    store.commit([set('d', 'd'), { type: 'drop', key: 'e' }]);
    await store.flush();
    assert.deepEqual(
      [...entries].map((e) => text(e.key)),
      ['c', 'e'],
    );
    await store.flush();
    assert.deepEqual(versions(store, 'e'), []);
  });
});

forEachStoreSetup((setup) => {
  it('erased history stays refused after reopening', async () => {
    const place = reopenable(setup.tier, setup.actorMode);
    try {
      const first = place.open();
      first.commit([set('k', 'v1')], 1);
      first.commit([set('k', 'v2')], 2);
      const tx = first.begin({ asOf: 1 });
      first.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 3);
      await first.flush();
      assert.deepEqual(versions(first, 'k'), [2, 1]);
      assert.equal(first.dropWorkerStats().parked, 1);
      await first.close(); // rolls the transaction back: the parked drop is applied
      assert.equal(tx.state, 'rolled back');
      const again = place.open();
      try {
        assert.deepEqual(versions(again, 'k'), [2]);
        assert.throws(() => again.get('k', 1), tooOld(2));
        assert.throws(() => again.commit([set('k', 'x')], 1), tooOld(2));
      } finally {
        await again.close();
      }
    } finally {
      place.dispose();
    }
  });
});
