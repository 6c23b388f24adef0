/**
 * Range reads: paged through the tier, merged across tables.
 *
 * A range never loads a table. Each table that may hold keys of the range is
 * read one page at a time (`tier.page`, `pageSize` entries per page, one
 * entry per key, so a key with 100,000 versions costs one entry).
 * Tables hold disjoint keys (routing partitions the key space), so the result
 * is a plain merge of sorted streams; tombstones are skipped.
 *
 * ```
 *   multi:    a ─ c ─────── x         (page by page)
 *   sessions:     s:1 ─ s:2           (page by page)
 *   merged:   a ─ c ─ s:1 ─ s:2 ─ x   live keys only
 * ```
 *
 * History is checked too: in a table that erased history above the read
 * version (the version is below its readable floor), the horizons of the
 * range are paged beside the entries, and reaching a key whose horizon
 * refuses the version fails the range with `VERSION_TOO_OLD`, whether the key
 * still has entries or was erased whole. A table that never erased, and any
 * read at the latest version, pays nothing for it.
 *
 * @module
 */

import { type BytesLike, compareBytes, describe, prefixEnd } from '../common/bytes.js';
import { InvalidInputError, VersionTooOldError } from '../common/errors.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import { checkVersion } from '../common/version.js';
import { horizonPages, pages } from '../tier/paging.js';
import {
  type Bound,
  type TierEntry,
  type TierReader,
  type TierSnapshot,
  UNBOUNDED,
} from '../tier/tier.js';
import { BINARY_CODECS, type Codecs } from './encodings.js';
import type { TableRouter } from './routing.js';

/** Which keys a range read covers. `prefix` cannot be combined with `start`/`end`. */
export interface RangeSpec<K = BytesLike> {
  /** First key (included); unbounded when absent. */
  readonly start?: K;
  /** Last key (excluded unless `endInclusive`); unbounded when absent. */
  readonly end?: K;
  readonly endInclusive?: boolean;
  /** Every key whose stored bytes start with the bytes of this one (see the key encodings). */
  readonly prefix?: K;
}

/** How a range read runs. */
export interface RangeOptions {
  /** Read as of this version (default: the latest committed). */
  readonly version?: number;
  /** Descending key order. */
  readonly reverse?: boolean;
  /** Entries fetched per tier page (default 256). */
  readonly pageSize?: number;
}

/** A live key as reads return it. */
export interface StoreEntry<K = Uint8Array, V = Uint8Array> {
  readonly key: K;
  readonly value: V;
  /** The version the value was written at. */
  readonly version: number;
}

/** A validated range: tier bounds plus raw keys for table selection. */
export interface ResolvedRange {
  readonly start: Bound;
  readonly end: Bound;
}

/** The default number of entries per tier page. */
export const DEFAULT_PAGE_SIZE = 256;

const SPEC_PROPERTIES = ['start', 'end', 'endInclusive', 'prefix'];
const OPTION_PROPERTIES = ['version', 'reverse', 'pageSize'];

/** Range options, validated: `version` undefined means the latest. */
export interface ResolvedRangeOptions {
  readonly version: number | undefined;
  readonly reverse: boolean;
  readonly pageSize: number;
}

/** Validate {@link RangeOptions}: an object of known properties, each well-formed. */
export function resolveRangeOptions(options: RangeOptions | undefined): ResolvedRangeOptions {
  if (options === undefined)
    return { version: undefined, reverse: false, pageSize: DEFAULT_PAGE_SIZE };
  if (!isPlainObject(options)) {
    throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`range options`, options));
  }
  rejectUnknownProperties(options, OPTION_PROPERTIES, 'range options', 'INVALID_ARGUMENT');
  const { version, reverse, pageSize } = options;
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `reverse must be a boolean, got ${describe(reverse)}`,
    );
  }
  return {
    version: version === undefined ? undefined : checkVersion(version),
    reverse: reverse === true,
    pageSize: checkPageSize(pageSize),
  };
}

