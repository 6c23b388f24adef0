/**
 * `store.diff` compares two states that existed when it was called: a
 * version above the latest reads the latest version of that moment, so
 * commits landing while the diff is iterated show in neither side.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import type { DiffEntry } from './changes.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const show = (entries: Iterable<DiffEntry>) =>
  [...entries].map((d) => `${text(d.key)}:${text(d.before) ?? '~'}->${text(d.after) ?? '~'}`);

forEachStoreSetup((setup) => {
  it('a diff to a version above the latest ignores commits made after the call', async () => {
    const store = setup.open();
    try {
      store.commit([set('a', '1'), set('b', '1')], 1);
      store.commit([set('a', '2')], 2);
      const forward = store.diff(1, 100);
      const backward = store.diff(100, 1, { reverse: true });
      store.commit([set('a', '3'), set('b', '3'), set('z', '3')]); // version 3: after the calls
      assert.deepEqual(show(forward), ['a:1->2']);
      assert.deepEqual(show(backward), ['a:2->1']);
    } finally {
      await store.close();
    }
  });
});
