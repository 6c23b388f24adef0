/**
 * The API fuzz's transaction model predicts what the store does with a
 * transaction begun as of a past version: each case runs the same commits
 * on a store (memory tier, inline) and on the models, then commits a write
 * of `a` as of the past on both, and the two must agree.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../../common/errors.js';
import type { Delta } from '../../store/deltas.js';
import { MultiStore } from '../../store/multistore.js';
import { type ModelDelta, StoreModel } from '../../test-support/store-model.js';
import { TxModel } from './fuzz-tx-model.js';

const A = Uint8Array.of(0x61);

/** A store and the models, given the same commits. */
function pair() {
  const store = MultiStore.open({ tier: 'memory', actorMode: 'inline' });
  const model = new StoreModel();
  const txs = new TxModel(() => 0);
  const commit = (delta: Delta & ModelDelta) => {
    const version = store.commit([delta]) as number;
    model.commit([delta], version);
    txs.recordCommit(version, [delta]);
  };
  const flush = async () => {
    await store.flush();
    model.flush(txs.snapshotVersions());
  };
  return { store, model, txs, commit, flush };
}

const set = (value: number): Delta & ModelDelta => ({
  type: 'set',
  key: A,
  value: Uint8Array.of(value),
});

/** What the store does with `transaction(fn, { asOf })`, fn setting `a`: a code or 'ok'. */
function storeOutcome(store: MultiStore, asOf: number): string {
  try {
    store.transaction((tx) => tx.set(A, Uint8Array.of(9)), { asOf });
    return 'ok';
  } catch (error) {
    if (isStoreError(error)) return error.code;
    throw error;
  }
}

describe('fuzz transaction model, as of the past', () => {
  it('a key written above the base and then erased entirely conflicts (its erasure is above the base)', async () => {
    const { store, model, txs, commit, flush } = pair();
    commit(set(1));
    commit(set(2));
    commit({ type: 'drop', key: A });
    await flush();
    const predicted = txs.transactionCommit(0, [set(9)], model);
    assert.equal(storeOutcome(store, 0), 'TRANSACTION_CONFLICT');
    assert.equal(predicted.accept, false);
    await store.close();
  });

  it('a forgotten commit that only dropped versions and changed no read above the base is no conflict', async () => {
    const { store, model, txs, commit, flush } = pair();
    commit(set(1));
    commit({ type: 'drop', key: A, keepLastVersions: 1 }); // erases nothing
    await flush();
    assert.equal(storeOutcome(store, 1), 'ok');
    assert.equal(txs.transactionCommit(1, [set(9)], model).accept, true);
    await store.close();
  });

  it('the same drop is a conflict while it is remembered (a read-write transaction was open at it)', async () => {
    const { store, model, txs, commit, flush } = pair();
    commit(set(1));
    const open = store.begin();
    txs.slots[0] = txs.begin({
      tx: open,
      readOnly: false,
      serializable: false,
      base: 1,
      version: 1,
      maxAgeMs: undefined,
      openedAt: 0,
    });
    commit({ type: 'drop', key: A, keepLastVersions: 1 });
    await flush();
    const tx = store.begin({ asOf: 1 });
    tx.set(A, Uint8Array.of(9));
    assert.throws(
      () => tx.commit(),
      (error) => isStoreError(error, 'TRANSACTION_CONFLICT'),
    );
    assert.equal(txs.transactionCommit(1, [set(9)], model).accept, false);
    open.rollback();
    await store.close();
  });
});
