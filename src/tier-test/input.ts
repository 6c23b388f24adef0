/**
 * The contract's input rules: bad input throws a StoreError with a stable
 * code and leaves the tier exactly as it was.
 *
 * Each case calls one tier method with one bad argument (everything else
 * valid), expects the code, and then compares a full snapshot of the tier
 * (tables, latest version, every version of every key) with the one taken
 * before. A `set` or `drop` whose bad item comes after good ones proves
 * validation happens before any write.
 *
 * @module
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { utf8 } from '../common/bytes.js';
import type { AbstractTier } from '../tier/abstract-tier.js';
import { UNBOUNDED } from '../tier/tier.js';
import { assertCode, hex, type OpenTier, withTier } from './helpers.js';

const key = utf8('a');
const good = { key, value: utf8('v') };

/** Everything a tier holds, as comparable data. */
export function snapshot(tier: AbstractTier): unknown {
  const tables = tier.tables();
  const contents = tables.map((table) => {
    const page = tier.page(table, { version: Number.MAX_SAFE_INTEGER, limit: 1e6 });
    return page.entries.map((e) => [hex(e.key), tier.getAllVersions(table, e.key)]);
  });
  return { tables, latest: tier.latestVersion(), contents };
}

const BAD_VERSIONS: unknown[] = [
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  2 ** 53,
  '1',
  1n,
  null,
];
const BAD_KEYS: unknown[] = [
  'a',
  [97],
  null,
  undefined,
  97,
  new ArrayBuffer(1),
  new Uint16Array(1),
  {},
];
const BAD_VALUES: unknown[] = ['v', null, 1, [1], new ArrayBuffer(1), new Int8Array(1)];
const BAD_LIMITS: unknown[] = [0, -1, 1.5, Number.NaN, '10', undefined, 2 ** 53];
const BAD_TABLES: unknown[] = [
  '',
  5,
  undefined,
  null,
  'x\0y',
  'n'.repeat(257),
  'é'.repeat(129),
  '\ud800',
];
const BAD_BOUNDS: [unknown, string][] = [
  [null, 'INVALID_ARGUMENT'],
  ['a', 'INVALID_ARGUMENT'],
  [{ kind: 'inclusive', key }, 'INVALID_ARGUMENT'],
  [{}, 'INVALID_ARGUMENT'],
  [{ kind: 'included' }, 'INVALID_KEY'],
  [{ kind: 'excluded', key: 'a' }, 'INVALID_KEY'],
];
const BAD_CURSORS: [unknown, string][] = [
  ['a', 'INVALID_ARGUMENT'],
  [null, 'INVALID_ARGUMENT'],
  [{}, 'INVALID_KEY'],
  [{ lastKey: 'a' }, 'INVALID_KEY'],
];

type Case = [label: string, call: (tier: AbstractTier) => unknown, code: string];

// biome-ignore lint/suspicious/noExplicitAny: calls deliberately break the declared types
type Loose = any;

function versionCases(): Case[] {
  return BAD_VERSIONS.flatMap((v): Case[] => [
    [`get version ${String(v)}`, (t) => t.get('t', key, v as Loose), 'INVALID_VERSION'],
    [
      `set version ${String(v)}`,
      (t) => t.set(v as Loose, new Map([['t', [good]]])),
      'INVALID_VERSION',
    ],
    [
      `page version ${String(v)}`,
      (t) => t.page('t', { version: v as Loose, limit: 1 }),
      'INVALID_VERSION',
    ],
    [
      `drop version ${String(v)}`,
      (t) =>
        t.drop(
          new Map([
            [
              't',
              [
                { key, version: 1 },
                { key, version: v as Loose },
              ],
            ],
          ]),
        ),
      'INVALID_VERSION',
    ],
  ]);
}

function keyAndValueCases(): Case[] {
  const keyCases = BAD_KEYS.flatMap((k): Case[] => [
    [`get key ${String(k)}`, (t) => t.get('t', k as Loose, 1), 'INVALID_KEY'],
    [`get key on unknown table ${String(k)}`, (t) => t.get('zz', k as Loose, 1), 'INVALID_KEY'],
    [`getAllVersions key ${String(k)}`, (t) => t.getAllVersions('t', k as Loose), 'INVALID_KEY'],
    [`getVersionSizes key ${String(k)}`, (t) => t.getVersionSizes('t', k as Loose), 'INVALID_KEY'],
    [
      `set key ${String(k)}`,
      (t) => t.set(9, new Map([['t', [good, { key: k, value: undefined }]]]) as Loose),
      'INVALID_KEY',
    ],
    [
      `drop key ${String(k)}`,
      (t) =>
        t.drop(
          new Map([
            [
              't',
              [
                { key, version: 1 },
                { key: k, version: 1 },
              ],
            ],
          ]) as Loose,
        ),
      'INVALID_KEY',
    ],
  ]);
  const valueCases = BAD_VALUES.map(
    (v): Case => [
      `set value ${String(v)}`,
      (t) => t.set(9, new Map([['t', [good, { key, value: v }]]]) as Loose),
      'INVALID_VALUE',
    ],
  );
  return [...keyCases, ...valueCases];
}

const BAD_REQUESTS: [unknown, string][] = [
  [undefined, 'a missing request'],
  [null, 'null'],
  ['all', 'a string'],
  [{ version: 1, limit: 1, revers: true }, 'a misspelt property'],
  [{ version: 1, limit: 1, reverse: 'yes' }, 'a reverse that is not a boolean'],
  [{ version: 1, limit: 1, reverse: 1 }, 'a reverse of 1'],
];

