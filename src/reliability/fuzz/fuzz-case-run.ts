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
  predictCommit,
  predictGet,
  predictRange,
  predictVersions,
} from './fuzz-predict.js';
import type { CallSpec } from './fuzz-specs.js';
import type { FuzzTally } from './fuzz-tally.js';
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
    const prediction = predictCommit(spec.deltas, spec.version, latest);
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
      const refused = this.model.refusesWrite(toModel(raw), used);
      assert.equal(refused, undefined, 'accepted a write where the model says history was erased');
      this.model.commit(toModel(raw), used);
    }
    assert.equal(this.store.latestVersion, this.model.latestVersion, 'latest version');
    if (spec.mutate) scribble(raw);
  }

  #get(spec: Extract<CallSpec, { m: 'get' | 'contains' }>): void {
    const latest = this.model.latestVersion;
    const key = materialize(spec.key);
    const version = spec.version === undefined ? undefined : versionOf(spec.version, latest);
    const prediction = predictGet(spec.key, spec.version, latest);
    const read = judge(this.tally, spec.m, prediction, () =>
      spec.m === 'get'
        ? this.store.get(key as Uint8Array, version as number | undefined)
        : this.store.contains(key as Uint8Array, version as number | undefined),
    );
    if (!read.ok) return;
    const bytes = acceptedBytes(key, 'key');
    this.#track(bytes);
    if (this.#pending(bytes)) return;
    const at = (version as number | undefined) ?? latest;
    assert.equal(this.model.refusal(bytes, at), undefined, 'answered a read of erased history');
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

  #range(spec: Extract<CallSpec, { m: 'range' }>): void {
    const latest = this.model.latestVersion;
    const range = rangeSpecOf(spec.spec);
    const options = rangeOptionsOf(spec.options, latest);
    const prediction = predictRange(spec.spec, spec.options, latest);
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
    if (outcome.ok) this.model.flush();
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
