/**
 * One SQLite connection and everything prepared on it.
 *
 * A tier reads and writes through one connection; a read-only tier keeps a
 * few more for its snapshots (sqlite-tier.ts). Statements are prepared once
 * per connection, on first use, and so are the handles of the store tables
 * (sql-table.ts), so a connection handed from one snapshot to the next keeps
 * its prepared statements:
 *
 * ```
 *   SqlConnection
 *     db           better-sqlite3 connection
 *     statements   the tier's own (schema.ts, STATE_SQL), prepared on first use
 *     tables       name -> SqlTable (its statements prepared on first use)
 * ```
 *
 * The writer's table handles mirror their horizons (whether the horizon
 * table exists, the readable floor) and erased top, read once when the
 * handle is made: only the writer's own drops change them. A reader's handles read them from
 * the file on every call.
 *
 * Errors are not translated here; the tier wraps them as `TIER_IO`.
 *
 * @module
 */

import type { LogRecord, StateChange, TableFigures } from '../tier.js';
import type { Connection, Statement } from './load.js';
import {
  erasedTopMetaName,
  floorMetaName,
  listStoreTables,
  STATE_SQL,
  type StateStatement,
  sqlHorizonTableName,
} from './schema.js';
import { type HorizonSource, SqlTable } from './sql-table.js';

/** Statements answering one value, prepared in `pluck` mode. */
const PLUCKED: ReadonlySet<StateStatement> = new Set([
  'readMeta',
  'readSetting',
  'listTables',
  'hasTable',
]);

/** A row of `readFigures` in raw mode: the name, then the figures in FIGURE_FIELDS order. */
type FigureRow = [string, number, number, number, number, number, number];

/** A connection with its prepared statements and table handles. */
export class SqlConnection {
  readonly db: Connection;
  readonly #statements = new Map<StateStatement, Statement>();
  readonly #tables = new Map<string, SqlTable>();
  /** True for the writer's connection (its table handles mirror their horizons). */
  readonly #writer: boolean;

  constructor(db: Connection, writer: boolean) {
    this.db = db;
    this.#writer = writer;
  }

  /** The prepared statement `name`. */
  statement(name: StateStatement): Statement {
    let statement = this.#statements.get(name);
    if (statement === undefined) {
      statement = this.db.prepare(STATE_SQL[name]);
      if (PLUCKED.has(name)) statement.pluck();
      else if (name === 'readFigures' || name === 'readLog') statement.raw();
      this.#statements.set(name, statement);
    }
    return statement;
  }

  /** The handle of a store table that exists in the database. */
  table(name: string): SqlTable {
    let table = this.#tables.get(name);
    if (table === undefined) {
      table = new SqlTable(this.db, name, this.#writer ? this.#horizonsOf(name) : 'file');
      this.#tables.set(name, table);
    }
    return table;
  }

  /**
   * What the file holds of a table's horizons: its floor when its horizon
   * table exists, and its erased top when one is recorded.
   */
  #horizonsOf(name: string): HorizonSource {
    const top = this.statement('readMeta').get(erasedTopMetaName(name));
    const erasedTop = top === undefined ? undefined : Number(top);
    if (this.statement('hasTable').get(sqlHorizonTableName(name)) === undefined) {
      return { floor: undefined, erasedTop };
    }
    const floor = this.statement('readMeta').get(floorMetaName(name));
    return { floor: floor === undefined ? 0 : Number(floor), erasedTop };
  }

  /** Remember the handle of a table just created on this connection. */
  remember(table: SqlTable): void {
    this.#tables.set(table.name, table);
  }

  /** The store tables the database holds now. */
  storeTables(): string[] {
    return listStoreTables(this.db);
  }

  /** `latest_version` as stored (0 when never written). */
  latestVersion(): number {
    const value = this.statement('readMeta').get('latest_version');
    return value === undefined ? 0 : Number(value);
  }

  readFigures(): Map<string, TableFigures> {
    const figures = new Map<string, TableFigures>();
    for (const row of this.statement('readFigures').all() as FigureRow[]) {
      const [name, currentCount, currentKeyBytes, currentValueBytes, ...historical] = row;
      const [historicalCount, historicalKeyBytes, historicalValueBytes] = historical;
      figures.set(name, {
        currentCount,
        currentKeyBytes,
        currentValueBytes,
        historicalCount,
        historicalKeyBytes,
        historicalValueBytes,
      });
    }
    return figures;
  }

  readLog(): LogRecord[] {
    const rows = this.statement('readLog').all() as [number, Buffer][];
    return rows.map(([seq, record]) => ({
      seq,
      bytes: new Uint8Array(record.buffer, record.byteOffset, record.byteLength),
    }));
  }

  /** Apply a state change (inside the caller's transaction): figures, then records. */
  applyChange(change: StateChange | undefined): void {
    if (change === undefined) return;
    const figures = change.figures?.();
    if (figures !== undefined && figures.size > 0) {
      const write = this.statement('writeFigures');
      for (const [name, f] of figures) {
        write.run(
          name,
          f.currentCount,
          f.currentKeyBytes,
          f.currentValueBytes,
          f.historicalCount,
          f.historicalKeyBytes,
          f.historicalValueBytes,
        );
      }
    }
    if (change.log !== undefined && change.log.length > 0) {
      const keep = this.statement('keepRecord');
      for (const record of change.log) keep.run(record.seq, record.bytes);
    }
    if (change.forget !== undefined && change.forget.length > 0) {
      const forget = this.statement('forgetRecord');
      for (const seq of change.forget) forget.run(seq);
    }
  }

  close(): void {
    this.#statements.clear();
    this.#tables.clear();
    this.db.close();
  }
}
