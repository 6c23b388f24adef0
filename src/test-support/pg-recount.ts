/**
 * The ground truth for the PostgreSQL store's statistics: every row of every
 * store table read back with plain SQL and counted by the rules of the README
 * (a key's newest version, when a value, is current; every other version is
 * historical), independently of the store's own bookkeeping.
 *
 * @module
 */

import pg from 'pg';
import { FigureCounter, type StorageFigures, versionedKeyBytes } from '../stats/figures.js';

/** Figures per table, recounted from the rows of `schema`. */
export async function recountSchema(
  url: string,
  schema: string,
): Promise<Map<string, StorageFigures>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const quoted = `"${schema.replaceAll('"', '""')}"`;
    const tables = await client.query(`SELECT table_name FROM ${quoted}.stats`);
    const figures = new Map<string, StorageFigures>();
    for (const { table_name: table } of tables.rows as { table_name: string }[]) {
      const sqlName = `${quoted}."t:${table.replaceAll('"', '""')}"`;
      const { rows } = await client.query(
        `SELECT key, version, octet_length(value) AS size FROM ${sqlName} ORDER BY key, version DESC`,
      );
      const counter = new FigureCounter();
      let previous: Buffer | undefined;
      for (const row of rows as { key: Buffer; size: number | null }[]) {
        const newest = previous === undefined || !previous.equals(row.key);
        const category = newest && row.size !== null ? 'current' : 'historical';
        counter.apply(category, versionedKeyBytes(row.key), row.size ?? 0, 1);
        previous = row.key;
      }
      figures.set(table, counter.snapshot());
    }
    return figures;
  } finally {
    await client.end();
  }
}
