/**
 * The isolation harness's steps inside a transaction slot: begin, read, scan,
 * write, move the reads, commit (its outcome predicted exactly by the model
 * first), roll back.
 *
 * ```
 *   step on slot i ─► onSlot: empty? begin there │ expired? TRANSACTION_TOO_OLD, end
 *                  ─► read/scan: judged, and stable at one version
 *                  ─► commit: predict (expiry, conflicts, SNAPSHOT_VIOLATION) ─► compare ─► model
 * ```
 *
 * @module
 */

import assert from 'node:assert/strict';
import {
  applyToTx,
  attempt,
  attemptList,
  bytes,
  code,
  decoder,
  keysIn,
  specOf,
} from './isolation-calls.js';
import type { Checks, CommitLog } from './isolation-checks.js';
import {
  BEFORE,
  inModelRange,
  type Key,
  type ModelRange,
  type ModelWrite,
} from './isolation-model.js';
import { type Op, RANGES, SLOTS, type WriteOp } from './isolation-ops.js';
import {
  type HarnessState,
  IMPLICIT_MAX_AGE_MS,
  ownAnswers,
  resolveAsOf,
  type Slot,
  writesOf,
} from './isolation-state.js';

/** Runs the steps that act in a slot; see the module documentation. */
export class TransactionSteps {
  constructor(
    readonly state: HarnessState,
    readonly checks: Checks,
    readonly log: CommitLog,
  ) {}

  begin(step: Extract<Op, { op: 'begin' }>): void {
    const { slots, model, clock } = this.state;
    if (slots[step.slot] !== undefined) return;
    const latest = model.latest;
    const asOf = resolveAsOf(step.asOf, latest);
    const tx = this.state.store.begin({
      isolation: step.serializable ? 'serializable' : 'snapshot',
      ...(step.readOnly ? { readOnly: true } : {}),
      ...(asOf === undefined ? {} : { asOf }),
      ...(step.maxAgeMs === undefined ? {} : { maxAgeMs: step.maxAgeMs }),
    });
    const read = asOf ?? latest;
    slots[step.slot] = {
      tx,
      readOnly: step.readOnly,
      serializable: step.serializable,
      base: step.readOnly ? undefined : Math.min(read, latest),
      read,
      known: model.requests.length,
      beganAt: model.commits.length,
      openedAt: clock.nowMillis(),
      maxAgeMs: step.maxAgeMs,
      own: new Map(),
      drops: [],
      readKeys: new Set(),
      readRanges: [],
      observed: new Set(),
      seen: new Map(),
    };
    assert.equal(tx.version, read, 'tx.version is the version it reads at');
  }

  /**
   * Run `fn` on the slot's transaction, beginning one (read-write; slots 0-1
   * snapshot, 2-3 serializable; odd slots with a maxAgeMs) on an empty slot;
   * an expired transaction must refuse with TRANSACTION_TOO_OLD.
   */
  onSlot(index: number, fn: (slot: Slot) => void): void {
    if (this.state.slots[index] === undefined) {
      const serializable = index >= SLOTS / 2;
      this.begin({
        op: 'begin',
        slot: index,
        readOnly: false,
        serializable,
        asOf: 'latest',
        maxAgeMs: index % 2 === 1 ? IMPLICIT_MAX_AGE_MS : undefined,
      });
    }
    const slot = this.state.slots[index] as Slot;
    if (this.state.expired(slot)) {
      assert.throws(() => slot.tx.get(bytes('a')), code('TRANSACTION_TOO_OLD'));
      this.state.coverage.expired++;
      this.end(index, slot);
      return;
    }
    fn(slot);
  }

  end(index: number, slot: Slot): void {
    slot.tx.rollback();
    slot.tx.rollback(); // harmless twice
    this.state.slots[index] = undefined;
  }

  read(slot: Slot, key: Key, contains: boolean): void {
    const own = slot.own.get(key);
    if (own === undefined && slot.serializable && !slot.readOnly) slot.readKeys.add(key);
    const answers = own === undefined ? this.state.answers(slot, key) : ownAnswers(own);
    const actual = attempt(() => {
      if (contains) return slot.tx.contains(bytes(key)) ? 'present' : 'absent';
      const entry = slot.tx.get(bytes(key));
      return entry === undefined ? 'absent' : `v:${decoder.decode(entry.value)}`;
    });
    this.checks.judge(`tx get ${key} at ${slot.read}`, answers, actual);
    if (own !== undefined) return;
    slot.observed.add(key);
    this.checks.stable(slot, key, actual);
  }

