/**
 * The PostgreSQL tier: multistore's store on PostgreSQL (`multistore-kv/postgres`,
 * through its public API only) and its peer, raw node-postgres on the same
 * schema with the same statements and the same pool size.
 *
 * ```
 *   "t:bench"-like table  key bytea, version bigint, value bytea, PRIMARY KEY (key, version)
 *   write    INSERT ... SELECT k, v, val FROM unnest($1::bytea[], $3::bytea[])
 *            ON CONFLICT (key, version) DO UPDATE                     one statement, autocommit
 *   get      key = $1 AND version <= $2 ORDER BY version DESC LIMIT 1  one seek
 *   scan     SELECT DISTINCT ON (key) ... version <= $1, key range, ORDER BY key, version DESC
 *   dropOld  DELETE ... USING unnest(keys) WHERE version < newest of the key   one statement
 * ```
 *
 * The store pays what makes it shareable by many processes: each commit is
 * one database transaction that locks the oracle row, reads the rows it
 * replaces (for exact statistics), writes, and updates the statistics and
 * the oracle; a drop is stored as a request and applied by `flush` under the
 * same lock, with horizons and statistics. The peer writes the rows and
 * nothing else: the ratio is the price of those guarantees.
 *
 * Each subject works in a schema of its own (`bench_<pid>_<n>`) on the
 * server the harness names (`postgresUrl`: a private cluster it started, or
 * `MULTISTORE_PG_URL`), dropped on close. Its footprint is the size of that
 * schema's tables and indexes (`pg_total_relation_size`), measured before
 * the drop.
 *
 * @module
 */

import pg from 'pg';
import { isStoreError } from '../../../common/errors.js';
import type { AsyncMultiStore } from '../../../postgres/async-store.js';
import type { AsyncTransaction } from '../../../postgres/async-transaction.js';
import { connect } from '../../../postgres/index.js';
import type { Delta } from '../../../store/deltas.js';
import type { TableDeclaration } from '../../../store/options.js';
import { counterOf, counterValue, type WriteBatch } from '../data.js';
import type { BenchSubject, ScanResult, StoredBytes, SubjectOptions } from '../subject.js';

/** Connections of either subject's pool (the store's default). */
export const POOL_SIZE = 10;
/** Entries per page of a W5 scan: one page per 1,000-key scan. */
const SCAN_PAGE_SIZE = 1000;

let schemas = 0;

function serverOf(options: SubjectOptions): string {
  const url = options.postgresUrl;
  if (url === undefined || url === '') {
    throw new Error('no PostgreSQL server: install PostgreSQL (initdb) or set MULTISTORE_PG_URL');
  }
  return url;
}

function freshSchema(): string {
  schemas++;
  return `bench_${process.pid}_${schemas}`;
}

