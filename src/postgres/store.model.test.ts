/**
 * Model-based test of the store on PostgreSQL: the random commits, drops and
 * reads of the embedded store's model test (`store/model.test.ts`), awaited,
 * against the same map-of-versions model (`test-support/store-model.ts`), with
 * `flush` at random points. After every flush the statistics the database
 * keeps must equal the model's figures, a recount through the store's reads,
 * and a recount of the rows with plain SQL (`test-support/pg-recount.ts`).
 *
 * The rules are the embedded test's: a drop is judged when it is applied (the
 * store also applies requests on its own, after a full batch or its flush
 * interval, in the background), so a read is compared once the drops pending
 * on its key are applied, and a write at or below the latest version first
 * waits for them; reads of erased history and writes into it must be refused
 * with the model's oldest readable version. Range and prefix drops are among
 * the deltas: while one is pending, a read or a write at or below the latest
 * version waits for a flush (what it erases from a key depends on when its
 * cursor gets there, as on the embedded store).
 *
 * One private cluster (or `MULTISTORE_PG_URL`) serves the whole file; every
 * run works in a fresh schema, dropped afterwards. The number of runs is kept
 * small (each one creates a schema and talks to a server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { bytesToBinaryString } from '../common/bytes.js';
import { VersionTooOldError } from '../common/errors.js';
import { MODEL_KEYS, MODEL_TABLES, modelRetentionOf } from '../test-support/model-keys.js';
import { keyDelta, type ModelOp, modelOps, rangeDropDelta } from '../test-support/model-ops.js';
import { recountSchema } from '../test-support/pg-recount.js';
import {
  figuresOf,
  type ModelFigures,
  type ModelRefusal,
  StoreModel,
  toStoreDelta,
} from '../test-support/store-model.js';
import type { AsyncMultiStore } from './async-store.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import { connect } from './index.js';

/** Runs of the property (each a fresh schema); `MULTISTORE_PG_MODEL_RUNS` raises it. */
const RUNS = Number(process.env.MULTISTORE_PG_MODEL_RUNS ?? 15);
const KEYS = MODEL_KEYS;

const op = modelOps(fc.oneof(keyDelta, rangeDropDelta));
type Op = ModelOp;

type Plain = { version: number; value: Uint8Array | undefined };
const plainVersions = (list: readonly Plain[]) =>
  list.map((v) => [v.version, v.value && [...v.value]]);

class Harness {
  constructor(
    readonly store: AsyncMultiStore,
    readonly model: StoreModel,
    readonly url: string,
    readonly schema: string,
  ) {}

  async flush(): Promise<void> {
    await this.store.flush();
    this.model.flush();
    const tracked: ModelFigures = { ...(await this.store.stats()).total };
    assert.deepEqual(tracked, this.model.figures(), 'stored figures equal the model');
    const read = await Promise.all(
      KEYS.map(async (k) => [k, await this.store.versions(k)] as const),
    );
    assert.deepEqual(tracked, figuresOf(read), 'stored figures equal a recount through reads');
    const rows = new ModelCounter();
    for (const figures of (await recountSchema(this.url, this.schema)).values()) rows.add(figures);
    assert.deepEqual(tracked, rows.figures, 'stored figures equal a SQL recount of the rows');
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
          await assertRefused(store.commit(step.deltas.map(toStoreDelta), version), refused);
          return;
        }
        await store.commit(step.deltas.map(toStoreDelta), version);
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
          await assertRefused(store.get(step.key, at), refused);
          await assertRefused(store.contains(step.key, at), refused);
          return;
        }
        const got = await store.get(step.key, at);
        const want = model.get(step.key, at);
        assert.deepEqual(
          got && { value: [...got.value], version: got.version },
          want && { value: [...want.value], version: want.version },
        );
        assert.equal(await store.contains(step.key, at), want !== undefined);
        return;
      }
      case 'versions': {
        await this.settle([step.key]);
        const got = await store.versions(step.key);
        assert.deepEqual(plainVersions(got), plainVersions(model.versions(step.key)));
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
      for await (const entry of entries) got.push(entry);
    } catch (caught) {
      error = caught;
    }
    const want = this.model.rangeRead(step.a, step.b, step.inclusive, at, step.reverse);
    const plain = (list: { key: Uint8Array; value: Uint8Array; version: number }[]) =>
      list.map((e) => [bytesToBinaryString(e.key), [...e.value], e.version]);
    assert.deepEqual(plain(got), plain(want.entries), 'the entries before any refusal');
    if (want.refused === undefined) assert.equal(error, undefined);
    else
      await assertRefused(
        error === undefined ? Promise.resolve() : Promise.reject(error),
        want.refused,
      );
  }
}

/** Sums figures of several tables. */
class ModelCounter {
  figures: ModelFigures = figuresOf([]);

  add(other: ModelFigures): void {
    const sum = { ...this.figures };
    for (const name of Object.keys(sum) as (keyof ModelFigures)[]) sum[name] += other[name];
    this.figures = sum;
  }
}

/** `action` rejects with VERSION_TOO_OLD for the refusal the model predicts. */
async function assertRefused(action: Promise<unknown>, refusal: ModelRefusal): Promise<void> {
  await assert.rejects(action, (error: unknown) => {
    assert.ok(
      error instanceof VersionTooOldError,
      `expected VERSION_TOO_OLD, got ${String(error)}`,
    );
    assert.equal(error.readableFrom, refusal.readableFrom);
    assert.deepEqual(error.key && [...error.key], [...refusal.key]);
    return true;
  });
}

describe('the PostgreSQL store against the model', { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  let admin: pg.Pool;
  let runs = 0;
  before(async () => {
    server = await testServer();
    admin = new pg.Pool({ connectionString: server.url, max: 1 });
  });
  after(async () => {
    await admin?.end();
    await server?.close();
  });

  async function check(ops: Op[]): Promise<void> {
    const schema = `model_${process.pid}_${++runs}`;
    const store = await connect({
      postgres: { connectionString: server.url, schema, maxConnections: 4 },
      tables: MODEL_TABLES,
      dropWorker: { batchSize: 3 },
    });
    const harness = new Harness(store, new StoreModel(modelRetentionOf), server.url, schema);
    try {
      for (const step of ops) await harness.run(step);
      await harness.flush();
    } finally {
      await store.close();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  }

  it('agrees with the model on random commits, drops and reads', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 60, size: 'max' }), check),
      { numRuns: RUNS },
    );
  });
});
