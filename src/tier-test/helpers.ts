/**
 * Helpers for tier tests: building writes and bounds, showing entries as
 * text, following range cursors to the end, asserting error codes.
 *
 * Shipped with the contract suite (`multistore-kv/tier-test`), so it uses only
 * Node's own `node:assert` besides the tier layer.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { MAX_VERSION } from '../common/version.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { pages, type RangeRequest } from '../tier/paging.js';
import type { Bound, RangePage, TierEntry, TierReader, TierWrite } from '../tier/tier.js';

/** Opens a fresh, empty tier. */
export type OpenTier = () => AbstractTier;

/** Bytes of a UTF-8 string, or of the given byte values. */
export const b = (text: string): Uint8Array => utf8(text);
export const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** A write map of one table: `[key, value | undefined]` pairs. */
export function writes(
  table: string,
  pairs: readonly [string | Uint8Array, string | Uint8Array | undefined][],
): Map<string, TierWrite[]> {
  const toBytes = (v: string | Uint8Array) => (typeof v === 'string' ? b(v) : v);
  const list = pairs.map(([key, value]) => ({
    key: toBytes(key),
    value: value === undefined ? undefined : toBytes(value),
  }));
  return new Map([[table, list]]);
}

export const included = (key: string | Uint8Array): Bound => ({
  kind: 'included',
  key: typeof key === 'string' ? b(key) : key,
});
export const excluded = (key: string | Uint8Array): Bound => ({
  kind: 'excluded',
  key: typeof key === 'string' ? b(key) : key,
});

/**
 * An entry as readable text: `key@version=value` (`~` for a tombstone, which
 * is `value: undefined` and nothing else), keys as hex when not ASCII;
 * anything but bytes shows as `?` and what it is.
 */
export function show(entry: TierEntry | undefined): string {
  if (entry === undefined) return 'none';
  const text = (v: unknown) => {
    if (!(v instanceof Uint8Array)) return `?${String(v)}`;
    return v.every((c) => c >= 0x20 && c < 0x7f) ? String.fromCharCode(...v) : `0x${hex(v)}`;
  };
  return `${text(entry.key)}@${entry.version}=${entry.value === undefined ? '~' : text(entry.value)}`;
}

/** Bytes as lower-case hex. */
export const hex = (v: Uint8Array): string =>
  Array.from(v, (byte) => byte.toString(16).padStart(2, '0')).join('');

/** Every page of a range, followed to the end (and failing a range that does not end). */
export function allPages(
  tier: Pick<TierReader, 'page'>,
  table: string,
  request: RangeRequest,
): RangePage[] {
  const all: RangePage[] = [];
  for (const page of pages(tier, table, request)) {
    all.push(page);
    assert.ok(all.length < 10_000, 'range does not end');
  }
  return all;
}

/** Options of {@link scan}: the range, at the newest version in pages of 1000 unless given. */
export type ScanOptions = Partial<RangeRequest>;

/** The whole range as `show` strings. */
export function scan(
  tier: Pick<TierReader, 'page'>,
  table: string,
  options: ScanOptions = {},
): string[] {
  const request = { version: MAX_VERSION, limit: 1000, ...options };
  return allPages(tier, table, request).flatMap((page) => page.entries.map(show));
}

/** Run `test` on a fresh tier, closing it afterwards. */
export function withTier(open: OpenTier, test: (tier: AbstractTier) => void): () => void {
  return () => {
    const tier = open();
    try {
      test(tier);
    } finally {
      tier.close();
    }
  };
}

/** Assert that `action` throws a StoreError with `code`. */
export function assertCode(action: () => unknown, code: string, label = ''): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(isStoreError(error), `${label}: expected a StoreError, got ${String(error)}`);
    assert.equal(error.code, code, `${label}: ${error.message}`);
    return true;
  });
}
