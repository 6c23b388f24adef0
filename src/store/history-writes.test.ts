/**
 * Explicit writes under erased history (README, "The drop rule", step 6): a
 * commit writing a key at an explicit version below the `readableFrom` of
 * its horizon is refused with `VERSION_TOO_OLD`, below the oldest erased
 * version too. A write there would show up to the key's next stored version;
 * after a deletion none is left, so the key would come back where the drop
 * left it absent. From `readableFrom` on, writes are accepted.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, it } from 'node:test';
import { VersionTooOldError } from '../common/errors.js';
import { forEachStoreSetup, text } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';

const set = (key: string, value: string) => ({ type: 'set' as const, key, value });
const versions = (store: MultiStore, key: string) => store.versions(key).map((v) => v.version);

/** A `VERSION_TOO_OLD` refusal of a write of `key` at `version`, readable again from `readableFrom`. */
const writeRefused = (key: string, version: number, readableFrom: number) => (error: unknown) => {
  assert.ok(error instanceof VersionTooOldError, `expected VERSION_TOO_OLD, got ${String(error)}`);
  assert.equal(error.code, 'VERSION_TOO_OLD');
  assert.equal(error.operation, 'write');
  assert.equal(error.version, version);
  assert.equal(error.readableFrom, readableFrom);
  assert.equal(text(error.key), key);
  return true;
};

forEachStoreSetup((setup) => {
  let store: MultiStore;
  beforeEach(() => {
    store = setup.open({
      tables: [{ name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } }],
    });
  });
  afterEach(() => store.close());

  it('a write below a deletion is refused: the key stays absent from the deletion on', async () => {
    store.commit([set('x', '1')]); // 1
    store.commit([set('k', 'old')]); // 2
    store.commit([{ type: 'drop', key: 'k' }]); // 3: erases every version, deletes k
    await store.flush();
    assert.throws(() => store.commit([set('k', 'new')], 0), writeRefused('k', 0, 3));
    assert.throws(() => store.commit([set('x', '2'), set('k', 'new')], 1), writeRefused('k', 1, 3));
    assert.throws(() => store.commit([{ type: 'remove', key: 'k' }], 2), writeRefused('k', 2, 3));
    assert.equal(store.get('k'), undefined);
    assert.deepEqual(versions(store, 'k'), []);
    assert.deepEqual(versions(store, 'x'), [1], 'a refused commit writes nothing');
    assert.equal(store.get('k', 0), undefined, 'below the erased versions k did not exist');
    assert.equal(store.commit([set('k', 'again')], 3), 3, 'from the deletion on, k may be written');
    assert.equal(text(store.get('k')?.value), 'again');
  });

  it('a write below a deletion is refused when a later write exists, and allowed up to it', async () => {
    store.commit([set('k', 'old')], 2);
    store.commit([{ type: 'drop', key: 'k' }], 3);
    await store.flush();
    store.commit([set('k', 'later')], 6);
    assert.throws(() => store.commit([set('k', 'back')], 1), writeRefused('k', 1, 3));
    assert.equal(store.get('k', 4), undefined, 'absent between the deletion and the later write');
    assert.equal(store.commit([set('k', 'between')], 4), 4, 'at or above the deletion: accepted');
    assert.equal(text(store.get('k', 5)?.value), 'between');
    assert.equal(text(store.get('k', 6)?.value), 'later');
    assert.equal(store.get('k', 3), undefined);
  });

  it('a write below what keepLastVersions kept is refused too, inside the erased versions or under them', async () => {
    for (const version of [1, 2, 3]) store.commit([set('k', `v${version}`)], version + 1);
    store.commit([{ type: 'drop', key: 'k', keepLastVersions: 1 }], 5); // erases 2 and 3
    await store.flush();
    assert.throws(() => store.commit([set('k', 'x')], 3), writeRefused('k', 3, 4));
    assert.throws(() => store.commit([set('k', 'x')], 1), writeRefused('k', 1, 4));
    assert.deepEqual(versions(store, 'k'), [4]);
    assert.equal(store.commit([set('k', 'x')], 4), 4, 'the oldest readable version is writable');
  });

  it('a write below what retention erased is refused', async () => {
    for (const version of [3, 4, 5]) store.commit([set('s:k', `v${version}`)], version);
    await store.flush();
    assert.deepEqual(versions(store, 's:k'), [5]);
    assert.throws(() => store.commit([set('s:k', 'x')], 1), writeRefused('s:k', 1, 5));
  });

  it("a transaction's explicit commit below a deletion is refused the same way", async () => {
    store.commit([set('k', 'old')], 2);
    store.commit([{ type: 'drop', key: 'k' }], 3);
    await store.flush();
    const tx = store.begin();
    tx.set('k', 'replayed');
    assert.throws(() => tx.commit(1), writeRefused('k', 1, 3));
    assert.equal(store.get('k'), undefined);
  });
});
