/**
 * The data types of the tier contract.
 *
 * The contract itself (what every method must do, how validation, closing
 * and failures work, and how to write a backend) is documented in one place:
 * `AbstractTier` (abstract-tier.ts). This module holds only the shapes
 * that cross it.
 *
 * ```
 *   key "a":  v1="x"   v4=tombstone   v9="y"        entries (key, version) -> value | tombstone
 *             |------------|-------------|-------->
 *   get(a, 3) -> "x"@1     get(a, 5) -> tombstone@4     get(a, 0) -> nothing
 * ```
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

/**
 * What `set` trims in its own step (see "Trimming on set" in
 * abstract-tier.ts): per table, how many versions each key written there
 * keeps. A tier that does not trim (`trimsOnSet` false) is never given one.
 */
export interface TierRetention {
  /** Per table name, a positive safe integer N: each key written there keeps its N highest versions. */
  readonly keep: ReadonlyMap<string, number>;
  /**
   * Told, inside the step, once per key a write left with more than N
   * versions, after that write and before `change.figures` is called: the
   * erased versions (ascending, with their sizes) and the horizon recorded
   * for them (`erasedFrom` the oldest erased, `readableFrom` the oldest kept).
   */
  readonly trimmed: TrimObserver;
}

/** See {@link TierRetention.trimmed}. */
export type TrimObserver = (
  table: string,
  key: Uint8Array,
  erased: readonly VersionSize[],
  horizon: Horizon,
) => void;

/** One `(key, version)` pair for `drop` to erase. */
export interface TierDrop {
  readonly key: Uint8Array;
  readonly version: number;
}

/**
 * One key whose oldest versions `drop` erases (see "Erasing oldest versions"
 * in abstract-tier.ts): every stored version below `below`.
 */
export interface TierPrefixErasure {
  readonly key: Uint8Array;
  /** Erase every stored version strictly below this one (a safe integer). */
  readonly below: number;
}

/**
 * Told, inside a `drop` step, of each version a {@link TierPrefixErasure}
 * erased, key by key and ascending within a key, before `change.figures` is
 * called: the erasure it was asked in (the same object), the version and
 * its value size (`undefined`: a tombstone).
 */
export type PrefixObserver<E extends TierPrefixErasure = TierPrefixErasure> = (
  table: string,
  erasure: E,
  version: number,
  valueBytes: number | undefined,
) => void;

/** What `drop` erases key by key: per table, the keys and their bounds; and who hears what went. */
export interface TierPrefixDrops<E extends TierPrefixErasure = TierPrefixErasure> {
  readonly keys: ReadonlyMap<string, readonly E[]>;
  readonly erased: PrefixObserver<E>;
}

/**
 * The versions of one key whose reads an erasure changed: reads at versions
 * in `[erasedFrom, readableFrom)` must be refused (`VERSION_TOO_OLD`), reads
 * below `erasedFrom` or from `readableFrom` on answer from the stored
 * entries as usual.
 */
export interface Horizon {
  /** The oldest erased version. */
  readonly erasedFrom: number;
  /** The oldest version that can be read again; greater than `erasedFrom`. */
  readonly readableFrom: number;
}

/** A key and its horizon. */
export interface HorizonEntry {
  readonly key: Uint8Array;
  readonly horizon: Horizon;
}

/** Per table name, a version to raise the table's erased top to (see abstract-tier.ts). */
export type TierErasedTops = ReadonlyMap<string, number>;

/** What `drop` records besides its erasures: per table name, horizons to widen. */
export type TierHorizons = ReadonlyMap<string, readonly HorizonEntry[]>;

/** One page of `horizonPage`: the keys whose horizon reaches above the page's version. */
export interface HorizonPage {
  /** At most `limit` entries, one per key, in range order. */
  readonly entries: readonly HorizonEntry[];
  /** Resume here for the next page; `undefined` when the range is exhausted. */
  readonly cursor: RangeCursor | undefined;
}

/** The horizon page with nothing in it. */
export const EMPTY_HORIZON_PAGE: HorizonPage = Object.freeze({
  entries: Object.freeze([]) as readonly HorizonEntry[],
  cursor: undefined,
});

/** What `set` writes: per table name, the writes of that table. */
export type TierWrites = ReadonlyMap<string, readonly TierWrite[]>;

/** What `drop` erases: per table name, the pairs of that table. */
export type TierDrops = ReadonlyMap<string, readonly TierDrop[]>;

/**
 * Counts and bytes of one table: the store's statistics figures, as a tier
 * keeps them beside the data (see "Store state" in abstract-tier.ts).
 */
export interface TableFigures {
  readonly currentCount: number;
  readonly currentKeyBytes: number;
  readonly currentValueBytes: number;
  readonly historicalCount: number;
  readonly historicalKeyBytes: number;
  readonly historicalValueBytes: number;
}

/** The names of the fields of {@link TableFigures}, in a fixed order. */
export const FIGURE_FIELDS = Object.freeze([
  'currentCount',
  'currentKeyBytes',
  'currentValueBytes',
  'historicalCount',
  'historicalKeyBytes',
  'historicalValueBytes',
] as const);

/**
 * One record of the store's log (its acknowledged, not yet applied drop
 * requests): bytes only the store reads, under a sequence number that orders
 * the records.
 */
