/**
 * The statements on store tables: the postgres shell's raw reads and writes.
 *
 * One visibility rule, as in every tier: at version V a key shows its newest
 * stored row at or below V; a NULL value (a tombstone) there means absent.
 *
 * ```
 *   entry(k, V)     SELECT version, value ... WHERE key = k AND version <= V
 *                   ORDER BY version DESC LIMIT 1          (+ the key's horizon, same statement)
 *   page(range, V)  SELECT DISTINCT ON (key) key, version, value ... version <= V
 *                   ORDER BY key, version DESC LIMIT n     (one row per key, tombstones too)
 *   write(v, rows)  INSERT ... FROM unnest(keys, values) ON CONFLICT (key, version) DO UPDATE
 *   erase(pairs)    DELETE ... USING unnest(keys, versions)
 *   changes(...)    SELECT key, version, value ... WHERE from < version <= to
 *                   AND (version, key) > cursor ORDER BY version, key LIMIT n
 *                   (the index on (version, key): a page costs its rows)
 * ```
 *
 * Keys and values cross the driver as Buffers viewing the caller's bytes;
 * what comes back is copied into plain `Uint8Array`s the caller owns (the
 * driver's Buffers may share one slab).
 *
 * @module
 */

import { bytesToBinaryString } from '../common/bytes.js';
import type { Bound, TierEntry, VersionSize } from '../tier/tier.js';
import type { Horizon } from '../transaction/index.js';
import type { Sql } from './database.js';
import type { SqlNames } from './schema.js';

/** A view of `bytes` the driver sends as `bytea`. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A fresh `Uint8Array` with the driver's bytes. */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** A `bigint` column (the driver returns text). */
export function int(value: unknown): number {
  return Number(value);
}

/** An entry read at a version, with the horizon that refuses the read, if any. */
export interface CheckedEntry {
  readonly entry: TierEntry | undefined;
  /** The key's `readableFrom` when the read falls in its horizon (`VERSION_TOO_OLD`). */
  readonly refusedBelow: number | undefined;
}

/** One page request on one table. */
export interface PageQuery {
  readonly start: Bound;
  readonly end: Bound;
  /** Strictly after (before, in reverse) this key. */
  readonly after: Uint8Array | undefined;
  readonly version: number;
  readonly limit: number;
  readonly reverse: boolean;
}

/** One page request of the change feed on one table. */
export interface ChangeQuery {
  readonly start: Bound;
  readonly end: Bound;
  /** Writes strictly above this version (-1: every write). */
  readonly from: number;
  /** Writes at or below this version. */
  readonly to: number;
  /** Strictly after this (version, key) in (version, key) order. */
  readonly after: { readonly version: number; readonly key: Uint8Array } | undefined;
  readonly limit: number;
}

/** Statements on the store tables of one schema. */
export class Rows {
  readonly #names: SqlNames;

  constructor(names: SqlNames) {
    this.#names = names;
  }

  /** The newest row of `key` at or below `version`, and whether its horizon refuses the read. */
  async entry(sql: Sql, table: string, key: Uint8Array, version: number): Promise<CheckedEntry> {
    const { rows } = await sql.query(
      `SELECT h.readable_from, t.version, t.value
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (SELECT version, value FROM ${this.#names.table(table)}
                             WHERE key = $1 AND version <= $2 ORDER BY version DESC LIMIT 1) AS t ON true
         LEFT JOIN ${this.#names.horizons} AS h
           ON h.table_name = $3 AND h.key = $1 AND h.erased_from <= $2 AND h.readable_from > $2`,
      [asBuffer(key), version, table],
    );
    const row = rows[0] as { readable_from: unknown; version: unknown; value: Buffer | null };
    const refusedBelow = row.readable_from === null ? undefined : int(row.readable_from);
    if (row.version === null) return { entry: undefined, refusedBelow };
    const value = row.value === null ? undefined : ownBytes(row.value);
    return { entry: { key: ownBytes(key), version: int(row.version), value }, refusedBelow };
  }

  /** Every stored version of `key`, newest first, values included. */
  async versions(sql: Sql, table: string, key: Uint8Array): Promise<TierEntry[]> {
    const { rows } = await sql.query(
      `SELECT version, value FROM ${this.#names.table(table)} WHERE key = $1 ORDER BY version DESC`,
      [asBuffer(key)],
    );
    return rows.map((row: { version: unknown; value: Buffer | null }) => ({
      key: ownBytes(key),
      version: int(row.version),
      value: row.value === null ? undefined : ownBytes(row.value),
    }));
  }

