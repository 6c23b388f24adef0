/**
 * The lmdb-js reference (not a ratio target): durable, or with `noSync`.
 *
 * One LMDB database with binary composite keys, the key bytes followed by the
 * version as 8 big-endian bytes, so a key's versions are adjacent and
 * ascending and "newest <= V" is one reverse cursor step:
 *
 * ```
 *   key (16 bytes) | version (8 bytes, big-endian)  ->  value (100 bytes)
 *   write    db.transaction(() => 100 puts)   queued; lmdb-js groups queued transactions
 *   get      getRange({ start: (k, V), end: k, reverse: true, limit: 1 })
 *   scan     one forward cursor over [(start, 0), end): per key the last entry <= V
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

const VERSION_BYTES = 8;
/** Above every version: the exclusive end of a key's versions. */
const END_VERSION = 2 ** 53;

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

/** The composite key of `(key, version)`. */
function versionedKey(key: Uint8Array, version: number): Buffer {
  const bytes = Buffer.allocUnsafe(key.length + VERSION_BYTES);
  bytes.set(key, 0);
  bytes.writeUInt32BE(Math.floor(version / 0x1_0000_0000), key.length);
  bytes.writeUInt32BE(version >>> 0, key.length + 4);
  return bytes;
}

function versionOf(composite: Buffer): number {
  const at = composite.length - VERSION_BYTES;
  return composite.readUInt32BE(at) * 0x1_0000_0000 + composite.readUInt32BE(at + 4);
}

function sameKeyPart(a: Buffer, b: Buffer): boolean {
  const length = a.length - VERSION_BYTES;
  return length === b.length - VERSION_BYTES && a.compare(b, 0, length, 0, length) === 0;
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
    let current: Buffer | undefined;
    let visible = -1;
    const range = this.#db.getRange(
      end === undefined
        ? { start: Buffer.from(start) }
        : { start: Buffer.from(start), end: Buffer.from(end) },
    );
    for (const { key, value } of range) {
      if (current === undefined || !sameKeyPart(key, current)) {
        if (visible >= 0) {
          entries++;
          versionSum += visible;
        }
        current = Buffer.from(key); // lmdb-js may reuse the key buffer of a cursor
        visible = -1;
      }
      const found = versionOf(key);
      if (found <= version && value.length > 0) visible = found;
    }
    if (visible >= 0) {
      entries++;
      versionSum += visible;
    }
    return { entries, versionSum };
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
