/**
 * The memory tier: every table held in process memory, nothing persisted.
 *
 * ```
 *   MemoryTier
 *     tables    name -> MemoryTable        (memory-table.ts: Map + B+ tree;
 *                                           reads go through table-tier.ts;
 *                                           horizons: memory-horizons.ts)
 *     latest    highest version given to set
 *     settings  Map<name, string>
 *     state     KeptState: the store's figures and log records (kept-state.ts)
 * ```
 *
 * The base class has validated every input before a raw method runs, and
 * nothing after that can fail, so a `set` or `drop` across several tables is
 * atomic simply by running to completion. A `drop` groups its pairs by key
 * and rebuilds each key's chain once: O(pairs + versions of the keys named),
 * however many versions of a key go. Its prefixes (`erasesPrefixes`) cost
 * a binary search in the key's chain and a move of the survivors down, the
 * erased versions read from the chain for the observer as they go. Values are copied as they are
 * stored (into binary strings, version-chain.ts), and reads hand out fresh
 * plain arrays, keys included, so neither side can change the other's bytes.
 *
 * A page read costs O((limit + skipped keys) * log keys), with one binary
 * search of O(log versions) per key: see range-walk.ts.
 *
 * @module
 */

import { KeptState } from '../kept-state.js';
import { TableTier } from '../table-tier.js';
import type {
  LogRecord,
  StateChange,
  TableFigures,
  TierDrop,
  TierDrops,
  TierHorizons,
  TierPrefixDrops,
  TierPrefixErasure,
  TierRetention,
  TierWrites,
  WriteObserver,
} from '../tier.js';
import { keyString } from './key-string.js';
import { MemoryTable } from './memory-table.js';
import type { VersionChain } from './version-chain.js';

/** A tier held in process memory. */
export class MemoryTier extends TableTier<MemoryTable> {
  readonly kind = 'memory';
  /** Nothing outlives `close()`: the store writes no log records here. */
  override readonly persistent = false;
  /** `set` trims retention tables in its own step (memory-table.ts, `trim`). */
  override readonly trimsOnSet = true;
  /** `drop` erases prefixes in one pass over each key's chain (memory-table.ts, `removeBelow`). */
  override readonly erasesPrefixes = true;
  readonly #settings = new Map<string, string>();
  readonly #state = new KeptState();
  #latest = 0;

  protected _createTable(name: string): MemoryTable {
    return new MemoryTable(name);
  }

  protected _set(
    version: number,
    writes: TierWrites,
    observe?: WriteObserver,
    change?: StateChange,
    retention?: TierRetention,
  ): void {
    for (const [name, list] of writes) {
      const table = this.holdTable(name);
      const keep = retention?.keep.get(name);
      if (retention === undefined || keep === undefined) {
        for (const write of list) table.put(write, version, observe);
        continue;
      }
      // Each key trimmed once, after its last write: a commit may write a key
      // twice, and the chain's second trim finds N versions or fewer and does
      // nothing (cheaper than a Map of the chains written).
      const chains: VersionChain[] = [];
      for (const write of list) chains.push(table.put(write, version, observe));
      for (let at = 0; at < chains.length; at++) {
        const key = (list[at] as (typeof list)[number]).key;
        table.trim(chains[at] as VersionChain, key, keep, retention.trimmed);
      }
    }
    if (version > this.#latest) this.#latest = version;
    this.#state.apply(change);
  }

  protected _drop<E extends TierPrefixErasure>(
    drops: TierDrops,
    horizons: TierHorizons | undefined,
    change?: StateChange,
    prefixes?: TierPrefixDrops<E>,
  ): void {
    for (const [name, list] of drops) {
      const table = this.held(name);
      if (table === undefined) continue;
      for (const [id, versions] of versionsByKey(list)) table.removeVersions(id, versions);
    }
    for (const [name, list] of prefixes?.keys ?? []) {
      const table = this.held(name);
      if (table === undefined) continue;
      const erased = (prefixes as TierPrefixDrops<E>).erased;
      for (const erasure of list) table.removeBelow(erasure, erased);
    }
    for (const [name, list] of horizons ?? []) {
      const table = this.holdTable(name);
      for (const { key, horizon } of list) table.widenHorizon(key, horizon);
    }
    for (const [name, top] of change?.erasedTops ?? []) this.holdTable(name).raiseErasedTop(top);
    this.#state.apply(change);
  }

  protected override _clearTable(table: string): void {
    super._clearTable(table);
    this.#state.clearTable(table);
  }

  protected override _getVersions(table: string, key: Uint8Array): number[] {
    return this.held(table)?.versions(key) ?? [];
  }

  protected _readFigures(): Map<string, TableFigures> {
    return this.#state.figures();
  }

  protected _readLog(): LogRecord[] {
    return this.#state.log();
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

  protected override _close(): void {
    this.forgetTables();
  }
}

/**
 * The pairs of one table grouped by key (index string), so that each chain is
 * rebuilt once. Pairs of one key usually share one key array (the drop worker
 * passes them so, oldest version first): its index string is then computed
 * once, and its versions come ascending, which the chain then needs not sort.
 */
function versionsByKey(list: readonly TierDrop[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  let lastKey: Uint8Array | undefined;
  let versions: number[] | undefined;
  for (const { key, version } of list) {
    if (key !== lastKey || versions === undefined) {
      const id = keyString(key);
      lastKey = key;
      versions = byKey.get(id);
      if (versions === undefined) {
        versions = [];
        byKey.set(id, versions);
      }
    }
    versions.push(version);
  }
  return byKey;
}
