/**
 * Turning fuzz specs into real arguments, and accepted arguments into model input.
 *
 * Two directions:
 *
 * ```
 *   spec ──materialize──► argument passed to MultiStore (may be hostile)
 *   argument the store ACCEPTED ──toModel──► StoreModel input (bytes, numbers)
 * ```
 *
 * The second direction is where acceptance of wrong input shows up: if the
 * store accepts something that is not a documented delta (an unknown type, a
 * key that is not bytes), `toModel` fails the case, saying what was accepted.
 * It reads what the caller passed, independently of the store's own
 * validation code.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { MemoryLogger } from '../../common/logger.js';
import { MockClock } from '../../runtime/clock.js';
import type { KeyModelDelta } from '../../test-support/store-model.js';
import type { DropWorkerSpec, OptionsSpec, TableSpec, TablesSpec } from './fuzz-open-specs.js';
import type {
  CountSpec,
  DeltaSpec,
  DeltasSpec,
  RangeOptionsSpec,
  RangeSpecSpec,
  VersionSpec,
} from './fuzz-specs.js';
import type {
  AsOfOptionsSpec,
  BeginSpec,
  DropOptionsSpec,
  TxRangeOptionsSpec,
} from './fuzz-tx-specs.js';
import { materialize } from './hostile-values.js';

/** A version spec as a value, relative to `latest`. */
export function versionOf(spec: VersionSpec, latest: number): unknown {
  if ('rel' in spec) return latest + spec.rel;
  if ('abs' in spec) return spec.abs === 'max' ? Number.MAX_SAFE_INTEGER : 0;
  return materialize(spec.value);
}

function countOf(spec: CountSpec): unknown {
  if (spec === undefined) return undefined;
  return 'n' in spec ? spec.n : materialize(spec.value);
}

/** A delta's fields, as passed (before any wrapping). */
export type RawDelta = Readonly<Record<string, unknown>>;

function rawDelta(spec: Extract<DeltaSpec, { shape: string }>): RawDelta {
  const fields: Record<string, unknown> = { type: materialize(spec.type) };
  if (spec.key !== undefined) fields.key = materialize(spec.key);
  if (spec.value !== undefined) fields.value = materialize(spec.value);
  if (spec.upToVersion !== undefined) fields.upToVersion = countOf(spec.upToVersion);
  if (spec.keepLastVersions !== undefined) fields.keepLastVersions = countOf(spec.keepLastVersions);
  if (spec.misspelt === true) fields.keepLastVersion = 1;
  return fields;
}

function wrapDelta(shape: string, fields: RawDelta): unknown {
  switch (shape) {
    case 'frozen':
      return Object.freeze({ ...fields });
    case 'nullProto':
      return Object.assign(Object.create(null), fields);
    case 'getters': {
      const object = {};
      for (const [name, value] of Object.entries(fields))
        Object.defineProperty(object, name, { get: () => value, enumerable: true });
      return object;
    }
    default:
      return { ...fields };
  }
}

/** A commit's deltas argument, and the raw deltas it holds (`undefined` for a hole or junk). */
export interface MaterializedDeltas {
  readonly argument: unknown;
  readonly raw: readonly (RawDelta | undefined)[] | undefined;
}

/** Build the deltas argument of a commit. */
export function deltasOf(spec: DeltasSpec): MaterializedDeltas {
  if ('value' in spec) {
    // Junk may still be a list (an empty array is a valid commit of nothing).
    const argument = materialize(spec.value);
    return { argument, raw: Array.isArray(argument) ? argument.map(() => undefined) : undefined };
  }
  const raw: (RawDelta | undefined)[] = [];
  const list: unknown[] = [];
  for (const delta of spec.list) {
    if ('junk' in delta) {
      raw.push(undefined);
      list.push(materialize(delta.junk));
      continue;
    }
    const fields = rawDelta(delta);
    raw.push(fields);
    list.push(wrapDelta(delta.shape, fields));
  }
  switch (spec.as) {
    case 'frozen':
      return { argument: Object.freeze(list), raw };
    case 'proxy':
      return { argument: new Proxy(list, {}), raw };
    case 'holey': {
      const holey: unknown[] = new Array(list.length + 1);
      list.forEach((delta, index) => {
        holey[index + 1] = delta;
      });
      return { argument: holey, raw: [undefined, ...raw] };
    }
    default:
      return { argument: list, raw };
  }
}

