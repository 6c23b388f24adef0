import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ErasureInput,
  type Horizon,
  NO_SNAPSHOTS,
  planErasure,
  planKeyErasures,
  refusedAt,
  snapshotsAt,
} from './erasure.js';

/** A request at commit `commitVersion` judging everything (ceiling = commit version by default). */
function input(
  stored: number[],
  requested: number[],
  options: Partial<Omit<ErasureInput, 'stored' | 'requested' | 'snapshots'>> & {
    snapshots?: number[];
  } = {},
): ErasureInput {
  const newest = stored.length === 0 ? 0 : Math.max(...stored);
  const commitVersion = options.commitVersion ?? newest + 1;
  return {
    stored: [...stored].sort((a, b) => b - a),
    requested,
    ceiling: options.ceiling ?? commitVersion,
    commitVersion,
    pendingVersion: options.pendingVersion,
    horizon: options.horizon,
    snapshots: options.snapshots === undefined ? NO_SNAPSHOTS : snapshotsAt(options.snapshots),
  };
}

describe('refusedAt', () => {
  const horizon: Horizon = { erasedFrom: 3, readableFrom: 9 };

  it('refuses reads inside [erasedFrom, readableFrom) with the oldest readable version', () => {
    assert.equal(refusedAt(horizon, 3), 9);
    assert.equal(refusedAt(horizon, 8), 9);
  });

  it('lets reads below erasedFrom and from readableFrom on go ahead', () => {
    assert.equal(refusedAt(horizon, 2), undefined);
    assert.equal(refusedAt(horizon, 9), undefined);
    assert.equal(refusedAt(horizon, 1_000), undefined);
    assert.equal(refusedAt(undefined, 5), undefined);
  });
});

describe('planErasure without snapshots', () => {
  it('refuses the reads a drop changed: doc v1@1, v2@5, drop upToVersion 5', () => {
    const plan = planErasure(input([1, 5], [1], { commitVersion: 6 }));
    assert.deepEqual(plan.erase, [1]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 5 });
    assert.equal(refusedAt(plan.horizon, 3), 5, 'a read at 3 must not answer "absent"');
    assert.equal(plan.deleted, false);
    assert.equal(plan.blockedBy, undefined);
  });

  it('moves the horizon to the oldest version kept by keepLastVersions', () => {
    const plan = planErasure(input([1, 2, 3], [1, 2], { pendingVersion: 3, commitVersion: 3 }));
    assert.deepEqual(plan.erase, [1, 2]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 3 });
  });

  it('deletes the key when every judged version goes: absent from the commit version on', () => {
    const plan = planErasure(input([1, 2, 3], [1, 2, 3], { commitVersion: 4 }));
    assert.deepEqual(plan.erase, [1, 2, 3]);
    assert.equal(plan.deleted, true);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 4 });
  });

  it('never judges versions above the ceiling, and they stay readable after a deletion', () => {
    const plan = planErasure(input([1, 3, 7], [1, 3], { ceiling: 4, commitVersion: 4 }));
    assert.deepEqual(plan.erase, [1, 3]);
    assert.equal(plan.deleted, true);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 4 });
  });

  it('never erases a version newer than one it keeps (an older value would come back)', () => {
    // An explicit commit at 3 below the latest (10) writes the key and drops up to 20.
    const plan = planErasure(
      input([1, 3, 10], [1, 10], { pendingVersion: 3, ceiling: 10, commitVersion: 3 }),
    );
    assert.deepEqual(plan.erase, [1]);
    assert.deepEqual(plan.kept, [10]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 3 });
    assert.equal(plan.blockedBy, undefined, 'nothing waits: 10 can never go with this request');
  });

  it('keeps the pending version even when the drop rules select it', () => {
    const plan = planErasure(input([1, 2], [1, 2], { pendingVersion: 2, commitVersion: 2 }));
    assert.deepEqual(plan.erase, [1]);
    assert.equal(plan.deleted, false);
  });

  it('does nothing for an empty selection or a key without versions', () => {
    assert.deepEqual(planErasure(input([1, 2], [])).erase, []);
    const none = planErasure(input([], [], { commitVersion: 5 }));
    assert.deepEqual(none.erase, []);
    assert.equal(none.horizon, undefined);
    assert.equal(none.deleted, false);
  });

  it('leaves no horizon when a deletion at or below every erased version refuses nothing', () => {
    const plan = planErasure(input([5, 7], [5, 7], { ceiling: 7, commitVersion: 2 }));
    assert.deepEqual(plan.erase, [5, 7]);
    assert.equal(plan.deleted, true);
    assert.equal(plan.horizon, undefined);
  });

  it('widens an existing horizon upward and keeps its start', () => {
    const plan = planErasure(
      input([5, 7, 9], [5, 7], { horizon: { erasedFrom: 1, readableFrom: 5 }, commitVersion: 10 }),
    );
    assert.deepEqual(plan.erase, [5, 7]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 9 });
  });
});

