import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError, SnapshotViolationError } from '../common/errors.js';
import { VersionOracle } from './oracle.js';

describe('VersionOracle', () => {
  it('gives an automatic commit the version after the highest committed', () => {
    const oracle = new VersionOracle(0);
    assert.equal(oracle.versionFor({ empty: false }), 1);
    oracle.record(1);
    assert.equal(oracle.versionFor({ empty: false }), 2);
  });

  it('counts explicit commits: an automatic commit never lands below one', () => {
    const oracle = new VersionOracle(3);
    assert.equal(oracle.versionFor({ explicit: 100, empty: false }), 100);
    oracle.record(100);
    oracle.record(50); // an explicit commit into history does not lower it
    assert.equal(oracle.latest, 100);
    assert.equal(oracle.versionFor({ empty: false }), 101);
  });

  it('gives an empty automatic commit no version', () => {
    const oracle = new VersionOracle(7);
    assert.equal(oracle.versionFor({ empty: true }), undefined);
    assert.equal(oracle.latest, 7);
  });

  it('gives an empty explicit commit its version (a replica advancing)', () => {
    const oracle = new VersionOracle(1);
    assert.equal(oracle.versionFor({ explicit: 200, empty: true }), 200);
  });

  it('refuses an explicit commit at or below an open snapshot', () => {
    const oracle = new VersionOracle(10);
    assert.throws(
      () => oracle.versionFor({ explicit: 9, empty: false, highestOpen: 9 }),
      (error: unknown) =>
        error instanceof SnapshotViolationError &&
        error.code === 'SNAPSHOT_VIOLATION' &&
        error.version === 9 &&
        error.snapshotVersion === 9,
    );
    assert.equal(oracle.versionFor({ explicit: 10, empty: false, highestOpen: 9 }), 10);
    assert.equal(
      oracle.versionFor({ explicit: 5, empty: false }),
      5,
      'no snapshot: history is fine',
    );
  });

  it('refuses bad explicit versions with INVALID_VERSION', () => {
    const oracle = new VersionOracle(0);
    for (const bad of [-1, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      assert.throws(
        () => oracle.versionFor({ explicit: bad, empty: false }),
        (error: unknown) => isStoreError(error, 'INVALID_VERSION'),
      );
    }
    assert.throws(
      () => new VersionOracle(-1),
      (error: unknown) => isStoreError(error, 'INVALID_VERSION'),
    );
  });

  it('refuses to go past the highest safe integer', () => {
    const oracle = new VersionOracle(Number.MAX_SAFE_INTEGER);
    assert.throws(
      () => oracle.next(),
      (error: unknown) => isStoreError(error, 'INVALID_VERSION'),
    );
  });
});