function pageCases(): Case[] {
  const limits = BAD_LIMITS.flatMap((l): Case[] => [
    [
      `page limit ${String(l)}`,
      (t) => t.page('t', { version: 1, limit: l as Loose }),
      'INVALID_ARGUMENT',
    ],
    [
      `reverse page limit ${String(l)}`,
      (t) => t.page('t', { version: 1, limit: l as Loose, reverse: true }),
      'INVALID_ARGUMENT',
    ],
  ]);
  const bounds = BAD_BOUNDS.flatMap(([bound, code]): Case[] => [
    [
      `start ${JSON.stringify(bound)}`,
      (t) => t.page('t', { start: bound as Loose, version: 1, limit: 1 }),
      code,
    ],
    [
      `end ${JSON.stringify(bound)}`,
      (t) => t.page('t', { end: bound as Loose, version: 1, limit: 1, reverse: true }),
      code,
    ],
  ]);
  const cursors = BAD_CURSORS.map(
    ([cursor, code]): Case => [
      `cursor ${JSON.stringify(cursor)}`,
      (t) => t.page('t', { version: 1, limit: 1, cursor: cursor as Loose }),
      code,
    ],
  );
  const requests = BAD_REQUESTS.map(
    ([request, label]): Case => [
      `page request: ${label}`,
      (t) => t.page('t', request as Loose),
      'INVALID_ARGUMENT',
    ],
  );
  return [...limits, ...bounds, ...cursors, ...requests];
}

function shapeCases(): Case[] {
  const tables = BAD_TABLES.flatMap((name): Case[] => [
    [
      `get table ${String(name).slice(0, 9)}`,
      (t) => t.get(name as Loose, key, 1),
      'INVALID_ARGUMENT',
    ],
    [
      `set table ${String(name).slice(0, 9)}`,
      (t) =>
        t.set(
          9,
          new Map([
            ['t', [good]],
            [name, []],
          ]) as Loose,
        ),
      'INVALID_ARGUMENT',
    ],
    [
      `page table ${String(name).slice(0, 9)}`,
      (t) => t.page(name as Loose, { version: 1, limit: 1 }),
      'INVALID_ARGUMENT',
    ],
    [
      `getVersionSizes table ${String(name).slice(0, 9)}`,
      (t) => t.getVersionSizes(name as Loose, key),
      'INVALID_ARGUMENT',
    ],
    [
      `ensureTable ${String(name).slice(0, 9)}`,
      (t) => t.ensureTable(name as Loose),
      'INVALID_ARGUMENT',
    ],
    [
      `clearTable ${String(name).slice(0, 9)}`,
      (t) => t.clearTable(name as Loose),
      'INVALID_ARGUMENT',
    ],
    [
      `getAllVersions table ${String(name).slice(0, 9)}`,
      (t) => t.getAllVersions(name as Loose, key),
      'INVALID_ARGUMENT',
    ],
    [
      `drop table ${String(name).slice(0, 9)}`,
      (t) =>
        t.drop(
          new Map([
            ['t', [{ key, version: 1 }]],
            [name, []],
          ]) as Loose,
        ),
      'INVALID_ARGUMENT',
    ],
  ]);
  const shapes: Case[] = [
    ['set writes as object', (t) => t.set(9, { t: [good] } as Loose), 'INVALID_ARGUMENT'],
    ['set writes undefined', (t) => t.set(9, undefined as Loose), 'INVALID_ARGUMENT'],
    ['set list not an array', (t) => t.set(9, new Map([['t', good]]) as Loose), 'INVALID_ARGUMENT'],
    [
      'set write null',
      (t) => t.set(9, new Map([['t', [good, null]]]) as Loose),
      'INVALID_ARGUMENT',
    ],
    ['drop as array', (t) => t.drop([] as Loose), 'INVALID_ARGUMENT'],
    ['drop pair null', (t) => t.drop(new Map([['t', [null]]]) as Loose), 'INVALID_ARGUMENT'],
  ];
  return [...tables, ...shapes];
}

/** Register the bad-input cases of the contract. */
export function describeInputContract(open: OpenTier): void {
  it(
    'bad input throws a StoreError with a stable code and leaves the tier unchanged',
    withTier(open, (tier) => {
      tier.set(1, new Map([['t', [good, { key: utf8('b'), value: undefined }]]]));
      tier.set(
        2,
        new Map([
          ['t', [good]],
          ['u', [good]],
        ]),
      );
      const before = snapshot(tier);
      const cases = [...versionCases(), ...keyAndValueCases(), ...pageCases(), ...shapeCases()];
      for (const [label, call, code] of cases) {
        assertCode(() => call(tier), code, label);
        assert.deepEqual(snapshot(tier), before, `${label} changed the tier`);
      }
    }),
  );

  it(
    'the largest version and empty pages of limit 1 are valid',
    withTier(open, (tier) => {
      const max = Number.MAX_SAFE_INTEGER;
      tier.set(max, new Map([['t', [good]]]));
      assert.equal(tier.latestVersion(), max);
      assert.equal(tier.get('t', key, max)?.version, max);
      assert.equal(tier.get('t', key, max - 1), undefined);
      assert.deepEqual(tier.page('t', { version: 0, limit: 1 }).entries, []);
      const unbounded = { start: UNBOUNDED, end: UNBOUNDED, cursor: undefined, reverse: false };
      assert.equal(tier.page('t', { ...unbounded, version: max, limit: 1 }).entries.length, 1);
    }),
  );
}
