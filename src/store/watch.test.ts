/**
 * Live watches, on both tiers and in both actor modes: commits come in
 * version order, only the writes of the range, never inside the commit; a
 * consumer that falls behind gets WATCH_OVERFLOW with the last version it
 * saw (and `changes` resumes from there) while the buffer stays bounded;
 * abort, close, break and store.close end a watch.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStoreError, WatchOverflowError } from '../common/errors.js';
import { forEachStoreSetup, text, turns } from '../test-support/store-setups.js';
import type { Change } from './changes.js';
import type { MultiStore } from './multistore.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const show = (change: Change) =>
  `${change.version}: ${change.writes.map((w) => `${text(w.key)}=${text(w.value) ?? '~'}`).join(' ')}`;

forEachStoreSetup((setup) => {
  const withStore = (test: (store: MultiStore) => Promise<void>) => async () => {
    const store = setup.open();
    try {
      await test(store);
    } finally {
      await store.close();
    }
  };

  it(
    'delivers later commits touching the range, in version order, only their writes of the range',
    withStore(async (store) => {
      store.commit([set('u:0', 'before')]); // before the watch: not delivered
      const watch = store.watch({ prefix: 'u:' });
      store.commit([set('u:2', 'a'), set('x', 'outside'), set('u:1', 'b'), set('u:2', 'c')]);
      store.commit([set('x', 'outside only')]); // touches nothing of the range
      store.commit([{ type: 'remove', key: 'u:1' }]);
      const tx = store.begin();
      tx.set('u:3', 'from a transaction');
      tx.commit();
      const seen: string[] = [];
      for await (const change of watch) {
        seen.push(show(change));
        if (seen.length === 3) break; // calls return(): the watch ends
      }
      assert.deepEqual(seen, ['2: u:1=b u:2=c', '4: u:1=~', '5: u:3=from a transaction']);
      assert.equal(watch.active, false);
      assert.equal(watch.lastVersion, 5);
    }),
  );

  it(
    'delivers after the commit, never inside it',
    withStore(async (store) => {
      const watch = store.watch();
      let got: IteratorResult<Change> | undefined;
      const next = watch.next().then((result) => {
        got = result;
      });
      store.commit([set('k', 'v')]);
      assert.equal(got, undefined, 'nothing is delivered inside commit');
      await next;
      const result = got as IteratorResult<Change> | undefined;
      assert.equal(result?.done, false);
      assert.equal(result?.value && show(result.value), '1: k=v');
      watch.close();
    }),
  );

  it(
    'a consumer that falls behind gets WATCH_OVERFLOW with the last version it saw, and changes resumes there',
    withStore(async (store) => {
      const watch = store.watch({ prefix: 'k' }, { bufferSize: 3 });
      store.commit([set('k1', 'a')]);
      assert.equal(show((await watch.next()).value as Change), '1: k1=a');
      for (let i = 2; i <= 10; i++) {
        store.commit([set(`k${i}`, 'b')]);
        assert.ok(watch.buffered <= 3, 'the buffer never holds more than bufferSize changes');
      }
      assert.equal(watch.buffered, 0, 'an overflowed watch lets go of what it buffered');
      assert.equal(watch.active, false);
      const error = await watch.next().then(
        () => assert.fail('next() must throw'),
        (caught: unknown) => caught,
      );
      assert.ok(error instanceof WatchOverflowError);
      assert.equal(error.code, 'WATCH_OVERFLOW');
      assert.equal(error.lastVersion, 1);
      const missed = [...store.changes({ from: error.lastVersion, prefix: 'k' })];
      assert.deepEqual(
        missed.map((c) => c.version),
        [2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal((await watch.next()).done, true, 'after the error the watch is done');
    }),
  );

  it(
    'memory stays bounded: 20,000 commits to a watch nobody reads',
    withStore(async (store) => {
      const slow = store.watch(undefined, { bufferSize: 16 });
      const idle = store.watch(); // default buffer: 1,024 changes
      let most = 0;
      for (let i = 0; i < 20_000; i++) {
        store.commit([set(`k${i % 100}`, 'value')]);
        most = Math.max(most, slow.buffered, idle.buffered);
      }
      assert.equal(most, 1024, 'at most the default buffer of 1,024 changes waits');
      assert.equal(slow.buffered + idle.buffered, 0, 'both overflowed and let go');
      await assert.rejects(idle.next(), (e: unknown) => isStoreError(e, 'WATCH_OVERFLOW'));
      await assert.rejects(slow.next(), (e: unknown) => isStoreError(e, 'WATCH_OVERFLOW'));
    }),
  );

  it(
    'an abort signal ends the watch: a pending next() throws its reason',
    withStore(async (store) => {
      const controller = new AbortController();
      const watch = store.watch(undefined, { signal: controller.signal });
      const pending = watch.next();
      controller.abort(new Error('stop watching'));
      await assert.rejects(pending, /stop watching/);
      store.commit([set('k', 'v')]);
      assert.equal(watch.buffered, 0, 'an aborted watch receives nothing');
      const aborted = store.watch(undefined, { signal: AbortSignal.abort() });
      await assert.rejects(aborted.next(), (e: unknown) => (e as Error).name === 'AbortError');
    }),
  );

  it(
    'close() ends the watch at once: a pending next() is done, later commits are not delivered',
    withStore(async (store) => {
      const watch = store.watch();
      store.commit([set('a', '1')]);
      watch.close();
      assert.equal(watch.buffered, 0);
      assert.deepEqual(await watch.next(), { done: true, value: undefined });
      const other = store.watch();
      const pending = other.next();
      other.close();
      assert.deepEqual(await pending, { done: true, value: undefined });
      store.commit([set('b', '2')]);
      assert.equal(other.buffered, 0);
    }),
  );

  it('closing the store ends every watch after what it buffered', async () => {
    const store = setup.open();
    const watch = store.watch();
    const waiting = store.watch({ prefix: 'none' });
    const pending = waiting.next();
    store.commit([set('a', '1')]);
    store.commit([set('b', '2')]);
    await store.close();
    const seen: string[] = [];
    for await (const change of watch) seen.push(show(change));
    assert.deepEqual(seen, ['1: a=1', '2: b=2']);
    assert.deepEqual(await pending, { done: true, value: undefined });
    await turns();
  });

  it(
    'rejects bad watch options with INVALID_ARGUMENT',
    withStore(async (store) => {
      const bad = (options: unknown) => () =>
        store.watch(undefined, options as Parameters<MultiStore['watch']>[1]);
      for (const options of [
        { bufferSize: 0 },
        { bufferSize: 1.5 },
        { bufferSize: '8' },
        { signal: {} },
        { buffer: 8 },
        'fast',
      ]) {
        assert.throws(bad(options), (e: unknown) => isStoreError(e, 'INVALID_ARGUMENT'));
      }
      assert.throws(
        () => store.watch({ prefix: 'a', start: 'b' }),
        (e: unknown) => isStoreError(e, 'INVALID_ARGUMENT'),
      );
      const watch = store.watch();
      const first = watch.next();
      await assert.rejects(watch.next(), (e: unknown) => isStoreError(e, 'INVALID_ARGUMENT'));
      watch.close();
      await first;
    }),
  );
});
