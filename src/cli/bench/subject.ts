/**
 * The contract every benchmarked implementation fulfils.
 *
 * A workload (workloads.ts) drives a subject through these few operations;
 * each subject does them the natural, best way for its engine (multistore
 * through its public API, sorted-btree through composite keys, SQLite through
 * prepared statements, lmdb and LevelDB through composite binary keys,
 * Hyperbee through batches and checkouts). Reads return what they found (a
 * version, a count) so the harness can check that every implementation of a
 * group did the same work on the same data.
 *
 * ```
 *   write(batch)        one commit / transaction of the batch's writes (100; 1,000 loading a history)
 *   get(key, v)         newest version <= v of key (value fetched), or -1
 *   scan(start, end, v) the visible keys of [start, end) at v
 *   dropOld(keys, v)    erase every version but the newest of each key (optional)
 *   settle()            wait until queued work is applied (drop worker, lmdb commits)
 *   versionCount(key)   stored versions of key (optional; for checks, never timed)
 *   increment(txs, c)   W9/W10: each group's counters + 1 in one transaction, c at a time (optional)
 *   counter(key)        the counter a key holds (optional; for checks, never timed)
 *   storedBytes()       bytes kept outside the subject's directory (optional; a server's tables)
 * ```
 *
 * An engine with only an asynchronous API (LevelDB, Hyperbee) returns
 * promises; a synchronous engine returns plain values, and the workloads
 * await only what is a promise, so a synchronous engine pays no promise
 * round-trip it would not pay in a real program. An engine without a way
 * to erase old versions (Hyperbee) has no `dropOld`; the catalog says why.
 *
 * @module
 */

import type { WriteBatch } from './data.js';

/** A value, or a promise of it from an asynchronous engine. */
export type MaybePromise<T> = T | Promise<T>;

/** What one scan saw: entries returned and the sum of their versions. */
export interface ScanResult {
  readonly entries: number;
  readonly versionSum: number;
}

/** A benchmarked implementation, opened on a fresh, empty store. */
export interface BenchSubject {
  /** Apply the batch's writes at `batch.version` atomically (one commit or transaction). */
  write(batch: WriteBatch): MaybePromise<void>;
  /** The version of the newest entry of `key` at or below `version` (value read too), or -1. */
  get(key: Uint8Array, version: number): MaybePromise<number>;
  /** Read the newest entry at or below `version` of every key in `[start, end)`. */
  scan(start: Uint8Array, end: Uint8Array | undefined, version: number): MaybePromise<ScanResult>;
  /** Erase all versions but the newest of each key, as one request batch at `version`. */
  dropOld?(keys: readonly Uint8Array[], version: number): MaybePromise<void>;
  /** Resolve once all work issued so far is applied. */
  settle(): Promise<void>;
  /** How many versions of `key` are stored. */
  versionCount?(key: Uint8Array): MaybePromise<number>;
  /**
   * W9, W10: add one to the counter of every key of each group, a group per
   * commit; `concurrency` transactions are open at a time (a conflict runs
   * its group again). Returns the conflicts met.
   */
  increment?(groups: readonly (readonly Uint8Array[])[], concurrency: number): MaybePromise<number>;
  /** The counter `key` holds (0 when absent). */
  counter?(key: Uint8Array): MaybePromise<number>;
  /**
   * Bytes the data takes where the subject keeps it, when that is not its
   * directory (a database server); measured before `close`.
   */
  storedBytes?(): Promise<StoredBytes>;
  /** Release everything (files are removed by the caller). */
  close(): Promise<void>;
}

/** Allocated and apparent bytes of stored data. */
export interface StoredBytes {
  readonly allocated: number;
  readonly apparent: number;
}

/** How a subject is opened. */
export interface SubjectOptions {
  /** A fresh directory for the subject's files. */
  readonly dir: string;
  /** W7: keys starting with this byte go to a table with this retention (`undefined`: plain table). */
  readonly table?: { readonly prefix: number; readonly keepLastVersions: number | undefined };
  /** W9, W10: `increment` in transactions (else in plain commits, one group after the other). */
  readonly transactional?: boolean;
  /** The PostgreSQL tier's server (a connection string), when the run has one. */
  readonly postgresUrl?: string;
}
