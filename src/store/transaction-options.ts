/**
 * Options of `store.begin` and `store.transaction`, validated once.
 *
 * ```
 *   begin({ readOnly?, asOf?, isolation?, maxAgeMs? })
 *   transaction(fn, { retries?, readOnly?, asOf?, isolation?, maxAgeMs? })
 * ```
 *
 * Like `open`'s options, an option object is closed: a property it does not
 * know (a misspelt `isolaton`) is refused with `INVALID_OPTIONS` rather than
 * silently ignored, since ignoring it would change the transaction's
 * guarantees without a word. A bad `asOf` is `INVALID_VERSION`, as every
 * version is.
 *
 * @module
 */

import { describe } from '../common/bytes.js';
import { InvalidInputError } from '../common/errors.js';
import { isPlainObject, objectExpected, rejectUnknownProperties } from '../common/properties.js';
import { checkCount, checkVersion } from '../common/version.js';

/** How a transaction isolates itself from concurrent commits. */
export type Isolation = 'snapshot' | 'serializable';

/** Options of `store.begin`. */
export interface BeginOptions {
  /** Refuse writes; commit takes no version (default false). */
  readonly readOnly?: boolean;
  /** Read as of this version, inclusive (default: the latest committed version). */
  readonly asOf?: number;
  /** `snapshot` (default) or `serializable`. */
  readonly isolation?: Isolation;
  /** Once older than this (milliseconds), its reads and its commit fail with `TRANSACTION_TOO_OLD`. */
  readonly maxAgeMs?: number;
}

/** Options of `store.transaction`: those of `begin`, and how often to retry on a conflict. */
export interface TransactionOptions extends BeginOptions {
  /** Attempts after the first when the commit conflicts (default 3). */
  readonly retries?: number;
}

/** {@link BeginOptions}, validated, every field present. */
export interface ResolvedBegin {
  readonly readOnly: boolean;
  readonly asOf: number | undefined;
  readonly isolation: Isolation;
  readonly maxAgeMs: number | undefined;
}

/** The default number of retries of `store.transaction`. */
export const DEFAULT_RETRIES = 3;

const BEGIN_PROPERTIES = ['readOnly', 'asOf', 'isolation', 'maxAgeMs'];
const TRANSACTION_PROPERTIES = [...BEGIN_PROPERTIES, 'retries'];
const ISOLATIONS: readonly Isolation[] = ['snapshot', 'serializable'];

/** Validate `begin` options. */
export function resolveBegin(options: unknown): ResolvedBegin {
  if (options === undefined) return DEFAULT_BEGIN;
  checkObject(options, 'begin options');
  rejectUnknownProperties(options, BEGIN_PROPERTIES, 'begin options', 'INVALID_OPTIONS');
  return checkBegin(options as BeginOptions);
}

/** Validate `transaction` options: the `begin` part and the retries. */
export function resolveTransaction(options: unknown): {
  readonly begin: ResolvedBegin;
  readonly retries: number;
} {
  if (options === undefined) return { begin: DEFAULT_BEGIN, retries: DEFAULT_RETRIES };
  checkObject(options, 'transaction options');
  rejectUnknownProperties(
    options,
    TRANSACTION_PROPERTIES,
    'transaction options',
    'INVALID_OPTIONS',
  );
  const { retries } = options as TransactionOptions;
  return {
    begin: checkBegin(options as BeginOptions),
    retries:
      retries === undefined ? DEFAULT_RETRIES : checkCount(retries, 'retries', 'INVALID_OPTIONS'),
  };
}

const DEFAULT_BEGIN: ResolvedBegin = Object.freeze({
  readOnly: false,
  asOf: undefined,
  isolation: 'snapshot',
  maxAgeMs: undefined,
});

function checkBegin(options: BeginOptions): ResolvedBegin {
  const { readOnly, asOf, isolation, maxAgeMs } = options;
  if (readOnly !== undefined && typeof readOnly !== 'boolean') {
    throw invalid(`readOnly must be a boolean, got ${describe(readOnly)}`);
  }
  if (isolation !== undefined && !ISOLATIONS.includes(isolation)) {
    throw invalid(`isolation must be 'snapshot' or 'serializable', got ${describe(isolation)}`);
  }
  const positive = typeof maxAgeMs === 'number' && Number.isFinite(maxAgeMs) && maxAgeMs > 0;
  if (maxAgeMs !== undefined && !positive) {
    throw invalid(`maxAgeMs must be a positive number of milliseconds, got ${describe(maxAgeMs)}`);
  }
  return Object.freeze({
    readOnly: readOnly === true,
    asOf: asOf === undefined ? undefined : checkVersion(asOf, 'asOf'),
    isolation: isolation ?? 'snapshot',
    maxAgeMs,
  });
}

function checkObject(options: unknown, what: string): asserts options is object {
  if (!isPlainObject(options)) {
    throw invalid(objectExpected(`${what}`, options));
  }
}

function invalid(message: string): InvalidInputError {
  return new InvalidInputError('INVALID_OPTIONS', message);
}
