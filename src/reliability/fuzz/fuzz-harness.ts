/**
 * The API fuzz harness: runs one generated case against a real store and the
 * model, and judges every call.
 *
 * ```
 *   open attempt (hostile options) ─► succeeds (then closed) or StoreError
 *   working store (generated tables, or a fallback when they are rejected)
 *   calls ─► each: succeeds, or throws a StoreError with a code allowed for the method
 *            (or the caller's own HostileAccessError passing through)
 *            a commit that throws changed nothing (snapshot before/after)
 *            a commit that succeeds goes to the model; a read with no pending drop
 *            on its keys equals the model
 *   end ─► flush; versions of every key used, full ranges and figures equal the model;
 *          close twice (concurrently); every method then throws STORE_CLOSED
 * ```
 *
 * Drops are judged on what a key holds when the worker applies them, so (as in
 * the store's model test) a commit at or below the latest version first waits
 * for pending drops, and reads are compared only when no drop is pending on
 * what they read.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString } from '../../common/bytes.js';
import { type ErrorCode, isStoreError } from '../../common/errors.js';
import { isVersion } from '../../common/version.js';
import { MockClock } from '../../runtime/clock.js';
import type { Delta } from '../../store/deltas.js';
import { MultiStore } from '../../store/multistore.js';
import type { MultiStoreOptions } from '../../store/options.js';
import type { RangeOptions, RangeSpec } from '../../store/range.js';
import { StoreModel } from '../../test-support/store-model.js';
import {
  entriesOf,
  expectSameContents,
  routeRetention,
  snapshot,
  versionsOf,
} from './fuzz-checks.js';
import {
  acceptedBytes,
  deltasOf,
  optionsOf,
  rangeOptionsOf,
  rangeSpecOf,
  scribble,
  tablesOf,
  toModel,
  versionOf,
} from './fuzz-materialize.js';
import type { CallSpec, OptionsSpec, TablesSpec } from './fuzz-specs.js';
import type { FuzzTally, Method } from './fuzz-tally.js';
import { isHostileAccess, materialize } from './hostile-values.js';

/** Codes each method may throw while the store is open. */
export const ALLOWED_CODES: Readonly<Record<Method, readonly ErrorCode[]>> = {
  open: ['INVALID_OPTIONS', 'INVALID_ARGUMENT'],
  commit: ['INVALID_VERSION', 'INVALID_KEY', 'INVALID_VALUE', 'INVALID_DELTA'],
  get: ['INVALID_KEY', 'INVALID_VERSION'],
  contains: ['INVALID_KEY', 'INVALID_VERSION'],
  versions: ['INVALID_KEY'],
  range: ['INVALID_ARGUMENT', 'INVALID_KEY', 'INVALID_VERSION'],
  flush: [],
  stats: [],
  dropWorkerStats: [],
  close: [],
};

/** Tables used when a case's own declarations are rejected. */
const FALLBACK_TABLES = [
  { name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } },
  { name: 'recent', prefix: 'ab', retention: { keepLastVersions: 2 } },
  { name: 'plain', prefix: 'a' },
];

/** One generated case. */
export interface FuzzCase {
  readonly attempt: OptionsSpec;
  readonly tables: TablesSpec;
  readonly inline: boolean;
  readonly mockClock: boolean;
  readonly batchSize: number;
  readonly mailboxCapacity: number;
  /** SQLite only: put the working store in a file and reopen it at the end. */
  readonly file: boolean;
  readonly calls: readonly CallSpec[];
}

/** What a run shares across cases. */
export interface FuzzEnv {
  readonly tier: 'memory' | 'sqlite';
  readonly tally: FuzzTally;
  readonly tempPath: () => string;
}

/** What a judged call gave: its value, or nothing when it was (acceptably) rejected. */
export type Judged<T> = { readonly ok: true; readonly value: T } | { readonly ok: false };

/** Run `fn` synchronously and judge how it ended (fails the test on anything not allowed). */
export function judge<T>(tally: FuzzTally, method: Method, fn: () => T): Judged<T> {
  try {
    const value = fn();
    tally.record(method, 'ok');
    return { ok: true, value };
  } catch (error) {
    return rejected(tally, method, error);
  }
}