describe('planErasure with open snapshots', () => {
  it('erases below the version a snapshot reads and parks the rest', () => {
    const plan = planErasure(input([1, 3, 5, 7, 9], [1, 3, 5, 7], { snapshots: [6] }));
    assert.deepEqual(plan.erase, [1, 3]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 5 });
    assert.equal(plan.blockedBy, 6);
  });

  it('keeps exactly the version a snapshot sits on', () => {
    const plan = planErasure(input([5, 7, 9], [5, 7], { snapshots: [7] }));
    assert.deepEqual(plan.erase, [5]);
    assert.equal(plan.blockedBy, 7);
  });

  it('is not held back by a snapshot older than the key', () => {
    const plan = planErasure(input([5, 7, 9], [5, 7], { snapshots: [2] }));
    assert.deepEqual(plan.erase, [5, 7]);
    assert.equal(plan.blockedBy, undefined);
    assert.equal(refusedAt(plan.horizon, 2), undefined, 'the snapshot at 2 still reads "absent"');
  });

  it('is not held back by a snapshot reading a surviving version', () => {
    const plan = planErasure(input([5, 7, 9], [5, 7], { snapshots: [10] }));
    assert.deepEqual(plan.erase, [5, 7]);
    assert.equal(plan.blockedBy, undefined);
  });

  it('does not delete a version a snapshot at or above the commit version reads', () => {
    const plan = planErasure(input([1, 3], [1, 3], { commitVersion: 4, snapshots: [4] }));
    assert.deepEqual(plan.erase, [1]);
    assert.equal(plan.deleted, false);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 3 });
    assert.equal(plan.blockedBy, 4);
  });

  it('deletes when the snapshots above the commit version read a later write', () => {
    const plan = planErasure(
      input([1, 3, 7], [1, 3], { ceiling: 4, commitVersion: 4, snapshots: [8] }),
    );
    assert.deepEqual(plan.erase, [1, 3]);
    assert.equal(plan.deleted, true);
  });

  it('is not held back by a snapshot already refused by the old horizon', () => {
    const plan = planErasure(
      input([5, 7, 9], [5, 7], { horizon: { erasedFrom: 1, readableFrom: 5 }, snapshots: [3] }),
    );
    assert.deepEqual(plan.erase, [5, 7]);
    assert.deepEqual(plan.horizon, { erasedFrom: 1, readableFrom: 9 });
  });

  it('never lets the refused interval swallow a snapshot reading "absent" after a deletion', () => {
    // Deleted at 5 (refused [1, 5)), written again at 8 and 10; a snapshot at 6 reads "absent".
    const plan = planErasure(
      input([8, 10], [8], { horizon: { erasedFrom: 1, readableFrom: 5 }, snapshots: [6] }),
    );
    assert.deepEqual(plan.erase, []);
    assert.equal(plan.blockedBy, 6);
  });

  it('reports the lowest snapshot holding it back', () => {
    // The deletion is held back by the snapshot at 4 (it reads v3), and erasing v1 alone by
    // the snapshot at 2 (it reads v1): the lower one is reported, it ends the wait first.
    const plan = planErasure(input([1, 3], [1, 3], { commitVersion: 4, snapshots: [2, 4] }));
    assert.deepEqual(plan.erase, []);
    assert.equal(plan.blockedBy, 2);
  });
});

describe('planKeyErasures', () => {
  const keepOne = (terms: { ceiling: number; commitVersion: number; pendingVersion?: number }) =>
    terms;
  const selectAllButNewest = (_: unknown, stored: readonly number[]) => stored.slice(1);

  it('applies requests one after the other, each against what the previous left', () => {
    const outcome = planKeyErasures(
      [4, 3, 2, 1],
      [
        keepOne({ ceiling: 3, commitVersion: 3, pendingVersion: 3 }),
        keepOne({ ceiling: 4, commitVersion: 4, pendingVersion: 4 }),
      ],
      (request, stored) => stored.filter((v) => v <= request.ceiling).slice(1),
      undefined,
      NO_SNAPSHOTS,
    );
    assert.deepEqual(outcome.erase, [1, 2, 3]);
    assert.deepEqual(outcome.horizon, { erasedFrom: 1, readableFrom: 4 });
    assert.deepEqual(outcome.parked, []);
  });

  it('parks a blocked request and every later request for the key behind it', () => {
    const first = { ceiling: 9, commitVersion: 10 };
    const second = { ceiling: 11, commitVersion: 11 };
    const outcome = planKeyErasures(
      [9, 7, 5],
      [first, second],
      selectAllButNewest,
      undefined,
      snapshotsAt([8]),
    );
    assert.deepEqual(outcome.erase, [5]);
    assert.deepEqual(outcome.parked, [first, second]);
    assert.equal(outcome.blockedBy, 8);
  });
});
