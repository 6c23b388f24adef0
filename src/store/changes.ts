/**
 * History between two versions: the change feed and diffs.
 *
 * Both read the tiers' index by version (`tier.changePage`, see "Changes" in
 * abstract-tier.ts), never every key of a range:
 *
 * ```
 *   changes(from, to)   every stored write with from < version <= to, merged
 *                       across tables in (version, key) order, grouped by version:
 *                         multi:     a@3  c@3        x@9
 *                         sessions:            s:1@5
 *                         feed:      {3: a c}  {5: s:1}  {9: x}
 *   diff(a, b)          the keys written in (min, max], plus the keys whose
 *                       erased history reaches into it, each read at a and at b
 *                       (history-checked): those whose value differs, in key order
 * ```
 *
 * So a feed costs O(writes returned) (plus the writes of the same tables in
 * the interval that the key bounds filter out) and a diff O(keys written
 * between the versions), memory O(keys written) for the diff's sort.
 *
 * ## Erased history
 *
 * A feed must never skip what drops erased: a write in `(from, to]` that is
 * gone, or a deletion taking effect there (a drop deleting a key is no
 * write, so it is in no feed). Erasing what lies at or below `from` costs
 * the feed nothing: its consumer already holds the state at `from`.
 *
 * Drops erase a prefix of a key's versions and record the horizon
 * `[erasedFrom, readableFrom)` of reads they changed (transaction/erasure.ts),
 * and raise the table's **erased top**: the highest version at which an
 * erasure changed its history (an erased version, or a deletion's commit
 * version). A table is skipped, without looking at a key, when `from` is at
 * or above its erased top (nothing it would list was erased, no deletion
 * lies above `from`) or its readable floor (its highest `readableFrom`:
 * every erasure lies below it); both are constant time. So a consumer that
 * keeps up with a retention table, which erases all the time but only
 * versions the consumer already followed past, is never refused:
 *
 * ```
 *   s:1   v1 (erased)   v2 (kept)        erased top 1, floor 2
 *   changes({ from: 1 })    1 >= top: accepted, lists v2
 *   changes({ from: 0 })    refused: v1 is in (0, 2] and gone
 * ```
 *
 * Otherwise the table's horizons above `from` are paged (`horizonPage`), and
 * the feed is refused (`VERSION_TOO_OLD`) when a key of the range has a
 * horizon with `readableFrom > from` and `erasedFrom <= to`: erased versions
 * or a deletion may lie in the interval (a horizon does not say which of its
 * versions were writes, so it is taken whole). The error's `readableFrom` is
 * the highest floor of the range's tables: every key of the range can be
 * read there, and a feed from there is accepted.
 *
 * The iterator holds snapshots at `from` and `to` while it runs (see
 * snapshot-range.ts), and checks the horizons again before it hands out a
 * version if a drop recorded horizons meanwhile: an erasure it cannot hold
 * back (of versions of a key that did not exist yet at `from`) fails it
 * rather than shortens it.
 *
 * @module
 */

import { type BytesLike, bytesToBinaryString, compareBytes, equalBytes } from '../common/bytes.js';
import { InvalidInputError, VersionTooOldError } from '../common/errors.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import { checkVersion } from '../common/version.js';
import { compareChanges } from '../tier/changes.js';
import { changePages, horizonPages } from '../tier/paging.js';
import type { TierEntry } from '../tier/tier.js';
import { BINARY_CODECS, type Codecs } from './encodings.js';
import type { HistoryReads } from './history-reads.js';
import {
  boundKey,
  checkPageSize,
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
} from './range.js';

/**
 * What `store.changes` reads: a key range (as for `range`: keys of the
 * store's key encoding) and a version interval.
 */
export interface ChangeOptions<K = BytesLike> extends RangeSpec<K> {
  /** Writes strictly above this version (default: every write, version 0 included). */
  readonly from?: number;
  /** Writes at or below this version (default, and at most: the latest committed). */
  readonly to?: number;
  /** Writes fetched per tier page (default 256). */
  readonly pageSize?: number;
}

