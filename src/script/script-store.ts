/**
 * The store as the script runners drive it: the embedded `MultiStore`
 * (synchronous) or the PostgreSQL `AsyncMultiStore` (awaited), through one
 * shape whose results may be promises.
 *
 * ```
 *   runner ── await store.get(k) ──► MultiStore.get(k)        a value (await passes it on)
 *                                └─► AsyncMultiStore.get(k)   a promise
 *   runner ── collect(store.range()) ──► an iterator or an async iterator
 * ```
 *
 * The runners await every call, so one script runs alike on every tier, and
 * the embedded store keeps its synchronous API.
 *
 * @module
 */

import type { StorageFigures } from '../stats/figures.js';
import type { Change, ChangeOptions, DiffEntry, DiffOptions } from '../store/changes.js';
import type { Delta } from '../store/deltas.js';
import type { SnapshotStats, StoredVersion } from '../store/multistore.js';
import type { RangeOptions, RangeSpec } from '../store/range.js';
import type { DropOptions } from '../store/transaction.js';
import type { BeginOptions } from '../store/transaction-options.js';

/** A value, or a promise of it. */
export type Awaitable<T> = T | Promise<T>;

/** Entries of a range, synchronous or not. */
export type Entries<T> = Iterable<T> | AsyncIterable<T>;

/** A key and a value, as reads return them. */
export interface ScriptEntry {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
}

/** A transaction as the runners drive it. */
export interface ScriptTransaction {
  readonly version: number;
  get(key: Uint8Array): Awaitable<ScriptEntry | undefined>;
  contains(key: Uint8Array): Awaitable<boolean>;
  range(spec: RangeSpec, options: { reverse: boolean }): Entries<ScriptEntry>;
  set(key: Uint8Array, value: Uint8Array): void;
  unset(key: Uint8Array, value: Uint8Array): void;
  remove(key: Uint8Array): void;
  drop(key: Uint8Array, options?: DropOptions): void;
  asOf(version: number, options?: { readonly exclusive?: boolean }): void;
  commit(version?: number): Awaitable<number | undefined>;
  rollback(): void;
}

/** A store as the runners drive it. */
export interface ScriptStore {
  /** The highest version committed through this store. */
  readonly latestVersion: number;
  /**
   * Another process writes it (a read-only store): a read without a version
   * must read the latest in its own snapshot, not a version taken before it.
   */
  readonly readOnly?: boolean;
  commit(deltas: readonly Delta[], version?: number): Awaitable<number | undefined>;
  get(key: Uint8Array, version?: number): Awaitable<ScriptEntry | undefined>;
  contains(key: Uint8Array, version?: number): Awaitable<boolean>;
  range(spec?: RangeSpec, options?: RangeOptions): Entries<ScriptEntry>;
  versions(key: Uint8Array): Awaitable<StoredVersion[]>;
  /** The change feed (store/changes.ts), synchronous or not. */
  changes(options?: ChangeOptions): Entries<Change>;
  /** The keys differing between two versions, synchronous or not. */
  diff(fromVersion: number, toVersion: number, options?: DiffOptions): Entries<DiffEntry>;
  begin(options?: BeginOptions): Awaitable<ScriptTransaction>;
  flush(): Promise<void>;
  stats(): Awaitable<{ readonly total: StorageFigures; readonly snapshots: SnapshotStats }>;
  /** Drop requests held back by open snapshots. */
  dropWorkerStats(): Awaitable<{ readonly parked: number }>;
  close(): Promise<void>;
}

/** Every entry of a range, in order. */
export async function collect<T>(entries: Entries<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const entry of entries) all.push(entry);
  return all;
}
