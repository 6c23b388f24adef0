import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isStoreError, VersionTooOldError } from '../common/errors.js';
import type { AsyncMultiStore } from './async-store.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import { connect } from './index.js';

/** The code of the error `work` rejects with (fails when it resolves). */
async function codeOf(work: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await work();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  assert.fail('no error thrown');
}

describe('the PostgreSQL store at its edges', { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  let schemas = 0;
  const open = (options: Record<string, unknown> = {}): Promise<AsyncMultiStore> =>
    connect({
      postgres: { connectionString: server.url, schema: `edges_${process.pid}_${schemas++}` },
      dropWorker: { flushIntervalMs: 3_600_000 },
      ...options,
    });
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server?.close();
  });

  it('releases the snapshot of a committed transaction, so its drops are applied', async () => {
    const store = await open();
    try {
      await store.commit([{ type: 'set', key: 'a', value: '1' }]);
      const tx = await store.begin();
      tx.set('a', '2');
      assert.equal(await tx.commit(), 2);
      assert.equal(tx.state, 'committed');
      await store.transaction((t) => t.set('a', '3'));
      assert.equal((await store.stats()).snapshots.open, 0);
      await store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }]);
      await store.flush();
      assert.equal(store.dropWorkerStats().parked, 0);
      assert.deepEqual(
        (await store.versions('a')).map((entry) => entry.version),
        [3],
      );
    } finally {
      await store.close();
    }
  });
  it('leaves no listener on a pool of the caller once closed', async () => {
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      const before = pool.listenerCount('error');
      const schema = `edges_${process.pid}_pool`;
      for (let i = 0; i < 3; i++) {
        const store = await connect({ postgres: { pool, schema } });
        await store.commit([{ type: 'set', key: `k${i}`, value: 'v' }]);
        await store.close();
      }
      assert.equal(pool.listenerCount('error'), before);
    } finally {
      await pool.end();
    }
  });

  it('fails an iteration the store was closed under with STORE_CLOSED', async () => {
    const store = await open();
    for (let i = 0; i < 4; i++) await store.commit([{ type: 'set', key: `k${i}`, value: 'v' }]);
    const range = store.range(undefined, { pageSize: 1 });
    const feed = store.changes({ pageSize: 1 });
    const diff = store.diff(0, 4, { pageSize: 1 });
    const tx = await store.begin();
    const txRange = tx.range(undefined, { pageSize: 1 });
    assert.equal((await txRange.next()).done, false);
    assert.equal((await range.next()).done, false);
    assert.equal((await feed.next()).done, false);
    assert.equal((await diff.next()).done, false);
    await store.close();
    for (const iterator of [range, feed, diff, txRange]) {
      assert.equal(await codeOf(() => iterator.next()), 'STORE_CLOSED');
    }
  });

  it('refuses new routing once the store holds data, even when no key would move', async () => {
    const schema = `edges_${process.pid}_routing`;
    const postgres = { connectionString: server.url, schema };
    const first = await connect({ postgres, tables: [{ name: 'x', prefix: 'x:' }] });
    await first.commit([{ type: 'set', key: 'a', value: '1' }]);
    await first.close();
    const moved = [{ name: 'y', prefix: 'y:' }];
    assert.equal(await codeOf(() => connect({ postgres, tables: moved })), 'INVALID_OPTIONS');
    const retained = [{ name: 'x', prefix: 'x:', retention: { keepLastVersions: 1 } }];
    const again = await connect({ postgres, tables: retained });
    await again.close();
  });

  it('fails a commit of a key too long for an index entry as TIER_IO, writing nothing', async () => {
    const store = await open();
    try {
      const long = randomBytes(3000);
      await assert.rejects(
        store.commit([
          { type: 'set', key: 'short', value: 'v' },
          { type: 'set', key: long, value: 'v' },
        ]),
        (error: Error) =>
          isStoreError(error, 'TIER_IO') &&
          (error.cause as { code?: string } | undefined)?.code === '54000',
      );
      assert.equal(await store.get('short'), undefined);
      assert.equal((await store.stats()).total.currentCount, 0);
      assert.equal(await store.commit([{ type: 'set', key: randomBytes(2000), value: 'v' }]), 1);
    } finally {
      await store.close();
    }
  });

  it('refuses an explicit commit into erased history as a write', async () => {
    const store = await open();
    try {
      for (let version = 1; version <= 3; version++) {
        await store.commit([{ type: 'set', key: 'a', value: `${version}` }], version * 2);
      }
      await store.commit([{ type: 'drop', key: 'a', keepLastVersions: 1 }]);
      await store.flush();
      await assert.rejects(
        store.commit([{ type: 'set', key: 'a', value: 'x' }], 3),
        (error: Error) =>
          error instanceof VersionTooOldError &&
          error.operation === 'write' &&
          error.readableFrom === 6 &&
          error.message.includes('cannot be written at version 3'),
      );
      await assert.rejects(
        store.commit([{ type: 'set', key: 'a', value: 'x' }], 1),
        (error: Error) => error instanceof VersionTooOldError && error.readableFrom === 6,
        'below the erased versions too',
      );
      assert.equal(await store.commit([{ type: 'set', key: 'a', value: 'x' }], 6), 6);
    } finally {
      await store.close();
    }
  });

  it('refuses an explicit commit below a deletion: the key stays absent above it', async () => {
    const store = await open();
    const refusedAt = (version: number) => (error: Error) =>
      error instanceof VersionTooOldError &&
      error.code === 'VERSION_TOO_OLD' &&
      error.operation === 'write' &&
      error.version === version &&
      error.readableFrom === 3 &&
      new TextDecoder().decode(error.key) === 'k';
    try {
      await store.commit([{ type: 'set', key: 'x', value: '1' }]);
      await store.commit([{ type: 'set', key: 'k', value: 'old' }]);
      await store.commit([{ type: 'drop', key: 'k' }]);
      await store.flush();
      for (const version of [0, 1]) {
        await assert.rejects(
          store.commit([{ type: 'set', key: 'k', value: 'new' }], version),
          refusedAt(version),
        );
      }
      assert.equal(await store.get('k'), undefined);
      assert.deepEqual(await store.versions('k'), []);
      await store.commit([{ type: 'set', key: 'k', value: 'later' }], 6);
      await assert.rejects(
        store.commit([{ type: 'set', key: 'k', value: 'new' }], 1),
        refusedAt(1),
        'a later write does not open the history below the deletion',
      );
      assert.equal(await store.get('k', 4), undefined);
      assert.equal(await store.commit([{ type: 'set', key: 'k', value: 'between' }], 4), 4);
    } finally {
      await store.close();
    }
  });
});
