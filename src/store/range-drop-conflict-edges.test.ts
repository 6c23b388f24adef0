/**
 * Edges of the rule "a range drop is a write of every key of its range at
 * its commit version" in conflict checks: bounds (every key, a prefix
 * ending in 0xff, start == end, an inclusive end), ordered keys, reverse and
 * touching read ranges, snapshot isolation, the base itself, several range
 * drops (and per-key drops) in one commit, and a SQLite file reopened with
 * the range drop still queued.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { TransactionConflictError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, tempDir } from '../test-support/store-setups.js';
import { MultiStore } from './multistore.js';

const QUIET = { batchSize: 1_000, flushIntervalMs: 1_000_000 } as const;

/** The reason, key bytes and version of the conflict `commit` throws. */
function conflictOf(commit: () => unknown): { reason: string; key: number[]; version: number } {
  try {
    commit();
  } catch (error) {
    if (!(error instanceof TransactionConflictError)) throw error;
    return { reason: error.reason, key: [...(error.key ?? [])], version: error.committedVersion };
  }
  assert.fail('the commit did not conflict');
}

const bytes = (...values: number[]) => Uint8Array.from(values);
const codes = (text: string) => [...new TextEncoder().encode(text)];

forEachStoreSetup((setup) => {
  describe('binary keys', () => {
    let store: MultiStore<Uint8Array, Uint8Array>;
    beforeEach(() => {
      store = setup.open({ clock: new MockClock(), dropWorker: QUIET }) as never;
      store.commit([
        { type: 'set', key: bytes(0x61), value: bytes(1) },
        { type: 'set', key: bytes(0xff, 0x01), value: bytes(1) },
        { type: 'set', key: bytes(0xff, 0xff, 0x07), value: bytes(1) },
      ]);
    });
    afterEach(() => store.close());

    it('a prefix drop of the empty key writes every key, the empty key included', () => {
      const tx = store.begin();
      tx.set(bytes(), bytes(2));
      const other = store.begin();
      other.set(bytes(0xff, 0xff, 0xff), bytes(2));
      const version = store.commit([{ type: 'drop', prefix: bytes() }]) as number;
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'write', key: [], version },
      );
      assert.deepEqual(
        conflictOf(() => other.commit()),
        { reason: 'write', key: [0xff, 0xff, 0xff], version },
      );
    });

    it('a prefix ending in 0xff reaches every key after it, and no key before', () => {
      const inside = store.begin();
      inside.set(bytes(0xff, 0xff, 0x07, 0x00), bytes(2));
      const before = store.begin();
      before.set(bytes(0xff, 0xfe, 0xff), bytes(2));
      const reader = store.begin({ isolation: 'serializable' });
      assert.equal(
        [...reader.range({ start: bytes(0xff, 0xfe), end: bytes(0xff, 0xff) })].length,
        0,
      );
      reader.set(bytes(0x62), bytes(2));
      const version = store.commit([{ type: 'drop', prefix: bytes(0xff, 0xff) }]) as number;
      assert.deepEqual(
        conflictOf(() => inside.commit()),
        { reason: 'write', key: [0xff, 0xff, 0x07, 0x00], version },
      );
      assert.equal(typeof reader.commit(), 'number', 'a range ending where the drop starts');
      assert.equal(typeof before.commit(), 'number');
    });

    it('start == end holds no key; with endInclusive it holds that key only', () => {
      const empty = store.begin({ isolation: 'serializable' });
      empty.get(bytes(0x61));
      empty.set(bytes(0x61), bytes(3));
      store.commit([{ type: 'drop', start: bytes(0x61), end: bytes(0x61) }]);
      assert.equal(typeof empty.commit(), 'number');
      const one = store.begin({ isolation: 'serializable' });
      one.get(bytes(0x61, 0x00));
      one.set(bytes(0x7a), bytes(3));
      const two = store.begin();
      two.set(bytes(0x61), bytes(4));
      const version = store.commit([
        { type: 'drop', start: bytes(0x61), end: bytes(0x61), endInclusive: true },
      ]) as number;
      assert.equal(typeof one.commit(), 'number', 'a\\0 lies after [a, a]');
      assert.deepEqual(
        conflictOf(() => two.commit()),
        { reason: 'write', key: [0x61], version },
      );
    });

    it('a reversed range drop (start after end) writes nothing', () => {
      const tx = store.begin({ isolation: 'serializable' });
      assert.equal([...tx.range()].length, 3);
      tx.set(bytes(0x62), bytes(3));
      store.commit([{ type: 'drop', start: bytes(0x7a), end: bytes(0x61) }]);
      assert.equal(typeof tx.commit(), 'number');
    });
  });

  describe('utf8 keys', () => {
    let store: MultiStore<string, string>;
    beforeEach(() => {
      store = setup.open({
        keyEncoding: 'utf8',
        valueEncoding: 'utf8',
        clock: new MockClock(),
        dropWorker: QUIET,
      });
      store.commit(['a', 'u:1', 'u:2', 'w'].map((key) => ({ type: 'set', key, value: '1' })));
    });
    afterEach(() => store.close());

    it('a reverse range read meeting the drop conflicts, naming the first shared key', () => {
      const tx = store.begin({ isolation: 'serializable' });
      assert.equal([...tx.range({ start: 'b', end: 'u:15' }, { reverse: true })].length, 1);
      tx.set('z', 'x');
      const version = store.commit([{ type: 'drop', start: 'u:1', end: 'v' }]) as number;
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'range', key: codes('u:1'), version },
      );
    });

    it('an inclusive read end touching an exclusive drop start conflicts; an exclusive one does not', () => {
      const touching = store.begin({ isolation: 'serializable' });
      [...touching.range({ start: 'a', end: 'u:1' })];
      touching.set('z', 'x');
      const meeting = store.begin({ isolation: 'serializable' });
      [...meeting.range({ start: 'a', end: 'u:1', endInclusive: true })];
      meeting.set('y', 'y');
      const version = store.commit([{ type: 'drop', start: 'u:1', end: 'v' }]) as number;
      assert.equal(typeof touching.commit(), 'number');
      assert.deepEqual(
        conflictOf(() => meeting.commit()),
        { reason: 'range', key: codes('u:1'), version },
      );
    });

    it('snapshot isolation: reads of the range never conflict', () => {
      const tx = store.begin();
      tx.get('u:1');
      [...tx.range({ prefix: 'u:' })];
      tx.set('z', 'x');
      store.commit([{ type: 'drop', prefix: 'u:' }]);
      assert.equal(typeof tx.commit(), 'number');
    });

    it('a transaction that read and wrote nothing commits nothing and never conflicts', () => {
      const tx = store.begin({ isolation: 'serializable' });
      store.commit([{ type: 'drop', prefix: '' }]);
      assert.equal(tx.commit(), undefined);
    });

    it('a drop at the base is no conflict; one at base + 1 is', () => {
      const drop = () => store.commit([{ type: 'drop', prefix: 'u:' }]) as number;
      drop();
      const tx = store.begin({ isolation: 'serializable' });
      tx.get('u:1');
      tx.set('u:2', 'x');
      const other = store.begin({ isolation: 'serializable' });
      other.get('u:1');
      other.set('z', 'x');
      assert.equal(typeof tx.commit(), 'number');
      const version = drop();
      assert.deepEqual(
        conflictOf(() => other.commit()),
        { reason: 'read', key: codes('u:1'), version },
      );
    });

    it('several range drops and per-key drops in one commit each count', () => {
      const second = store.begin({ isolation: 'serializable' });
      second.get('w');
      second.set('z', 'x');
      const perKey = store.begin();
      perKey.set('a', 'x');
      const version = store.commit([
        { type: 'drop', prefix: 'u:' },
        { type: 'drop', key: 'a' },
        { type: 'drop', start: 'v', end: 'w', endInclusive: true },
      ]) as number;
      assert.deepEqual(
        conflictOf(() => second.commit()),
        { reason: 'read', key: codes('w'), version },
      );
      assert.deepEqual(
        conflictOf(() => perKey.commit()),
        { reason: 'write', key: codes('a'), version },
      );
    });

    it('a range drop at an explicit version above the latest conflicts at that version', () => {
      const tx = store.begin({ isolation: 'serializable' });
      tx.get('u:1');
      tx.set('z', 'x');
      assert.equal(store.commit([{ type: 'drop', prefix: 'u:' }], 100), 100);
      assert.deepEqual(
        conflictOf(() => tx.commit()),
        { reason: 'read', key: codes('u:1'), version: 100 },
      );
    });

    it('a range ending before the empty key holds no key: read or dropped, it meets nothing', () => {
      const emptyRead = store.begin({ isolation: 'serializable' });
      assert.deepEqual([...emptyRead.range({ end: '' })], []);
      emptyRead.set('z', 'x');
      const wideRead = store.begin({ isolation: 'serializable' });
      assert.equal([...wideRead.range({ end: 'm' })].length, 1);
      wideRead.set('y', 'x');
      store.commit([{ type: 'drop', end: 'm' }]);
      store.commit([{ type: 'drop', end: '' }]);
      assert.equal(typeof emptyRead.commit(), 'number', 'it read no key the drop of [, m) writes');
      // The drop of [, m) writes every key wideRead's range holds, the empty key first.
      assert.deepEqual(
        conflictOf(() => wideRead.commit()),
        { reason: 'range', key: [], version: 2 },
      );
    });

    it('on stored history too, a queued drop ending before the empty key meets no range read', () => {
      const version = store.commit([{ type: 'drop', end: '' }]) as number;
      store.commit([{ type: 'set', key: 'z', value: '1' }]);
      const tx = store.begin({ asOf: version - 1, isolation: 'serializable' });
      assert.equal([...tx.range({ end: 'm' })].length, 1);
      tx.set('y', 'x');
      assert.equal(typeof tx.commit(), 'number');
    });

    it('after the tracker forgot the drop (the transaction began after it), no conflict', async () => {
      store.commit([{ type: 'drop', prefix: 'u:' }]);
      await store.flush();
      const tx = store.begin({ isolation: 'serializable' });
      tx.get('u:1');
      tx.set('u:1', 'x');
      assert.equal(typeof tx.commit(), 'number');
    });
  });

  describe('ordered keys', () => {
    it('a prefix drop of a tuple writes the keys whose bytes start with its bytes', () => {
      const store = setup.open({
        keyEncoding: 'ordered',
        valueEncoding: 'json',
        clock: new MockClock(),
        dropWorker: QUIET,
      });
      try {
        store.commit([
          { type: 'set', key: ['user', 1], value: 1 },
          { type: 'set', key: ['user', 2], value: 1 },
          { type: 'set', key: ['users', 1], value: 1 },
          { type: 'set', key: ['v', 1], value: 1 },
        ]);
        const inside = store.begin();
        inside.set(['user', 7], 2);
        const reader = store.begin({ isolation: 'serializable' });
        assert.equal(reader.get(['v', 1])?.value, 1);
        reader.set(['other'], 2);
        // ['users', 1] is under the prefix ['user'] (README, "Encodings").
        const longer = store.begin({ isolation: 'serializable' });
        assert.equal(longer.get(['users', 1])?.value, 1);
        longer.set(['another'], 2);
        const version = store.commit([{ type: 'drop', prefix: ['user'] }]) as number;
        const found = conflictOf(() => inside.commit());
        assert.equal(found.reason, 'write');
        assert.equal(found.version, version);
        assert.equal(typeof reader.commit(), 'number', '["v", 1] is not under ["user"]');
        assert.equal(conflictOf(() => longer.commit()).reason, 'read');
      } finally {
        store.close();
      }
    });
  });
});

describe('a SQLite file reopened after a range drop', () => {
  it('a transaction begun as of a version before the drop conflicts on the keys it deleted', async () => {
    const dir = tempDir();
    try {
      const path = join(dir.path, 'store.db');
      const open = () =>
        MultiStore.open({
          path,
          keyEncoding: 'utf8',
          valueEncoding: 'utf8',
          clock: new MockClock(),
          dropWorker: QUIET,
        });
      let store = open();
      store.commit(['u:1', 'u:2', 'v'].map((key) => ({ type: 'set', key, value: '1' })));
      const version = store.commit([{ type: 'drop', prefix: 'u:' }]) as number;
      await store.close();
      store = open();
      try {
        // close() applied it: u:1 and u:2 are gone, their horizons reach its version.
        assert.deepEqual(store.versions('u:2'), []);
        const tx = store.begin({ asOf: 1 });
        tx.set('u:2', 'x');
        assert.deepEqual(
          conflictOf(() => tx.commit()),
          { reason: 'write', key: codes('u:2'), version },
        );
        const outside = store.begin({ asOf: 1 });
        outside.set('v', 'x');
        assert.equal(typeof outside.commit(), 'number');
      } finally {
        await store.close();
      }
    } finally {
      dir.cleanup();
    }
  });
});
