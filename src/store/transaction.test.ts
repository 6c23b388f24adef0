import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { isStoreError, type StoreError, TransactionConflictError } from '../common/errors.js';
import { MemoryLogger } from '../common/logger.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

const throwsCode = (fn: () => unknown, code: string) =>
  assert.throws(fn, (error: unknown) => isStoreError(error) && error.code === code);
const keys = (entries: Iterable<{ key: Uint8Array }>) => [...entries].map((e) => text(e.key));
const pairs = (entries: Iterable<{ key: Uint8Array; value: Uint8Array }>) =>
  [...entries].map((e) => `${text(e.key)}=${text(e.value)}`).join(' ');
const set = (key: string, value: string) => ({ type: 'set' as const, key, value });

forEachStoreSetup((setup) => {
  let store: MultiStore;
  let clock: MockClock;
  beforeEach(() => {
    clock = new MockClock();
    store = setup.open({ clock });
  });
  afterEach(() => store.close());

  describe('versions chosen by the store', () => {
    it('a commit without a version takes the next one after the highest, explicit ones included', () => {
      assert.equal(store.commit([set('a', '1')]), 1);
      assert.equal(store.commit([set('a', '2')], 10), 10);
      assert.equal(store.commit([set('a', '3')]), 11);
      assert.equal(store.commit([set('b', '1')], 4), 4, 'an explicit commit in history');
      assert.equal(store.commit([set('a', '4')]), 12);
      assert.equal(store.latestVersion, 12);
    });

    it('an empty commit without a version takes none; an explicit empty commit takes its version', () => {
      assert.equal(store.commit([]), undefined);
      assert.equal(store.latestVersion, 0);
      assert.equal(store.commit([], 7), 7);
      assert.equal(store.latestVersion, 7);
      assert.equal(store.commit([set('a', '1')]), 8);
    });
  });

  describe('snapshot isolation', () => {
    it('reads its snapshot plus its own writes; others see nothing until it commits', () => {
      store.commit([set('a', '1'), set('b', '1'), set('d', '1')]);
      const tx = store.begin();
      assert.equal(tx.version, 1);
      store.commit([set('a', '2'), set('c', '2')]);
      assert.equal(text(tx.get('a')?.value), '1', 'a later commit is invisible');
      assert.equal(tx.get('c'), undefined);
      tx.set('b', 'mine');
      tx.remove('d');
      assert.deepEqual(
        [text(tx.get('b')?.value), tx.get('b')?.version, tx.contains('d')],
        ['mine', undefined, false],
      );
      assert.equal(text(store.get('b')?.value), '1', 'uncommitted writes are invisible');
      assert.equal(tx.commit(), 3);
      assert.equal(text(store.get('b')?.value), 'mine');
      assert.equal(store.get('d'), undefined);
      assert.equal(tx.state, 'committed');
    });

    it('ranges lay its own writes over the snapshot in both directions, deletes hiding keys', () => {
      store.commit([set('a', '1'), set('c', '3'), set('d', '4')]);
      const tx = store.begin();
      tx.set('a', '9');
      tx.set('b', '2');
      tx.remove('d');
      tx.set('e', '5');
      store.commit([set('ab', 'later')]);
      assert.equal(pairs(tx.range()), 'a=9 b=2 c=3 e=5');
      assert.equal(pairs(tx.range(undefined, { reverse: true, pageSize: 1 })), 'e=5 c=3 b=2 a=9');
      assert.equal(pairs(tx.range({ start: 'b', end: 'd', endInclusive: true })), 'b=2 c=3');
      const iterator = tx.range({ prefix: 'c' });
      tx.set('cc', 'late');
      assert.equal(pairs(iterator), 'c=3', 'a range shows the writes made before it started');
    });

    it('first committer wins, blind writes included; the loser writes nothing', () => {
      store.commit([set('k', '0')]);
      const first = store.begin();
      const second = store.begin();
      first.set('k', '1');
      second.set('k', '2'); // never read k: a blind write
      second.set('other', 'x');
      assert.equal(first.commit(), 2);
      let error: unknown;
      try {
        second.commit();
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof TransactionConflictError);
      assert.equal(error.code, 'TRANSACTION_CONFLICT');
      assert.equal(error.retryable, true);
      assert.equal(error.reason, 'write');
      assert.equal(error.committedVersion, 2);
      assert.equal(text(error.key), 'k');
      assert.equal(second.state, 'rolled back');
      assert.equal(store.get('other'), undefined, 'nothing of the loser was written');
      assert.equal(store.latestVersion, 2);
    });

    it('plain and explicit commits take part in conflict detection', () => {
      const tx = store.begin();
      tx.set('k', 'tx');
      store.commit([set('k', 'plain')], 5);
      throwsCode(() => tx.commit(), 'TRANSACTION_CONFLICT');
      const again = store.begin();
      again.set('k', 'tx');
      store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }]);
      throwsCode(() => again.commit(), 'TRANSACTION_CONFLICT');
    });

    it('snapshot isolation lets write skew commit; serializable refuses it', () => {
      for (const isolation of ['snapshot', 'serializable'] as const) {
        const doctors = `${isolation}:`;
        store.commit([set(`${doctors}alice`, 'on'), set(`${doctors}bob`, 'on')]);
        const alice = store.begin({ isolation });
        const bob = store.begin({ isolation });
        const onCall = (tx: Transaction) => keys(tx.range({ prefix: doctors })).length;
        assert.equal(onCall(alice), 2);
        assert.equal(onCall(bob), 2);
        alice.set(`${doctors}alice`, 'off');
        bob.set(`${doctors}bob`, 'off');
        alice.commit();
        if (isolation === 'snapshot') {
          assert.equal(typeof bob.commit(), 'number');
        } else {
          throwsCode(() => bob.commit(), 'TRANSACTION_CONFLICT');
        }
      }
    });

    it('serializable refuses a commit whose read key was written, not one that only read', () => {
      store.commit([set('x', '0'), set('y', '0')]);
      const reader = store.begin({ isolation: 'serializable' });
      const writer = store.begin({ isolation: 'serializable' });
      assert.equal(text(reader.get('x')?.value), '0');
      assert.equal(text(writer.get('y')?.value), '0');
      writer.set('y', '1');
      store.commit([set('x', '1')]);
      assert.equal(reader.commit(), undefined, 'a read-only commit never conflicts');
      assert.equal(writer.commit(), 3, 'y was not written by anyone else');
      const skewed = store.begin({ isolation: 'serializable' });
      skewed.get('y');
      skewed.set('z', '1');
      store.commit([set('y', '2')]);
      const error = assert.throws(() => skewed.commit(), TransactionConflictError);
      void error;
    });

    it('a phantom in a range read is a conflict in serializable mode', () => {
      store.commit([set('b:1', 'x')]);
      const tx = store.begin({ isolation: 'serializable' });
      assert.deepEqual(keys(tx.range({ prefix: 'b:' })), ['b:1']);
      tx.set('count', '1');
      store.commit([set('b:2', 'y')]);
      assert.throws(
        () => tx.commit(),
        (error: unknown) => error instanceof TransactionConflictError && error.reason === 'range',
      );
    });
  });

  describe('read-only, empty and ended transactions', () => {
    it('a read-only transaction refuses writes and commits no version', () => {
      store.commit([set('a', '1')]);
      const tx = store.begin({ readOnly: true });
      for (const write of [
        () => tx.set('a', '2'),
        () => tx.remove('a'),
        () => tx.unset('a', '1'),
        () => tx.drop('a'),
      ]) {
        throwsCode(write, 'TRANSACTION_READ_ONLY');
      }
      assert.equal(tx.commit(), undefined);
      assert.equal(store.latestVersion, 1);
    });

    it('an empty read-write commit takes no version and never conflicts', () => {
      store.commit([set('a', '1')]);
      const tx = store.begin({ isolation: 'serializable' });
      tx.get('a');
      store.commit([set('a', '2')]);
      assert.equal(tx.commit(), undefined);
      assert.equal(store.latestVersion, 2);
    });

    it('an ended transaction refuses everything but rollback; using rolls back', () => {
      const tx = store.begin();
      tx.set('a', '1');
      tx.rollback();
      tx.rollback();
      assert.equal(tx.state, 'rolled back');
      throwsCode(() => tx.get('a'), 'TRANSACTION_CLOSED');
      throwsCode(() => tx.commit(), 'TRANSACTION_CLOSED');
      assert.equal(store.get('a'), undefined);
      let kept: Transaction | undefined;
      {
        using scoped = store.begin();
        scoped.set('b', '1');
        kept = scoped;
      }
      assert.equal(kept.state, 'rolled back');
      assert.equal(store.get('b'), undefined);
      assert.equal(store.stats().snapshots.open, 0);
    });

    it('a range of an ended transaction stops with TRANSACTION_CLOSED', () => {
      store.commit([set('a', '1'), set('b', '2')]);
      const tx = store.begin();
      const entries = tx.range(undefined, { pageSize: 1 });
      assert.equal(text(entries.next().value?.key), 'a');
      tx.rollback();
      throwsCode(() => entries.next(), 'TRANSACTION_CLOSED');
    });
  });

  describe('reading as of other versions', () => {
    it('begin({ asOf }) reads that version and judges conflicts from it', () => {
      store.commit([set('a', '1')]);
      store.commit([set('a', '2')]);
      const tx = store.begin({ asOf: 1 });
      assert.deepEqual([tx.version, tx.baseVersion], [1, 1]);
      assert.equal(text(tx.get('a')?.value), '1');
      tx.set('a', '3');
      throwsCode(() => tx.commit(), 'TRANSACTION_CONFLICT');
    });

    it('tx.asOf moves the reads, not the base: commits before begin are no conflict', () => {
      store.commit([set('a', '1')]);
      store.commit([set('a', '10')]);
      const tx = store.begin();
      tx.asOf(1);
      assert.deepEqual([tx.version, tx.baseVersion], [1, 2]);
      assert.equal(text(tx.get('a')?.value), '1');
      tx.asOf(2, { exclusive: true });
      assert.equal(text(tx.get('a')?.value), '1');
      tx.set('a', '100');
      assert.equal(tx.commit(), 3);
    });

    it('asOf(0, { exclusive: true }) reads nothing but its own writes', () => {
      store.commit([set('a', '1')], 0);
      store.commit([set('b', '1')]);
      const tx = store.begin();
      tx.asOf(0);
      assert.equal(text(tx.get('a')?.value), '1', 'version 0 holds data');
      tx.asOf(0, { exclusive: true });
      assert.equal(tx.version, 0);
      assert.equal(tx.get('a'), undefined);
      tx.set('c', 'mine');
      assert.deepEqual(keys(tx.range()), ['c']);
      tx.asOf(1);
      assert.deepEqual(keys(tx.range()), ['a', 'b', 'c']);
    });

    it('a future read version reads like the latest state until commits reach it', () => {
      store.commit([set('a', '1')]);
      const tx = store.begin({ asOf: 100, readOnly: true });
      assert.equal(tx.version, 100);
      assert.equal(tx.get('b'), undefined);
      assert.equal(store.commit([set('b', '2')]), 2, 'automatic commits land');
      assert.equal(text(tx.get('b')?.value), '2');
      throwsCode(() => store.commit([set('c', '3')], 100), 'SNAPSHOT_VIOLATION');
      assert.equal(store.commit([set('c', '3')], 101), 101);
      assert.equal(tx.get('c'), undefined);
    });
  });

  describe('explicit commits and open snapshots', () => {
    it('an explicit commit at or below an open snapshot is SNAPSHOT_VIOLATION, and lands once it ends', () => {
      store.commit([set('a', '1')], 5);
      const tx = store.begin({ readOnly: true });
      throwsCode(() => store.commit([set('a', 'x')], 5), 'SNAPSHOT_VIOLATION');
      throwsCode(() => store.commit([set('a', 'x')], 3), 'SNAPSHOT_VIOLATION');
      assert.equal(store.versions('a').length, 1);
      assert.equal(store.commit([set('a', '6')], 6), 6);
      tx.rollback();
      assert.equal(store.commit([set('a', '3')], 3), 3);
    });

    it("a transaction's own explicit commit (a replica) ignores its own snapshot", () => {
      store.commit([set('a', '1')]);
      const replica = store.begin();
      replica.set('a', 'primary');
      const other = store.begin({ readOnly: true });
      assert.equal(replica.commit(100), 100);
      assert.equal(store.latestVersion, 100);
      other.rollback();
      const blocked = store.begin();
      blocked.set('b', '1');
      const reader = store.begin({ asOf: 200, readOnly: true });
      throwsCode(() => blocked.commit(150), 'SNAPSHOT_VIOLATION');
      assert.equal(blocked.state, 'rolled back');
      reader.rollback();
    });

    it('a range iterator holds its snapshot until it ends', () => {
      store.commit([set('a', '1'), set('c', '3'), set('e', '5')], 5);
      const entries = store.range(undefined, { pageSize: 1 });
      assert.equal(text(entries.next().value?.key), 'a');
      assert.equal(store.stats().snapshots.watermark, 5);
      throwsCode(() => store.commit([set('d', '4')], 3), 'SNAPSHOT_VIOLATION');
      assert.equal(store.commit([set('d', '4')]), 6);
      assert.deepEqual(keys(entries), ['c', 'e']);
      assert.equal(store.stats().snapshots.open, 0);
      assert.equal(store.commit([set('b', '2')], 3), 3);
      const early = store.range();
      early.return?.();
      assert.equal(store.stats().snapshots.open, 0, 'return() before next() releases');
    });
  });

  describe('forgotten transactions', () => {
    it('maxAgeMs: an older transaction fails with TRANSACTION_TOO_OLD and stops holding history', () => {
      store.commit([set('a', '1')]);
      const tx = store.begin({ maxAgeMs: 1000 });
      tx.set('a', '2');
      clock.advanceMillis(1000);
      assert.equal(text(tx.get('a')?.value), '2', 'not older than 1000 ms yet');
      clock.advanceMillis(1);
      assert.equal(store.stats().snapshots.open, 0);
      throwsCode(() => tx.get('a'), 'TRANSACTION_TOO_OLD');
      throwsCode(() => tx.commit(), 'TRANSACTION_TOO_OLD');
      assert.equal(tx.state, 'released');
      assert.equal(text(store.get('a')?.value), '1');
    });

    it('a transaction older than its maxAgeMs says released before anything noticed', () => {
      const tx = store.begin({ maxAgeMs: 10 });
      clock.advanceMillis(11); // nothing is parked: no timer fires, the registry has not looked
      assert.equal(tx.state, 'released');
      throwsCode(() => tx.get('a'), 'TRANSACTION_TOO_OLD');
      assert.equal(tx.state, 'released');
    });

    it('stats() reports the watermark, the open snapshots and the oldest age', () => {
      assert.deepEqual(
        { ...store.stats().snapshots },
        {
          watermark: undefined,
          open: 0,
          oldestAgeMs: undefined,
        },
      );
      store.commit([set('a', '1')], 3);
      const old = store.begin();
      clock.advanceMillis(40);
      store.commit([set('a', '2')], 8);
      const range = store.range();
      assert.deepEqual({ ...store.stats().snapshots }, { watermark: 3, open: 2, oldestAgeMs: 40 });
      old.rollback();
      range.return?.();
      assert.equal(store.stats().snapshots.watermark, undefined);
    });

    it('close() rolls back open transactions', async () => {
      const tx = store.begin();
      tx.set('a', '1');
      await store.close();
      assert.equal(tx.state, 'rolled back');
      throwsCode(() => tx.get('a'), 'STORE_CLOSED');
      tx.rollback();
    });
  });

  describe('store.transaction', () => {
    it('commits and returns what the function returned', () => {
      const result = store.transaction((tx) => {
        tx.set('a', '1');
        return 'done';
      });
      assert.equal(result, 'done');
      assert.equal(text(store.get('a')?.value), '1');
    });

    it('retries on a conflict with a fresh transaction, then gives up', () => {
      store.commit([set('counter', '0')]);
      let attempts = 0;
      const total = store.transaction((tx) => {
        attempts++;
        const n = Number(text(tx.get('counter')?.value));
        if (attempts === 1) store.commit([set('counter', '10')]); // a concurrent writer
        tx.set('counter', String(n + 1));
        return n + 1;
      });
      assert.deepEqual([attempts, total, text(store.get('counter')?.value)], [2, 11, '11']);
      attempts = 0;
      throwsCode(
        () =>
          store.transaction(
            (tx) => {
              attempts++;
              tx.set('counter', 'x');
              store.commit([set('counter', 'y')]);
            },
            { retries: 1 },
          ),
        'TRANSACTION_CONFLICT',
      );
      assert.equal(attempts, 2);
    });

    it('rolls back when the function throws, and passes the error on', async () => {
      assert.throws(
        () =>
          store.transaction((tx) => {
            tx.set('a', '1');
            throw new Error('boom');
          }),
        /boom/,
      );
      await assert.rejects(
        store.transaction(async (tx) => {
          tx.set('a', '1');
          throw new Error('async boom');
        }),
        /async boom/,
      );
      assert.equal(store.get('a'), undefined);
      assert.equal(store.stats().snapshots.open, 0);
    });

    it('awaits an async function, then commits', async () => {
      const value = await store.transaction(async (tx) => {
        await Promise.resolve();
        tx.set('a', 'async');
        return 7;
      });
      assert.equal(value, 7);
      assert.equal(text(store.get('a')?.value), 'async');
    });
  });

  describe('bad input', () => {
    it('refuses malformed options and arguments with coded errors', () => {
      throwsCode(() => store.begin({ isolation: 'strict' as 'snapshot' }), 'INVALID_OPTIONS');
      throwsCode(() => store.begin({ readOnly: 1 as unknown as boolean }), 'INVALID_OPTIONS');
      throwsCode(() => store.begin({ maxAgeMs: 0 }), 'INVALID_OPTIONS');
      throwsCode(() => store.begin({ asof: 1 } as never), 'INVALID_OPTIONS');
      throwsCode(() => store.begin({ asOf: -1 }), 'INVALID_VERSION');
      throwsCode(() => store.transaction(() => 1, { retries: -1 }), 'INVALID_OPTIONS');
      throwsCode(() => store.transaction('fn' as never), 'INVALID_ARGUMENT');
      throwsCode(() => store.commit([], -1), 'INVALID_VERSION');
      const tx = store.begin();
      throwsCode(() => tx.set(1 as never, 'v'), 'INVALID_KEY');
      throwsCode(() => tx.set('k', 2 as never), 'INVALID_VALUE');
      throwsCode(() => tx.drop('k', { keepLast: 1 } as never), 'INVALID_ARGUMENT');
      throwsCode(() => tx.range(undefined, { version: 1 } as never), 'INVALID_ARGUMENT');
      throwsCode(() => tx.asOf(1.5), 'INVALID_VERSION');
      tx.rollback();
    });
  });
});

