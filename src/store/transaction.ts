/// <reference lib="esnext.disposable" preserve="true" />

/**
 * Transactions: a stable snapshot to read, a buffer of writes, one commit.
 *
 * A transaction reads the store as of its *read version* (`tx.version`) and
 * sees its own writes on top; nothing it writes is visible to anyone else
 * until it commits, and then all of it is, at one new version:
 *
 * ```
 *   tx = store.begin()            read version = latest (5), base = 5, lease opened
 *   tx.get(a)                     own write of a? else a as of 5 (history checked)
 *   tx.set(b, 1)                  buffered (copied)
 *   tx.commit()                   conflict check above the base ─► write at 6 ─► lease closed
 *                                 (a conflict: nothing written, TRANSACTION_CONFLICT)
 * ```
 *
 * The snapshot is held by a lease in the store's snapshot registry: while it
 * is open no drop erases what the transaction can read and no explicit commit
 * lands at or below it. The lease does not reference the transaction, so a
 * transaction that is forgotten (never committed nor rolled back) is garbage
 * collected, and its lease released with a warning in the log.
 *
 * Two versions, because the read version can move (`asOf`) while conflicts
 * stay judged against the version the transaction *began* at, its base:
 * moving the reads into the past is a request to read history, not a
 * promise that the transaction's writes are based on it. A transaction begun
 * as of a past version (`begin({ asOf })`) is that promise: its base is that
 * version, and any commit above it that wrote what it writes is a conflict.
 * A transaction begun as of a future version reads like the latest state
 * until commits reach that version; its base is the latest version when it
 * began.
 *
 * Every operation first checks that the store is open (`STORE_CLOSED`), the
 * transaction too (`TRANSACTION_CLOSED`) and its lease usable
 * (`TRANSACTION_TOO_OLD` past its `maxAgeMs`). A commit always ends the
 * transaction: committed when it succeeds, rolled back (nothing written)
 * when it throws. `rollback()` is harmless after the end, and `using tx =
 * store.begin()` rolls back whatever was not committed.
 *
 * @module
 */

import {
  InvalidInputError,
  ReadOnlyTransactionError,
  TransactionClosedError,
  type TransactionEnd,
} from '../common/errors.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import { checkCount, checkVersion } from '../common/version.js';
import type { TierEntry } from '../tier/tier.js';
import {
  type BufferedDrop,
  type BufferedWrite,
  type KeyId,
  keyIdOf,
  keyRangeOf,
  overlay,
  ReadSet,
  type SnapshotLease,
  type SnapshotRegistry,
  WriteBuffer,
} from '../transaction/index.js';
import type { Delta } from './deltas.js';
import { type Codecs, decodedEntries, decodeEntry, type Input } from './encodings.js';
import {
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
  resolveRangeOptions,
  type StoreEntry,
} from './range.js';
import type { Isolation } from './transaction-options.js';
import { TransactionRange } from './transaction-range.js';

/** A live key as a transaction reads it. */
export interface TransactionEntry<K = Uint8Array, V = Uint8Array> {
  readonly key: K;
  readonly value: V;
  /** The version the value was committed at; `undefined` for the transaction's own write. */
  readonly version: number | undefined;
}

/** How a transaction's range runs (the version is the transaction's). */
export interface TransactionRangeOptions {
  /** Descending key order. */
  readonly reverse?: boolean;
  /** Entries fetched per tier page (default 256). */
  readonly pageSize?: number;
}

/** Constraints of `tx.drop`, as for a drop delta. */
export interface DropOptions {
  /** Erase only versions strictly below this one. */
  readonly upToVersion?: number;
  /** Keep this many newest versions. */
  readonly keepLastVersions?: number;
}

/** What a transaction hands the store when it commits. */
export interface TransactionWork {
  /** Its writes (one per key) then its drops, as deltas. */
  readonly deltas: readonly Delta[];
  /** The version asked for (a replica's commit), or `undefined` for the next one. */
  readonly explicit: number | undefined;
  /** The version conflicts are judged above. */
  readonly base: number;
  /** Its lease (left out of the snapshots an explicit commit must stay above). */
  readonly lease: SnapshotLease;
  /** Every key it writes or drops. */
  readonly writes: ReadonlySet<KeyId>;
  /** What it read, in serializable mode; `undefined` otherwise. */
  readonly reads: ReadSet | undefined;
  /**
   * Called once its writes are stored, before anything else can run (a
   * listener, in inline mode): from then on the transaction is committed.
   */
  readonly written: () => void;
}

