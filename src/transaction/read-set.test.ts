import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ALL_KEYS,
  firstKeyOf,
  inRange,
  isEmptyRange,
  type KeyBound,
  type KeyRange,
  keyIdOf,
  keyRangeOf,
  OPEN,
  prefixRange,
} from './keys.js';
import { ReadSet } from './read-set.js';

/** Keys over a tiny alphabet with the edge bytes, so ranges and prefixes collide often. */
const keyId = fc
  .array(fc.constantFrom(0x00, 0x61, 0x62, 0xff), { maxLength: 4 })
  .map((bytes) => String.fromCharCode(...bytes));

const bound: fc.Arbitrary<KeyBound> = fc.oneof(
  fc.constant(OPEN),
  fc.record({ kind: fc.constantFrom('included' as const, 'excluded' as const), key: keyId }),
);
const range: fc.Arbitrary<KeyRange> = fc.oneof(
  fc.record({ start: bound, end: bound }),
  keyId.map(prefixRange),
);

const included = (key: string): KeyBound => ({ kind: 'included', key });
const excluded = (key: string): KeyBound => ({ kind: 'excluded', key });

describe('key ranges', () => {
  it('orders key ids bytewise, a prefix first', () => {
    assert.ok(keyIdOf(new Uint8Array([0x62])) < keyIdOf(new Uint8Array([0x62, 0x00])));
    assert.ok(keyIdOf(new Uint8Array([0x7f])) < keyIdOf(new Uint8Array([0xff])));
  });

  it('a prefix range holds exactly the keys starting with the prefix', () => {
    fc.assert(
      fc.property(keyId, keyId, (prefix, key) => {
        assert.equal(inRange(key, prefixRange(prefix)), key.startsWith(prefix));
      }),
    );
  });

  it('converts byte bounds to key id bounds', () => {
    const converted = keyRangeOf(
      { kind: 'included', key: new Uint8Array([0x61]) },
      { kind: 'unbounded' },
    );
    assert.deepEqual(converted, { start: included('a'), end: OPEN });
  });

  it('knows which ranges hold no key', () => {
    assert.equal(isEmptyRange({ start: included('b'), end: excluded('b') }), true);
    assert.equal(isEmptyRange({ start: included('b'), end: included('b') }), false);
    assert.equal(isEmptyRange({ start: included('c'), end: included('b') }), true);
    assert.equal(isEmptyRange(ALL_KEYS), false);
    // No key sorts before the empty key.
    assert.equal(isEmptyRange({ start: OPEN, end: excluded('') }), true);
    assert.equal(isEmptyRange({ start: OPEN, end: included('') }), false);
  });
});

describe('ReadSet', () => {
  it('covers exactly the keys read and the keys inside the ranges read', () => {
    const read = fc.oneof(
      keyId.map((key) => ({ key })),
      range.map((r) => ({ range: r })),
    );
    fc.assert(
      fc.property(
        fc.array(read, { maxLength: 12 }),
        fc.array(keyId, { maxLength: 20 }),
        (reads, probes) => {
          const set = new ReadSet();
          for (const r of reads) {
            if ('key' in r) set.addKey(r.key);
            else set.addRange(r.range);
          }
          for (const probe of probes) {
            const expected = reads.some((r) =>
              'key' in r ? r.key === probe : inRange(probe, r.range),
            );
            assert.equal(set.covers(probe), expected, `probe ${JSON.stringify(probe)}`);
          }
          for (let i = 1; i < set.ranges.length; i++) {
            const before = set.ranges[i - 1] as KeyRange;
            assert.equal(isEmptyRange(before), false);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('merges overlapping and touching ranges into one', () => {
    const set = new ReadSet();
    set.addRange({ start: included('a'), end: excluded('c') });
    set.addRange({ start: included('c'), end: excluded('e') });
    set.addRange({ start: included('b'), end: included('d') });
    assert.deepEqual(set.ranges, [{ start: included('a'), end: excluded('e') }]);
  });

  it('keeps ranges separated by a key apart', () => {
    const set = new ReadSet();
    set.addRange({ start: included('a'), end: excluded('b') });
    set.addRange({ start: excluded('b'), end: excluded('c') });
    assert.equal(set.ranges.length, 2);
    assert.equal(set.covers('b'), false);
  });

  it('meets a written range exactly where it shares a key with a range read, and names a shared key', () => {
    // Ranges as the API makes them: a start included or unbounded.
    const start: fc.Arbitrary<KeyBound> = fc.oneof(fc.constant(OPEN), keyId.map(included));
    const apiRange = fc.oneof(fc.record({ start, end: bound }), keyId.map(prefixRange));
    const keys = [''];
    for (let length = 1; length <= 5; length++) {
      for (const key of keys.filter((k) => k.length === length - 1)) {
        for (const byte of [0x00, 0x61, 0x62, 0xff]) keys.push(key + String.fromCharCode(byte));
      }
    }
    fc.assert(
      fc.property(fc.array(apiRange, { maxLength: 6 }), apiRange, (ranges, written) => {
        const reads = new ReadSet();
        for (const read of ranges) reads.addRange(read);
        const shares = (key: string) =>
          inRange(key, written) && ranges.some((r) => inRange(key, r));
        const found = reads.firstOverlap(written);
        assert.equal(found !== undefined, keys.some(shares));
        if (found !== undefined) assert.ok(shares(firstKeyOf(found)));
      }),
      { numRuns: 3_000 },
    );
  });

  it('turns a scan of every key into one flag', () => {
    const set = new ReadSet();
    set.addRange({ start: included('a'), end: excluded('b') });
    set.addRange(ALL_KEYS);
    assert.equal(set.everything, true);
    assert.deepEqual(set.ranges, []);
    assert.equal(set.covers('\xff\xff'), true);
  });

  it('tells keys read directly from keys inside ranges, and knows when it is empty', () => {
    const set = new ReadSet();
    assert.equal(set.empty, true);
    set.addRange({ start: included('k'), end: excluded('b') }); // empty: ignored
    assert.equal(set.empty, true);
    set.addKey('x');
    set.addRange(prefixRange('a'));
    assert.equal(set.hasKey('x'), true);
    assert.equal(set.inRanges('x'), false);
    assert.equal(set.inRanges('ab'), true);
    assert.equal(set.hasKey('ab'), false);
    assert.equal(set.empty, false);
  });

  it('adds a range with a binary search, not a pass over every range kept (many scans stay cheap)', () => {
    // Every bound read of a kept range is counted: adding one range may look
    // at O(log n) kept ranges, never at all n of them (20,000 prefix scans of
    // a serializable transaction used to take tens of seconds).
    const count = 4_000;
    let reads = 0;
    const counted = (key: string): KeyRange => {
      const { start, end } = prefixRange(key);
      return {
        get start() {
          reads++;
          return start;
        },
        get end() {
          reads++;
          return end;
        },
      };
    };
    const id = (n: number) => `user:${String(n).padStart(6, '0')}:`;
    for (const order of ['ascending', 'descending', 'interleaved'] as const) {
      const set = new ReadSet();
      reads = 0;
      for (let i = 0; i < count; i++) {
        const n =
          order === 'ascending' ? i : order === 'descending' ? count - i : (i * 7919) % count;
        set.addRange(counted(id(n)));
      }
      assert.equal(set.ranges.length, count, order);
      assert.ok(reads < count * 64, `${order}: ${reads} bound reads for ${count} ranges`);
      assert.ok(set.covers(`${id(17)}x`) && !set.covers('user:'), order);
    }
  });
});
