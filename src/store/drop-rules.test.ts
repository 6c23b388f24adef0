import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { versionsToDrop } from './drop-rules.js';

const stored = [100, 20, 10, 5, 1];
const ceiling = 1000;

describe('versionsToDrop', () => {
  it('drops everything without constraints', () => {
    assert.deepEqual(versionsToDrop(stored, { ceiling }), stored);
  });

  it('drops versions strictly below upToVersion', () => {
    assert.deepEqual(versionsToDrop(stored, { upToVersion: 10, ceiling }), [5, 1]);
    assert.deepEqual(versionsToDrop(stored, { upToVersion: 0, ceiling }), []);
    assert.deepEqual(versionsToDrop(stored, { upToVersion: 1_000_000, ceiling }), stored);
  });

  it('keeps the N newest with keepLastVersions', () => {
    assert.deepEqual(versionsToDrop(stored, { keepLastVersions: 2, ceiling }), [10, 5, 1]);
    assert.deepEqual(versionsToDrop(stored, { keepLastVersions: 10, ceiling }), []);
    assert.deepEqual(versionsToDrop(stored, { keepLastVersions: 0, ceiling }), stored);
  });

  it('drops only what both constraints allow', () => {
    assert.deepEqual(
      versionsToDrop(stored, { upToVersion: 15, keepLastVersions: 3, ceiling }),
      [5, 1],
    );
    assert.deepEqual(versionsToDrop(stored, { upToVersion: 3, keepLastVersions: 2, ceiling }), [1]);
    assert.deepEqual(
      versionsToDrop(stored, { upToVersion: 50, keepLastVersions: 1, ceiling }),
      [20, 10, 5, 1],
    );
  });

  it('never drops the pending version and counts it toward keepLastVersions', () => {
    assert.deepEqual(
      versionsToDrop([2, 1], { keepLastVersions: 1, pendingVersion: 3, ceiling }),
      [2, 1],
    );
    assert.deepEqual(
      versionsToDrop([3, 2, 1], { keepLastVersions: 1, pendingVersion: 3, ceiling }),
      [2, 1],
    );
    assert.deepEqual(versionsToDrop([], { pendingVersion: 4, ceiling }), []);
    assert.deepEqual(versionsToDrop([9, 4], { pendingVersion: 4, ceiling }), [9]);
  });

  it('ignores versions above the ceiling', () => {
    assert.deepEqual(versionsToDrop([30, 20, 10], { upToVersion: 1_000, ceiling: 20 }), [20, 10]);
    assert.deepEqual(versionsToDrop([30, 20, 10], { keepLastVersions: 1, ceiling: 20 }), [10]);
  });

  it('agrees with the rule table for any input', () => {
    const versions = fc
      .uniqueArray(fc.nat(50), { maxLength: 12 })
      .map((v) => v.sort((a, b) => b - a));
    const maybe = fc.option(fc.nat(60), { nil: undefined });
    fc.assert(
      fc.property(
        versions,
        maybe,
        fc.option(fc.nat(8), { nil: undefined }),
        maybe,
        (list, upTo, keep, pending) => {
          const dropped = new Set(
            versionsToDrop(list, {
              upToVersion: upTo,
              keepLastVersions: keep,
              pendingVersion: pending,
              ceiling,
            }),
          );
          const listed = [...new Set([...list, ...(pending === undefined ? [] : [pending])])].sort(
            (a, b) => b - a,
          );
          listed.forEach((version, index) => {
            const expected =
              version !== pending &&
              (upTo === undefined || version < upTo) &&
              (keep === undefined || index >= keep);
            assert.equal(dropped.has(version), expected, `version ${version} at index ${index}`);
          });
        },
      ),
    );
  });
});