/** As {@link judge}, for a method that returns a promise. */
export async function judgeAsync<T>(
  tally: FuzzTally,
  method: Method,
  fn: () => Promise<T>,
): Promise<Judged<T>> {
  try {
    const value = await fn();
    tally.record(method, 'ok');
    return { ok: true, value };
  } catch (error) {
    return rejected(tally, method, error);
  }
}

function rejected(tally: FuzzTally, method: Method, error: unknown): { ok: false } {
  if (isHostileAccess(error)) {
    tally.record(method, 'hostile');
    return { ok: false };
  }
  if (isStoreError(error) && ALLOWED_CODES[method].includes(error.code)) {
    tally.record(method, error.code);
    return { ok: false };
  }
  const what = isStoreError(error) ? `StoreError ${error.code}: ${error.message}` : String(error);
  const allowed = ALLOWED_CODES[method].join('/') || 'none';
  const stack = error instanceof Error ? error.stack : '';
  return assert.fail(`${method} threw ${what} (allowed: StoreError ${allowed})\n${stack}`);
}

/** A hostile `MultiStore.open`: fails cleanly or opens a store that then closes. */
async function attemptOpen(spec: OptionsSpec, env: FuzzEnv): Promise<void> {
  const options = optionsOf(spec, env.tempPath);
  const opened = judge(env.tally, 'open', () => MultiStore.open(options as MultiStoreOptions));
  if (opened.ok) {
    await opened.value.close();
    return;
  }
  const path =
    spec.top === undefined && typeof options === 'object' && options !== null
      ? (options as { path?: unknown }).path
      : undefined;
  if (typeof path === 'string' && path.endsWith('.db')) await expectUsable(path, env.tally);
}

/** After a failed open, the file opens again (without tables): not locked, nothing half-written. */
async function expectUsable(path: string, tally: FuzzTally): Promise<void> {
  const again = judge(tally, 'open', () => MultiStore.open({ path }));
  assert.ok(again.ok, `reopening ${path} after a failed open`);
  await again.value.close();
}

/** Open the case's working store; its tables when accepted, else the fallback. */
async function openWorking(c: FuzzCase, env: FuzzEnv, path: string | undefined) {
  const base: MultiStoreOptions = {
    tier: env.tier,
    ...(path === undefined ? {} : { path }),
    actorMode: c.inline ? 'inline' : 'event-loop',
    dropWorker: { batchSize: c.batchSize, mailboxCapacity: c.mailboxCapacity },
    ...(c.mockClock ? { clock: new MockClock() } : {}),
  };
  const tables = tablesOf(c.tables);
  const opened = judge(env.tally, 'open', () =>
    MultiStore.open({ ...base, tables: tables as MultiStoreOptions['tables'] }),
  );
  if (!opened.ok && path !== undefined) await expectUsable(path, env.tally);
  const accepted = opened.ok ? tables : FALLBACK_TABLES;
  const store = opened.ok ? opened.value : MultiStore.open({ ...base, tables: FALLBACK_TABLES });
  return {
    store,
    reopen: () => MultiStore.open({ ...base, tables: accepted as MultiStoreOptions['tables'] }),
    accepted,
  };
}

/** The bytes of `input` when it is a usable key (string or real Uint8Array), else undefined. */
function keyBytes(input: unknown): Uint8Array | undefined {
  try {
    return typeof input === 'string' || input instanceof Uint8Array
      ? acceptedBytes(input, 'key')
      : undefined;
  } catch {
    return undefined;
  }
}

/** One case in progress: the store, the model, the keys seen. */
class CaseRun {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #flushes: Promise<unknown>[] = [];

  constructor(
    readonly store: MultiStore,
    readonly model: StoreModel,
    readonly tally: FuzzTally,
  ) {}

  get keys(): Iterable<Uint8Array> {
    return this.#keys.values();
  }

