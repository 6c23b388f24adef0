import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareBytes, fromUtf8, utf8 } from '../common/bytes.js';
import { inRange, type KeyRange, keyIdOf, prefixRange } from './keys.js';
import { type LiveEntry, overlay, WriteBuffer } from './write-buffer.js';

const text = (entries: Iterable<LiveEntry>) =>
  [...entries].map((e) => `${fromUtf8(e.key)}=${fromUtf8(e.value)}`).join(' ');
const live = (pairs: [string, string][]): LiveEntry[] =>
  pairs.map(([k, v]) => ({ key: utf8(k), value: utf8(v) }));
const asEntry = (write: { key: Uint8Array; value: Uint8Array }): LiveEntry => ({
  key: write.key,
  value: write.value,
});
const everything: KeyRange = { start: { kind: 'unbounded' }, end: { kind: 'unbounded' } };

describe('WriteBuffer', () => {
  it('keeps the last write of each key, in key order', () => {
    const buffer = new WriteBuffer();
    buffer.put({ type: 'set', key: utf8('c'), value: utf8('1') });
    buffer.put({ type: 'set', key: utf8('a'), value: utf8('1') });
    buffer.put({ type: 'set', key: utf8('c'), value: utf8('2') });
    buffer.put({ type: 'remove', key: utf8('a') });
    assert.deepEqual(
      buffer.writes().map((w) => `${w.type} ${fromUtf8(w.key)}`),
      ['remove a', 'set c'],
    );
    assert.equal(buffer.get(utf8('c'))?.type, 'set');
    assert.equal(buffer.get(utf8('z')), undefined);
  });

  it('counts drops as part of the commit and of its conflict keys, apart from reads', () => {
    const buffer = new WriteBuffer();
    assert.equal(buffer.empty, true);
    buffer.drop({ key: utf8('h'), keepLastVersions: 1 });
    assert.equal(buffer.empty, false);
    buffer.put({ type: 'set', key: utf8('a'), value: utf8('1') });
    assert.deepEqual([...buffer.keys()].sort(), ['a', 'h']);
    assert.equal(buffer.get(utf8('h')), undefined);
    buffer.clear();
    assert.equal(buffer.empty, true);
    assert.deepEqual(buffer.drops(), []);
  });

  it('lays its writes over the snapshot in both directions: sets replace and add, deletes hide', () => {
    const buffer = new WriteBuffer();
    buffer.put({ type: 'set', key: utf8('a'), value: utf8('9') });
    buffer.put({ type: 'set', key: utf8('b'), value: utf8('2') });
    buffer.put({ type: 'remove', key: utf8('d') });
    buffer.put({ type: 'set', key: utf8('e'), value: utf8('5') });
    const snapshot = live([
      ['a', '1'],
      ['c', '3'],
      ['d', '4'],
    ]);
    assert.equal(
      text(overlay(snapshot, buffer.within(everything, false), false, asEntry)),
      'a=9 b=2 c=3 e=5',
    );
    assert.equal(
      text(overlay([...snapshot].reverse(), buffer.within(everything, true), true, asEntry)),
      'e=5 c=3 b=2 a=9',
    );
  });

  it('takes only the writes inside the range, bounds respected', () => {
    const buffer = new WriteBuffer();
    for (const key of ['a', 'b', 'ba', 'bb', 'c']) {
      buffer.put({ type: 'set', key: utf8(key), value: utf8('x') });
    }
    const keys = (range: KeyRange, reverse = false) =>
      buffer.within(range, reverse).map((w) => fromUtf8(w.key));
    assert.deepEqual(keys(prefixRange('b')), ['b', 'ba', 'bb']);
    assert.deepEqual(keys(prefixRange('b'), true), ['bb', 'ba', 'b']);
    assert.deepEqual(
      keys({ start: { kind: 'excluded', key: 'b' }, end: { kind: 'included', key: 'bb' } }),
      ['ba', 'bb'],
    );
  });

  it('matches a merge by hand for any snapshot, writes and range', () => {
    const key = fc.constantFrom('a', 'b', 'ba', 'bb', 'c', 'd');
    const write = fc.record({ key, del: fc.boolean(), value: fc.constantFrom('1', '2') });
    const range = fc.constantFrom(everything, prefixRange('b'), {
      start: { kind: 'included' as const, key: 'b' },
      end: { kind: 'excluded' as const, key: 'c' },
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(key, { maxLength: 6 }),
        fc.array(write, { maxLength: 8 }),
        range,
        fc.boolean(),
        (snapshotKeys, writes, r, reverse) => {
          const model = new Map<string, string | undefined>();
          for (const k of snapshotKeys) if (inRange(k, r)) model.set(k, 's');
          const buffer = new WriteBuffer();
          for (const w of writes) {
            buffer.put(
              w.del
                ? { type: 'remove', key: utf8(w.key) }
                : { type: 'set', key: utf8(w.key), value: utf8(w.value) },
            );
            if (inRange(w.key, r)) model.set(w.key, w.del ? undefined : w.value);
          }
          const sorted = [...model.entries()]
            .filter(([, v]) => v !== undefined)
            .sort(([a], [b]) => compareBytes(utf8(a), utf8(b)));
          if (reverse) sorted.reverse();
          const snapshot = snapshotKeys
            .filter((k) => inRange(k, r))
            .sort((a, b) => (reverse ? -1 : 1) * compareBytes(utf8(a), utf8(b)))
            .map((k) => ({ key: utf8(k), value: utf8('s') }));
          const merged = [...overlay(snapshot, buffer.within(r, reverse), reverse, asEntry)];
          assert.deepEqual(
            merged.map((e) => [keyIdOf(e.key), fromUtf8(e.value)]),
            sorted,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
