/**
 * A deliberately naive `TierStorage` for the script runner's own tests.
 *
 * It keeps every version of every key in plain maps and sorts on each range
 * read: slow, obviously correct, and independent of the real tiers, so the
 * runner's tests say something about the runner even when a tier is broken.
 * It also counts range calls, so tests can check that reads really page.
 *
 * @module
 */

import { compareBytes } from '../common/bytes.js';
import { StoreClosedError } from '../common/errors.js';
import type {
  Bound,
  RangeCursor,
  RangePage,
  TierDrop,
  TierEntry,
  TierStorage,
  TierWrite,
  VersionEntry,
} from '../tier/tier.js';

type Versions = Map<number, Uint8Array | undefined>;
type Table = Map<string, { key: Uint8Array; versions: Versions }>;

const hex = (key: Uint8Array): string => Buffer.from(key).toString('hex');

/** A naive in-memory tier; see the module documentation. */
export class ModelTier implements TierStorage {
  readonly kind = 'model';
  /** Number of `rangeNext`/`rangeRevNext` calls so far. */
  rangeCalls = 0;
  readonly #tables = new Map<string, Table>();
  #latest = 0;
  #closed = false;

  get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    const versions = this.#table(table).get(hex(key))?.versions;
    return versions === undefined ? undefined : newestAtOrBelow(key, versions, version);
  }

  set(version: number, writes: ReadonlyMap<string, readonly TierWrite[]>): void {
    for (const [name, list] of writes) {
      const table = this.#table(name);
      for (const { key, value } of list) {
        const slot = table.get(hex(key)) ?? { key, versions: new Map() };
        slot.versions.set(version, value);
        table.set(hex(key), slot);
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
    this.rangeCalls++;
    const after = (key: Uint8Array) =>
      cursor === undefined || compareBytes(key, cursor.lastKey) > 0;
    return this.#page(table, start, end, version, limit, after, 1);
  }

  rangeRevNext(
    table: string,
    cursor: RangeCursor | undefined,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
  ): RangePage {
    this.rangeCalls++;
    const before = (key: Uint8Array) =>
      cursor === undefined || compareBytes(key, cursor.lastKey) < 0;
    return this.#page(table, start, end, version, limit, before, -1);
  }

  getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    const versions = this.#table(table).get(hex(key))?.versions ?? new Map();
    return [...versions]
      .map(([version, value]) => ({ version, value }))
      .sort((a, b) => b.version - a.version);
  }

  drop(drops: ReadonlyMap<string, readonly TierDrop[]>): void {
    for (const [name, list] of drops) {
      const table = this.#table(name);
      for (const { key, version } of list) {
        const slot = table.get(hex(key));
        slot?.versions.delete(version);
        if (slot?.versions.size === 0) table.delete(hex(key));
      }
    }
  }

  ensureTable(table: string): void {
    this.#table(table);
  }

  clearTable(table: string): void {
    this.#table(table).clear();
  }

  tables(): string[] {
    return [...this.#tables.keys()].sort();
  }

  latestVersion(): number {
    return this.#latest;
  }

  close(): void {
    this.#closed = true;
  }

  /** True once `close` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Stored versions of `key`, newest first; works after `close`, for test assertions. */
  inspect(table: string, key: Uint8Array): number[] {
    const versions = this.#tables.get(table)?.get(hex(key))?.versions ?? new Map();
    return [...versions.keys()].sort((a, b) => b - a);
  }

  #table(name: string): Table {
    if (this.#closed) throw new StoreClosedError('tier');
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = new Map();
      this.#tables.set(name, table);
    }
    return table;
  }

  #page(
    table: string,
    start: Bound,
    end: Bound,
    version: number,
    limit: number,
    pastCursor: (key: Uint8Array) => boolean,
    direction: 1 | -1,
  ): RangePage {
    const entries = [...this.#table(table).values()]
      .filter(({ key }) => inRange(key, start, end) && pastCursor(key))
      .sort((a, b) => direction * compareBytes(a.key, b.key))
      .map(({ key, versions }) => newestAtOrBelow(key, versions, version))
      .filter((entry): entry is TierEntry => entry !== undefined);
    const page = entries.slice(0, limit);
    const last = page[page.length - 1];
    const more = entries.length > limit && last !== undefined;
    return { entries: page, cursor: more ? { lastKey: last.key } : undefined };
  }
}

function newestAtOrBelow(key: Uint8Array, versions: Versions, at: number): TierEntry | undefined {
  let best: number | undefined;
  for (const version of versions.keys()) {
    if (version <= at && (best === undefined || version > best)) best = version;
  }
  return best === undefined ? undefined : { key, version: best, value: versions.get(best) };
}

function inRange(key: Uint8Array, start: Bound, end: Bound): boolean {
  if (start.kind === 'included' && compareBytes(key, start.key) < 0) return false;
  if (start.kind === 'excluded' && compareBytes(key, start.key) <= 0) return false;
  if (end.kind === 'included' && compareBytes(key, end.key) > 0) return false;
  if (end.kind === 'excluded' && compareBytes(key, end.key) >= 0) return false;
  return true;
}
