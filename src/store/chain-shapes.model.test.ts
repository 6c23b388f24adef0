/**
 * Randomized: keys moved between the memory tier's chain shapes (one version
 * held inline, then arrays; erasures of the oldest, of scattered and of all
 * versions; trims of retention tables keeping 1 to 4 versions in the commit;
 * writes back into history) while snapshots are pinned, checked after every
 * flush against the plain model of test-support/store-model.ts and against a
 * SQLite store driven by the same script, in both actor modes (MockClock, so
 * the drop worker applies only what `flush` asks).
 *
 * Few keys and versions, so that each key goes through the shapes many
 * times. After every flush, on both stores: figures equal the model's and
 * `verify()` finds nothing; every key's stored versions equal the model's; a
 * read of every key at every version equals the model's (or is refused with
 * its `readableFrom`); a full range at every version equals the model's;
 * `changes` over random intervals, bounds and page sizes either lists
 * exactly the model's stored writes of the interval or is refused, the
 * same way on both tiers; `diff` agrees between the tiers. A second run
 * writes up to 12 of 32 keys per commit, so that many keys share a version
 * and the memory tier's version log erases some of a version's keys and
 * takes others written into it later.
 *
 * A pin is a transaction begun at a past version. Pins are taken after a
 * flush (with no snapshot open a retention write trims in its commit, where
 * the model trims at its next flush) and ended before one (the inline mode
 * applies a released snapshot's parked requests in the call that released
 * it). `CHAIN_SHAPES_RUNS` raises the runs, `SEED` replays one, and
 * `CHAIN_SHAPES_DEBUG` prints the assertion each failing run stopped at.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, utf8 } from '../common/bytes.js';
import { isStoreError, SnapshotViolationError, VersionTooOldError } from '../common/errors.js';
import type { ActorMode } from '../runtime/actor.js';
import { MockClock } from '../runtime/clock.js';
import { type ModelDelta, StoreModel, toStoreDelta } from '../test-support/store-model.js';
import { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

const TABLES = [1, 2, 3, 4].map((keep) => ({
  name: `keep${keep}`,
  prefix: `${keep}:`,
  retention: { keepLastVersions: keep },
}));
/** Few keys, so that each goes through every shape. */
const FEW = ['a', 'b', '1:a', '1:b', '2:a', '3:a', '3:b', '4:a'].map(utf8);
/** Many keys sharing versions: erasures of some of a version's keys, writes of others into it. */
const MANY = ['', '1:', '2:', '4:'].flatMap((prefix) =>
  'abcdefgh'.split('').map((name) => utf8(`${prefix}${name}`)),
);

function retentionOf(key: Uint8Array): number | undefined {
  const text = bytesToBinaryString(key);
  return TABLES.find((t) => text.startsWith(t.prefix))?.retention.keepLastVersions;
}

type Op =
  | { op: 'commit'; deltas: ModelDelta[]; step: number | undefined }
  | { op: 'flush' }
  | { op: 'compact' }
  | { op: 'pin'; slot: number; back: number }
  | { op: 'unpin'; slot: number }
  | {
      op: 'feed';
      from: number;
      to: number;
      a: Uint8Array;
      b: Uint8Array;
      all: boolean;
      pageSize: number;
    };

/** The random steps over `keys`, commits of up to `width` deltas. */
function opsOver(keys: readonly Uint8Array[], width: number): fc.Arbitrary<Op> {
  const key = fc.constantFrom(...keys);
  const delta: fc.Arbitrary<ModelDelta> = fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        type: fc.constant('set' as const),
        key,
        value: fc.uint8Array({ maxLength: 3 }),
      }),
    },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('remove' as const), key }) },
    {
      weight: 3,
      arbitrary: fc.record(
        {
          type: fc.constant('drop' as const),
          key,
          upToVersion: fc.nat(14),
          keepLastVersions: fc.nat(3),
        },
        { requiredKeys: ['type', 'key'] },
      ),
    },
    fc.record(
      {
        type: fc.constant('drop-range' as const),
        start: key,
        end: key,
        endInclusive: fc.boolean(),
        upToVersion: fc.nat(14),
        keepLastVersions: fc.nat(3),
      },
      { requiredKeys: ['type'] },
    ),
  );

  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        op: fc.constant('commit' as const),
        deltas: fc.array(delta, { minLength: 1, maxLength: width }),
        step: fc.option(fc.integer({ min: -4, max: 2 }), { nil: undefined, freq: 4 }),
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const) }) },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('pin' as const), slot: fc.nat(1), back: fc.nat(4) }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('unpin' as const), slot: fc.nat(1) }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('feed' as const),
        from: fc.nat(16),
        to: fc.nat(16),
        a: key,
        b: key,
        all: fc.boolean(),
        pageSize: fc.integer({ min: 1, max: 3 }),
      }),
    },
  );
}