/** What a transaction needs from its store. */
export interface TransactionHost {
  readonly snapshots: SnapshotRegistry;
  /** The store's key and value encodings. */
  readonly codecs: Codecs;
  /** Throw `STORE_CLOSED` once the store is closed. */
  assertOpen(): void;
  /** The entry of `key` visible at `version` (a tombstone: `value` undefined), history checked. */
  read(key: Uint8Array, version: number): TierEntry | undefined;
  /**
   * The live entries of a range at `version` (the latest version when it is
   * in the future), history checked, read under a snapshot the iterator
   * holds until it is exhausted or returned.
   */
  snapshotRange(
    range: ResolvedRange,
    version: number,
    reverse: boolean,
    pageSize: number,
    maxAgeMs: number | undefined,
  ): IterableIterator<StoreEntry>;
  /** Check for conflicts and commit; returns the version used (`undefined`: none). */
  commit(work: TransactionWork): number | undefined;
}

/** How a transaction begins (resolved by the store). */
export interface TransactionStart {
  readonly readOnly: boolean;
  readonly isolation: Isolation;
  /** The version it reads at. */
  readonly version: number;
  /** The version conflicts are judged above (read-write transactions). */
  readonly base: number;
  readonly maxAgeMs: number | undefined;
}

/** Where a transaction stands. */
export type TransactionState = 'open' | TransactionEnd;

const DROP_OPTIONS = ['upToVersion', 'keepLastVersions'];
/** The options a transaction's `range` takes. */
export const RANGE_OPTIONS: readonly string[] = ['reverse', 'pageSize'];

/** A transaction; made by `store.begin()` (see the module documentation). */
export class Transaction<K = Uint8Array, V = Uint8Array> implements Disposable {
  readonly #host: TransactionHost;
  readonly #codecs: Codecs;
  readonly #lease: SnapshotLease;
  readonly #readOnly: boolean;
  readonly #isolation: Isolation;
  readonly #base: number;
  readonly #buffer = new WriteBuffer();
  /** Keys and ranges read, for serializable read-write transactions only. */
  readonly #reads: ReadSet | undefined;
  /** Its range iterators still running: each holds a snapshot, released when it ends. */
  readonly #ranges = new Set<{ release(): void }>();
  #end: TransactionEnd | undefined;
  /** Its snapshot and buffer are released (the end is settled). */
  #released = false;
  /** `commit()` is running: calls made meanwhile (by a listener, inline) cannot change it. */
  #committing = false;
  /** Reading "before everything" (`asOf(0, { exclusive: true })`): the snapshot shows nothing. */
  #beforeAll = false;