  /** Every stored version of each of `keys` with its value's size, newest first (one statement), by key as a binary string. */
  async versionSizesOf(
    sql: Sql,
    table: string,
    keys: readonly Uint8Array[],
  ): Promise<Map<string, VersionSize[]>> {
    const found = new Map<string, VersionSize[]>();
    if (keys.length === 0) return found;
    const { rows } = await sql.query(
      `SELECT key, version, octet_length(value) AS size FROM ${this.#names.table(table)}
        WHERE key = ANY($1::bytea[]) ORDER BY key, version DESC`,
      [keys.map(asBuffer)],
    );
    for (const row of rows as { key: Buffer; version: unknown; size: unknown }[]) {
      const id = bytesToBinaryString(row.key);
      const sizes = found.get(id) ?? [];
      if (sizes.length === 0) found.set(id, sizes);
      sizes.push({
        version: int(row.version),
        valueBytes: row.size === null ? undefined : int(row.size),
      });
    }
    return found;
  }

  /** One row per key of the range (tombstones included), at most `limit`, in key order. */
  async page(sql: Sql, table: string, query: PageQuery): Promise<TierEntry[]> {
    const values: unknown[] = [query.version, query.limit];
    const where = ['version <= $1', ...bounds(query, values)];
    const order = query.reverse ? 'key DESC, version DESC' : 'key, version DESC';
    const { rows } = await sql.query(
      `SELECT DISTINCT ON (key) key, version, value FROM ${this.#names.table(table)}
        WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT $2`,
      values,
    );
    return rows.map((row: { key: Buffer; version: unknown; value: Buffer | null }) => ({
      key: ownBytes(row.key),
      version: int(row.version),
      value: row.value === null ? undefined : ownBytes(row.value),
    }));
  }

  /**
   * The keys of the range in `table` with a stored version at or below
   * `version` (tombstones included), strictly after `after`, in key order,
   * at most `limit`: a page of a range drop (drops.ts).
   */
  async keysPage(
    sql: Sql,
    table: string,
    query: Omit<PageQuery, 'reverse'>,
  ): Promise<Uint8Array[]> {
    const values: unknown[] = [query.version, query.limit];
    const where = ['version <= $1', ...bounds({ ...query, reverse: false }, values)];
    const { rows } = await sql.query(
      `SELECT DISTINCT key FROM ${this.#names.table(table)}
        WHERE ${where.join(' AND ')} ORDER BY key LIMIT $2`,
      values,
    );
    return rows.map((row: { key: Buffer }) => ownBytes(row.key));
  }

  /**
   * One page of the stored writes of a table's part of a range with
   * `from < version <= to`, in (version, key) order, strictly after the
   * cursor; tombstones included.
   */
  async changes(sql: Sql, table: string, query: ChangeQuery): Promise<TierEntry[]> {
    const values: unknown[] = [query.from, query.to, query.limit];
    const where = [
      'version > $1',
      'version <= $2',
      ...bounds({ ...query, after: undefined, reverse: false }, values),
    ];
    if (query.after !== undefined) {
      values.push(query.after.version, asBuffer(query.after.key));
      where.push(`(version, key) > ($${values.length - 1}, $${values.length})`);
    }
    const { rows } = await sql.query(
      `SELECT key, version, value FROM ${this.#names.table(table)}
        WHERE ${where.join(' AND ')} ORDER BY version, key LIMIT $3`,
      values,
    );
    return rows.map((row: { key: Buffer; version: unknown; value: Buffer | null }) => ({
      key: ownBytes(row.key),
      version: int(row.version),
      value: row.value === null ? undefined : ownBytes(row.value),
    }));
  }