  #track(key: Uint8Array | undefined): void {
    if (key !== undefined) this.#keys.set(bytesToBinaryString(key), key);
  }

  /** Apply every pending drop to both sides. */
  async settle(): Promise<void> {
    await this.store.flush();
    this.model.flush();
  }

  #pending(key: Uint8Array): boolean {
    return this.model.pendingKeys().has(bytesToBinaryString(key));
  }

  async run(spec: CallSpec): Promise<void> {
    switch (spec.m) {
      case 'commit':
        return this.#commit(spec);
      case 'get':
      case 'contains':
        return this.#get(spec);
      case 'versions':
        return this.#versions(spec);
      case 'range':
        return this.#range(spec);
      case 'flush':
        return this.#flush(spec.wait);
      case 'stats':
      case 'dropWorkerStats':
        return this.#stats(spec);
    }
  }

  async #commit(spec: Extract<CallSpec, { m: 'commit' }>): Promise<void> {
    const latest = this.model.latestVersion;
    const version = versionOf(spec.version, latest);
    if (isVersion(version) && version <= latest && this.model.pendingKeys().size > 0)
      await this.settle();
    const { argument, raw } = deltasOf(spec.deltas);
    for (const delta of raw ?? []) this.#track(keyBytes(delta?.key));
    const before = snapshot(this.store, this.keys);
    const outcome = judge(this.tally, 'commit', () =>
      this.store.commit(argument as Delta[], version as number),
    );
    if (!outcome.ok) {
      assert.deepEqual(
        snapshot(this.store, this.keys),
        before,
        'a rejected commit changed nothing',
      );
      return;
    }
    this.model.commit(toModel(raw), version as number);
    assert.equal(this.store.latestVersion, this.model.latestVersion, 'latest version');
    if (spec.mutate) scribble(raw);
  }

  #get(spec: Extract<CallSpec, { m: 'get' | 'contains' }>): void {
    const latest = this.model.latestVersion;
    const key = materialize(spec.key);
    const version = spec.version === undefined ? undefined : versionOf(spec.version, latest);
    const read = judge(this.tally, spec.m, () =>
      spec.m === 'get'
        ? this.store.get(key as Uint8Array, version as number | undefined)
        : this.store.contains(key as Uint8Array, version as number | undefined),
    );
    if (!read.ok) return;
    const bytes = acceptedBytes(key, 'key');
    this.#track(bytes);
    if (this.#pending(bytes)) return;
    const want = this.model.get(bytes, (version as number | undefined) ?? latest);
    if (spec.m === 'contains') {
      assert.equal(read.value, want !== undefined, 'contains');
      return;
    }
    const got = read.value as ReturnType<MultiStore['get']>;
    assert.deepEqual(got && entriesOf([got]), want && entriesOf([{ key: bytes, ...want }]), 'get');
  }

  #versions(spec: Extract<CallSpec, { m: 'versions' }>): void {
    const key = materialize(spec.key);
    const read = judge(this.tally, 'versions', () => this.store.versions(key as Uint8Array));
    if (!read.ok) return;
    const bytes = acceptedBytes(key, 'key');
    this.#track(bytes);
    if (this.#pending(bytes)) return;
    assert.deepEqual(versionsOf(read.value), versionsOf(this.model.versions(bytes)), 'versions');
  }

  #range(spec: Extract<CallSpec, { m: 'range' }>): void {
    const latest = this.model.latestVersion;
    const range = rangeSpecOf(spec.spec);
    const options = rangeOptionsOf(spec.options, latest);
    const read = judge(this.tally, 'range', () => [
      ...this.store.range(range as RangeSpec, options as RangeOptions),
    ]);
    if (!read.ok || this.model.pendingKeys().size > 0) return;
    assert.deepEqual(
      entriesOf(read.value),
      entriesOf(expectedRange(this.model, range, options, latest)),
      'range',
    );
  }

  async #flush(wait: boolean): Promise<void> {
    const flushed = this.store.flush();
    if (!wait) {
      this.#flushes.push(flushed);
      return;
    }
    const outcome = await judgeAsync(this.tally, 'flush', () => flushed);
    if (outcome.ok) this.model.flush();
  }

  #stats(spec: Extract<CallSpec, { m: 'stats' | 'dropWorkerStats' }>): void {
    const method = this.store[spec.m] as (this: MultiStore, extra?: unknown) => unknown;
    const extra = spec.extra === undefined ? undefined : materialize(spec.extra);
    const outcome = judge(this.tally, spec.m, () => method.call(this.store, extra));
    assert.ok(outcome.ok);
    for (const n of Object.values(
      spec.m === 'stats' ? this.store.stats().total : this.store.dropWorkerStats(),
    ))
      assert.ok(Number.isSafeInteger(n) && n >= 0, `${spec.m} figure ${n}`);
  }

  /** Await the flushes left running, flush, and compare everything with the model. */
  async finish(): Promise<void> {
    for (const flushed of this.#flushes) await judgeAsync(this.tally, 'flush', () => flushed);
    await this.settle();
    expectSameContents(this.store, this.model, this.keys);
    assert.equal(this.store.dropWorkerStats().failures, 0, 'no drop request failed');
  }
}

