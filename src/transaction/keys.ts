/**
 * Keys and key ranges as the transaction core sees them.
 *
 * The core compares keys millions of times (conflict checks, read sets), so a
 * key is a {@link KeyId}: its bytes as a binary string, one char per byte.
 * Such strings sort exactly as the bytes do (every char code is below 256, so
 * `<` on the strings is bytewise order, a prefix first) and work as `Set` and
 * `Map` members, which byte arrays do not.
 *
 * ```
 *   bytes 62 ff 00   ->   KeyId "b\xff\x00"   (3 chars, codes 0x62 0xff 0x00)
 * ```
 *
 * A {@link KeyRange} is a pair of bounds, each unbounded, included or
 * excluded; a prefix is the range `[prefix, prefixEnd)`. Bounds have the same
 * shape as the tier's, with a KeyId instead of bytes ({@link keyRangeOf}
 * converts).
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';

/** A key's bytes as a binary string (see the module documentation). */
export type KeyId = string;

/** The {@link KeyId} of a key's bytes. */
export function keyIdOf(key: Uint8Array): KeyId {
  return bytesToBinaryString(key);
}

/** A range bound over {@link KeyId}s. */
export type KeyBound =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'included'; readonly key: KeyId }
  | { readonly kind: 'excluded'; readonly key: KeyId };

/** A key range: every key between `start` and `end`, as the bounds say. */
export interface KeyRange {
  readonly start: KeyBound;
  readonly end: KeyBound;
}

/** The unbounded bound. */
export const OPEN: KeyBound = Object.freeze({ kind: 'unbounded' });

/** Every key. */
export const ALL_KEYS: KeyRange = Object.freeze({ start: OPEN, end: OPEN });

/** A bound over bytes, as the tier layer writes it. */
export type ByteBound =
  | { readonly kind: 'unbounded' }
  | { readonly kind: 'included' | 'excluded'; readonly key: Uint8Array };

/** The {@link KeyRange} of a range given with byte bounds. */
export function keyRangeOf(start: ByteBound, end: ByteBound): KeyRange {
  return { start: boundOf(start), end: boundOf(end) };
}

function boundOf(bound: ByteBound): KeyBound {
  return bound.kind === 'unbounded' ? OPEN : { kind: bound.kind, key: keyIdOf(bound.key) };
}

/** The range of every key starting with `prefix` (a KeyId). */
export function prefixRange(prefix: KeyId): KeyRange {
  const start: KeyBound = { kind: 'included', key: prefix };
  // The first key after every key with the prefix: drop trailing 0xff chars, bump the last.
  let end = prefix;
  while (end.length > 0 && end.charCodeAt(end.length - 1) === 0xff) end = end.slice(0, -1);
  if (end.length === 0) return { start, end: OPEN };
  const last = end.charCodeAt(end.length - 1);
  return {
    start,
    end: { kind: 'excluded', key: end.slice(0, -1) + String.fromCharCode(last + 1) },
  };
}

/** True when `key` lies in `range`. */
export function inRange(key: KeyId, range: KeyRange): boolean {
  return afterStart(key, range.start) && beforeEnd(key, range.end);
}

function afterStart(key: KeyId, start: KeyBound): boolean {
  if (start.kind === 'unbounded') return true;
  return start.kind === 'included' ? key >= start.key : key > start.key;
}

function beforeEnd(key: KeyId, end: KeyBound): boolean {
  if (end.kind === 'unbounded') return true;
  return end.kind === 'included' ? key <= end.key : key < end.key;
}

/** True when the range holds no key at all (its end lies before its start). */
export function isEmptyRange(range: KeyRange): boolean {
  const { start, end } = range;
  // No key sorts before the empty key: `[.., "")` holds none, whatever its start.
  if (end.kind === 'excluded' && end.key === '') return true;
  if (start.kind === 'unbounded' || end.kind === 'unbounded') return false;
  if (start.key < end.key) return false;
  if (start.key > end.key) return true;
  return start.kind === 'excluded' || end.kind === 'excluded';
}

/** Order of two start bounds: which range begins first. */
export function compareStarts(a: KeyBound, b: KeyBound): number {
  if (a.kind === 'unbounded' || b.kind === 'unbounded') {
    return (a.kind === 'unbounded' ? 0 : 1) - (b.kind === 'unbounded' ? 0 : 1);
  }
  if (a.key !== b.key) return a.key < b.key ? -1 : 1;
  return (a.kind === 'included' ? 0 : 1) - (b.kind === 'included' ? 0 : 1);
}

/**
 * True when `end` reaches `start`: two ranges, one ending at `end` and the
 * other starting at `start`, overlap or touch, so they can be merged into one
 * without adding a key that neither holds.
 */
export function endReachesStart(end: KeyBound, start: KeyBound): boolean {
  if (end.kind === 'unbounded' || start.kind === 'unbounded') return true;
  if (end.key !== start.key) return end.key > start.key;
  // Same key: [.., k) and (k, ..) leave k out; any other pairing covers or touches it.
  return end.kind === 'included' || start.kind === 'included';
}

/** The later of two end bounds. */
export function laterEnd(a: KeyBound, b: KeyBound): KeyBound {
  if (a.kind === 'unbounded') return a;
  if (b.kind === 'unbounded') return b;
  if (a.key !== b.key) return a.key > b.key ? a : b;
  return a.kind === 'included' ? a : b;
}

/** The earlier of two end bounds. */
function earlierEnd(a: KeyBound, b: KeyBound): KeyBound {
  return laterEnd(a, b) === a ? b : a;
}

/**
 * The keys two ranges share, as a range; `undefined` when they share none
 * (ranges that only touch, `[a, b)` and `[b, c)`, share none).
 *
 * ```
 *   [b, f)  and  (d, k]   ->  (d, f)
 *   [b, d)  and  [d, k]   ->  undefined
 * ```
 */
export function overlap(a: KeyRange, b: KeyRange): KeyRange | undefined {
  const start = compareStarts(a.start, b.start) >= 0 ? a.start : b.start;
  const shared = { start, end: earlierEnd(a.end, b.end) };
  return isEmptyRange(shared) ? undefined : shared;
}

/**
 * The smallest key a range can hold: its included start; the key just after
 * an excluded start (the same bytes and a 0 byte); the empty key when
 * unbounded. It names a range where a key is wanted (a conflict's key).
 */
export function firstKeyOf(range: KeyRange): KeyId {
  const { start } = range;
  if (start.kind === 'unbounded') return '';
  return start.kind === 'included' ? start.key : `${start.key}\x00`;
}
