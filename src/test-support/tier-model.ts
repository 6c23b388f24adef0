/**
 * A trivially correct tier, for checking the real ones against.
 *
 * `BruteForceTier` keeps each key's versions in a plain array and answers every
 * read by brute force: a range page sorts every key of the table and filters.
 * It is slow on purpose; its only job is to be obviously right, so that the
 * randomized test can demand the memory and SQLite tiers return exactly what
 * it returns. It is built on the same base (validation, closing) and follows
 * the same page/cursor rule (a full page carries a cursor at its last key; a
 * short one ends the range), written out longhand instead of range-walk.ts.
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import { AbstractTier } from '../tier/abstract-tier.js';
import { KeptState } from '../tier/kept-state.js';
import type {
  Bound,
  ChangePage,
  ChangeQuery,
  Horizon,
  HorizonEntry,
  HorizonPage,
  LogRecord,
  PageQuery,
  RangePage,
  StateChange,
  TableFigures,
  TierDrops,
  TierEntry,
  TierHorizons,
  TierWrites,
  VersionEntry,
  WriteObserver,
} from '../tier/tier.js';
import { hex } from '../tier-test/helpers.js';

interface ModelKey {
  readonly key: Uint8Array;
  /** Unsorted; every read sorts. */
  versions: { version: number; value: Uint8Array | undefined }[];
}

const copy = (bytes: Uint8Array | undefined) => (bytes ? new Uint8Array(bytes) : undefined);

function inBound(key: Uint8Array, bound: Bound, side: 'start' | 'end'): boolean {
  if (bound.kind === 'unbounded') return true;
  const order = compareBytes(key, bound.key) * (side === 'start' ? 1 : -1);
  return order > 0 || (order === 0 && bound.kind === 'included');
}

/** A brute-force tier. */
export class BruteForceTier extends AbstractTier {
  readonly kind = 'model';
  readonly #tables = new Map<string, Map<string, ModelKey>>();
  readonly #horizons = new Map<string, Map<string, HorizonEntry>>();
  readonly #settings = new Map<string, string>();
  readonly #state = new KeptState();
  #latest = 0;

