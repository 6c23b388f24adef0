/**
 * What the transaction calls of the API fuzz must do with their input,
 * predicted from the generated input alone (the state of the transactions
 * and of history is predicted by fuzz-tx-model.ts). The README's rules,
 * written out again; the first fault in this order decides:
 *
 * ```
 *   begin(options)             an object ─► no unknown property ─► readOnly ─► isolation ─►
 *                                maxAgeMs ─► asOf                   (INVALID_OPTIONS; asOf INVALID_VERSION)
 *   transaction(fn, options)   fn a function (INVALID_ARGUMENT) ─► options as begin's ─► retries
 *   tx.get / contains / remove key                     tx.set / unset   key ─► value
 *   tx.drop                    key ─► options: an object ─► no unknown property ─►
 *                                upToVersion (INVALID_VERSION) ─► keepLastVersions
 *   tx.range                   spec as store.range ─► options: an object ─► no unknown
 *                                property (no `version`) ─► reverse ─► pageSize
 *   tx.asOf                    version ─► options: an object ─► no unknown property ─► exclusive
 *   tx.commit                  version (optional)
 * ```
 *
 * @module
 */

import type { ErrorCode } from '../../common/errors.js';
import {
  ACCEPT,
  booleanCheck,
  bytesCheck,
  countCheck,
  type Fields,
  firstFault,
  isAbsent,
  isHostile,
  objectArgument,
  optionalVersion,
  type Prediction,
  pageSizeCheck,
  rangeSpecCheck,
  reject,
  versionCheck,
} from './fuzz-predict.js';
import type { RangeSpecSpec, VersionSpec } from './fuzz-specs.js';
import type {
  AsOfOptionsSpec,
  BeginSpec,
  DropOptionsSpec,
  TxFnSpec,
  TxOpSpec,
  TxRangeOptionsSpec,
} from './fuzz-tx-specs.js';
import { materialize, type ValueSpec } from './hostile-values.js';

const BEGIN_NAMES = ['readOnly', 'asOf', 'isolation', 'maxAgeMs'];
const TRANSACTION_NAMES = [...BEGIN_NAMES, 'retries'];

/** `begin(options)`. */
export function predictBegin(options: BeginSpec, latest: number): Prediction {
  const { fault, fields } = objectArgument(
    options,
    BEGIN_NAMES,
    'begin options',
    'INVALID_OPTIONS',
  );
  return fault ?? beginFields(fields ?? {}, latest);
}

/** `transaction(fn, options)`. */
export function predictTransaction(fn: TxFnSpec, options: BeginSpec, latest: number): Prediction {
  if ('junk' in fn && typeof materialize(fn.junk) !== 'function')
    return reject('INVALID_ARGUMENT', 'fn is not a function', isHostile(fn.junk));
  const { fault, fields } = objectArgument(
    options,
    TRANSACTION_NAMES,
    'transaction options',
    'INVALID_OPTIONS',
  );
  if (fault !== undefined) return fault;
  const f = fields ?? {};
  return firstFault(
    () => beginFields(f, latest),
    () => countCheck(countOf(f.retries as ValueSpec | undefined), 'INVALID_OPTIONS', 'retries'),
  );
}

function beginFields(f: Fields, latest: number): Prediction {
  return firstFault(
    () => booleanCheck(f.readOnly as ValueSpec | undefined, 'readOnly', 'INVALID_OPTIONS'),
    () => isolationCheck(f.isolation as ValueSpec | undefined),
    () => maxAgeCheck(f.maxAgeMs as ValueSpec | undefined),
    () => optionalVersion(f.asOf as VersionSpec | undefined, latest, 'asOf'),
  );
}

function isolationCheck(spec: ValueSpec | undefined): Prediction {
  if (spec === undefined || isAbsent(spec)) return ACCEPT;
  const value = materialize(spec);
  return value === 'snapshot' || value === 'serializable'
    ? ACCEPT
    : reject('INVALID_OPTIONS', 'isolation is unknown', isHostile(spec));
}

