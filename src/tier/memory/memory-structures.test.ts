/**
 * The memory tier's building blocks: the byte-to-string key mapping, the
 * version chain and the two-index table.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes } from '../../common/bytes.js';
import { isStoreError } from '../../common/errors.js';
import { UNBOUNDED } from '../tier.js';
import { compareKeyStrings, keyString } from './key-string.js';
import { MemoryTable } from './memory-table.js';
import { MemoryTier } from './memory-tier.js';
import { floorIndex, VersionChain } from './version-chain.js';

const bytes = (...values: number[]) => new Uint8Array(values);
/** The versions 0..n-1: the oldest n, the usual erasure. */
const range = (n: number) => Array.from({ length: n }, (_, v) => v);

describe('keyString', () => {
  it('maps every byte value to the code unit of the same value, at every length', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    for (const length of [1, 24, 25, 256]) {
      const key = all.subarray(256 - length);
      const text = keyString(key);
      assert.equal(text.length, length);
      for (let i = 0; i < length; i++) assert.equal(text.charCodeAt(i), key[i]);
    }
    assert.equal(keyString(bytes()), '');
    assert.equal(keyString(bytes(0x80, 0x9f)), '\u0080\u009f', 'not windows-1252');
  });

  it('orders strings exactly as compareBytes orders the keys', () => {
    const keys = [
      bytes(),
      bytes(0),
      bytes(0, 0),
      bytes(0x7f),
      bytes(0x80),
      bytes(0xff),
      bytes(0xff, 0),
      bytes(0x61),
      bytes(0x61, 0x62),
      Uint8Array.from({ length: 30 }, () => 0xff),
      Uint8Array.from({ length: 30 }, (_, i) => i),
    ];
    for (const a of keys) {
      for (const b of keys) {
        assert.equal(
          Math.sign(compareKeyStrings(keyString(a), keyString(b))),
          Math.sign(compareBytes(a, b)),
        );
      }
    }
  });

  it('reads only the bytes of a view, not the whole buffer', () => {
    const buffer = bytes(1, 2, 3, 4, 5);
    assert.equal(keyString(buffer.subarray(1, 3)), '\u0002\u0003');
    const long = Uint8Array.from({ length: 40 }, (_, i) => i);
    assert.equal(keyString(long.subarray(5, 35)), keyString(long.slice(5, 35)));
  });
});

