/**
 * One store table in SQLite: its reads, writes and range seeks.
 *
 * An `SqlTable` runs the cached statements of statements.ts and converts
 * between SQLite rows and tier entries: a NULL value is a tombstone, and
 * BLOBs (Node Buffers freshly allocated by the driver for each row) are
 * handed out as plain `Uint8Array` views over that same memory, which the
 * caller then owns.
 *
 * It is also the {@link KeyWalker} the shared page algorithm drives: a seek is
 * one `key > ? ORDER BY key LIMIT 1` (or a variant), the visible entry of a
 * key one `newest` lookup, so a page costs two index seeks per key it visits,
 * however many versions each key holds.
 *
 * Errors are not translated here; the tier wraps them as `TIER_IO`.
 *
 * @module
 */

import { compareBytes } from '../../common/bytes.js';
import type { TierTable } from '../table-tier.js';
import type { TierEntry, VersionEntry, VersionSize } from '../tier.js';
import type { Connection } from './load.js';
import { createTableSql } from './schema.js';
import { type StatementName, TableStatements } from './statements.js';

/** A row of `newest` / `allVersions` in raw mode. */
type VersionRow = [version: number, value: Buffer | null];

/** A row of `versionSizes` / `newestSize` / `sizeAt` in raw mode (length NULL: tombstone). */
type SizeRow = [version: number, length: number | null];

function sizeOf(row: SizeRow | undefined): VersionSize | undefined {
  return row === undefined ? undefined : { version: row[0], valueBytes: row[1] ?? undefined };
}

/** A plain Uint8Array over the same memory as `buffer`. */
function plain(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** Which seek statement answers `seek(from, inclusive, reverse)`. */
function seekStatement(bounded: boolean, inclusive: boolean, reverse: boolean): StatementName {
  if (!bounded) return reverse ? 'lastKey' : 'firstKey';
  if (reverse) return inclusive ? 'keyAtOrBefore' : 'keyBefore';
  return inclusive ? 'keyAtOrAfter' : 'keyAfter';
}

/** The SQL side of one store table. */
export class SqlTable implements TierTable<Uint8Array, Uint8Array> {
  /** The store table name. */
  readonly name: string;
  readonly #statements: TableStatements;

  /** A handle on an existing SQL table. */
  constructor(db: Connection, name: string) {
    this.name = name;
    this.#statements = new TableStatements(db, name);
  }

  /** Create the SQL table of `name` if needed, and return its handle. */
  static create(db: Connection, name: string): SqlTable {
    db.exec(createTableSql(name));
    return new SqlTable(db, name);
  }

  /** The newest entry of `key` at or below `version`, with a copy of `key` the caller owns. */
  newest(key: Uint8Array, version: number): TierEntry | undefined {
    const row = this.#row(key, version);
    // `new Uint8Array(key)` copies, and is plain even when `key` is a Buffer.
    return row && toEntry(new Uint8Array(key), row);
  }

  /** Every stored version of `key`, newest first. */
  allVersions(key: Uint8Array): VersionEntry[] {
    const rows = this.#statements.get('allVersions').all(key) as VersionRow[];
    return rows.map(([version, value]) => ({
      version,
      value: value === null ? undefined : plain(value),
    }));
  }

  /** The sizes of every stored version of `key`, newest first (no value is read). */
  versionSizes(key: Uint8Array): VersionSize[] {
    const rows = this.#statements.get('versionSizes').all(key) as SizeRow[];
    return rows.map(([version, length]) => ({ version, valueBytes: length ?? undefined }));
  }

  /** The newest stored version of `key` and the one stored at exactly `version`, as sizes. */
  sizesBefore(
    key: Uint8Array,
    version: number,
  ): [newest: VersionSize | undefined, at: VersionSize | undefined] {
    const newest = sizeOf(this.#statements.get('newestSize').get(key) as SizeRow | undefined);
    if (newest === undefined || newest.version <= version) {
      return [newest, newest?.version === version ? newest : undefined];
    }
    return [
      newest,
      sizeOf(this.#statements.get('sizeAt').get(key, version) as SizeRow | undefined),
    ];
  }

  /** Store `value` (undefined: tombstone) at a `(key, version)` known to be free: a plain insert. */
  insert(key: Uint8Array, version: number, value: Uint8Array | undefined): void {
    this.#statements.get('insert').run(key, version, value ?? null);
  }

  /** Store `value` (undefined: tombstone) at `(key, version)`, replacing it if present. */
  put(key: Uint8Array, version: number, value: Uint8Array | undefined): void {
    this.#statements.get('put').run(key, version, value ?? null);
  }

  /** Erase `(key, version)` if stored. */
  remove(key: Uint8Array, version: number): void {
    this.#statements.get('remove').run(key, version);
  }

  /** Erase the given versions of `key` (those stored), in one statement. */
  removeVersions(key: Uint8Array, versions: readonly number[]): void {
    if (versions.length === 1) this.remove(key, versions[0] as number);
    else this.#statements.get('removeVersions').run(key, JSON.stringify(versions));
  }

  /** Erase every row. */
  clear(): void {
    this.#statements.get('clear').run();
  }

  // KeyWalker: keys are the stored BLOBs themselves.

  encode(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  compare(a: Uint8Array, b: Uint8Array): number {
    return compareBytes(a, b);
  }

  seek(from: Uint8Array | undefined, inclusive: boolean, reverse: boolean): Uint8Array | undefined {
    const statement = this.#statements.get(seekStatement(from !== undefined, inclusive, reverse));
    const key = (from === undefined ? statement.get() : statement.get(from)) as Buffer | undefined;
    return key === undefined ? undefined : plain(key);
  }

  keyOf(key: Uint8Array): Uint8Array {
    return key;
  }

  /** `key` is a fresh view from `seek`, so the entry may keep it. */
  visible(key: Uint8Array, version: number): TierEntry | undefined {
    const row = this.#row(key, version);
    return row && toEntry(key, row);
  }

  #row(key: Uint8Array, version: number): VersionRow | undefined {
    return this.#statements.get('newest').get(key, version) as VersionRow | undefined;
  }
}

/** An entry of `key` (an array the caller owns) from a `newest` row. */
function toEntry(key: Uint8Array, [version, value]: VersionRow): TierEntry {
  return { key, version, value: value === null ? undefined : plain(value) };
}
