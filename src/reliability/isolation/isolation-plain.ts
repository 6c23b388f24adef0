/**
 * The isolation harness's steps outside any transaction: plain commits
 * (automatic, explicit above or below the latest; range drops only in
 * commits above the latest, like drops), reads and ranges at a
 * past version, flushes (after which every open snapshot is read again
 * through plain reads) and reopening a SQLite file.
 *
 * @module
 */

import assert from 'node:assert/strict';
import {
  attempt,
  attemptList,
  bytes,
  decoder,
  keysIn,
  lastPerKey,
  specOf,
  toDelta,
  toRangeDropDelta,
} from './isolation-calls.js';
import type { Checks } from './isolation-checks.js';
import {
  BEFORE,
  type Key,
  type ModelRange,
  type ModelRangeDrop,
  type ModelWrite,
} from './isolation-model.js';
import { KEYS, type Op, type PlainWriteOp, RANGES, type RangeDropOp } from './isolation-ops.js';
import { type HarnessState, resolveRangeDrop } from './isolation-state.js';

/** Runs the steps outside transactions; see the module documentation. */
export class PlainSteps {
  constructor(
    readonly state: HarnessState,
    readonly checks: Checks,
  ) {}

  async plain(ops: readonly PlainWriteOp[], at: Extract<Op, { op: 'plain' }>['at']): Promise<void> {
    const latest = this.state.model.latest;
    const isRange = (w: PlainWriteOp): w is RangeDropOp => w.type === 'drop-range';
    let writes = ops.flatMap((w) => (isRange(w) ? [] : [this.state.resolveWrite(w)]));
    const ranges = ops.filter(isRange).map((w) => resolveRangeDrop(w, latest));
    if (at === 'auto') return this.#commit(writes, ranges, undefined);
    if ('ahead' in at) return this.#commit(writes, ranges, latest + at.ahead);
    const version = latest - at.back;
    if (version < 0) return;
    writes = writes.filter((w) => w.type !== 'drop');
    // Refused before anything else, even at a version a commit already took.
    if (version <= (this.state.highestOpen() ?? -1)) return this.#commit(writes, [], version);
    if (this.state.model.used(version)) return;
    // History writes only when no snapshot could park a drop.
    if (this.state.slots.some((s) => s !== undefined)) return;
    await this.state.store.flush();
    return this.#commit(writes, [], version);
  }

  #commit(writes: ModelWrite[], ranges: ModelRangeDrop[], explicit: number | undefined): void {
    const { model, coverage } = this.state;
    const unique = lastPerKey(writes);
    const empty = unique.length === 0 && ranges.length === 0;
    let expected: string;
    if (explicit === undefined) expected = empty ? 'undefined' : String(model.latest + 1);
    else if (explicit <= (this.state.highestOpen() ?? -1)) expected = 'violation';
    else if (unique.some((w) => model.deletedAbove(w.key, explicit))) expected = 'too-old';
    else expected = String(explicit);
    const deltas = [...unique.map(toDelta), ...ranges.map(toRangeDropDelta)];
    const actual = attempt(() => String(this.state.store.commit(deltas, explicit)));
    const keys = unique.map((w) => w.key);
    if (actual === 'too-old' && explicit !== undefined && explicit < model.latest) {
      assert.ok(model.mayRefuseWrite(keys, explicit), `VERSION_TOO_OLD for a write at ${explicit}`);
      coverage.versionTooOld++;
      if (expected === 'too-old') coverage.writesUnderDeletion++;
      return;
    }
    assert.equal(actual, expected, `plain commit at ${explicit ?? 'auto'}`);
    if (expected === 'violation') coverage.snapshotViolations++;
    if (!/^\d+$/.test(expected)) return;
    model.commit(Number(expected), unique, ranges);
    coverage.commits++;
    if (ranges.length > 0) coverage.rangeDrops++;
  }

  peek(key: Key, rangeIndex: number | undefined, back: number): void {
    const { model, store } = this.state;
    const version = Math.max(0, model.latest - back);
    if (rangeIndex === undefined) {
      const actual = attempt(() => {
        const entry = store.get(bytes(key), version);
        return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
      });
      this.checks.judge(`get ${key} at ${version}`, model.answers(key, version), actual);
      return;
    }
    const range = RANGES[rangeIndex] as ModelRange;
    const inRange = keysIn(range, false);
    const listed = attemptList(() => [...store.range(specOf(range), { version })]);
    if (listed.error !== undefined) {
      this.checks.tooOldKey(listed.error, inRange, (k) => model.answers(k, version));
      return;
    }
    this.checks.judgeList(listed.entries, inRange, (k) => model.answers(k, version));
  }

  /**
   * Flush, then check that no open snapshot lost anything: every key, read
   * outside the transaction at the snapshot's version (a plain read changes
   * no read set), must answer as the snapshot allows, and as it read before.
   */
  async flush(): Promise<void> {
    const state = this.state;
    await state.store.flush();
    for (const slot of state.slots) {
      if (slot === undefined || state.expired(slot) || slot.read === BEFORE) continue;
      if (slot.read > state.model.latest) continue;
      for (const key of KEYS) {
        const actual = attempt(() => {
          const entry = state.store.get(bytes(key), slot.read);
          return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
        });
        this.checks.judge(
          `get ${key} under the snapshot at ${slot.read}`,
          state.answers(slot, key),
          actual,
        );
        this.checks.stable(slot, key, actual);
      }
    }
  }

  async reopen(): Promise<void> {
    const state = this.state;
    if (!state.open.durable) return;
    for (const [index, slot] of state.slots.entries()) if (slot) state.slots[index] = undefined;
    await state.store.close();
    state.store = state.open();
    state.coverage.reopened++;
    assert.equal(
      state.store.latestVersion,
      state.model.latest,
      'latest version survives reopening',
    );
  }
}