/**
 * One stored write of a change: a value, or a tombstone (`value` undefined),
 * decoded by the store's encodings as reads are.
 */
export interface ChangeWrite<K = Uint8Array, V = Uint8Array> {
  readonly key: K;
  /** The value written, or `undefined` for a tombstone (`unset` or `remove`). */
  readonly value: V | undefined;
  /** The table the key belongs to. */
  readonly table: string;
}

/** The stored writes of one commit version, in key order (the order of the stored bytes). */
export interface Change<K = Uint8Array, V = Uint8Array> {
  readonly version: number;
  readonly writes: readonly ChangeWrite<K, V>[];
}

/** What `store.diff` compares: a key range (as for `range`), its order and page size. */
export interface DiffOptions<K = BytesLike> extends RangeSpec<K> {
  /** Descending key order. */
  readonly reverse?: boolean;
  /** Writes (and horizons) fetched per tier page (default 256). */
  readonly pageSize?: number;
}

/** A key whose visible value differs between the two versions of a diff (decoded as reads are). */
export interface DiffEntry<K = Uint8Array, V = Uint8Array> {
  readonly key: K;
  /** The value at the first version, `undefined` when absent there. */
  readonly before: V | undefined;
  /** The value at the second version, `undefined` when absent there. */
  readonly after: V | undefined;
}

const RANGE_PROPERTIES = ['start', 'end', 'endInclusive', 'prefix'];

/** {@link ChangeOptions}, validated. */
export interface ResolvedChanges {
  readonly range: ResolvedRange;
  /** -1 when absent: every version is above it. */
  readonly from: number;
  readonly to: number | undefined;
  readonly pageSize: number;
}

/**
 * Validate {@link ChangeOptions}, its keys through `codecs` (as `range`
 * does); `from` above an explicit `to` is `INVALID_ARGUMENT`.
 */
export function resolveChangeOptions(
  options: ChangeOptions<unknown> | undefined,
  codecs: Codecs = BINARY_CODECS,
): ResolvedChanges {
  const given = optionsObject(options, 'change options');
  rejectUnknownProperties(
    given,
    [...RANGE_PROPERTIES, 'from', 'to', 'pageSize'],
    'change options',
    'INVALID_ARGUMENT',
  );
  const { from, to, pageSize, ...spec } = given as ChangeOptions<unknown>;
  const lower = from === undefined ? -1 : checkVersion(from, 'from');
  const upper = to === undefined ? undefined : checkVersion(to, 'to');
  if (upper !== undefined && lower > upper) {
    throw new InvalidInputError(
      'INVALID_ARGUMENT',
      `from (${lower}) must not be above to (${upper})`,
    );
  }
  return {
    range: resolveRange(spec, codecs),
    from: lower,
    to: upper,
    pageSize: checkPageSize(pageSize),
  };
}

/** {@link DiffOptions}, validated. */
export interface ResolvedDiff {
  readonly range: ResolvedRange;
  readonly reverse: boolean;
  readonly pageSize: number;
}

/** Validate {@link DiffOptions}, its keys through `codecs` (as `range` does). */
export function resolveDiffOptions(
  options: DiffOptions<unknown> | undefined,
  codecs: Codecs = BINARY_CODECS,
): ResolvedDiff {
  const given = optionsObject(options, 'diff options');
  rejectUnknownProperties(
    given,
    [...RANGE_PROPERTIES, 'reverse', 'pageSize'],
    'diff options',
    'INVALID_ARGUMENT',
  );
  const { reverse, pageSize, ...spec } = given as DiffOptions<unknown>;
  if (reverse !== undefined && typeof reverse !== 'boolean') {
    throw new InvalidInputError('INVALID_ARGUMENT', 'reverse must be a boolean');
  }
  return {
    range: resolveRange(spec, codecs),
    reverse: reverse === true,
    pageSize: checkPageSize(pageSize),
  };
}

function optionsObject(options: unknown, what: string): object {
  if (options === undefined) return {};
  if (isPlainObject(options)) return options;
  throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`${what}`, options));
}

