/**
 * The lmdb-js peer: durable (lmdb-js's default, the bar of the SQLite tier's
 * durable writes), or with `noSync` (shown for reference).
 *
 * One LMDB database with binary composite keys (composite.ts), so a key's
 * versions are adjacent and ascending and "newest <= V" is one reverse
 * cursor step:
 *
 * ```
 *   key (16 bytes) | version (8 bytes, big-endian)  ->  value (100 bytes)
 *   write    db.transaction(() => 100 puts)   queued; lmdb-js groups queued transactions
 *   get      getRange({ start: (k, V), end: k, reverse: true, limit: 1 })
 *   scan     per key: a forward seek to the key's first entry, then get(k, V); the next
 *            key is the first entry after (k, max)
 *   dropOld  db.transaction: per key, remove every version but the last
 * ```
 *
 * Writes are lmdb-js's natural asynchronous transactions: each commit of 100
 * writes is atomic, and lmdb-js commits whatever is queued together on its
 * write thread. `settle` waits for `flushed` (durable) or `committed`
 * (`noSync`), and a workload that writes is timed until then.
 *
 * @module
 */

import { join } from 'node:path';
import { type Database, open } from 'lmdb';
import type { WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, SubjectOptions } from '../subject.js';
import { END_VERSION, VERSION_BYTES, versionedKey, versionOf } from './composite.js';

/** Open lmdb in `dir`, durable or with `noSync`. */
export function openLmdb(options: SubjectOptions, noSync: boolean): BenchSubject {
  const db = open<Uint8Array, Buffer>({
    path: join(options.dir, 'lmdb'),
    noSync,
    compression: false,
    encoding: 'binary',
    keyEncoding: 'binary',
  });
  return new LmdbSubject(db, noSync);
}

class LmdbSubject implements BenchSubject {
  readonly #db: Database<Uint8Array, Buffer>;
  readonly #noSync: boolean;

  constructor(db: Database<Uint8Array, Buffer>, noSync: boolean) {
    this.#db = db;
    this.#noSync = noSync;
  }

  write(batch: WriteBatch): void {
    const { keys, values, version } = batch;
    void this.#db.transaction(() => {
      for (let i = 0; i < keys.length; i++) {
        void this.#db.put(versionedKey(keys[i] as Uint8Array, version), values[i] as Uint8Array);
      }
    });
  }

  get(key: Uint8Array, version: number): number {
    const range = this.#db.getRange({
      start: versionedKey(key, version),
      end: Buffer.from(key),
      reverse: true,
      limit: 1,
    });
    for (const { key: found, value } of range) return value.length === 0 ? -1 : versionOf(found);
    return -1;
  }

  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): ScanResult {
    let entries = 0;
    let versionSum = 0;
    const stop = end === undefined ? undefined : Buffer.from(end);
    for (let key = this.#keyFrom(Buffer.from(start), stop); key !== undefined; ) {
      const visible = this.get(key, version);
      if (visible >= 0) {
        entries++;
        versionSum += visible;
      }
      key = this.#keyFrom(versionedKey(key, END_VERSION), stop);
    }
    return { entries, versionSum };
  }

  /** The key part of the first entry at or after `from` and before `stop`, or undefined. */
  #keyFrom(from: Buffer, stop: Buffer | undefined): Buffer | undefined {
    const range = this.#db.getKeys(
      stop === undefined ? { start: from, limit: 1 } : { start: from, end: stop, limit: 1 },
    );
    for (const found of range) return Buffer.from(found.subarray(0, found.length - VERSION_BYTES));
    return undefined;
  }

  dropOld(keys: readonly Uint8Array[]): void {
    void this.#db.transaction(() => {
      for (const key of keys) {
        const stored = [
          ...this.#db.getKeys({ start: Buffer.from(key), end: versionedKey(key, END_VERSION) }),
        ];
        for (let i = 0; i < stored.length - 1; i++) void this.#db.remove(stored[i] as Buffer);
      }
    });
  }

  async settle(): Promise<void> {
    await (this.#noSync ? this.#db.committed : this.#db.flushed);
  }

  versionCount(key: Uint8Array): number {
    return this.#db.getKeysCount({ start: Buffer.from(key), end: versionedKey(key, END_VERSION) });
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
