import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';

/** Edges of the encodings a careless caller meets: they are refused with a code or read back as written. */

const throwsCode = (fn: () => unknown, code: string, message?: RegExp) =>
  assert.throws(
    fn,
    (error: unknown) =>
      isStoreError(error, code as never) && (message === undefined || message.test(error.message)),
  );

forEachStoreSetup((setup) => {
  it('an ordered key of -0 is the key 0 (alone and inside an array)', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      store.commit([{ type: 'set', key: -0, value: 'minus zero' }]);
      store.commit([{ type: 'set', key: ['n', -0], value: 'in an array' }]);
      assert.equal(store.get(0)?.value, 'minus zero');
      assert.equal(store.get(['n', 0])?.value, 'in an array');
      assert.deepEqual(
        [...store.range()].map((e) => e.key),
        [0, ['n', 0]],
      );
      store.commit([{ type: 'set', key: 0, value: 'zero' }]);
      assert.deepEqual(
        store.versions(-0).map((v) => v.value),
        ['zero', 'minus zero'],
      );
    } finally {
      await store.close();
    }
  });
});
