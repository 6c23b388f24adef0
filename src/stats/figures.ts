/**
 * Storage figures: what a table holds, in counts and bytes.
 *
 * Every stored version is counted in exactly one of two categories:
 *
 * ```
 *   key "a":  v1="x"  v2="yy"  v3=tombstone  v4="zzz"
 *             hist     hist      hist          current      <- newest, a value
 *   key "b":  v1="q"  v2=tombstone
 *             hist     hist                                  <- newest is a tombstone
 * ```
 *
 * *current* is the newest version of a key when it is a value: what a read at
 * the latest version sees. Everything else (older versions, tombstones) is
 * *historical*. The key bytes of one stored version are `key.length + 10`
 * (an 8-byte version and a 2-byte separator, as a versioned key is laid out);
 * a tombstone has key bytes and no value bytes.
 *
 * @module
 */

import type { StatsCategory } from '../event/events.js';
import type { TableFigures } from '../tier/tier.js';

/**
 * Counts and bytes of one table (or of all tables summed): `currentCount`,
 * `currentKeyBytes`, `currentValueBytes`, `historicalCount`,
 * `historicalKeyBytes`, `historicalValueBytes`. The tiers keep the same shape
 * (`TableFigures`) beside the data.
 */
export type StorageFigures = TableFigures;

/** Figures per table and summed over all tables. */
export interface StorageStats {
  readonly total: StorageFigures;
  readonly tables: Readonly<Record<string, StorageFigures>>;
}

/** Bytes a stored version's key occupies: the key plus its version suffix. */
export const VERSIONED_KEY_OVERHEAD = 10;

/** Key bytes of one stored version of `key`. */
export function versionedKeyBytes(key: Uint8Array): number {
  return key.length + VERSIONED_KEY_OVERHEAD;
}

/** Mutable figures of one table, updated by the tracker. */
export class FigureCounter {
  currentCount = 0;
  currentKeyBytes = 0;
  currentValueBytes = 0;
  historicalCount = 0;
  historicalKeyBytes = 0;
  historicalValueBytes = 0;

  /** Count one version (`sign` +1) or stop counting it (`sign` -1) in `category`. */
  apply(category: StatsCategory, keyBytes: number, valueBytes: number, sign: 1 | -1): void {
    if (category === 'current') {
      this.currentCount += sign;
      this.currentKeyBytes += sign * keyBytes;
      this.currentValueBytes += sign * valueBytes;
    } else {
      this.historicalCount += sign;
      this.historicalKeyBytes += sign * keyBytes;
      this.historicalValueBytes += sign * valueBytes;
    }
  }

  /** Add another table's figures (for totals). */
  add(other: StorageFigures): void {
    this.currentCount += other.currentCount;
    this.currentKeyBytes += other.currentKeyBytes;
    this.currentValueBytes += other.currentValueBytes;
    this.historicalCount += other.historicalCount;
    this.historicalKeyBytes += other.historicalKeyBytes;
    this.historicalValueBytes += other.historicalValueBytes;
  }

  /** A frozen copy. */
  snapshot(): StorageFigures {
    return Object.freeze({
      currentCount: this.currentCount,
      currentKeyBytes: this.currentKeyBytes,
      currentValueBytes: this.currentValueBytes,
      historicalCount: this.historicalCount,
      historicalKeyBytes: this.historicalKeyBytes,
      historicalValueBytes: this.historicalValueBytes,
    });
  }
}

/** Figures of an empty table. */
export const EMPTY_FIGURES: StorageFigures = new FigureCounter().snapshot();