describe('VersionChain', () => {
  it('keeps versions sorted whatever the arrival order, replacing equal versions', () => {
    const chain = new VersionChain('\u0001', 10, bytes(10));
    for (const v of [20, 15, 5, 30, 15, 25]) chain.put(v, bytes(v));
    assert.deepEqual(chain.key, bytes(1));
    assert.deepEqual(
      chain.allVersions().map((e) => e.version),
      [30, 25, 20, 15, 10, 5],
    );
    assert.equal(chain.size, 6);
    chain.removeAll([16, 15]);
    chain.removeAll([15, 15]);
    assert.equal(chain.size, 5);
    assert.deepEqual(
      chain.allVersions().map((e) => [e.version, e.value?.[0]]),
      [
        [30, 30],
        [25, 25],
        [20, 20],
        [10, 10],
        [5, 5],
      ],
    );
    assert.equal(chain.visible(19)?.version, 10);
    assert.equal(chain.visible(4), undefined);
  });

  it('erases any set of versions in one pass, keeping the others in order with their values', () => {
    const chain = new VersionChain('k', 0, bytes(0));
    for (let v = 1; v < 100; v++) chain.put(v, v % 7 === 0 ? undefined : bytes(v));
    const erase = Array.from({ length: 100 }, (_, v) => v).filter((v) => v % 3 !== 1);
    chain.removeAll(erase);
    const expected = Array.from({ length: 100 }, (_, v) => v)
      .filter((v) => v % 3 === 1)
      .reverse()
      .map((v) => [v, v % 7 === 0 ? undefined : v]);
    assert.deepEqual(
      chain.allVersions().map((e) => [e.version, e.value?.[0]]),
      expected,
    );
    chain.removeAll(expected.map(([v]) => v as number));
    assert.equal(chain.size, 0);
  });

  it('a key written once holds one version, replaced in place, until a second one arrives', () => {
    const chain = new VersionChain('k', 5, bytes(1));
    assert.equal(chain.put(5, bytes(2)), false, 'a replacement');
    assert.equal(chain.size, 1);
    assert.deepEqual(chain.visible(9)?.value, bytes(2));
    assert.equal(chain.visible(4), undefined);
    assert.deepEqual(chain.sizes(), [{ version: 5, valueBytes: 1 }]);
    assert.equal(chain.sizeOf(4), undefined);
    assert.deepEqual(chain.removeAll([4, 6]), [], 'versions it does not store');
    assert.equal(chain.put(3, undefined), true, 'a second version, older');
    assert.deepEqual(
      chain.allVersions().map((e) => [e.version, e.value?.[0]]),
      [
        [5, 2],
        [3, undefined],
      ],
    );
    assert.deepEqual(chain.removeAll([5, 3]), [3, 5]);
    assert.equal(chain.size, 0);
    assert.equal(chain.newestSize(), undefined);
  });

  it('trimOldest keeps the N highest: an inline version stays, an array chain keeps its arrays', () => {
    const single = new VersionChain('k', 5, bytes(1));
    assert.deepEqual(single.trimOldest(1), [], 'one version, keep 1: nothing goes');
    assert.deepEqual(single.trimOldest(3), []);
    assert.equal(single.size, 1);
    assert.equal(single.oldest, 5);
    assert.deepEqual(single.visible(9)?.value, bytes(1));
    const chain = new VersionChain('k', 1, bytes(1));
    for (const version of [2, 3, 4]) chain.put(version, version === 3 ? undefined : bytes(version));
    assert.deepEqual(chain.trimOldest(2), [
      { version: 1, valueBytes: 1 },
      { version: 2, valueBytes: 1 },
    ]);
    assert.deepEqual(
      chain.allVersions().map((e) => e.version),
      [4, 3],
    );
    assert.deepEqual(chain.trimOldest(1), [{ version: 3, valueBytes: undefined }]);
    assert.equal(chain.oldest, 4);
    assert.equal(chain.size, 1);
    assert.equal(chain.put(6, bytes(6)), true, 'a write after a trim to one version appends');
    assert.equal(chain.put(5, bytes(5)), true, 'and one below it is placed in order');
    assert.deepEqual(chain.trimOldest(1), [
      { version: 4, valueBytes: 1 },
      { version: 5, valueBytes: 1 },
    ]);
    assert.deepEqual(chain.visible(9)?.value, bytes(6));
    assert.equal(chain.visible(5), undefined);
  });

  it('answers like a plain sorted list under any sequence of writes and erasures', () => {
    type Step =
      | { erase: number[] }
      | { trim: number }
      | { below: number }
      | { version: number; value: number | undefined };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ version: fc.nat(30), value: fc.option(fc.nat(255), { nil: undefined }) }),
      fc.record({
        erase: fc.oneof(
          fc.array(fc.nat(31)),
          fc.nat(31).map((n) => range(n)),
        ),
      }),
      // Keep the N highest: an inline chain (one version) and an array chain alike.
      fc.record({ trim: fc.nat(4) }),
      // Erase the oldest versions, below a bound (a drop's prefix erasure).
      fc.record({ below: fc.nat(32) }),
    );
    fc.assert(
      fc.property(fc.nat(30), fc.array(step, { maxLength: 40 }), (first, steps) => {
        const chain = new VersionChain('k', first, bytes(first % 256));
        const model = new Map<number, number | undefined>([[first, first % 256]]);
        for (const next of steps) {
          if ('below' in next) {
            const gone = [...model].filter(([v]) => v < next.below).sort(([x], [y]) => x - y);
            const count = chain.countBelow(next.below);
            assert.equal(count, gone.length);
            const read = Array.from({ length: count }, (_, at) => [
              chain.versionAt(at),
              chain.valueBytesAt(at),
            ]);
            assert.deepEqual(
              read,
              gone.map(([version, v]) => [version, v === undefined ? undefined : 1]),
            );
            assert.deepEqual(
              chain.removeOldest(count),
              gone.map(([version]) => version),
            );
            for (const [version] of gone) model.delete(version);
          } else if ('trim' in next) {
            const ascending = [...model].sort(([x], [y]) => x - y);
            const gone = ascending.slice(0, Math.max(0, ascending.length - next.trim));
            assert.deepEqual(
              chain.trimOldest(next.trim),
              gone.map(([version, v]) => ({
                version,
                valueBytes: v === undefined ? undefined : 1,
              })),
            );
            for (const [version] of gone) model.delete(version);
          } else if ('erase' in next) {
            const stored = [...new Set(next.erase)].filter((v) => model.has(v));
            assert.deepEqual(
              chain.removeAll(next.erase),
              stored.sort((x, y) => x - y),
            );
            for (const version of stored) model.delete(version);
          } else {
            const value = next.value === undefined ? undefined : bytes(next.value);
            assert.equal(chain.put(next.version, value), !model.has(next.version));
            model.set(next.version, next.value);
          }
          const newestFirst = [...model].sort(([x], [y]) => y - x);
          assert.equal(chain.size, model.size);
          assert.deepEqual(
            chain.versionsNewestFirst(),
            newestFirst.map(([version]) => version),
          );
          if (model.size > 0) assert.equal(chain.oldest, Math.min(...model.keys()));
          assert.deepEqual(
            chain.allVersions().map((e) => [e.version, e.value?.[0]]),
            newestFirst,
          );
          assert.deepEqual(
            chain.sizes(),
            newestFirst.map(([version, v]) => ({
              version,
              valueBytes: v === undefined ? undefined : 1,
            })),
          );
          for (let at = 0; at <= 31; at++) {
            const expected = newestFirst.find(([version]) => version <= at)?.[0];
            assert.equal(chain.visible(at)?.version, expected, `visible at ${at}`);
            assert.equal(chain.has(at), model.has(at));
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('floorIndex finds the highest version at or below', () => {
    const versions = [2, 4, 6, 8];
    const cases: [number, number][] = [
      [0, -1],
      [1, -1],
      [2, 0],
      [3, 0],
      [4, 1],
      [7, 2],
      [8, 3],
      [99, 3],
    ];
    for (const [version, index] of cases)
      assert.equal(floorIndex(versions, version), index, `${version}`);
    assert.equal(floorIndex([], 5), -1);
  });

  it('reads at exactly the newest version in one probe', () => {
    let probes = 0;
    const versions = new Proxy([1, 2, 3, 4, 5, 6, 7, 8], {
      get(target, property, receiver) {
        if (typeof property === 'string' && /^\d+$/.test(property)) probes++;
        return Reflect.get(target, property, receiver);
      },
    });
    assert.equal(floorIndex(versions, 8), 7);
    assert.equal(probes, 1);
  });
});

describe('MemoryTable', () => {
  it('forgets a key from both indexes once its last version is dropped', () => {
    const table = new MemoryTable('t');
    table.put({ key: bytes(1), value: bytes(1) }, 1);
    table.put({ key: bytes(1), value: undefined }, 2);
    table.put({ key: bytes(2), value: bytes(2) }, 1);
    table.removeVersions(keyString(bytes(1)), [1]);
    assert.equal(table.keyCount, 2);
    table.removeVersions(keyString(bytes(1)), [3, 2]);
    assert.equal(table.keyCount, 1);
    assert.equal(table.chain(bytes(1)), undefined);
    assert.equal(
      table.seek(undefined, true, false)?.id,
      '\u0002',
      'the ordered index forgot it too',
    );
    assert.equal(table.seek(undefined, true, true)?.id, '\u0002');
  });

  it('keeps its own copy of a key', () => {
    const table = new MemoryTable('t');
    const key = bytes(7);
    table.put({ key, value: bytes(1) }, 1);
    key[0] = 8;
    assert.deepEqual(table.seek(undefined, true, false)?.key, bytes(7));
  });
});

describe('MemoryTable version log', () => {
  it('indexes one (version, key) pair per stored version and lets erased ones go', () => {
    const table = new MemoryTable('t');
    for (let version = 1; version <= 50; version++) {
      for (let key = 0; key < 4; key++)
        table.put({ key: bytes(key), value: bytes(version) }, version);
    }
    table.put({ key: bytes(0), value: bytes(9) }, 50); // a replacement is still one pair
    assert.equal(table.indexedVersions, 200);
    // A retention-like erasure: every key keeps its newest version only.
    const older = Array.from({ length: 49 }, (_, i) => i + 1);
    for (let key = 0; key < 4; key++) table.removeVersions(keyString(bytes(key)), older);
    assert.equal(table.indexedVersions, 4, 'the log holds what is stored, nothing erased');
    table.removeVersions(keyString(bytes(0)), [50]);
    assert.equal(table.indexedVersions, 3);
    table.clear();
    assert.equal(table.indexedVersions, 0);
  });

  it('an erasure below a bound tells each erased version in order, keeps the log exact, and forgets an emptied key', () => {
    const table = new MemoryTable('t');
    for (let version = 1; version <= 10; version++) {
      for (let key = 0; key < 3; key++) {
        const value = version % 4 === 0 ? undefined : bytes(version, version);
        table.put({ key: bytes(key), value }, version);
      }
    }
    const heard: string[] = [];
    const tell = (name: string, erasure: { key: Uint8Array }, version: number, size?: number) =>
      heard.push(`${name} ${erasure.key[0]}@${version}:${size ?? '~'}`);
    table.removeBelow({ key: bytes(0), below: 5 }, tell);
    assert.deepEqual(heard, ['t 0@1:2', 't 0@2:2', 't 0@3:2', 't 0@4:~']);
    assert.deepEqual(table.versions(bytes(0)), [10, 9, 8, 7, 6, 5]);
    for (let key = 0; key < 3; key++) table.removeBelow({ key: bytes(key), below: 10 }, tell);
    assert.equal(table.indexedVersions, 3, 'only the newest version of each key is indexed');
    table.removeBelow({ key: bytes(1), below: 11 }, tell);
    assert.equal(table.indexedVersions, 2);
    assert.equal(table.chain(bytes(1)), undefined, 'a key with no version left is forgotten');
    assert.equal(table.keyCount, 2);
    const count = heard.length;
    table.removeBelow({ key: bytes(7), below: 11 }, tell);
    table.removeBelow({ key: bytes(2), below: 10 }, tell);
    assert.equal(heard.length, count, 'nothing to erase, nothing told');
  });
});

describe('MemoryTable version log, lazy erasures', () => {
  const everything = (from: number, to: number) => ({
    start: UNBOUNDED,
    end: UNBOUNDED,
    from,
    to,
    limit: 1000,
    cursor: undefined,
  });
  const listed = (table: MemoryTable, from: number, to: number) =>
    table.changePage(everything(from, to)).entries.map((e) => `${e.key[0]}@${e.version}`);

  it('a pair erased and then stored again is listed once, and counted once', () => {
    const table = new MemoryTable('t');
    for (let key = 0; key < 8; key++) {
      for (let version = 1; version <= 3; version++)
        table.put({ key: bytes(key), value: bytes(version) }, version);
    }
    // Erase version 2 of three keys: fewer than half, so the listings linger.
    for (const key of [1, 4, 6]) table.removeVersions(keyString(bytes(key)), [2]);
    assert.equal(table.indexedVersions, 21);
    assert.deepEqual(listed(table, 1, 2), ['0@2', '2@2', '3@2', '5@2', '7@2']);
    table.put({ key: bytes(4), value: bytes(9) }, 2); // a write into history, where it was erased
    assert.equal(table.indexedVersions, 22);
    assert.deepEqual(listed(table, 1, 2), ['0@2', '2@2', '3@2', '4@2', '5@2', '7@2']);
    // Erasing the rest of version 2 compacts its listing away.
    for (const key of [0, 2, 3, 4, 5, 7]) table.removeVersions(keyString(bytes(key)), [2]);
    assert.equal(table.indexedVersions, 16);
    assert.deepEqual(listed(table, 1, 2), []);
  });
});

describe('MemoryTier erased top', () => {
  it('drop raises it and never lowers it, clearTable resets it, a bad one is INVALID_VERSION', () => {
    const tier = new MemoryTier();
    try {
      tier.ensureTable('t');
      assert.equal(tier.erasedTop('t'), 0, 'a table that never erased');
      tier.drop(new Map(), undefined, { erasedTops: new Map([['t', 4]]) });
      tier.drop(new Map(), undefined, { erasedTops: new Map([['t', 2]]) });
      assert.equal(tier.erasedTop('t'), 4);
      assert.equal(tier.erasedTop('other'), 0);
      assert.throws(
        () => tier.drop(new Map(), undefined, { erasedTops: new Map([['t', -1]]) }),
        (error: unknown) => isStoreError(error) && error.code === 'INVALID_VERSION',
      );
      tier.clearTable('t');
      assert.equal(tier.erasedTop('t'), 0);
    } finally {
      tier.close();
    }
  });
});
