/**
 * Read-only stores and what opening reads.
 *
 * A read-only store beside a writer (here in the same process; other
 * processes: src/reliability/multiprocess) reads what is committed, one
 * range in one snapshot, and refuses to commit. Opening a store reads no
 * data: only the figures, the log, the settings and one entry per table,
 * whatever the size of the data.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type ErrorCode, isStoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { tempFiles } from '../test-support/store-setups.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { MemoryTier } from '../tier/memory/memory-tier.js';
import { SqliteTier } from '../tier/sqlite/sqlite-tier.js';
import { DEFAULT_TABLE } from '../tier/tier.js';
import { MultiStore } from './multistore.js';

const files = tempFiles('multistore-read-only-', 'ro');
const freshPath = files.fresh;

/** Transactions kept reachable (a collected one releases its snapshot). */
const held: unknown[] = [];
const text = (bytes: Uint8Array | undefined) => (bytes ? new TextDecoder().decode(bytes) : '-');
const keys = (store: MultiStore) =>
  [...store.range()].map((e) => `${text(e.key)}=${text(e.value)}`);

describe('a read-only store beside its writer', () => {
  it('reads what is committed at each call: data, latest version, statistics, tables', async () => {
    const path = freshPath();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const writer = MultiStore.open({ path, tables });
    const reader = MultiStore.open({ path, readOnly: true });
    try {
      assert.equal(reader.readOnly, true);
      assert.equal(writer.readOnly, false);
      assert.equal(reader.latestVersion, 0);
      writer.commit([{ type: 'set', key: 's:1', value: 'one' }], 1);
      writer.commit(
        [
          { type: 'set', key: 's:1', value: 'two' },
          { type: 'set', key: 'm', value: 'x' },
        ],
        2,
      );
      assert.equal(reader.latestVersion, 2);
      assert.equal(text(reader.get('s:1')?.value), 'two');
      // The retention table trimmed version 1 in commit 2's own transaction.
      assert.throws(
        () => reader.get('s:1', 1),
        (e) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
      assert.deepEqual(keys(reader), ['m=x', 's:1=two']);
      assert.deepEqual(
        reader.stats().tables,
        writer.stats().tables,
        'statistics read from the file',
      );
      await writer.flush();
      assert.deepEqual(
        reader.versions('s:1').map((v) => v.version),
        [2],
      );
      assert.deepEqual(reader.stats().tables, writer.stats().tables);
      assert.deepEqual(reader.dropWorkerStats().requests, 0);
      assert.deepEqual(reader.verify(), []);
      await reader.flush();
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('one range reads one snapshot: commits made while it is iterated do not show in it', async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path });
    const reader = MultiStore.open({ path, readOnly: true });
    try {
      writer.commit(
        ['a', 'b', 'c', 'd'].map((key) => ({ type: 'set', key, value: '1' })),
        1,
      );
      const range = reader.range(undefined, { pageSize: 1 });
      const seen = [range.next().value];
      writer.commit(
        [
          { type: 'set', key: 'b', value: '2' },
          { type: 'remove', key: 'c' },
          { type: 'set', key: 'e', value: '2' },
        ],
        2,
      );
      for (const entry of range) seen.push(entry);
      assert.deepEqual(
        seen.map((e) => `${text(e?.key)}=${text(e?.value)}@${e?.version}`),
        ['a=1@1', 'b=1@1', 'c=1@1', 'd=1@1'],
      );
      assert.deepEqual(
        keys(reader),
        ['a=1', 'b=2', 'd=1', 'e=2'],
        'the next range sees the commit',
      );
      const early = reader.range();
      early.next();
      early.return?.();
      assert.deepEqual([...early], [], 'a range that returned is over');
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('refuses to commit with READ_ONLY, and is refused where it cannot be', async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path, tables: [{ name: 't', prefix: 't:' }] });
    const reader = MultiStore.open({ path, readOnly: true });
    try {
      assert.throws(
        () => reader.commit([{ type: 'set', key: 'a', value: '1' }], 1),
        (e: unknown) => isStoreError(e, 'READ_ONLY'),
      );
      assert.equal(writer.latestVersion, 0);
      const refused = (options: object, code: ErrorCode) =>
        assert.throws(
          () => MultiStore.open(options as never),
          (e: unknown) => isStoreError(e, code),
          JSON.stringify(options),
        );
      refused({ readOnly: true }, 'INVALID_OPTIONS');
      refused({ readOnly: true, tier: 'memory' }, 'INVALID_OPTIONS');
      refused({ readOnly: 'yes', path }, 'INVALID_OPTIONS');
      refused({ path, readOnly: true, tables: [{ name: 'u', prefix: 'u:' }] }, 'INVALID_OPTIONS');
      refused({ path: join(files.path, 'missing.db'), readOnly: true }, 'TIER_IO');
      refused({ sqlite: { synchronous: 'full' } }, 'INVALID_OPTIONS');
      refused({ path, sqlite: { synchronous: 'off' } }, 'INVALID_OPTIONS');
      refused({ path, sqlite: { synchronus: 'full' } }, 'INVALID_OPTIONS');
      refused({ path }, 'STORE_LOCKED');
      const declared = MultiStore.open({
        path,
        readOnly: true,
        tables: [{ name: 't', prefix: 't:' }],
      });
      await declared.close();
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('refuses reads of history its writer erased after it opened (VERSION_TOO_OLD), get and range', async () => {
    const path = freshPath();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const writer = MultiStore.open({ path, tables });
    // A snapshot at 0 (it reads nothing erased) keeps the commits from
    // trimming in their own step: the drop worker erases later.
    held.push(writer.begin({ asOf: 0, readOnly: true })); // reachable: a collected one ends
    for (let v = 1; v <= 3; v++) writer.commit([{ type: 'set', key: 's:1', value: `v${v}` }], v);
    const reader = MultiStore.open({ path, readOnly: true });
    const tooOld = (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD');
    try {
      assert.equal(text(reader.get('s:1', 1)?.value), 'v1', 'nothing erased yet');
      await writer.flush();
      assert.throws(() => reader.get('s:1', 1), tooOld, 'get below the horizon');
      assert.throws(() => reader.contains('s:1', 2), tooOld);
      assert.throws(() => [...reader.range({ prefix: 's:' }, { version: 2 })], tooOld, 'range');
      assert.equal(text(reader.get('s:1', 3)?.value), 'v3', 'the horizon ends at what is kept');
      assert.deepEqual(keys(reader), ['s:1=v3']);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a read of history that the writer erases while the read runs is refused, never answered absent', async () => {
    // Another process's drop flush can commit between any two statements of
    // a reader's get: here, between the horizon lookup and the version read.
    const path = freshPath();
    const clock = new MockClock();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const dropWorker = { batchSize: 1000, flushIntervalMs: 50 };
    const writer = MultiStore.open({ path, tables, actorMode: 'inline', clock, dropWorker });
    // A snapshot at 0 (it reads nothing erased) keeps the commits from
    // trimming in their own step: the drop worker erases at the flush.
    held.push(writer.begin({ asOf: 0, readOnly: true })); // reachable: a collected one ends
    for (let v = 1; v <= 3; v++) writer.commit([{ type: 'set', key: 's:1', value: `v${v}` }], v);
    const tier = SqliteTier.open(path, { readOnly: true });
    let erased = false;
    const eraseOnFirstGet = new Proxy(tier, {
      get(target, name) {
        const member = Reflect.get(target, name, target);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          if (name === 'get' && !erased) {
            erased = true;
            clock.advanceMillis(50); // the writer's drop worker flushes now
          }
          return member.apply(target, args);
        };
      },
    });
    const reader = MultiStore.fromTier(eraseOnFirstGet);
    try {
      assert.throws(
        () => reader.get('s:1', 1),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
        'v1 was erased while the read ran',
      );
      assert.ok(erased);
      assert.equal(writer.versions('s:1').length, 1);
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('reads changes and diff from the file, each in one snapshot; refuses watch and compact (READ_ONLY)', async () => {
    const path = freshPath();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const writer = MultiStore.open({ path, tables });
    const reader = MultiStore.open({ path, readOnly: true });
    const feed = (store: MultiStore, from?: number) =>
      [...store.changes({ from })].map(
        (c) => `${c.version}:${c.writes.map((w) => `${text(w.key)}=${text(w.value)}`).join(',')}`,
      );
    try {
      writer.commit([{ type: 'set', key: 'a', value: '1' }], 1);
      writer.commit(
        [
          { type: 'set', key: 'b', value: '2' },
          { type: 'remove', key: 'a' },
        ],
        2,
      );
      assert.deepEqual(feed(reader), ['1:a=1', '2:a=-,b=2']);
      assert.deepEqual(feed(reader), feed(writer));
      assert.deepEqual(feed(reader, 1), ['2:a=-,b=2']);
      const diff = (store: MultiStore) =>
        [...store.diff(0, 2)].map((d) => `${text(d.key)}:${text(d.before)}>${text(d.after)}`);
      assert.deepEqual(diff(reader), ['b:->2']);
      assert.deepEqual(diff(reader), diff(writer));

      const changes = reader.changes({ from: 0 });
      const first = changes.next().value;
      writer.commit([{ type: 'set', key: 'c', value: '3' }], 3);
      assert.deepEqual(
        [first, ...changes].map((c) => c?.version),
        [1, 2],
        'a feed reads one snapshot: the commit made while it runs is not in it',
      );
      assert.deepEqual(feed(reader, 2), ['3:c=3'], 'the next feed sees it');

      for (let v = 4; v <= 6; v++) writer.commit([{ type: 'set', key: 's:1', value: `${v}` }], v);
      await writer.flush();
      assert.throws(
        () => [...reader.changes({ from: 4, prefix: 's:' })],
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
        'erased history refuses the feed, as on the writer',
      );
      assert.throws(
        () => reader.watch(),
        (e: unknown) => isStoreError(e, 'READ_ONLY') && /changes/.test(String(e)),
      );
      await assert.rejects(reader.compact(), (e: unknown) => isStoreError(e, 'READ_ONLY'));
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it("judges its change feeds by the file's erased tops, and decodes them by the file's encodings", async () => {
    const path = freshPath();
    const tables = [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }];
    const encodings = { keyEncoding: 'utf8', valueEncoding: 'utf8' } as const;
    const writer = MultiStore.open({ path, tables, ...encodings });
    const reader = MultiStore.open({ path, readOnly: true, ...encodings });
    const feed = (from: number) =>
      [...reader.changes({ from })].map(
        (c) => `${c.version}:${c.writes.map((w) => `${w.key}=${w.value ?? '-'}`).join(',')}`,
      );
    try {
      writer.commit([{ type: 'set', key: 's:1', value: 'one' }], 1);
      writer.commit([{ type: 'set', key: 's:1', value: 'two' }], 2);
      await writer.flush(); // keep-1 erases s:1@1: the erased top is 1, the floor 2
      assert.deepEqual(feed(1), ['2:s:1=two'], 'a feed from the erased top skips nothing');
      assert.throws(
        () => feed(0),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
        'a feed from below it would skip the erased write',
      );
      writer.commit([{ type: 'set', key: 'a', value: 'x' }], 3);
      const changes = reader.changes({ from: 2 });
      const first = changes.next().value;
      writer.commit([{ type: 'set', key: 's:1', value: 'four' }], 4);
      await writer.flush(); // erases s:1@2: the erased top moves to 2
      assert.deepEqual(
        [first, ...changes].map((c) =>
          c?.writes.map((w: { key: string; value?: string }) => `${w.key}=${w.value}`).join(),
        ),
        ['a=x'],
        'a feed reads one snapshot: the commit and erasure made while it runs are not in it',
      );
      assert.deepEqual(feed(2), ['3:a=x', '4:s:1=four']);
      assert.throws(
        () => feed(1),
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
      assert.deepEqual(
        [...reader.diff(2, 3, { prefix: 'a' })].map((d) => [d.key, d.before, d.after]),
        [['a', undefined, 'x']],
        'diff is decoded too',
      );
    } finally {
      await reader.close();
      await writer.close();
    }
  });

  it('a drop request replayed from the log at open raises the erased top as a live one does', async () => {
    const path = freshPath();
    const seed = MultiStore.open({ path });
    seed.commit([{ type: 'set', key: 'k', value: '1' }], 1);
    seed.commit([{ type: 'set', key: 'k', value: '2' }], 2);
    await seed.close();
    // What a crash after acknowledging a keep-1 drop of k, before applying it, leaves.
    const { SqliteTier } = await import('../tier/sqlite/sqlite-tier.js');
    const { encodeRecord } = await import('./request-log.js');
    const key = new TextEncoder().encode('k');
    const request = {
      table: DEFAULT_TABLE,
      key,
      keepLastVersions: 1,
      ceiling: 2,
      commitVersion: 2,
    };
    const tier = SqliteTier.open(path);
    tier.drop(new Map(), undefined, { log: [{ seq: 1, bytes: encodeRecord([request]) }] });
    assert.equal(tier.erasedTop(DEFAULT_TABLE), 0);
    tier.close();
    const store = MultiStore.open({ path });
    try {
      await store.flush();
      assert.deepEqual(
        [...store.changes({ from: 1 })].map((c) => c.version),
        [2],
        'the replayed erasure of k@1 is at the feed from 1',
      );
      assert.throws(
        () => [...store.changes({ from: 0 })],
        (e: unknown) => isStoreError(e, 'VERSION_TOO_OLD'),
      );
    } finally {
      await store.close();
    }
    const reopened = SqliteTier.open(path, { readOnly: true });
    try {
      assert.equal(reopened.erasedTop(DEFAULT_TABLE), 1, 'the replayed drop stored the top');
      assert.equal(reopened.readableFloor(DEFAULT_TABLE), 2);
    } finally {
      reopened.close();
    }
  });

  it('reads with the encodings stored in the file; others are INVALID_OPTIONS, as for a writer', async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path, valueEncoding: 'json' });
    const invalid = (e: unknown) => isStoreError(e, 'INVALID_OPTIONS');
    try {
      writer.commit([{ type: 'set', key: 'a', value: { n: 1 } }], 1);
      const reader = MultiStore.open({ path, readOnly: true, valueEncoding: 'json' });
      try {
        assert.deepEqual(reader.get('a')?.value, { n: 1 });
        assert.deepEqual(
          [...reader.range()].map((e) => e.value),
          [{ n: 1 }],
        );
      } finally {
        await reader.close();
      }
      assert.throws(() => MultiStore.open({ path, readOnly: true }), invalid);
      assert.throws(
        () => MultiStore.open({ path, readOnly: true, valueEncoding: 'msgpack' }),
        invalid,
      );
    } finally {
      await writer.close();
    }
    const plain = freshPath();
    await MultiStore.open({ path: plain }).close();
    assert.throws(
      () => MultiStore.open({ path: plain, readOnly: true, valueEncoding: 'json' }),
      invalid,
      'no encodings stored: the file reads as binary, and a reader stores none',
    );
  });

  it('a store over a read-only tier is read-only', async () => {
    const path = freshPath();
    await MultiStore.open({ path }).close();
    const { SqliteTier } = await import('../tier/sqlite/sqlite-tier.js');
    const store = MultiStore.fromTier(SqliteTier.open(path, { readOnly: true }));
    try {
      assert.equal(store.readOnly, true);
      assert.throws(
        () => store.commit([], 1),
        (e: unknown) => isStoreError(e, 'READ_ONLY'),
      );
    } finally {
      await store.close();
    }
  });

  it('its range, changes and diff iterators refuse with STORE_CLOSED from the close() call on, as a writer store does', async () => {
    const path = freshPath();
    const writer = MultiStore.open({ path });
    for (let v = 1; v <= 3; v++) {
      writer.commit([
        { type: 'set', key: 'a', value: `a${v}` },
        { type: 'set', key: 'b', value: `b${v}` },
      ]);
    }
    const reader = MultiStore.open({ path, readOnly: true });
    try {
      for (const store of [writer, reader]) {
        const label = store.readOnly ? 'read-only store' : 'writer store';
        const reads = {
          range: store.range(undefined, { pageSize: 1 }),
          changes: store.changes({ pageSize: 1 }),
          diff: store.diff(0, 3, { pageSize: 1 }),
          'range, not started': store.range(),
        };
        reads.range.next();
        reads.changes.next();
        reads.diff.next();
        const closing = store.close();
        const refused = (when: string) => {
          for (const [name, iterator] of Object.entries(reads)) {
            assert.throws(
              () => iterator.next(),
              (e: unknown) => isStoreError(e, 'STORE_CLOSED'),
              `${label}: ${name}, ${when}`,
            );
          }
        };
        refused('closing');
        refused('closing, asked again');
        await closing;
        refused('closed');
      }
    } finally {
      await reader.close();
      await writer.close();
    }
  });
});

describe('opening reads no data', () => {
  /** The tier, counting the reads a store makes of the data. */
  function counting(tier: AbstractTier): { tier: AbstractTier; reads: Map<string, number> } {
    const reads = new Map<string, number>();
    const proxy = new Proxy(tier, {
      get(target, name) {
        const member = Reflect.get(target, name, target);
        if (typeof member !== 'function') return member;
        return (...args: unknown[]) => {
          const method = String(name);
          if (['get', 'page', 'getAllVersions', 'getVersionSizes'].includes(method))
            reads.set(method, (reads.get(method) ?? 0) + 1);
          return member.apply(target, args);
        };
      },
    });
    return { tier: proxy, reads };
  }

  it('whatever the number of versions: a page of one entry per declared table at most', async () => {
    for (const versions of [10, 2000]) {
      const memory = new MemoryTier();
      const seed = MultiStore.fromTier(counting(memory).tier, {
        tables: [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }],
      });
      for (let v = 1; v <= versions; v++)
        seed.commit(
          [
            { type: 'set', key: `k${v % 50}`, value: 'v' },
            { type: 'set', key: `s:${v % 7}`, value: 'v' },
          ],
          v,
        );
      await seed.flush();
      const kept = memory.readFigures();
      // A second store over the same (still open) tier, as a reopened file.
      const { tier, reads } = counting(memory);
      const store = MultiStore.fromTier(tier, {
        tables: [{ name: 'sessions', prefix: 's:', retention: { keepLastVersions: 1 } }],
      });
      assert.deepEqual([...reads.keys()], ['page'], `${versions} versions: pages only`);
      assert.ok((reads.get('page') ?? 0) <= 2, 'at most one page (of one entry) per table');
      assert.deepEqual(new Map(Object.entries(store.stats().tables)), kept);
      assert.deepEqual(store.verify(), []);
    }
  });
});
