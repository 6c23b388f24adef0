import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isStoreError } from '../common/errors.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import { codecsFor } from './encodings.js';

/** Edges of the encodings a careless caller meets: they are refused with a code or read back as written. */

const throwsCode = (fn: () => unknown, code: string, message?: RegExp) =>
  assert.throws(
    fn,
    (error: unknown) =>
      isStoreError(error, code as never) && (message === undefined || message.test(error.message)),
  );

forEachStoreSetup((setup) => {
  it('an ordered key of -0 is the key 0 (alone and inside an array)', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      store.commit([{ type: 'set', key: -0, value: 'minus zero' }]);
      store.commit([{ type: 'set', key: ['n', -0], value: 'in an array' }]);
      assert.equal(store.get(0)?.value, 'minus zero');
      assert.equal(store.get(['n', 0])?.value, 'in an array');
      assert.deepEqual(
        [...store.range()].map((e) => e.key),
        [0, ['n', 0]],
      );
      store.commit([{ type: 'set', key: 0, value: 'zero' }]);
      assert.deepEqual(
        store.versions(-0).map((v) => v.value),
        ['zero', 'minus zero'],
      );
    } finally {
      await store.close();
    }
  });

  it('an ordered key too long for the encoding is INVALID_KEY, in writes, reads and bounds', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      const long = 'x'.repeat(40_000);
      throwsCode(() => store.commit([{ type: 'set', key: long, value: 'v' }]), 'INVALID_KEY');
      throwsCode(
        () => store.commit([{ type: 'set', key: ['a', long], value: 'v' }]),
        'INVALID_KEY',
      );
      throwsCode(() => store.get(long), 'INVALID_KEY');
      throwsCode(() => store.range({ start: long }), 'INVALID_KEY');
      throwsCode(() => store.range({ prefix: long }), 'INVALID_KEY', /prefix/);
      assert.equal(store.latestVersion, 0, 'nothing was written');
      // The limit is ordered-binary's 8,188 bytes; a key at it still works after the refusals.
      throwsCode(() => store.get('x'.repeat(8189)), 'INVALID_KEY', /8,188 bytes/);
      store.commit([{ type: 'set', key: 'x'.repeat(8188), value: 'fits' }]);
      assert.equal(store.get('x'.repeat(8188))?.value, 'fits');
      assert.equal(
        store.get('é'.repeat(4094))?.value,
        undefined,
        'two-byte characters: half as many',
      );
    } finally {
      await store.close();
    }
  });

  it('a msgpack value that packs as undefined (a function) is refused, never read as a tombstone', async () => {
    const store = setup.open({ valueEncoding: 'msgpack' });
    try {
      throwsCode(
        () => store.commit([{ type: 'set', key: 'k', value: () => 1 }]),
        'INVALID_VALUE',
        /function/,
      );
      throwsCode(() => store.begin().set('k', () => 1), 'INVALID_VALUE');
      assert.equal(store.latestVersion, 0);
      assert.deepEqual(store.versions('k'), []);
      // Inside a container msgpackr keeps the slot: that is a value, read back as written.
      store.commit([{ type: 'set', key: 'k', value: [undefined] }]);
      assert.deepEqual(store.get('k')?.value, [undefined]);
    } finally {
      await store.close();
    }
  });

  it('utf8 keys and values refuse lone surrogates rather than merge them into U+FFFD', async () => {
    const store = setup.open({ keyEncoding: 'utf8', valueEncoding: 'utf8' });
    try {
      throwsCode(
        () => store.commit([{ type: 'set', key: '\ud800', value: 'a' }]),
        'INVALID_KEY',
        /surrogate/,
      );
      throwsCode(
        () => store.commit([{ type: 'set', key: 'k', value: 'x\udc00' }]),
        'INVALID_VALUE',
        /surrogate/,
      );
      throwsCode(() => store.get('\udc00'), 'INVALID_KEY');
      throwsCode(() => store.range({ prefix: '\ud83d' }), 'INVALID_KEY', /prefix/);
      assert.equal(store.latestVersion, 0);
      // A well-formed pair is one code point and round-trips.
      store.commit([{ type: 'set', key: '😀', value: '😀' }]);
      assert.deepEqual(
        [...store.range()].map((e) => [e.key, e.value]),
        [['😀', '😀']],
      );
    } finally {
      await store.close();
    }
  });
});

