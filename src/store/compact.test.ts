import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type Database from 'better-sqlite3';
import { isStoreError } from '../common/errors.js';
import { forEachStoreSetup, tempDir, text } from '../test-support/store-setups.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

const KEYS = 300;
const VERSIONS = 10;
const VALUE = 'v'.repeat(200);

/** Every key written VERSIONS times (one commit per version), then all but the newest dropped. */
function fillAndDrop(store: MultiStore): void {
  const keys = Array.from({ length: KEYS }, (_, i) => `key:${String(i).padStart(4, '0')}`);
  for (let v = 1; v <= VERSIONS; v++) {
    store.commit(keys.map((key): Delta => ({ type: 'set', key, value: `${VALUE}${v}` })));
  }
  store.commit([{ type: 'remove', key: keys[0] as string }]);
  store.commit(keys.map((key): Delta => ({ type: 'drop', key, keepLastVersions: 1 })));
}

/** What a reader can observe: the live entries, one key's history, the figures. */
function observed(store: MultiStore) {
  const { eventsShed: _shed, snapshots: _snapshots, ...figures } = store.stats();
  return {
    entries: [...store.range()].map((e) => `${text(e.key)}@${e.version}`),
    history: store.versions('key:0001').map((v) => v.version),
    removed: store.versions('key:0000').map((v) => [v.version, v.value]),
    latest: store.latestVersion,
    figures,
  };
}

const rejectsClosed = (promise: Promise<unknown>) =>
  assert.rejects(promise, (error: unknown) => isStoreError(error, 'STORE_CLOSED'));

forEachStoreSetup((setup) => {
  it('compact applies pending drops first and changes nothing a reader sees', async () => {
    // Drops wait in the queue until something flushes them.
    const store = setup.open({ dropWorker: { batchSize: 10_000, flushIntervalMs: 60_000 } });
    try {
      fillAndDrop(store);
      const queued = store.versions('key:0001').length;
      const result = await store.compact();
      assert.ok(store.versions('key:0001').length < queued, 'the drops were applied first');
      const after = observed(store);
      await store.flush();
      assert.deepEqual(observed(store), after);
      assert.deepEqual(after.history, [VERSIONS]);
      assert.deepEqual(after.removed, [[VERSIONS + 1, undefined]]);
      assert.equal(after.entries.length, KEYS - 1);
      if (setup.tier === 'memory') {
        assert.deepEqual(result, { bytesBefore: undefined, bytesAfter: undefined });
      } else {
        assert.ok(result.bytesAfter !== undefined && result.bytesBefore !== undefined);
        assert.ok(result.bytesAfter < result.bytesBefore / 2, JSON.stringify(result));
      }
      store.commit([{ type: 'set', key: 'after', value: 'x' }]);
      assert.equal(text(store.get('after')?.value), 'x');
    } finally {
      await store.close();
    }
  });

  it('compact leaves what an open snapshot reads, and the drops it holds back, in place', async () => {
    const store = setup.open();
    try {
      store.commit([{ type: 'set', key: 'doc', value: 'v1' }]);
      const reader = store.begin({ readOnly: true });
      store.commit([{ type: 'set', key: 'doc', value: 'v2' }]);
      store.commit([{ type: 'drop', key: 'doc', keepLastVersions: 1 }]);
      await store.compact();
      assert.equal(text(reader.get('doc')?.value), 'v1');
      assert.equal(store.dropWorkerStats().parked, 1);
      reader.rollback();
      await store.compact();
      assert.deepEqual(
        store.versions('doc').map((v) => text(v.value)),
        ['v2'],
      );
    } finally {
      await store.close();
    }
  });

  it('compact on a closed store, or one closed while its drops apply, is STORE_CLOSED', async () => {
    const store = setup.open();
    fillAndDrop(store);
    const compacting = store.compact();
    const closing = store.close();
    await rejectsClosed(compacting);
    await closing;
    await rejectsClosed(store.compact());
  });
});

describe('compact on a SQLite file', () => {
  it('shrinks the file to what the kept versions need, and reopens unchanged', async () => {
    const dir = tempDir();
    const path = join(dir.path, 'compact.db');
    const fileBytes = () =>
      statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
    try {
      const filled = MultiStore.open({ path });
      fillAndDrop(filled);
      await filled.flush();
      const before = observed(filled);
      // Closing checkpoints the WAL into the file: what is left is the file drops freed pages in.
      await filled.close();
      const dropped = fileBytes();
      const store = MultiStore.open({ path });
      const result = await store.compact();
      const compacted = fileBytes();
      assert.ok(compacted < dropped / 2, `${compacted} bytes after, ${dropped} before`);
      assert.equal(statSync(`${path}-wal`).size, 0, 'the WAL is emptied');
      assert.equal(statSync(path).size, result.bytesAfter);
      await store.close();
      const reopened = MultiStore.open({ path });
      try {
        assert.deepEqual(observed(reopened), before);
      } finally {
        await reopened.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});

describe('compact beside a reader', () => {
  it("does not wait for a reader's open range (no busy wait in the checkpoint); a later compact empties the WAL", async () => {
    // The checkpoint that empties the WAL cannot finish while a snapshot is
    // open; waiting for it (the busy timeout) blocked the process, and a
    // reader in this process could never end its range meanwhile.
    const Driver = createRequire(import.meta.url)('better-sqlite3') as typeof Database;
    const dir = tempDir();
    const path = join(dir.path, 'reader.db');
    const writer = MultiStore.open({ path });
    const reader = MultiStore.open({ path, readOnly: true });
    const pragma = Driver.prototype.pragma;
    const timeouts: unknown[] = [];
    Driver.prototype.pragma = function (this: Database.Database, source: string, options?: object) {
      if (/wal_checkpoint/i.test(source))
        timeouts.push(pragma.call(this, 'busy_timeout', { simple: true }));
      return pragma.call(this, source, options as Database.PragmaOptions);
    } as typeof pragma;
    try {
      for (let v = 1; v <= 20; v++)
        writer.commit(
          Array.from({ length: 20 }, (_, i) => ({
            type: 'set',
            key: `k${i}`,
            value: 'x'.repeat(500),
          })),
        );
      const range = reader.range(undefined, { pageSize: 2 });
      range.next();
      writer.commit([{ type: 'set', key: 'z', value: '1' }]);
      await writer.compact();
      assert.deepEqual(timeouts, [0], 'the checkpoint does not wait for the open range');
      assert.ok(statSync(`${path}-wal`).size > 0, 'the open range keeps the WAL');
      range.return?.();
      await writer.compact();
      assert.equal(statSync(`${path}-wal`).size, 0, 'emptied once the range ended');
      writer.commit([{ type: 'set', key: 'z', value: '2' }]);
      assert.equal(text(reader.get('z')?.value), '2', 'the store works on as before');
    } finally {
      Driver.prototype.pragma = pragma;
      await reader.close();
      await writer.close();
      dir.cleanup();
    }
  });
});
