/**
 * Comparisons of the API fuzz: the store against the model, and a store
 * against itself before and after a rejected call.
 *
 * Entries and versions are compared as plain arrays (binary-string keys,
 * byte lists), so assertion diffs stay readable.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString } from '../../common/bytes.js';
import type { MultiStore, StoredVersion } from '../../store/multistore.js';
import type { StoreModel } from '../../test-support/store-model.js';
import { acceptedBytes } from './fuzz-materialize.js';

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

/** What a rejected call must leave untouched. */
export function snapshot(store: MultiStore, keys: Iterable<Uint8Array>): unknown {
  const versions: Record<string, unknown> = {};
  for (const key of keys) versions[bytesToBinaryString(key)] = versionsOf(store.versions(key));
  return {
    latestVersion: store.latestVersion,
    stats: store.stats(),
    dropWorker: store.dropWorkerStats(),
    versions,
  };
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

/** A validated table declaration, read back from what `open` accepted. */
interface AcceptedTable {
  readonly prefix: Uint8Array;
  readonly keep: number | undefined;
}

/**
 * The retention of a key under tables `open` accepted: the table whose prefix
 * is the longest prefix of the key (written out here, apart from the store's router).
 */
export function routeRetention(accepted: unknown): (key: Uint8Array) => number | undefined {
  if (accepted === undefined) return () => undefined;
  assert.ok(Array.isArray(accepted), 'open accepted tables that are not a list');
  const tables: AcceptedTable[] = accepted.map((declaration: unknown) => {
    const { prefix, retention } = declaration as { prefix: unknown; retention?: unknown };
    const keep = (retention as { keepLastVersions?: unknown } | undefined)?.keepLastVersions;
    assert.ok(
      keep === undefined || (typeof keep === 'number' && Number.isSafeInteger(keep) && keep > 0),
      `open accepted keepLastVersions ${String(keep)}`,
    );
    return { prefix: acceptedBytes(prefix, 'prefix'), keep: keep as number | undefined };
  });
  return (key) => {
    let best: AcceptedTable | undefined;
    for (const table of tables) {
      const matches =
        table.prefix.length <= key.length && table.prefix.every((byte, i) => key[i] === byte);
      if (matches && (best === undefined || table.prefix.length > best.prefix.length)) best = table;
    }
    return best?.keep;
  };
}
