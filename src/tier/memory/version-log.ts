/**
 * The memory tier's index by version: which keys each version wrote.
 *
 * ```
 *   byVersion  Map<version, VersionKeys>, with the versions in order beside it
 *     3 ──> [ a, c ]        the keys' chains, sorted by key on demand
 *     5 ──> [ b ]
 *     9 ──> [ a, d, x ]
 * ```
 *
 * A change page (tier/changes.ts) walks it from its `from` version upward and,
 * in each version, from the first key of the range (a binary search over that
 * version's sorted keys), so a page costs O(limit) plus one seek per version
 * it steps over, never a walk of every key. Writes nearly always come one
 * commit (one version) at a time, so the last version's keys are kept at hand
 * and a write of the same version skips the tree: a write costs one array
 * push (a replacement of a stored version none). An erased key may linger
 * in its version's array until it is compacted; a page skips it, since it
 * reads every entry from its key's chain. The log holds the chains
 * themselves, not their keys' index strings: a page and a compaction ask
 * the chain directly, with no lookup of the table's Map per entry (that
 * lookup was most of the cost of erasing a version). A chain the table has
 * let go (its last version erased) stores nothing, so its listings lapse
 * with it, even if its key is written again (that is a new chain).
 *
 * @module
 */

import { changeCursorOf } from '../changes.js';
import type { ChangePage, ChangeQuery, TierEntry } from '../tier.js';
import { keyString } from './key-string.js';
import type { VersionChain } from './version-chain.js';

/** Chains in key order. */
function byKey(a: VersionChain, b: VersionChain): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The keys one version wrote: an array, appended to by writes and sorted by
 * the first page that reads it (most commits write their keys in order, and
 * then it is sorted already). Erasures are exact (`delete` is only told of
 * pairs that were stored), but lazy: they are only counted, and once half of
 * the array is erased it is compacted by asking each chain whether it
 * still stores this version, so a drop of a version's keys one by one costs
 * O(keys) in all, not O(keys^2), and no set of erased keys is kept. A write
 * of this version while erasures are pending (rare: a write into history)
 * compacts first, so that no key is ever listed twice.
 */
class VersionKeys {
  chains: VersionChain[] = [];
  #sorted = true;
  /** Entries of `chains` erased since the last compaction. */
  #erased = 0;

  constructor(readonly version: number) {}

