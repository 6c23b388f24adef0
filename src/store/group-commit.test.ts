/**
 * `commitAsync`: the grouped commits of one turn share one SQLite
 * transaction, each acknowledged once it is durable; a commit that fails in
 * a group rejects alone; anything needing the file settled commits the
 * group first; a group whose COMMIT fails stops the store, and the file
 * keeps its last durable state.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isStoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { tempFiles, text } from '../test-support/store-setups.js';
import { MemoryTier } from '../tier/memory/memory-tier.js';
import { sqlTableName } from '../tier/sqlite/schema.js';
import { SqliteTier } from '../tier/sqlite/sqlite-tier.js';
import { GROUP_WRITES } from './commit-group.js';
import { MultiStore } from './multistore.js';

const files = tempFiles('multistore-group-', 'group');
const freshPath = files.fresh;

const set = (key: string, value = key) => ({ type: 'set' as const, key, value });

/** A read-only store beside the writer: it sees what the file holds (committed groups only). */
function fileLatest(path: string): number {
  const reader = MultiStore.open({ path, readOnly: true });
  try {
    return reader.latestVersion;
  } finally {
    void reader.close();
  }
}

/**
 * Arm the file at `path` (closed) so that SQLite itself fails on key `key`
 * of table `multi`: `abort`, the INSERT fails (inside its savepoint);
 * `commit`, the INSERT passes and the COMMIT fails (a deferred foreign key
 * the trigger breaks): a real failed COMMIT, with its transaction left open.
 */
function armFailure(path: string, key: string, when: 'abort' | 'commit'): void {
  const db = new Database(path);
  try {
    const table = sqlTableName('multi');
    const test = `NEW.key = CAST('${key}' AS BLOB)`;
    if (when === 'abort') {
      db.exec(
        `CREATE TRIGGER fail_${key} BEFORE INSERT ON "${table}" WHEN ${test} BEGIN SELECT RAISE(ABORT, 'injected'); END`,
      );
    } else {
      db.exec(`CREATE TABLE IF NOT EXISTS parent (id INTEGER PRIMARY KEY);
        CREATE TABLE IF NOT EXISTS child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
        CREATE TRIGGER fail_${key} AFTER INSERT ON "${table}" WHEN ${test} BEGIN INSERT INTO child VALUES (42); END`);
    }
  } finally {
    db.close();
  }
}

/** A file holding table `multi` and version 1, closed. */
async function seededFile(): Promise<string> {
  const path = freshPath();
  const store = MultiStore.open({ path });
  store.commit([set('seed')], 1);
  await store.close();
  return path;
}

