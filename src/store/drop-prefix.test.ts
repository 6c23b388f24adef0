import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Horizon,
  NO_SNAPSHOTS,
  planKeyErasures,
  planKeyPrefix,
  snapshotsAt,
} from '../transaction/index.js';
import { type DropConstraints, oldestToDrop, versionsToDrop } from './drop-rules.js';

interface Request extends DropConstraints {
  readonly commitVersion: number;
}

const select = (request: Request, stored: readonly number[], length: number) =>
  oldestToDrop(stored, length, request);

/** Distinct versions, newest first. */
const storedVersions = fc
  .uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 12 })
  .map((list) => list.sort((a, b) => b - a));

const constraints = fc.record(
  {
    upToVersion: fc.integer({ min: 0, max: 70 }),
    keepLastVersions: fc.nat(5),
    pendingVersion: fc.integer({ min: 1, max: 80 }),
  },
  { requiredKeys: [] },
);

const request = fc.tuple(constraints, fc.integer({ min: 0, max: 90 }), fc.nat(10)).map(
  ([terms, ceiling, later]): Request => ({
    ...terms,
    ceiling,
    commitVersion: ceiling + later,
  }),
);

const horizon = fc.option(
  fc
    .tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 30 }))
    .map(([erasedFrom, width]): Horizon => ({ erasedFrom, readableFrom: erasedFrom + width })),
  { nil: undefined },
);

describe('oldestToDrop', () => {
  it('counts what versionsToDrop drops, and those are the oldest, when every version is judged and none is pending', () => {
    fc.assert(
      fc.property(storedVersions, constraints, fc.nat(12), (stored, terms, cut) => {
        const length = Math.min(cut, stored.length);
        const judged = stored.slice(0, length);
        const request = { ...terms, pendingVersion: undefined, ceiling: 100 };
        const dropped = versionsToDrop(judged, request);
        assert.equal(oldestToDrop(stored, length, request), dropped.length);
        assert.deepEqual(dropped, judged.slice(length - dropped.length));
      }),
    );
  });

  it('keeps the newest N and what is at or above upToVersion', () => {
    const stored = [9, 7, 5, 3, 1];
    assert.equal(oldestToDrop(stored, 5, { keepLastVersions: 1, ceiling: 9 }), 4);
    assert.equal(oldestToDrop(stored, 5, { upToVersion: 5, ceiling: 9 }), 2);
    assert.equal(oldestToDrop(stored, 3, { upToVersion: 8, keepLastVersions: 1, ceiling: 9 }), 2);
    assert.equal(oldestToDrop(stored, 5, { ceiling: 9 }), 5);
    assert.equal(oldestToDrop(stored, 5, { keepLastVersions: 9, ceiling: 9 }), 0);
  });
});

describe('planKeyPrefix', () => {
  it('plans what planKeyErasures plans whenever it answers: the oldest versions, the same horizon and erased top, nothing parked', () => {
    fc.assert(
      fc.property(
        storedVersions,
        fc.array(request, { minLength: 1, maxLength: 3 }),
        horizon,
        fc.uniqueArray(fc.integer({ min: 0, max: 90 }), { maxLength: 3 }),
        (stored, requests, before, open) => {
          const snapshots = snapshotsAt(open);
          const fast = planKeyPrefix(stored, requests, select, before, snapshots);
          if (fast === undefined) return;
          const general = planKeyErasures(
            stored,
            requests,
            (r, s) => versionsToDrop(s, r),
            before,
            snapshots,
          );
          const oldest = stored.slice(stored.length - fast.count).reverse();
          assert.deepEqual(general.erase, oldest);
          assert.deepEqual(fast.horizon, general.horizon);
          assert.equal(fast.erasedTop, general.erasedTop);
          assert.deepEqual(general.parked, []);
          assert.equal(general.blockedBy, undefined);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('answers in the common case: plain keep-last and up-to requests with no snapshot open', () => {
    const stored = [9, 7, 5, 3, 1];
    const keep = { keepLastVersions: 1, ceiling: 10, commitVersion: 10 };
    assert.deepEqual(planKeyPrefix(stored, [keep], select, undefined, NO_SNAPSHOTS), {
      count: 4,
      horizon: { erasedFrom: 1, readableFrom: 9 },
      erasedTop: 7,
    });
    const both = [{ upToVersion: 4, ceiling: 10, commitVersion: 10 }, keep];
    assert.equal(planKeyPrefix(stored, both, select, undefined, NO_SNAPSHOTS)?.count, 4);
    const all = { ceiling: 10, commitVersion: 12 };
    assert.deepEqual(planKeyPrefix(stored, [all], select, undefined, NO_SNAPSHOTS), {
      count: 5,
      horizon: { erasedFrom: 1, readableFrom: 12 },
      erasedTop: 12,
    });
  });

  it('leaves to planKeyErasures a pending version, a ceiling below the newest, and a snapshot that holds the erasure back', () => {
    const stored = [9, 7, 5, 3, 1];
    const keep = { keepLastVersions: 1, ceiling: 10, commitVersion: 10 };
    const plan = (requests: Request[], open: number[] = []) =>
      planKeyPrefix(stored, requests, select, undefined, snapshotsAt(open));
    assert.equal(plan([{ ...keep, pendingVersion: 10 }]), undefined);
    assert.equal(plan([{ ...keep, ceiling: 8 }]), undefined);
    assert.equal(plan([keep], [6]), undefined, 'a snapshot at 6 reads 5');
    assert.equal(plan([keep], [9])?.count, 4, 'a snapshot at 9 reads 9, which stays');
  });
});
