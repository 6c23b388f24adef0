/**
 * multistore itself, on the memory tier or on a SQLite file, through its
 * public API only: `commit` of set / drop deltas, `get`, `range`, `flush`,
 * `versions`. Nothing here reaches below `MultiStore`, so the figures are
 * what a user of the library gets.
 *
 * W7's retention run declares one table (the update keys' prefix) with
 * `keepLastVersions: 1`; its plain run declares the same table without
 * retention, so routing costs the same and only retention differs.
 *
 * W9 and W10 increment counters, a group of keys per commit: opened
 * `transactional`, each group is a transaction (`begin`, `get` and `set` per
 * key, `commit`), `concurrency` of them open at once and committed in order,
 * a conflicting one run again with the next ones; otherwise each group is a
 * plain commit of the sets, after a `get` of each key.
 *
 * Each implementation id of the store maps to its open options in
 * {@link STORE_VARIANTS}: the SQLite tier with the store's defaults (WAL,
 * `synchronous=NORMAL`, normal locking), with `synchronous: 'full'` (an
 * fsync per commit), and with `locking: 'exclusive'` (no reader beside the
 * writer, no shared-memory WAL index). A variant with other options is one
 * entry there plus its id in the catalog. `multistore-sqlite-group` opens
 * as `multistore-sqlite-full` and commits through `commitAsync`: `write`
 * starts the commit and keeps its promise, `settle` awaits them all (each
 * resolves once its group is synced) and then `flush`es.
 *
 * @module
 */

import { join } from 'node:path';
import { isStoreError } from '../../../common/errors.js';
import type { Delta } from '../../../store/deltas.js';
import { MultiStore } from '../../../store/multistore.js';
import type { MultiStoreOptions, TableDeclaration } from '../../../store/options.js';
import type { Transaction } from '../../../store/transaction.js';
import { counterOf, counterValue, type WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';

/** Entries per tier page of a W5 scan: one page per 1,000-key scan. */
const SCAN_PAGE_SIZE = 1000;

/** The implementation ids of the store. */
export type MultiStoreImpl =
  | 'multistore-memory'
  | 'multistore-sqlite'
  | 'multistore-sqlite-full'
  | 'multistore-sqlite-group'
  | 'multistore-sqlite-exclusive';

/** Open options of each implementation id, given the child's directory. */
const STORE_VARIANTS: Readonly<Record<MultiStoreImpl, (dir: string) => MultiStoreOptions>> =
  Object.freeze({
    'multistore-memory': (): MultiStoreOptions => ({ tier: 'memory' }),
    'multistore-sqlite': (dir: string): MultiStoreOptions => ({ path: join(dir, 'multistore.db') }),
    'multistore-sqlite-full': (dir: string): MultiStoreOptions => ({
      path: join(dir, 'multistore.db'),
      sqlite: { synchronous: 'full' },
    }),
    'multistore-sqlite-group': (dir: string): MultiStoreOptions => ({
      path: join(dir, 'multistore.db'),
      sqlite: { synchronous: 'full' },
    }),
    'multistore-sqlite-exclusive': (dir: string): MultiStoreOptions => ({
      path: join(dir, 'multistore.db'),
      sqlite: { locking: 'exclusive' },
    }),
  });

/** Open multistore as `impl` for a benchmark child. */
export function openMultiStore(impl: MultiStoreImpl, options: SubjectOptions): BenchSubject {
  const tables: TableDeclaration[] = [];
  if (options.table !== undefined) {
    const { prefix, keepLastVersions } = options.table;
    const retention = keepLastVersions === undefined ? undefined : { keepLastVersions };
    tables.push({ name: 'bench', prefix: Uint8Array.of(prefix), ...(retention && { retention }) });
  }
  const store = MultiStore.open({ ...STORE_VARIANTS[impl](options.dir), tables });
  const grouped = impl === 'multistore-sqlite-group';
  return new MultiStoreSubject(store, options.transactional === true, grouped);
}

type Keys = readonly Uint8Array[];

class MultiStoreSubject implements BenchSubject {
  readonly #store: MultiStore;
  readonly #transactional: boolean;
  /** Commits through `commitAsync`: the promises not awaited yet (`undefined`: plain commits). */
  readonly #pending: Promise<unknown>[] | undefined;

  constructor(store: MultiStore, transactional: boolean, grouped: boolean) {
    this.#store = store;
    this.#transactional = transactional;
    this.#pending = grouped ? [] : undefined;
  }

  /** Commit as the variant does: at once, or grouped (its promise kept for `settle`). */
  #commit(deltas: Delta[], version: number): void {
    if (this.#pending === undefined) this.#store.commit(deltas, version);
    else this.#pending.push(this.#store.commitAsync(deltas, version));
  }

  write(batch: WriteBatch): void {
    const { keys, values } = batch;
    const deltas = new Array<Delta>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      deltas[i] = { type: 'set', key: keys[i] as Uint8Array, value: values[i] as Uint8Array };
    }
    this.#commit(deltas, batch.version);
  }

  get(key: Uint8Array, version: number): number {
    const entry = this.#store.get(key, version);
    return entry === undefined || entry.value.length === 0 ? -1 : entry.version;
  }

  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): ScanResult {
    let entries = 0;
    let versionSum = 0;
    const range = end === undefined ? { start } : { start, end };
    for (const entry of this.#store.range(range, { version, pageSize: SCAN_PAGE_SIZE })) {
      entries++;
      versionSum += entry.version;
    }
    return { entries, versionSum };
  }

  dropOld(keys: readonly Uint8Array[], version: number): void {
    const deltas = keys.map((key): Delta => ({ type: 'drop', key, keepLastVersions: 1 }));
    this.#commit(deltas, version);
  }

  async settle(): Promise<void> {
    const pending = this.#pending?.splice(0) ?? [];
    await Promise.all(pending);
    await this.#store.flush();
  }

  versionCount(key: Uint8Array): number {
    return this.#store.versions(key).length;
  }

  increment(groups: readonly Keys[], concurrency: number): number {
    if (!this.#transactional) {
      for (const keys of groups) this.#commitIncrements(keys);
      return 0;
    }
    let conflicts = 0;
    let next = 0;
    let retry: Keys[] = [];
    while (next < groups.length || retry.length > 0) {
      const window = retry;
      while (window.length < concurrency && next < groups.length)
        window.push(groups[next++] as Keys);
      const transactions = window.map((keys) => this.#beginIncrements(keys));
      retry = [];
      for (const [index, tx] of transactions.entries()) {
        try {
          tx.commit();
        } catch (error) {
          if (!isStoreError(error) || error.code !== 'TRANSACTION_CONFLICT') throw error;
          conflicts++;
          retry.push(window[index] as Keys);
        }
      }
    }
    return conflicts;
  }

  counter(key: Uint8Array): number {
    return counterOf(this.#store.get(key)?.value);
  }

  #commitIncrements(keys: Keys): void {
    const deltas = new Array<Delta>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as Uint8Array;
      const value = counterValue(counterOf(this.#store.get(key)?.value) + 1);
      deltas[i] = { type: 'set', key, value };
    }
    this.#store.commit(deltas);
  }

  #beginIncrements(keys: Keys): Transaction {
    const tx = this.#store.begin();
    for (const key of keys) tx.set(key, counterValue(counterOf(tx.get(key)?.value) + 1));
    return tx;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