/** What the model says a range read the store accepted should return. */
function expectedRange(
  model: StoreModel,
  range: unknown,
  options: unknown,
  latest: number,
): { key: Uint8Array; value: Uint8Array; version: number }[] {
  const { start, end, prefix, endInclusive } = (range ?? {}) as Record<string, unknown>;
  const { version, reverse } = (options ?? {}) as Record<string, unknown>;
  for (const [name, flag] of [
    ['endInclusive', endInclusive],
    ['reverse', reverse],
  ] as const)
    assert.ok(
      flag === undefined || typeof flag === 'boolean',
      `range accepted ${name}=${String(flag)}`,
    );
  const at = version === undefined ? latest : (version as number);
  const bytes = (input: unknown) => (input === undefined ? undefined : acceptedBytes(input, 'key'));
  const all = model.range(bytes(start), bytes(end), endInclusive === true, at, reverse === true);
  const wanted = bytes(prefix);
  if (wanted === undefined) return all;
  return all.filter(
    (entry) =>
      entry.key.length >= wanted.length && wanted.every((byte, i) => entry.key[i] === byte),
  );
}

/** Every method of a closed store throws STORE_CLOSED. */
async function expectClosed(store: MultiStore, tally: FuzzTally): Promise<void> {
  const calls: [Method, () => unknown][] = [
    ['commit', () => store.commit([{ type: 'set', key: 'a', value: 'b' }], 1)],
    ['get', () => store.get('a')],
    ['contains', () => store.contains('a')],
    ['versions', () => store.versions('a')],
    ['range', () => store.range()],
    ['stats', () => store.stats()],
    ['dropWorkerStats', () => store.dropWorkerStats()],
  ];
  for (const [method, fn] of calls) {
    assert.throws(fn, (e: unknown) => isStoreError(e, 'STORE_CLOSED'), `${method} after close`);
    tally.record(method, 'STORE_CLOSED');
  }
  await assert.rejects(
    store.flush(),
    (e: unknown) => isStoreError(e, 'STORE_CLOSED'),
    'flush after close',
  );
  tally.record('flush', 'STORE_CLOSED');
}

/**
 * What the retention sweep at reopen does, applied to the model: a key of a
 * retention table holding more versions than allowed (a commit's own version
 * is never dropped by its request, so this can happen) keeps its newest ones.
 */
function sweepModel(model: StoreModel, keys: Iterable<Uint8Array>): void {
  for (const key of keys) {
    const keep = model.retentionOf(key);
    if (keep !== undefined && model.versions(key).length > keep)
      model.commit([{ type: 'drop', key, keepLastVersions: keep }], model.latestVersion);
  }
  model.flush();
}

/** Run one generated case (see the module comment). */
export async function runCase(c: FuzzCase, env: FuzzEnv): Promise<void> {
  env.tally.cases++;
  await attemptOpen(c.attempt, env);
  const path = c.file ? env.tempPath() : undefined;
  const { store, reopen, accepted } = await openWorking(c, env, path);
  const model = new StoreModel(routeRetention(accepted));
  const run = new CaseRun(store, model, env.tally);
  try {
    for (const spec of c.calls) await run.run(spec);
    await run.finish();
  } finally {
    await Promise.all([store.close(), store.close()]);
  }
  await store.close();
  env.tally.record('close', 'ok');
  assert.equal(store.closed, true);
  await expectClosed(store, env.tally);
  if (path === undefined) return;
  const again = reopen();
  try {
    await again.flush();
    sweepModel(model, run.keys);
    expectSameContents(again, model, run.keys);
  } finally {
    await again.close();
  }
}
