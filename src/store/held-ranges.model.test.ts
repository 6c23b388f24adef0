/**
 * Randomized: range iterators held open across other work read one state.
 *
 * The isolation suite reads every range to the end at once. Here iterators
 * (plain `store.range` at a past or the latest version, and `tx.range` in
 * transactions begun at a past, the latest or a future version) are opened
 * and then stepped one entry at a time, interleaved with automatic and
 * explicit commits, drops (with and without constraints), retention,
 * flushes, transactions moving their reads with `asOf`, rollbacks and early
 * `return()`s, on both tiers and in both actor modes.
 *
 * The reference for an iterator is a second range over the same reader
 * (same version, same transaction), read to the end at once when the
 * iterator is opened: whatever happens afterwards, the held iterator must
 * yield exactly that list, or throw exactly what the reference threw (an
 * iterator over erased history may be refused, never answer differently).
 * A transaction that ended makes its iterators throw TRANSACTION_CLOSED.
 * At the end, with everything ended, nothing stays parked.
 */

import assert from 'node:assert/strict';
import { it } from 'node:test';
import fc from 'fast-check';
import { isStoreError } from '../common/errors.js';
import { MockClock } from '../runtime/clock.js';
import { forEachStoreSetup, type StoreSetup, text } from '../test-support/store-setups.js';
import type { MultiStore } from './multistore.js';
import type { Transaction } from './transaction.js';

const KEYS = ['a', 'b', 'c', 'd', 's:a', 's:b'];
const TABLES = [{ name: 'single', prefix: 's:', retention: { keepLastVersions: 1 } }];

type Op =
  | { op: 'commit'; key: number; remove: boolean; explicitBack: number | undefined }
  | { op: 'drop'; key: number; upToBack: number | undefined; keep: number | undefined }
  | { op: 'flush' }
  | { op: 'begin'; slot: number; asOfBack: number }
  | { op: 'write'; slot: number; key: number }
  | { op: 'move'; slot: number; back: number }
  | { op: 'end'; slot: number }
  | { op: 'open'; slot: number | undefined; back: number; reverse: boolean }
  | { op: 'step'; iterator: number }
  | { op: 'return'; iterator: number };

const keyIndex = fc.nat(KEYS.length - 1);
const slot = fc.nat(1);
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('commit' as const),
      key: keyIndex,
      remove: fc.boolean(),
      explicitBack: fc.option(fc.integer({ min: -2, max: 3 }), { nil: undefined, freq: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('drop' as const),
      key: keyIndex,
      upToBack: fc.option(fc.integer({ min: -1, max: 3 }), { nil: undefined }),
      keep: fc.option(fc.nat(2), { nil: undefined }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('flush' as const) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('begin' as const),
      slot,
      asOfBack: fc.integer({ min: -2, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('write' as const), slot, key: keyIndex }) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('move' as const),
      slot,
      back: fc.integer({ min: -1, max: 3 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('end' as const), slot }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('open' as const),
      slot: fc.option(slot, { nil: undefined }),
      back: fc.integer({ min: -1, max: 3 }),
      reverse: fc.boolean(),
    }),
  },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('step' as const), iterator: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('return' as const), iterator: fc.nat(3) }) },
);

/** An iterator held open, with what it must yield (or the error code it must end with). */
interface Held {
  readonly entries: Iterator<{ key: Uint8Array; value: Uint8Array }>;
  readonly expected: readonly string[];
  readonly failure: string | undefined;
  readonly tx: Transaction | undefined;
  position: number;
}

/** Run a range to the end: its entries as `key=value`, or the code it failed with. */
function readAll(entries: Iterable<{ key: Uint8Array; value: Uint8Array }>): {
  list: string[];
  failure: string | undefined;
} {
  const list: string[] = [];
  try {
    for (const e of entries) list.push(`${text(e.key)}=${text(e.value)}`);
    return { list, failure: undefined };
  } catch (error) {
    if (!isStoreError(error)) throw error;
    return { list, failure: error.code };
  }
}

/** Run `fn`, swallowing the coded errors a random history may provoke. */
function tolerate(fn: () => unknown, ...codes: string[]): void {
  try {
    fn();
  } catch (error) {
    if (!isStoreError(error) || !codes.includes(error.code)) throw error;
  }
}

class HeldRun {
  readonly #store: MultiStore;
  readonly #slots: (Transaction | undefined)[] = [undefined, undefined];
  readonly #held: (Held | undefined)[] = [undefined, undefined, undefined, undefined];
  #values = 0;

  constructor(store: MultiStore) {
    this.#store = store;
  }

