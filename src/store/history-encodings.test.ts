/**
 * `changes`, `diff` and `watch` speak the store's encodings, as reads do:
 * their range options take keys of the key encoding (`INVALID_KEY` for one
 * it cannot take), and their keys and values come out decoded (tombstones
 * and absent sides as `undefined`), on both tiers and in both modes. A
 * binary store hands out the stored bytes as before.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { forEachStoreSetup } from '../test-support/store-setups.js';
import type { KeyEncoding, ValueEncoding } from './encodings.js';
import type { MultiStore } from './multistore.js';

/** One encoding pair with three keys (in stored order) and two values of its types. */
interface Case {
  readonly keyEncoding: KeyEncoding;
  readonly valueEncoding: ValueEncoding;
  readonly keys: readonly [unknown, unknown, unknown];
  /** A prefix the first two keys share and the third does not. */
  readonly prefix: unknown;
  readonly values: readonly [unknown, unknown];
  /** A key this encoding refuses. */
  readonly badKey: unknown;
}

const CASES: readonly Case[] = [
  {
    keyEncoding: 'utf8',
    valueEncoding: 'utf8',
    keys: ['u:a', 'u:b', 'v:c'],
    prefix: 'u:',
    values: ['one', 'two'],
    badKey: 7,
  },
  {
    keyEncoding: 'ordered',
    valueEncoding: 'json',
    keys: [
      ['u', 1],
      ['u', 10],
      ['v', 2],
    ],
    prefix: 'u',
    values: [{ n: 1 }, [true, null]],
    badKey: { not: 'a key' },
  },
  {
    keyEncoding: 'ordered',
    valueEncoding: 'msgpack',
    keys: [
      ['u', 'x'],
      ['u', 'y'],
      ['v', 'z'],
    ],
    prefix: 'u',
    values: [new Uint8Array([1, 2]), { at: new Date(0), list: [1.5, 'x'] }],
    badKey: Number.NaN,
  },
  {
    keyEncoding: 'binary',
    valueEncoding: 'json',
    keys: [new Uint8Array([1, 1]), new Uint8Array([1, 2]), new Uint8Array([2])],
    prefix: new Uint8Array([1]),
    values: [{ deep: { x: [1] } }, 'text'],
    badKey: 12,
  },
];

/** Commits a history: v1 sets keys 0 and 2, v2 sets key 1 and removes key 0, v3 sets key 0 again. */
function history(store: MultiStore<unknown, unknown>, c: Case): void {
  const [k0, k1, k2] = c.keys;
  const [x, y] = c.values;
  store.commit([
    { type: 'set', key: k0, value: x },
    { type: 'set', key: k2, value: y },
  ] as never);
  store.commit([
    { type: 'set', key: k1, value: y },
    { type: 'remove', key: k0 },
  ] as never);
  store.commit([{ type: 'set', key: k0, value: y }] as never);
}

function expectCode(run: () => unknown, code: string): void {
  assert.throws(run, (error: unknown) => isStoreError(error) && error.code === code);
}

forEachStoreSetup((setup) => {
  for (const c of CASES) {
    const name = `${c.keyEncoding} keys, ${c.valueEncoding} values`;
    const open = () =>
      setup.open({
        keyEncoding: c.keyEncoding,
        valueEncoding: c.valueEncoding,
      }) as unknown as MultiStore<unknown, unknown>;
    const [k0, k1, k2] = c.keys;
    const [x, y] = c.values;

    it(`changes decodes keys and values and takes range options of the key encoding (${name})`, async () => {
      const store = open();
      try {
        history(store, c);
        assert.deepEqual(
          [...store.changes()].map((ch) => [ch.version, ch.writes.map((w) => [w.key, w.value])]),
          [
            [
              1,
              [
                [k0, x],
                [k2, y],
              ],
            ],
            [
              2,
              [
                [k0, undefined],
                [k1, y],
              ],
            ],
            [3, [[k0, y]]],
          ],
        );
        assert.deepEqual(
          [...store.changes({ from: 1, prefix: c.prefix })].map((ch) =>
            ch.writes.map((w) => w.key),
          ),
          [[k0, k1], [k0]],
        );
        assert.deepEqual(
          [...store.changes({ start: k1, end: k2, endInclusive: true })].map((ch) =>
            ch.writes.map((w) => w.key),
          ),
          [[k2], [k1]],
        );
        expectCode(() => store.changes({ start: c.badKey }), 'INVALID_KEY');
        expectCode(() => store.changes({ prefix: c.badKey }), 'INVALID_KEY');
      } finally {
        await store.close();
      }
    });

    it(`diff decodes keys and both sides and takes range options of the key encoding (${name})`, async () => {
      const store = open();
      try {
        history(store, c);
        assert.deepEqual(
          [...store.diff(1, 2)].map((d) => [d.key, d.before, d.after]),
          [
            [k0, x, undefined],
            [k1, undefined, y],
          ],
        );
        assert.deepEqual(
          [...store.diff(0, 3, { prefix: c.prefix, reverse: true })].map((d) => [
            d.key,
            d.before,
            d.after,
          ]),
          [
            [k1, undefined, y],
            [k0, undefined, y],
          ],
        );
        expectCode(() => store.diff(0, 3, { end: c.badKey }), 'INVALID_KEY');
      } finally {
        await store.close();
      }
    });

    it(`watch delivers decoded changes of a range of the key encoding (${name})`, async () => {
      const store = open();
      try {
        expectCode(() => store.watch({ prefix: c.badKey }), 'INVALID_KEY');
        const watch = store.watch({ prefix: c.prefix });
        history(store, c);
        const got: unknown[] = [];
        for await (const change of watch) {
          got.push([change.version, change.writes.map((w) => [w.key, w.value])]);
          if (change.version === 3) break;
        }
        assert.deepEqual(got, [
          [1, [[k0, x]]],
          [
            2,
            [
              [k0, undefined],
              [k1, y],
            ],
          ],
          [3, [[k0, y]]],
        ]);
      } finally {
        await store.close();
      }
    });
  }

  it('a binary store hands out the stored bytes, and options take strings as bytes', async () => {
    const store = setup.open();
    try {
      store.commit([{ type: 'set', key: 'p:1', value: 'v' }]);
      const [change] = [...store.changes({ prefix: 'p:' })];
      const key: Uint8Array | undefined = change?.writes[0]?.key; // typed as bytes
      assert.deepEqual(key, new TextEncoder().encode('p:1'));
      const [entry] = [...store.diff(0, 1, { start: 'p:' })];
      const after: Uint8Array | undefined = entry?.after;
      assert.deepEqual(after, new TextEncoder().encode('v'));
    } finally {
      await store.close();
    }
  });
});

it('types follow the encodings', async () => {
  const { MultiStore } = await import('./multistore.js');
  const store = MultiStore.open({ keyEncoding: 'utf8', valueEncoding: 'utf8' });
  try {
    store.commit([{ type: 'set', key: 'a', value: 'b' }]);
    for (const { writes } of store.changes({ prefix: 'a' })) {
      const key: string = writes[0]?.key ?? '';
      const value: string | undefined = writes[0]?.value;
      assert.deepEqual([key, value], ['a', 'b']);
    }
    for (const { key, before, after } of store.diff(0, 1, { start: 'a' })) {
      const typed: [string, string | undefined, string | undefined] = [key, before, after];
      assert.deepEqual(typed, ['a', undefined, 'b']);
    }
  } finally {
    await store.close();
  }
});
