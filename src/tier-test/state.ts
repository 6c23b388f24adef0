/**
 * The store-state cases of the tier contract: the figures and log records a
 * tier keeps for the store, changed only with `set` and `drop` (see "Store
 * state" in abstract-tier.ts), and the snapshot every tier offers.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { MAX_VERSION } from '../common/version.js';
import type { StateChange, TableFigures } from '../tier/tier.js';
import { assertCode, b, type OpenTier, scan, withTier, writes } from './helpers.js';
import { snapshot } from './input.js';

/** Figures whose every field is `n` (the tier never interprets them). */
const all = (n: number): TableFigures => ({
  currentCount: n,
  currentKeyBytes: n,
  currentValueBytes: n,
  historicalCount: n,
  historicalKeyBytes: n,
  historicalValueBytes: n,
});

const record = (seq: number, ...bytes: number[]) => ({ seq, bytes: Uint8Array.from(bytes) });

/** Register the store-state cases. */
export function describeStateContract(open: OpenTier): void {
  it(
    'set and drop keep the figures their change returns, asked once after the observer heard every write',
    withTier(open, (tier) => {
      assert.deepEqual(tier.readFigures(), new Map());
      const heard: string[] = [];
      tier.set(
        1,
        new Map([...writes('t', [['a', '1']]), ...writes('u', [['b', '2']])]),
        (table) => {
          heard.push(`write ${table}`);
        },
        {
          figures: () => {
            heard.push('figures');
            return new Map([
              ['t', all(1)],
              ['u', all(2)],
            ]);
          },
        },
      );
      assert.deepEqual(heard, ['write t', 'write u', 'figures']);
      tier.set(2, writes('t', [['a', '3']]), undefined, {
        figures: () => new Map([['t', all(3)]]),
      });
      tier.drop(new Map([['t', [{ key: b('a'), version: 1 }]]]), undefined, {
        figures: () => new Map([['v', all(4)]]),
      });
      tier.set(3, writes('t', [['c', '1']]));
      assert.deepEqual(
        tier.readFigures(),
        new Map([
          ['t', all(3)],
          ['u', all(2)],
          ['v', all(4)],
        ]),
      );
    }),
  );

  it(
    'log records are kept, replaced by seq and forgotten; readLog lists them by seq, as copies',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]), undefined, { log: [record(7, 1, 2), record(3, 9)] });
      tier.drop(new Map(), undefined, { log: [record(5, 4)], forget: [42] });
      assert.deepEqual(tier.readLog(), [record(3, 9), record(5, 4), record(7, 1, 2)]);
      tier.set(2, new Map(), undefined, { log: [record(3, 8, 8)], forget: [5] });
      tier.drop(new Map([['t', [{ key: b('a'), version: 1 }]]]), undefined, { forget: [7] });
      const [kept] = tier.readLog();
      assert.deepEqual(kept, record(3, 8, 8));
      kept?.bytes.fill(0);
      assert.deepEqual(tier.readLog(), [record(3, 8, 8)]);
      assert.deepEqual(scan(tier, 't'), []);
    }),
  );

  it(
    'the bytes of a kept record are copied: changing them afterwards changes nothing',
    withTier(open, (tier) => {
      const given = record(1, 1, 2, 3);
      tier.set(1, new Map(), undefined, { log: [given] });
      given.bytes.fill(0);
      assert.deepEqual(tier.readLog(), [record(1, 1, 2, 3)]);
    }),
  );

  it(
    'clearTable forgets the figures of the table it empties',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]), undefined, {
        figures: () =>
          new Map([
            ['t', all(1)],
            ['u', all(1)],
          ]),
      });
      tier.clearTable('t');
      assert.deepEqual(tier.readFigures(), new Map([['u', all(1)]]));
    }),
  );

  it(
    'a bad state change is refused before anything is written',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]));
      const before = snapshot(tier);
      const bad: [string, unknown][] = [
        ['not an object', 5],
        ['unknown property', { figure: () => new Map() }],
        ['figures not a function', { figures: new Map() }],
        ['log not an array', { log: record(1, 1) }],
        ['log record without bytes', { log: [{ seq: 1 }] }],
        ['log seq negative', { log: [record(-1, 1)] }],
        ['log seq fractional', { log: [record(1.5, 1)] }],
        ['forget not numbers', { forget: ['1'] }],
      ];
      for (const [label, change] of bad) {
        assertCode(
          () => tier.set(2, writes('t', [['a', '2']]), undefined, change as StateChange),
          'INVALID_ARGUMENT',
          `set: ${label}`,
        );
        assertCode(
          () =>
            tier.drop(
              new Map([['t', [{ key: b('a'), version: 1 }]]]),
              undefined,
              change as StateChange,
            ),
          'INVALID_ARGUMENT',
          `drop: ${label}`,
        );
        assert.deepEqual(snapshot(tier), before, `${label} changed the tier`);
      }
      assert.deepEqual(tier.readLog(), []);
    }),
  );

  it(
    'figures that are not counts fail the step with INVALID_ARGUMENT, and are not kept',
    withTier(open, (tier) => {
      for (const figures of [
        new Map([['t', { ...all(1), currentCount: -1 }]]),
        new Map([['t', { ...all(1), historicalKeyBytes: 0.5 }]]),
        new Map([['', all(1)]]),
        { t: all(1) },
      ]) {
        assertCode(
          () =>
            tier.set(1, writes('t', [['a', '1']]), undefined, { figures: () => figures as never }),
          'INVALID_ARGUMENT',
          JSON.stringify([...(figures instanceof Map ? figures : [])]),
        );
      }
      assert.deepEqual(tier.readFigures(), new Map());
    }),
  );

  it(
    'a snapshot reads what the tier holds, and releasing it twice is harmless',
    withTier(open, (tier) => {
      tier.set(1, writes('t', [['a', '1']]), undefined, {
        figures: () => new Map([['t', all(1)]]),
      });
      const view = tier.snapshot();
      assert.deepEqual(scan(view.tier, 't'), ['a@1=1']);
      assert.equal(view.tier.get('t', b('a'), MAX_VERSION)?.version, 1);
      assert.equal(view.tier.latestVersion(), 1);
      assert.deepEqual(view.tier.tables(), ['t']);
      assert.deepEqual(view.tier.readFigures(), new Map([['t', all(1)]]));
      view.release();
      view.release();
      assert.deepEqual(scan(tier, 't'), ['a@1=1']);
    }),
  );
}