/** Bytes of an accepted key or value, copied. Fails when the store accepted non-bytes. */
export function acceptedBytes(input: unknown, what: string): Uint8Array {
  if (typeof input === 'string') return new TextEncoder().encode(input);
  if (input instanceof Uint8Array) return Uint8Array.from(input);
  assert.fail(`the store accepted a ${what} that is not bytes: ${String(typeof input)}`);
}

function acceptedCount(input: unknown, what: string): number | undefined {
  if (input === undefined) return undefined;
  assert.ok(
    typeof input === 'number' && Number.isSafeInteger(input) && input >= 0,
    `the store accepted a drop ${what} that is not a non-negative integer: ${String(input)}`,
  );
  return input;
}

/** What a drop delta may carry: the properties of deltas (a misspelt constraint must be refused). */
const DROP_PROPERTIES = ['type', 'key', 'value', 'upToVersion', 'keepLastVersions'];

/** The model deltas of a commit the store accepted. */
export function toModel(raw: readonly (RawDelta | undefined)[] | undefined): KeyModelDelta[] {
  assert.ok(raw !== undefined, 'the store accepted deltas that are not a list');
  return raw.map((delta, index) => {
    assert.ok(delta !== undefined, `the store accepted a junk delta at ${index}`);
    const key = acceptedBytes(delta.key, 'key');
    switch (delta.type) {
      case 'set':
      case 'unset':
        return { type: delta.type, key, value: acceptedBytes(delta.value, 'value') };
      case 'remove':
        return { type: 'remove', key };
      case 'drop': {
        const unknown = Object.keys(delta).filter((name) => !DROP_PROPERTIES.includes(name));
        assert.deepEqual(unknown, [], 'the store accepted a drop delta with unknown properties');
        const upToVersion = acceptedCount(delta.upToVersion, 'upToVersion');
        const keepLastVersions = acceptedCount(delta.keepLastVersions, 'keepLastVersions');
        return {
          type: 'drop',
          key,
          ...(upToVersion === undefined ? {} : { upToVersion }),
          ...(keepLastVersions === undefined ? {} : { keepLastVersions }),
        };
      }
      default:
        return assert.fail(`the store accepted a delta of unknown type ${String(delta.type)}`);
    }
  });
}

/** Overwrite every byte array the caller passed (the store must own copies). */
export function scribble(raw: readonly (RawDelta | undefined)[] | undefined): void {
  for (const delta of raw ?? []) {
    for (const field of [delta?.key, delta?.value]) {
      if (!(ArrayBuffer.isView(field) && field instanceof Uint8Array)) continue;
      try {
        field.fill(0x7a);
      } catch {
        // a detached or out-of-bounds view: there is nothing to scribble on
      }
    }
  }
}

/** A table declaration as passed to `open`. */
export function tableOf(spec: TableSpec): unknown {
  if ('junk' in spec) return materialize(spec.junk);
  const declaration: Record<string, unknown> = {
    name: materialize(spec.name),
    prefix: materialize(spec.prefix),
  };
  if (spec.retention !== undefined) {
    declaration.retention =
      'keep' in spec.retention
        ? {
            keepLastVersions: materialize(spec.retention.keep),
            ...(spec.retention.misspelt === true ? { keepLastVersion: 1 } : {}),
          }
        : materialize(spec.retention.value);
  }
  if (spec.extra) declaration.comment = 'ignored';
  return declaration;
}

/** The tables option. */
export function tablesOf(spec: TablesSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  return spec.map(tableOf);
}

function dropWorkerOf(spec: DropWorkerSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const options: Record<string, unknown> = {};
  if (spec.batchSize !== undefined) options.batchSize = materialize(spec.batchSize);
  if (spec.flushIntervalMs !== undefined)
    options.flushIntervalMs = materialize(spec.flushIntervalMs);
  if (spec.mailboxCapacity !== undefined)
    options.mailboxCapacity = materialize(spec.mailboxCapacity);
  if (spec.unknown === true) options.frobnicate = 1;
  return options;
}

/** Full open options; `tempPath()` names a fresh file for a `temp` path. */
export function optionsOf(spec: OptionsSpec, tempPath: () => string): unknown {
  if (spec.top !== undefined) return materialize(spec.top);
  const options: Record<string, unknown> = {};
  if (spec.tier !== undefined) options.tier = materialize(spec.tier);
  if (spec.path !== undefined)
    options.path = spec.path === 'temp' ? tempPath() : materialize(spec.path);
  if (spec.readOnly !== undefined) options.readOnly = materialize(spec.readOnly);
  if (spec.sqlite !== undefined) options.sqlite = sqliteOf(spec.sqlite);
  if (spec.actorMode !== undefined) options.actorMode = materialize(spec.actorMode);
  if (spec.clock !== undefined) options.clock = clockOf(spec.clock);
  if (spec.logger !== undefined)
    options.logger = spec.logger === 'memory' ? new MemoryLogger() : materialize(spec.logger);
  if (spec.tables !== undefined) options.tables = tablesOf(spec.tables);
  if (spec.dropWorker !== undefined) options.dropWorker = dropWorkerOf(spec.dropWorker);
  if (spec.unknown) options.frobnicate = true;
  return options;
}