/** What a call gave: its result, or the code (and readableFrom) it threw. */
function outcome(call: () => unknown): unknown {
  try {
    return { ok: call() };
  } catch (error) {
    if (!isStoreError(error)) throw error;
    return { code: error.code, readableFrom: (error as { readableFrom?: number }).readableFrom };
  }
}

const plain = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : [...bytes]);

class Harness {
  readonly model = new StoreModel(retentionOf);
  readonly stores: MultiStore[];
  readonly #pins: (Transaction[] | undefined)[] = [undefined, undefined];

  constructor(
    mode: ActorMode,
    readonly keys: readonly Uint8Array[],
  ) {
    this.stores = (['memory', 'sqlite'] as const).map((tier) =>
      MultiStore.open({
        tier,
        actorMode: mode,
        clock: new MockClock(),
        tables: TABLES,
        dropWorker: { batchSize: 1000, flushIntervalMs: 1e9 },
      }),
    );
  }

  /** The versions the open pins read at. */
  get #pinned(): number[] {
    return this.#pins.flatMap((pin) =>
      pin === undefined ? [] : [(pin[0] as Transaction).version],
    );
  }

  async run(step: Op): Promise<void> {
    switch (step.op) {
      case 'commit':
        return this.#commit(step.deltas, step.step);
      case 'flush':
        return this.flush();
      case 'compact':
        await Promise.all(this.stores.map((store) => store.compact()));
        return this.flush();
      case 'pin': {
        await this.#unpin(step.slot);
        // With no snapshot open a retention write trims in its commit, where
        // the model trims at its next flush: no trim may wait for a new pin.
        await this.flush();
        const asOf = Math.max(0, this.model.latestVersion - step.back);
        this.#pins[step.slot] = this.stores.map((store) => store.begin({ asOf }));
        return;
      }
      case 'unpin':
        return this.#unpin(step.slot);
      case 'feed':
        await this.flush();
        return this.#feed(step);
    }
  }

  /**
   * End a pin; then flush, as the inline mode does at once (a released
   * snapshot's parked requests are applied in the call that released it).
   */
  async #unpin(slot: number): Promise<void> {
    const pin = this.#pins[slot];
    if (pin === undefined) return;
    for (const tx of pin) tx.rollback();
    this.#pins[slot] = undefined;
    await this.flush();
  }

  async #commit(deltas: ModelDelta[], step: number | undefined): Promise<void> {
    const latest = this.model.latestVersion;
    const version = step === undefined ? latest + 1 : Math.max(0, latest + step);
    // Drops are judged on what a key holds when applied: a write into history waits for them.
    if (version <= latest) await this.flush();
    const explicit = step === undefined ? undefined : version;
    const storeDeltas = deltas.map(toStoreDelta);
    const refused = this.model.refusesWrite(deltas, version);
    const pinnedAbove = this.#pinned.some((pinned) => pinned >= version);
    for (const store of this.stores) {
      if (explicit !== undefined && pinnedAbove) {
        assert.throws(() => store.commit(storeDeltas, explicit), SnapshotViolationError);
      } else if (refused !== undefined) {
        assert.throws(
          () => store.commit(storeDeltas, explicit),
          (error) =>
            error instanceof VersionTooOldError && error.readableFrom === refused.readableFrom,
        );
      } else {
        assert.equal(store.commit(storeDeltas, explicit), version);
      }
    }
    if (!(explicit !== undefined && pinnedAbove) && refused === undefined)
      this.model.commit(deltas, version);
  }

  async flush(): Promise<void> {
    await Promise.all(this.stores.map((store) => store.flush()));
    this.model.flush(this.#pinned);
    for (const store of this.stores) this.#check(store);
  }

  #check(store: MultiStore): void {
    const { model } = this;
    const tier = store.tierKind;
    assert.deepEqual({ ...store.stats().total }, model.figures(), `${tier}: figures`);
    assert.deepEqual(store.verify(), [], `${tier}: verify`);
    const latest = model.latestVersion;
    for (const k of this.keys) {
      const name = `${tier} ${bytesToBinaryString(k)}`;
      assert.deepEqual(
        store.versions(k).map((v) => [v.version, plain(v.value)]),
        model.versions(k).map((v) => [v.version, plain(v.value)]),
        `${name}: versions`,
      );
      for (let at = 0; at <= latest + 1; at++) {
        const refusal = model.refusal(k, at);
        const want = refusal
          ? { code: 'VERSION_TOO_OLD', readableFrom: refusal.readableFrom }
          : { ok: ((e) => e && [e.version, plain(e.value)])(model.get(k, at)) };
        const got = outcome(() => ((e) => e && [e.version, plain(e.value)])(store.get(k, at)));
        assert.deepEqual(got, want, `${name}: read at ${at}`);
      }
    }
    for (let at = 0; at <= latest; at++) {
      const want = model.rangeRead(undefined, undefined, false, at, false);
      const got: unknown[] = [];
      const result = outcome(() => {
        for (const e of store.range(undefined, { version: at, pageSize: 2 }))
          got.push([bytesToBinaryString(e.key), e.version, plain(e.value)]);
      });
      assert.deepEqual(
        got,
        want.entries.map((e) => [bytesToBinaryString(e.key), e.version, plain(e.value)]),
        `${tier}: range at ${at}`,
      );
      const refused = want.refused;
      assert.deepEqual(
        result,
        refused
          ? { code: 'VERSION_TOO_OLD', readableFrom: refused.readableFrom }
          : { ok: undefined },
        `${tier}: range at ${at} ends`,
      );
    }
  }

  #feed(step: Extract<Op, { op: 'feed' }>): void {
    const latest = this.model.latestVersion;
    const from = Math.min(step.from, latest);
    const to = Math.min(Math.max(from, step.to), latest);
    const spec = step.all ? {} : { start: step.a, end: step.b, endInclusive: true };
    const feeds = this.stores.map((store) =>
      outcome(() =>
        [...store.changes({ ...spec, from, to, pageSize: step.pageSize })].map((change) => [
          change.version,
          change.writes.map((w) => [bytesToBinaryString(w.key), plain(w.value), w.table]),
        ]),
      ),
    );
    assert.deepEqual(feeds[0], feeds[1], `changes from ${from} to ${to}: memory as SQLite`);
    const feed = feeds[0] as { ok?: [number, [string, unknown, string][]][] };
    if (feed.ok !== undefined) {
      assert.deepEqual(
        feed.ok,
        this.#modelChanges(spec, from, to),
        `changes from ${from} to ${to}`,
      );
    }
    const diffs = this.stores.map((store) =>
      outcome(() =>
        [...store.diff(from, to, { ...spec, pageSize: step.pageSize })].map((d) => [
          bytesToBinaryString(d.key),
          plain(d.before),
          plain(d.after),
        ]),
      ),
    );
    assert.deepEqual(diffs[0], diffs[1], `diff ${from} ${to}: memory as SQLite`);
  }

  /** Every stored write of the model with from < version <= to in `spec`, by version, keys in order. */
  #modelChanges(spec: { start?: Uint8Array; end?: Uint8Array }, from: number, to: number): unknown {
    const low = spec.start === undefined ? '' : bytesToBinaryString(spec.start);
    const high = spec.end === undefined ? undefined : bytesToBinaryString(spec.end);
    const byVersion = new Map<number, [string, unknown, string][]>();
    const keys = this.keys
      .map(bytesToBinaryString)
      .filter((k) => k >= low && (high === undefined || k <= high))
      .sort();
    for (const id of keys) {
      const bytes = this.keys.find((k) => bytesToBinaryString(k) === id) as Uint8Array;
      const table = TABLES.find((t) => id.startsWith(t.prefix))?.name ?? 'multi';
      for (const { version, value } of this.model.versions(bytes)) {
        if (version <= from || version > to) continue;
        const list = byVersion.get(version) ?? [];
        list.push([id, plain(value), table]);
        byVersion.set(version, list);
      }
    }
    return [...byVersion.entries()].sort((x, y) => x[0] - y[0]);
  }

  async close(): Promise<void> {
    for (const pin of this.#pins) for (const tx of pin ?? []) tx.rollback();
    await Promise.all(this.stores.map((store) => store.close()));
  }
}

