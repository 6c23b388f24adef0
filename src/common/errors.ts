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
 *   ├── TierIoError         TIER_IO        the storage below failed (cause attached)
 *   └── ScriptError         SCRIPT_ERROR   a conformance script is malformed
 * ```
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

/** The SQLite file is already open in another store of this process (another process: see the tier). */
export class StoreLockedError extends StoreError {
  constructor(path: string) {
    super('STORE_LOCKED', `the file ${path} is already open in this process; close it first`);
  }
}

/** The storage tier failed; the original error is the `cause`. */
export class TierIoError extends StoreError {
  constructor(message: string, cause: unknown) {
    super('TIER_IO', message, { cause });
  }
}

/** A conformance script is malformed; names the file and line. */
export class ScriptError extends StoreError {
  /** File the script came from (or `<input>`). */
  readonly file: string;
  /** 1-based line of the offending text. */
  readonly line: number;

  constructor(file: string, line: number, message: string) {
    super('SCRIPT_ERROR', `${file}:${line}: ${message}`);
    this.file = file;
    this.line = line;
  }
}

/** True when `error` is a {@link StoreError} (optionally with the given code). */
export function isStoreError(error: unknown, code?: ErrorCode): error is StoreError {
  return error instanceof StoreError && (code === undefined || error.code === code);
}