function sqliteOf(spec: NonNullable<OptionsSpec['sqlite']>): unknown {
  if ('value' in spec) return materialize(spec.value);
  const sqlite: Record<string, unknown> = {};
  if (spec.synchronous !== undefined) sqlite.synchronous = materialize(spec.synchronous);
  if (spec.unknown === true) sqlite.synchronus = 'full';
  return sqlite;
}

function clockOf(spec: NonNullable<OptionsSpec['clock']>): unknown {
  if (spec === 'mock') return new MockClock();
  if (spec !== 'partial') return materialize(spec);
  const clock = new MockClock();
  return { nowNanos: () => clock.nowNanos(), instant: () => clock.instant() };
}

/** A fresh file name in `dir`. */
export function tempPaths(dir: string): () => string {
  let next = 0;
  return () => join(dir, `fuzz-${next++}.db`);
}

/** The range spec argument. */
export function rangeSpecOf(spec: RangeSpecSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const range: Record<string, unknown> = {};
  for (const name of ['start', 'end', 'prefix', 'endInclusive'] as const) {
    const part = spec[name];
    if (part !== undefined) range[name] = materialize(part);
  }
  if (spec.misspelt === true) range.prefx = 'a';
  return range;
}

/** The range options argument. */
export function rangeOptionsOf(spec: RangeOptionsSpec, latest: number): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const options: Record<string, unknown> = {};
  if (spec.version !== undefined) options.version = versionOf(spec.version, latest);
  if (spec.reverse !== undefined) options.reverse = materialize(spec.reverse);
  if (spec.pageSize !== undefined) options.pageSize = materialize(spec.pageSize);
  if (spec.misspelt === true) options.revers = true;
  return options;
}

// ---------------------------------------------------------------- transactions

/**
 * `begin` / `transaction` options. With a real clock a valid `maxAgeMs` is
 * raised to a billion milliseconds (only a MockClock makes expiry predictable).
 */
export function beginOptionsOf(spec: BeginSpec, latest: number, realClock: boolean): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const options: Record<string, unknown> = {};
  if ('readOnly' in spec) options.readOnly = spec.readOnly && materialize(spec.readOnly);
  if (spec.asOf !== undefined) options.asOf = versionOf(spec.asOf, latest);
  if (spec.isolation !== undefined) options.isolation = materialize(spec.isolation);
  if (spec.maxAgeMs !== undefined) {
    const maxAgeMs = materialize(spec.maxAgeMs);
    const valid = typeof maxAgeMs === 'number' && Number.isFinite(maxAgeMs) && maxAgeMs > 0;
    options.maxAgeMs = realClock && valid ? 1e9 : maxAgeMs;
  }
  if (spec.retries !== undefined) options.retries = materialize(spec.retries);
  if (spec.misspelt === true) options.isolaton = 'snapshot';
  return options;
}

/** A transaction's `drop` options. */
export function dropOptionsOf(spec: DropOptionsSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const options: Record<string, unknown> = {};
  if (spec.upToVersion !== undefined) options.upToVersion = countOf(spec.upToVersion);
  if (spec.keepLastVersions !== undefined)
    options.keepLastVersions = countOf(spec.keepLastVersions);
  if (spec.misspelt === true) options.keepLastVersion = 1;
  return options;
}

/** A transaction's `range` options. */
export function txRangeOptionsOf(spec: TxRangeOptionsSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  const options: Record<string, unknown> = {};
  if (spec.reverse !== undefined) options.reverse = materialize(spec.reverse);
  if (spec.pageSize !== undefined) options.pageSize = materialize(spec.pageSize);
  if (spec.version === true) options.version = 1;
  return options;
}

/** `asOf` options. */
export function asOfOptionsOf(spec: AsOfOptionsSpec): unknown {
  if (spec === undefined) return undefined;
  if ('value' in spec) return materialize(spec.value);
  return { exclusive: materialize(spec.exclusive) };
}
