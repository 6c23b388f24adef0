/**
 * Checks of the API fuzz: a store against itself before and after a rejected
 * call (the store-against-model checks are in test-support/store-checks.ts).
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString } from '../../common/bytes.js';
import type { MultiStore } from '../../store/multistore.js';
import { versionsOf } from '../../test-support/store-checks.js';
import { acceptedBytes } from './fuzz-materialize.js';

/** What a rejected call must leave untouched. */
export function snapshot(store: MultiStore, keys: Iterable<Uint8Array>): unknown {
  const versions: Record<string, unknown> = {};
  for (const key of keys) versions[bytesToBinaryString(key)] = versionsOf(store.versions(key));
  // The age of the oldest snapshot moves with the clock, not with the call.
  const { snapshots, ...stats } = store.stats();
  return {
    latestVersion: store.latestVersion,
    stats,
    snapshots: { watermark: snapshots.watermark, open: snapshots.open },
    dropWorker: store.dropWorkerStats(),
    versions,
  };
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
    const extra = Object.keys(retention ?? {}).filter((name) => name !== 'keepLastVersions');
    assert.deepEqual(extra, [], 'open accepted a retention with unknown properties');
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
