/**
 * A trivially correct tier, for checking the real ones against.
 *
 * `BruteForceTier` keeps each key's versions in a plain array and answers every
 * read by brute force: a range page sorts every key of the table and filters.
 * It is slow on purpose; its only job is to be obviously right, so that the
 * randomized test can demand the memory and SQLite tiers return exactly what
 * it returns. It shares the tiers' input checks and their page/cursor rule
 * (a full page carries a cursor at its last key; a short one ends the range).
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import { StoreClosedError } from '../common/errors.js';
import { checkVersion } from '../common/version.js';
import type {
  Bound,
  RangeCursor,
  RangePage,
  TierDrop,
  TierEntry,
  TierStorage,
  TierWrite,
  VersionEntry,
  VersionSize,
  WriteObserver,
} from '../tier/tier.js';
import {
  checkDrops,
  checkKey,
  checkObserver,
  checkRange,
  checkSetting,
  checkTableName,
  checkWrites,
} from '../tier/validate.js';

interface ModelKey {
  readonly key: Uint8Array;
  /** Unsorted; every read sorts. */
  versions: { version: number; value: Uint8Array | undefined }[];
}

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');
const copy = (bytes: Uint8Array | undefined) => (bytes ? new Uint8Array(bytes) : undefined);

function inBound(key: Uint8Array, bound: Bound, side: 'start' | 'end'): boolean {
  if (bound.kind === 'unbounded') return true;
  const order = compareBytes(key, bound.key) * (side === 'start' ? 1 : -1);
  return order > 0 || (order === 0 && bound.kind === 'included');
}

/** A brute-force {@link TierStorage}. */
export class BruteForceTier implements TierStorage {
  readonly kind = 'model';
  readonly #tables = new Map<string, Map<string, ModelKey>>();
  #latest = 0;
  #closed = false;
  readonly #settings = new Map<string, string>();

  get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    this.#check(table);
    checkKey(key);
    checkVersion(version);
    const found = this.#tables.get(table)?.get(hex(key));
    return found && this.#visible(found, version);
  }

  set(
    version: number,
    writes: ReadonlyMap<string, readonly TierWrite[]>,
    observe?: WriteObserver,
  ): void {
    this.#open();
    checkVersion(version);
    checkWrites(writes);
    checkObserver(observe);
    for (const [table, list] of writes) {
      const keys = this.#table(table);
      for (const write of list) {
        const { key, value } = write;
        const id = hex(key);
        const found = keys.get(id) ?? { key: new Uint8Array(key), versions: [] };
        keys.set(id, found);
        if (observe !== undefined) {
          const sizes = sizesOf(found.versions);
          observe(
            table,
            write,
            sizes[0],
            sizes.find((s) => s.version === version),
          );
        }
        found.versions = found.versions.filter((v) => v.version !== version);
        found.versions.push({ version, value: copy(value) });
      }
    }
    this.#latest = Math.max(this.#latest, version);
  }

  rangeNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage {
    return this.#range(false, table, cursor, start, end, version, limit);
  }

  rangeRevNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage {
    return this.#range(true, table, cursor, start, end, version, limit);
  }

  getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    return sizesOf(this.getAllVersions(table, key));
  }

  getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    this.#check(table);
    checkKey(key);
    const found = this.#tables.get(table)?.get(hex(key));
    if (!found) return [];
    const sorted = [...found.versions].sort((a, b) => b.version - a.version);
    return sorted.map((v) => ({ version: v.version, value: copy(v.value) }));
  }

  drop(drops: ReadonlyMap<string, readonly TierDrop[]>): void {
    this.#open();
    checkDrops(drops);
    for (const [table, list] of drops) {
      const keys = this.#tables.get(table);
      for (const { key, version } of list) {
        const found = keys?.get(hex(key));
        if (!found) continue;
        found.versions = found.versions.filter((v) => v.version !== version);
        if (found.versions.length === 0) keys?.delete(hex(key));
      }
    }
  }

  ensureTable(table: string): void {
    this.#check(table);
    this.#table(table);
  }

  clearTable(table: string): void {
    this.#check(table);
    this.#tables.get(table)?.clear();
  }

  tables(): string[] {
    this.#open();
    return [...this.#tables.keys()].sort();
  }

  latestVersion(): number {
    this.#open();
    return this.#latest;
  }

  readSetting(name: string): string | undefined {
    this.#open();
    return this.#settings.get(checkSetting(name));
  }

  writeSetting(name: string, value: string): void {
    this.#open();
    this.#settings.set(checkSetting(name, value), value);
  }

  close(): void {
    this.#closed = true;
  }

  #range(
    reverse: boolean,
    table: string,
    ...args: [RangeCursor | undefined, Bound, Bound, number, number]
  ): RangePage {
    this.#check(table);
    const { cursor, start, end, version, limit } = checkRange(table, ...args);
    const keys = [...(this.#tables.get(table)?.values() ?? [])]
      .filter((k) => inBound(k.key, start, 'start') && inBound(k.key, end, 'end'))
      .filter((k) => !cursor || compareBytes(k.key, cursor.lastKey) * (reverse ? -1 : 1) > 0)
      .sort((a, b) => compareBytes(a.key, b.key) * (reverse ? -1 : 1));
    const visible = keys.flatMap((k) => this.#visible(k, version) ?? []);
    const entries = visible.slice(0, limit);
    const last = entries[entries.length - 1];
    const full = entries.length === limit && last !== undefined;
    return { entries, cursor: full ? { lastKey: new Uint8Array(last.key) } : undefined };
  }

  #visible(found: ModelKey, version: number): TierEntry | undefined {
    let best: ModelKey['versions'][number] | undefined;
    for (const v of found.versions) {
      if (v.version <= version && (!best || v.version > best.version)) best = v;
    }
    return (
      best && { key: new Uint8Array(found.key), version: best.version, value: copy(best.value) }
    );
  }

  #table(table: string): Map<string, ModelKey> {
    let keys = this.#tables.get(table);
    if (!keys) {
      keys = new Map();
      this.#tables.set(table, keys);
    }
    return keys;
  }

  #check(table: string): void {
    this.#open();
    checkTableName(table);
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('tier');
  }
}

/**
 * A brute-force tier for runner tests: counts range page reads, and stays
 * readable after `close` (which it only records) so a test can look at what a
 * runner left behind.
 */
export class InspectableTier extends BruteForceTier {
  /** Calls of `rangeNext`. */
  rangeCalls = 0;
  #closed = false;

  override rangeNext(...args: Parameters<BruteForceTier['rangeNext']>): RangePage {
    this.rangeCalls++;
    return super.rangeNext(...args);
  }

  override close(): void {
    this.#closed = true;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stored versions of `key`, newest first. */
  inspect(table: string, key: Uint8Array): number[] {
    return this.getAllVersions(table, key).map((entry) => entry.version);
  }
}

/** Sizes of versions, newest first. */
function sizesOf(versions: readonly VersionEntry[]): VersionSize[] {
  return [...versions]
    .sort((a, b) => b.version - a.version)
    .map(({ version, value }) => ({ version, valueBytes: value?.length }));
}
