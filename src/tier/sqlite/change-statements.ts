/**
 * The change reads of one store table: its index by version and the
 * statements that page it.
 *
 * Every SQL table of a store table has an index on `(version, key)`
 * (`v_` + the table's hex stem), which SQLite keeps up to date inside the
 * transaction of every insert and delete: a commit's writes and a drop's
 * erasures maintain it with no code of ours, atomically with the data. (A
 * table of a file written before the index existed gets it from its first
 * change page, sql-table.ts.)
 *
 * ```
 *   v_6d756c7469 ON t_6d756c7469 (version, key)
 *   page:  WHERE version > from            (or (version, key) > cursor)
 *            AND version <= to  [AND key >= start] [AND key < end]
 *          ORDER BY version, key LIMIT n   INDEXED BY the version index
 * ```
 *
 * The index is walked from the page's first (version, key) and stops after
 * `limit` rows: a page costs O(limit) rows plus the rows of other keys in
 * that version interval that the key bounds filter out. `INDEXED BY` pins the
 * plan (a key-bounded page would otherwise be tempted by the primary key and
 * a sort; SQLite refuses a statement its named index cannot serve). The statement text depends on the
 * kinds of bounds and on the cursor, so each of the (at most 18) variants is
 * prepared on first use and kept.
 *
 * @module
 */

import type { Bound, ChangeQuery } from '../tier.js';
import type { Connection, Statement } from './load.js';
import { sqlTableName, sqlVersionIndexName } from './schema.js';

/** A row of a change page in raw mode. */
export type ChangeRow = [key: Buffer, version: number, value: Buffer | null];

const START_SQL = { unbounded: '', included: ' AND key >= ?', excluded: ' AND key > ?' };
const END_SQL = { unbounded: '', included: ' AND key <= ?', excluded: ' AND key < ?' };

/** The SQL of a change page with these bound kinds, with or without a cursor. */
export function changePageSql(
  table: string,
  start: Bound['kind'],
  end: Bound['kind'],
  cursor: boolean,
): string {
  const after = cursor ? '(version, key) > (?, ?)' : 'version > ?';
  return (
    `SELECT key, version, value FROM "${sqlTableName(table)}" ` +
    `INDEXED BY "${sqlVersionIndexName(table)}" ` +
    `WHERE ${after} AND version <= ?${START_SQL[start]}${END_SQL[end]} ` +
    'ORDER BY version, key LIMIT ?'
  );
}

/** The change statements of one table, prepared on first use. */
export class ChangeStatements {
  readonly #db: Connection;
  readonly #table: string;
  readonly #prepared = new Map<string, Statement>();

  constructor(db: Connection, table: string) {
    this.#db = db;
    this.#table = table;
  }

  /** The rows of one change page. */
  rows(query: ChangeQuery): ChangeRow[] {
    const { start, end } = query;
    // A cursor at or below `from` skips nothing of the interval.
    const cursor =
      query.cursor !== undefined && query.cursor.lastVersion > query.from
        ? query.cursor
        : undefined;
    const name = `${start.kind}/${end.kind}/${cursor !== undefined}`;
    let statement = this.#prepared.get(name);
    if (statement === undefined) {
      const sql = changePageSql(this.#table, start.kind, end.kind, cursor !== undefined);
      statement = this.#db.prepare(sql).raw();
      this.#prepared.set(name, statement);
    }
    const params: unknown[] =
      cursor === undefined ? [query.from] : [cursor.lastVersion, cursor.lastKey];
    params.push(query.to);
    if (start.kind !== 'unbounded') params.push(start.key);
    if (end.kind !== 'unbounded') params.push(end.key);
    params.push(query.limit);
    return statement.all(...params) as ChangeRow[];
  }
}
