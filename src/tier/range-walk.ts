/**
 * The range page algorithm, for every tier with an ordered key index.
 *
 * A page is built by hopping from key to key through an ordered key index,
 * never by reading versions in bulk. Each hop is one seek ("the first key
 * strictly after K"), and each key costs one more lookup ("its newest version
 * at or below V"), so a key with 100,000 versions costs the same as a key
 * with one:
 *
 * ```
 *   index:   a(3 versions)   b(100,000 versions)   c(1)   d(only newer than V)   e ...
 *   page:    seek(start) -> a, newest(a)
 *            seek(>a)    -> b, newest(b)          one entry, O(log) work
 *            seek(>b)    -> c, newest(c)
 *            seek(>c)    -> d, newest(d) = none   skipped, still O(log) work
 *            seek(>d)    -> e ...                 until `limit` entries
 * ```
 *
 * A page costs O(limit + skipped) hops, where `skipped` counts keys in the
 * range that hold no version at or below V (they produce no entry but must
 * be stepped over); every hop is a constant number of index seeks whatever
 * the number of versions per key.
 *
 * The backend supplies the seeks through {@link KeyWalker}; the algorithm owns
 * bounds, cursor resumption, direction and the page/cursor rule: a page that
 * holds `limit` entries returns a cursor at its last key (the next page may
 * turn out empty); a shorter page means the range is exhausted. Both built-in
 * tiers implement their `_page` as `readPage(table, query)`; so can a custom
 * tier (the function is exported from `multistore-kv/tier`).
 *
 * @module
 */

import type { Bound, PageQuery, RangeCursor, RangePage, TierEntry } from './tier.js';

/**
 * Ordered access to a set of keys (one table's, or its horizons'), as a
 * backend provides it.
 *
 * `K` is the backend's key representation (ordered by `compare` exactly as
 * the bytes are ordered bytewise); `H` is a handle on one stored key that
 * the caller can resolve without a second search.
 */
export interface KeyIndex<K, H> {
  /** The backend representation of a key given as bytes. */
  encode(bytes: Uint8Array): K;
  /** Bytewise order of two encoded keys. */
  compare(a: K, b: K): number;
  /**
   * The first stored key at or after `from` (forward) or at or before it
   * (`reverse`), excluding `from` itself unless `inclusive`; with `from`
   * undefined, the first (or last) key.
   */
  seek(from: K | undefined, inclusive: boolean, reverse: boolean): H | undefined;
  /** The key of a handle. */
  keyOf(handle: H): K;
}

/** Ordered access to one table's keys and their visible entries (what {@link readPage} walks). */
export interface KeyWalker<K, H> extends KeyIndex<K, H> {
  /** The key's newest entry at or below `version`, as a caller-owned entry. */
  visible(handle: H, version: number): TierEntry | undefined;
}

/** An edge of the walk: a key (undefined: open) and whether it is part of the range. */
interface Edge<K> {
  readonly key: K | undefined;
  readonly inclusive: boolean;
}

/** Read one page of a range through `walker`; the direction decides which bound the walk starts from. */
export function readPage<K, H>(walker: KeyWalker<K, H>, request: PageQuery): RangePage {
  return walkPage(walker, request, (handle) => walker.visible(handle, request.version));
}

/**
 * One page of whatever `pick` makes of the keys of a range: the walk of
 * {@link readPage} over any {@link KeyIndex} (a key `pick` answers
 * `undefined` for is stepped over). The horizon pages of the built-in tiers
 * use it.
 */
export function walkPage<K, H, E extends { readonly key: Uint8Array }>(
  index: KeyIndex<K, H>,
  request: PageQuery,
  pick: (handle: H) => E | undefined,
): { entries: E[]; cursor: RangeCursor | undefined } {
  const { reverse, limit } = request;
  const origin = startEdge(index, request);
  const stop = toEdge(index, reverse ? request.start : request.end);
  const entries: E[] = [];
  let handle = index.seek(origin.key, origin.inclusive, reverse);
  while (handle !== undefined) {
    const key = index.keyOf(handle);
    if (isBeyond(index, key, stop, reverse)) break;
    const entry = pick(handle);
    if (entry !== undefined && entries.push(entry) === limit) break;
    handle = index.seek(key, false, reverse);
  }
  return { entries, cursor: cursorAfter(entries, limit) };
}

/** Where the walk begins: the start bound (end bound in reverse), tightened by the cursor. */
function startEdge<K, H>(walker: KeyIndex<K, H>, request: PageQuery): Edge<K> {
  const bound = toEdge(walker, request.reverse ? request.end : request.start);
  if (request.cursor === undefined) return bound;
  const resume: Edge<K> = { key: walker.encode(request.cursor.lastKey), inclusive: false };
  if (bound.key === undefined) return resume;
  const order = walker.compare(resume.key as K, bound.key);
  const resumeIsTighter = request.reverse ? order <= 0 : order >= 0;
  return resumeIsTighter ? resume : bound;
}

function toEdge<K, H>(walker: KeyIndex<K, H>, bound: Bound): Edge<K> {
  if (bound.kind === 'unbounded') return { key: undefined, inclusive: true };
  return { key: walker.encode(bound.key), inclusive: bound.kind === 'included' };
}

/** True when `key` lies past the far edge of the range in the walk's direction. */
function isBeyond<K, H>(walker: KeyIndex<K, H>, key: K, stop: Edge<K>, reverse: boolean): boolean {
  if (stop.key === undefined) return false;
  const order = walker.compare(key, stop.key);
  if (order === 0) return !stop.inclusive;
  return reverse ? order < 0 : order > 0;
}

function cursorAfter(
  entries: readonly { readonly key: Uint8Array }[],
  limit: number,
): RangeCursor | undefined {
  const last = entries[entries.length - 1];
  if (entries.length < limit || last === undefined) return undefined;
  return { lastKey: new Uint8Array(last.key) };
}
