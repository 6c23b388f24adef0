/**
 * Errors of multistore.
 *
 * Every error the library throws on purpose is a {@link StoreError} with a
 * stable `code`: callers branch on the code, never on the message, so the
 * message can stay written for humans. Subclasses group the codes by who is at
 * fault:
 *
 * ```
 *   StoreError (code)
 *   ├── InvalidInputError   INVALID_*      the caller passed something wrong
 *   ├── StoreClosedError    STORE_CLOSED   the store (or tier) was closed
 *   ├── StoreLockedError    STORE_LOCKED   the file is held by another writer (this process or another),
 *   │                                      or by readers when exclusive locking was asked for
 *   ├── ReadOnlyError       READ_ONLY      a write on a store (or tier) opened read-only
 *   ├── TierIoError         TIER_IO        the storage below failed (cause attached)
 *   │   transactions and snapshots:
 *   ├── TransactionConflictError  TRANSACTION_CONFLICT   a concurrent commit won (retryable)
 *   ├── SnapshotViolationError    SNAPSHOT_VIOLATION     an explicit commit under an open snapshot
 *   ├── VersionTooOldError        VERSION_TOO_OLD        the history a read needs was erased
 *   ├── TransactionTooOldError    TRANSACTION_TOO_OLD    older than its maxAgeMs
 *   ├── TransactionClosedError    TRANSACTION_CLOSED     used after commit / rollback
 *   └── ReadOnlyTransactionError  TRANSACTION_READ_ONLY  a write in a read-only transaction
 * ```
 *
 * `SCRIPT_ERROR` belongs to the script layer (`ScriptError`, src/script/),
 * which the CLI uses; the store itself never throws it.
 *
 * The README lists every code; a new code is a change of the public API.
 *
 * @module
 */

/** Every code a {@link StoreError} can carry. */
export const ERROR_CODES = [
  'INVALID_VERSION',
  'INVALID_KEY',
  'INVALID_VALUE',
  'INVALID_DELTA',
  'INVALID_ARGUMENT',
  'INVALID_OPTIONS',
  'STORE_CLOSED',
  'STORE_LOCKED',
  'STORE_FAILED',
  'READ_ONLY',
  'TIER_IO',
  'SCRIPT_ERROR',
  'TRANSACTION_CONFLICT',
  'SNAPSHOT_VIOLATION',
  'VERSION_TOO_OLD',
  'TRANSACTION_TOO_OLD',
  'TRANSACTION_CLOSED',
  'TRANSACTION_READ_ONLY',
  'WATCH_OVERFLOW',
] as const;

/** A stable, documented error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Codes of {@link InvalidInputError}: the caller passed something wrong. */
export type InvalidInputCode = Extract<ErrorCode, `INVALID_${string}`>;

/** Base class of every error multistore throws on purpose. */
export class StoreError extends Error {
  /** Stable machine-readable code; see the README for the list. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The caller passed a bad version, key, value, delta, argument or option. */
export class InvalidInputError extends StoreError {
  constructor(code: InvalidInputCode, message: string) {
    super(code, message);
  }
}

/** The store or tier was closed; no further calls are accepted. */
export class StoreClosedError extends StoreError {
  constructor(what = 'store') {
    super('STORE_CLOSED', `the ${what} is closed`);
  }
}

/** Who holds a file that a {@link StoreLockedError} refused to open. */
export type LockHolder = 'this process' | 'another process';

/**
 * Why a {@link StoreLockedError} refused an open: another writer holds the
 * file (`writer`); a writer holds it with exclusive locking, which admits no
 * reader (`exclusive writer`, refusing a read-only open); or the file is open
 * in other connections, read-only stores most often, while a writer asks for
 * exclusive locking, which needs it alone (`readers`).
 */
export type LockConflict = 'writer' | 'exclusive writer' | 'readers';

/**
 * The SQLite file is held elsewhere, in this process or another: by a writer
 * (a second writer is refused), by a writer with exclusive locking (a reader
 * is refused too), or by readers (a writer with exclusive locking is refused).
 */
export class StoreLockedError extends StoreError {
  /** The path that was refused. */
  readonly path: string;
  /** Where the store holding the file runs. */
  readonly holder: LockHolder;
  /** What holds it (`writer` unless said otherwise). */
  readonly conflict: LockConflict;

