import assert from 'node:assert/strict';
import { it, describe as suite } from 'node:test';
import { describe, quoteShort } from './bytes.js';

suite('describe: what a value is, for "..., got X" in error messages', () => {
  it('reads as English for every kind of value, showing short values', () => {
    class Thing {}
    const cases: [unknown, string][] = [
      [undefined, 'undefined'],
      [null, 'null'],
      [-1, 'the number -1'],
      [Number.NaN, 'the number NaN'],
      [true, 'the boolean true'],
      [5n, 'the bigint 5n'],
      ['sett', 'the string "sett"'],
      ['', 'the string ""'],
      ['a"b\n', 'the string "a\\"b\\n"'],
      [Symbol('s'), 'a symbol'],
      [() => 1, 'a function'],
      [[1], 'an array'],
      [{}, 'an object'],
      [Object.create(null), 'an object'],
      [new Map(), 'an object (Map)'],
      [new Thing(), 'an object (Thing)'],
    ];
    for (const [value, expected] of cases) assert.equal(describe(value), expected);
  });

  it('never throws: a Proxy refusing every access, or a revoked one, is an object', () => {
    const refuse = () => {
      throw new Error('refused');
    };
    const hostile = new Proxy({}, { get: refuse, getPrototypeOf: refuse, has: refuse });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    assert.equal(describe(hostile), 'an object');
    assert.equal(describe(proxy), 'an object');
    assert.equal(describe(new Proxy(() => 1, { get: refuse })), 'a function');
  });

  it('cuts long strings, saying how long they were', () => {
    assert.equal(quoteShort('x'.repeat(40)), `"${'x'.repeat(40)}"`);
    assert.equal(quoteShort('y'.repeat(41)), `"${'y'.repeat(40)}"... (41 characters)`);
  });
});
