/**
 * `store.transaction(fn)` never reports success for writes it did not commit,
 * retries every conflict it can, and stays flat however many retries it runs.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const hasCode = (code: string) => (error: unknown) => isStoreError(error) && error.code === code;

forEachStoreSetup((setup) => {
  let store: MultiStore;
  let clock: MockClock;
  beforeEach(() => {
    clock = new MockClock();
    store = setup.open({ clock });
  });
  afterEach(() => store.close());

  describe('store.transaction never reports writes it did not commit', () => {
    it('a transaction that outlived its maxAgeMs while fn ran fails with TRANSACTION_TOO_OLD', async () => {
      store.commit([set('a', '1')]);
      await assert.rejects(
        store.transaction(
          async (tx) => {
            tx.set('a', '2');
            await Promise.resolve();
            clock.advanceMillis(100);
            store.stats(); // the registry looks, and releases the expired lease
          },
          { maxAgeMs: 10 },
        ),
        hasCode('TRANSACTION_TOO_OLD'),
      );
      assert.equal(text(store.get('a')?.value), '1');
    });

    it('the same, synchronously, when something released the lease before the commit', () => {
      assert.throws(
        () =>
          store.transaction(
            (tx) => {
              tx.set('a', '2');
              clock.advanceMillis(100);
              store.stats();
            },
            { maxAgeMs: 10 },
          ),
        hasCode('TRANSACTION_TOO_OLD'),
      );
      assert.equal(store.get('a'), undefined);
    });

    it('a store closed while an async fn ran makes the transaction fail with STORE_CLOSED', async () => {
      let closing: Promise<void> | undefined;
      await assert.rejects(
        store.transaction(async (tx) => {
          tx.set('a', '2');
          closing = store.close();
          await Promise.resolve();
          return 'result';
        }),
        hasCode('STORE_CLOSED'),
      );
      await closing;
    });

    it('a transaction fn rolled back itself commits nothing and returns what fn returned', () => {
      const result = store.transaction((tx) => {
        tx.set('a', '1');
        tx.rollback();
        return 'rolled back on purpose';
      });
      assert.equal(result, 'rolled back on purpose');
      assert.equal(store.get('a'), undefined);
    });
  });

  describe('store.transaction retries', () => {
    it('a conflict of the commit fn made itself is retried like the runner own', () => {
      store.commit([set('a', '1')]);
      let attempts = 0;
      const result = store.transaction((tx) => {
        attempts++;
        tx.set('a', `attempt ${attempts}`);
        if (attempts === 1) store.commit([set('a', 'concurrent')]);
        tx.commit();
        return attempts;
      });
      assert.deepEqual([result, attempts, text(store.get('a')?.value)], [2, 2, 'attempt 2']);
    });

    it('an async fn whose own commit conflicts is retried too', async () => {
      let attempts = 0;
      const result = await store.transaction(async (tx) => {
        attempts++;
        tx.set('a', `attempt ${attempts}`);
        await Promise.resolve();
        if (attempts === 1) store.commit([set('a', 'concurrent')]);
        tx.commit();
        return attempts;
      });
      assert.deepEqual([result, text(store.get('a')?.value)], [2, 'attempt 2']);
    });

    it('a conflict thrown after fn committed its transaction is passed on, never retried (no double commit)', async () => {
      let attempts = 0;
      const nestedConflict = (tx: { set(k: string, v: string): void; commit(): unknown }) => {
        tx.set('counter', `attempt ${attempts}`);
        tx.commit();
        // then something else conflicts: a nested transaction without retries
        store.transaction(
          (inner) => {
            inner.set('other', 'x');
            store.commit([set('other', 'first')]);
          },
          { retries: 0 },
        );
      };
      assert.throws(
        () =>
          store.transaction((tx) => {
            attempts++;
            nestedConflict(tx);
          }),
        hasCode('TRANSACTION_CONFLICT'),
      );
      assert.equal(attempts, 1);
      await assert.rejects(
        store.transaction(async (tx) => {
          attempts++;
          await Promise.resolve();
          nestedConflict(tx);
        }),
        hasCode('TRANSACTION_CONFLICT'),
      );
      assert.equal(attempts, 2);
      assert.equal(store.versions('counter').length, 2, 'each attempt committed once');
    });

    it('runs 1 + retries attempts however many retries are allowed (no stack growth)', () => {
      let attempts = 0;
      const retries = 20_000;
      assert.throws(
        () =>
          store.transaction(
            (tx) => {
              attempts++;
              tx.set('a', 'mine');
              store.commit([set('a', 'always first')]);
            },
            { retries },
          ),
        hasCode('TRANSACTION_CONFLICT'),
      );
      assert.equal(attempts, retries + 1);
      assert.equal(store.stats().snapshots.open, 0);
    });

    it('an async fn retried many times settles with the last conflict', async () => {
      let attempts = 0;
      await assert.rejects(
        store.transaction(
          async (tx) => {
            attempts++;
            tx.set('a', 'mine');
            store.commit([set('a', 'always first')]);
          },
          { retries: 50 },
        ),
        hasCode('TRANSACTION_CONFLICT'),
      );
      assert.equal(attempts, 51);
    });
  });
});