export interface LogRecord {
  /** A non-negative safe integer; records are read back in increasing order. */
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/**
 * What the store keeps beside its data, changed in the same atomic step as a
 * `set` or a `drop` (and durable with it in a file tier).
 */
export interface StateChange {
  /**
   * The figures of the tables the step changes, as they are after it. The
   * tier calls it once, inside the step, after the writes (and after every
   * call of the write observer), and keeps what it returns.
   */
  readonly figures?: (() => ReadonlyMap<string, TableFigures>) | undefined;
  /** Records to keep: added, or replacing the kept record of the same `seq`. */
  readonly log?: readonly LogRecord[] | undefined;
  /** `seq`s of kept records to forget (unknown ones are ignored). */
  readonly forget?: readonly number[] | undefined;
  /**
   * Erased tops to raise (`drop` only; `set` refuses them): per table, the
   * highest version at which the step's erasures changed its history (the
   * module documentation of abstract-tier.ts). A top only rises.
   */
  readonly erasedTops?: TierErasedTops | undefined;
}

/**
 * A consistent view of a tier, from {@link AbstractTier.snapshot}: read it
 * through `tier`, then `release` it (once; releasing twice is harmless).
 */
export interface TierSnapshot {
  readonly tier: TierReader;
  release(): void;
}

/** The read methods of a tier (`AbstractTier` has them; so does a {@link TierSnapshot}). */
export interface TierReader {
  get(table: string, key: Uint8Array, version: number): TierEntry | undefined;
  page(table: string, request: PageRequest): RangePage;
  getAllVersions(table: string, key: Uint8Array): VersionEntry[];
  getVersionSizes(table: string, key: Uint8Array): VersionSize[];
  horizon(table: string, key: Uint8Array): Horizon | undefined;
  readableFloor(table: string): number;
  erasedTop(table: string): number;
  horizonPage(table: string, request: PageRequest): HorizonPage;
  changePage(table: string, request: ChangeRequest): ChangePage;
  tables(): string[];
  latestVersion(): number;
  readFigures(): Map<string, TableFigures>;
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

/** What `AbstractTier.page` reads: one page of a key range at a version. */
export interface PageRequest {
  /** The first key of the range; unbounded when absent. */
  readonly start?: Bound | undefined;
  /** The last key of the range; unbounded when absent. */
  readonly end?: Bound | undefined;
  /** Read as of this version: each key's newest entry at or below it. */
  readonly version: number;
  /** Most entries in the page: a positive safe integer. */
  readonly limit: number;
  /** Resume after the previous page (its `cursor`); from the range's edge when absent. */
  readonly cursor?: RangeCursor | undefined;
  /** Walk in descending key order (default: ascending). */
  readonly reverse?: boolean | undefined;
}

/** A {@link PageRequest} as a backend's `_page` receives it: checked, every field present. */
export interface PageQuery {
  readonly start: Bound;
  readonly end: Bound;
  readonly version: number;
  readonly limit: number;
  readonly cursor: RangeCursor | undefined;
  readonly reverse: boolean;
}

/** One page of a range read. */
export interface RangePage {
  /** At most `limit` entries, one per key, in range order. */
  readonly entries: readonly TierEntry[];
  /** Resume here for the next page; `undefined` when the range is exhausted. */
  readonly cursor: RangeCursor | undefined;
}

/** The page of a range with nothing in it. */
export const EMPTY_PAGE: RangePage = Object.freeze({
  entries: Object.freeze([]) as readonly TierEntry[],
  cursor: undefined,
});

/**
 * What `compact` reports: the size of the tier's storage before and after,
 * in bytes, or `undefined` for a tier with no storage to measure (memory).
 */
export interface CompactResult {
  readonly bytesBefore: number | undefined;
  readonly bytesAfter: number | undefined;
}

/** The name of the table used when a store declares no other: `multi`. */
export const DEFAULT_TABLE = 'multi';

/**
 * Where the next page of a change read starts: strictly after the write of
 * `lastKey` at `lastVersion`, in (version, key) order.
 */
export interface ChangeCursor {
  readonly lastVersion: number;
  readonly lastKey: Uint8Array;
}

/**
 * What `AbstractTier.changePage` reads: one page of the stored writes of a
 * key range whose version is above `from` and at most `to`, in (version, key)
 * order.
 */
export interface ChangeRequest {
  /** The first key of the range; unbounded when absent. */
  readonly start?: Bound | undefined;
  /** The last key of the range; unbounded when absent. */
  readonly end?: Bound | undefined;
  /** Writes strictly above this version; absent: every write, version 0 included. */
  readonly from?: number | undefined;
  /** Writes at or below this version. */
  readonly to: number;
  /** Most entries in the page: a positive safe integer. */
  readonly limit: number;
  /** Resume after the previous page (its `cursor`); from `from` when absent. */
  readonly cursor?: ChangeCursor | undefined;
}

/**
 * A {@link ChangeRequest} as a backend's `_changePage` receives it: checked,
 * every field present; `from` is -1 when the request had none (so that
 * `version > from` holds for every version).
 */
export interface ChangeQuery {
  readonly start: Bound;
  readonly end: Bound;
  readonly from: number;
  readonly to: number;
  readonly limit: number;
  readonly cursor: ChangeCursor | undefined;
}

/** One page of a change read: stored writes (tombstones included), oldest version first. */
export interface ChangePage {
  /** At most `limit` entries, in (version, key) order. */
  readonly entries: readonly TierEntry[];
  /** Resume here for the next page; `undefined` when the range is exhausted. */
  readonly cursor: ChangeCursor | undefined;
}

/** The change page with nothing in it. */
export const EMPTY_CHANGE_PAGE: ChangePage = Object.freeze({
  entries: Object.freeze([]) as readonly TierEntry[],
  cursor: undefined,
});
