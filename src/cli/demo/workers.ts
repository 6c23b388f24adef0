/**
 * The demo's app servers: concurrent workers committing through transactions.
 *
 * {@link WORKERS} workers share one store, as the request handlers of an app
 * would. Each commit is one transaction: the worker begins it, reads what it
 * needs (profiles it edits) through it, awaits (a request's I/O: one turn of
 * the event loop, during which the other worker runs), then writes and
 * commits. When the other worker committed a key this one writes in the
 * meantime, the commit fails with `TRANSACTION_CONFLICT` and nothing of it is
 * written; the worker runs the whole transaction again on the new state:
 *
 * ```
 *   worker 0   begin@v41 ─ read user:00007 ─ await ─────────── set ─ commit ✗ conflict ─ begin@v42 ─ ... ─ commit v43
 *   worker 1        begin@v41 ─ read user:00007 ─ await ─ set ─ commit v42
 * ```
 *
 * Each worker keeps its running totals under its own key
 * (`demo:totals:<worker>`), written in every commit of that worker, so the
 * totals themselves never make the workers conflict, and what they say is
 * exactly what was committed.
 *
 * @module
 */

import { setImmediate as nextTurn } from 'node:timers/promises';
import { isStoreError, type TransactionConflictError } from '../../common/errors.js';
import type { Delta } from '../../store/deltas.js';
import type { MultiStore } from '../../store/multistore.js';
import { type DemoWorkload, TOTALS_KEY } from './workload.js';

/** Concurrent app workers. */
export const WORKERS = 2;
/** Attempts of one transaction before the demo gives up (never reached in practice). */
export const MAX_ATTEMPTS = 20;

type Transaction = ReturnType<MultiStore['begin']>;

/** Counts kept per worker, across runs (the value of its totals key). */
export interface WorkerTotals {
  readonly runs: number;
  readonly commits: number;
  readonly versionsWritten: number;
  readonly dropDeltas: number;
  readonly conflictsRetried: number;
}

/** A conflict the demo retried, for the report. */
export interface RetriedConflict {
  readonly worker: number;
  /** The key both wrote. */
  readonly key: string | undefined;
  /** The version of the other worker's commit that won. */
  readonly wonBy: number;
  /** The version the retry committed at. */
  readonly retriedAt: number;
}

/** The totals key of a worker. */
export function totalsKey(worker: number): string {
  return `${TOTALS_KEY}:${worker}`;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What one committed tick wrote. */
export interface Tick {
  readonly version: number;
  readonly writes: number;
  readonly drops: number;
  readonly conflicts: number;
}

/** One worker: commits the app's transactions, one at a time. */
export class DemoWorker {
  readonly #store: MultiStore;
  readonly #workload: DemoWorkload;
  readonly #id: number;
  #totals: WorkerTotals;
  /** The first conflict this worker retried, and the version its retry committed at. */
  firstConflict: RetriedConflict | undefined;

  constructor(store: MultiStore, workload: DemoWorkload, id: number, stored: WorkerTotals) {
    this.#store = store;
    this.#workload = workload;
    this.#id = id;
    this.#totals = { ...stored, runs: stored.runs + 1 };
  }

  /** Everything this worker committed, this run and before. */
  get totals(): WorkerTotals {
    return this.#totals;
  }

  /** Commit one transaction of the app, running it again after each conflict. */
  async tick(): Promise<Tick> {
    let lost: TransactionConflictError | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const tx = this.#store.begin();
      try {
        const planned = await this.#fill(tx, attempt);
        const version = tx.commit() as number;
        this.#totals = planned.totals;
        if (lost !== undefined) this.#noteRetried(lost, version);
        return { version, writes: planned.writes, drops: planned.drops, conflicts: attempt };
      } catch (error) {
        tx.rollback();
        if (!isStoreError(error, 'TRANSACTION_CONFLICT')) throw error;
        lost = error as TransactionConflictError;
      }
    }
    throw lost;
  }

  /** Read, await the request's I/O, write: one attempt of a tick, buffered in `tx`. */
  async #fill(tx: Transaction, conflicts: number) {
    const commit = this.#workload.next(tx.version + 1, (key) => tx.get(key)?.value);
    await nextTurn(); // the other worker runs meanwhile, and may commit first
    for (const delta of commit.deltas) apply(tx, delta);
    const totals: WorkerTotals = {
      runs: this.#totals.runs,
      commits: this.#totals.commits + 1,
      versionsWritten: this.#totals.versionsWritten + commit.writes + 1,
      dropDeltas: this.#totals.dropDeltas + commit.drops,
      conflictsRetried: this.#totals.conflictsRetried + conflicts,
    };
    tx.set(totalsKey(this.#id), encoder.encode(JSON.stringify(totals)));
    return { totals, writes: commit.writes + 1, drops: commit.drops };
  }

  #noteRetried(error: TransactionConflictError, retriedAt: number): void {
    if (this.firstConflict !== undefined) return;
    this.firstConflict = {
      worker: this.#id,
      key: error.key === undefined ? undefined : decoder.decode(error.key),
      wonBy: error.committedVersion,
      retriedAt,
    };
  }
}

function apply(tx: Transaction, delta: Delta): void {
  switch (delta.type) {
    case 'set':
      tx.set(delta.key, delta.value);
      break;
    case 'unset':
      tx.unset(delta.key, delta.value);
      break;
    case 'remove':
      tx.remove(delta.key);
      break;
    case 'drop':
      // The demo's drops name a key; a transaction has no range drop.
      if (delta.key === undefined) throw new TypeError('the demo makes no range drops');
      tx.drop(delta.key, {
        ...(delta.upToVersion === undefined ? {} : { upToVersion: delta.upToVersion }),
        ...(delta.keepLastVersions === undefined
          ? {}
          : { keepLastVersions: delta.keepLastVersions }),
      });
      break;
  }
}
