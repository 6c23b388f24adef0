/**
 * Hostile randomized check of the statistics events: a listener that folds
 * every `storage-stats` event into figures of its own (writes and deletes
 * added where they are counted, drops taken out of where they were counted,
 * moves taken from the other category into the new one) must hold exactly
 * `stats()` after every step, and `verify()` must find nothing, on both
 * tiers and in both actor modes (event-loop mode on a MockClock). The steps
 * mix several retention tables (keep 1..4) and a plain one in one commit,
 * the same key written two or three times in a commit (equal bytes in
 * distinct arrays, in any order), tombstones, explicit versions at or
 * below the newest, drop deltas (below T, keep last N, both) on keys with
 * 0, 1 or many versions, `commitAsync`, snapshots opened and released around
 * trimming commits, flushes, `compact` and (SQLite file) reopening, after
 * which the replayed figures start from the reopened store's and the
 * contents must equal those before.
 */

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { it } from 'node:test';
import fc from 'fast-check';
import { bytesToBinaryString, utf8 } from '../common/bytes.js';
import { isStoreError } from '../common/errors.js';
import type { StatsEntry, StorageStatsRecorded } from '../event/events.js';
import { MockClock } from '../runtime/clock.js';
import { STORE_SETUPS, tempFiles, turns } from '../test-support/store-setups.js';
import type { TableFigures } from '../tier/tier.js';
import { MultiStore } from './multistore.js';

const TABLES = [
  { name: 'k1', prefix: 'a:', retention: { keepLastVersions: 1 } },
  { name: 'k2', prefix: 'b:', retention: { keepLastVersions: 2 } },
  { name: 'k3', prefix: 'c:', retention: { keepLastVersions: 3 } },
  { name: 'k4', prefix: 'd:', retention: { keepLastVersions: 4 } },
  { name: 'plain', prefix: 'p:' },
];
const KEYS = ['a:x', 'a:y', 'b:x', 'c:x', 'd:x', 'p:x', 'p:y'];
const files = tempFiles('multistore-replay-', 'replay');

type Figures = Record<string, number>;
const FIELDS = [
  'currentCount',
  'currentKeyBytes',
  'currentValueBytes',
  'historicalCount',
  'historicalKeyBytes',
  'historicalValueBytes',
] as const;

/** Figures replayed from events, per table. */
class Replay {
  readonly tables = new Map<string, Figures>();

  constructor(start: Readonly<Record<string, TableFigures>>) {
    for (const [name, figures] of Object.entries(start)) this.tables.set(name, { ...figures });
  }

  apply(event: StorageStatsRecorded): void {
    for (const e of event.writes) this.#add(e, e.category, 1);
    for (const e of event.deletes) this.#add(e, e.category, 1);
    for (const e of event.drops) this.#add(e, e.category, -1);
    for (const e of event.moves) {
      this.#add(e, e.category === 'current' ? 'historical' : 'current', -1);
      this.#add(e, e.category, 1);
    }
  }

  #add(entry: StatsEntry, category: 'current' | 'historical', sign: number): void {
    let figures = this.tables.get(entry.table);
    if (figures === undefined) {
      figures = Object.fromEntries(FIELDS.map((f) => [f, 0]));
      this.tables.set(entry.table, figures);
    }
    figures[`${category}Count`] = (figures[`${category}Count`] ?? 0) + sign;
    figures[`${category}KeyBytes`] =
      (figures[`${category}KeyBytes`] ?? 0) + sign * (entry.key.length + 10);
    figures[`${category}ValueBytes`] =
      (figures[`${category}ValueBytes`] ?? 0) + sign * entry.valueBytes;
  }

  /** The non-empty tables, for comparison with `stats().tables`. */
  plain(): Record<string, Figures> {
    const out: Record<string, Figures> = {};
    for (const [name, figures] of this.tables) {
      if (FIELDS.some((f) => figures[f] !== 0)) out[name] = { ...figures };
    }
    return out;
  }
}

function nonEmpty(tables: Readonly<Record<string, TableFigures>>): Record<string, Figures> {
  const out: Record<string, Figures> = {};
  for (const [name, figures] of Object.entries(tables)) {
    if (FIELDS.some((f) => figures[f] !== 0)) out[name] = { ...figures };
  }
  return out;
}

type Delta =
  | { type: 'set'; key: string; value: number }
  | { type: 'remove'; key: string }
  | { type: 'drop'; key: string; keep: number | undefined; upTo: number | undefined };

type Op =
  | { op: 'commit'; deltas: Delta[]; back: number; dup: number; async: boolean }
  | { op: 'begin'; back: number }
  | { op: 'end' }
  | { op: 'flush' }
  | { op: 'tick' }
  | { op: 'compact' }
  | { op: 'reopen' };

const key = fc.constantFrom(...KEYS, 'q:none');
const delta: fc.Arbitrary<Delta> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ type: fc.constant('set' as const), key, value: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('remove' as const), key }) },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('drop' as const),
      key,
      keep: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      upTo: fc.option(fc.nat(20), { nil: undefined }),
    }),
  },
);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      deltas: fc.array(delta, { minLength: 1, maxLength: 6 }),
      back: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, fc.nat(3)),
      dup: fc.nat(2),
      async: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('begin' as const), back: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('tick' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('compact' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('reopen' as const) }) },
);