  /**
   * Per table of `tables`, the first key of the range (and the table's
   * readable floor) whose horizon reaches into `(from, to]`: `readableFrom >
   * from` and `erasedFrom <= to` (changes.ts, "Erased history").
   */
  async refusingHorizons(
    sql: Sql,
    tables: readonly string[],
    query: Omit<ChangeQuery, 'after' | 'limit'>,
  ): Promise<Map<string, { key: Uint8Array; floor: number }>> {
    const values: unknown[] = [tables, Math.max(0, query.from), query.to];
    const where = [
      'h.table_name = ANY($1::text[])',
      'h.readable_from > $2',
      'h.erased_from <= $3',
      // A feed from at or above every erasure of the table skips nothing (see changes.ts).
      '$2 < COALESCE(s.erased_top, s.readable_floor)',
      ...bounds({ ...query, after: undefined, reverse: false }, values).map((term) => `h.${term}`),
    ];
    const { rows } = await sql.query(
      `SELECT DISTINCT ON (h.table_name) h.table_name, h.key, s.readable_floor
         FROM ${this.#names.horizons} AS h JOIN ${this.#names.stats} AS s USING (table_name)
        WHERE ${where.join(' AND ')} ORDER BY h.table_name, h.key`,
      values,
    );
    const found = new Map<string, { key: Uint8Array; floor: number }>();
    for (const row of rows as { table_name: string; key: Buffer; readable_floor: unknown }[]) {
      found.set(row.table_name, { key: ownBytes(row.key), floor: int(row.readable_floor) });
    }
    return found;
  }

  /** Raise `table`'s erased top to `top` (never lowers it; NULL, a schema from before, reads as the floor). */
  async raiseErasedTop(sql: Sql, table: string, top: number): Promise<void> {
    await sql.query(
      `UPDATE ${this.#names.stats}
          SET erased_top = GREATEST(COALESCE(erased_top, readable_floor), $2::bigint)
        WHERE table_name = $1`,
      [table, top],
    );
  }

  /**
   * Every key of the range in `tables` whose horizon reaches into `(from,
   * to]` (a diff's candidates besides the keys written), in no order.
   */
  async horizonKeys(
    sql: Sql,
    tables: readonly string[],
    query: Omit<ChangeQuery, 'after' | 'limit'>,
  ): Promise<{ table: string; key: Uint8Array }[]> {
    const values: unknown[] = [tables, Math.max(0, query.from), query.to];
    const where = [
      'table_name = ANY($1::text[])',
      'readable_from > $2',
      'erased_from <= $3',
      ...bounds({ ...query, after: undefined, reverse: false }, values),
    ];
    const { rows } = await sql.query(
      `SELECT table_name, key FROM ${this.#names.horizons} WHERE ${where.join(' AND ')}`,
      values,
    );
    return (rows as { table_name: string; key: Buffer }[]).map((row) => ({
      table: row.table_name,
      key: ownBytes(row.key),
    }));
  }

  /** The first key of the range (in reading order) whose horizon refuses a read at `version`. */
  async firstRefused(
    sql: Sql,
    table: string,
    query: Omit<PageQuery, 'after' | 'limit'>,
  ): Promise<{ key: Uint8Array; readableFrom: number } | undefined> {
    const values: unknown[] = [query.version, table];
    const where = [
      'table_name = $2',
      'erased_from <= $1',
      'readable_from > $1',
      ...bounds({ ...query, after: undefined }, values),
    ];
    const { rows } = await sql.query(
      `SELECT key, readable_from FROM ${this.#names.horizons} WHERE ${where.join(' AND ')}
        ORDER BY key ${query.reverse ? 'DESC' : ''} LIMIT 1`,
      values,
    );
    const row = rows[0] as { key: Buffer; readable_from: unknown } | undefined;
    return row === undefined
      ? undefined
      : { key: ownBytes(row.key), readableFrom: int(row.readable_from) };
  }

  /** Write rows at `version` (a NULL value is a tombstone); the last row of a key wins. */
  async write(
    sql: Sql,
    table: string,
    version: number,
    rows: ReadonlyMap<string, { key: Uint8Array; value: Uint8Array | undefined }>,
  ): Promise<void> {
    const keys: Buffer[] = [];
    const values: (Buffer | null)[] = [];
    for (const { key, value } of rows.values()) {
      keys.push(asBuffer(key));
      values.push(value === undefined ? null : asBuffer(value));
    }
    await sql.query(
      `INSERT INTO ${this.#names.table(table)} (key, version, value)
       SELECT k, $2, v FROM unnest($1::bytea[], $3::bytea[]) AS u(k, v)
       ON CONFLICT (key, version) DO UPDATE SET value = EXCLUDED.value`,
      [keys, version, values],
    );
  }

