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
 * Each implementation id of the store maps to its open options in
 * {@link STORE_VARIANTS}: the SQLite tier with the store's default
 * durability (WAL, `synchronous=NORMAL`). A variant with other options
 * (such as a stricter durability, once the store takes one) is one entry
 * there plus its id in the catalog.
 *
 * @module
 */

import { join } from 'node:path';
import type { Delta } from '../../../store/deltas.js';
import { MultiStore } from '../../../store/multistore.js';
import type { MultiStoreOptions, TableDeclaration } from '../../../store/options.js';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';

/** Entries per tier page of a W5 scan: one page per 1,000-key scan. */
const SCAN_PAGE_SIZE = 1000;

/** The implementation ids of the store. */
export type MultiStoreImpl = 'multistore-memory' | 'multistore-sqlite';

/** Open options of each implementation id, given the child's directory. */
const STORE_VARIANTS: Readonly<Record<MultiStoreImpl, (dir: string) => MultiStoreOptions>> =
  Object.freeze({
    'multistore-memory': (): MultiStoreOptions => ({ tier: 'memory' }),
    'multistore-sqlite': (dir: string): MultiStoreOptions => ({ path: join(dir, 'multistore.db') }),
  });

/** Open multistore as `impl` for a benchmark child. */
export function openMultiStore(impl: MultiStoreImpl, options: SubjectOptions): BenchSubject {
  const tables: TableDeclaration[] = [];
  if (options.table !== undefined) {
    const { prefix, keepLastVersions } = options.table;
    const retention = keepLastVersions === undefined ? undefined : { keepLastVersions };
    tables.push({ name: 'bench', prefix: Uint8Array.of(prefix), ...(retention && { retention }) });
  }
  return new MultiStoreSubject(MultiStore.open({ ...STORE_VARIANTS[impl](options.dir), tables }));
}

class MultiStoreSubject implements BenchSubject {
  readonly #store: MultiStore;

  constructor(store: MultiStore) {
    this.#store = store;
  }

  write(batch: WriteBatch): void {
    const { keys, values } = batch;
    const deltas = new Array<Delta>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      deltas[i] = { type: 'set', key: keys[i] as Uint8Array, value: values[i] as Uint8Array };
    }
    this.#store.commit(deltas, batch.version);
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
    this.#store.commit(deltas, version);
  }

  settle(): Promise<void> {
    return this.#store.flush();
  }

  versionCount(key: Uint8Array): number {
    return this.#store.versions(key).length;
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
