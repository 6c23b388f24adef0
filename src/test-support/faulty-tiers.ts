/**
 * Deliberately wrong tiers, to prove the contract suite can fail.
 *
 * `faultyTier(fault)` is a small correct tier (sorted key ids over per-key
 * version arrays, pages through `readPage`, as the README's example tier)
 * with one fault switched on: each is a mistake a custom tier's author can
 * make while passing a naive test. `faults.test.ts` (src/tier-test/) runs the
 * shipped suite against every one of them and demands that it fails each
 * (and passes the tier without a fault).
 *
 * @module
 */

import { AbstractTier } from '../tier/abstract-tier.js';
import { changeCursorOf, changePageOf } from '../tier/changes.js';
import { horizonPageOf, widen } from '../tier/horizons.js';
import { KeptState } from '../tier/kept-state.js';
import { type KeyWalker, readPage } from '../tier/range-walk.js';
import type {
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

/** Every fault, with what it gets wrong. */
export const FAULTS = {
  'set-keeps-values': 'set keeps the arrays of the values it was given',
  'set-keeps-keys': 'set keeps the arrays of the keys it was given, and reads them back',
  'page-shares-keys': "pages hand out the tier's own key arrays",
  'page-values-are-buffers': 'pages hand out values as Node Buffers',
  'page-tombstones-are-null': 'pages show a tombstone as value null',
  'reads-create-tables': 'page and getAllVersions of an unknown table create it',
  'cursor-is-an-entry-key': "a page's cursor is its last entry's key array",
  'reverse-cursor-ignores-end': 'in reverse, a cursor beyond the end bound wins over it',
  'forward-cursor-ignores-start': 'forward, a cursor before the start bound wins over it',
  'empty-value-is-a-tombstone': 'get and pages read an empty value as a tombstone',
  'changes-keep-erased': 'change pages still list versions that drop erased',
  'changes-in-key-order': 'change pages list writes in (key, version) order',
} as const;

/** The name of a fault, or `none` for the correct tier. */
export type Fault = keyof typeof FAULTS | 'none';

const unhex = (id: string) => Uint8Array.from(id.match(/../g) ?? [], (p) => Number.parseInt(p, 16));

interface Stored {
  readonly version: number;
  readonly value: Uint8Array | undefined;
}

/** One table: each key's versions (oldest first), its key ids in order, its key arrays. */
class Table {
  readonly versions = new Map<string, Stored[]>();
  /** What `drop` erased, kept by `changes-keep-erased` (and shown by its change pages). */
  readonly erased: TierEntry[] = [];
  readonly keyArrays = new Map<string, Uint8Array>();
  ids: string[] = [];

  constructor(readonly fault: Fault) {}

  put(key: Uint8Array, version: number, value: Uint8Array | undefined): void {
    const id = hex(key);
    const kept = (this.versions.get(id) ?? []).filter((v) => v.version !== version);
    if (!this.versions.has(id)) {
      this.ids = [...this.ids, id].sort();
      this.keyArrays.set(id, this.fault === 'set-keeps-keys' ? key : unhex(id));
    }
    const keep = this.fault === 'set-keeps-values' ? value : value && new Uint8Array(value);
    kept.push({ version, value: keep });
    this.versions.set(
      id,
      kept.sort((a, b) => a.version - b.version),
    );
  }

  remove(key: Uint8Array, version: number): void {
    const id = hex(key);
    const gone = this.versions.get(id)?.find((v) => v.version === version);
    if (gone && this.fault === 'changes-keep-erased') this.erased.push({ key: unhex(id), ...gone });
    const kept = (this.versions.get(id) ?? []).filter((v) => v.version !== version);
    if (kept.length > 0) this.versions.set(id, kept);
    else if (this.versions.delete(id)) {
      this.ids = this.ids.filter((other) => other !== id);
      this.keyArrays.delete(id);
    }
  }

  /** The id under which `key` is stored (looked up through the kept arrays by `set-keeps-keys`). */
  idOf(key: Uint8Array): string {
    if (this.fault !== 'set-keeps-keys') return hex(key);
    for (const [id, kept] of this.keyArrays) if (hex(kept) === hex(key)) return id;
    return '';
  }

  visible(id: string, version: number, inPage: boolean): TierEntry | undefined {
    const found = this.versions.get(id)?.findLast((v) => v.version <= version);
    if (found === undefined) return undefined;
    let value: Uint8Array | undefined | null = found.value && new Uint8Array(found.value);
    if (this.fault === 'empty-value-is-a-tombstone' && value?.length === 0) value = undefined;
    if (inPage && this.fault === 'page-tombstones-are-null' && value === undefined) value = null;
    if (inPage && this.fault === 'page-values-are-buffers' && value) value = Buffer.from(value);
    const shared = inPage && this.fault === 'page-shares-keys';
    const key = shared ? (this.keyArrays.get(id) as Uint8Array) : unhex(id);
    return { key, version: found.version, value: value as Uint8Array | undefined };
  }

  walker(): KeyWalker<string, string> {
    return {
      encode: hex,
      compare: (a, b) => (a < b ? -1 : a > b ? 1 : 0),
      keyOf: (id) => id,
      seek: (from, inclusive, reverse) => {
        const passes = (id: string) =>
          from === undefined || (inclusive && id === from) || (reverse ? id < from : id > from);
        return reverse ? this.ids.findLast(passes) : this.ids.find(passes);
      },
      visible: (id, version) => this.visible(id, version, true),
    };
  }
}

/** A fault applied to a page query before the walk (the cursor faults). */
function faultyQuery(fault: Fault, query: PageQuery): PageQuery {
  if (query.cursor === undefined) return query;
  if (fault === 'reverse-cursor-ignores-end' && query.reverse) {
    return { ...query, end: { kind: 'unbounded' } };
  }
  if (fault === 'forward-cursor-ignores-start' && !query.reverse) {
    return { ...query, start: { kind: 'unbounded' } };
  }
  return query;
}

/** A tier with `fault` (see {@link FAULTS}); `none` is a correct tier. */
export function faultyTier(fault: Fault): AbstractTier {
  return new FaultyTier(fault);
}

class FaultyTier extends AbstractTier {
  readonly kind = 'faulty';
  readonly #tables = new Map<string, Table>();
  /** Horizons, kept right (none of the faults is about them): table -> hex key -> entry. */
  readonly #horizons = new Map<string, Map<string, HorizonEntry>>();
  readonly #settings = new Map<string, string>();
  readonly #state = new KeptState();
  #latest = 0;

  constructor(readonly fault: Fault) {
    super();
  }

  #table(name: string, create: boolean): Table | undefined {
    const found = this.#tables.get(name);
    if (found !== undefined || !create) return found;
    const made = new Table(this.fault);
    this.#tables.set(name, made);
    return made;
  }

  protected _get(table: string, key: Uint8Array, version: number): TierEntry | undefined {
    const held = this.#table(table, false);
    return held?.visible(held.idOf(key), version, false);
  }

  protected _set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
  ): void {
    for (const [name, list] of writes) {
      const table = this.#table(name, true) as Table;
      for (const write of list) {
        const versions = table.versions.get(hex(write.key)) ?? [];
        const size = (v: Stored | undefined) =>
          v && { version: v.version, valueBytes: v.value?.length };
        const replaced = versions.find((v) => v.version === version);
        observe?.(name, write, size(versions.at(-1)), size(replaced));
        table.put(write.key, version, write.value);
      }
    }
    this.#latest = Math.max(this.#latest, version);
    this.#state.apply(change);
  }

  protected _page(table: string, query: PageQuery): RangePage {
    const held = this.#table(table, this.fault === 'reads-create-tables');
    if (held === undefined) return { entries: [], cursor: undefined };
    const page = readPage(held.walker(), faultyQuery(this.fault, query));
    const last = page.entries.at(-1);
    if (this.fault !== 'cursor-is-an-entry-key' || page.cursor === undefined || !last) return page;
    return { entries: page.entries, cursor: { lastKey: last.key } };
  }

  protected _changePage(table: string, query: ChangeQuery): ChangePage {
    const held = this.#table(table, false);
    if (held === undefined) return { entries: [], cursor: undefined };
    const stored: TierEntry[] = [...held.erased];
    for (const [id, versions] of held.versions) {
      for (const v of versions) stored.push({ key: unhex(id), version: v.version, value: v.value });
    }
    if (this.fault !== 'changes-in-key-order') return changePageOf(stored, query);
    const all = changePageOf(stored, {
      ...query,
      cursor: undefined,
      limit: Number.MAX_SAFE_INTEGER,
    });
    const sorted = [...all.entries].sort(
      (a, b) => hex(a.key).localeCompare(hex(b.key)) || a.version - b.version,
    );
    const entries = sorted.slice(0, query.limit);
    return { entries, cursor: changeCursorOf(entries, query.limit) };
  }

  protected _getAllVersions(table: string, key: Uint8Array): VersionEntry[] {
    const held = this.#table(table, this.fault === 'reads-create-tables');
    const versions = held?.versions.get(held.idOf(key)) ?? [];
    const copied = versions.map((v) => ({
      version: v.version,
      value: v.value && new Uint8Array(v.value),
    }));
    return copied.reverse();
  }

  protected _drop(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change?: StateChange,
  ): void {
    for (const [name, list] of drops) {
      for (const { key, version } of list) this.#tables.get(name)?.remove(key, version);
    }
    for (const [name, list] of horizons ?? []) {
      this.#table(name, true);
      const held = this.#horizons.get(name) ?? new Map<string, HorizonEntry>();
      this.#horizons.set(name, held);
      for (const { key, horizon } of list) {
        const widened = widen(held.get(hex(key))?.horizon, horizon);
        held.set(hex(key), { key: new Uint8Array(key), horizon: widened });
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
    return horizonPageOf(this.#horizons.get(table)?.values() ?? [], query);
  }

  protected _ensureTable(table: string): void {
    this.#table(table, true);
  }

  protected _clearTable(table: string): void {
    if (this.#tables.delete(table)) this.#table(table, true);
    this.#horizons.delete(table);
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
}

/**
 * `tier` as a view that answers `flag` with `false` (everything else is the
 * tier's own): a store over it takes the path a tier without that ability
 * takes, on the same data, so the two paths can be compared.
 */
export function tierWithout(
  tier: AbstractTier,
  flag: 'trimsOnSet' | 'erasesPrefixes',
): AbstractTier {
  return new Proxy(tier, {
    get(target, property, receiver) {
      if (property === flag) return false;
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
