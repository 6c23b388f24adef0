/**
 * Helpers for tier tests: building writes and bounds, showing entries as
 * text, following range cursors to the end, asserting error codes.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { MAX_VERSION } from '../common/version.js';
import {
  type Bound,
  type RangePage,
  type TierEntry,
  type TierStorage,
  type TierWrite,
  UNBOUNDED,
} from '../tier/tier.js';

/** Opens a fresh, empty tier. */
export type OpenTier = () => TierStorage;

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

/** An entry as readable text: `key@version=value` (`~` for a tombstone), keys as hex when not ASCII. */
export function show(entry: TierEntry | undefined): string {
  if (entry === undefined) return 'none';
  const text = (v: Uint8Array) =>
    v.every((c) => c >= 0x20 && c < 0x7f) ? Buffer.from(v).toString('latin1') : `0x${hex(v)}`;
  return `${text(entry.key)}@${entry.version}=${entry.value ? text(entry.value) : '~'}`;
}

const hex = (v: Uint8Array) => Buffer.from(v).toString('hex');

/** Every page of a range, followed to the end; returns the pages. */
export function allPages(
  tier: TierStorage,
  table: string,
  reverse: boolean,
  start: Bound,
  end: Bound,
  version: number,
  limit: number,
): RangePage[] {
  const pages: RangePage[] = [];
  let page: RangePage | undefined;
  do {
    const read = reverse ? tier.rangeRevNext.bind(tier) : tier.rangeNext.bind(tier);
    page = read(table, page?.cursor, start, end, version, limit);
    pages.push(page);
    assert.ok(pages.length < 10_000, 'range does not end');
  } while (page.cursor !== undefined);
  return pages;
}

/** The whole range as `show` strings, read with pages of `limit`. */
export function scan(
  tier: TierStorage,
  table: string,
  options: { reverse?: boolean; start?: Bound; end?: Bound; version?: number; limit?: number } = {},
): string[] {
  const { reverse = false, start = UNBOUNDED, end = UNBOUNDED } = options;
  const pages = allPages(
    tier,
    table,
    reverse,
    start,
    end,
    options.version ?? MAX_VERSION,
    options.limit ?? 1000,
  );
  return pages.flatMap((page) => page.entries.map(show));
}

/** Run `test` on a fresh tier, closing it afterwards. */
export function withTier(open: OpenTier, test: (tier: TierStorage) => void): () => void {
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
