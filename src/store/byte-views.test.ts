/**
 * Byte views whose bytes cannot be read are bad input at every entry point,
 * on both tiers: INVALID_KEY for a key (or a range bound, a prefix, a cursor),
 * INVALID_VALUE for a value, thrown before anything is written, so that a
 * commit carrying one changes nothing (latest version, versions, figures).
 *
 * The views: a fixed-length view over a resizable buffer that was shrunk
 * after the view was made (at offset 0, where the view reports a length of 0
 * and even `subarray` still works, and at an offset past the new end), and a
 * view of a transferred (detached) buffer; and the last two again through a
 * Uint8Array subclass whose `byteLength` getter claims bytes it does not have
 * (the check must ask the engine, not the object).
 *
 * A readable view whose `length` lies (a subclass getter, an own property) is
 * good input, and its bytes are its real bytes: both tiers store, find and
 * count the same bytes, as they would for a plain copy of it.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import { openTier } from '../tier/factory.js';
import type { Delta } from './deltas.js';
import { MultiStore } from './multistore.js';

type ResizableBuffer = ArrayBuffer & { resize(length: number): void };
const Resizable = ArrayBuffer as unknown as new (
  length: number,
  options: { maxByteLength: number },
) => ResizableBuffer;

/** A Uint8Array subclass that claims bytes it does not have. */
class ClaimsBytes extends Uint8Array {
  override get byteLength(): number {
    return 4;
  }
}

/** Views that claim to be bytes but cannot be read. */
const UNREADABLE: readonly [string, () => Uint8Array][] = [
  [
    'a view over a resizable buffer shrunk under it',
    () => {
      const buffer = new Resizable(8, { maxByteLength: 16 });
      const view = new Uint8Array(buffer, 0, 8);
      view.fill(97);
      buffer.resize(2);
      return view;
    },
  ],
  [
    'a view past the end of a shrunk resizable buffer',
    () => {
      const buffer = new Resizable(8, { maxByteLength: 16 });
      const view = new Uint8Array(buffer, 4, 4);
      buffer.resize(2);
      return view;
    },
  ],
  [
    'a view of a detached buffer',
    () => {
      const buffer = new ArrayBuffer(4);
      const view = new Uint8Array(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return view;
    },
  ],
  [
    'a view of a detached buffer whose class claims a byteLength',
    () => {
      const buffer = new ArrayBuffer(4);
      const view = new ClaimsBytes(buffer);
      structuredClone(buffer, { transfer: [buffer] });
      return view;
    },
  ],
  [
    'a view over a shrunk resizable buffer whose class claims a byteLength',
    () => {
      const buffer = new Resizable(8, { maxByteLength: 16 });
      const view = new ClaimsBytes(buffer, 0, 8);
      buffer.resize(2);
      return view;
    },
  ],
];

function throwsCode(fn: () => unknown, code: string, what: string): void {
  assert.throws(
    fn,
    (error: unknown) => isStoreError(error, code as never),
    `${what}: expected ${code}`,
  );
}

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`${tier} tier`, () => {
    for (const [name, make] of UNREADABLE) {
      it(`rejects ${name} at every store entry point, writing nothing`, async () => {
        const store = MultiStore.open({ tier, actorMode: 'inline' });
        try {
          store.commit([{ type: 'set', key: 'k', value: 'v1' }], 1);
          const before = JSON.stringify([store.latestVersion, store.versions('k'), store.stats()]);
          const key = make() as unknown as string;
          throwsCode(() => store.get(key), 'INVALID_KEY', 'get');
          throwsCode(() => store.contains(key), 'INVALID_KEY', 'contains');
          throwsCode(() => store.versions(key), 'INVALID_KEY', 'versions');
          throwsCode(() => store.range({ start: key }), 'INVALID_KEY', 'range start');
          throwsCode(() => store.range({ end: key }), 'INVALID_KEY', 'range end');
          throwsCode(() => store.range({ prefix: key }), 'INVALID_KEY', 'range prefix');
          const commits: [string, Delta[], string][] = [
            ['set key', [{ type: 'set', key, value: 'x' }], 'INVALID_KEY'],
            ['remove key', [{ type: 'remove', key }], 'INVALID_KEY'],
            ['drop key', [{ type: 'drop', key }], 'INVALID_KEY'],
            ['set value', [{ type: 'set', key: 'k', value: make() }], 'INVALID_VALUE'],
            ['unset value', [{ type: 'unset', key: 'k', value: make() }], 'INVALID_VALUE'],
          ];
          for (const [label, deltas, code] of commits) {
            const withGoodFirst: Delta[] = [{ type: 'set', key: 'k', value: 'v2' }, ...deltas];
            throwsCode(() => store.commit(withGoodFirst, 2), code, `commit: ${label}`);
            await store.flush();
            assert.equal(
              JSON.stringify([store.latestVersion, store.versions('k'), store.stats()]),
              before,
              `commit: ${label} changed the store`,
            );
          }
          throwsCode(
            () => MultiStore.open({ tier, tables: [{ name: 't', prefix: make() }] }),
            'INVALID_OPTIONS',
            'table prefix',
          );
        } finally {
          await store.close();
        }
      });

      it(`rejects ${name} at every tier entry point, writing nothing`, () => {
        const storage = openTier({ kind: tier });
        try {
          const good = utf8('k');
          storage.set(1, new Map([['t', [{ key: good, value: utf8('v1') }]]]));
          const before = JSON.stringify([
            storage.latestVersion(),
            storage.getAllVersions('t', good),
          ]);
          const bound = { kind: 'included' as const, key: make() };
          throwsCode(() => storage.get('t', make(), 1), 'INVALID_KEY', 'get');
          throwsCode(() => storage.getAllVersions('t', make()), 'INVALID_KEY', 'getAllVersions');
          throwsCode(() => storage.getVersionSizes('t', make()), 'INVALID_KEY', 'getVersionSizes');
          throwsCode(
            () => storage.page('t', { start: bound, version: 1, limit: 10 }),
            'INVALID_KEY',
            'page bound',
          );
          throwsCode(
            () =>
              storage.page('t', {
                cursor: { lastKey: make() },
                version: 1,
                limit: 10,
                reverse: true,
              }),
            'INVALID_KEY',
            'page cursor',
          );
          const writes = (key: Uint8Array, value: Uint8Array) =>
            new Map([
              [
                't',
                [
                  { key: good, value: utf8('v2') },
                  { key, value },
                ],
              ],
            ]);
          throwsCode(() => storage.set(2, writes(make(), utf8('x'))), 'INVALID_KEY', 'set key');
          throwsCode(() => storage.set(2, writes(good, make())), 'INVALID_VALUE', 'set value');
          const drops = new Map([
            [
              't',
              [
                { key: good, version: 1 },
                { key: make(), version: 1 },
              ],
            ],
          ]);
          throwsCode(() => storage.drop(drops), 'INVALID_KEY', 'drop key');
          assert.equal(
            JSON.stringify([storage.latestVersion(), storage.getAllVersions('t', good)]),
            before,
            'the tier is unchanged',
          );
        } finally {
          storage.close();
        }
      });
    }
  });
}