describe('transactions checked against the stored history', () => {
  it('a transaction begun as of a version whose commits were forgotten still conflicts', () => {
    const store = MultiStore.open();
    store.commit([set('a', '1')]);
    store.commit([set('a', '2')]);
    store.commit([set('b', '3')]); // no transaction open: the tracker keeps none of these
    const stale = store.begin({ asOf: 1 });
    stale.set('a', 'x');
    assert.throws(
      () => stale.commit(),
      (error: unknown) => error instanceof TransactionConflictError && error.committedVersion === 2,
    );
    const serial = store.begin({ asOf: 1, isolation: 'serializable' });
    assert.deepEqual(keys(serial.range({ prefix: 'b' })), []);
    serial.set('c', 'x');
    assert.throws(
      () => serial.commit(),
      (error: unknown) => (error as StoreError).code === 'TRANSACTION_CONFLICT',
    );
    const clean = store.begin({ asOf: 2 });
    clean.set('a', 'y');
    assert.equal(clean.commit(), 4);
    return store.close();
  });

  it('a transaction garbage-collected while open is released, with a warning', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const logger = new MemoryLogger();
    const store = MultiStore.open({ logger });
    (() => {
      store.begin().set('a', 'forgotten');
    })();
    for (let attempt = 0; attempt < 50 && store.stats().snapshots.open > 0; attempt++) {
      gc();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    assert.equal(store.stats().snapshots.open, 0);
    assert.equal(logger.records[0]?.level, 'warn');
    await store.close();
  });
});
