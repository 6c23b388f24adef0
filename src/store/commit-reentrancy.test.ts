/**
 * Listeners that run inside a commit (inline mode) cannot slip a write in
 * between what the commit judged and what it wrote.
 *
 * In inline mode a snapshot that ends wakes the drop worker on the same call,
 * and a flush runs the listeners of its event there and then. A snapshot can
 * end in the middle of a commit: the registry releases a lease older than its
 * `maxAgeMs` whenever it is asked about open snapshots. With a clock that
 * moves on its own (a real one: inline timers fire only when driven), the
 * first to ask may be the commit itself. A listener that commits from there
 * must not turn into a lost update, nor into a write that the commit's own
 * drop erases, nor change how the committing transaction ended.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import type { Clock } from '../runtime/clock.js';
import { text } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });

/** A clock that moves when told and schedules nothing: time passes, no timer fires on its own. */
function freeClock(): Clock & { now: number } {
  const clock = {
    now: 0,
    nowNanos: () => BigInt(clock.now) * 1_000_000n,
    nowMillis: () => clock.now,
    instant: () => {
      throw new Error('not used');
    },
  };
  return clock as unknown as Clock & { now: number };
}

/**
 * An inline store with a drop of `held` parked behind a snapshot whose
 * maxAgeMs has passed (nobody has looked since), and a listener that, the
 * first time a flush erases something, runs `write`.
 */
async function storeWithExpiredHolder(write: (store: MultiStore) => void) {
  const clock = freeClock();
  const store = MultiStore.open({ actorMode: 'inline', clock });
  let ran = false;
  store.events.on('storage-stats', (event) => {
    if (ran || event.drops.length === 0) return;
    ran = true;
    write(store);
  });
  store.commit([set('held', '1')]); // 1
  store.commit([set('held', '2')]); // 2
  const holder = store.begin({ asOf: 1, readOnly: true, maxAgeMs: 10 });
  store.commit([{ type: 'drop', key: 'held', upToVersion: 2 }]); // 3
  await store.flush();
  assert.equal(store.dropWorkerStats().parked, 1, 'held back by the snapshot at 1');
  clock.now = 50; // the holder is too old; nothing has noticed yet
  return { store, holder, listenerRan: () => ran };
}

describe('a listener that commits inside a commit (inline mode)', () => {
  it('a commit a listener makes while a transaction commits at an explicit version is a conflict, not a lost update', async () => {
    const { store, listenerRan } = await storeWithExpiredHolder((s) => {
      s.commit([set('counter', 'listener')]);
    });
    const tx = store.begin(); // base 3
    tx.set('counter', 'tx');
    assert.throws(
      () => tx.commit(10),
      (error: unknown) => isStoreError(error, 'TRANSACTION_CONFLICT'),
    );
    assert.ok(listenerRan());
    assert.equal(text(store.get('counter')?.value), 'listener');
    await store.close();
  });

  it("a key a listener writes inside a commit that drops it keeps the listener's newer write", async () => {
    const { store, listenerRan } = await storeWithExpiredHolder((s) => {
      s.commit([set('k', 'listener')]);
    });
    const version = store.commit([set('x', '1'), { type: 'drop', key: 'k' }]);
    assert.ok(listenerRan());
    await store.flush();
    const versions = store.versions('k').map((v) => `${v.version}:${text(v.value)}`);
    assert.deepEqual(versions, [`${(version as number) + 1}:listener`]);
    await store.close();
  });

  it('a listener calling commit or rollback on the transaction being committed leaves it committed', async () => {
    const store = MultiStore.open({ actorMode: 'inline' });
    let tx: Transaction | undefined;
    const seen: string[] = [];
    store.events.on('storage-stats', () => {
      if (tx === undefined) return;
      const inner = tx;
      tx = undefined;
      seen.push(inner.state);
      try {
        inner.commit();
      } catch (error) {
        seen.push(isStoreError(error) ? error.code : String(error));
      }
      inner.rollback();
      seen.push(inner.state);
    });
    const committing = store.begin();
    committing.set('k', 'v');
    tx = committing;
    assert.equal(committing.commit(), 1);
    assert.deepEqual(seen, ['committed', 'TRANSACTION_CLOSED', 'committed']);
    assert.equal(committing.state, 'committed');
    assert.equal(store.latestVersion, 1, 'written once');
    await store.close();
  });

  it("a listener woken by the end of the committing transaction's ranges cannot commit or roll it back", async () => {
    const store = MultiStore.open({ actorMode: 'inline' });
    store.commit([set('held', '1')]); // 1
    store.commit([set('held', '2')]); // 2
    const tx = store.begin({ asOf: 1 });
    const entries = tx.range(undefined, { pageSize: 1 });
    entries.next();
    tx.asOf(2); // only the range still reads at 1
    store.commit([{ type: 'drop', key: 'held', upToVersion: 2 }]); // 3
    await store.flush();
    assert.equal(store.dropWorkerStats().parked, 1, 'held back by the range');
    const seen: string[] = [];
    store.events.on('storage-stats', (event) => {
      if (event.drops.length === 0) return;
      try {
        tx.commit();
      } catch (error) {
        seen.push(isStoreError(error) ? error.code : String(error));
      }
      tx.rollback();
    });
    tx.set('k', 'mine');
    assert.equal(tx.commit(), 4, 'the outer commit is the one that commits');
    assert.deepEqual(seen, ['TRANSACTION_CLOSED']);
    assert.equal(tx.state, 'committed');
    assert.equal(text(store.get('k')?.value), 'mine');
    await store.close();
  });
});
