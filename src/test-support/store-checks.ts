/**
 * The store against the model, for randomized tests: versions of every key,
 * full ranges both ways, and the figures.
 *
 * Entries and versions are compared as plain arrays (binary-string keys,
 * byte lists), so assertion diffs stay readable.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import type { MultiStore, StoredVersion } from '../store/multistore.js';
import type { StoreModel } from './store-model.js';

/** Entries as plain data. */
export function entriesOf(
  list: readonly { key: Uint8Array; value: Uint8Array; version: number }[],
): [string, number[], number][] {
  return list.map((e) => [bytesToBinaryString(e.key), [...e.value], e.version]);
}

/** Stored versions as plain data. */
export function versionsOf(list: readonly StoredVersion[]): [number, number[] | undefined][] {
  return list.map((v) => [v.version, v.value && [...v.value]]);
}

/**
 * After a flush: the same latest version, versions of every key, full ranges
 * both ways (in small pages) and figures as the model.
 */
export function expectSameContents(
  store: MultiStore,
  model: StoreModel,
  keys: Iterable<Uint8Array>,
): void {
  assert.equal(store.latestVersion, model.latestVersion, 'latest version');
  for (const key of keys) {
    assert.deepEqual(
      versionsOf(store.versions(key)),
      versionsOf(model.versions(key)),
      `versions of ${JSON.stringify(bytesToBinaryString(key))}`,
    );
  }
  const at = model.latestVersion;
  for (const reverse of [false, true]) {
    assert.deepEqual(
      entriesOf([...store.range(undefined, { reverse, pageSize: 2 })]),
      entriesOf(model.range(undefined, undefined, false, at, reverse)),
      `full range${reverse ? ' (reverse)' : ''}`,
    );
  }
  const stats = store.stats();
  assert.deepEqual({ ...stats.total }, model.figures(), 'figures equal the model');
  const summed = Object.fromEntries(Object.keys(stats.total).map((name) => [name, 0]));
  for (const figures of Object.values(stats.tables))
    for (const [name, n] of Object.entries(figures)) summed[name] = (summed[name] ?? 0) + n;
  assert.deepEqual(summed, { ...stats.total }, 'per-table figures sum to the total');
}

/**
 * What a call answered, as plain data (`{ ok }`), or the stable code a store
 * error refused it with (`{ refused }`), so two stores' answers compare with
 * `deepEqual`; any other throw is a test failure and propagates.
 */
export function outcome(call: () => unknown): unknown {
  try {
    return { ok: call() };
  } catch (error) {
    if (isStoreError(error)) return { refused: error.code };
    throw error;
  }
}
