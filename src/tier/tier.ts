/**
 * The storage tier contract.
 *
 * A tier stores versioned entries for named tables and knows nothing of
 * commits, drops policies or statistics: the store layer above decides what to
 * write and what to erase; a tier does the raw, synchronous work.
 *
 * ## Data model
 *
 * A table holds entries `(key, version) -> value | tombstone`. Keys are bytes,
 * ordered bytewise (a prefix sorts first); versions are non-negative safe
 * integers. A *tombstone* (`value: undefined`) is a stored version that says
 * "the key is absent from here on"; it is a real entry: it occupies storage,
 * is listed by `getAllVersions`, appears in range pages, and is only removed
 * by `drop`.
 *
 * ```
 *   key "a":  v1="x"   v4=tombstone   v9="y"
 *             |------------|-------------|-------->
 *   get(a, 0) -> nothing         get(a, 5) -> tombstone@4
 *   get(a, 3) -> "x"@1           get(a, 9) -> "y"@9
 * ```
 *
 * "Newest at or below version V" is the one visibility rule: for a key, the
 * entry with the highest version <= V, whatever it is (value or tombstone).
 *
 * ## Atomicity
 *
 * `set` writes every table's entries in one atomic step (all or nothing, and
 * for a durable tier, durable together). `drop` erases its pairs in one
 * atomic step. Writing an existing `(key, version)` replaces its value.
 *
 * ## Ownership
 *
 * `set` copies what it keeps: the caller may change or reuse the arrays it
 * passed as soon as `set` returns. Arrays a tier returns are plain
 * `Uint8Array`s (never a Node `Buffer`) that the caller owns and may change.
 *
 * ## Ranges
 *
 * `rangeNext` / `rangeRevNext` return pages of at most `limit` entries, one
 * per key (the key's newest entry at or below the version, tombstones
 * included), in key order (or reverse). A page costs O(limit) seeks however
 * many versions a key holds. The returned cursor resumes after the page's
 * last key; `undefined` means the range is exhausted. A page holding `limit`
 * entries always carries a cursor (the next page may turn out empty); a page
 * holding fewer never does. Keys with no version at or below the read
 * version produce no entry and are stepped over within the page.
 *
 * ## Validation
 *
 * Tiers validate their input (versions, key types, page limits, table names)
 * and throw {@link StoreError}s with stable codes, before touching storage.
 * Failures of the storage itself are `TIER_IO` errors with the original error
 * as `cause`. After `close`, every call throws `STORE_CLOSED`.
 *
 * @module
 */

/** One entry of a table as reads return it. */
export interface TierEntry {
  readonly key: Uint8Array;
  readonly version: number;
  /** The stored value; `undefined` for a tombstone. */
  readonly value: Uint8Array | undefined;
}

/** One stored version of a key, as `getAllVersions` lists it. */
export interface VersionEntry {
  readonly version: number;
  /** The stored value; `undefined` for a tombstone. */
  readonly value: Uint8Array | undefined;
}

/** The size of one stored version, without its bytes. */
export interface VersionSize {
  readonly version: number;
  /** Bytes of the value; `undefined` for a tombstone. */
  readonly valueBytes: number | undefined;
}

/**
 * Told by `set`, once per write and in order, before the write is applied:
 * the key's newest stored version (`newest`) and the version the write
 * replaces (`replaced`, stored at exactly the write's version), each
 * `undefined` when there is none. The store derives its statistics from it.
 */
export type WriteObserver = (
  table: string,
  write: TierWrite,
  newest: VersionSize | undefined,
  replaced: VersionSize | undefined,
) => void;

/** One write of `set`: a value, or a tombstone when `value` is `undefined`. */
export interface TierWrite {
  readonly key: Uint8Array;
  readonly value: Uint8Array | undefined;
}

/** One `(key, version)` pair for `drop` to erase. */
export interface TierDrop {
  readonly key: Uint8Array;
  readonly version: number;
}

/** A range bound: a key and whether it is part of the range. */
export type Bound =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'included'; readonly key: Uint8Array }
  | { readonly kind: 'excluded'; readonly key: Uint8Array };

/** The unbounded bound. */
export const UNBOUNDED: Bound = Object.freeze({ kind: 'unbounded' });

/** Where the next page of a range read starts: strictly after (or before, in reverse) `lastKey`. */
export interface RangeCursor {
  readonly lastKey: Uint8Array;
}

/** One page of a range read. */
export interface RangePage {
  /** At most `limit` entries, one per key, in range order. */
  readonly entries: readonly TierEntry[];
  /** Resume here for the next page; `undefined` when the range is exhausted. */
  readonly cursor: RangeCursor | undefined;
}

/** The name of the table used when a store declares no other: `multi`. */
export const DEFAULT_TABLE = 'multi';

/** The storage tier contract; see the module documentation. */
export interface TierStorage {
  /** `memory` or `sqlite`: which backend this is. */
  readonly kind: string;

  /**
   * The newest entry of `key` at or below `version`, or `undefined`. The
   * entry's `key` is the array the caller passed (not a copy).
   */
  get(table: string, key: Uint8Array, version: number): TierEntry | undefined;

  /**
   * Write every table's entries at `version`, atomically. Creates tables that
   * do not exist yet. Records `version` as seen even when `writes` is empty.
   * With an `observe` callback, tells it what each write finds (see
   * {@link WriteObserver}); if `set` throws, nothing was written and what the
   * observer heard is void.
   */
  set(
    version: number,
    writes: ReadonlyMap<string, readonly TierWrite[]>,
    observe?: WriteObserver,
  ): void;

  /** A page of the range in key order, at `version`. */
  rangeNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage;

  /** A page of the range in reverse key order, at `version`. */
  rangeRevNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage;

  /** Every stored version of `key`, newest first, tombstones included. */
  getAllVersions(table: string, key: Uint8Array): VersionEntry[];

  /** The versions and value sizes of `key`, newest first, without reading the values. */
  getVersionSizes(table: string, key: Uint8Array): VersionSize[];

  /** Physically erase the given `(key, version)` pairs, atomically. Missing pairs are ignored. */
  drop(drops: ReadonlyMap<string, readonly TierDrop[]>): void;

  /** Create the table if it does not exist. */
  ensureTable(table: string): void;

  /** Erase every entry of the table (the table itself remains). */
  clearTable(table: string): void;

  /** Names of every table this tier holds, sorted. */
  tables(): string[];

  /** The highest version ever passed to `set` (0 when none); survives reopening a file. */
  latestVersion(): number;

  /**
   * A setting the store keeps beside its data (its table declarations), or
   * `undefined` when never written. Durable in a file tier.
   */
  readSetting(name: string): string | undefined;

  /** Write a setting, atomically (and durably in a file tier). */
  writeSetting(name: string, value: string): void;

  /** Release resources; every later call throws `STORE_CLOSED`. Closing twice is harmless. */
  close(): void;
}
