/**
 * Model-based tests of history between versions, on both tiers and in both
 * actor modes: after random commits (in history too) and drops, with
 * retention tables erasing as they go,
 *
 * (Drops include range drops, which the model expands key by key.)
 *
 * - `changes` over a random range and version interval equals the model's
 *   log of stored writes there, grouped by version, or is refused with
 *   `VERSION_TOO_OLD` exactly when the model has a horizon of a key of the
 *   range reaching into the interval in a table whose erasures reach above
 *   `from` (its erased top and readable floor); a feed from the error's
 *   `readableFrom` is then accepted; an accepted feed skips nothing: the
 *   state at `from` plus the feed gives every read the model answers in the
 *   interval;
 * - `diff(a, b)` equals the brute-force difference of two full reads of the
 *   range at a and at b (refused where those reads are);
 * - a second store fed only from `changes` of the first (the state at the
 *   resume point, then explicit-version commits) reads identically at every
 *   version from there on.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, compareBytes } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import { MODEL_KEYS, MODEL_TABLES, modelRetentionOf } from '../test-support/model-keys.js';
import { type ModelDelta, StoreModel, toStoreDelta } from '../test-support/store-model.js';
import { forEachStoreSetup, type StoreSetup } from '../test-support/store-setups.js';
import type { Change } from './changes.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

const KEYS = MODEL_KEYS;
const TABLES = MODEL_TABLES;
const retentionOf = modelRetentionOf;

const key = fc.constantFrom(...KEYS);
const value = fc.uint8Array({ maxLength: 3 });
const delta: fc.Arbitrary<ModelDelta> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('set' as const), key, value }) },
  fc.record({ type: fc.constant('remove' as const), key }),
  fc.record(
    {
      type: fc.constant('drop' as const),
      key,
      upToVersion: fc.nat(12),
      keepLastVersions: fc.nat(2),
    },
    { requiredKeys: ['type', 'key'] },
  ),
  fc.record(
    {
      type: fc.constant('drop-range' as const),
      start: key,
      end: key,
      endInclusive: fc.boolean(),
      upToVersion: fc.nat(12),
      keepLastVersions: fc.nat(2),
    },
    { requiredKeys: ['type'] },
  ),
);

/** A key range as the tests give it: [a, b) or [a, b], or everything. */
interface Bounds {
  readonly a: Uint8Array;
  readonly b: Uint8Array;
  readonly inclusive: boolean;
  readonly all: boolean;
}
const bounds: fc.Arbitrary<Bounds> = fc.record({
  a: key,
  b: key,
  inclusive: fc.boolean(),
  all: fc.boolean(),
});