describe('commitAsync on a SQLite file', () => {
  it('shares one transaction per turn: reads see the commits at once, the file once the promises resolve', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path, sqlite: { synchronous: 'full' } });
    const heard: number[] = [];
    store.events.on('storage-stats', (event) => heard.push(event.version));
    const promises = [1, 2, 3].map((v) => store.commitAsync([set(`k${v}`)], v));
    assert.equal(store.latestVersion, 3);
    assert.equal(text(store.get('k2')?.value), 'k2', 'the same connection reads the group');
    assert.equal(fileLatest(path), 0, 'nothing committed in the file yet');
    assert.deepEqual(await Promise.all(promises), [1, 2, 3]);
    assert.equal(fileLatest(path), 3);
    await store.flush();
    assert.deepEqual(heard, [1, 2, 3], 'listeners hear of each commit once durable, in order');
    assert.deepEqual(store.verify(), []);
    await store.close();
  });

  it('a version without one is the next: resolves to the version used; an empty commit to undefined', async () => {
    const store = MultiStore.open({ path: freshPath() });
    assert.equal(await store.commitAsync([set('a')]), 1);
    assert.equal(await store.commitAsync([set('b')]), 2);
    assert.equal(await store.commitAsync([]), undefined);
    await store.close();
  });

  it('a commit whose write fails in the group rolls back alone and rejects its own promise', async () => {
    const path = await seededFile();
    armFailure(path, 'bad', 'abort');
    const store = MultiStore.open({ path });
    const first = store.commitAsync([set('a')], 2);
    const failing = store.commitAsync([set('x'), set('bad')], 3);
    const last = store.commitAsync([set('b')], 4);
    await assert.rejects(failing, (error) => isStoreError(error, 'TIER_IO'));
    assert.deepEqual(await Promise.all([first, last]), [2, 4]);
    assert.equal(store.get('x'), undefined, 'nothing of the failed commit');
    assert.deepEqual(store.verify(), []);
    await store.close();
    const again = MultiStore.open({ path });
    assert.deepEqual(
      ['a', 'x', 'b'].map((key) => again.versions(key).map((v) => v.version)),
      [[2], [], [4]],
    );
    assert.deepEqual(again.verify(), []);
    await again.close();
  });

  it('a failed write that rolls back the whole group transaction stops the store at once', async () => {
    // SQLite rolls back the whole transaction, not only the savepoint, on some
    // errors (a full disk, an I/O error, RAISE(ROLLBACK)): the group's earlier
    // commits are gone, and a later one must not land in the file on its own
    // (with figures that count the commits taken back).
    const path = await seededFile();
    const db = new Database(path);
    db.exec(
      `CREATE TRIGGER lose_group BEFORE INSERT ON "${sqlTableName('multi')}" WHEN NEW.key = CAST('boom' AS BLOB) BEGIN SELECT RAISE(ROLLBACK, 'injected'); END`,
    );
    db.close();
    const store = MultiStore.open({ path });
    const first = store.commitAsync([set('a')], 2);
    const failing = store.commitAsync([set('boom')], 3);
    const later = store.commitAsync([set('c')], 4);
    for (const promise of [first, failing, later]) {
      await assert.rejects(
        promise,
        (error) => isStoreError(error, 'TIER_IO') || isStoreError(error, 'STORE_FAILED'),
      );
    }
    assert.throws(
      () => store.get('a'),
      (error) => isStoreError(error, 'STORE_FAILED'),
    );
    await store.close();
    const again = MultiStore.open({ path });
    assert.equal(again.latestVersion, 1, 'only the seed is durable');
    assert.equal(again.get('c'), undefined);
    assert.deepEqual(again.verify(), []);
    await again.close();
  });

  it('a watch opened while a group is open hears only the commits made after it', async () => {
    const store = MultiStore.open({ path: freshPath() });
    const grouped = store.commitAsync([set('a')], 1);
    const watch = store.watch();
    assert.equal(await grouped, 1);
    store.commit([set('b')], 2);
    await store.close();
    const seen: number[] = [];
    for await (const change of watch) seen.push(change.version);
    assert.deepEqual(seen, [2], 'the grouped commit was made before the watch began');
  });

  it('a plain commit in the same turn commits the group first, and keeps the order', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    const heard: number[] = [];
    store.events.on('storage-stats', (event) => heard.push(event.version));
    const grouped = store.commitAsync([set('a')], 1);
    store.commit([set('b')], 2);
    assert.equal(fileLatest(path), 2, 'both are in the file when commit returns');
    assert.equal(await grouped, 1);
    await store.flush();
    assert.deepEqual(heard, [1, 2]);
    await store.close();
  });

  it('flush, a transaction commit, backup and compact each commit the group first', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    void store.commitAsync([set('a')], 1);
    await store.flush();
    assert.equal(fileLatest(path), 1, 'flush');
    void store.commitAsync([set('b')], 2);
    const tx = store.begin();
    tx.set('c', 'c');
    tx.commit();
    assert.equal(fileLatest(path), 3, 'tx.commit');
    void store.commitAsync([set('d')], 4);
    const copy = files.fresh();
    await store.backup(copy);
    const backup = MultiStore.open({ path: copy, readOnly: true });
    assert.equal(backup.latestVersion, 4, 'backup');
    await backup.close();
    void store.commitAsync([set('e')], 5);
    await store.compact();
    assert.equal(fileLatest(path), 5, 'compact');
    await store.close();
  });

  it('a drop requested in a group is applied only after the group committed', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path, dropWorker: { batchSize: 1, flushIntervalMs: 0 } });
    await store.commitAsync([set('k', 'v1')], 1);
    const grouped = store.commitAsync([set('k', 'v2'), { type: 'drop', key: 'k' }], 2);
    await store.flush();
    assert.equal(await grouped, 2);
    assert.deepEqual(
      store.versions('k').map((v) => v.version),
      [2],
    );
    assert.deepEqual(store.verify(), []);
    await store.close();
  });

  it('close with a group pending commits it: the promises resolve and the file keeps them', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    const promises = [1, 2].map((v) => store.commitAsync([set(`k${v}`)], v));
    await store.close();
    assert.deepEqual(await Promise.all(promises), [1, 2]);
    const again = MultiStore.open({ path });
    assert.equal(again.latestVersion, 2);
    assert.deepEqual(again.verify(), []);
    await again.close();
  });

  it('a group bigger than the bound commits without waiting for the end of the turn', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path });
    const deltas = Array.from({ length: GROUP_WRITES / 2 }, (_, i) => set(`k${i}`));
    const first = store.commitAsync(deltas, 1);
    assert.equal(fileLatest(path), 0);
    const second = store.commitAsync(deltas, 2);
    assert.equal(fileLatest(path), 2, 'the bound reached: committed within the call');
    assert.deepEqual(await Promise.all([first, second]), [1, 2]);
    await store.close();
  });

  it('a failed group COMMIT rejects its commits, stops the store; the file keeps its last durable state', async () => {
    const path = await seededFile();
    armFailure(path, 'boom', 'commit');
    const store = MultiStore.open({ path });
    const heard: number[] = [];
    store.events.on('storage-stats', (event) => heard.push(event.version));
    const watch = store.watch();
    const durable = store.commitAsync([set('a')], 2);
    assert.equal(await durable, 2);
    const doomed = [store.commitAsync([set('b')], 3), store.commitAsync([set('boom')], 4)];
    for (const promise of doomed)
      await assert.rejects(promise, (error) => isStoreError(error, 'TIER_IO'));
    assert.throws(
      () => store.get('a'),
      (error) => isStoreError(error, 'STORE_FAILED') && isStoreError(error.cause, 'TIER_IO'),
    );
    assert.throws(
      () => store.commit([set('c')]),
      (error) => isStoreError(error, 'STORE_FAILED'),
    );
    await assert.rejects(store.commitAsync([set('c')]), (error) =>
      isStoreError(error, 'STORE_FAILED'),
    );
    await assert.rejects(store.flush(), (error) => isStoreError(error, 'STORE_FAILED'));
    await store.close();
    assert.deepEqual(heard, [2], 'no event for a commit that is not in the file');
    const seen: number[] = [];
    for await (const change of watch) seen.push(change.version);
    assert.deepEqual(seen, [2], 'no watch hears of them either');
    const again = MultiStore.open({ path });
    assert.equal(again.latestVersion, 2);
    assert.equal(again.get('b'), undefined);
    assert.deepEqual(again.verify(), []);
    assert.equal(again.stats().total.currentCount, 2, 'the figures of seed and a');
    await again.close();
  });

  it('a failed group: its drop requests make no storage-stats event, in either actor mode', async () => {
    for (const actorMode of ['event-loop', 'inline'] as const) {
      const path = await seededFile();
      armFailure(path, 'boom', 'commit');
      const clock = actorMode === 'inline' ? { clock: new MockClock() } : {};
      const store = MultiStore.open({ path, actorMode, ...clock });
      const heard: number[] = [];
      store.events.on('storage-stats', (event) => heard.push(event.version));
      const doomed = store.commitAsync([set('boom'), { type: 'drop', key: 'seed' }], 2);
      await assert.rejects(doomed, (error) => isStoreError(error, 'TIER_IO'));
      await new Promise((resolve) => setImmediate(resolve));
      await store.close();
      assert.deepEqual(heard, [], `${actorMode}: nothing of version 2 is in the file`);
      const again = MultiStore.open({ path });
      assert.equal(again.latestVersion, 1);
      assert.equal(again.dropWorkerStats().requests, 0);
      await again.close();
    }
  });

  it('inline mode: the group ends with the synchronous stretch of code that made it', async () => {
    const path = freshPath();
    const store = MultiStore.open({ path, actorMode: 'inline', clock: new MockClock() });
    const promises = [1, 2].map((v) => store.commitAsync([set(`k${v}`)], v));
    assert.equal(fileLatest(path), 0);
    await Promise.resolve();
    assert.equal(fileLatest(path), 2, 'committed by the microtask queued behind the calls');
    assert.deepEqual(await Promise.all(promises), [1, 2]);
    await store.close();
  });
});

