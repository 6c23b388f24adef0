/**
 * The pool, transactions and error mapping of the PostgreSQL shell.
 *
 * ```
 *   db.transaction(work)                     work(client) inside BEGIN ... COMMIT
 *     serialization failure (40001), deadlock (40P01)
 *        -> ROLLBACK, run work again (at most `retries` more times)
 *        -> still failing: TRANSACTION_CONFLICT (nothing written)
 *     any other failure: ROLLBACK, TIER_IO with the driver's error as cause
 *     a StoreError thrown by work (a conflict, SNAPSHOT_VIOLATION): ROLLBACK, passed on
 * ```
 *
 * A COMMIT that fails because the connection broke leaves the outcome
 * unknown to this process; it is reported as `TIER_IO` (the database either
 * applied the whole transaction or none of it).
 *
 * A failure the driver emits as an `error` event on a client (the server
 * saying goodbye, `57P01` at a shutdown) must never reach the process as an
 * uncaught exception. An idle client has the pool's listener; a client we
 * hold has ours. Between the two, a pool hands a client to `connect()`'s
 * promise without a listener, and may do so inside the socket read that
 * also carries the goodbye (a new client's startup, or a client `query`
 * gave back while a `connect()` waited): the goodbye is emitted before our
 * code runs. So every client of the pool is guarded from checkout to
 * release (pg.Pool's `acquire` and `release` events); a guarded failure
 * leaves the client unusable, and its next statement fails as `TIER_IO`.
 *
 * ```
 *   idle ──acquire──► handed over ──(microtask)──► ours ──release──► idle
 *   pool's listener   guard only                   guard + ours       pool's listener
 * ```
 *
 * @module
 */

import { isStoreError, TierIoError, TransactionConflictError } from '../common/errors.js';

/** SQLSTATEs a transaction may simply be run again after. */
const RETRYABLE = new Set(['40001', '40P01']);

/** How many times a transaction is run again after a serialization failure. */
export const DEFAULT_RETRIES = 8;

/** A row as the driver returns it: column name to value. */
export type SqlRow = Record<string, unknown>;

/** What the store reads of a statement's result. */
export interface SqlResult {
  /** The driver's rows are untyped (as node-postgres types them): each reader names its columns. */
  // biome-ignore lint/suspicious/noExplicitAny: see above
  readonly rows: any[];
  readonly rowCount: number | null;
}

/** The SQL client a transaction step runs its statements on. */
export interface Sql {
  query(text: string, values?: unknown[]): Promise<SqlResult>;
}

/** A connection checked out of a pool (node-postgres' `PoolClient` is one). */
export interface PostgresClient extends Sql {
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
  release(destroy?: boolean): void;
}

/**
 * The part of a node-postgres `Pool` the store uses: a `pg.Pool` is one.
 * Typed structurally, so that the package's types never name the driver's
 * (a TypeScript user needs no `@types/pg`).
 */
export interface PostgresPool extends Sql {
  connect(): Promise<PostgresClient>;
  end(): Promise<void>;
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Used, when there, to take the store's listener off a pool of the caller's at close. */
  removeListener?(event: 'error', listener: (error: Error) => void): unknown;
}

/** The checkout events of a node-postgres `Pool` (a pool of your own may not emit them). */
interface CheckoutEvents {
  on(event: 'acquire', listener: (client: PostgresClient) => void): unknown;
  on(event: 'release', listener: (error: unknown, client: PostgresClient) => void): unknown;
  removeListener?(event: 'acquire' | 'release', listener: (...args: never[]) => void): unknown;
}

/** A checked-out client's failure with no other listener: its next statement reports it. */
const ignoreHandedOverError = () => {};

/** A pool with the store's transaction and error rules. */
export class Database {
  readonly #pool: PostgresPool;
  readonly #owned: boolean;
  readonly #onIdleError: ((error: Error) => void) | undefined;
  readonly #guard = (client: PostgresClient) => client.on('error', ignoreHandedOverError);
  readonly #unguard = (_error: unknown, client: PostgresClient) =>
    client.removeListener('error', ignoreHandedOverError);

  /**
   * `owned`: the pool was made here, and `close` ends it. `onIdleError`
   * listens to the pool's idle clients failing (a server gone away must not
   * crash the process); `close` takes it off a pool of the caller's.
   */
  constructor(pool: PostgresPool, owned: boolean, onIdleError?: (error: Error) => void) {
    this.#pool = pool;
    this.#owned = owned;
    this.#onIdleError = onIdleError;
    if (onIdleError !== undefined) pool.on('error', onIdleError);
    const checkouts = pool as unknown as CheckoutEvents;
    checkouts.on('acquire', this.#guard);
    checkouts.on('release', this.#unguard);
  }

  /** Statements on the pool outside any transaction (each on its own); failures are `TIER_IO`. */
  get sql(): Sql {
    const pool = this.#pool;
    const query = async (text: string, values?: unknown[]) => {
      try {
        return await pool.query(text, values);
      } catch (error) {
        throw tierIo('read', error);
      }
    };
    return { query };
  }

  /** One statement outside any transaction; failures are `TIER_IO`. */
  async query<R extends SqlRow>(text: string, values?: unknown[]): Promise<R[]> {
    try {
      return (await this.#pool.query(text, values)).rows as R[];
    } catch (error) {
      throw tierIo('query', error);
    }
  }

  /**
   * Run `work` in one database transaction (READ COMMITTED), retried on
   * serialization failures; see the module documentation.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>, retries = DEFAULT_RETRIES): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#once(work);
      } catch (error) {
        if (isStoreError(error)) throw error;
        if (isRetryable(error)) {
          if (attempt < retries) continue;
          const conflict = new TransactionConflictError('write', 0);
          (conflict as { cause?: unknown }).cause = error;
          throw conflict;
        }
        throw tierIo('run a transaction', error);
      }
    }
  }

  async #once<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    // The server may drop the connection between two statements: the next
    // statement fails with the cause, so the event itself must not crash the process.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true; // the connection is gone: never hand it out again
      }
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /** End the pool when it was made here; else leave it as it was given. */
  async close(): Promise<void> {
    if (this.#owned) {
      await this.#pool.end();
      return;
    }
    if (this.#onIdleError !== undefined) this.#pool.removeListener?.('error', this.#onIdleError);
    const checkouts = this.#pool as unknown as CheckoutEvents;
    checkouts.removeListener?.('acquire', this.#guard);
    checkouts.removeListener?.('release', this.#unguard);
  }
}

/** True for a serialization failure or a deadlock (the work may be run again). */
export function isRetryable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** The driver's (or the network's) error as `TIER_IO`, with it as the cause. */
export function tierIo(what: string, error: unknown): TierIoError {
  const reason = error instanceof Error ? error.message : String(error);
  return new TierIoError(`the postgres tier failed to ${what}: ${reason}`, error);
}
