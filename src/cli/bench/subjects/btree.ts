/**
 * The memory peer: one `sorted-btree` B+ tree keyed by (key, version).
 *
 * The composite key orders by key bytes, then version, so a key's versions
 * are adjacent and ascending; every operation is a seek or a short walk:
 *
 * ```
 *   get(k, V)     getPairOrNextLower((k, V)), then check the key is k
 *   scan at V     per key: getPairOrNextLower((k, V)), then nextHigherPair((k, max)) to the next key
 *   dropOld(k)    deleteRange([(k, 0), (k, newest))) after one reverse seek
 * ```
 *
 * This is the plain, well-known way to keep versions in an ordered map, with
 * no extra index: the bar multistore's memory tier is measured against. The
 * scan skips from key to key with two seeks rather than walking every
 * version: with about 20 versions per key that measured twice as fast.
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

/** Bytewise order, a shorter prefix first. */
function compareBytes(x: Uint8Array, y: Uint8Array): number {
  if (x === y) return 0;
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - (y[i] as number);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Key bytes first, then version. */
function compareVersionedKeys(a: VersionedKey, b: VersionedKey): number {
  return compareBytes(a.key, b.key) || a.version - b.version;
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
    if (pair === undefined || compareBytes(pair[0].key, key) !== 0 || pair[1].length === 0)
      return -1;
    return pair[0].version;
  }

  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): ScanResult {
    let entries = 0;
    let versionSum = 0;
    let next = this.#tree.getPairOrNextHigher({ key: start, version: 0 });
    while (next !== undefined && (end === undefined || compareBytes(next[0].key, end) < 0)) {
      const key = next[0].key;
      const visible = this.#tree.getPairOrNextLower({ key, version });
      if (
        visible !== undefined &&
        compareBytes(visible[0].key, key) === 0 &&
        visible[1].length > 0
      ) {
        entries++;
        versionSum += visible[0].version;
      }
      next = this.#tree.nextHigherPair({ key, version: Number.MAX_SAFE_INTEGER });
    }
    return { entries, versionSum };
  }

  dropOld(keys: readonly Uint8Array[]): void {
    for (const key of keys) {
      const newest = this.#tree.getPairOrNextLower({ key, version: Number.MAX_SAFE_INTEGER });
      if (newest === undefined || compareBytes(newest[0].key, key) !== 0) continue;
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