  constructor(
    path: string,
    holder: LockHolder,
    options?: { cause?: unknown; conflict?: LockConflict },
  ) {
    const conflict = options?.conflict ?? 'writer';
    const cause =
      options !== undefined && 'cause' in options ? { cause: options.cause } : undefined;
    super('STORE_LOCKED', lockedMessage(path, holder, conflict), cause);
    this.path = path;
    this.holder = holder;
    this.conflict = conflict;
  }
}

function lockedMessage(path: string, holder: LockHolder, conflict: LockConflict): string {
  const where = holder === 'this process' ? 'in this process' : 'in another process';
  switch (conflict) {
    case 'writer':
      return `the file ${path} is already open for writing ${where}; close it there first, or open it read-only`;
    case 'exclusive writer':
      return (
        `the file ${path} is open for writing ${where} with exclusive locking (sqlite.locking 'exclusive'), ` +
        "which admits no reader; close that store first, or open it with sqlite.locking 'normal'"
      );
    case 'readers':
      return (
        `the file ${path} is open in other connections ${where} (read-only stores, or a writer of an older multistore): ` +
        "exclusive locking (sqlite.locking 'exclusive') needs the file alone; close them first, or open with sqlite.locking 'normal'"
      );
  }
}

/** A write (a commit, a table or setting change) on a store or tier opened read-only. */
export class ReadOnlyError extends StoreError {
  constructor(what = 'store', action = 'write') {
    super('READ_ONLY', `the ${what} is open read-only: it cannot ${action}`);
  }
}

/** The storage tier failed; the original error is the `cause`. */
export class TierIoError extends StoreError {
  constructor(message: string, cause: unknown) {
    super('TIER_IO', message, { cause });
  }
}

/**
 * The store stopped: a write group failed to commit (see `commitAsync`), so
 * what it had acknowledged as written is not in the file. It refuses every
 * call but `close`; opening the file again gives its last durable state.
 * The failure of the group's commit is the `cause`.
 */
export class StoreFailedError extends StoreError {
  constructor(cause: unknown) {
    super(
      'STORE_FAILED',
      'the store stopped after a group commit failed (its commits are not in the file): close it and open the file again',
      { cause },
    );
  }
}

/** True when `error` is a {@link StoreError} (optionally with the given code). */
export function isStoreError(error: unknown, code?: ErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}

// ---------------------------------------------------------------------------
// Transactions and snapshots.

/** What a transaction read or wrote that a newer commit also wrote. */
export type ConflictReason = 'write' | 'read' | 'range';

/**
 * A commit above the transaction's version wrote a key the transaction writes
 * (or, in serializable mode, a key or range it read). Nothing was written;
 * running the transaction again from the start may succeed.
 */
export class TransactionConflictError extends StoreError {
  /** Always true: the transaction may be retried from the start. */
  readonly retryable = true;
  /** Whether the key was written, read, or inside a range read by the transaction. */
  readonly reason: ConflictReason;
  /** The key both wrote (or this transaction read), when known. */
  readonly key: Uint8Array | undefined;
  /** The version of the newer commit that wrote it. */
  readonly committedVersion: number;

  constructor(reason: ConflictReason, committedVersion: number, key?: Uint8Array) {
    const what = key === undefined ? 'a key' : `key ${quoteKey(key)}`;
    const role = { write: 'it writes', read: 'it read', range: 'in a range it read' }[reason];
    super(
      'TRANSACTION_CONFLICT',
      `transaction conflict: ${what} (${role}) was written by a commit at version ${committedVersion}; retry the transaction`,
    );
    this.reason = reason;
    this.key = key;
    this.committedVersion = committedVersion;
  }
}

/**
 * An explicit-version commit at or below the version of an open snapshot (a
 * transaction, a range read, a commit in progress): it would change what that
 * snapshot reads, so it is refused and nothing is written.
 */
export class SnapshotViolationError extends StoreError {
  /** The explicit version asked for. */
  readonly version: number;
  /** The highest version an open snapshot reads at (or began at). */
  readonly snapshotVersion: number;

