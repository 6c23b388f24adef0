import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { recountSchema } from '../test-support/pg-recount.js';
import type { AsyncMultiStore } from './async-store.js';
import { findPostgresBin, type LocalCluster, startCluster } from './cluster.js';
import { connect } from './index.js';

/** A workload committing pairs ("a<i>", "b<i>") until told to stop, recording what happened. */
class Workload {
  readonly acked = new Map<number, number>(); // i -> version
  readonly failures: unknown[] = [];
  #stop = false;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  readonly done: Promise<void>;

  constructor(store: AsyncMultiStore) {
    this.done = this.#run(store);
  }

  /** Resolves once `test` holds (checked after every commit attempt). */
  until(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ test, resolve }));
  }

  stop(): Promise<void> {
    this.#stop = true;
    return this.done;
  }

  async #run(store: AsyncMultiStore): Promise<void> {
    for (let i = 0; !this.#stop; i++) {
      const value = `value-${i}`;
      try {
        const version = await store.commit([
          { type: 'set', key: `a${i}`, value },
          { type: 'set', key: `b${i}`, value },
          { type: 'drop', key: 'hot', keepLastVersions: 1 },
          { type: 'set', key: 'hot', value },
        ]);
        this.acked.set(i, version as number);
      } catch (error) {
        this.failures.push(error);
        if (isStoreError(error, 'STORE_CLOSED')) break;
      }
      this.#waiters = this.#waiters.filter((waiter) => {
        if (!waiter.test()) return true;
        waiter.resolve();
        return false;
      });
    }
  }
}

describe('the PostgreSQL server stopped and restarted under a workload', {
  skip: findPostgresBin() === undefined,
}, () => {
  let cluster: LocalCluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.remove();
  });

  it('fails with TIER_IO while the server is down, loses nothing acknowledged, and works again after', async () => {
    const schema = 'fault';
    const store = await connect({
      postgres: { connectionString: cluster.url, schema },
    });
    const workload = new Workload(store);
    try {
      await workload.until(() => workload.acked.size >= 10);
      await cluster.stop();
      const ackedBeforeRestart = workload.acked.size;
      await workload.until(() => workload.failures.length >= 5);
      // Every call fails alike while the server is down.
      await assert.rejects(store.get('a0'), (error) => isStoreError(error, 'TIER_IO'));
      await assert.rejects(store.flush(), (error) => isStoreError(error, 'TIER_IO'));
      await assert.rejects(store.begin(), (error) => isStoreError(error, 'TIER_IO'));
      await assert.rejects(
        async () => {
          for await (const _ of store.range()) {
            // Nothing can be read.
          }
        },
        (error) => isStoreError(error, 'TIER_IO'),
      );
      await cluster.start();
      await workload.until(() => workload.acked.size >= ackedBeforeRestart + 10);
      await workload.stop();

      for (const failure of workload.failures) {
        assert.ok(isStoreError(failure, 'TIER_IO'), String(failure));
        assert.notEqual((failure as Error).cause, undefined, 'the driver error is the cause');
      }
      // Nothing acknowledged is lost; nothing is half-written (a commit is both keys or none).
      const versions = [...workload.acked.values()];
      assert.equal(new Set(versions).size, versions.length, 'no version given twice');
      for (const [i, version] of workload.acked) {
        assert.equal((await store.get(`a${i}`, version))?.version, version);
        assert.equal((await store.get(`b${i}`, version))?.version, version);
      }
      const attempts = workload.acked.size + workload.failures.length;
      for (let i = 0; i < attempts; i++) {
        const a = await store.get(`a${i}`);
        const b = await store.get(`b${i}`);
        assert.equal(a?.version, b?.version, `pair ${i}`);
      }
      await store.flush();
      assert.equal((await store.versions('hot')).length, 1);
      const stats = await store.stats();
      for (const [table, figures] of await recountSchema(cluster.url, schema)) {
        assert.deepEqual(stats.tables[table], figures, table);
      }
      process.stderr.write(
        `fault: ${workload.acked.size} commits acknowledged, ${workload.failures.length} failed with TIER_IO while the server was down\n`,
      );
    } finally {
      await workload.stop();
      await store.close();
    }
  });
});