type Op =
  | { op: 'commit'; deltas: ModelDelta[]; step: number }
  | { op: 'flush' }
  | { op: 'changes'; bounds: Bounds; from: number | null; to: number; pageSize: number }
  | { op: 'diff'; bounds: Bounds; a: number; b: number; reverse: boolean; pageSize: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      deltas: fc.array(delta, { minLength: 1, maxLength: 4 }),
      step: fc.integer({ min: -3, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('changes' as const),
      bounds,
      from: fc.option(fc.nat(12)),
      to: fc.nat(12),
      pageSize: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('diff' as const),
      bounds,
      a: fc.nat(12),
      b: fc.nat(12),
      reverse: fc.boolean(),
      pageSize: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

const spec = (r: Bounds) =>
  r.all ? undefined : { start: r.a, end: r.b, endInclusive: r.inclusive };
const inRange = (r: Bounds, k: Uint8Array) => {
  if (r.all) return true;
  const end = compareBytes(k, r.b);
  return compareBytes(k, r.a) >= 0 && (end < 0 || (end === 0 && r.inclusive));
};
const plainChanges = (list: readonly Change[]) =>
  list.map((c) => [
    c.version,
    c.writes.map((w) => [bytesToBinaryString(w.key), w.value && [...w.value], w.table]),
  ]);
const same = (x: Uint8Array | undefined, y: Uint8Array | undefined) =>
  x === undefined || y === undefined ? x === y : bytesToBinaryString(x) === bytesToBinaryString(y);
const tableOf = (k: Uint8Array) =>
  TABLES.find((t) => bytesToBinaryString(k).startsWith(t.prefix))?.name ?? 'multi';

class Harness {
  constructor(
    readonly store: MultiStore,
    readonly model: StoreModel,
  ) {}

  async flush(): Promise<void> {
    await this.store.flush();
    this.model.flush();
  }

  async run(step: Op): Promise<void> {
    const { store, model } = this;
    const latest = model.latestVersion;
    switch (step.op) {
      case 'commit': {
        const version = Math.max(0, latest + step.step);
        await this.flush();
        if (model.refusesWrite(step.deltas, version) !== undefined) return;
        store.commit(step.deltas.map(toStoreDelta), version);
        model.commit(step.deltas, version);
        return;
      }
      case 'flush':
        return this.flush();
      case 'changes':
        await this.flush();
        return this.changes(step);
      case 'diff':
        await this.flush();
        return this.diff(step);
    }
  }

  /** The model's log of stored writes of the range in (from, to], grouped by version. */
  expectedChanges(r: Bounds, from: number, to: number): Change[] {
    const byVersion = new Map<number, Change['writes'][number][]>();
    for (const k of KEYS) {
      if (!inRange(r, k)) continue;
      for (const { version, value: v } of this.model.versions(k)) {
        if (version <= from || version > to) continue;
        const list = byVersion.get(version) ?? [];
        list.push({ key: k, value: v, table: tableOf(k) });
        byVersion.set(version, list);
      }
    }
    return [...byVersion.entries()]
      .sort(([a], [b]) => a - b)
      .map(([version, writes]) => ({
        version,
        writes: writes.sort((x, y) => compareBytes(x.key, y.key)),
      }));
  }

  /**
   * Whether the store's rule refuses the feed: a key of the range has a
   * horizon reaching into (from, to], in a table where `from` is below both
   * the readable floor (highest readableFrom) and the erased top (highest
   * version an erasure changed: erased version or deletion).
   */
  refusesFeed(r: Bounds, from: number, to: number): boolean {
    if (from >= to) return false;
    return KEYS.some((k) => {
      const h = this.model.horizon(k);
      if (!inRange(r, k) || h === undefined) return false;
      if (from >= this.#tableBound(tableOf(k))) return false;
      return h.readableFrom > from && h.erasedFrom <= to;
    });
  }

  /** The lower of a table's readable floor and erased top: a feed from there is not looked at. */
  #tableBound(table: string): number {
    let floor = 0;
    let top = 0;
    for (const k of KEYS) {
      if (tableOf(k) !== table) continue;
      floor = Math.max(floor, this.model.horizon(k)?.readableFrom ?? 0);
      top = Math.max(top, this.model.erasedTop(k) ?? 0);
    }
    return Math.min(floor, top);
  }

  /**
   * Safety of an accepted feed, whatever rule accepted it: for every key of
   * the range and every version v in (from, to] whose read the model
   * answers, the read equals what a consumer holding the state at `from`
   * gets by applying the feed up to v. A consumer whose state at `from` is
   * refused must get every answered read from the feed's writes alone.
   */
  checkNothingSkipped(r: Bounds, from: number, to: number, feed: readonly Change[]): void {
    for (const k of KEYS) {
      if (!inRange(r, k)) continue;
      const base = from < 0 || this.model.refusal(k, from) !== undefined ? 'unknown' : 'known';
      let held: Uint8Array | undefined | 'unknown' =
        base === 'known' ? this.model.get(k, from)?.value : 'unknown';
      const writes = feed.flatMap((c) =>
        c.writes.filter((w) => same(w.key, k)).map((w) => ({ version: c.version, value: w.value })),
      );
      if (from < 0) held = undefined; // a feed from the first write starts from nothing
      for (let v = Math.max(0, from + 1); v <= to; v++) {
        const write = writes.find((w) => w.version === v);
        if (write !== undefined) held = write.value;
        if (this.model.refusal(k, v) !== undefined) continue;
        const truth = this.model.get(k, v)?.value;
        assert.ok(
          held !== 'unknown' && same(held, truth),
          `the feed (${from}, ${to}] skipped a change of ${bytesToBinaryString(k)} at or below ${v}`,
        );
      }
    }
  }

  changes(step: Extract<Op, { op: 'changes' }>): void {
    const latest = this.model.latestVersion;
    // No `from`: every write, version 0 included, as if from -1.
    const [from, to] =
      step.from === null
        ? [-1, step.to]
        : step.from <= step.to
          ? [step.from, step.to]
          : [step.to, step.from];
    const options = {
      ...spec(step.bounds),
      ...(from >= 0 && { from }),
      to,
      pageSize: step.pageSize,
    };
    const upper = Math.min(to, latest);
    if (this.refusesFeed(step.bounds, from, upper)) {
      let resume = -1;
      assert.throws(
        () => [...this.store.changes(options)],
        (error: unknown) => {
          assert.ok(
            error instanceof VersionTooOldError,
            `expected VERSION_TOO_OLD, got ${String(error)}`,
          );
          resume = error.readableFrom;
          return true;
        },
      );
      assert.ok(resume > from, 'the feed resumes above the refused version');
      assert.ok(
        !this.refusesFeed(step.bounds, resume, upper),
        'a feed from readableFrom is accepted',
      );
      assert.deepEqual(
        plainChanges([...this.store.changes({ ...options, from: Math.min(resume, upper) })]),
        plainChanges(this.expectedChanges(step.bounds, Math.min(resume, upper), upper)),
      );
      return;
    }
    const got = [...this.store.changes(options)];
    assert.deepEqual(
      plainChanges(got),
      plainChanges(this.expectedChanges(step.bounds, from, upper)),
    );
    this.checkNothingSkipped(step.bounds, from, upper, got);
  }

  diff(step: Extract<Op, { op: 'diff' }>): void {
    const latest = this.model.latestVersion;
    const keys = KEYS.filter((k) => inRange(step.bounds, k)).sort(compareBytes);
    if (step.reverse) keys.reverse();
    const at = (v: number) => Math.min(v, latest);
    const want: [string, number[] | undefined, number[] | undefined][] = [];
    let refused: { key: Uint8Array; readableFrom: number } | undefined;
    if (at(step.a) !== at(step.b)) {
      for (const k of keys) {
        refused = this.model.refusal(k, at(step.a)) ?? this.model.refusal(k, at(step.b));
        if (refused !== undefined) break;
        const before = this.model.get(k, at(step.a))?.value;
        const after = this.model.get(k, at(step.b))?.value;
        if (same(before, after)) continue;
        want.push([bytesToBinaryString(k), before && [...before], after && [...after]]);
      }
    }
    const got: typeof want = [];
    let error: unknown;
    try {
      const options = { ...spec(step.bounds), reverse: step.reverse, pageSize: step.pageSize };
      for (const d of this.store.diff(step.a, step.b, options)) {
        got.push([bytesToBinaryString(d.key), d.before && [...d.before], d.after && [...d.after]]);
      }
    } catch (caught) {
      error = caught;
    }
    assert.deepEqual(got, want, 'the differences before any refusal');
    if (refused === undefined) {
      assert.equal(error, undefined);
      return;
    }
    assert.ok(
      error instanceof VersionTooOldError,
      `expected VERSION_TOO_OLD, got ${String(error)}`,
    );
    assert.equal(error.readableFrom, refused.readableFrom);
    assert.deepEqual(error.key && [...error.key], [...refused.key]);
  }
}

/**
 * Feed a fresh store from `changes` of `store`: the state at the resume
 * point (0, or the `readableFrom` a refused feed names) committed at that
 * version, then every change from there at its own version.
 */
function replicate(store: MultiStore): { replica: MultiStore; from: number } {
  const replica = MultiStore.open();
  let from: number | undefined;
  try {
    [...store.changes()]; // refused when erased history reaches above version 0
  } catch (error) {
    if (!(error instanceof VersionTooOldError)) throw error;
    from = error.readableFrom;
    const state = [...store.range(undefined, { version: from })];
    replica.commit(
      state.map((e) => ({ type: 'set' as const, key: e.key, value: e.value })),
      from,
    );
  }
  for (const change of store.changes({ ...(from !== undefined && { from }), pageSize: 3 })) {
    const deltas: Delta[] = change.writes.map((w) =>
      w.value === undefined
        ? { type: 'remove', key: w.key }
        : { type: 'set', key: w.key, value: w.value },
    );
    replica.commit(deltas, change.version);
  }
  return { replica, from: from ?? 0 };
}

async function check(setup: StoreSetup, ops: Op[]): Promise<void> {
  const store = setup.open({ tables: TABLES, dropWorker: { batchSize: 3, mailboxCapacity: 4 } });
  const harness = new Harness(store, new StoreModel(retentionOf));
  try {
    for (const step of ops) await harness.run(step);
    await harness.flush();
    const { replica, from } = replicate(store);
    try {
      for (let v = from; v <= store.latestVersion + 1; v++) {
        const read = (s: MultiStore) =>
          [...s.range(undefined, { version: v })].map((e) => [
            bytesToBinaryString(e.key),
            [...e.value],
          ]);
        assert.deepEqual(
          read(replica),
          read(store),
          `the replica reads as the store at version ${v}`,
        );
      }
    } finally {
      await replica.close();
    }
  } finally {
    await store.close();
  }
}

forEachStoreSetup((setup) => {
  it('changes and diff agree with the model, and a replica fed from changes reads the same', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60, size: 'max' }), (ops) =>
        check(setup, ops),
      ),
      { numRuns: 40 },
    );
  });
});