/** Random runs of `ops` over `keys` on a memory and a SQLite store in `mode`. */
async function agree(
  mode: ActorMode,
  keys: readonly Uint8Array[],
  ops: fc.Arbitrary<Op>,
  numRuns: number,
): Promise<void> {
  const runs = Number(process.env.CHAIN_SHAPES_RUNS ?? numRuns);
  await fc.assert(
    fc.asyncProperty(fc.array(ops, { minLength: 10, maxLength: 60, size: 'max' }), async (list) => {
      const harness = new Harness(mode, keys);
      try {
        for (const step of list) await harness.run(step);
        await harness.run({ op: 'unpin', slot: 0 });
        await harness.run({ op: 'unpin', slot: 1 });
        await harness.flush();
      } catch (error) {
        if (process.env.CHAIN_SHAPES_DEBUG) console.error('FAILED', String(error));
        throw error;
      } finally {
        await harness.close();
      }
    }),
    { numRuns: runs, ...(process.env.SEED ? { seed: Number(process.env.SEED) } : {}) },
  );
}

for (const mode of ['inline', 'event-loop'] as const) {
  it(`memory chains through every shape agree with the model and SQLite (${mode} mode)`, () =>
    agree(mode, FEW, opsOver(FEW, 4), 60));

  it(`many keys sharing versions, erased in part and written into, agree with the model and SQLite (${mode} mode)`, () =>
    agree(mode, MANY, opsOver(MANY, 12), 20));
}