function maxAgeCheck(spec: ValueSpec | undefined): Prediction {
  if (spec === undefined || isAbsent(spec)) return ACCEPT;
  const value = materialize(spec);
  return typeof value === 'number' && Number.isFinite(value) && value > 0
    ? ACCEPT
    : reject('INVALID_OPTIONS', 'maxAgeMs is not a positive number', isHostile(spec));
}

/** A value spec as a count spec (`retries`). */
function countOf(spec: ValueSpec | undefined) {
  return spec === undefined ? undefined : { value: spec };
}

/** The input part of an operation on an open, usable transaction. */
export function predictTxInput(call: TxOpSpec, latest: number): Prediction {
  switch (call.op) {
    case 'get':
    case 'contains':
    case 'remove':
      return bytesCheck(call.key, 'INVALID_KEY', 'key');
    case 'set':
    case 'unset':
      return firstFault(
        () => bytesCheck(call.key, 'INVALID_KEY', 'key'),
        () => bytesCheck(call.value, 'INVALID_VALUE', 'value'),
      );
    case 'drop':
      return firstFault(
        () => bytesCheck(call.key, 'INVALID_KEY', 'key'),
        () => dropOptionsCheck(call.options),
      );
    case 'range':
      return rangeCheck(call.spec, call.options);
    case 'asOf':
      return firstFault(
        () => versionCheck(call.version, latest, 'asOf version'),
        () => asOfOptionsCheck(call.options),
      );
    case 'commit':
      return optionalVersion(call.version, latest, 'commit version');
    case 'rollback':
      return ACCEPT;
  }
}

/** True for the operations a read-only transaction refuses before looking at their input. */
export function isWrite(call: TxOpSpec): boolean {
  return call.op === 'set' || call.op === 'unset' || call.op === 'remove' || call.op === 'drop';
}

function dropOptionsCheck(options: DropOptionsSpec): Prediction {
  const names = ['upToVersion', 'keepLastVersions'];
  const { fault, fields } = objectArgument(options, names, 'drop options');
  if (fault !== undefined) return fault;
  const f = (fields ?? {}) as Record<string, unknown>;
  const spec = options !== undefined && !('value' in options) ? options : undefined;
  return firstFault(
    () =>
      countCheck(spec?.upToVersion ?? junkCount(f.upToVersion), 'INVALID_VERSION', 'upToVersion'),
    () =>
      countCheck(
        spec?.keepLastVersions ?? junkCount(f.keepLastVersions),
        'INVALID_ARGUMENT',
        'keepLastVersions',
      ),
  );
}

function junkCount(field: unknown) {
  return field === undefined ? undefined : { value: field as ValueSpec };
}

const TX_RANGE_NAMES = ['reverse', 'pageSize'];

function rangeCheck(spec: RangeSpecSpec, options: TxRangeOptionsSpec): Prediction {
  const range = objectArgument(spec, ['start', 'end', 'prefix', 'endInclusive'], 'range');
  return firstFault(
    () => range.fault ?? ACCEPT,
    () => rangeSpecCheck(range.fields ?? {}),
    () => txRangeOptionsCheck(options),
  );
}

function txRangeOptionsCheck(options: TxRangeOptionsSpec): Prediction {
  if (options !== undefined && !('value' in options) && options.version === true)
    return reject('INVALID_ARGUMENT', 'a transaction range takes no version');
  const { fault, fields } = objectArgument(options, TX_RANGE_NAMES, 'range options');
  if (fault !== undefined) return fault;
  const f = fields ?? {};
  return firstFault(
    () => booleanCheck(f.reverse as ValueSpec | undefined, 'reverse'),
    () => pageSizeCheck(f.pageSize as ValueSpec | undefined),
  );
}

function asOfOptionsCheck(options: AsOfOptionsSpec): Prediction {
  const { fault, fields } = objectArgument(options, ['exclusive'], 'asOf options');
  if (fault !== undefined) return fault;
  return booleanCheck(fields?.exclusive as ValueSpec | undefined, 'exclusive');
}

/** A rejection for a state of the transaction (closed, too old, read-only). */
export function stateFault(code: ErrorCode, why: string): Prediction {
  return reject(code, why);
}
