/**
 * One table of the memory tier: two indexes over the same version chains.
 *
 * ```
 *   chains  Map<string, VersionChain>     point access, O(1): get, set, drop
 *   order   BTree<string, VersionChain>   key order, O(log n) seeks: ranges
 *             "a" ──> [v1 "x", v4 (ts), v9 "y"]
 *             "b" ──> [v2 "z"]
 * ```
 *
 * A third index, the version log (version-log.ts), lists the chains each
 * version wrote, for change pages; `put`, `trim` and `removeVersions` keep it
 * in step.
 *
 * Keys are index strings (key-string.ts), whose string order is bytewise key
 * order. Both indexes hold the same chain objects; a key is in both or in
 * neither, and a chain is never empty: dropping its last version removes the
 * key from both. The Map doubles the per-key index cost but keeps point reads
 * (the store's hot path) off the B+ tree (README, "Performance"). Measured
 * without it (2026-11-29, CPU time of the bench's timed windows, medians of
 * 5, N = 100,000): inserts of new keys (W1) cost 15 % less on the deep shape
 * and the same on the shallow one, point reads (W3) 14 % (shallow) to 33 %
 * (deep) more; hashing a new key's string is much of the Map's share of an
 * insert.
 *
 * @module
 */

import BTreeModule from 'sorted-btree';
import type { TierTable } from '../table-tier.js';
import {
  type ChangePage,
  type ChangeQuery,
  EMPTY_HORIZON_PAGE,
  type Horizon,
  type HorizonPage,
  type PageQuery,
  type PrefixObserver,
  type TierEntry,
  type TierPrefixErasure,
  type TierWrite,
  type TrimObserver,
  type VersionEntry,
  type VersionSize,
  type WriteObserver,
} from '../tier.js';
import { compareKeyStrings, keyString } from './key-string.js';
import { MemoryHorizons } from './memory-horizons.js';
import { VersionChain } from './version-chain.js';
import { VersionLog } from './version-log.js';

const BTree = BTreeModule.default;
type BTree<K, V> = InstanceType<typeof BTreeModule.default<K, V>>;

/**
 * The first pair of `tree` at or after `from` (or at or before it, in
 * `reverse`), excluding `from` unless `inclusive`; the first (or last) pair
 * when `from` is undefined. `pair` is reused for the answer.
 */
export function seekPair<V>(
  tree: BTree<string, V>,
  pair: [string, V],
  from: string | undefined,
  inclusive: boolean,
  reverse: boolean,
): [string, V] | undefined {
  if (from === undefined) {
    return reverse ? tree.nextLowerPair(undefined, pair) : tree.nextHigherPair(undefined, pair);
  }
  if (reverse)
    return inclusive ? tree.getPairOrNextLower(from, pair) : tree.nextLowerPair(from, pair);
  return inclusive ? tree.getPairOrNextHigher(from, pair) : tree.nextHigherPair(from, pair);
}

/** The keys and versions of one table. */
export class MemoryTable implements TierTable<string, VersionChain> {
  /** The store table name. */
  readonly name: string;
  readonly #chains = new Map<string, VersionChain>();
  readonly #order: BTree<string, VersionChain> = new BTree(undefined, compareKeyStrings);
  /** Reused by seeks, which would otherwise allocate a pair per key visited. */
  readonly #pair = [] as unknown as [string, VersionChain];
  readonly #log = new VersionLog();
  /** Created by the first horizon: a table that never erased pays nothing. */
  #horizons: MemoryHorizons | undefined;
  #erasedTop = 0;

  constructor(name: string) {
    this.name = name;
  }

  /** Number of keys (not versions) held. */
  get keyCount(): number {
    return this.#chains.size;
  }

  /** The chain of `key`, if the key has any version. */
  chain(key: Uint8Array): VersionChain | undefined {
    return this.#chains.get(keyString(key));
  }

  /** The newest entry of `key` at or below `version`, its key a fresh copy from the chain. */
  newest(key: Uint8Array, version: number): TierEntry | undefined {
    return this.chain(key)?.visible(version, key);
  }

  /** The versions of `key`, newest first (a fresh array). */
  versions(key: Uint8Array): number[] {
    return this.chain(key)?.versionsNewestFirst() ?? [];
  }

  allVersions(key: Uint8Array): VersionEntry[] {
    return this.chain(key)?.allVersions() ?? [];
  }

  versionSizes(key: Uint8Array): VersionSize[] {
    return this.chain(key)?.sizes() ?? [];
  }