forEachStoreSetup((setup) => {
  it('a one-element ordered array is its element: one key, as it reads back (numbers included)', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      const parts = [1, 2.5, -3, 1e10, 'a', true, null];
      for (const part of parts) {
        store.commit([{ type: 'set', key: [part], value: `array ${part}` }]);
        store.commit([{ type: 'set', key: part, value: `part ${part}` }]);
      }
      assert.deepEqual(
        [...store.range()].map((e) => [e.key, e.value]),
        [null, true, -3, 1, 2.5, 1e10, 'a'].map((part) => [part, `part ${part}`]),
      );
      for (const part of parts) {
        assert.deepEqual(
          store.versions([part]).map((v) => v.value),
          [`part ${part}`, `array ${part}`],
        );
      }
      // As a bound or a prefix too: [1] is 1.
      assert.deepEqual(
        [...store.range({ prefix: [1] })].map((e) => e.key),
        [1],
      );
      assert.deepEqual(
        [...store.range({ start: [1], end: [1], endInclusive: true })].map((e) => e.key),
        [1],
      );
    } finally {
      await store.close();
    }
  });

  it('an ordered array ordered-binary cannot read back (nulls it mistakes) is INVALID_KEY', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      // Read back, these were [0, false, ''], ['a', null, ''] and a shorter array.
      for (const key of [
        [0, false, null],
        ['a', null, null],
        ['', false, null, null, ''],
      ]) {
        throwsCode(
          () => store.commit([{ type: 'set', key, value: 'v' }]),
          'INVALID_KEY',
          /cannot read it back/,
        );
      }
      assert.equal(store.latestVersion, 0);
      // Nulls it reads back are keys as any other.
      const fine = [
        ['a', null],
        [null, 'a'],
        [null, null],
        [null, 1, 'x'],
      ];
      store.commit(fine.map((key) => ({ type: 'set', key, value: JSON.stringify(key) })));
      assert.deepEqual(
        [...store.range()].map((e) => JSON.stringify(e.key)),
        [...store.range()].map((e) => e.value),
      );
      assert.equal([...store.range()].length, fine.length);
    } finally {
      await store.close();
    }
  });

  it('ordered arrays sort right after their first element, and a one-element array is that element', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'utf8' });
    try {
      const keys = ['b', 2, [1, 'x'], 1, 'a', ['a', 1], null, ['a'], true, '😀', '\uffff'];
      store.commit(keys.map((key) => ({ type: 'set', key, value: JSON.stringify(key) })));
      // ['a'] and 'a' are one key: the later write ('["a"]') holds it, and reads say 'a'.
      assert.deepEqual(
        [...store.range()].map((e) => [e.key, e.value]),
        [
          [null, 'null'],
          [true, 'true'],
          [1, '1'],
          [[1, 'x'], '[1,"x"]'],
          [2, '2'],
          ['a', '["a"]'],
          [['a', 1], '["a",1]'],
          ['b', '"b"'],
          // Strings in code point order (their UTF-8 bytes), not JavaScript's `<`.
          ['\uffff', '"\uffff"'],
          ['😀', '"😀"'],
        ],
      );
    } finally {
      await store.close();
    }
  });

  it('statistics count the stored (encoded) bytes of keys and values', async () => {
    const store = setup.open({ keyEncoding: 'ordered', valueEncoding: 'json' });
    try {
      store.commit([{ type: 'set', key: ['t', 1], value: 1 }]);
      store.commit([{ type: 'set', key: ['t', 1], value: 'ab' }]);
      await store.flush();
      const { total } = store.stats();
      // ['t', 1]: 't', a separator and a 9-byte number; + 10 per version. JSON 1 and "ab".
      assert.deepEqual(
        [
          total.currentKeyBytes,
          total.currentValueBytes,
          total.historicalKeyBytes,
          total.historicalValueBytes,
        ],
        [21, 4, 21, 1],
      );
    } finally {
      await store.close();
    }
  });
});

it('every ordered key the store takes reads back as written and encodes to the same bytes again', () => {
  const codecs = codecsFor('ordered', 'binary');
  const part = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom('', '\u0000', '\u001b', 'a\u0000'),
  );
  const key = fc.oneof(part, fc.array(part, { minLength: 1, maxLength: 6 }));
  // What the store means by a key: -0 is 0, a one-element array its element.
  const meant = (k: unknown): unknown =>
    Array.isArray(k) ? (k.length === 1 ? meant(k[0]) : k.map(meant)) : Object.is(k, -0) ? 0 : k;
  fc.assert(
    fc.property(key, (k) => {
      let bytes: Uint8Array;
      try {
        bytes = codecs.key(k);
      } catch (error) {
        if (isStoreError(error, 'INVALID_KEY')) return;
        throw error;
      }
      const back = codecs.keyOf(bytes);
      assert.deepEqual(back, meant(k));
      assert.deepEqual([...codecs.key(back)], [...bytes]);
    }),
    { numRuns: 3000 },
  );
});