describe('commitAsync elsewhere', () => {
  it('memory tier: resolves to the version once the commit is made', async () => {
    for (const actorMode of ['event-loop', 'inline'] as const) {
      const store = MultiStore.open({ actorMode });
      const promise = store.commitAsync([set('a')], 3);
      assert.equal(text(store.get('a')?.value), 'a');
      assert.equal(await promise, 3);
      await store.close();
    }
  });

  it('every error is a rejection with the code commit throws', async () => {
    const store = MultiStore.open();
    const rejects = (promise: Promise<unknown>, code: string) =>
      assert.rejects(promise, (error) => isStoreError(error) && error.code === code);
    await rejects(store.commitAsync([{ type: 'nope' } as never]), 'INVALID_DELTA');
    await rejects(store.commitAsync('x' as never), 'INVALID_DELTA');
    await rejects(store.commitAsync([set('a')], -1), 'INVALID_VERSION');
    await rejects(store.commitAsync([{ type: 'set', key: 1, value: 'v' } as never]), 'INVALID_KEY');
    await store.close();
    await rejects(store.commitAsync([set('a')]), 'STORE_CLOSED');
  });

  it('a read-only store rejects with READ_ONLY', async () => {
    const path = await seededFile();
    const reader = MultiStore.open({ path, readOnly: true });
    await assert.rejects(reader.commitAsync([set('a')]), (error) =>
      isStoreError(error, 'READ_ONLY'),
    );
    await reader.close();
  });
});

