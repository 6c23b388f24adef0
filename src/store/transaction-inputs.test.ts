/**
 * Hostile input to every transaction entry point gets a coded error (and
 * never a half-made transaction holding a snapshot), or is read for what it
 * really is: NaN, negatives, fractions, 2^53, strings, bigints, objects with
 * `valueOf`, boxed numbers; -0 is 0; Uint8Array subclasses that lie about
 * their length are read through their real bytes.
 */

import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { text } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';

const BAD_VERSIONS: readonly unknown[] = [
  Number.NaN,
  -1,
  1.5,
  2 ** 53,
  Number.POSITIVE_INFINITY,
  '3',
  3n,
  null,
  { valueOf: () => 1 },
  new Number(1),
];

const throwsCode = (fn: () => unknown, code: string, what: string) =>
  assert.throws(fn, (error: unknown) => isStoreError(error) && error.code === code, what);

/** A Uint8Array that claims to be empty. */
class Lying extends Uint8Array {
  override get length(): number {
    return 0;
  }
  override get byteLength(): number {
    return 0;
  }
}

describe('hostile input to transactions', () => {
  let store: MultiStore;
  beforeEach(() => {
    store = MultiStore.open();
    store.commit([{ type: 'set', key: 'a', value: '1' }]);
  });
  afterEach(() => store.close());

  it('every version argument refuses what is not a non-negative safe integer, holding nothing', () => {
    for (const bad of BAD_VERSIONS) {
      const what = String(bad);
      throwsCode(() => store.begin({ asOf: bad as number }), 'INVALID_VERSION', `begin ${what}`);
      const tx = store.begin();
      throwsCode(() => tx.asOf(bad as number), 'INVALID_VERSION', `asOf ${what}`);
      throwsCode(
        () => tx.drop('a', { upToVersion: bad as number }),
        'INVALID_VERSION',
        `drop ${what}`,
      );
      assert.equal(tx.state, 'open', 'a refused argument leaves the transaction as it was');
      tx.set('a', 'x');
      throwsCode(() => tx.commit(bad as number), 'INVALID_VERSION', `commit ${what}`);
      assert.equal(tx.state, 'rolled back', 'a commit ends the transaction, as documented');
    }
    assert.equal(store.stats().snapshots.open, 0);
    assert.equal(store.latestVersion, 1);
  });

  it('-0 is version 0, and the highest safe integer is a valid (future) read version', () => {
    const zero = store.begin({ asOf: -0 });
    assert.ok(Object.is(zero.version, 0));
    zero.asOf(-0, { exclusive: true });
    assert.equal(zero.get('a'), undefined, 'before everything');
    zero.rollback();
    const far = store.begin({ asOf: Number.MAX_SAFE_INTEGER });
    assert.equal(text(far.get('a')?.value), '1', 'a future version reads the latest state');
    throwsCode(
      () => store.commit([{ type: 'set', key: 'b', value: '2' }], 5),
      'SNAPSHOT_VIOLATION',
      'explicit commits up to it wait',
    );
    assert.equal(store.commit([{ type: 'set', key: 'b', value: '2' }]), 2, 'automatic ones land');
    far.rollback();
  });

  it('option values of the wrong kind are INVALID_OPTIONS, never coerced', () => {
    for (const maxAgeMs of [
      0,
      -1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '5',
      { valueOf: () => 5 },
    ]) {
      throwsCode(
        () => store.begin({ maxAgeMs: maxAgeMs as number }),
        'INVALID_OPTIONS',
        'maxAgeMs',
      );
    }
    for (const retries of [-1, 1.5, Number.NaN, 2 ** 53, '2']) {
      throwsCode(
        () => store.transaction(() => 1, { retries: retries as number }),
        'INVALID_OPTIONS',
        'retries',
      );
    }
    for (const readOnly of [1, 'true', null]) {
      throwsCode(
        () => store.begin({ readOnly: readOnly as unknown as boolean }),
        'INVALID_OPTIONS',
        'readOnly',
      );
    }
    throwsCode(
      () => store.begin({ isolation: 'SERIALIZABLE' as 'serializable' }),
      'INVALID_OPTIONS',
      'isolation',
    );
    const tx = store.begin();
    throwsCode(() => tx.asOf(1, { exclusive: 'yes' as never }), 'INVALID_ARGUMENT', 'exclusive');
    throwsCode(() => tx.drop('a', { keepLastVersions: Number.NaN }), 'INVALID_ARGUMENT', 'keep');
    throwsCode(() => tx.range(undefined, { pageSize: 0 }), 'INVALID_ARGUMENT', 'pageSize');
    tx.rollback();
    assert.equal(store.stats().snapshots.open, 0);
  });

  it('a Uint8Array subclass lying about its length is read through its real bytes', () => {
    const tx = store.begin();
    tx.set(new Lying([107]), new Lying([118, 118])); // "k" = "vv"
    assert.equal(text(tx.get('k')?.value), 'vv');
    assert.deepEqual(
      [...tx.range({ start: new Lying([107]), end: new Lying([108]) })].map((e) => text(e.value)),
      ['vv'],
    );
    tx.commit();
    assert.equal(text(store.get('k')?.value), 'vv');
  });
});