/** Bytes of every table and index of `schema`. */
async function schemaBytes(pool: pg.Pool, schema: string): Promise<StoredBytes> {
  const { rows } = await pool.query(
    `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint AS bytes
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  const bytes = Number((rows[0] as { bytes: string }).bytes);
  return { allocated: bytes, apparent: bytes };
}

async function dropSchema(pool: pg.Pool, schema: string): Promise<void> {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Open the store on PostgreSQL for a benchmark child. */
export async function openPostgresStore(options: SubjectOptions): Promise<BenchSubject> {
  const url = serverOf(options);
  const schema = freshSchema();
  const tables: TableDeclaration[] = [];
  if (options.table !== undefined) {
    const { prefix, keepLastVersions } = options.table;
    const retention = keepLastVersions === undefined ? undefined : { keepLastVersions };
    tables.push({ name: 'bench', prefix: Uint8Array.of(prefix), ...(retention && { retention }) });
  }
  const admin = new pg.Pool({ connectionString: url, max: 1 });
  try {
    const store = await connect({
      postgres: { connectionString: url, schema, maxConnections: POOL_SIZE },
      tables,
    });
    return new PostgresStoreSubject(store, admin, schema, options.transactional === true);
  } catch (error) {
    await admin.end();
    throw error;
  }
}

type Keys = readonly Uint8Array[];

class PostgresStoreSubject implements BenchSubject {
  readonly #store: AsyncMultiStore;
  readonly #admin: pg.Pool;
  readonly #schema: string;
  readonly #transactional: boolean;

  constructor(store: AsyncMultiStore, admin: pg.Pool, schema: string, transactional: boolean) {
    this.#store = store;
    this.#admin = admin;
    this.#schema = schema;
    this.#transactional = transactional;
  }

  async write(batch: WriteBatch): Promise<void> {
    const { keys, values } = batch;
    const deltas = new Array<Delta>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      deltas[i] = { type: 'set', key: keys[i] as Uint8Array, value: values[i] as Uint8Array };
    }
    await this.#store.commit(deltas, batch.version);
  }

  async get(key: Uint8Array, version: number): Promise<number> {
    const entry = await this.#store.get(key, version);
    return entry === undefined || entry.value.length === 0 ? -1 : entry.version;
  }

  async scan(start: Uint8Array, end: Uint8Array | undefined, version: number): Promise<ScanResult> {
    let entries = 0;
    let versionSum = 0;
    const range = end === undefined ? { start } : { start, end };
    for await (const entry of this.#store.range(range, { version, pageSize: SCAN_PAGE_SIZE })) {
      entries++;
      versionSum += entry.version;
    }
    return { entries, versionSum };
  }

  async dropOld(keys: readonly Uint8Array[], version: number): Promise<void> {
    const deltas = keys.map((key): Delta => ({ type: 'drop', key, keepLastVersions: 1 }));
    await this.#store.commit(deltas, version);
  }

  settle(): Promise<void> {
    return this.#store.flush();
  }

  async versionCount(key: Uint8Array): Promise<number> {
    return (await this.#store.versions(key)).length;
  }

  async increment(groups: readonly Keys[], concurrency: number): Promise<number> {
    if (!this.#transactional) {
      for (const keys of groups) await this.#commitIncrements(keys);
      return 0;
    }
    let conflicts = 0;
    let next = 0;
    let retry: Keys[] = [];
    while (next < groups.length || retry.length > 0) {
      const window = retry;
      while (window.length < concurrency && next < groups.length)
        window.push(groups[next++] as Keys);
      const transactions: AsyncTransaction[] = [];
      for (const keys of window) transactions.push(await this.#beginIncrements(keys));
      retry = [];
      for (const [index, tx] of transactions.entries()) {
        try {
          await tx.commit();
        } catch (error) {
          if (!isStoreError(error) || error.code !== 'TRANSACTION_CONFLICT') throw error;
          conflicts++;
          retry.push(window[index] as Keys);
        }
      }
    }
    return conflicts;
  }

  async counter(key: Uint8Array): Promise<number> {
    return counterOf((await this.#store.get(key))?.value);
  }

  async #commitIncrements(keys: Keys): Promise<void> {
    const deltas = new Array<Delta>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as Uint8Array;
      const value = counterValue(counterOf((await this.#store.get(key))?.value) + 1);
      deltas[i] = { type: 'set', key, value };
    }
    await this.#store.commit(deltas);
  }

  async #beginIncrements(keys: Keys): Promise<AsyncTransaction> {
    const tx = await this.#store.begin();
    for (const key of keys) tx.set(key, counterValue(counterOf((await tx.get(key))?.value) + 1));
    return tx;
  }

  storedBytes(): Promise<StoredBytes> {
    return schemaBytes(this.#admin, this.#schema);
  }

  async close(): Promise<void> {
    try {
      await this.#store.close();
      await dropSchema(this.#admin, this.#schema);
    } finally {
      await this.#admin.end();
    }
  }
}

/** Open raw node-postgres on the store's table shape for a benchmark child. */
export async function openRawPostgres(options: SubjectOptions): Promise<BenchSubject> {
  const schema = freshSchema();
  const pool = new pg.Pool({ connectionString: serverOf(options), max: POOL_SIZE });
  try {
    await pool.query(`CREATE SCHEMA "${schema}"`);
    await pool.query(
      `CREATE TABLE "${schema}".t (key bytea NOT NULL, version bigint NOT NULL, value bytea,
         PRIMARY KEY (key, version))`,
    );
    return new RawPostgresSubject(pool, schema);
  } catch (error) {
    await pool.end();
    throw error;
  }
}

class RawPostgresSubject implements BenchSubject {
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #sql: Readonly<
    Record<'put' | 'newest' | 'scan' | 'scanToEnd' | 'dropOld' | 'count', string>
  >;

  constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#schema = schema;
    const t = `"${schema}".t`;
    this.#sql = Object.freeze({
      put: `INSERT INTO ${t} (key, version, value)
            SELECT k, $2, v FROM unnest($1::bytea[], $3::bytea[]) AS u(k, v)
            ON CONFLICT (key, version) DO UPDATE SET value = EXCLUDED.value`,
      newest: `SELECT version, value FROM ${t} WHERE key = $1 AND version <= $2
                ORDER BY version DESC LIMIT 1`,
      scan: `SELECT DISTINCT ON (key) key, version, value FROM ${t}
              WHERE version <= $1 AND key >= $2 AND key < $3 ORDER BY key, version DESC`,
      scanToEnd: `SELECT DISTINCT ON (key) key, version, value FROM ${t}
                   WHERE version <= $1 AND key >= $2 ORDER BY key, version DESC`,
      dropOld: `DELETE FROM ${t} AS t USING unnest($1::bytea[]) AS u(k)
                 WHERE t.key = u.k AND t.version < (SELECT max(version) FROM ${t} AS n WHERE n.key = u.k)`,
      count: `SELECT count(*)::int AS n FROM ${t} WHERE key = $1`,
    });
  }

  async write(batch: WriteBatch): Promise<void> {
    const { keys, values, version } = batch;
    await this.#pool.query(this.#sql.put, [keys.map(asBuffer), version, values.map(asBuffer)]);
  }

  async get(key: Uint8Array, version: number): Promise<number> {
    const { rows } = await this.#pool.query(this.#sql.newest, [asBuffer(key), version]);
    const row = rows[0] as { version: string; value: Buffer | null } | undefined;
    return row === undefined || row.value === null ? -1 : Number(row.version);
  }

  async scan(start: Uint8Array, end: Uint8Array | undefined, version: number): Promise<ScanResult> {
    const { rows } =
      end === undefined
        ? await this.#pool.query(this.#sql.scanToEnd, [version, asBuffer(start)])
        : await this.#pool.query(this.#sql.scan, [version, asBuffer(start), asBuffer(end)]);
    let entries = 0;
    let versionSum = 0;
    for (const row of rows as { version: string; value: Buffer | null }[]) {
      if (row.value === null) continue;
      entries++;
      versionSum += Number(row.version);
    }
    return { entries, versionSum };
  }

  async dropOld(keys: readonly Uint8Array[]): Promise<void> {
    await this.#pool.query(this.#sql.dropOld, [keys.map(asBuffer)]);
  }

  settle(): Promise<void> {
    return Promise.resolve();
  }

  async versionCount(key: Uint8Array): Promise<number> {
    const { rows } = await this.#pool.query(this.#sql.count, [asBuffer(key)]);
    return (rows[0] as { n: number }).n;
  }

  storedBytes(): Promise<StoredBytes> {
    return schemaBytes(this.#pool, this.#schema);
  }

  async close(): Promise<void> {
    try {
      await dropSchema(this.#pool, this.#schema);
    } finally {
      await this.#pool.end();
    }
  }
}

/** The driver sends a Buffer as bytea (a plain Uint8Array would be sent as text). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