describe('write groups of a tier', () => {
  const utf8 = (text: string) => new TextEncoder().encode(text);
  const writes = (key: string) => new Map([['t', [{ key: utf8(key), value: utf8(key) }]]]);

  it('a drop, a setting or a snapshot ends the open group first, and its listener hears it', () => {
    const tier = SqliteTier.open(freshPath());
    const ends: unknown[] = [];
    for (const settle of [
      () => tier.drop(new Map()),
      () => tier.writeSetting('s', 'v'),
      () => tier.snapshot().release(),
      () => tier.endGroup(),
    ]) {
      assert.equal(
        tier.beginGroup((error) => ends.push(error)),
        true,
      );
      tier.set(tier.latestVersion() + 1, writes(`k${ends.length}`));
      assert.equal(tier.inGroup, true);
      settle();
      assert.equal(tier.inGroup, false);
    }
    assert.deepEqual(ends, [undefined, undefined, undefined, undefined]);
    tier.close();
  });

  it('refuses a second group and a listener that is not a function; memory has no groups', () => {
    const tier = SqliteTier.open(freshPath());
    assert.throws(
      () => tier.beginGroup('no' as never),
      (error) => isStoreError(error, 'INVALID_ARGUMENT'),
    );
    tier.beginGroup(() => {});
    assert.throws(
      () => tier.beginGroup(() => {}),
      (error) => isStoreError(error, 'INVALID_ARGUMENT'),
    );
    tier.close();
    const memory = new MemoryTier();
    assert.equal(
      memory.beginGroup(() => {}),
      false,
    );
    assert.equal(memory.inGroup, false);
    memory.close();
  });
});
