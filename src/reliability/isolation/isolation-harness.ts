/**
 * Runs one generated history against a real store and the serial model, and
 * checks every step (see `isolation-suite.ts` for the list of checks).
 *
 * ```
 *   op ──► predict (model: the answers a read may give, the outcome of a commit)
 *      ──► run on the store ──► compare ──► record (model, counters)
 * ```
 *
 * Every read's answer must be one the model allows; every commit's outcome
 * (a version, none, TRANSACTION_CONFLICT, SNAPSHOT_VIOLATION,
 * TRANSACTION_TOO_OLD) must be the one the model predicts, exactly; a
 * transaction reading a key twice at one version must get the same answer.
 * At the end, with every transaction over and the drop worker flushed,
 * nothing is parked and the stored versions are the model's survivors.
 *
 * The work is split by where a step acts: `isolation-transactions.ts` (in a
 * transaction slot), `isolation-plain.ts` (outside transactions),
 * `isolation-checks.ts` (judging answers, auditing commits), over the shared
 * state of `isolation-state.ts`; this module runs the history and the checks
 * between steps and at the end.
 *
 * @module
 */

import assert from 'node:assert/strict';
import type { MockClock } from '../../runtime/clock.js';
import { annotate, bytes, decoder } from './isolation-calls.js';
import { Checks, CommitLog } from './isolation-checks.js';
import type { Coverage } from './isolation-coverage.js';
import type { Key } from './isolation-model.js';
import { KEYS, type Op } from './isolation-ops.js';
import { PlainSteps } from './isolation-plain.js';
import { HarnessState, SETTLE_DEPTH, type Slot, type StoreOpener } from './isolation-state.js';
import { TransactionSteps } from './isolation-transactions.js';

/** Runs one history; see the module documentation. */
export class IsolationHarness {
  readonly #state: HarnessState;
  readonly #log: CommitLog;
  readonly #tx: TransactionSteps;
  readonly #plain: PlainSteps;

  constructor(open: StoreOpener, clock: MockClock, coverage: Coverage) {
    this.#state = new HarnessState(open, clock, coverage);
    const checks = new Checks(this.#state);
    this.#log = new CommitLog(this.#state);
    this.#tx = new TransactionSteps(this.#state, checks, this.#log);
    this.#plain = new PlainSteps(this.#state, checks);
  }

  /** Run every op, then the final checks; closes the store. */
  async run(ops: readonly Op[]): Promise<void> {
    this.#state.coverage.runs++;
    try {
      for (const [index, step] of ops.entries()) {
        await this.#step(step).catch((error: unknown) => {
          throw annotate(error, `step ${index}: ${JSON.stringify(step)}`);
        });
        this.#checkRegistry();
      }
      await this.#finish();
    } finally {
      await this.#state.store.close();
    }
  }

  async #step(step: Op): Promise<void> {
    const tx = this.#tx;
    switch (step.op) {
      case 'begin':
        return tx.begin(step);
      case 'read':
        return tx.onSlot(step.slot, (s) => tx.read(s, step.key, step.contains));
      case 'scan':
        return tx.onSlot(step.slot, (s) => tx.scan(s, step.range, step.reverse));
      case 'write':
        return tx.onSlot(step.slot, (s) => tx.write(s, step.write));
      case 'rmw':
        return tx.onSlot(step.slot, (s) => {
          tx.read(s, step.read, false);
          if (this.#state.slots[step.slot] === s) tx.write(s, { type: 'set', key: step.write });
        });
      case 'cross': {
        const [first, second] = step.slots;
        const [x, y] = step.keys;
        await this.#step({ op: 'rmw', slot: first, read: x, write: y });
        await this.#step({ op: 'rmw', slot: second, read: y, write: x });
        if (!step.commit) return;
        await this.#step({ op: 'commit', slot: first, explicitAhead: undefined });
        return this.#step({ op: 'commit', slot: second, explicitAhead: undefined });
      }
      case 'move':
        return tx.onSlot(step.slot, (s) => tx.move(s, step.back, step.exclusive));
      case 'commit':
        return tx.onSlot(step.slot, (s) => tx.commit(step.slot, s, step.explicitAhead));
      case 'rollback':
        return tx.onSlot(step.slot, (s) => tx.end(step.slot, s));
      case 'plain':
        return this.#plain.plain(step.writes, step.at);
      case 'peek':
        return this.#plain.peek(step.key, step.range, step.back);
      case 'flush':
        return this.#plain.flush();
      case 'settle':
        return this.#settle();
      case 'clock':
        this.#state.clock.advanceMillis(step.ms);
        return;
      case 'reopen':
        return this.#plain.reopen();
    }
  }

  /** Commit every open transaction, flush, then read every key at the last few versions. */
  async #settle(): Promise<void> {
    for (const [index, slot] of this.#state.slots.entries()) {
      if (slot !== undefined) this.#tx.onSlot(index, (s) => this.#tx.commit(index, s, undefined));
    }
    await this.#plain.flush();
    for (let back = 0; back <= SETTLE_DEPTH; back++) {
      for (const key of KEYS) this.#plain.peek(key, undefined, back);
      this.#plain.peek(KEYS[0] as Key, 0, back);
    }
  }

  #checkRegistry(): void {
    const state = this.#state;
    if (state.store.dropWorkerStats().parked > 0) state.coverage.parkedSeen++;
    const open = state.slots.filter((s): s is Slot => s !== undefined && !state.expired(s));
    const { snapshots } = state.store.stats();
    assert.equal(snapshots.open, open.length, 'open snapshots');
    const lowest =
      open.length === 0 ? undefined : Math.min(...open.map((s) => Math.max(s.read, 0)));
    assert.equal(snapshots.watermark, lowest, 'the watermark is the oldest open snapshot');
  }

  async #finish(): Promise<void> {
    const state = this.#state;
    for (const [index, slot] of state.slots.entries()) if (slot) this.#tx.end(index, slot);
    await state.store.flush();
    assert.equal(
      state.store.dropWorkerStats().parked,
      0,
      'nothing parked once every snapshot ended',
    );
    assert.equal(state.store.stats().snapshots.open, 0);
    for (const key of KEYS) {
      const stored = state.store.versions(bytes(key)).map(({ version, value }) => ({
        version,
        value: value === undefined ? undefined : decoder.decode(value),
      }));
      assert.deepEqual(stored, state.model.survivors(key), `stored versions of ${key}`);
    }
    this.#log.audit();
  }
}