  constructor(version: number, snapshotVersion: number) {
    super(
      'SNAPSHOT_VIOLATION',
      `cannot commit at version ${version}: a snapshot open at version ${snapshotVersion} would see it change; commit above ${snapshotVersion} or after the snapshot ends`,
    );
    this.version = version;
    this.snapshotVersion = snapshotVersion;
  }
}

/**
 * The answer of a read at `version` was erased (a drop or retention erased the
 * history it needs); `readableFrom` is the oldest version that can still be
 * read for the key. Also thrown for an explicit commit writing the key at
 * a version below `readableFrom` (`operation` `write`: inside the erased
 * history the value could never be read back; below it, it would show above
 * the versions erased, where a deletion left the key absent).
 */
export class VersionTooOldError extends StoreError {
  /** The version the read asked for. */
  readonly version: number;
  /** The oldest version of the key that can still be read. */
  readonly readableFrom: number;
  /** The key, when known. */
  readonly key: Uint8Array | undefined;

  /** What was refused: a read at `version`, or a write there. */
  readonly operation: 'read' | 'write';

  constructor(
    version: number,
    readableFrom: number,
    key?: Uint8Array,
    operation: 'read' | 'write' = 'read',
  ) {
    const what = key === undefined ? 'the key' : `key ${quoteKey(key)}`;
    const verb = operation === 'read' ? 'read' : 'written';
    super(
      'VERSION_TOO_OLD',
      `${what} cannot be ${verb} at version ${version}: its history there was erased; the oldest readable version is ${readableFrom}`,
    );
    this.operation = operation;
    this.version = version;
    this.readableFrom = readableFrom;
    this.key = key;
  }
}

/** A transaction older than its `maxAgeMs` was released: its reads and its commit fail. */
export class TransactionTooOldError extends StoreError {
  /** How old the transaction was, in milliseconds. */
  readonly ageMs: number;
  /** The age it was allowed. */
  readonly maxAgeMs: number;

  constructor(ageMs: number, maxAgeMs: number) {
    super(
      'TRANSACTION_TOO_OLD',
      `the transaction is ${ageMs} ms old, above its maxAgeMs of ${maxAgeMs}; its snapshot was released`,
    );
    this.ageMs = ageMs;
    this.maxAgeMs = maxAgeMs;
  }
}

/** How a transaction ended. */
export type TransactionEnd = 'committed' | 'rolled back' | 'released';

/** A call on a transaction that already ended (committed, rolled back, or released). */
export class TransactionClosedError extends StoreError {
  /** How it ended. */
  readonly end: TransactionEnd;

  constructor(end: TransactionEnd) {
    super('TRANSACTION_CLOSED', `the transaction was ${end}; begin a new one`);
    this.end = end;
  }
}

/** A write (`set`, `remove`, `unset`, `drop`) in a read-only transaction. */
export class ReadOnlyTransactionError extends StoreError {
  constructor(operation: string) {
    super('TRANSACTION_READ_ONLY', `${operation} is not allowed in a read-only transaction`);
  }
}

/**
 * A watch's consumer fell behind: more changes waited for it than its buffer
 * holds, so the watch ended (and let go of what it buffered). `lastVersion`
 * is the version of the last change it delivered (the store's latest version
 * when the watch began, if it delivered none): `store.changes({ from:
 * lastVersion })` resumes from there.
 */
export class WatchOverflowError extends StoreError {
  /** The version of the last change the watch delivered. */
  readonly lastVersion: number;
  /** The buffer size that was exceeded. */
  readonly bufferSize: number;

  constructor(lastVersion: number, bufferSize: number) {
    super(
      'WATCH_OVERFLOW',
      `the watch fell more than ${bufferSize} changes behind and ended; resume with changes from version ${lastVersion}`,
    );
    this.lastVersion = lastVersion;
    this.bufferSize = bufferSize;
  }
}

/** A key for a message: printable ASCII as is, other bytes as \xNN, in double quotes. */
function quoteKey(key: Uint8Array): string {
  let text = '"';
  for (const byte of key) {
    const printable = byte >= 0x20 && byte <= 0x7e && byte !== 0x22 && byte !== 0x5c;
    text += printable ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `${text}"`;
}