/** Validate a {@link RangeSpec} into tier bounds. */
export function resolveRange(
  spec: RangeSpec<unknown> | undefined,
  codecs: Codecs = BINARY_CODECS,
): ResolvedRange {
  if (spec === undefined) return { start: UNBOUNDED, end: UNBOUNDED };
  if (!isPlainObject(spec)) {
    throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`a range`, spec));
  }
  rejectUnknownProperties(spec, SPEC_PROPERTIES, 'range', 'INVALID_ARGUMENT');
  if (spec.endInclusive !== undefined && typeof spec.endInclusive !== 'boolean') {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `endInclusive must be a boolean, got ${describe(spec.endInclusive)}`,
    );
  }
  if (spec.prefix !== undefined) {
    if (spec.start !== undefined || spec.end !== undefined) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        'a range takes either prefix or start/end, not both',
      );
    }
    const prefix = codecs.key(spec.prefix, 'prefix');
    const end = prefixEnd(prefix);
    return {
      start: { kind: 'included', key: prefix },
      end: end === undefined ? UNBOUNDED : { kind: 'excluded', key: end },
    };
  }
  const start: Bound =
    spec.start === undefined ? UNBOUNDED : { kind: 'included', key: codecs.key(spec.start) };
  if (spec.end === undefined) return { start, end: UNBOUNDED };
  const key = codecs.key(spec.end);
  return { start, end: { kind: spec.endInclusive === true ? 'included' : 'excluded', key } };
}

/** Validate a page size: a positive safe integer. */
export function checkPageSize(pageSize: unknown): number {
  if (pageSize === undefined) return DEFAULT_PAGE_SIZE;
  if (typeof pageSize === 'number' && Number.isSafeInteger(pageSize) && pageSize > 0)
    return pageSize;
  throw new InvalidInputError(
    'INVALID_ARGUMENT',
    `pageSize must be a positive integer, got ${describe(pageSize)}`,
  );
}

/** The raw key of a bound, `undefined` when unbounded. */
export function boundKey(bound: Bound): Uint8Array | undefined {
  return bound.kind === 'unbounded' ? undefined : bound.key;
}

/** What one read of a range needs. */
export interface RangeRead {
  readonly tier: TierReader;
  readonly router: TableRouter;
  readonly range: ResolvedRange;
  readonly version: number;
  readonly reverse: boolean;
  readonly pageSize: number;
}

/** A key whose answer at the read version was erased: reaching it fails the range. */
export interface Refused {
  readonly key: Uint8Array;
  readonly readableFrom: number;
  readonly refused: true;
}

/** What a table's stream yields: entries, and the keys it must refuse, in range order. */
export type Item = TierEntry | Refused;

/**
 * Every live entry of the range, in key order (or reverse), paged through the
 * tier; `VERSION_TOO_OLD` on reaching a key whose history at the version was
 * erased.
 */
export function* readRange(read: RangeRead): Generator<StoreEntry, void, undefined> {
  const tables = read.router.tablesMeeting(boundKey(read.range.start), boundKey(read.range.end));
  const streams = tables.map((table) => new Head(tableItems(read, table.name)));
  const direction = read.reverse ? -1 : 1;
  for (;;) {
    let best: Head | undefined;
    for (const stream of streams) {
      if (stream.entry === undefined) continue;
      if (
        best?.entry === undefined ||
        direction * compareBytes(stream.entry.key, best.entry.key) < 0
      ) {
        best = stream;
      }
    }
    const item = best?.advance();
    if (item === undefined) return;
    if ('refused' in item) throw new VersionTooOldError(read.version, item.readableFrom, item.key);
    if (item.value !== undefined) yield { key: item.key, value: item.value, version: item.version };
  }
}

/** A stream with its next item looked at. */
class Head {
  readonly #stream: Iterator<Item>;
  entry: Item | undefined;

  constructor(stream: Iterable<Item>) {
    this.#stream = stream[Symbol.iterator]();
    this.entry = this.#pull();
  }

  /** Return the current item and look at the next one. */
  advance(): Item | undefined {
    const entry = this.entry;
    this.entry = this.#pull();
    return entry;
  }

  #pull(): Item | undefined {
    const next = this.#stream.next();
    return next.done === true ? undefined : next.value;
  }
}