/** The same bytes, claiming fewer through `length`: a subclass getter, or an own property. */
const LYING_LENGTH: readonly [string, (bytes: readonly number[]) => Uint8Array][] = [
  [
    'a subclass whose length getter lies',
    (bytes) => {
      class Short extends Uint8Array {
        override get length(): number {
          return 1;
        }
      }
      return Short.from(bytes);
    },
  ],
  [
    'a Uint8Array with an own length property',
    (bytes) => Object.defineProperty(Uint8Array.from(bytes), 'length', { value: 1 }),
  ],
];

for (const tier of ['memory', 'sqlite'] as const) {
  describe(`${tier} tier`, () => {
    for (const [name, make] of LYING_LENGTH) {
      it(`reads ${name} by its real bytes, as a plain copy of it`, async () => {
        const store = MultiStore.open({ tier, actorMode: 'inline' });
        try {
          store.commit([{ type: 'set', key: 'ab', value: 'plain ab' }], 1);
          store.commit([{ type: 'set', key: 'a', value: 'plain a' }], 1);
          const key = make([0x61, 0x62]); // "ab"
          assert.equal(store.get(key)?.value.length, 'plain ab'.length, 'get reads "ab"');
          assert.equal(store.versions(key)[0]?.value?.length, 'plain ab'.length, 'versions');
          store.commit([{ type: 'set', key: 'v', value: make([1, 2, 3]) }], 2);
          assert.deepEqual(store.get('v')?.value, Uint8Array.of(1, 2, 3), 'the value stored whole');
          await store.flush();
          const { currentCount, currentValueBytes } = store.stats().total;
          assert.deepEqual(
            [currentCount, currentValueBytes],
            [3, 'plain ab'.length + 'plain a'.length + 3],
            'the figures count the real bytes',
          );
        } finally {
          await store.close();
        }
      });
    }
  });
}
