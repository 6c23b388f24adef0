/**
 * Error messages read as English: a sweep over bad input at every entry
 * point (store, options, ranges, transactions, events, a tier) checks that no message
 * says "a undefined", "type a string" and the like, and a few messages are
 * pinned whole.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isStoreError } from '../common/errors.js';
import { openTier } from '../tier/factory.js';
import { MultiStore } from './multistore.js';

const store = MultiStore.open();
const tier = openTier({ kind: 'memory' });
after(async () => {
  await store.close();
  tier.close();
});

/** `CODE: message` of the StoreError `fn` throws. */
function failure(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(isStoreError(error), `a StoreError, not ${String(error)}`);
    return `${error.code}: ${error.message}`;
  }
  assert.fail('expected a StoreError');
}

const commit = (deltas: unknown, version: unknown = 1) =>
  failure(() => store.commit(deltas as never, version as never));
const open = (options: unknown) => failure(() => MultiStore.open(options as never));

/** Bad input at every entry point, each with what it must say (whole, or a pattern). */
const CASES: [string, () => string, string | RegExp][] = [
  [
    'an unknown delta type',
    () => commit([{ type: 'sett', key: 'a', value: '1' }]),
    'INVALID_DELTA: deltas[0]: the delta type must be set, unset, remove or drop, got the string "sett"',
  ],
  [
    'a delta without a type',
    () => commit([{ key: 'a' }]),
    'INVALID_DELTA: deltas[0]: the delta type must be set, unset, remove or drop, got undefined',
  ],
  [
    'a delta without a key',
    () => commit([{ type: 'unset', value: '1' }]),
    'INVALID_DELTA: deltas[0]: the unset delta has no key',
  ],
  [
    'a set without a value',
    () => commit([{ type: 'set', key: 'a' }]),
    /the set delta has no value$/,
  ],
  [
    'a string version',
    () => commit([], '3'),
    'INVALID_VERSION: version must be a non-negative safe integer, got the string "3"',
  ],
  ['deltas that are no array', () => commit('x'), /deltas must be an array, got the string "x"$/],
  ['a null delta', () => commit([null]), /a delta must be an object, got null$/],
  [
    'a number as key',
    () => commit([{ type: 'remove', key: 5 }]),
    'INVALID_KEY: key must be a Uint8Array or a string, got the number 5',
  ],
  ['a null value', () => commit([{ type: 'set', key: 'a', value: null }]), /got null$/],
  [
    'a read without a key',
    () => failure(() => store.get(undefined as never)),
    'INVALID_KEY: key must be a Uint8Array or a string, got undefined',
  ],
  ['a Map as key', () => failure(() => store.get(new Map() as never)), /got an object \(Map\)$/],
  [
    'a reverse that is no boolean',
    () => failure(() => store.range({}, { reverse: 'yes' as never })),
    'INVALID_ARGUMENT: reverse must be a boolean, got the string "yes"',
  ],
  [
    'an endInclusive that is no boolean',
    () => failure(() => store.range({ end: 'b', endInclusive: 1 as never })),
    /endInclusive must be a boolean, got the number 1$/,
  ],
  ['a page size of 0', () => failure(() => store.range({}, { pageSize: 0 })), /got the number 0$/],
  [
    'a listener that is no function',
    () => failure(() => store.events.on('storage-stats', 5 as never)),
    /an event listener must be a function, got the number 5$/,
  ],
  ['an unknown tier', () => open({ tier: 'disk' }), /got the string "disk"$/],
  ['tables as an object', () => open({ tables: {} }), /tables must be an array, got an object$/],
  ['a table without a prefix', () => open({ tables: [{ name: 'a' }] }), /got undefined$/],
  [
    "a table named 'multi'",
    () => open({ tables: [{ name: 'multi', prefix: 'm:' }] }),
    "INVALID_OPTIONS: tables[0]: the table name 'multi' is reserved: that table holds the keys under no declared prefix",
  ],
  [
    'a table declared twice',
    () =>
      open({
        tables: [
          { name: 'a', prefix: 'a:' },
          { name: 'a', prefix: 'b:' },
        ],
      }),
    "INVALID_OPTIONS: tables[1]: the table name 'a' is declared twice",
  ],
  [
    'two tables with one prefix',
    () =>
      open({
        tables: [
          { name: 'a', prefix: 'a:' },
          { name: 'b', prefix: 'a:' },
        ],
      }),
    `INVALID_OPTIONS: tables[1]: tables 'a' and 'b' declare the same prefix "a:"`,
  ],
  ['a bad batch size', () => open({ dropWorker: { batchSize: -1 } }), /got the number -1$/],
  ['options as a string', () => open('x'), /options must be an object, got the string "x"$/],
  [
    'a tier that is none',
    () => failure(() => MultiStore.fromTier({} as never)),
    /extend AbstractTier \(from multistore-kv\/tier\), got an object$/,
  ],
  [
    'a tier key that is a string',
    () => failure(() => tier.get('multi', 'a' as never, 1)),
    'INVALID_KEY: key must be a Uint8Array, got the string "a"',
  ],
  [
    'a tier table name that is none',
    () => failure(() => tier.get(7 as never, new Uint8Array(), 1)),
    /table name must be a string, got the number 7$/,
  ],
  [
    'begin options as a string',
    () => failure(() => store.begin('x' as never)),
    'INVALID_OPTIONS: begin options must be an object, got the string "x"',
  ],
  [
    'an unknown isolation',
    () => failure(() => store.begin({ isolation: 'strict' as never })),
    `INVALID_OPTIONS: isolation must be 'snapshot' or 'serializable', got the string "strict"`,
  ],
  [
    'a readOnly that is no boolean',
    () => failure(() => store.begin({ readOnly: 1 as never })),
    /readOnly must be a boolean, got the number 1$/,
  ],
  [
    'a negative maxAgeMs',
    () => failure(() => store.begin({ maxAgeMs: -1 })),
    /maxAgeMs must be a positive number of milliseconds, got the number -1$/,
  ],
  [
    'an asOf that is no version',
    () => failure(() => store.begin({ asOf: 'x' as never })),
    'INVALID_VERSION: asOf must be a non-negative safe integer, got the string "x"',
  ],
  [
    'a transaction body that is no function',
    () => failure(() => store.transaction(5 as never)),
    'INVALID_ARGUMENT: fn must be a function, got the number 5',
  ],
  [
    'a transaction write without a value',
    () => failure(() => store.begin().set('a', undefined as never)),
    'INVALID_VALUE: value must be a Uint8Array or a string, got undefined',
  ],
  [
    'a write in a read-only transaction',
    () => failure(() => store.begin({ readOnly: true }).remove('a')),
    'TRANSACTION_READ_ONLY: remove is not allowed in a read-only transaction',
  ],
  [
    'a read after rollback',
    () =>
      failure(() => {
        const tx = store.begin();
        tx.rollback();
        tx.get('a');
      }),
    'TRANSACTION_CLOSED: the transaction was rolled back; begin a new one',
  ],
];

/** Phrases of the old messages that read badly. */
const UNGRAMMATICAL =
  /\ba (undefined|object|array|integer)\b|\ban (string|number|boolean|bigint|symbol|function|null)\b|\btype an? |got a (string|number|boolean)\b/;

describe('error messages', () => {
  for (const [what, run, expected] of CASES) {
    it(`says it plainly: ${what}`, () => {
      const message = run();
      assert.doesNotMatch(message, UNGRAMMATICAL);
      if (typeof expected === 'string') assert.equal(message, expected);
      else assert.match(message, expected);
    });
  }
});
