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
 *   ├── StoreLockedError    STORE_LOCKED   the file is already open (this process or another)
 *   └── TierIoError         TIER_IO        the storage below failed (cause attached)
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
  'TIER_IO',
  'SCRIPT_ERROR',
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

/** The SQLite file is already open in another store, of this process or of another one. */
export class StoreLockedError extends StoreError {
  /** The path that was refused. */
  readonly path: string;
  /** Where the store holding the file runs. */
  readonly holder: LockHolder;

  constructor(path: string, holder: LockHolder, options?: { cause?: unknown }) {
    const where = holder === 'this process' ? 'in this process' : 'in another process';
    super(
      'STORE_LOCKED',
      `the file ${path} is already open ${where}; close it there first`,
      options,
    );
    this.path = path;
    this.holder = holder;
  }
}

/** The storage tier failed; the original error is the `cause`. */
export class TierIoError extends StoreError {
  constructor(message: string, cause: unknown) {
    super('TIER_IO', message, { cause });
  }
}

/** True when `error` is a {@link StoreError} (optionally with the given code). */
export function isStoreError(error: unknown, code?: ErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
