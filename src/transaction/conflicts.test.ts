import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConflictTracker } from './conflicts.js';
import { ALL_KEYS, inRange, type KeyRange, overlap, prefixRange } from './keys.js';
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

  it('agrees with checking every kept commit by hand, written ranges included', () => {
    // Every range below starts and ends on a key of KEYS or is unbounded, and
    // KEYS holds a key between any two of its bounds: two of these ranges
    // share a key exactly when they share one of KEYS.
    const KEYS = ['', 'a', 'b', 'ba', 'bb', 'c', 'ca', 'x'];
    const key: fc.Arbitrary<string> = fc.constantFrom(...KEYS.slice(1));
    const range: fc.Arbitrary<KeyRange> = fc.constantFrom<KeyRange>(
      prefixRange('b'),
      prefixRange('a'),
      prefixRange('ba'),
      ALL_KEYS,
      { start: { kind: 'excluded', key: 'b' }, end: { kind: 'included', key: 'c' } },
      { start: { kind: 'unbounded' }, end: { kind: 'excluded', key: 'b' } },
      { start: { kind: 'included', key: 'c' }, end: { kind: 'unbounded' } },
      { start: { kind: 'included', key: 'c' }, end: { kind: 'excluded', key: 'b' } }, // empty
    );
    const commit = fc.record({
      version: fc.integer({ min: 1, max: 30 }),
      keys: fc.uniqueArray(key, { maxLength: 2 }),
      ranges: fc.array(range, { maxLength: 2 }),
    });
    const share = (a: KeyRange, b: KeyRange) => KEYS.some((k) => inRange(k, a) && inRange(k, b));
    fc.assert(
      fc.property(
        fc.array(commit, { maxLength: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 30 }),
        fc.uniqueArray(key, { maxLength: 2 }),
        fc.uniqueArray(key, { maxLength: 2 }),
        fc.array(range, { maxLength: 2 }),
        (commits, pruneAt, base, writes, readKeys, readRanges) => {
          const tracker = new ConflictTracker(0);
          for (const c of commits) tracker.record(c.version, c.keys, c.ranges);
          tracker.prune(pruneAt);
          const kept = commits.filter((c) => c.version > pruneAt && c.version > base);
          const pointHit = (k: string) => writes.includes(k) || readKeys.includes(k);
          const hit = (c: (typeof commits)[number]) =>
            c.keys.some((k) => pointHit(k) || readRanges.some((r) => inRange(k, r))) ||
            c.ranges.some(
              (w) =>
                [...writes, ...readKeys].some((k) => inRange(k, w)) ||
                readRanges.some((r) => share(r, w)),
            );
          const expected = kept.some(hit);
          const verdict = tracker.check({
            base,
            writes: new Set(writes),
            reads: reads(readKeys, readRanges),
          });
          assert.equal(verdict.kind === 'conflict', expected);
          if (!expected) assert.equal(verdict.kind, base < pruneAt ? 'verify' : 'clear');
          if (verdict.kind === 'conflict') {
            const at = commits.filter((c) => c.version === verdict.version);
            assert.ok(at.some(hit), 'the version reported is that of a conflicting commit');
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('ConflictTracker: written ranges (range drops)', () => {
  const users = prefixRange('u:');

  it('a key written or read inside a written range conflicts (write, read)', () => {
    const tracker = new ConflictTracker(5);
    tracker.record(6, [], [users]);
    assert.deepEqual(tracker.check({ base: 5, writes: new Set(['u:1']) }), {
      kind: 'conflict',
      reason: 'write',
      key: 'u:1',
      version: 6,
    });
    assert.deepEqual(tracker.check({ base: 5, writes: new Set(['b']), reads: reads(['u:7']) }), {
      kind: 'conflict',
      reason: 'read',
      key: 'u:7',
      version: 6,
    });
    assert.deepEqual(tracker.check({ base: 5, writes: new Set(['u']), reads: reads(['v']) }), {
      kind: 'clear',
    });
    assert.deepEqual(tracker.check({ base: 6, writes: new Set(['u:1']) }), { kind: 'clear' });
  });

  it('a read range sharing a key with a written range conflicts (range), naming the first shared key', () => {
    const tracker = new ConflictTracker(0);
    tracker.record(3, [], [users]);
    const check = (range: KeyRange) =>
      tracker.check({ base: 1, writes: new Set(), reads: reads([], [range]) });
    const from = (key: string, exclusive = false): KeyRange => ({
      start: { kind: exclusive ? 'excluded' : 'included', key },
      end: { kind: 'unbounded' },
    });
    assert.deepEqual(check(from('u:5')), {
      kind: 'conflict',
      reason: 'range',
      key: 'u:5',
      version: 3,
    });
    assert.deepEqual(check(from('u:5', true)), {
      kind: 'conflict',
      reason: 'range',
      key: 'u:5\x00',
      version: 3,
    });
    assert.deepEqual(
      check({ start: { kind: 'unbounded' }, end: { kind: 'included', key: 'u:' } }),
      {
        kind: 'conflict',
        reason: 'range',
        key: 'u:',
        version: 3,
      },
    );
    const touching = {
      start: { kind: 'unbounded' },
      end: { kind: 'excluded', key: 'u:' },
    } as const;
    assert.deepEqual(check(touching), { kind: 'clear' }, 'a range that only touches it');
    assert.deepEqual(check(prefixRange('v')), { kind: 'clear' });
    assert.deepEqual(check(ALL_KEYS), { kind: 'conflict', reason: 'range', key: 'u:', version: 3 });
  });

  it('finds the written range among many read ranges with one search of the read set', () => {
    const read = reads(
      [],
      [prefixRange('a'), prefixRange('c'), prefixRange('u:9'), prefixRange('x')],
    );
    assert.deepEqual(read.firstOverlap(users), prefixRange('u:9'));
    assert.equal(read.firstOverlap(prefixRange('b')), undefined);
    assert.deepEqual(read.firstOverlap(ALL_KEYS), prefixRange('a'));
    assert.deepEqual(overlap(users, prefixRange('u:9')), prefixRange('u:9'));
  });

  it('mixes keys and ranges in one commit, and reports the newest commit writing a key', () => {
    const tracker = new ConflictTracker(0);
    tracker.record(2, ['a'], [users]);
    tracker.record(4, [], [prefixRange('u:1')]);
    tracker.record(5, ['b']);
    assert.equal(tracker.size, 3);
    assert.equal(tracker.rangeCount, 2);
    const write = (key: string, base = 1) => tracker.check({ base, writes: new Set([key]) });
    assert.deepEqual(write('u:12'), { kind: 'conflict', reason: 'write', key: 'u:12', version: 4 });
    assert.deepEqual(write('u:2'), { kind: 'conflict', reason: 'write', key: 'u:2', version: 2 });
    assert.deepEqual(write('a'), { kind: 'conflict', reason: 'write', key: 'a', version: 2 });
    assert.deepEqual(write('u:2', 2), { kind: 'clear' });
    assert.deepEqual(write('u:12', 4), { kind: 'clear' });
  });

  it('prune forgets written ranges with their commits', () => {
    const tracker = new ConflictTracker(0);
    tracker.record(2, [], [users]);
    tracker.record(3, ['a'], [prefixRange('v')]);
    tracker.record(4, ['b']);
    tracker.prune(2);
    assert.equal(tracker.rangeCount, 1);
    assert.deepEqual(tracker.check({ base: 2, writes: new Set(['u:1']) }), { kind: 'clear' });
    assert.equal(tracker.check({ base: 2, writes: new Set(['v1']) }).kind, 'conflict');
    tracker.prune(4);
    assert.equal(tracker.rangeCount, 0);
    assert.equal(tracker.size, 0);
    assert.deepEqual(tracker.check({ base: 1, writes: new Set(['v1']) }), {
      kind: 'verify',
      above: 1,
      through: 4,
    });
  });

  it('keeps no empty written range, and no commit that wrote nothing', () => {
    const tracker = new ConflictTracker(0);
    const empty: KeyRange = {
      start: { kind: 'included', key: 'b' },
      end: { kind: 'excluded', key: 'b' },
    };
    tracker.record(1, [], [empty]);
    tracker.record(2, [], []);
    assert.equal(tracker.size, 0);
  });
});
