import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Delta } from '../store/deltas.js';
import { MultiStore } from '../store/multistore.js';
import type { AsyncMultiStore } from './async-store.js';
import { postgresAvailable, type TestServer, testServer } from './cluster.js';
import { connect } from './index.js';

const TABLES = [{ name: 'users', prefix: 'u:' }] as const;
const text = new TextEncoder();
const bytes = (s: string) => text.encode(s);

/** A deterministic workload over two tables: sets, removes, unsets and drops. */
function workload(): { deltas: Delta[]; version: number }[] {
  const commits: { deltas: Delta[]; version: number }[] = [];
  const keys = ['a', 'b', 'c', 'u:1', 'u:2', 'u:3', 'z'];
  let seed = 7;
  const next = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let version = 1; version <= 40; version++) {
    const deltas: Delta[] = [];
    for (let i = 0; i <= next(3); i++) {
      const key = keys[next(keys.length)] as string;
      const kind = next(10);
      if (kind < 6) deltas.push({ type: 'set', key, value: `${key}${version}` });
      else if (kind < 8) deltas.push({ type: 'remove', key });
      else deltas.push({ type: 'drop', key, keepLastVersions: 1 + next(2) });
    }
    commits.push({ deltas, version });
  }
  return commits;
}

/** The outcome of a history read: its items, or the error code and message. */
async function outcome<T>(read: () => Iterable<T> | AsyncIterable<T>): Promise<unknown> {
  try {
    const items: T[] = [];
    for await (const item of read()) items.push(item);
    return items;
  } catch (error) {
    return { code: (error as { code?: string }).code, message: (error as Error).message };
  }
}

describe('change feed and diff on PostgreSQL', { skip: !postgresAvailable() }, () => {
  let server: TestServer;
  let pg: AsyncMultiStore;
  let memory: MultiStore;
  before(async () => {
    server = await testServer();
    pg = await connect({
      postgres: { connectionString: server.url, schema: `changes_${process.pid}` },
      tables: TABLES,
    });
    memory = MultiStore.open({ tables: TABLES });
    for (const { deltas, version } of workload()) {
      await pg.commit(deltas, version);
      memory.commit(deltas, version);
    }
    await pg.flush();
    await memory.flush();
  });
  after(async () => {
    await pg?.close();
    await memory?.close();
    await server?.close();
  });

  it('answers every feed and diff as the embedded store does, erased history refused alike', async () => {
    const specs = [{}, { prefix: bytes('u:') }, { start: bytes('b'), end: bytes('u:2') }];
    let refused = 0;
    let compared = 0;
    for (const spec of specs) {
      for (let from = -1; from <= 40; from += 3) {
        for (const to of [from + 1, from + 7, 40, 45]) {
          const options = { ...spec, ...(from < 0 ? {} : { from }), to, pageSize: 2 };
          const expected = await outcome(() => memory.changes(options));
          assert.deepEqual(await outcome(() => pg.changes(options)), expected);
          const a = Math.max(0, from);
          const diffExpected = await outcome(() => memory.diff(to, a, { ...spec, pageSize: 2 }));
          assert.deepEqual(
            await outcome(() => pg.diff(to, a, { ...spec, pageSize: 2 })),
            diffExpected,
          );
          compared++;
          if (!Array.isArray(expected)) refused++;
        }
      }
    }
    // The workload's drops must make some reads refuse, and leave others whole.
    assert.ok(refused > 0 && refused < compared, `${refused} of ${compared} feeds refused`);
  });

  it('keeps an index on (version, key) of every store table, so a feed reads only its rows', async () => {
    const { default: pgModule } = await import('pg');
    const client = new pgModule.Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = $1 AND indexname LIKE 'v:%'`,
        [`changes_${process.pid}`],
      );
      const defs = (rows as { tablename: string; indexdef: string }[])
        .map((row) => `${row.tablename} ${row.indexdef.replace(/^.* USING /, '')}`)
        .sort();
      assert.deepEqual(defs, ['t:multi btree (version, key)', 't:users btree (version, key)']);
    } finally {
      await client.end();
    }
  });
});
