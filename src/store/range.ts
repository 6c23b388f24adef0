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
 * @module
 */

import {
  type BytesLike,
  compareBytes,
  describe,
  prefixEnd,
  toOwnedBytes,
} from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { rejectUnknownProperties } from '../common/properties.js';
import { checkVersion } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages } from '../tier/paging.js';
import { type Bound, type TierEntry, UNBOUNDED } from '../tier/tier.js';
import type { TableRouter } from './routing.js';

/** Which keys a range read covers. `prefix` cannot be combined with `start`/`end`. */
export interface RangeSpec {
  /** First key (included); unbounded when absent. */
  readonly start?: BytesLike;
  /** Last key (excluded unless `endInclusive`); unbounded when absent. */
  readonly end?: BytesLike;
  readonly endInclusive?: boolean;
  /** Every key starting with these bytes. */
  readonly prefix?: BytesLike;
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
export interface StoreEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
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
  if (typeof options !== 'object' || options === null) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `range options must be an object, got ${describe(options)}`,
    );
  }
  rejectUnknownProperties(options, OPTION_PROPERTIES, 'range options', 'INVALID_ARGUMENT');
  const { version, reverse, pageSize } = options;
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new InvalidInputError('INVALID_ARGUMENT', 'reverse must be a boolean');
  }
  return {
    version: version === undefined ? undefined : checkVersion(version),
    reverse: reverse === true,
    pageSize: checkPageSize(pageSize),
  };
}

/** Validate a {@link RangeSpec} into tier bounds. */
export function resolveRange(spec: RangeSpec | undefined): ResolvedRange {
  if (spec === undefined) return { start: UNBOUNDED, end: UNBOUNDED };
  if (typeof spec !== 'object' || spec === null) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `a range must be an object, got ${describe(spec)}`,
    );
  }
  rejectUnknownProperties(spec, SPEC_PROPERTIES, 'range', 'INVALID_ARGUMENT');
  if (spec.endInclusive !== undefined && typeof spec.endInclusive !== 'boolean') {
    throw new InvalidInputError('INVALID_ARGUMENT', 'endInclusive must be a boolean');
  }
  if (spec.prefix !== undefined) {
    if (spec.start !== undefined || spec.end !== undefined) {
      throw new InvalidInputError(
        'INVALID_ARGUMENT',
        'a range takes either prefix or start/end, not both',
      );
    }
    const prefix = toOwnedBytes(spec.prefix, 'prefix');
    const end = prefixEnd(prefix);
    return {
      start: { kind: 'included', key: prefix },
      end: end === undefined ? UNBOUNDED : { kind: 'excluded', key: end },
    };
  }
  const start: Bound =
    spec.start === undefined
      ? UNBOUNDED
      : { kind: 'included', key: toOwnedBytes(spec.start, 'key') };
  if (spec.end === undefined) return { start, end: UNBOUNDED };
  const key = toOwnedBytes(spec.end, 'key');
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
  readonly tier: AbstractTier;
  readonly router: TableRouter;
  readonly range: ResolvedRange;
  readonly version: number;
  readonly reverse: boolean;
  readonly pageSize: number;
}

/** Every live entry of the range, in key order (or reverse), paged through the tier. */
export function* readRange(read: RangeRead): Generator<StoreEntry, void, undefined> {
  const tables = read.router.tablesMeeting(boundKey(read.range.start), boundKey(read.range.end));
  const streams = tables.map((table) => new Head(tablePages(read, table.name)));
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
    const entry = best?.advance();
    if (entry === undefined) return;
    if (entry.value !== undefined)
      yield { key: entry.key, value: entry.value, version: entry.version };
  }
}

/** A stream with its next entry looked at. */
class Head {
  readonly #stream: Iterator<TierEntry>;
  entry: TierEntry | undefined;

  constructor(stream: Iterable<TierEntry>) {
    this.#stream = stream[Symbol.iterator]();
    this.entry = this.#pull();
  }

  /** Return the current entry and look at the next one. */
  advance(): TierEntry | undefined {
    const entry = this.entry;
    this.entry = this.#pull();
    return entry;
  }

  #pull(): TierEntry | undefined {
    const next = this.#stream.next();
    return next.done === true ? undefined : next.value;
  }
}

/** Every entry (tombstones included) of one table's part of the range, a page at a time. */
function* tablePages(read: RangeRead, table: string): Generator<TierEntry, void, undefined> {
  const { tier, range, version, pageSize, reverse } = read;
  const request = { start: range.start, end: range.end, version, limit: pageSize, reverse };
  for (const page of pages(tier, table, request)) yield* page.entries;
}
