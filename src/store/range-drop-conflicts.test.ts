/**
 * A range drop counts, for the conflict checks of transactions, as a write of
 * every key of its range at its commit version: a concurrent transaction
 * that writes a key of the range conflicts (`write`), a serializable one that
 * read a key of it (`read`) or a range sharing a key with it (`range`) too;
 * keys and ranges outside it do not. Checked through the conflict tracker
 * (the transaction was open when the drop committed) and through the stored
 * history (begun as of a past version, below the tracker's floor), with the
 * drop still queued and once applied; on both tiers, in both actor modes.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TransactionConflictError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

type Store = MultiStore<string, string>;
type Tx = Transaction<string, string>;

/** The reason, key and version of the conflict `commit` throws. */
function conflictOf(commit: () => unknown): { reason: string; key: string; version: number } {
  try {
    commit();
  } catch (error) {
    if (!(error instanceof TransactionConflictError)) throw error;
    const key = error.key === undefined ? '?' : new TextDecoder().decode(error.key);
    return { reason: error.reason, key, version: error.committedVersion };
  }
  assert.fail('the commit did not conflict');
}

forEachStoreSetup((setup) => {
  let store: Store;
  beforeEach(() => {
    // A mock clock that never moves, and big batches: drops stay queued until flush().
    store = setup.open({
      keyEncoding: 'utf8',
      valueEncoding: 'utf8',
      clock: new MockClock(),
      dropWorker: { batchSize: 1_000, flushIntervalMs: 1_000_000 },
    });
    // v1: a, u:1, u:2, v:1    v2: u:1 again
    store.commit(['a', 'u:1', 'u:2', 'v:1'].map((key) => ({ type: 'set', key, value: '1' })));
    store.commit([{ type: 'set', key: 'u:1', value: '2' }]);
  });
  afterEach(() => store.close());

  const serializable = () => store.begin({ isolation: 'serializable' });
  /** A prefix drop of `u:` erasing every version (it deletes u:1 and u:2): its version. */
  const dropUsers = () => store.commit([{ type: 'drop', prefix: 'u:' }]) as number;

  describe('held by the conflict tracker (the transaction was open when the drop committed)', () => {
    it('a serializable transaction that read a key of the range conflicts (read)', () => {
      const tx = serializable();
      assert.equal(tx.get('u:1')?.value, '2');
      tx.set('b', 'x');
      const version = dropUsers();
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'read', key: 'u:1', version },
      );
    });

    it('a read range sharing a key with the drop conflicts (range), naming the first shared key', () => {
      const tx = serializable();
      assert.equal([...tx.range({ start: 't', end: 'u:15' })].length, 1);
      tx.set('b', 'x');
      const inside = serializable();
      assert.equal([...inside.range({ prefix: 'u:2' })].length, 1, 'a range inside the drop');
      inside.set('b', 'y');
      const version = dropUsers();
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'range', key: 'u:', version },
      );
      assert.deepEqual(
        conflictOf(() => inside.commit()),
        { reason: 'range', key: 'u:2', version },
      );
    });

    it('a scan of every key conflicts with any range drop', () => {
      const tx = serializable();
      assert.equal([...tx.range()].length, 4);
      tx.set('b', 'x');
      const version = dropUsers();
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'range', key: 'u:', version },
      );
    });

    it('a transaction writing a key of the range conflicts in any isolation (write)', () => {
      const snapshot = store.begin();
      const dropping = store.begin();
      snapshot.set('u:2', 'x');
      dropping.drop('u:3');
      const version = dropUsers();
      assert.deepEqual(
        conflictOf(() => snapshot.commit()),
        { reason: 'write', key: 'u:2', version },
      );
      assert.deepEqual(
        conflictOf(() => dropping.commit()),
        { reason: 'write', key: 'u:3', version },
      );
    });

    it('counts every key of the range, those it erases nothing of included', async () => {
      const tx = serializable();
      assert.equal(tx.get('u:9'), undefined, 'a key the range holds but the store does not');
      tx.set('b', 'x');
      const version = store.commit([{ type: 'drop', prefix: 'u:', upToVersion: 1 }]) as number;
      await store.flush();
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'read', key: 'u:9', version },
      );
    });

    it('keys and ranges outside the range do not conflict, nor ranges that only touch it', () => {
      const reader = serializable();
      assert.equal(reader.get('v:1')?.value, '1');
      assert.equal(
        [...reader.range({ start: 'a', end: 'u:' })].length,
        1,
        'a range ending where it starts',
      );
      reader.set('b', 'x');
      const writer = store.begin();
      writer.set('v:1', 'x');
      writer.set('u', 'x');
      dropUsers();
      assert.equal(typeof reader.commit(), 'number');
      assert.equal(typeof writer.commit(), 'number');
    });

    it('a drop committed before the transaction began is no conflict', () => {
      dropUsers();
      const tx = serializable();
      assert.equal(tx.get('u:1')?.value, '2', 'not applied yet');
      tx.set('u:2', 'x');
      assert.equal(typeof tx.commit(), 'number');
    });
  });

  describe('judged on stored history (begun as of a past version, below the tracker floor)', () => {
    /** Drop u:, commit once more, then begin as of version 2, before the drop. */
    const pastTx = (isolation: 'snapshot' | 'serializable'): { tx: Tx; version: number } => {
      const version = dropUsers();
      store.commit([{ type: 'set', key: 'z', value: '1' }]);
      return { tx: store.begin({ asOf: 2, isolation }), version };
    };

    it('a range drop still queued counts for a key read (read)', () => {
      const { tx, version } = pastTx('serializable');
      assert.equal(store.dropWorkerStats().batches, 0, 'the drop is still queued');
      assert.equal(tx.get('u:1')?.value, '2');
      tx.set('b', 'x');
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'read', key: 'u:1', version },
      );
    });

    it('a range drop still queued counts for a range read (range) and for a write (write)', () => {
      const { tx, version } = pastTx('serializable');
      assert.equal([...tx.range({ start: 'u:15', end: 'v:2' })].length, 2, 'u:2 and v:1');
      tx.set('b', 'x');
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'range', key: 'u:15', version },
      );
      const writer = store.begin({ asOf: 2 });
      writer.set('u:7', 'x');
      assert.deepEqual(
        conflictOf(() => writer.commit()),
        { reason: 'write', key: 'u:7', version },
      );
    });

    it('keys and ranges outside a queued range drop do not conflict', () => {
      const { tx } = pastTx('serializable');
      assert.equal(tx.get('v:1')?.value, '1');
      assert.equal([...tx.range({ end: 'u:' })].length, 1);
      tx.set('b', 'x');
      assert.equal(typeof tx.commit(), 'number');
    });

    it('once applied, the keys it deleted carry it in their horizons', async () => {
      const version = dropUsers();
      store.commit([{ type: 'set', key: 'z', value: '1' }]);
      await store.flush();
      assert.deepEqual(store.versions('u:1'), [], 'applied: u:1 is gone');
      const tx = store.begin({ asOf: 0, isolation: 'serializable' });
      assert.equal(tx.get('u:1'), undefined);
      tx.set('b', 'x');
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'read', key: 'u:1', version },
      );
      const ranged = store.begin({ asOf: 0, isolation: 'serializable' });
      assert.deepEqual([...ranged.range({ prefix: 'u:' })], []);
      ranged.set('b', 'x');
      assert.deepEqual(
        conflictOf(() => ranged.commit()),
        {
          reason: 'range',
          key: 'u:1',
          version,
        },
      );
    });
  });
});
