/**
 * `multistore-kv/postgres`: the store on a PostgreSQL server, shared by many
 * processes (README, "PostgreSQL: one store, many processes").
 *
 * A separate entry so that the main one (`multistore-kv`) never loads the
 * driver or a Node built-in: the core does not import this backend, this
 * entry imports the core. The driver, node-postgres (`pg`), is loaded when
 * `connect` first makes a pool; a pool you pass in is used as it is. The
 * types speak of the pool structurally ({@link PostgresPool}), so a
 * TypeScript user needs no `@types/pg`.
 *
 * @module
 */

import { AsyncMultiStore } from './async-store.js';
import type { ConnectOptions } from './setup.js';

export type { AsyncDropStats, AsyncMultiStore, AsyncStoreStats } from './async-store.js';
export type { AsyncTransaction } from './async-transaction.js';
export type { PostgresClient, PostgresPool } from './database.js';
export type { ConnectOptions, PostgresOptions } from './setup.js';

/**
 * Connect to a store on PostgreSQL (creating its schema and tables on first
 * use): an {@link AsyncMultiStore}, the embedded store's operations awaited.
 * Every process that connects to the same schema shares the store.
 */
export function connect(options: ConnectOptions): Promise<AsyncMultiStore> {
  return AsyncMultiStore.connect(options);
}
