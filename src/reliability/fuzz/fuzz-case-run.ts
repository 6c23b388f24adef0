/**
 * One fuzz case in progress: the store, the model, and the keys seen.
 *
 * Each call's outcome is predicted from its spec (fuzz-predict.ts) and
 * judged against the prediction (fuzz-judge.ts): a valid call must be
 * accepted, a wrong one rejected with exactly the predicted code. Then:
 *
 * ```
 *   commit rejected  ─► a snapshot taken just before equals one taken just after
 *   commit accepted  ─► the model commits the same deltas (read back from what
 *                       was passed), so it sees exactly the accepted commits;
 *                       the caller's byte arrays may then be scribbled on
 *   read accepted    ─► equals the model, when no drop is pending on what it read
 *   flush awaited    ─► the model applies its pending drops too
 * ```
 *
 * Drops are judged on what a key holds when the worker applies them, so (as in
 * the store's model test) a commit at or below the latest version first waits
 * for pending drops.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { bytesToBinaryString, prefixEnd } from '../../common/bytes.js';
import { isVersion } from '../../common/version.js';
import type { MockClock } from '../../runtime/clock.js';
import type { Delta } from '../../store/deltas.js';
import type { MultiStore } from '../../store/multistore.js';
import type { RangeOptions, RangeSpec } from '../../store/range.js';
import { entriesOf, expectSameContents, versionsOf } from '../../test-support/store-checks.js';
import type { StoreModel } from '../../test-support/store-model.js';
import { snapshot } from './fuzz-checks.js';
import { judge, judgeAsync } from './fuzz-judge.js';
import {
  acceptedBytes,
  deltasOf,
  rangeOptionsOf,
  rangeSpecOf,
  scribble,
  toModel,
  versionOf,
} from './fuzz-materialize.js';
import {
  ACCEPT,
  firstFault,
  type Prediction,
  predictCommit,
  predictGet,
  predictRange,
  predictVersions,
  reject,
} from './fuzz-predict.js';
import type { CallSpec } from './fuzz-specs.js';
import type { FuzzTally } from './fuzz-tally.js';
import { acceptedRange, TxModel } from './fuzz-tx-model.js';
import { endAll, runTxCall, type TxContext } from './fuzz-tx-run.js';
import { materialize } from './hostile-values.js';

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
export class CaseRun {
  readonly #keys = new Map<string, Uint8Array>();
  readonly #flushes: Promise<unknown>[] = [];
  readonly #txs: TxModel;
  readonly #tx: TxContext;

  constructor(
    readonly store: MultiStore,
    readonly model: StoreModel,
    readonly tally: FuzzTally,
    clock?: MockClock,
  ) {
    this.#txs = new TxModel(() => clock?.nowMillis() ?? 0);
    this.#tx = {
      store,
      model,
      tally,
      txs: this.#txs,
      clock,
      settle: () => this.settle(),
      track: (key) => this.#track(key),
    };
  }

  get keys(): Iterable<Uint8Array> {
    return this.#keys.values();
  }

  #track(key: Uint8Array | undefined): void {
    if (key !== undefined) this.#keys.set(bytesToBinaryString(key), key);
  }

  /** Apply every pending drop to both sides (both hold back what open snapshots read). */
  async settle(): Promise<void> {
    await this.store.flush();
    this.model.flush(this.#txs.snapshotVersions());
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
      case 'scenario':
        for (const call of spec.calls) await this.run(call);
        return;
      default:
        return runTxCall(this.#tx, spec);
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
    const prediction = firstFault(
      () => predictCommit(spec.deltas, spec.version, latest),
      () => this.#commitState(raw, version as number | undefined),
    );
    const outcome = judge(this.tally, 'commit', prediction, () =>
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
    // Without a version the store picks the next one (none for an empty commit).
    const used = outcome.value;
    if (used !== undefined) {
      this.model.commit(toModel(raw), used);
      this.#txs.recordCommit(used, toModel(raw));
    }
    assert.equal(this.store.latestVersion, this.model.latestVersion, 'latest version');
    if (spec.mutate) scribble(raw);
  }

  /**
   * What a commit whose input is valid must do given the state: an explicit
   * version under an open snapshot, or where history was erased, is refused.
   */
  #commitState(
    raw: readonly (Record<string, unknown> | undefined)[] | undefined,
    version: number | undefined,
  ): Prediction {
    if (version === undefined)
      return toModel(raw).length > 0 && this.model.latestVersion >= Number.MAX_SAFE_INTEGER
        ? reject('INVALID_VERSION', 'no version is left for an automatic commit')
        : ACCEPT;
    const highest = this.#txs.highestOpen();
    if (highest !== undefined && version <= highest)
      return reject('SNAPSHOT_VIOLATION', `version ${version} under a snapshot at ${highest}`);
    return this.model.refusesWrite(toModel(raw), version) === undefined
      ? ACCEPT
      : reject('VERSION_TOO_OLD', "a write below a key's readableFrom");
  }

  /** Settle before a read below the latest version while drops are pending: refusals must agree. */
  async #beforeRead(version: unknown, latest: number): Promise<void> {
    const past = typeof version === 'number' && version < latest;
    if (past && this.model.pendingKeys().size > 0) await this.settle();
  }

  async #get(spec: Extract<CallSpec, { m: 'get' | 'contains' }>): Promise<void> {
    const latest = this.model.latestVersion;
    const key = materialize(spec.key);
    const version = spec.version === undefined ? undefined : versionOf(spec.version, latest);
    const input = predictGet(spec.key, spec.version, latest);
    if (input.accept) await this.#beforeRead(version, latest);
    const at = (version as number | undefined) ?? latest;
    const prediction =
      input.accept && this.model.refusal(acceptedBytes(key, 'key'), at) !== undefined
        ? reject('VERSION_TOO_OLD', `erased history at ${at}`)
        : input;
    const read = judge(this.tally, spec.m, prediction, () =>
      spec.m === 'get'
        ? this.store.get(key as Uint8Array, version as number | undefined)
        : this.store.contains(key as Uint8Array, version as number | undefined),
    );
    if (!read.ok) return;
    const bytes = acceptedBytes(key, 'key');
    this.#track(bytes);
    if (this.#pending(bytes)) return;
    const want = this.model.get(bytes, at);
    if (spec.m === 'contains') {
      assert.equal(read.value, want !== undefined, 'contains');
      return;
    }
    const got = read.value as ReturnType<MultiStore['get']>;
    assert.deepEqual(got && entriesOf([got]), want && entriesOf([{ key: bytes, ...want }]), 'get');
  }

  #versions(spec: Extract<CallSpec, { m: 'versions' }>): void {
    const key = materialize(spec.key);
    const prediction = predictVersions(spec.key);
    const read = judge(this.tally, 'versions', prediction, () =>
      this.store.versions(key as Uint8Array),
    );
    if (!read.ok) return;
    const bytes = acceptedBytes(key, 'key');
    this.#track(bytes);
    if (this.#pending(bytes)) return;
    assert.deepEqual(versionsOf(read.value), versionsOf(this.model.versions(bytes)), 'versions');
  }

  async #range(spec: Extract<CallSpec, { m: 'range' }>): Promise<void> {
    const latest = this.model.latestVersion;
    const range = rangeSpecOf(spec.spec);
    const options = rangeOptionsOf(spec.options, latest);
    const input = predictRange(spec.spec, spec.options, latest);
    let prediction = input;
    if (input.accept) {
      // Accepted options are plain (a throwing Proxy is rejected): safe to read.
      const { version, reverse } = (options ?? {}) as Record<string, unknown>;
      await this.#beforeRead(version, latest);
      const bounds = acceptedRange(range);
      const at = version === undefined ? latest : (version as number);
      const read = this.model.rangeRead(
        bounds.start,
        bounds.end,
        bounds.endInclusive,
        at,
        reverse === true,
      );
      if (read.refused !== undefined)
        prediction = reject('VERSION_TOO_OLD', `a range over erased history at ${at}`);
    }
    const read = judge(this.tally, 'range', prediction, () => [
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
    const outcome = await judgeAsync(this.tally, 'flush', ACCEPT, () => flushed);
    if (outcome.ok) this.model.flush(this.#txs.snapshotVersions());
  }

  #stats(spec: Extract<CallSpec, { m: 'stats' | 'dropWorkerStats' }>): void {
    const method = this.store[spec.m] as (this: MultiStore, extra?: unknown) => unknown;
    const extra = spec.extra === undefined ? undefined : materialize(spec.extra);
    const outcome = judge(this.tally, spec.m, ACCEPT, () => method.call(this.store, extra));
    assert.ok(outcome.ok);
    for (const n of Object.values(
      spec.m === 'stats' ? this.store.stats().total : this.store.dropWorkerStats(),
    ))
      assert.ok(Number.isSafeInteger(n) && n >= 0, `${spec.m} figure ${n}`);
  }

  /** Await the flushes left running, flush, and compare everything with the model. */
  async finish(): Promise<void> {
    await endAll(this.#tx);
    for (const flushed of this.#flushes)
      await judgeAsync(this.tally, 'flush', ACCEPT, () => flushed);
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
  for (const [what, given, known] of [
    ['spec', range, ['start', 'end', 'prefix', 'endInclusive']],
    ['options', options, ['version', 'reverse', 'pageSize']],
  ] as const) {
    const unknown = Object.keys(given ?? {}).filter(
      (name) => !(known as readonly string[]).includes(name),
    );
    assert.deepEqual(unknown, [], `range accepted unknown ${what} properties`);
  }
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
  const wanted = bytes(prefix);
  const read =
    wanted === undefined
      ? model.rangeRead(bytes(start), bytes(end), endInclusive === true, at, reverse === true)
      : model.rangeRead(wanted, prefixEnd(wanted), false, at, reverse === true);
  assert.equal(read.refused, undefined, 'answered a range over erased history');
  const all = read.entries;
  if (wanted === undefined) return all;
  return all.filter(
    (entry) =>
      entry.key.length >= wanted.length && wanted.every((byte, i) => entry.key[i] === byte),
  );
}