  async step(step: Op): Promise<void> {
    const store = this.#store;
    const latest = store.latestVersion;
    switch (step.op) {
      case 'commit': {
        const key = KEYS[step.key] as string;
        const delta = step.remove
          ? { type: 'remove' as const, key }
          : { type: 'set' as const, key, value: `v${++this.#values}` };
        const explicit =
          step.explicitBack === undefined ? undefined : Math.max(0, latest - step.explicitBack);
        return tolerate(
          () => store.commit([delta], explicit),
          'SNAPSHOT_VIOLATION',
          'VERSION_TOO_OLD',
        );
      }
      case 'drop': {
        const upToVersion =
          step.upToBack === undefined ? undefined : Math.max(0, latest - step.upToBack);
        store.commit([
          {
            type: 'drop',
            key: KEYS[step.key] as string,
            ...(upToVersion === undefined ? {} : { upToVersion }),
            ...(step.keep === undefined ? {} : { keepLastVersions: step.keep }),
          },
        ]);
        return;
      }
      case 'flush':
        return store.flush();
      case 'begin':
        if (this.#slots[step.slot] !== undefined) return;
        tolerate(() => {
          this.#slots[step.slot] = store.begin({ asOf: Math.max(0, latest - step.asOfBack) });
        });
        return;
      case 'write':
        this.#slots[step.slot]?.set(KEYS[step.key] as string, `w${++this.#values}`);
        return;
      case 'move':
        this.#slots[step.slot]?.asOf(Math.max(0, latest - step.back));
        return;
      case 'end':
        this.#slots[step.slot]?.rollback();
        this.#slots[step.slot] = undefined;
        return;
      case 'open':
        return this.#open(step.slot, Math.max(0, latest - step.back), step.reverse);
      case 'step':
        return this.#step(step.iterator);
      case 'return':
        this.#held[step.iterator]?.entries.return?.();
        this.#held[step.iterator] = undefined;
        return;
    }
  }

  #open(slotIndex: number | undefined, version: number, reverse: boolean): void {
    const free = this.#held.indexOf(undefined);
    if (free < 0) return;
    const tx = slotIndex === undefined ? undefined : this.#slots[slotIndex];
    if (slotIndex !== undefined && tx === undefined) return;
    const open = () =>
      tx === undefined
        ? this.#store.range(undefined, { version, reverse, pageSize: 1 })
        : tx.range(undefined, { reverse, pageSize: 1 });
    const reference = readAll(open());
    this.#held[free] = {
      entries: open(),
      expected: reference.list,
      failure: reference.failure,
      tx,
      position: 0,
    };
  }

  #step(index: number): void {
    const held = this.#held[index];
    if (held === undefined) return;
    const ended = held.tx !== undefined && held.tx.state !== 'open';
    let next: IteratorResult<{ key: Uint8Array; value: Uint8Array }>;
    try {
      next = held.entries.next();
    } catch (error) {
      this.#held[index] = undefined;
      const code = isStoreError(error) ? error.code : String(error);
      if (ended) {
        assert.equal(code, 'TRANSACTION_CLOSED');
        return;
      }
      assert.equal(held.position, held.expected.length, `failed with ${code} before its end`);
      assert.equal(code, held.failure, 'the failure the reference met');
      return;
    }
    assert.ok(!ended, 'an ended transaction range goes on');
    if (next.done === true) {
      this.#held[index] = undefined;
      assert.deepEqual([held.position, held.failure], [held.expected.length, undefined]);
      return;
    }
    const entry = `${text(next.value.key)}=${text(next.value.value)}`;
    assert.equal(entry, held.expected[held.position], `entry ${held.position}`);
    held.position++;
  }

  /** Step every held iterator to its end, end every transaction, flush: nothing stays parked. */
  async finish(): Promise<void> {
    for (let index = 0; index < this.#held.length; index++) {
      while (this.#held[index] !== undefined) this.#step(index);
    }
    for (const tx of this.#slots) tx?.rollback();
    await this.#store.flush();
    assert.equal(this.#store.stats().snapshots.open, 0);
    assert.equal(this.#store.dropWorkerStats().parked, 0);
  }
}

async function run(setup: StoreSetup, ops: readonly Op[]): Promise<void> {
  const store = setup.open({ clock: new MockClock(), tables: TABLES });
  try {
    const held = new HeldRun(store);
    for (const [index, step] of ops.entries()) {
      await held.step(step).catch((error: unknown) => {
        if (error instanceof Error)
          error.message = `step ${index} ${JSON.stringify(step)}\n${error.message}`;
        throw error;
      });
    }
    await held.finish();
  } finally {
    await store.close();
  }
}

forEachStoreSetup((setup) => {
  it('a range iterator held open across commits, drops, moves and flushes yields the state it began with', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 60 }), (ops) => run(setup, ops)),
      { numRuns: 100, seed: 20_261_129 },
    );
  });
});
