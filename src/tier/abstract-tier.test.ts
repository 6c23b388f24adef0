/**
 * What AbstractTier does for every backend, so that none has to: the closed
 * check and validation happen before a raw method is called (a bad call never
 * reaches the backend), versions arrive normalised, `tables()` comes back
 * sorted, failures of a raw method surface as TIER_IO with the cause, and
 * `_getVersionSizes` has a default. Plus `MultiStore.fromTier`, which takes
 * only tiers built on the base.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreError, StoreError } from '../common/errors.js';
import { MultiStore } from '../store/multistore.js';
import { BruteForceTier } from '../test-support/tier-model.js';
import { assertCode, b, writes } from '../tier-test/helpers.js';
import { AbstractTier } from './abstract-tier.js';
import type { HorizonPage, PageQuery, RangePage, TierEntry, VersionEntry } from './tier.js';

const RAW_METHODS = [
  '_get',
  '_set',
  '_page',
  '_getAllVersions',
  '_getVersionSizes',
  '_drop',
  '_ensureTable',
  '_clearTable',
  '_tables',
  '_latestVersion',
  '_readSetting',
  '_writeSetting',
  '_close',
] as const;

/** A brute-force tier that records every raw call (name and arguments) before running it. */
function recordingTier(): { tier: BruteForceTier; calls: [string, unknown[]][] } {
  const calls: [string, unknown[]][] = [];
  const tier = new BruteForceTier();
  const raw = tier as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of RAW_METHODS) {
    const original = raw[name] as (...args: unknown[]) => unknown;
    raw[name] = (...args: unknown[]) => {
      calls.push([name, args]);
      return original.apply(tier, args);
    };
  }
  return { tier, calls };
}

/** A tier whose raw reads throw `thrown`. */
class BrokenTier extends BruteForceTier {
  constructor(readonly thrown: unknown) {
    super();
  }
  protected override _get(): TierEntry | undefined {
    throw this.thrown;
  }
  protected override _getAllVersions(): VersionEntry[] {
    throw this.thrown;
  }
}

