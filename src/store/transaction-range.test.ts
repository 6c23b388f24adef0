/**
 * A transaction's range iterator reads one state, the transaction's snapshot
 * when the range began, page after page: moving the transaction's reads
 * (`tx.asOf`) meanwhile, commits reaching a future read version, drops and
 * explicit commits change nothing it yields, and it stops holding history
 * once it ends or its transaction does.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (error: unknown) => isStoreError(error) && error.code === code);
const pairs = (entries: Iterable<{ key: Uint8Array; value: Uint8Array }>) =>
  [...entries].map((e) => `${text(e.key)}=${text(e.value)}`);

forEachStoreSetup((setup) => {
  let store: MultiStore;
  beforeEach(() => {
    store = setup.open();
  });
  afterEach(() => store.close());

  describe("a transaction's range iterator reads one state", () => {
    it('moving the reads with asOf does not let a drop erase what a running range reads', async () => {
      store.commit([set('a', 'a1'), set('b', 'b1'), set('c', 'c1')]); // 1
      store.commit([set('a', 'a2'), set('b', 'b2'), set('c', 'c2')]); // 2
      const tx = store.begin({ asOf: 1, readOnly: true });
      const entries = tx.range(undefined, { pageSize: 1 });
      const first = entries.next().value;
      tx.asOf(2); // the transaction now reads at 2; the range still reads at 1
      store.commit([
        { type: 'drop', key: 'b', upToVersion: 2 },
        { type: 'drop', key: 'c', upToVersion: 2 },
      ]);
      await store.flush();
      assert.deepEqual(
        [...pairs([first as never]), ...pairs(entries)],
        ['a=a1', 'b=b1', 'c=c1'],
        'the state at 1, whole',
      );
      await store.flush();
      assert.deepEqual(
        store.versions('c').map((v) => v.version),
        [2],
        'the drop goes ahead once the range is done',
      );
      tx.rollback();
    });

    it('an explicit commit at or below a running range version is SNAPSHOT_VIOLATION, even after asOf moved below it', () => {
      store.commit([set('a', 'a5'), set('c', 'c5')], 5);
      store.commit([set('z', 'z10')], 10);
      const tx = store.begin({ asOf: 5, readOnly: true });
      const entries = tx.range(undefined, { pageSize: 1 });
      assert.equal(text(entries.next().value?.key), 'a');
      tx.asOf(2);
      throwsCode(() => store.commit([set('b', 'b4')], 4), 'SNAPSHOT_VIOLATION');
      assert.deepEqual(pairs(entries), ['c=c5']);
      assert.equal(store.commit([set('b', 'b4')], 4), 4, 'lands once the range is done');
      tx.rollback();
    });

    it('a range of a transaction reading a future version reads the latest state when it began', () => {
      store.commit([set('a', 'a1'), set('c', 'c1'), set('e', 'e1'), set('g', 'g1')]); // 1
      const tx = store.begin({ asOf: 100 });
      const entries = tx.range(undefined, { pageSize: 1 });
      assert.equal(text(entries.next().value?.key), 'a');
      store.commit([set('f', 'f2'), set('e', 'e2'), set('g', 'g2')]); // 2: after the range began
      assert.deepEqual(pairs(entries), ['c=c1', 'e=e1', 'g=g1']);
      assert.deepEqual(
        pairs(tx.range()),
        ['a=a1', 'c=c1', 'e=e2', 'f=f2', 'g=g2'],
        'a new range reads the new state',
      );
      tx.rollback();
    });

    it("a transaction's end releases its running ranges' snapshots at once", () => {
      store.commit([set('a', '1'), set('b', '2')]);
      const tx = store.begin();
      const entries = tx.range(undefined, { pageSize: 1 });
      entries.next();
      tx.asOf(0);
      assert.equal(store.stats().snapshots.open, 2, 'the transaction and its range');
      tx.rollback();
      assert.equal(store.stats().snapshots.open, 0);
      throwsCode(() => entries.next(), 'TRANSACTION_CLOSED');
    });

    it("a transaction's own running range does not block its own explicit commit (a replica's)", () => {
      store.commit([set('a', '1'), set('b', '2')], 5);
      const replica = store.begin();
      const entries = replica.range(undefined, { pageSize: 1 });
      entries.next();
      replica.set('c', '3');
      assert.equal(replica.commit(5), 5, 'at its own read version, as without a range');
      throwsCode(() => entries.next(), 'TRANSACTION_CLOSED');
      assert.equal(store.stats().snapshots.open, 0);
    });

    it('a range ended early (return, or exhausted) releases its snapshot, not the transaction', () => {
      store.commit([set('a', '1'), set('b', '2')]);
      const tx = store.begin();
      const early = tx.range();
      early.return?.();
      const done = tx.range();
      assert.equal(pairs(done).length, 2);
      assert.equal(store.stats().snapshots.open, 1, 'the transaction alone');
      assert.deepEqual(early.next(), { done: true, value: undefined });
      tx.set('c', '3');
      assert.equal(tx.commit(), 2);
    });
  });
});

describe('a running range of a transaction with a maxAgeMs', () => {
  it('stops holding history when its transaction expires, even if never stepped again', async () => {
    const clock = new MockClock();
    const store = MultiStore.open({ clock });
    store.commit([set('a', '1'), set('b', '2')]);
    const tx = store.begin({ maxAgeMs: 10 });
    const entries = tx.range(undefined, { pageSize: 1 });
    entries.next();
    assert.equal(store.stats().snapshots.open, 2);
    clock.advanceMillis(11);
    assert.equal(store.stats().snapshots.open, 0, 'the transaction and its range, both released');
    throwsCode(() => entries.next(), 'TRANSACTION_TOO_OLD');
    const onTime = store.begin({ maxAgeMs: 10 });
    clock.advanceMillis(10); // exactly at its deadline: still usable
    const late = onTime.range();
    assert.equal(late.next().done, false);
    clock.advanceMillis(1);
    assert.equal(store.stats().snapshots.open, 0);
    await store.close();
  });
});