/** One history read: the interval `(from, to]` of a range. */
export interface HistoryRead {
  readonly reads: HistoryReads;
  readonly range: ResolvedRange;
  /** -1: from the very first write (version 0 included). */
  readonly from: number;
  readonly to: number;
  readonly pageSize: number;
}

/**
 * Throw `VERSION_TOO_OLD` when erased history of the range may reach into
 * `(from, to]` (see the module documentation).
 */
export function checkHistory(read: HistoryRead): void {
  if (read.from >= read.to) return;
  const { tier } = read.reads;
  let refused: Uint8Array | undefined;
  let resume = 0;
  for (const table of tablesOf(read)) {
    const floor = tier.readableFloor(table);
    if (read.from >= floor || read.from >= tier.erasedTop(table)) continue;
    const key = refusedKey(read, table);
    if (key === undefined) continue;
    refused ??= key;
    resume = Math.max(resume, floor);
  }
  if (refused !== undefined) throw new VersionTooOldError(Math.max(0, read.from), resume, refused);
}

/** The first key of the table's part of the range whose horizon refuses the interval. */
function refusedKey(read: HistoryRead, table: string): Uint8Array | undefined {
  for (const { key } of refusingHorizons(read, table)) return key;
  return undefined;
}

/** The horizons of the table's part of the range that reach into the interval. */
function* refusingHorizons(read: HistoryRead, table: string): Generator<{ key: Uint8Array }> {
  const { range, from, to, pageSize } = read;
  // readableFrom > 0 is readableFrom > -1: a horizon's readableFrom is above its erasedFrom.
  const version = Math.max(0, from);
  const request = { start: range.start, end: range.end, version, limit: pageSize };
  for (const page of horizonPages(read.reads.tier, table, request)) {
    for (const entry of page.entries) if (entry.horizon.erasedFrom <= to) yield entry;
  }
}

function tablesOf(read: HistoryRead): string[] {
  const { start, end } = read.range;
  return read.reads.router.tablesMeeting(boundKey(start), boundKey(end)).map((t) => t.name);
}

/** A stored write and its table. */
interface TableWrite extends TierEntry {
  readonly table: string;
}

/** Every stored write of one table's part of the interval, page by page. */
function* tableChanges(read: HistoryRead, table: string): Generator<TableWrite, void, undefined> {
  const { range, from, to, pageSize } = read;
  const request = {
    start: range.start,
    end: range.end,
    from: from < 0 ? undefined : from,
    to,
    limit: pageSize,
  };
  for (const page of changePages(read.reads.tier, table, request)) {
    for (const entry of page.entries) yield { ...entry, table };
  }
}

/** Every stored write of the interval, merged across tables in (version, key) order. */
function* mergedChanges(read: HistoryRead): Generator<TableWrite, void, undefined> {
  const heads = tablesOf(read).map((table) => new Head(tableChanges(read, table)));
  for (;;) {
    let best: Head | undefined;
    for (const head of heads) {
      if (head.item === undefined) continue;
      if (best?.item === undefined || compareChanges(head.item, best.item) < 0) best = head;
    }
    const item = best?.advance();
    if (item === undefined) return;
    yield item;
  }
}

/**
 * The change feed of the interval: one {@link Change} per version, its
 * writes in key order; refused as a whole, before anything is handed out,
 * when erased history reaches into it, and checked again after any erasure
 * recorded while it runs.
 */
export function* readChanges(read: HistoryRead): Generator<Change, void, undefined> {
  checkHistory(read);
  let erasures = read.reads.erasures;
  let current: { version: number; writes: ChangeWrite[] } | undefined;
  for (const { key, version, value, table } of mergedChanges(read)) {
    if (current !== undefined && current.version !== version) {
      erasures = recheck(read, erasures);
      yield current;
      current = undefined;
    }
    current ??= { version, writes: [] };
    current.writes.push({ key, value, table });
  }
  if (current === undefined) return;
  recheck(read, erasures);
  yield current;
}