  /** For each key: its newest stored version and its row at `version`, with value sizes. */
  async before(
    sql: Sql,
    table: string,
    keys: readonly Uint8Array[],
    version: number,
  ): Promise<Map<string, { newest: VersionSize | undefined; at: VersionSize | undefined }>> {
    const name = this.#names.table(table);
    const { rows } = await sql.query(
      `SELECT u.k AS key, n.version AS newest, n.size AS newest_size, r.found, r.size AS at_size
         FROM unnest($1::bytea[]) AS u(k)
         LEFT JOIN LATERAL (SELECT version, octet_length(value) AS size FROM ${name}
                             WHERE key = u.k ORDER BY version DESC LIMIT 1) AS n ON true
         LEFT JOIN LATERAL (SELECT true AS found, octet_length(value) AS size FROM ${name}
                             WHERE key = u.k AND version = $2) AS r ON true`,
      [keys.map(asBuffer), version],
    );
    const found = new Map<
      string,
      { newest: VersionSize | undefined; at: VersionSize | undefined }
    >();
    for (const row of rows as BeforeRow[]) {
      const size = (value: unknown) => (value === null ? undefined : int(value));
      found.set(row.key.toString('latin1'), {
        newest:
          row.newest === null
            ? undefined
            : { version: int(row.newest), valueBytes: size(row.newest_size) },
        at: row.found === true ? { version, valueBytes: size(row.at_size) } : undefined,
      });
    }
    return found;
  }

  /** Erase `(key, version)` pairs of one table. */
  async erase(
    sql: Sql,
    table: string,
    pairs: readonly { key: Uint8Array; version: number }[],
  ): Promise<void> {
    if (pairs.length === 0) return;
    await sql.query(
      `DELETE FROM ${this.#names.table(table)} AS t USING unnest($1::bytea[], $2::bigint[]) AS u(k, v)
        WHERE t.key = u.k AND t.version = u.v`,
      [pairs.map((pair) => asBuffer(pair.key)), pairs.map((pair) => pair.version)],
    );
  }

  /** The horizons of `keys` in `table` (one statement), by key as a binary string. */
  async horizonsOf(
    sql: Sql,
    table: string,
    keys: readonly Uint8Array[],
  ): Promise<Map<string, Horizon>> {
    const found = new Map<string, Horizon>();
    if (keys.length === 0) return found;
    const { rows } = await sql.query(
      `SELECT key, erased_from, readable_from FROM ${this.#names.horizons}
        WHERE table_name = $1 AND key = ANY($2::bytea[])`,
      [table, keys.map(asBuffer)],
    );
    for (const row of rows as { key: Buffer; erased_from: unknown; readable_from: unknown }[]) {
      found.set(bytesToBinaryString(row.key), {
        erasedFrom: int(row.erased_from),
        readableFrom: int(row.readable_from),
      });
    }
    return found;
  }

  /** Record horizons (replacing the keys' old ones) and raise the table's readable floor. */
  async setHorizons(
    sql: Sql,
    table: string,
    horizons: readonly { key: Uint8Array; horizon: Horizon }[],
  ): Promise<void> {
    if (horizons.length === 0) return;
    await sql.query(
      `INSERT INTO ${this.#names.horizons} (table_name, key, erased_from, readable_from)
       SELECT $1, k, e, r FROM unnest($2::bytea[], $3::bigint[], $4::bigint[]) AS u(k, e, r)
       ON CONFLICT (table_name, key) DO UPDATE
         SET erased_from = EXCLUDED.erased_from, readable_from = EXCLUDED.readable_from`,
      [
        table,
        horizons.map((entry) => asBuffer(entry.key)),
        horizons.map((entry) => entry.horizon.erasedFrom),
        horizons.map((entry) => entry.horizon.readableFrom),
      ],
    );
    const highest = Math.max(...horizons.map((entry) => entry.horizon.readableFrom));
    await sql.query(
      `UPDATE ${this.#names.stats} SET readable_floor = GREATEST(readable_floor, $2) WHERE table_name = $1`,
      [table, highest],
    );
  }
}

interface BeforeRow {
  readonly key: Buffer;
  readonly newest: unknown;
  readonly newest_size: unknown;
  readonly found: boolean | null;
  readonly at_size: unknown;
}

/** The WHERE terms of a range's bounds and cursor; their values are appended to `values`. */
function bounds(query: Omit<PageQuery, 'limit' | 'version'>, values: unknown[]): string[] {
  const terms: string[] = [];
  const add = (op: string, key: Uint8Array) => {
    values.push(asBuffer(key));
    terms.push(`key ${op} $${values.length}`);
  };
  if (query.start.kind !== 'unbounded')
    add(query.start.kind === 'included' ? '>=' : '>', query.start.key);
  if (query.end.kind !== 'unbounded')
    add(query.end.kind === 'included' ? '<=' : '<', query.end.key);
  if (query.after !== undefined) add(query.reverse ? '<' : '>', query.after);
  return terms;
}
