import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConflictTracker } from './conflicts.js';
import { inRange, type KeyRange, prefixRange } from './keys.js';
import { ReadSet } from './read-set.js';

const reads = (keys: string[], ranges: KeyRange[] = []): ReadSet => {
  const set = new ReadSet();
  for (const key of keys) set.addKey(key);
  for (const range of ranges) set.addRange(range);
  return set;
};

describe('ConflictTracker', () => {
  it('first committer wins: a write above the base to a key the transaction writes', () => {
    const tracker = new ConflictTracker(5);
    tracker.record(6, ['a', 'b']);
    assert.deepEqual(tracker.check({ base: 5, writes: new Set(['b']) }), {
      kind: 'conflict',
      reason: 'write',
      key: 'b',
      version: 6,
    });
    assert.deepEqual(tracker.check({ base: 6, writes: new Set(['b']) }), { kind: 'clear' });
    assert.deepEqual(tracker.check({ base: 5, writes: new Set(['c']) }), { kind: 'clear' });
  });

  it('ignores reads in snapshot isolation and checks them in serializable mode', () => {
    const tracker = new ConflictTracker(5);
    tracker.record(6, ['doctor1']);
    const query = { base: 5, writes: new Set(['doctor2']) };
    assert.deepEqual(tracker.check(query), { kind: 'clear' }, 'write skew is allowed');
    assert.deepEqual(tracker.check({ ...query, reads: reads(['doctor1', 'doctor2']) }), {
      kind: 'conflict',
      reason: 'read',
      key: 'doctor1',
      version: 6,
    });
  });

  it('catches a phantom: a key written inside a range read', () => {
    const tracker = new ConflictTracker(1);
    tracker.record(2, ['bc']);
    const verdict = tracker.check({
      base: 1,
      writes: new Set(['x']),
      reads: reads([], [prefixRange('b')]),
    });
    assert.deepEqual(verdict, { kind: 'conflict', reason: 'range', key: 'bc', version: 2 });
    const everything = reads([]);
    everything.addRange({ start: { kind: 'unbounded' }, end: { kind: 'unbounded' } });
    assert.equal(tracker.check({ base: 1, writes: new Set(), reads: everything }).kind, 'conflict');
  });

  it('reports the window it no longer holds for a transaction that began below its floor', () => {
    const tracker = new ConflictTracker(3);
    tracker.prune(10);
    assert.equal(tracker.floor, 10);
    assert.deepEqual(tracker.check({ base: 4, writes: new Set(['a']) }), {
      kind: 'verify',
      above: 4,
      through: 10,
    });
    tracker.record(11, ['a']);
    assert.equal(tracker.check({ base: 4, writes: new Set(['a']) }).kind, 'conflict');
  });

  it('forgets commits at or below the pruned version, and never lowers the floor', () => {
    const tracker = new ConflictTracker(0);
    tracker.record(1, ['a']);
    tracker.record(2, ['a', 'b']);
    tracker.record(3, ['c']);
    tracker.prune(2);
    assert.equal(tracker.size, 1);
    tracker.prune(1);
    assert.equal(tracker.floor, 2);
    assert.deepEqual(tracker.check({ base: 2, writes: new Set(['a', 'b']) }), { kind: 'clear' });
    tracker.record(2, ['a']); // at or below the floor: nobody needs it
    assert.equal(tracker.size, 1);
  });

  it('keeps an explicit commit recorded out of version order', () => {
    const tracker = new ConflictTracker(0);
    tracker.record(10, ['a']);
    tracker.record(7, ['b']);
    assert.equal(tracker.check({ base: 8, writes: new Set(['b']) }).kind, 'clear');
    assert.equal(tracker.check({ base: 6, writes: new Set(['b']) }).kind, 'conflict');
    tracker.prune(8);
    assert.equal(tracker.size, 1);
    assert.equal(tracker.check({ base: 8, writes: new Set(['a']) }).kind, 'conflict');
  });

  it('agrees with checking every kept commit by hand', () => {
    const key: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'ba', 'bb', 'c', 'x');
    const commit = fc.record({
      version: fc.integer({ min: 1, max: 30 }),
      keys: fc.uniqueArray(key, { maxLength: 3 }),
    });
    const range = fc.constantFrom(prefixRange('b'), prefixRange('a'), {
      start: { kind: 'included' as const, key: 'b' },
      end: { kind: 'excluded' as const, key: 'c' },
    });
    fc.assert(
      fc.property(
        fc.array(commit, { maxLength: 10 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.uniqueArray(key, { maxLength: 3 }),
        fc.uniqueArray(key, { maxLength: 3 }),
        fc.array(range, { maxLength: 2 }),
        (commits, pruneAt, base, writes, readKeys, readRanges) => {
          const tracker = new ConflictTracker(0);
          for (const c of commits) tracker.record(c.version, c.keys);
          tracker.prune(pruneAt);
          const kept = commits.filter((c) => c.version > pruneAt && c.version > base);
          const hit = (k: string) =>
            writes.includes(k) || readKeys.includes(k) || readRanges.some((r) => inRange(k, r));
          const expected = kept.some((c) => c.keys.some(hit));
          const verdict = tracker.check({
            base,
            writes: new Set(writes),
            reads: reads(readKeys, readRanges),
          });
          assert.equal(verdict.kind === 'conflict', expected);
          if (!expected) assert.equal(verdict.kind, base < pruneAt ? 'verify' : 'clear');
        },
      ),
      { numRuns: 500 },
    );
  });
});
