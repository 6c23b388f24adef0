/**
 * Transactions of the PostgreSQL store: the embedded store's transactions,
 * with awaited reads and commit.
 *
 * ```
 *   tx = await store.begin()      lease at the database's latest version (this process's registry)
 *   await tx.get(k)               own write of k, else k as of tx.version (horizon checked)
 *   tx.range(...)                 own writes laid over the snapshot's pages (for await)
 *   tx.set / unset / remove / drop / asOf      buffered, as in the embedded store (no I/O)
 *   await tx.commit()             one database transaction: conflicts judged on stored history
 *                                 under the oracle lock, then the commit path
 * ```
 *
 * Everything but I/O is the embedded store's: the write buffer, the read set,
 * the lease, the validation of drops and `asOf` (`store/transaction.ts`
 * helpers). First committer wins across processes: at commit, under the
 * oracle lock, every commit of every process is in the stored history it is
 * judged on.
 *
 * @module
 */

import { type BytesLike, toOwnedBytes } from '../common/bytes.js';
import {
  ReadOnlyTransactionError,
  TransactionClosedError,
  type TransactionEnd,
} from '../common/errors.js';
import { rejectUnknownProperties } from '../common/properties.js';
import { checkVersion } from '../common/version.js';
import {
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
  resolveRangeOptions,
  type StoreEntry,
} from '../store/range.js';
import {
  bufferedDeltas,
  bufferedDrop,
  type DropOptions,
  ownEntry,
  RANGE_OPTIONS,
  resolveAsOf,
  type TransactionEntry,
  type TransactionRangeOptions,
  type TransactionStart,
  type TransactionState,
  type TransactionWork,
} from '../store/transaction.js';
import type { Isolation } from '../store/transaction-options.js';
import type { TierEntry } from '../tier/tier.js';
import {
  keyIdOf,
  keyRangeOf,
  ReadSet,
  type SnapshotLease,
  type SnapshotRegistry,
  WriteBuffer,
} from '../transaction/index.js';
import { overlayAsync } from './async-range.js';

/** What an asynchronous transaction needs from its store. */
export interface AsyncTransactionHost {
  readonly snapshots: SnapshotRegistry;
  assertOpen(): void;
  /** The newest entry of `key` at or below `version`; `VERSION_TOO_OLD` in erased history. */
  read(key: Uint8Array, version: number): Promise<TierEntry | undefined>;
  readRange(
    range: ResolvedRange,
    version: number,
    reverse: boolean,
    pageSize: number,
  ): AsyncIterable<StoreEntry>;
  commit(work: TransactionWork): Promise<number | undefined>;
}

/** A transaction of an {@link AsyncMultiStore}; made by `await store.begin()`. */
export class AsyncTransaction {
  readonly #host: AsyncTransactionHost;
  readonly #lease: SnapshotLease;
  readonly #readOnly: boolean;
  readonly #isolation: Isolation;
  readonly #base: number;
  readonly #buffer = new WriteBuffer();
  readonly #reads: ReadSet | undefined;
  #end: TransactionEnd | undefined;
  /** The lease is closed and the buffer cleared (a commit sets `#end` before that). */
  #released = false;
  #beforeAll = false;