  /**
   * Store `write` at `version`; with `observe`, first tell it what the key
   * holds (see `WriteObserver`). Returns the key's chain.
   */
  put(write: TierWrite, version: number, observe?: WriteObserver): VersionChain {
    const id = keyString(write.key);
    const chain = this.#chains.get(id);
    observe?.(this.name, write, chain?.newestSize(), chain?.sizeOf(version));
    if (chain === undefined) {
      const created = new VersionChain(id, version, write.value);
      this.#chains.set(id, created);
      this.#order.set(id, created);
      this.#log.add(version, created);
      return created;
    }
    // A replacement leaves the log as it is: it has the pair.
    if (chain.put(version, write.value)) this.#log.add(version, chain);
    return chain;
  }

  /**
   * Keep only the `keep` highest versions of `chain` (the chain of `key`),
   * as a drop of the others with their horizon and erased top would
   * (abstract-tier.ts, "Trimming on set"); tell `trimmed` what went. A
   * chain is trimmed right after its write, so it keeps at least one version.
   */
  trim(chain: VersionChain, key: Uint8Array, keep: number, trimmed: TrimObserver): void {
    if (chain.size <= keep) return;
    const erased = chain.trimOldest(keep);
    for (const { version } of erased) this.#log.delete(version);
    const horizon = {
      erasedFrom: (erased[0] as VersionSize).version,
      readableFrom: chain.oldest,
    };
    this.#horizons ??= new MemoryHorizons();
    this.#horizons.widen(key, horizon, chain.id);
    this.raiseErasedTop((erased[erased.length - 1] as VersionSize).version);
    trimmed(this.name, key, erased, horizon);
  }

  /**
   * Erase the given versions of the key with index string `id` (those not
   * stored are ignored) in one pass over its chain; forget the key once it
   * has no version.
   */
  removeVersions(id: string, versions: readonly number[]): void {
    const chain = this.#chains.get(id);
    if (chain === undefined) return;
    for (const version of chain.removeAll(versions)) this.#log.delete(version);
    if (chain.size > 0) return;
    this.#chains.delete(id);
    this.#order.delete(id);
  }

  /**
   * Erase every version of `erasure.key` below `erasure.below` (abstract-tier.ts,
   * "Erasing oldest versions"), telling `erased` of each, ascending, first;
   * forget the key once it has no version. O(log versions + versions of the key).
   */
  removeBelow<E extends TierPrefixErasure>(erasure: E, erased: PrefixObserver<E>): void {
    const id = keyString(erasure.key);
    const chain = this.#chains.get(id);
    if (chain === undefined) return;
    const count = chain.countBelow(erasure.below);
    if (count === 0) return;
    for (let at = 0; at < count; at++) {
      erased(this.name, erasure, chain.versionAt(at), chain.valueBytesAt(at));
    }
    for (const version of chain.removeOldest(count)) this.#log.delete(version);
    if (chain.size > 0) return;
    this.#chains.delete(id);
    this.#order.delete(id);
  }

  /** Erase every key and horizon. */
  clear(): void {
    this.#chains.clear();
    this.#order.clear();
    this.#log.clear();
    this.#horizons = undefined;
    this.#erasedTop = 0;
  }

  /** How many (version, key) pairs the version log indexes (one per stored version). */
  get indexedVersions(): number {
    return this.#log.size;
  }

  changePage(query: ChangeQuery): ChangePage {
    return this.#log.page(query);
  }

  horizon(key: Uint8Array): Horizon | undefined {
    return this.#horizons?.get(key);
  }

  get readableFloor(): number {
    return this.#horizons?.floor ?? 0;
  }

  get erasedTop(): number {
    return this.#erasedTop;
  }

  /** Raise the erased top to `version` (never lower it). */
  raiseErasedTop(version: number): void {
    if (version > this.#erasedTop) this.#erasedTop = version;
  }

  horizonPage(query: PageQuery): HorizonPage {
    return this.#horizons?.page(query) ?? EMPTY_HORIZON_PAGE;
  }

  /** Widen the horizon of `key` to cover `horizon` too. */
  widenHorizon(key: Uint8Array, horizon: Horizon): void {
    this.#horizons ??= new MemoryHorizons();
    this.#horizons.widen(key, horizon);
  }

  // KeyWalker: ranges walk the B+ tree.

  encode(bytes: Uint8Array): string {
    return keyString(bytes);
  }

  compare(a: string, b: string): number {
    return compareKeyStrings(a, b);
  }

  seek(from: string | undefined, inclusive: boolean, reverse: boolean): VersionChain | undefined {
    return seekPair(this.#order, this.#pair, from, inclusive, reverse)?.[1];
  }

  keyOf(chain: VersionChain): string {
    return chain.id;
  }

  visible(chain: VersionChain, version: number): TierEntry | undefined {
    return chain.visible(version);
  }
}