  scan(slot: Slot, rangeIndex: number, reverse: boolean): void {
    const range = RANGES[rangeIndex] as ModelRange;
    if (slot.serializable && !slot.readOnly) slot.readRanges.push(range);
    const listed = attemptList(() => [...slot.tx.range(specOf(range), { reverse })]);
    const inRange = keysIn(range, reverse);
    if (listed.error !== undefined) {
      const key = this.checks.tooOldKey(listed.error, inRange, (k) => this.state.answers(slot, k));
      this.checks.stable(slot, key, 'too-old');
      return;
    }
    this.checks.judgeList(listed.entries, inRange, (k) => {
      const own = slot.own.get(k);
      return own === undefined ? this.state.answers(slot, k) : ownAnswers(own);
    });
    for (const k of inRange) {
      if (slot.own.has(k)) continue;
      slot.observed.add(k);
      const entry = listed.entries.find((e) => e.key === k);
      this.checks.stable(slot, k, entry === undefined ? 'absent' : `v:${entry.value}`);
    }
  }

  write(slot: Slot, write: WriteOp): void {
    const w = this.state.resolveWrite(write);
    if (slot.readOnly) {
      assert.throws(() => applyToTx(slot.tx, w), code('TRANSACTION_READ_ONLY'));
      return;
    }
    applyToTx(slot.tx, w);
    if (w.type === 'drop') slot.drops.push(w);
    else slot.own.set(w.key, { type: w.type, value: w.type === 'set' ? w.value : undefined });
  }

  move(slot: Slot, back: number, exclusive: boolean): void {
    const version = Math.max(0, this.state.model.latest - back);
    slot.tx.asOf(version, { exclusive });
    const read = exclusive ? (version === 0 ? BEFORE : version - 1) : version;
    // A moved snapshot let go of its old version: what drops erased there
    // meanwhile may now read as too old, so stability starts over.
    if (read !== slot.read) slot.seen.clear();
    slot.read = read;
    slot.known = this.state.model.requests.length;
    if (slot.read !== BEFORE) assert.equal(slot.tx.version, slot.read);
  }

  commit(index: number, slot: Slot, explicitAhead: number | undefined): void {
    const { model, coverage } = this.state;
    const writes = writesOf(slot);
    const explicit =
      explicitAhead === undefined || writes.length === 0 ? undefined : model.latest + explicitAhead;
    let expected = this.#predictCommit(index, slot, writes, explicit);
    this.state.slots[index] = undefined;
    const actual = attempt(() => String(slot.tx.commit(explicit)));
    slot.tx.rollback(); // harmless after the end, whatever it was
    if (expected.includes('|')) {
      assert.ok(expected.split('|').includes(actual), `commit of slot ${index}: ${actual}`);
      expected = actual;
      coverage.dropOnlyConflicts++;
    }
    assert.equal(actual, expected, `commit of slot ${index}`);
    if (expected === 'too-old-tx') coverage.expired++;
    if (expected === 'violation') coverage.snapshotViolations++;
    if (expected === 'conflict') this.#countConflict(slot, writes);
    if (!/^\d+$/.test(expected)) return;
    model.commit(Number(expected), writes);
    coverage.commits++;
    this.log.record(slot, writes, Number(expected));
  }

  /** The outcome the rules give: a version, `undefined`, or an error name. */
  #predictCommit(
    index: number,
    slot: Slot,
    writes: ModelWrite[],
    explicit: number | undefined,
  ): string {
    if (this.state.expired(slot)) return 'too-old-tx';
    if (slot.readOnly || writes.length === 0) return 'undefined';
    const conflicts = this.#conflicts(slot, writes);
    if (conflicts.certain.length > 0) return 'conflict';
    let outcome = String(explicit ?? this.state.model.latest + 1);
    if (explicit !== undefined && explicit <= (this.state.highestOpen(index) ?? -1))
      outcome = 'violation';
    return conflicts.possible.length > 0 ? `conflict|${outcome}` : outcome;
  }

  #conflicts(slot: Slot, writes: readonly ModelWrite[]) {
    const keys = new Set(writes.map((w) => w.key));
    if (slot.serializable) for (const k of slot.readKeys) keys.add(k);
    return this.state.model.conflicting(
      slot.base as number,
      keys,
      slot.serializable ? slot.readRanges : [],
      slot.beganAt,
    );
  }

  #countConflict(slot: Slot, writes: readonly ModelWrite[]): void {
    const touched = this.#conflicts(slot, writes).certain;
    const reads = (k: Key) =>
      slot.readKeys.has(k) || slot.readRanges.some((r) => inModelRange(k, r));
    const byRange = touched.some((c) =>
      [...c.ranged].some((k) => writes.some((w) => w.key === k) || (slot.serializable && reads(k))),
    );
    if (byRange) this.state.coverage.rangeDropConflicts++;
    const written = new Set(writes.map((w) => w.key));
    const byWrites =
      this.state.model.conflicting(slot.base as number, written, [], slot.beganAt).certain.length >
      0;
    if (byWrites) this.state.coverage.writeConflicts++;
    else this.state.coverage.readConflicts++;
  }
}
