/**
 * The memory tier: every table held in process memory, nothing persisted.
 *
 * ```
 *   MemoryTier
 *     tables   Map<name, MemoryTable>      (memory-table.ts: Map + B+ tree)
 *     latest   highest version given to set
 * ```
 *
 * Each public method validates all of its input first (validate.ts); after
 * that nothing can fail, so a `set` or `drop` across several tables is
 * atomic simply by running to completion. Reads hand out copies, so callers
 * may change what they get; values passed to `set` are kept as given (the
 * contract forbids the caller from changing them afterwards).
 *
 * A page read costs O((limit + skipped keys) * log keys), with one binary
 * search of O(log versions) per key: see range-walk.ts.
 *
 * @module
 */

import { StoreClosedError } from '../../common/errors.js';
import { checkVersion } from '../../common/version.js';
import { readPage } from '../range-walk.js';
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
} from '../tier.js';
import {
  checkDrops,
  checkKey,
  checkObserver,
  checkRange,
  checkSetting,
  checkTableName,
  checkWrites,
} from '../validate.js';
import { MemoryTable } from './memory-table.js';

/** A {@link TierStorage} held in process memory. */
export class MemoryTier implements TierStorage {
  readonly kind = 'memory';
  readonly #tables = new Map<string, MemoryTable>();
  #latest = 0;
  readonly #settings = new Map<string, string>();
  #closed = false;

  get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    const held = this.#lookup(table);
    checkKey(key);
    checkVersion(version);
    // The caller's own key goes back in the entry: it is theirs already.
    return held?.chain(key)?.visible(version, key);
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
    for (const [name, list] of writes) {
      const table = this.#create(name);
      for (const write of list) {
        const observed = observe && { name, write, observe };
        table.put(write.key, version, write.value, observed);
      }
    }
    if (version > this.#latest) this.#latest = version;
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

  getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    const held = this.#lookup(table);
    checkKey(key);
    return held?.chain(key)?.allVersions() ?? [];
  }

  getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    const held = this.#lookup(table);
    checkKey(key);
    return held?.chain(key)?.sizes() ?? [];
  }

  drop(drops: ReadonlyMap<string, readonly TierDrop[]>): void {
    this.#open();
    checkDrops(drops);
    for (const [name, list] of drops) {
      const table = this.#tables.get(name);
      if (table === undefined) continue;
      for (const pair of list) table.remove(pair.key, pair.version);
    }
  }

  ensureTable(table: string): void {
    this.#open();
    this.#create(checkTableName(table));
  }

  clearTable(table: string): void {
    this.#lookup(table)?.clear();
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
    if (this.#closed) return;
    this.#closed = true;
    this.#tables.clear();
  }

  #range(
    reverse: boolean,
    table: string,
    ...args: [RangeCursor | undefined, Bound, Bound, number, number]
  ): RangePage {
    const held = this.#lookup(table);
    const request = checkRange(table, ...args);
    if (held === undefined) return { entries: [], cursor: undefined };
    return readPage(held, { ...request, reverse });
  }

  /** The table if held; an unknown name is validated (a held name was, when created). */
  #lookup(name: string): MemoryTable | undefined {
    this.#open();
    const table = this.#tables.get(name);
    if (table === undefined) checkTableName(name);
    return table;
  }

  #create(name: string): MemoryTable {
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = new MemoryTable();
      this.#tables.set(name, table);
    }
    return table;
  }

  #open(): void {
    if (this.#closed) throw new StoreClosedError('tier');
  }
}
