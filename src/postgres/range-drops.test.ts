/**
 * Range drops on PostgreSQL: one row per range drop, its keys listed a page
 * at a time when the drop applier gets there (so a key written afterwards
 * at a version the drop covers is trimmed too), keys an open snapshot reads
 * held back on the row, and statistics equal to a recount of the rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { recountSchema } from '../test-support/pg-recount.js';
import type { AsyncMultiStore } from './async-store.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import type { PostgresClient, PostgresPool } from './database.js';
import { connect } from './index.js';

const BATCH = 4;

/** A pool that records the text of every statement it runs (on a client of its own). */
function recordingPool(url: string): { pool: PostgresPool; statements: string[] } {
  const real = new pg.Pool({ connectionString: url, max: 4 });
  const statements: string[] = [];
  const connectRecording = async (): Promise<PostgresClient> => {
    const client = await real.connect();
    return {
      query: (text: string, values?: unknown[]) => {
        statements.push(text);
        return client.query(text, values);
      },
      on: (event, listener) => client.on(event, listener),
      removeListener: (event, listener) => client.removeListener(event, listener),
      release: (destroy) => client.release(destroy),
    };
  };
  const pool: PostgresPool = {
    query: async (text: string, values?: unknown[]) => {
      const client = await connectRecording();
      try {
        return await client.query(text, values);
      } finally {
        client.release();
      }
    },
    connect: connectRecording,
    end: () => real.end(),
    on: (event, listener) => real.on(event, listener),
  };
  return { pool, statements };
}

/** The versions of `key`, newest first. */
async function versionsOf(store: AsyncMultiStore, key: string): Promise<number[]> {
  return (await store.versions(key)).map((entry) => entry.version);
}