  constructor(host: AsyncTransactionHost, start: TransactionStart) {
    this.#host = host;
    this.#readOnly = start.readOnly;
    this.#isolation = start.isolation;
    this.#base = start.base;
    this.#reads = start.isolation === 'serializable' && !start.readOnly ? new ReadSet() : undefined;
    this.#lease = host.snapshots.open({
      version: start.version,
      base: start.readOnly ? undefined : start.base,
      maxAgeMs: start.maxAgeMs,
      owner: this,
      kind: 'transaction',
    });
  }

  /** The version reads see (moved by `asOf`). */
  get version(): number {
    return this.#lease.version;
  }

  /** The version conflicts are judged above. */
  get baseVersion(): number {
    return this.#base;
  }

  /** True for a read-only transaction. */
  get readOnly(): boolean {
    return this.#readOnly;
  }

  /** `snapshot` or `serializable`. */
  get isolation(): Isolation {
    return this.#isolation;
  }

  /** `open`, `committed`, `rolled back` or `released` (expired or collected). */
  get state(): TransactionState {
    if (this.#end !== undefined) return this.#end;
    const reason = this.#lease.releaseReason;
    if (reason === undefined) return 'open';
    return reason === 'shutdown' ? 'rolled back' : 'released';
  }

  /** The value of `key` as this transaction sees it: its own write, else the snapshot's. */
  async get(key: BytesLike): Promise<TransactionEntry | undefined> {
    this.#assertUsable();
    const bytes = toOwnedBytes(key, 'key');
    const own = this.#buffer.get(bytes);
    if (own !== undefined) return own.type === 'set' ? ownEntry(own) : undefined;
    this.#reads?.addKey(keyIdOf(bytes));
    if (this.#beforeAll) return undefined;
    const entry = await this.#host.read(bytes, this.#lease.version);
    this.#assertUsable();
    if (entry?.value === undefined) return undefined;
    return { key: bytes, value: entry.value, version: entry.version };
  }

  /** True when `get(key)` finds a value. */
  async contains(key: BytesLike): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Live entries of a range as this transaction sees them (`for await`). */
  range(
    spec?: RangeSpec,
    options?: TransactionRangeOptions,
  ): AsyncIterableIterator<TransactionEntry> {
    this.#assertUsable();
    const range = resolveRange(spec);
    if (options !== undefined && typeof options === 'object' && options !== null) {
      rejectUnknownProperties(options, RANGE_OPTIONS, 'range options', 'INVALID_ARGUMENT');
    }
    const { reverse, pageSize } = resolveRangeOptions(options);
    const keyRange = keyRangeOf(range.start, range.end);
    const own = this.#buffer.within(keyRange, reverse);
    this.#reads?.addRange(keyRange);
    const snapshot = this.#beforeAll
      ? emptyAsync<TransactionEntry>()
      : this.#host.readRange(range, this.#lease.version, reverse, pageSize);
    return this.#guarded(overlayAsync<TransactionEntry>(snapshot, own, reverse, ownEntry));
  }

  /** Buffer a value for `key`. */
  set(key: BytesLike, value: BytesLike): void {
    this.#assertWritable('set');
    const bytes = toOwnedBytes(key, 'key');
    this.#buffer.put({ type: 'set', key: bytes, value: toOwnedBytes(value, 'value') });
  }

  /** Buffer a delete of `key` carrying its old value. */
  unset(key: BytesLike, value: BytesLike): void {
    this.#assertWritable('unset');
    const bytes = toOwnedBytes(key, 'key');
    this.#buffer.put({ type: 'unset', key: bytes, value: toOwnedBytes(value, 'value') });
  }

  /** Buffer a delete of `key`. */
  remove(key: BytesLike): void {
    this.#assertWritable('remove');
    this.#buffer.put({ type: 'remove', key: toOwnedBytes(key, 'key') });
  }

  /** Ask, with the commit, for stored versions of `key` to be erased. */
  drop(key: BytesLike, options?: DropOptions): void {
    this.#assertWritable('drop');
    this.#buffer.drop(bufferedDrop(toOwnedBytes(key, 'key'), options));
  }

  /** Read as of another version from now on (see the embedded `Transaction.asOf`). */
  asOf(version: number, options?: { readonly exclusive?: boolean }): void {
    this.#assertUsable();
    const { at, beforeAll } = resolveAsOf(version, options);
    this.#host.snapshots.move(this.#lease, at);
    this.#beforeAll = beforeAll;
  }

  /**
   * Commit the buffered writes at one new version (or at `version`); returns
   * it, or `undefined` when nothing was written. `TRANSACTION_CONFLICT` when a
   * commit of any process above its base wrote a key it writes (serializable:
   * or read). Success or not, the transaction has ended.
   */
  async commit(version?: number): Promise<number | undefined> {
    this.#assertUsable();
    try {
      const explicit = version === undefined ? undefined : checkVersion(version);
      if (this.#readOnly) {
        if (explicit !== undefined) throw new ReadOnlyTransactionError('commit at a version');
        return undefined;
      }
      if (this.#buffer.empty && explicit === undefined) return undefined;
      return await this.#host.commit({
        deltas: bufferedDeltas(this.#buffer),
        explicit,
        base: this.#base,
        lease: this.#lease,
        writes: this.#buffer.keys(),
        reads: this.#reads,
        written: () => {
          this.#end = 'committed';
        },
      });
    } catch (error) {
      this.#finish('rolled back');
      throw error;
    } finally {
      this.#finish('committed');
    }
  }

  /** Discard everything buffered and end the transaction. Harmless once it has ended. */
  rollback(): void {
    this.#finish('rolled back');
  }

  #finish(end: TransactionEnd): void {
    if (this.#released) return;
    this.#released = true;
    this.#end ??= end;
    this.#buffer.clear();
    this.#host.snapshots.close(this.#lease);
  }

  #assertUsable(): void {
    this.#host.assertOpen();
    if (this.#end !== undefined) throw new TransactionClosedError(this.#end);
    this.#host.snapshots.assertUsable(this.#lease);
  }

  #assertWritable(operation: string): void {
    this.#assertUsable();
    if (this.#readOnly) throw new ReadOnlyTransactionError(operation);
  }

  async *#guarded(
    entries: AsyncIterable<TransactionEntry>,
  ): AsyncGenerator<TransactionEntry, void> {
    try {
      for await (const entry of entries) {
        this.#assertUsable();
        yield entry;
      }
    } catch (error) {
      this.#assertUsable(); // a page read after close failed on the ended pool
      throw error;
    }
  }
}

async function* emptyAsync<T>(): AsyncGenerator<T, void> {}