/** Check the horizons again if an erasure was recorded since `seen`; the new count. */
function recheck(read: HistoryRead, seen: number): number {
  const now = read.reads.erasures;
  if (now !== seen) checkHistory(read);
  return now;
}

/**
 * The keys of the range whose visible value differs between `before` and
 * `after` (either order), in key order (or reverse).
 */
export function* readDiff(
  read: HistoryRead,
  before: number,
  after: number,
  reverse: boolean,
): Generator<DiffEntry, void, undefined> {
  const keys = candidateKeys(read);
  keys.sort(compareBytes);
  if (reverse) keys.reverse();
  for (const key of keys) {
    const old = read.reads.read(key, before)?.value;
    const now = read.reads.read(key, after)?.value;
    if (old === now) continue;
    if (old !== undefined && now !== undefined && equalBytes(old, now)) continue;
    yield { key, before: old, after: now };
  }
}

/**
 * Every key that may differ over the interval: written in it, or with a
 * horizon reaching into it (its reads there then refuse, or it was deleted).
 */
function candidateKeys(read: HistoryRead): Uint8Array[] {
  if (read.from >= read.to) return []; // a version does not differ from itself
  const seen = new Map<string, Uint8Array>();
  const add = (key: Uint8Array) => {
    const id = bytesToBinaryString(key);
    if (!seen.has(id)) seen.set(id, key);
  };
  for (const table of tablesOf(read)) {
    for (const { key } of tableChanges(read, table)) add(key);
    if (read.from < read.reads.tier.readableFloor(table)) {
      for (const { key } of refusingHorizons(read, table)) add(key);
    }
  }
  return [...seen.values()];
}

/** A stream with its next item looked at. */
class Head {
  readonly #stream: Iterator<TableWrite>;
  item: TableWrite | undefined;

  constructor(stream: Iterator<TableWrite>) {
    this.#stream = stream;
    this.item = this.#pull();
  }

  advance(): TableWrite | undefined {
    const item = this.item;
    this.item = this.#pull();
    return item;
  }

  #pull(): TableWrite | undefined {
    const next = this.#stream.next();
    return next.done === true ? undefined : next.value;
  }
}

/**
 * A change as the caller's types (keys and values through `codecs`); the
 * change itself when both are bytes.
 */
export function decodeChange<K, V>(codecs: Codecs, change: Change): Change<K, V> {
  if (codecs.binaryKeys && codecs.binaryValues) return change as never;
  return {
    version: change.version,
    writes: change.writes.map((w) => ({
      key: (codecs.binaryKeys ? w.key : codecs.keyOf(w.key)) as K,
      value: decodeValue<V>(codecs, w.value),
      table: w.table,
    })),
  };
}

/** A diff entry as the caller's types; the entry itself when keys and values are bytes. */
export function decodeDiffEntry<K, V>(codecs: Codecs, entry: DiffEntry): DiffEntry<K, V> {
  if (codecs.binaryKeys && codecs.binaryValues) return entry as never;
  return {
    key: (codecs.binaryKeys ? entry.key : codecs.keyOf(entry.key)) as K,
    before: decodeValue<V>(codecs, entry.before),
    after: decodeValue<V>(codecs, entry.after),
  };
}

function decodeValue<V>(codecs: Codecs, value: Uint8Array | undefined): V | undefined {
  if (value === undefined || codecs.binaryValues) return value as V | undefined;
  return codecs.valueOf(value) as V;
}

/** Items mapped lazily through `decode`; the same iterator when keys and values are bytes. */
export function decodedItems<T, U>(
  codecs: Codecs,
  items: Iterator<T>,
  decode: (codecs: Codecs, item: T) => U,
): Iterator<U> {
  if (codecs.binaryKeys && codecs.binaryValues) return items as never;
  return (function* () {
    // for-of over the wrapper passes a return() on to the items (closing their snapshots).
    for (const item of { [Symbol.iterator]: () => items }) yield decode(codecs, item);
  })();
}