/**
 * One table's part of the range: its entries, merged with the keys whose
 * horizon refuses the version when the table erased history above it (a
 * refused key comes before its entry, if it has one).
 */
function* tableItems(read: RangeRead, table: string): Generator<Item, void, undefined> {
  const entries = tablePages(read, table);
  if (read.version >= read.tier.readableFloor(table)) {
    yield* entries;
    return;
  }
  const refusals = new Head(refusedKeys(read, table));
  const direction = read.reverse ? -1 : 1;
  for (const entry of entries) {
    while (
      refusals.entry !== undefined &&
      direction * compareBytes(refusals.entry.key, entry.key) <= 0
    )
      yield refusals.advance() as Refused;
    yield entry;
  }
  while (refusals.entry !== undefined) yield refusals.advance() as Refused;
}

/** The keys of one table's part of the range whose horizon refuses the read version. */
function* refusedKeys(read: RangeRead, table: string): Generator<Refused, void, undefined> {
  const { tier, range, version, pageSize, reverse } = read;
  const request = { start: range.start, end: range.end, version, limit: pageSize, reverse };
  for (const page of horizonPages(tier, table, request)) {
    for (const { key, horizon } of page.entries) {
      if (horizon.erasedFrom <= version)
        yield { key, readableFrom: horizon.readableFrom, refused: true };
    }
  }
}

/** Every entry (tombstones included) of one table's part of the range, a page at a time. */
function* tablePages(read: RangeRead, table: string): Generator<TierEntry, void, undefined> {
  const { tier, range, version, pageSize, reverse } = read;
  const request = { start: range.start, end: range.end, version, limit: pageSize, reverse };
  for (const page of pages(tier, table, request)) yield* page.entries;
}

/** Snapshots of reads abandoned before their end, released when the iterator is collected. */
const abandoned = new FinalizationRegistry<{ snapshot?: TierSnapshot | undefined }>((held) =>
  held.snapshot?.release(),
);

/**
 * A read in one snapshot of a tier that can change behind the store (a
 * read-only store beside a writer): the snapshot is taken at the first
 * `next()`, so everything `read` reads through the tier it is given shows
 * one committed state, and released when the read ends, on `return()` /
 * `throw()`, or once an abandoned iterator is garbage-collected. Every
 * `next()` first runs `assertOpen`: once the store is being closed, each
 * refuses (as a writer's snapshot ranges do) instead of reading on until
 * its tier closes.
 */
export function readInSnapshot<T>(
  snapshots: { snapshot(): TierSnapshot },
  read: (tier: TierReader) => Iterator<T>,
  assertOpen: () => void,
): IterableIterator<T> {
  const held: { snapshot?: TierSnapshot | undefined } = {};
  const generator = inSnapshot(snapshots, read, held);
  const iterator: IterableIterator<T> = {
    next: () => {
      try {
        assertOpen();
      } catch (error) {
        generator.return();
        throw error;
      }
      return generator.next();
    },
    return: (value?: unknown) => generator.return(value as undefined),
    throw: (error?: unknown) => generator.throw(error),
    [Symbol.iterator]: () => iterator,
  };
  abandoned.register(iterator, held);
  return iterator;
}

function* inSnapshot<T>(
  snapshots: { snapshot(): TierSnapshot },
  read: (tier: TierReader) => Iterator<T>,
  held: { snapshot?: TierSnapshot | undefined },
): Generator<T, void, undefined> {
  const snapshot = snapshots.snapshot();
  held.snapshot = snapshot;
  try {
    yield* { [Symbol.iterator]: () => read(snapshot.tier) };
  } finally {
    held.snapshot = undefined;
    snapshot.release();
  }
}

/**
 * A range read in one snapshot (see {@link readInSnapshot}), at `version`
 * (the snapshot's latest when absent).
 */
export function readRangeInSnapshot(
  snapshots: { snapshot(): TierSnapshot },
  read: Omit<RangeRead, 'tier' | 'version'> & { readonly version: number | undefined },
  assertOpen: () => void,
): IterableIterator<StoreEntry> {
  return readInSnapshot(
    snapshots,
    (tier) => readRange({ ...read, tier, version: read.version ?? tier.latestVersion() }),
    assertOpen,
  );
}