  protected _get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    const found = this.#tables.get(table)?.get(hex(key));
    return found && this.#visible(found, version);
  }

  protected _set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
  ): void {
    for (const [table, list] of writes) {
      const keys = this.#table(table);
      for (const write of list) {
        const id = hex(write.key);
        const found = keys.get(id) ?? { key: new Uint8Array(write.key), versions: [] };
        keys.set(id, found);
        if (observe !== undefined) {
          const sizes = this._getVersionSizes(table, write.key);
          observe(
            table,
            write,
            sizes[0],
            sizes.find((s) => s.version === version),
          );
        }
        found.versions = found.versions.filter((v) => v.version !== version);
        found.versions.push({ version, value: copy(write.value) });
      }
    }
    this.#latest = Math.max(this.#latest, version);
    this.#state.apply(change);
  }

  protected _page(table: string, query: PageQuery): RangePage {
    const { cursor, start, end, version, limit, reverse } = query;
    const direction = reverse ? -1 : 1;
    const keys = [...(this.#tables.get(table)?.values() ?? [])]
      .filter((k) => inBound(k.key, start, 'start') && inBound(k.key, end, 'end'))
      .filter((k) => !cursor || compareBytes(k.key, cursor.lastKey) * direction > 0)
      .sort((a, b) => compareBytes(a.key, b.key) * direction);
    const visible = keys.flatMap((k) => this.#visible(k, version) ?? []);
    const entries = visible.slice(0, limit);
    const last = entries[entries.length - 1];
    const full = entries.length === limit && last !== undefined;
    return { entries, cursor: full ? { lastKey: new Uint8Array(last.key) } : undefined };
  }

  protected _changePage(table: string, query: ChangeQuery): ChangePage {
    const { cursor, start, end, from, to, limit } = query;
    const all: TierEntry[] = [];
    for (const k of this.#tables.get(table)?.values() ?? []) {
      if (!inBound(k.key, start, 'start') || !inBound(k.key, end, 'end')) continue;
      for (const v of k.versions) {
        if (v.version <= from || v.version > to) continue;
        all.push({ key: new Uint8Array(k.key), version: v.version, value: copy(v.value) });
      }
    }
    const order = (a: TierEntry, b: { version: number; key: Uint8Array }) =>
      a.version - b.version || compareBytes(a.key, b.key);
    const after = cursor && { version: cursor.lastVersion, key: cursor.lastKey };
    const entries = all
      .filter((e) => after === undefined || order(e, after) > 0)
      .sort(order)
      .slice(0, limit);
    const last = entries[entries.length - 1];
    const full = entries.length === limit && last !== undefined;
    return {
      entries,
      cursor: full ? { lastVersion: last.version, lastKey: new Uint8Array(last.key) } : undefined,
    };
  }

  protected _getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    const found = this.#tables.get(table)?.get(hex(key));
    if (!found) return [];
    const sorted = [...found.versions].sort((a, b) => b.version - a.version);
    return sorted.map((v) => ({ version: v.version, value: copy(v.value) }));
  }

  protected _drop(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change?: StateChange,
  ): void {
    for (const [table, list] of drops) {
      const keys = this.#tables.get(table);
      for (const { key, version } of list) {
        const found = keys?.get(hex(key));
        if (!found) continue;
        found.versions = found.versions.filter((v) => v.version !== version);
        if (found.versions.length === 0) keys?.delete(hex(key));
      }
    }
    for (const [table, list] of horizons ?? []) {
      this.#table(table);
      let keys = this.#horizons.get(table);
      if (keys === undefined) {
        keys = new Map();
        this.#horizons.set(table, keys);
      }
      for (const { key, horizon } of list) {
        const old = keys.get(hex(key))?.horizon;
        const erasedFrom = Math.min(old?.erasedFrom ?? horizon.erasedFrom, horizon.erasedFrom);
        const readableFrom = Math.max(old?.readableFrom ?? 0, horizon.readableFrom);
        keys.set(hex(key), { key: new Uint8Array(key), horizon: { erasedFrom, readableFrom } });
      }
    }
    this.#state.apply(change);
  }

  protected _horizon(table: string, key: Uint8Array): Horizon | undefined {
    const found = this.#horizons.get(table)?.get(hex(key));
    return found && { ...found.horizon };
  }

  protected _readableFloor(table: string): number {
    let floor = 0;
    for (const { horizon } of this.#horizons.get(table)?.values() ?? [])
      floor = Math.max(floor, horizon.readableFrom);
    return floor;
  }

  protected _horizonPage(table: string, query: PageQuery): HorizonPage {
    const { cursor, start, end, version, limit, reverse } = query;
    const direction = reverse ? -1 : 1;
    const refused = [...(this.#horizons.get(table)?.values() ?? [])]
      .filter((h) => inBound(h.key, start, 'start') && inBound(h.key, end, 'end'))
      .filter((h) => !cursor || compareBytes(h.key, cursor.lastKey) * direction > 0)
      .filter((h) => h.horizon.readableFrom > version)
      .sort((a, b) => compareBytes(a.key, b.key) * direction);
    const entries = refused
      .slice(0, limit)
      .map((h) => ({ key: new Uint8Array(h.key), horizon: { ...h.horizon } }));
    const last = entries[entries.length - 1];
    const full = entries.length === limit && last !== undefined;
    return { entries, cursor: full ? { lastKey: new Uint8Array(last.key) } : undefined };
  }

  protected _ensureTable(table: string): void {
    this.#table(table);
  }

  protected _clearTable(table: string): void {
    this.#tables.get(table)?.clear();
    this.#horizons.get(table)?.clear();
    this.#state.clearTable(table);
  }

  protected _readFigures(): Map<string, TableFigures> {
    return this.#state.figures();
  }

  protected _readLog(): LogRecord[] {
    return this.#state.log();
  }

  protected _tables(): string[] {
    return [...this.#tables.keys()];
  }

  protected _latestVersion(): number {
    return this.#latest;
  }

  protected _readSetting(name: string): string | undefined {
    return this.#settings.get(name);
  }

  protected _writeSetting(name: string, value: string): void {
    this.#settings.set(name, value);
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
}

/**
 * A brute-force tier for runner tests: counts range page reads, and stays
 * readable after `close` (which it only records) so a test can look at what a
 * runner left behind.
 */
export class InspectableTier extends BruteForceTier {
  /** Pages read. */
  pageCalls = 0;
  #closed = false;

  protected override _page(table: string, query: PageQuery): RangePage {
    this.pageCalls++;
    return super._page(table, query);
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