describe('range drops on PostgreSQL', { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  let schemas = 0;
  const schemaName = () => `ranges_${process.pid}_${schemas++}`;
  const open = (schema = schemaName()): Promise<AsyncMultiStore> =>
    connect({
      postgres: { connectionString: server.url, schema },
      dropWorker: { batchSize: BATCH, flushIntervalMs: 3_600_000 },
    });
  async function assertExactStats(store: AsyncMultiStore, schema: string): Promise<void> {
    const stats = await store.stats();
    for (const [table, figures] of await recountSchema(server.url, schema)) {
      assert.deepEqual(stats.tables[table], figures, `figures of ${table} equal a recount`);
    }
  }
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server?.close();
  });

  it('stores a range drop as one row at commit and lists its keys a page at a time when applied', async () => {
    const schema = schemaName();
    const { pool, statements } = recordingPool(server.url);
    const store = await connect({
      postgres: { pool, schema },
      dropWorker: { batchSize: BATCH, flushIntervalMs: 3_600_000 },
    });
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `p:${i}`);
      for (let round = 0; round < 2; round++) {
        await store.commit([
          ...keys.map((key) => ({ type: 'set' as const, key, value: `${round}` })),
          { type: 'set', key: 'q:1', value: `${round}` },
        ]);
      }
      statements.length = 0;
      await store.commit([{ type: 'drop', prefix: 'p:', keepLastVersions: 1 }]);
      const listings = () => statements.filter((text) => text.includes('SELECT DISTINCT key'));
      assert.equal(listings().length, 0, 'the commit lists no key');
      assert.equal((await store.stats()).pendingDrops, 1, 'one row for the whole range');
      await store.flush();
      // 10 keys, 4 a page: 4 + 4 + 2, each page a statement of its own.
      assert.equal(listings().length, 3);
      for (const key of keys) assert.deepEqual(await versionsOf(store, key), [2], key);
      assert.deepEqual(await versionsOf(store, 'q:1'), [2, 1]);
      assert.equal((await store.stats()).pendingDrops, 0);
      await assertExactStats(store, schema);
    } finally {
      await store.close();
      await pool.end();
    }
  });

  it('judges a key written after the commit at a version the drop covers with the rest', async () => {
    const schema = schemaName();
    const store = await open(schema);
    try {
      await store.commit([{ type: 'set', key: 'a', value: '1' }]);
      await store.commit([{ type: 'set', key: 'b', value: '2' }]);
      const dropped = (await store.commit([{ type: 'drop', prefix: '' }])) as number;
      // An explicit version below the drop's: the key is listed when the drop applies.
      await store.commit([{ type: 'set', key: 'c', value: '3' }], 2);
      // Above the drop's ceiling: not its business.
      await store.commit([{ type: 'set', key: 'd', value: '4' }]);
      await store.flush();
      for (const key of ['a', 'b', 'c']) assert.deepEqual(await versionsOf(store, key), [], key);
      assert.deepEqual(await versionsOf(store, 'd'), [dropped + 1]);
      await assertExactStats(store, schema);
    } finally {
      await store.close();
    }
  });

  it('holds back on its row the keys an open snapshot reads, and applies them once it ends', async () => {
    const schema = schemaName();
    const store = await open(schema);
    try {
      for (let i = 0; i < 6; i++) await store.commit([{ type: 'set', key: `p:${i}`, value: 'v' }]);
      // A snapshot at 3 reads p:0..p:2; p:3..p:5 came later (absent at 3 either way).
      const tx = await store.begin({ asOf: 3, readOnly: true });
      await store.commit([{ type: 'drop', prefix: 'p:' }]);
      await store.flush();
      assert.deepEqual(
        await Promise.all([0, 1, 2, 3, 4, 5].map((i) => versionsOf(store, `p:${i}`))),
        [[1], [2], [3], [], [], []],
      );
      assert.equal(store.dropWorkerStats().parked, 3);
      assert.equal((await store.stats()).pendingDrops, 1, 'the row keeps the held keys');
      await assertExactStats(store, schema);
      // A write above the drop's ceiling is not judged when the held keys are.
      const later = await store.commit([{ type: 'set', key: 'p:0', value: 'new' }]);
      await tx.rollback();
      await store.flush();
      assert.deepEqual(await Promise.all([0, 1, 2].map((i) => versionsOf(store, `p:${i}`))), [
        [later],
        [],
        [],
      ]);
      assert.equal((await store.stats()).pendingDrops, 0);
      await assertExactStats(store, schema);
    } finally {
      await store.close();
    }
  });

  describe('in conflict checks, a write of every key of its range', () => {
    type Mode = 'queued' | 'applied';
    type Work = (tx: Awaited<ReturnType<AsyncMultiStore['begin']>>) => Promise<void>;

    /** What committing a transaction that did `work` gives once a prefix drop of "p:" committed. */
    async function outcome(
      mode: Mode,
      isolation: 'snapshot' | 'serializable',
      work: Work,
    ): Promise<{ reason: string; key?: string; version?: number } | 'committed'> {
      const schema = schemaName();
      const store = await open(schema);
      try {
        await store.commit([
          { type: 'set', key: 'p:1', value: 'a' },
          { type: 'set', key: 'q:1', value: 'b' },
        ]);
        const tx = await store.begin({ isolation });
        await work(tx);
        tx.set('z', 'x');
        const drop = [{ type: 'drop' as const, prefix: 'p:' }];
        if (mode === 'queued') {
          await store.commit(drop);
        } else {
          // Another store (as another process would): its flush does not know tx's snapshot.
          const other = await open(schema);
          await other.commit(drop);
          await other.flush();
          assert.deepEqual(await versionsOf(other, 'p:1'), [], 'the drop is applied');
          assert.equal((await other.stats()).pendingDrops, 0);
          await other.close();
        }
        try {
          await tx.commit();
          return 'committed';
        } catch (error) {
          const { code, reason, key, committedVersion } = error as {
            code?: string;
            reason: string;
            key?: Uint8Array;
            committedVersion: number;
          };
          assert.equal(code, 'TRANSACTION_CONFLICT', String(error));
          const text = key === undefined ? undefined : Buffer.from(key).toString('latin1');
          return { reason, key: text, version: committedVersion };
        }
      } finally {
        await store.close();
      }
    }

    it('a range drop whose keys the transaction holds back (held on the row) still conflicts', async () => {
      const store = await open();
      try {
        await store.commit([{ type: 'set', key: 'p:1', value: 'a' }]);
        const tx = await store.begin({ isolation: 'serializable' });
        assert.equal((await tx.get('p:1'))?.version, 1);
        tx.set('z', 'x');
        const version = await store.commit([{ type: 'drop', prefix: 'p:' }]);
        await store.flush();
        assert.equal(store.dropWorkerStats().parked, 1, 'p:1 waits on the row for tx');
        await assert.rejects(
          tx.commit(),
          (error: { reason?: string; committedVersion?: number }) => {
            assert.deepEqual([error.reason, error.committedVersion], ['read', version]);
            return true;
          },
        );
      } finally {
        await store.close();
      }
    });

    it('a queued range drop ending before the empty key meets no range read', async () => {
      const store = await open();
      try {
        await store.commit([{ type: 'set', key: 'p:1', value: 'a' }]);
        const tx = await store.begin({ isolation: 'serializable' });
        for await (const entry of tx.range({ end: 'q' })) assert.ok(entry.key);
        tx.set('z', 'x');
        await store.commit([{ type: 'drop', end: '' }]);
        assert.equal((await store.stats()).pendingDrops, 1, 'queued');
        assert.equal(typeof (await tx.commit()), 'number');
      } finally {
        await store.close();
      }
    });

    for (const mode of ['queued', 'applied'] as const) {
      it(`a serializable read of a key it deletes: conflict, reason read (${mode})`, async () => {
        const found = await outcome(mode, 'serializable', async (tx) => {
          assert.equal((await tx.get('p:1'))?.version, 1);
        });
        assert.deepEqual(found, { reason: 'read', key: 'p:1', version: 2 });
      });

      it(`a serializable range read meeting its range: conflict, reason range (${mode})`, async () => {
        const found = await outcome(mode, 'serializable', async (tx) => {
          for await (const entry of tx.range({ prefix: 'p' })) assert.ok(entry.key);
        });
        assert.ok(found !== 'committed', 'conflict');
        assert.equal(found.reason, 'range');
        assert.equal(found.version, 2);
      });

      it(`a serializable read of every key: conflict, reason range (${mode})`, async () => {
        const found = await outcome(mode, 'serializable', async (tx) => {
          for await (const entry of tx.range()) assert.ok(entry.key);
        });
        assert.ok(found !== 'committed', 'conflict');
        assert.equal(found.reason, 'range');
        assert.equal(found.version, 2);
      });

      it(`a write of a key of its range: conflict, reason write (${mode})`, async () => {
        const found = await outcome(mode, 'snapshot', async (tx) => {
          tx.set('p:1', 'mine');
        });
        assert.deepEqual(found, { reason: 'write', key: 'p:1', version: 2 });
      });

      it(`reads and writes outside its range: no conflict (${mode})`, async () => {
        const found = await outcome(mode, 'serializable', async (tx) => {
          await tx.get('q:1');
          for await (const entry of tx.range({ prefix: 'q' })) assert.ok(entry.key);
          tx.set('q:1', 'mine');
        });
        assert.equal(found, 'committed');
      });
    }
  });
});
