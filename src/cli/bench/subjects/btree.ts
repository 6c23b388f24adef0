/**
 * The memory peer: one `sorted-btree` B+ tree keyed by (key, version).
 *
 * The composite key orders by key bytes, then version, so a key's versions
 * are adjacent and ascending; every operation is a seek or a short walk:
 *
 * ```
 *   get(k, V)     getPairOrNextLower((k, V)), then check the key is k
 *   scan at V     walk [(start, 0), (end, 0)) once; per key keep the last pair <= V
 *   dropOld(k)    deleteRange([(k, 0), (k, newest))) after one reverse seek
 * ```
 *
 * This is the plain, well-known way to keep versions in an ordered map, with
 * no extra index: the bar multistore's memory tier is measured against.
 *
 * @module
 */

import BTreeModule from 'sorted-btree';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult } from '../subject.js';

const BTree = BTreeModule.default;
type BTree<K, V> = InstanceType<typeof BTreeModule.default<K, V>>;

/** A composite key of the tree. */
interface VersionedKey {
  readonly key: Uint8Array;
  readonly version: number;
}

/** Key bytes first (shorter prefix first), then version. */
function compareVersionedKeys(a: VersionedKey, b: VersionedKey): number {
  const x = a.key;
  const y = b.key;
  if (x !== y) {
    const n = Math.min(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const d = (x[i] as number) - (y[i] as number);
      if (d !== 0) return d;
    }
    if (x.length !== y.length) return x.length - y.length;
  }
  return a.version - b.version;
}

function sameKey(x: Uint8Array, y: Uint8Array): boolean {
  return compareVersionedKeys({ key: x, version: 0 }, { key: y, version: 0 }) === 0;
}

/** Open an empty sorted-btree peer. */
export function openBTree(): BenchSubject {
  return new BTreeSubject();
}

class BTreeSubject implements BenchSubject {
  readonly #tree: BTree<VersionedKey, Uint8Array> = new BTree(undefined, compareVersionedKeys);

  write(batch: WriteBatch): void {
    const { keys, values, version } = batch;
    for (let i = 0; i < keys.length; i++) {
      this.#tree.set({ key: keys[i] as Uint8Array, version }, values[i] as Uint8Array);
    }
  }

  get(key: Uint8Array, version: number): number {
    const pair = this.#tree.getPairOrNextLower({ key, version });
    if (pair === undefined || !sameKey(pair[0].key, key) || pair[1].length === 0) return -1;
    return pair[0].version;
  }

  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): ScanResult {
    let entries = 0;
    let versionSum = 0;
    let current: Uint8Array | undefined;
    let visible = -1;
    const high = end === undefined ? this.#tree.maxKey() : { key: end, version: 0 };
    if (high === undefined) return { entries, versionSum };
    this.#tree.forRange({ key: start, version: 0 }, high, end === undefined, (pair, value) => {
      if (current === undefined || !sameKey(pair.key, current)) {
        if (visible >= 0) {
          entries++;
          versionSum += visible;
        }
        current = pair.key;
        visible = -1;
      }
      if (pair.version <= version && value.length > 0) visible = pair.version;
    });
    if (visible >= 0) {
      entries++;
      versionSum += visible;
    }
    return { entries, versionSum };
  }

  dropOld(keys: readonly Uint8Array[]): void {
    for (const key of keys) {
      const newest = this.#tree.getPairOrNextLower({ key, version: Number.MAX_SAFE_INTEGER });
      if (newest === undefined || !sameKey(newest[0].key, key)) continue;
      this.#tree.deleteRange({ key, version: 0 }, newest[0], false);
    }
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  versionCount(key: Uint8Array): number {
    return this.#tree.forRange(
      { key, version: 0 },
      { key, version: Number.MAX_SAFE_INTEGER },
      true,
    );
  }

  close(): Promise<void> {
    this.#tree.clear();
    return Promise.resolve();
  }
}
