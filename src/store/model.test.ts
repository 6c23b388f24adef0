/**
 * Model-based test: random commits and reads against the real store and the
 * simple model of `test-support/store-model.ts`, on both tiers and in both
 * actor modes, with `flush` at random points; after every flush the tracked
 * statistics must equal a recount of what is stored.
 *
 * Drops are judged on what a key holds when the worker applies them (up to the
 * request's ceiling), so a read is only compared once the drops pending on its
 * key are applied, and a write at or below the latest version first waits for
 * pending drops (see the README, "Semantics", and drop-rules.ts). Reads of
 * erased history, and writes into it, must be refused exactly where the
 * model says (VERSION_TOO_OLD, with the model's oldest readable version).
 * Range and prefix drops wait in the queue like any request: a read, or a
 * write at or below the latest version, waits for a flush while one is
 * pending (what it erases from a key depends on when its cursor gets there).
 * Commits at an even version go through `commitAsync` (grouped on SQLite,
 * awaited at each flush): the store reads them at once, as a plain commit.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import { MODEL_KEYS, MODEL_TABLES, modelRetentionOf } from '../test-support/model-keys.js';
import { keyDelta, type ModelOp, modelOps, rangeDropDelta } from '../test-support/model-ops.js';
import {
  figuresOf,
  type ModelFigures,
  type ModelRefusal,
  StoreModel,
  toStoreDelta,
} from '../test-support/store-model.js';
import { forEachStoreSetup, type StoreSetup } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';

const KEYS = MODEL_KEYS;
const TABLES = MODEL_TABLES;
const retentionOf = modelRetentionOf;

const op = modelOps(fc.oneof(keyDelta, rangeDropDelta));
type Op = ModelOp;

class Harness {
  /** The grouped commits not awaited yet. */
  readonly #grouped: Promise<unknown>[] = [];

  constructor(
    readonly store: MultiStore,
    readonly model: StoreModel,
  ) {}

  async flush(): Promise<void> {
    await this.store.flush();
    await Promise.all(this.#grouped.splice(0));
    this.model.flush();
    assert.deepEqual(figures(this.store), this.model.figures(), 'tracked figures equal the model');
    assert.deepEqual(
      figures(this.store),
      recount(this.store),
      'tracked figures equal a recount of the tier',
    );
  }

  async settle(keys: Uint8Array[] | 'all'): Promise<void> {
    if (this.model.pendingRanges > 0) return this.flush();
    const pending = this.model.pendingKeys();
    if (pending.size === 0) return;
    if (keys === 'all' || keys.some((k) => pending.has(bytesToBinaryString(k)))) await this.flush();
  }

  async run(step: Op): Promise<void> {
    const { store, model } = this;
    const latest = model.latestVersion;
    switch (step.op) {
      case 'commit': {
        const version = Math.max(0, latest + step.step);
        if (version <= latest) await this.settle('all');
        const refused = model.refusesWrite(step.deltas, version);
        if (refused !== undefined) {
          assertRefused(() => store.commit(step.deltas.map(toStoreDelta), version), refused);
          return;
        }
        if (version % 2 === 0) {
          this.#grouped.push(store.commitAsync(step.deltas.map(toStoreDelta), version));
        } else store.commit(step.deltas.map(toStoreDelta), version);
        model.commit(step.deltas, version);
        return;
      }
      case 'flush':
        return this.flush();
      case 'get': {
        await this.settle([step.key]);
        const at = Math.max(0, latest - step.back);
        const refused = model.refusal(step.key, at);
        if (refused !== undefined) {
          assertRefused(() => store.get(step.key, at), refused);
          assertRefused(() => store.contains(step.key, at), refused);
          return;
        }
        const got = store.get(step.key, at);
        const want = model.get(step.key, at);
        assert.deepEqual(
          got && { value: [...got.value], version: got.version },
          want && { value: [...want.value], version: want.version },
        );
        assert.equal(store.contains(step.key, at), want !== undefined);
        return;
      }
      case 'versions': {
        await this.settle([step.key]);
        const plain = (list: { version: number; value: Uint8Array | undefined }[]) =>
          list.map((v) => [v.version, v.value && [...v.value]]);
        assert.deepEqual(plain(store.versions(step.key)), plain(model.versions(step.key)));
        return;
      }
      case 'range':
        return this.range(step, latest);
    }
  }

  async range(step: Extract<Op, { op: 'range' }>, latest: number): Promise<void> {
    await this.settle('all');
    const at = Math.max(0, latest - step.back);
    const got: { key: Uint8Array; value: Uint8Array; version: number }[] = [];
    let error: unknown;
    try {
      const entries = this.store.range(
        { start: step.a, end: step.b, endInclusive: step.inclusive },
        { version: at, reverse: step.reverse, pageSize: step.pageSize },
      );
      for (const entry of entries) got.push(entry);
    } catch (caught) {
      error = caught;
    }
    const want = this.model.rangeRead(step.a, step.b, step.inclusive, at, step.reverse);
    const plain = (list: { key: Uint8Array; value: Uint8Array; version: number }[]) =>
      list.map((e) => [bytesToBinaryString(e.key), [...e.value], e.version]);
    assert.deepEqual(plain(got), plain(want.entries), 'the entries before any refusal');
    if (want.refused === undefined) assert.equal(error, undefined);
    else
      assertRefused(() => {
        if (error !== undefined) throw error;
      }, want.refused);
  }
}

/** `action` throws VERSION_TOO_OLD for the refusal the model predicts. */
function assertRefused(action: () => unknown, refusal: ModelRefusal): void {
  assert.throws(action, (error: unknown) => {
    assert.ok(
      error instanceof VersionTooOldError,
      `expected VERSION_TOO_OLD, got ${String(error)}`,
    );
    assert.equal(error.readableFrom, refusal.readableFrom);
    assert.deepEqual(error.key && [...error.key], [...refusal.key]);
    return true;
  });
}

function figures(store: MultiStore): ModelFigures {
  return { ...store.stats().total };
}

/** Figures recounted from every stored version of every key the test uses. */
function recount(store: MultiStore): ModelFigures {
  return figuresOf(KEYS.map((key) => [key, store.versions(key)]));
}

async function check(setup: StoreSetup, ops: Op[]): Promise<void> {
  const store = setup.open({ tables: TABLES, dropWorker: { batchSize: 3, mailboxCapacity: 4 } });
  const harness = new Harness(store, new StoreModel(retentionOf));
  try {
    for (const step of ops) await harness.run(step);
    await harness.flush();
  } finally {
    await store.close();
  }
}

forEachStoreSetup((setup) => {
  it('agrees with the model on random commits, drops and reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 80, size: 'max' }), (ops) =>
        check(setup, ops),
      ),
      { numRuns: 60 },
    );
  });
});
