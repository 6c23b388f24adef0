import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import type { DropRequest } from './drop-batch.js';
import { ParkedDrops } from './parked-drops.js';

const request = (key: string, commitVersion: number, extra: Partial<DropRequest> = {}) =>
  ({ table: 't', key: utf8(key), ceiling: commitVersion, commitVersion, ...extra }) as DropRequest;
const snapshotsAt = (...versions: number[]) => ({
  atOrAbove: (v: number) => versions.filter((s) => s >= v).sort((a, b) => a - b)[0],
});
const versionsOf = (requests: readonly DropRequest[]) => requests.map((r) => r.commitVersion);

describe('ParkedDrops', () => {
  it('keeps a key parked, later requests queued behind, until its blocking snapshot is gone', () => {
    const parked = new ParkedDrops();
    parked.park([request('a', 5), request('a', 6)], 3);
    parked.park([request('b', 7)], 9);
    assert.equal(parked.has('t', utf8('a')), true);
    parked.append([request('a', 8)]);
    assert.equal(parked.size, 4);
    assert.deepEqual(parked.release(snapshotsAt(3, 9)), []);
    assert.deepEqual(versionsOf(parked.release(snapshotsAt(4, 9))), [5, 6, 8], 'commit order kept');
    assert.equal(parked.has('t', utf8('a')), false);
    assert.deepEqual(versionsOf(parked.release(undefined)), [7], 'closing releases everything');
    assert.equal(parked.size, 0);
  });

  it('a later retention request of a parked key replaces an equal earlier one', () => {
    const parked = new ParkedDrops();
    parked.park([request('a', 5, { keepLastVersions: 1 })], 3);
    parked.append([request('a', 6, { keepLastVersions: 1 })]);
    parked.append([request('a', 7, { keepLastVersions: 1 })]);
    assert.equal(parked.size, 1, 'one retention request per key, however many commits');
    parked.append([request('a', 8, { keepLastVersions: 2 })]);
    parked.append([request('a', 9, { keepLastVersions: 1, pendingVersion: 9 })]);
    parked.append([request('a', 10, { keepLastVersions: 1, upToVersion: 4 })]);
    assert.deepEqual(versionsOf(parked.release(undefined)), [7, 8, 9, 10]);
  });

  it('a parked request keeping no version is never replaced: a later one would delete the key at its own, higher, commit version', () => {
    const parked = new ParkedDrops();
    parked.park([request('a', 1, { keepLastVersions: 0 })], 0);
    parked.append([request('a', 2, { keepLastVersions: 0 })]);
    assert.equal(parked.size, 2);
    assert.deepEqual(versionsOf(parked.release(undefined)), [1, 2]);
    assert.deepEqual(parked.takeSuperseded(), []);
  });

  it('a key parked again moves to its new blocking snapshot', () => {
    const parked = new ParkedDrops();
    parked.park([request('a', 5)], 3);
    parked.park([request('a', 6)], 8);
    assert.deepEqual(parked.release(snapshotsAt(8)), [], 'held by 8 now, not by 3');
    assert.deepEqual(versionsOf(parked.release(snapshotsAt())), [5, 6]);
  });
});

forEachStoreSetup((setup) => {
  it("two keep-0 drops of a key parked behind a snapshot delete it at the first one's commit, as applied unparked", async () => {
    const store = setup.open({
      clock: new MockClock(),
      dropWorker: { batchSize: 1000, flushIntervalMs: 1e9 },
    });
    try {
      store.commit([{ type: 'set', key: 'a', value: 'x' }], 1);
      const pinned = store.begin({ asOf: 1 });
      store.commit([{ type: 'drop', key: 'a', keepLastVersions: 0 }], 2); // deletes a at 2
      store.commit([{ type: 'drop', key: 'a', keepLastVersions: 0 }], 3); // nothing left to judge
      await store.flush();
      assert.equal(store.dropWorkerStats().parked, 2);
      pinned.rollback();
      await store.flush();
      assert.deepEqual(store.versions('a'), []);
      assert.throws(() => store.get('a', 1), { code: 'VERSION_TOO_OLD', readableFrom: 2 });
      assert.equal(store.get('a', 2), undefined, 'absent from the first deletion on, not refused');
    } finally {
      await store.close();
    }
  });
});
