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
 * A page runs all its seeks in one read transaction ({@link SqlTable.page}).
 * Outside a transaction every statement is a read transaction of its own,
 * and in WAL mode beginning one (taking a read mark in the WAL index, in
 * shared memory under normal locking) costs about as much as the seek
 * itself; a page of 1,000 keys begins one instead of 2,001:
 *
 * ```
 *   autocommit:      [seek] [newest] [seek] [newest] ...    one read transaction each
 *   page():   BEGIN  [seek   newest   seek   newest  ...]  COMMIT
 * ```
 *
 * A connection already in a transaction (the writer's, inside a commit; a
 * snapshot's read transaction) walks in it as it is.
 *
 * Errors are not translated here; the tier wraps them as `TIER_IO`.
 *
 * @module
 */

import { compareBytes } from '../../common/bytes.js';
import { changeCursorOf } from '../changes.js';
import { type KeyIndex, readPage, walkPage } from '../range-walk.js';
import type { TierTable } from '../table-tier.js';
import {
  type ChangePage,
  type ChangeQuery,
  EMPTY_HORIZON_PAGE,
  type Horizon,
  type HorizonEntry,
  type HorizonPage,
  type PageQuery,
  type RangePage,
  type TierEntry,
  type VersionEntry,
  type VersionSize,
} from '../tier.js';
import { type ChangeRow, ChangeStatements } from './change-statements.js';
import type { Connection } from './load.js';
import {
  createHorizonTableSql,
  createTableSql,
  createVersionIndexSql,
  erasedTopMetaName,
  floorMetaName,
  RAISE_FLOOR_SQL,
} from './schema.js';
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

/** A row of the horizon table in raw mode. */
type HorizonRow = [key: Buffer, erasedFrom: number, readableFrom: number];

/** Which horizon seek statement answers `seek(from, inclusive, reverse)`. */
function horizonSeekStatement(
  bounded: boolean,
  inclusive: boolean,
  reverse: boolean,
): StatementName {
  if (!bounded) return reverse ? 'lastHorizon' : 'firstHorizon';
  if (reverse) return inclusive ? 'horizonAtOrBefore' : 'horizonBefore';
  return inclusive ? 'horizonAtOrAfter' : 'horizonAfter';
}

/** The horizons of one store table, as a key index for the page walk. */
class HorizonIndex implements KeyIndex<Uint8Array, HorizonRow> {
  constructor(readonly statements: TableStatements) {}

  encode(bytes: Uint8Array): Uint8Array {
    return bytes;
  }

  compare(a: Uint8Array, b: Uint8Array): number {
    return compareBytes(a, b);
  }

  seek(from: Uint8Array | undefined, inclusive: boolean, reverse: boolean): HorizonRow | undefined {
    const name = horizonSeekStatement(from !== undefined, inclusive, reverse);
    const statement = this.statements.get(name);
    return (from === undefined ? statement.get() : statement.get(from)) as HorizonRow | undefined;
  }

  keyOf(row: HorizonRow): Uint8Array {
    return plain(row[0]);
  }
}

/** What a table handle knows of its horizons (see the SqlTable constructor). */
export type HorizonSource =
  | { readonly floor: number | undefined; readonly erasedTop?: number | undefined }
  | 'file';

const NO_HORIZONS: HorizonSource = Object.freeze({ floor: undefined });

/** The writer's mirror of what the file holds of a table's erasures. */
interface Mirror {
  exists: boolean;
  floor: number;
  erasedTop: number;
}

/** The SQL side of one store table. */
export class SqlTable implements TierTable<Uint8Array, Uint8Array> {
  /** The store table name. */
  readonly name: string;
  readonly #db: Connection;
  readonly #statements: TableStatements;
  readonly #changes: ChangeStatements;
  /**
   * The writer's mirror of the horizon table: whether it exists (it is
   * created by the first horizon) and the readable floor. `undefined` for a
   * reader, which reads the floor from the file on every call since another
   * process writes it (a table has horizons exactly when its floor is above
   * 0: both are written in the transaction of its first horizon). The
   * erased top likewise: the writer's mirror, or read by a reader each time.
   */
  readonly #mirror: Mirror | undefined;
  /** {@link readPage} over this table inside one read transaction. */
  readonly #pageInTransaction: (query: PageQuery) => RangePage;
  /** {@link SqlTable.horizonPage}'s walk inside one read transaction. */
  readonly #horizonPageInTransaction: (query: PageQuery) => HorizonPage;

  /**
   * A handle on an existing SQL table. `horizons` is what the writer knows
   * of its horizons (`floor` undefined: no horizon table yet) and its
   * recorded erased top, or `'file'` for a reader beside a writer. A file
   * written before erased tops existed records none: the table's floor
   * bounds every erasure it recorded, so it stands in.
   */
  constructor(db: Connection, name: string, horizons: HorizonSource = NO_HORIZONS) {
    this.name = name;
    this.#db = db;
    this.#statements = new TableStatements(db, name);
    this.#changes = new ChangeStatements(db, name);
    this.#mirror =
      horizons === 'file'
        ? undefined
        : {
            exists: horizons.floor !== undefined,
            floor: horizons.floor ?? 0,
            erasedTop: horizons.erasedTop ?? horizons.floor ?? 0,
          };
    this.#pageInTransaction = db.transaction((query: PageQuery) => readPage(this, query));
    this.#horizonPageInTransaction = db.transaction((query: PageQuery) => this.#horizonWalk(query));
  }

  /** Create the SQL table of `name` if needed, and return its (writer's) handle. */
  static create(db: Connection, name: string): SqlTable {
    db.exec(createTableSql(name));
    db.exec(createVersionIndexSql(name));
    return new SqlTable(db, name);
  }

  horizon(key: Uint8Array): Horizon | undefined {
    if (!this.#hasHorizons()) return undefined;
    const row = this.#statements.get('horizon').get(key) as [number, number] | undefined;
    return row === undefined ? undefined : { erasedFrom: row[0], readableFrom: row[1] };
  }

  get readableFloor(): number {
    if (this.#mirror !== undefined) return this.#mirror.floor;
    const floor = this.#statements.get('readFloor').get();
    return floor === undefined ? 0 : Number(floor);
  }

  get erasedTop(): number {
    if (this.#mirror !== undefined) return this.#mirror.erasedTop;
    const top = this.#statements.get('readErasedTop').get();
    return top === undefined ? this.readableFloor : Number(top);
  }

  /**
   * Raise the erased top inside the caller's transaction; returns the new
   * top for {@link erasedTopCommitted} once the transaction has committed.
   * The writer's only.
   */
  raiseErasedTop(top: number): number {
    const mirror = this.#writerMirror();
    if (top <= mirror.erasedTop) return mirror.erasedTop;
    this.#db.prepare(RAISE_FLOOR_SQL).run(erasedTopMetaName(this.name), top);
    return top;
  }

  /** The transaction of {@link raiseErasedTop} committed: the mirror follows the file. */
  erasedTopCommitted(top: number): void {
    this.#writerMirror().erasedTop = top;
  }

  /** The keys of a range whose horizon reaches above `query.version`, in one read transaction. */
  horizonPage(query: PageQuery): HorizonPage {
    if (!this.#hasHorizons()) return EMPTY_HORIZON_PAGE;
    return this.#db.inTransaction
      ? this.#horizonWalk(query)
      : this.#horizonPageInTransaction(query);
  }

  #horizonWalk(query: PageQuery): HorizonPage {
    return walkPage(
      new HorizonIndex(this.#statements),
      query,
      ([key, erasedFrom, readableFrom]) => {
        const horizon = { erasedFrom, readableFrom };
        return readableFrom > query.version ? { key: plain(key), horizon } : undefined;
      },
    );
  }

  /**
   * Widen horizons inside the caller's transaction (creating the horizon
   * table on the first); returns the new floor for {@link horizonsCommitted}
   * once the transaction has committed. The writer's only.
   */
  widenHorizons(entries: readonly HorizonEntry[]): number {
    const mirror = this.#writerMirror();
    if (!mirror.exists) this.#db.exec(createHorizonTableSql(this.name));
    const widen = this.#statements.get('widenHorizon');
    let floor = mirror.floor;
    for (const { key, horizon } of entries) {
      widen.run(key, horizon.erasedFrom, horizon.readableFrom);
      if (horizon.readableFrom > floor) floor = horizon.readableFrom;
    }
    if (floor > mirror.floor)
      this.#db.prepare(RAISE_FLOOR_SQL).run(floorMetaName(this.name), floor);
    return floor;
  }

  /** The transaction of {@link widenHorizons} committed: the mirrors follow the file. */
  horizonsCommitted(floor: number): void {
    const mirror = this.#writerMirror();
    mirror.exists = true;
    mirror.floor = floor;
  }

  #hasHorizons(): boolean {
    return this.#mirror === undefined ? this.readableFloor > 0 : this.#mirror.exists;
  }

  #writerMirror(): Mirror {
    if (this.#mirror === undefined) throw new TypeError('a reader keeps no horizons');
    return this.#mirror;
  }

  /** One change page, from the table's index by version (change-statements.ts). */
  changePage(query: ChangeQuery): ChangePage {
    const entries = this.#changes.rows(query).map(([key, version, value]: ChangeRow) => ({
      key: plain(key),
      version,
      value: value === null ? undefined : plain(value),
    }));
    return { entries, cursor: changeCursorOf(entries, query.limit) };
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

  /**
   * Erase the given versions of `key` (those stored). Versions are integers,
   * so a run of consecutive ones (a key written at every version, as a
   * counter is) holds no other stored version: it goes in one range delete.
   * The other versions go in one statement (a lone one: a point delete).
   */
  removeVersions(key: Uint8Array, versions: readonly number[]): void {
    const single: number[] = [];
    for (const [from, to] of consecutiveRuns(versions)) {
      if (from === to) single.push(from);
      else this.#statements.get('removeRange').run(key, from, to);
    }
    if (single.length === 1) this.remove(key, single[0] as number);
    else if (single.length > 1) {
      this.#statements.get('removeVersions').run(key, JSON.stringify(single));
    }
  }

  /**
   * Erase every version of `key` below its `keep` highest (trimming on set;
   * `highest`, when known, is the key's highest version, which spares a
   * query when `keep` is 1). Returns the erased sizes, ascending, and the
   * oldest version kept; `undefined` when nothing went.
   */
  trim(
    key: Uint8Array,
    keep: number,
    highest: number | undefined,
  ): { erased: VersionSize[]; keptFrom: number } | undefined {
    const keptFrom =
      keep === 1 && highest !== undefined
        ? highest
        : (this.#statements.get('keptFrom').get(key, keep - 1) as number | undefined);
    if (keptFrom === undefined) return undefined;
    const rows = this.#statements.get('trimBelow').all(key, keptFrom) as SizeRow[];
    if (rows.length === 0) return undefined;
    const erased = rows.map(([version, length]) => ({ version, valueBytes: length ?? undefined }));
    // RETURNING promises no order.
    if (erased.length > 1) erased.sort((a, b) => a.version - b.version);
    return { erased, keptFrom };
  }

  /** Erase every row, horizon and the erased top, atomically. */
  clear(): void {
    this.#db.transaction(() => {
      this.#statements.get('clear').run();
      this.#statements.get('clearErasedTop').run();
      if (!this.#hasHorizons()) return;
      this.#statements.get('clearHorizons').run();
      this.#statements.get('clearFloor').run();
    })();
    if (this.#mirror === undefined) return;
    this.#mirror.floor = 0;
    this.#mirror.erasedTop = 0;
  }

  /** One page of a range (range-walk.ts), its seeks in one read transaction. */
  page(query: PageQuery): RangePage {
    return this.#db.inTransaction ? readPage(this, query) : this.#pageInTransaction(query);
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

/**
 * The runs of consecutive integers of `versions` (any order, duplicates
 * allowed), as `[from, to]` pairs in ascending order.
 */
export function consecutiveRuns(versions: readonly number[]): [from: number, to: number][] {
  const sorted = Float64Array.from(versions).sort();
  const runs: [number, number][] = [];
  for (const version of sorted) {
    const last = runs.at(-1);
    if (last !== undefined && version <= last[1] + 1) last[1] = version;
    else runs.push([version, version]);
  }
  return runs;
}

/** An entry of `key` (an array the caller owns) from a `newest` row. */
function toEntry(key: Uint8Array, [version, value]: VersionRow): TierEntry {
  return { key, version, value: value === null ? undefined : plain(value) };
}