  /** Transactions are made by `store.begin()`. */
  constructor(host: TransactionHost, start: TransactionStart) {
    this.#host = host;
    this.#codecs = host.codecs;
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

  /** The version it reads at. */
  get version(): number {
    return this.#lease.version;
  }

  /** The version it began at: commits above it that wrote what it writes conflict with it. */
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

  /**
   * `open`, or how it ended: `committed`, `rolled back` (by `rollback`, a
   * failed commit, or the store closing) or `released` (older than its
   * `maxAgeMs`).
   */
  get state(): TransactionState {
    if (this.#end !== undefined) return this.#end;
    const reason = this.#lease.releaseReason;
    if (reason === undefined) {
      // Older than its maxAgeMs is released, whether or not the registry has looked yet.
      return this.#host.snapshots.isExpired(this.#lease) ? 'released' : 'open';
    }
    return reason === 'shutdown' ? 'rolled back' : 'released';
  }

  /** The value of `key` it sees: its own write, else the snapshot's; `undefined` when absent. */
  get(key: Input<K>): TransactionEntry<K, V> | undefined {
    this.#assertUsable();
    const bytes = this.#codecs.key(key);
    const own = this.#buffer.get(bytes);
    if (own !== undefined) {
      return own.type === 'set' ? decodeEntry(this.#codecs, ownEntry(own)) : undefined;
    }
    this.#reads?.addKey(keyIdOf(bytes));
    if (this.#beforeAll) return undefined;
    const entry = this.#host.read(bytes, this.#lease.version);
    if (entry?.value === undefined) return undefined;
    return decodeEntry(this.#codecs, { key: bytes, value: entry.value, version: entry.version });
  }

  /** True when {@link get} would find a value. */
  contains(key: Input<K>): boolean {
    return this.get(key) !== undefined;
  }

  /**
   * The live entries of a key range as the transaction sees them (its own
   * writes laid over its snapshot), in key order or reverse. The iterator
   * reads one state: the writes made before the call, over the snapshot at
   * the transaction's read version when the call was made (the latest
   * version, for a read version in the future), which it holds until it is
   * exhausted or returned, whatever `asOf` does meanwhile. It fails with
   * `TRANSACTION_CLOSED` once the transaction has ended (and no longer holds
   * anything then).
   */
  range(
    spec?: RangeSpec<Input<K>>,
    options?: TransactionRangeOptions,
  ): IterableIterator<TransactionEntry<K, V>> {
    this.#assertUsable();
    const range = resolveRange(spec, this.#codecs);
    if (options !== undefined && typeof options === 'object' && options !== null) {
      rejectUnknownProperties(options, RANGE_OPTIONS, 'range options', 'INVALID_ARGUMENT');
    }
    const { reverse, pageSize } = resolveRangeOptions(options);
    const keyRange = keyRangeOf(range.start, range.end);
    const own = this.#buffer.within(keyRange, reverse);
    this.#reads?.addRange(keyRange);
    const snapshot = this.#beforeAll
      ? undefined
      : this.#host.snapshotRange(
          range,
          this.#lease.version,
          reverse,
          pageSize,
          // It expires with the transaction (which is usable: time is left).
          this.#host.snapshots.remainingMs(this.#lease),
        );
    const entries = overlay<TransactionEntry>(snapshot ?? [], own, reverse, ownEntry);
    const iterator = new TransactionRange<TransactionEntry<K, V>>({
      snapshot,
      entries: decodedEntries(this.#codecs, entries),
      assertUsable: () => this.#assertUsable(),
      ended: (ended) => this.#ranges.delete(ended),
    });
    this.#ranges.add(iterator);
    return iterator;
  }

  /** Buffer a value for `key` (copied; the last write of a key wins). */
  set(key: Input<K>, value: Input<V>): void {
    this.#assertWritable('set');
    this.#buffer.put({
      type: 'set',
      key: this.#codecs.key(key),
      value: this.#codecs.value(value, true),
    });
  }

  /** Buffer a delete of `key` that carries its old value. */
  unset(key: Input<K>, value: Input<V>): void {
    this.#assertWritable('unset');
    this.#buffer.put({
      type: 'unset',
      key: this.#codecs.key(key),
      value: this.#codecs.value(value, true),
    });
  }

  /** Buffer a delete of `key`. */
  remove(key: Input<K>): void {
    this.#assertWritable('remove');
    this.#buffer.put({ type: 'remove', key: this.#codecs.key(key) });
  }

  /**
   * Ask, with the commit, for stored versions of `key` to be erased (as a drop
   * delta does). It does not change what this transaction reads, and counts as
   * a write of `key` for conflict detection.
   */
  drop(key: Input<K>, options?: DropOptions): void {
    this.#assertWritable('drop');
    this.#buffer.drop(bufferedDrop(this.#codecs.key(key), options));
  }

  /**
   * Read as of another version from now on: `version` itself, or with
   * `exclusive` the state just before it (`asOf(0, { exclusive: true })` reads
   * nothing). The transaction's own writes stay visible, and conflicts stay
   * judged against the version it began at. History erased before the move
   * stays erased: reads there throw `VERSION_TOO_OLD`.
   */
  asOf(version: number, options?: { readonly exclusive?: boolean }): void {
    this.#assertUsable();
    const { at, beforeAll } = resolveAsOf(version, options);
    this.#host.snapshots.move(this.#lease, at);
    this.#beforeAll = beforeAll;
  }

  /**
   * Commit: the buffered writes and drops at one new version (or at `version`,
   * a replica's explicit commit), returned. A read-only transaction, or one
   * that wrote nothing, takes no version and returns `undefined`. Throws
   * `TRANSACTION_CONFLICT` (retryable: nothing was written) when a commit
   * above its base wrote a key it writes (serializable: or read). Success or
   * not, the transaction has ended.
   */
  commit(version?: number): number | undefined {
    this.#assertUsable();
    this.#committing = true;
    try {
      // The commit ends the transaction, whatever its outcome, and its ranges
      // with it: their snapshots hold nothing back from its own commit (and
      // a listener their end wakes, inline, finds the transaction committing).
      this.#releaseRanges();
      const explicit = version === undefined ? undefined : checkVersion(version);
      if (this.#readOnly) {
        if (explicit !== undefined) throw new ReadOnlyTransactionError('commit at a version');
        return undefined;
      }
      if (this.#buffer.empty && explicit === undefined) return undefined;
      return this.#host.commit({
        deltas: this.#deltas(),
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
      this.#finish('rolled back'); // unless its writes were stored: then it stays committed
      throw error;
    } finally {
      this.#committing = false;
      this.#finish('committed');
    }
  }

  /**
   * Discard everything buffered and end the transaction. Harmless once it has
   * ended, and while it commits (a listener running inside the commit).
   */
  rollback(): void {
    if (!this.#committing) this.#finish('rolled back');
  }

  /** `rollback()`: what `using tx = store.begin()` calls when the block ends. */
  [Symbol.dispose](): void {
    this.rollback();
  }

  #finish(end: TransactionEnd): void {
    if (this.#released) return;
    this.#released = true;
    this.#end ??= end;
    this.#buffer.clear();
    this.#releaseRanges();
    this.#host.snapshots.close(this.#lease);
  }

  #releaseRanges(): void {
    for (const range of this.#ranges) range.release();
    this.#ranges.clear();
  }

  #assertUsable(): void {
    this.#host.assertOpen();
    if (this.#end !== undefined) throw new TransactionClosedError(this.#end);
    // Re-entered from inside its own commit: it is being committed.
    if (this.#committing) throw new TransactionClosedError('committed');
    this.#host.snapshots.assertUsable(this.#lease);
  }

  #assertWritable(operation: string): void {
    this.#assertUsable();
    if (this.#readOnly) throw new ReadOnlyTransactionError(operation);
  }

  /** The buffer as deltas: one write per key, in key order, then the drops in order. */
  #deltas(): Delta[] {
    return bufferedDeltas(this.#buffer);
  }
}

function deltaOf(write: BufferedWrite): Delta {
  switch (write.type) {
    case 'set':
      return { type: 'set', key: write.key, value: write.value };
    case 'unset':
      return { type: 'unset', key: write.key, value: write.value };
    case 'remove':
      return { type: 'remove', key: write.key };
  }
}

/** A buffered set as an entry the caller owns (no version: not committed). */
/** A buffered set as the entry a transaction read returns (fresh bytes, no version yet). */
export function ownEntry(write: Extract<BufferedWrite, { type: 'set' }>): TransactionEntry {
  return { key: new Uint8Array(write.key), value: new Uint8Array(write.value), version: undefined };
}

/** Validate a transaction's `drop` options and make the buffered drop of `bytes` (the encoded, owned key). */
export function bufferedDrop(bytes: Uint8Array, options: DropOptions | undefined): BufferedDrop {
  if (options === undefined) return { key: bytes };
  if (!isPlainObject(options)) {
    throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`drop options`, options));
  }
  rejectUnknownProperties(options, DROP_OPTIONS, 'drop options', 'INVALID_ARGUMENT');
  const { upToVersion, keepLastVersions } = options;
  return {
    key: bytes,
    upToVersion:
      upToVersion === undefined ? undefined : checkVersion(upToVersion, 'drop upToVersion'),
    keepLastVersions:
      keepLastVersions === undefined
        ? undefined
        : checkCount(keepLastVersions, 'drop keepLastVersions'),
  };
}

/**
 * Validate `asOf`: the version the lease moves to, and whether the
 * transaction then reads before everything (exclusive of version 0).
 */
export function resolveAsOf(
  version: number,
  options: { readonly exclusive?: boolean } | undefined,
): { at: number; beforeAll: boolean } {
  const at = checkVersion(version);
  if (options !== undefined) {
    if (!isPlainObject(options)) {
      throw new InvalidInputError('INVALID_ARGUMENT', objectExpected(`asOf options`, options));
    }
    rejectUnknownProperties(options, ['exclusive'], 'asOf options', 'INVALID_ARGUMENT');
    if (options.exclusive !== undefined && typeof options.exclusive !== 'boolean') {
      throw new InvalidInputError('INVALID_ARGUMENT', 'exclusive must be a boolean');
    }
  }
  const exclusive = options?.exclusive === true;
  return { at: exclusive && at > 0 ? at - 1 : at, beforeAll: exclusive && at === 0 };
}

/** The deltas of a transaction's buffer: its writes, then its drops. */
export function bufferedDeltas(buffer: WriteBuffer): Delta[] {
  const deltas: Delta[] = buffer.writes().map(deltaOf);
  for (const { key, upToVersion, keepLastVersions } of buffer.drops()) {
    deltas.push({ type: 'drop', key, upToVersion, keepLastVersions });
  }
  return deltas;
}