/** The store deltas, each key a fresh array; `dup` repeats the first set delta's key with other bytes-equal arrays. */
function storeDeltas(deltas: readonly Delta[], dup: number) {
  const out = deltas.map((d) => {
    const k = utf8(d.key);
    if (d.type === 'set') return { type: 'set' as const, key: k, value: 'v'.repeat(d.value) };
    if (d.type === 'remove') return { type: 'remove' as const, key: k };
    return {
      type: 'drop' as const,
      key: k,
      ...(d.keep === undefined ? {} : { keepLastVersions: d.keep }),
      ...(d.upTo === undefined ? {} : { upToVersion: d.upTo }),
    };
  });
  const first = deltas.find((d) => d.type === 'set');
  for (let i = 0; i < dup && first !== undefined; i++) {
    const copy = { type: 'set' as const, key: utf8(first.key), value: 'w'.repeat(i + 1) };
    if (i % 2 === 0) out.unshift(copy);
    else out.push(copy);
  }
  return out;
}

function contents(store: MultiStore): unknown {
  return KEYS.map((k) =>
    store
      .versions(k)
      .map((v) => [v.version, v.value === undefined ? null : bytesToBinaryString(v.value)]),
  );
}

async function run(index: number, ops: readonly Op[], writeBack: boolean): Promise<void> {
  const setup = STORE_SETUPS[index] as (typeof STORE_SETUPS)[number];
  const path = setup.tier === 'sqlite' ? join(files.path, `r${Math.random()}.db`) : undefined;
  const clock = new MockClock();
  const open = () =>
    MultiStore.open({
      tables: TABLES,
      tier: setup.tier,
      actorMode: setup.actorMode,
      clock,
      ...(path === undefined ? {} : { path }),
      dropWorker: { batchSize: 2, mailboxCapacity: 3, flushIntervalMs: 5 },
    });
  let store = open();
  let replay = new Replay(store.stats().tables);
  let depth = 0;
  const listenerErrors: unknown[] = [];
  const listen = (s: MultiStore) =>
    s.events.on('storage-stats', (event) => {
      replay.apply(event);
      // A listener that writes back into a retention table while hearing of a trim.
      if (!writeBack || depth > 0 || !event.drops.some((d) => d.category === 'current')) return;
      depth++;
      try {
        s.commit([{ type: 'set', key: utf8('b:x'), value: utf8(`back${event.version}`) }]);
      } catch (error) {
        if (!isStoreError(error)) listenerErrors.push(error);
      } finally {
        depth--;
      }
    });
  listen(store);
  let reader: ReturnType<MultiStore['begin']> | undefined;
  const pending: Promise<unknown>[] = [];
  const check = async (label: string) => {
    await Promise.all(pending.splice(0));
    await turns(3);
    assert.deepEqual(
      replay.plain(),
      nonEmpty(store.stats().tables),
      `${label}: replayed = stats()`,
    );
    assert.deepEqual(store.verify(), [], `${label}: verify`);
    assert.deepEqual(listenerErrors, [], `${label}: the listener's write back`);
  };
  try {
    for (const [i, step] of ops.entries()) {
      const label = `step ${i} ${step.op}`;
      switch (step.op) {
        case 'commit': {
          const version = step.back < 0 ? undefined : Math.max(1, store.latestVersion - step.back);
          const deltas = storeDeltas(step.deltas, step.dup);
          try {
            if (step.async) pending.push(store.commitAsync(deltas, version).catch(refusedOnly));
            else store.commit(deltas, version);
          } catch (error) {
            refusedOnly(error);
          }
          break;
        }
        case 'begin':
          reader?.rollback();
          reader = store.begin({
            readOnly: true,
            asOf: Math.max(0, store.latestVersion - step.back),
          });
          break;
        case 'end':
          reader?.rollback();
          reader = undefined;
          break;
        case 'flush':
          await Promise.all(pending.splice(0));
          await store.flush();
          break;
        case 'tick':
          clock.advanceMillis(10);
          break;
        case 'compact':
          reader?.rollback();
          reader = undefined;
          await Promise.all(pending.splice(0));
          await store.compact();
          break;
        case 'reopen': {
          if (path === undefined) break;
          reader?.rollback();
          reader = undefined;
          await Promise.all(pending.splice(0));
          await store.flush();
          await turns(3);
          const before = { contents: contents(store), stats: nonEmpty(store.stats().tables) };
          assert.deepEqual(replay.plain(), before.stats, `${label}: replayed before close`);
          await store.close();
          store = open();
          assert.deepEqual(
            { contents: contents(store), stats: nonEmpty(store.stats().tables) },
            before,
            `${label}: reopened contents and figures`,
          );
          replay = new Replay(store.stats().tables);
          listen(store);
          break;
        }
      }
      await check(label);
    }
    reader?.rollback();
    reader = undefined;
    await Promise.all(pending.splice(0));
    await store.flush();
    await check('end');
  } finally {
    reader?.rollback();
    await Promise.all(pending.splice(0));
    await store.close();
  }
}

function refusedOnly(error: unknown): void {
  if (isStoreError(error)) return;
  throw error;
}

for (const [index, setup] of STORE_SETUPS.entries()) {
  it(`events replayed by a listener equal stats() after every step (${setup.tier} tier, ${setup.actorMode} mode)`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 3, maxLength: 30 }),
        fc.boolean(),
        (ops, writeBack) => run(index, ops, writeBack),
      ),
      { numRuns: Number(process.env.REPLAY_RUNS ?? 40) },
    );
  });
}
