import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { recountSchema } from '../test-support/pg-recount.js';
import { CHILD_TABLES } from '../test-support/pg-workload.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import { connect } from './index.js';

const CHILD = fileURLToPath(new URL('../test-support/pg-child.js', import.meta.url));
const WRITERS = 4;
const READERS = 2;
const COMMITS = 50;
const FLUSHERS = 3;

/** Run a child to its end; its stdout as JSON lines. */
function child(args: string[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const process_ = spawn(process.execPath, [CHILD, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    process_.stdout.on('data', (chunk) => {
      out += chunk;
    });
    process_.stderr.on('data', (chunk) => {
      err += chunk;
    });
    process_.on('error', reject);
    process_.on('close', (code) => {
      if (code !== 0) reject(new Error(`child ${args[0]} exited ${code}: ${err}`));
      else
        resolve(
          out
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => JSON.parse(line)),
        );
    });
  });
}

/** Rows stored in every table of `schema` (from the recount). */
async function rowCount(url: string, schema: string): Promise<number> {
  let rows = 0;
  for (const figures of (await recountSchema(url, schema)).values()) {
    rows += figures.currentCount + figures.historicalCount;
  }
  return rows;
}

describe('many processes on one PostgreSQL store', { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  before(async () => {
    server = await testServer();
  });
  after(async () => {
    await server?.close();
  });

  it('gives every acknowledged commit its own version, readable, with no gap a reader can see, and exact statistics', async () => {
    const schema = `multi_process_${process.pid}`;
    const stopFile = join(mkdtempSync(join(tmpdir(), 'multistore-mp-')), 'writers-done');
    const setup = await connect({
      postgres: { connectionString: server.url, schema },
      tables: CHILD_TABLES,
    });
    await setup.close();
    const writers = Array.from({ length: WRITERS }, (_, id) =>
      child(['writer', server.url, schema, String(id), String(COMMITS)]),
    );
    const readers = Array.from({ length: READERS }, () =>
      child(['reader', server.url, schema, String(WRITERS * COMMITS), stopFile]),
    );
    const acked = (
      await Promise.all(writers).finally(() => writeFileSync(stopFile, ''))
    ).flat() as {
      key: string;
      version: number;
    }[];
    const checks = (await Promise.all(readers)).flat() as { version: number; versions: number[] }[];

    // No version lost or repeated: the acknowledged versions are exactly 1..N.
    const total = WRITERS * COMMITS;
    assert.equal(acked.length, total);
    const versions = acked.map((ack) => ack.version).sort((a, b) => a - b);
    assert.deepEqual(
      versions,
      Array.from({ length: total }, (_, i) => i + 1),
    );

    // Readers saw, at each latest version V, exactly the commits 1..V.
    assert.ok(checks.length >= READERS);
    assert.ok(
      checks.some((check) => check.version > 0 && check.version < total),
      'a check mid-way',
    );
    for (const check of checks) {
      const seen = [...check.versions].sort((a, b) => a - b);
      assert.deepEqual(
        seen,
        Array.from({ length: check.version }, (_, i) => i + 1),
      );
    }

    const store = await connect({ postgres: { connectionString: server.url, schema } });
    try {
      assert.equal(await store.latest(), total);
      // Every acknowledged commit is readable at its version.
      for (const { key, version } of acked) {
        const entry = await store.get(key, version);
        assert.equal(entry?.version, version, key);
      }
      await store.flush();
      // Retention (keep 2) applied to the key every commit wrote.
      assert.deepEqual(
        (await store.versions('shared:counter')).map((v) => v.version),
        [total, total - 1],
      );
      const stats = await store.stats();
      const recount = await recountSchema(server.url, schema);
      for (const [table, figures] of recount) assert.deepEqual(stats.tables[table], figures, table);
      assert.equal(stats.tables.multi?.currentCount, total);
      assert.equal(stats.pendingDrops, 0);
      process.stderr.write(
        `multi-process: ${acked.length} commits by ${WRITERS} writers, ${checks.length} reader checks (latest seen up to ${Math.max(...checks.map((c) => c.version))})\n`,
      );
    } finally {
      await store.close();
    }
  });
  it('applies range drops once when several processes flush them at the same time', async () => {
    const schema = `multi_process_ranges_${process.pid}`;
    const store = await connect({
      postgres: { connectionString: server.url, schema },
      tables: CHILD_TABLES,
      // This process applies nothing: the flushers do.
      dropWorker: { batchSize: 100_000, flushIntervalMs: 3_600_000 },
    });
    try {
      const keys = [
        ...Array.from({ length: 60 }, (_, i) => `r:${String(i).padStart(2, '0')}`),
        ...Array.from({ length: 20 }, (_, i) => `shared:${i}`),
      ];
      for (let round = 0; round < 3; round++) {
        await store.commit(keys.map((key) => ({ type: 'set', key, value: `${round}` })));
      }
      await store.commit([
        { type: 'drop', start: 'r:10', end: 'r:40', upToVersion: 2 },
        { type: 'drop', key: 'r:05' },
      ]);
      await store.commit([{ type: 'drop', prefix: '', keepLastVersions: 1 }]);
      const rowsBefore = await rowCount(server.url, schema);
      const flushers = Array.from({ length: FLUSHERS }, () =>
        child(['flusher', server.url, schema, '7']),
      );
      const lines = (await Promise.all(flushers)).flat() as { erased: number; applied: number }[];
      const stats = await store.stats();
      assert.equal(stats.pendingDrops, 0);
      for (const key of keys) {
        const versions = (await store.versions(key)).map((v) => v.version);
        assert.deepEqual(versions, key === 'r:05' ? [] : [3], key);
      }
      // Each erased row was erased (and counted) by exactly one process.
      const erased = lines.reduce((sum, line) => sum + line.erased, 0);
      assert.equal(erased, rowsBefore - (await rowCount(server.url, schema)));
      const recount = await recountSchema(server.url, schema);
      for (const [table, figures] of recount) assert.deepEqual(stats.tables[table], figures, table);
      process.stderr.write(
        `multi-process ranges: ${erased} rows erased by ${FLUSHERS} flushers (${lines.map((l) => l.erased).join(' + ')})\n`,
      );
    } finally {
      await store.close();
    }
  });
});