  add(chain: VersionChain): void {
    // A listing of this key left by an erasure goes: its chain stores the version again.
    if (this.#erased > 0) this.#compact(chain.id);
    const chains = this.chains;
    const last = chains[chains.length - 1];
    if (this.#sorted && last !== undefined && last.id >= chain.id) this.#sorted = false;
    chains.push(chain);
  }

  /** Forget one key stored at this version until now; true when nothing is left. */
  delete(): boolean {
    this.#erased++;
    const listed = this.chains.length;
    if (this.#erased === listed) {
      // Every listing erased: nothing to ask the chains.
      this.chains = [];
      this.#erased = 0;
      return true;
    }
    if (this.#erased * 2 < listed) return false;
    this.#compact();
    return false;
  }

  /** How many keys this version holds. */
  get size(): number {
    return this.chains.length - this.#erased;
  }

  /** The chains in key order (sorted in place when needed); may list erased ones (pages skip them). */
  sorted(): readonly VersionChain[] {
    if (!this.#sorted) {
      this.chains.sort(byKey);
      this.#sorted = true;
    }
    return this.chains;
  }

  /** Keep the chains that still store this version, but that of `written` (a filter keeps the order). */
  #compact(written?: string): void {
    const version = this.version;
    this.chains = this.chains.filter((chain) => chain.id !== written && chain.has(version));
    this.#erased = 0;
  }
}

/** Index of the first chain of `sorted` after `from` (at or after it when `inclusive`). */
function firstIndex(sorted: readonly VersionChain[], from: string, inclusive: boolean): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const id = (sorted[middle] as VersionChain).id;
    if (id < from || (!inclusive && id === from)) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Index of the first version of ascending `versions` above `version`. */
function firstAbove(versions: readonly number[], version: number): number {
  let low = 0;
  let high = versions.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((versions[middle] as number) <= version) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** One table's keys by the versions that wrote them. */
export class VersionLog {
  readonly #byVersion = new Map<number, VersionKeys>();
  /**
   * Every version of `#byVersion` in ascending order, plus versions whose keys
   * were all erased since the last compaction (`#dead` of them; pages skip
   * them). Compacted by one filter once they are half of it: erasing a
   * version costs O(1) amortized, never a splice.
   */
  #order: number[] = [];
  #dead = 0;
  /** The version written last, and its keys: a commit's writes skip the lookup. */
  #lastVersion = -1;
  #lastKeys: VersionKeys | undefined;

  /** Record that `chain` has a new stored version `version` (not a replacement: once per pair). */
  add(version: number, chain: VersionChain): void {
    if (version !== this.#lastVersion || this.#lastKeys === undefined) {
      this.#lastKeys = this.#byVersion.get(version) ?? this.#addVersion(version);
      this.#lastVersion = version;
    }
    this.#lastKeys.add(chain);
  }

  #addVersion(version: number): VersionKeys {
    const keys = new VersionKeys(version);
    this.#byVersion.set(version, keys);
    const order = this.#order;
    if (order.length === 0 || (order[order.length - 1] as number) < version) {
      order.push(version);
      return keys;
    }
    const at = firstAbove(order, version);
    if (order[at - 1] === version)
      this.#dead--; // a dead version written again
    else order.splice(at, 0, version); // a write into history: O(versions), rare
    return keys;
  }

  /**
   * Forget the stored version `version` of one key (erased from its chain
   * already; it must have been recorded).
   */
  delete(version: number): void {
    const keys = this.#byVersion.get(version);
    if (keys === undefined || !keys.delete()) return;
    this.#byVersion.delete(version);
    if (version === this.#lastVersion) this.#lastKeys = undefined;
    this.#dead++;
    if (this.#dead * 2 < this.#order.length) return;
    this.#order = this.#order.filter((kept) => this.#byVersion.has(kept));
    this.#dead = 0;
  }

  /** How many (version, key) pairs are indexed: what the log costs in memory. */
  get size(): number {
    let pairs = 0;
    for (const keys of this.#byVersion.values()) pairs += keys.size;
    return pairs;
  }

  clear(): void {
    this.#byVersion.clear();
    this.#order = [];
    this.#dead = 0;
    this.#lastKeys = undefined;
  }

  /** One change page, reading each entry from its key's chain. */
  page(query: ChangeQuery): ChangePage {
    const entries: TierEntry[] = [];
    const { cursor, limit } = query;
    const startId = query.start.kind === 'unbounded' ? undefined : keyString(query.start.key);
    const cursorId = cursor === undefined ? undefined : keyString(cursor.lastKey);
    const endId = query.end.kind === 'unbounded' ? undefined : keyString(query.end.key);
    const endIncluded = query.end.kind === 'included';
    const order = this.#order;
    const after = cursor === undefined ? query.from : Math.max(query.from, cursor.lastVersion - 1);
    for (let index = firstAbove(order, after); index < order.length; index++) {
      const version = order[index] as number;
      if (version > query.to) break;
      const keys = this.#byVersion.get(version);
      if (keys === undefined) continue; // dead, awaiting compaction
      const sorted = keys.sorted();
      let at =
        startId === undefined ? 0 : firstIndex(sorted, startId, query.start.kind === 'included');
      if (cursorId !== undefined && version === cursor?.lastVersion) {
        at = Math.max(at, firstIndex(sorted, cursorId, false));
      }
      for (; at < sorted.length && entries.length < limit; at++) {
        const chain = sorted[at] as VersionChain;
        const id = chain.id;
        if (endId !== undefined && (id > endId || (id === endId && !endIncluded))) break;
        const entry = chain.at(version);
        if (entry !== undefined) entries.push(entry);
      }
      if (entries.length === limit) break;
    }
    return { entries, cursor: changeCursorOf(entries, limit) };
  }
}
