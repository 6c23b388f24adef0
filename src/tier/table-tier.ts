/**
 * The read side every built-in tier shares: one handle per table.
 *
 * Both built-in backends keep, per store table, an object that knows its
 * keys (a B+ tree in memory, a SQL table in SQLite). Everything a read needs
 * beyond that object is the same: look the table up by name, answer an
 * unknown table with an empty read, hand ranges to the page walk. This class
 * does it once, over the {@link TierTable} each backend provides:
 *
 * ```
 *   AbstractTier     validate, closed check, TIER_IO           (abstract-tier.ts)
 *     TableTier<T>   tables by name; get / page / versions /    (this module)
 *                    ensureTable / clearTable / tables
 *       MemoryTier   T = MemoryTable: set, drop, settings, latest version
 *       SqliteTier   T = SqlTable:    set, drop, settings, latest version
 * ```
 *
 * A backend creates its tables through {@link TableTier._createTable} and may
 * create some outside the registry first (SQLite does, inside a transaction,
 * adding them with {@link TableTier.adopt} only once it commits).
 *
 * @module
 */

import { AbstractTier } from './abstract-tier.js';
import { type KeyWalker, readPage } from './range-walk.js';
import {
  type ChangePage,
  type ChangeQuery,
  EMPTY_CHANGE_PAGE,
  EMPTY_HORIZON_PAGE,
  EMPTY_PAGE,
  type Horizon,
  type HorizonPage,
  type PageQuery,
  type RangePage,
  type TierEntry,
  type VersionEntry,
  type VersionSize,
} from './tier.js';

/** What a backend keeps per table: reads of one table, and its keys in order. */
export interface TierTable<K, H> extends KeyWalker<K, H> {
  /** The table's name. */
  readonly name: string;
  /** The newest entry of `key` at or below `version`; its key is a fresh array the caller owns. */
  newest(key: Uint8Array, version: number): TierEntry | undefined;
  /** Every stored version of `key`, newest first. */
  allVersions(key: Uint8Array): VersionEntry[];
  /** Every stored version's size, newest first, without reading values. */
  versionSizes(key: Uint8Array): VersionSize[];
  /** The horizon of `key`, if any. */
  horizon(key: Uint8Array): Horizon | undefined;
  /** The highest readableFrom of its horizons (0: none). */
  readonly readableFloor: number;
  /** The highest erased top recorded (0: none; see abstract-tier.ts). */
  readonly erasedTop: number;
  /** The keys of a range whose horizon reaches above `query.version`. */
  horizonPage(query: PageQuery): HorizonPage;
  /** One page of the stored writes of a range in a version interval, from its index by version. */
  changePage(query: ChangeQuery): ChangePage;
  /** Erase every entry and horizon. */
  clear(): void;
}

/** A tier that keeps one {@link TierTable} per store table; see the module documentation. */
// biome-ignore lint/suspicious/noExplicitAny: the key and handle types are the backend's own
export abstract class TableTier<T extends TierTable<any, any>> extends AbstractTier {
  readonly #tables = new Map<string, T>();

  /** Create the storage of table `name` (it does not exist yet) and return its handle. */
  protected abstract _createTable(name: string): T;

  /**
   * The handle of `name`, if the tier holds that table. Every read looks its
   * table up here; a backend whose tables can appear behind its back (a
   * read-only SQLite tier beside a writer) overrides it to look again.
   */
  protected held(name: string): T | undefined {
    return this.#tables.get(name);
  }

  /** The handle of `name`, creating the table if needed. */
  protected holdTable(name: string): T {
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = this._createTable(name);
      this.#tables.set(name, table);
    }
    return table;
  }

  /** Register a table created outside {@link holdTable} (found at open, or committed). */
  protected adopt(table: T): void {
    this.#tables.set(table.name, table);
  }

  /** Forget every handle (the tier is closing). */
  protected forgetTables(): void {
    this.#tables.clear();
  }

  protected _get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    return this.held(table)?.newest(key, version);
  }

  protected _page(table: string, query: PageQuery): RangePage {
    const held = this.held(table);
    return held === undefined ? EMPTY_PAGE : readPage(held, query);
  }

  protected _getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    return this.held(table)?.allVersions(key) ?? [];
  }

  protected override _getVersionSizes(table: string, key: Uint8Array): VersionSize[] {
    return this.held(table)?.versionSizes(key) ?? [];
  }

  protected _horizon(table: string, key: Uint8Array): Horizon | undefined {
    return this.#tables.get(table)?.horizon(key);
  }

  protected _readableFloor(table: string): number {
    return this.#tables.get(table)?.readableFloor ?? 0;
  }

  protected override _erasedTop(table: string): number {
    return this.#tables.get(table)?.erasedTop ?? 0;
  }

  protected _horizonPage(table: string, query: PageQuery): HorizonPage {
    return this.#tables.get(table)?.horizonPage(query) ?? EMPTY_HORIZON_PAGE;
  }

  protected _changePage(table: string, query: ChangeQuery): ChangePage {
    return this.held(table)?.changePage(query) ?? EMPTY_CHANGE_PAGE;
  }

  protected _ensureTable(table: string): void {
    this.holdTable(table);
  }

  protected _clearTable(table: string): void {
    this.held(table)?.clear();
  }

  protected _tables(): string[] {
    return [...this.#tables.keys()];
  }
}