describe('AbstractTier', () => {
  it('validates before the backend is called: a rejected call reaches no raw method', () => {
    const { tier, calls } = recordingTier();
    tier.set(1, writes('t', [['a', '1']]));
    calls.length = 0;
    const loose = tier as unknown as Record<string, (...args: unknown[]) => unknown>;
    assertCode(() => loose.get?.call(tier, 't', 'a', 1), 'INVALID_KEY');
    assertCode(() => loose.get?.call(tier, '', b('a'), 1), 'INVALID_ARGUMENT');
    assertCode(() => loose.page?.call(tier, 't', { version: -1, limit: 1 }), 'INVALID_VERSION');
    assertCode(
      () => loose.page?.call(tier, 't', { version: 1, limit: 1, revers: true }),
      'INVALID_ARGUMENT',
    );
    const badWrites = new Map([
      [
        't',
        [
          { key: b('a'), value: b('1') },
          { key: 'b', value: undefined },
        ],
      ],
    ]);
    assertCode(() => loose.set?.call(tier, 2, badWrites), 'INVALID_KEY');
    assertCode(() => loose.drop?.call(tier, [[]]), 'INVALID_ARGUMENT');
    assertCode(() => loose.writeSetting?.call(tier, 's', 3), 'INVALID_ARGUMENT');
    assert.deepEqual(calls, []);
  });

  it('after close, every call is STORE_CLOSED and no raw method runs again', () => {
    const { tier, calls } = recordingTier();
    tier.close();
    tier.close();
    assert.deepEqual(
      calls.map(([name]) => name),
      ['_close'],
      'closed once',
    );
    assertCode(() => tier.get('t', b('a'), 1), 'STORE_CLOSED');
    assertCode(() => tier.page('t', { version: 1, limit: 1 }), 'STORE_CLOSED');
    assertCode(() => tier.set(1, new Map()), 'STORE_CLOSED');
    assertCode(() => tier.tables(), 'STORE_CLOSED');
    assert.deepEqual(
      calls.map(([name]) => name),
      ['_close'],
    );
  });

  it('hands backends normalised versions and filled-in page queries, and sorts tables()', () => {
    const { tier, calls } = recordingTier();
    tier.set(-0, writes('b', [['k', '1']]));
    tier.ensureTable('a');
    tier.page('b', { version: -0, limit: 3 });
    const [, setArgs] = calls.find(([name]) => name === '_set') ?? [];
    assert.ok(Object.is(setArgs?.[0], 0), 'set got +0 for -0');
    const [, pageArgs] = calls.find(([name]) => name === '_page') ?? [];
    assert.deepEqual(pageArgs?.[1], {
      start: { kind: 'unbounded' },
      end: { kind: 'unbounded' },
      version: 0,
      limit: 3,
      cursor: undefined,
      reverse: false,
    });
    assert.ok(Object.is(tier.get('b', b('k'), 0)?.version, 0));
    const raw = tier as unknown as { _tables: () => string[] };
    raw._tables = () => ['c', 'a', 'b'];
    assert.deepEqual(tier.tables(), ['a', 'b', 'c']);
  });

  it('turns what a raw method throws into TIER_IO with the cause; StoreErrors pass as they are', () => {
    const cause = new RangeError('disk on fire');
    const broken = new BrokenTier(cause);
    assert.throws(
      () => broken.get('t', b('a'), 1),
      (error: unknown) =>
        isStoreError(error, 'TIER_IO') &&
        error.cause === cause &&
        error.message === 'the model tier failed to read: disk on fire',
    );
    const notAnError = new BrokenTier('a string');
    assert.throws(
      () => notAnError.getAllVersions('t', b('a')),
      (error: unknown) => isStoreError(error, 'TIER_IO') && error.cause === 'a string',
    );
    const coded = new StoreError('STORE_LOCKED', 'held elsewhere');
    assert.throws(
      () => new BrokenTier(coded).get('t', b('a'), 1),
      (error) => error === coded,
    );
  });

  it('tables() hands out a sorted copy, and a backend list that is not an array is TIER_IO', () => {
    const tier = new BruteForceTier();
    const raw = tier as unknown as { _tables: () => unknown };
    const held = ['c', 'a', 'b'];
    raw._tables = () => held;
    const listed = tier.tables();
    assert.deepEqual(listed, ['a', 'b', 'c']);
    listed.push('x');
    assert.deepEqual(held, ['c', 'a', 'b'], "the backend's own array is neither sorted nor shared");
    for (const bad of [new Set(['a']), undefined, 'ab']) {
      raw._tables = () => bad;
      assertCode(() => tier.tables(), 'TIER_IO', String(bad));
    }
  });

  it('a page that breaks the page rules is TIER_IO, so that no range over it runs forever', () => {
    const key = b('k');
    const entry = { key: b('k'), version: 1, value: b('v') };
    const broken: [string, (query: PageQuery) => RangePage][] = [
      ['a short page with a cursor', () => ({ entries: [], cursor: { lastKey: key } })],
      ['a full page without a cursor', () => ({ entries: [entry], cursor: undefined })],
      [
        'more entries than the limit',
        () => ({ entries: [entry, entry], cursor: { lastKey: key } }),
      ],
      ['no entries array', () => ({ cursor: undefined }) as unknown as RangePage],
      ['a cursor without a key', () => ({ entries: [entry], cursor: {} }) as unknown as RangePage],
      [
        'a cursor that does not move past the one it was given',
        (query) => ({ entries: [entry], cursor: query.cursor ?? { lastKey: key } }),
      ],
    ];
    for (const [label, page] of broken) {
      const tier = new BruteForceTier();
      const store = MultiStore.fromTier(tier); // its open reads pages too (the recount)
      (tier as unknown as { _page: typeof page })._page = page;
      const request = { version: 1, limit: 1, cursor: { lastKey: key } };
      assertCode(() => tier.page('t', request), 'TIER_IO', label);
      let read = 0;
      assertCode(
        () => {
          for (const _ of store.range({}, { pageSize: 1 })) if (++read > 10) break;
        },
        'TIER_IO',
        `${label}, through store.range`,
      );
      void store.close();
    }
  });

  it('a horizon page that breaks the page rules is TIER_IO too, so that no time-travel range over it runs forever', () => {
    const key = b('k');
    const entry = { key: b('k'), horizon: { erasedFrom: 0, readableFrom: 5 } };
    const broken: [string, (query: PageQuery) => HorizonPage][] = [
      ['a short page with a cursor', () => ({ entries: [], cursor: { lastKey: key } })],
      ['a full page without a cursor', () => ({ entries: [entry], cursor: undefined })],
      [
        'a cursor that does not move past the one it was given',
        (query) => ({ entries: [entry], cursor: query.cursor ?? { lastKey: key } }),
      ],
    ];
    for (const [label, page] of broken) {
      const tier = new BruteForceTier();
      (tier as unknown as { _horizonPage: typeof page })._horizonPage = page;
      const request = { version: 1, limit: 1, cursor: { lastKey: key } };
      assertCode(() => tier.horizonPage('t', request), 'TIER_IO', label);
    }
  });

  it('derives getVersionSizes from getAllVersions unless a backend overrides it', () => {
    assert.ok(!Object.hasOwn(BruteForceTier.prototype, '_getVersionSizes'), 'the model has none');
    const tier = new BruteForceTier();
    tier.set(1, writes('t', [['a', 'xyz']]));
    tier.set(2, writes('t', [['a', undefined]]));
    assert.deepEqual(tier.getVersionSizes('t', b('a')), [
      { version: 2, valueBytes: undefined },
      { version: 1, valueBytes: 3 },
    ]);
  });
});

describe('MultiStore.fromTier', () => {
  it('takes a tier built on AbstractTier, and refuses anything else', async () => {
    const store = MultiStore.fromTier(new BruteForceTier());
    store.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    assert.equal(store.tierKind, 'model');
    await store.close();
    const lookalike = Object.fromEntries(
      Object.getOwnPropertyNames(AbstractTier.prototype).map((name) => [name, () => undefined]),
    );
    for (const bad of [lookalike, null, undefined, 'memory']) {
      assert.throws(
        () => MultiStore.fromTier(bad as unknown as AbstractTier),
        (error: unknown) => isStoreError(error, 'INVALID_ARGUMENT'),
      );
    }
  });

  it('a tier that fails while the store opens reports that failure, even if closing fails too', () => {
    const cause = new Error('cannot read the latest version');
    class FailingTier extends BruteForceTier {
      protected override _latestVersion(): number {
        throw cause;
      }
      protected override _close(): void {
        throw new Error('cannot close either');
      }
    }
    const tier = new FailingTier();
    assert.throws(
      () => MultiStore.fromTier(tier),
      (error: unknown) => isStoreError(error, 'TIER_IO') && error.cause === cause,
    );
    assertCode(() => tier.tables(), 'STORE_CLOSED', 'the tier was closed all the same');
  });

  it('a tier belongs to one store: giving it to a second store is refused', async () => {
    const tier = new BruteForceTier();
    const first = MultiStore.fromTier(tier);
    first.commit([{ type: 'set', key: 'a', value: '1' }], 1);
    assertCode(() => MultiStore.fromTier(tier), 'INVALID_ARGUMENT');
    assert.equal(first.stats().total.currentCount, 1);
    await first.close();
    assertCode(() => MultiStore.fromTier(tier), 'INVALID_ARGUMENT', 'nor after its store closed');
  });

  it('a failing custom tier surfaces as TIER_IO through the store', async () => {
    const store = MultiStore.fromTier(new BrokenTier(new Error('sector gone')));
    assert.throws(
      () => store.get('a'),
      (error: unknown) => isStoreError(error, 'TIER_IO'),
    );
    await store.close();
  });
});
