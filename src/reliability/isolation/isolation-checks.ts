/**
 * The isolation harness's judgements: a read's answer against what the model
 * allows, a range's listing, a range refused with VERSION_TOO_OLD, a
 * snapshot reading the same twice, and (over the committed transactions)
 * first-committer-wins, serializability and the write-skew tally.
 *
 * ```
 *   Checks     per step:  judge(answers, actual)   judgeList   tooOldKey   stable
 *   CommitLog  per commit: record (write skew under snapshot isolation counted)
 *              at the end: audit (no clash above a base; serializable read nothing stale)
 * ```
 *
 * @module
 */

import assert from 'node:assert/strict';
import { isStoreError } from '../../common/errors.js';
import { decoder } from './isolation-calls.js';
import {
  type Answers,
  type HistoryModel,
  inModelRange,
  type Key,
  type ModelRange,
  type ModelWrite,
} from './isolation-model.js';
import type { HarnessState, Slot } from './isolation-state.js';

/** Judges reads against the model; see the module documentation. */
export class Checks {
  constructor(readonly state: HarnessState) {}

  /** `actual` must be one of `answers` (`present` stands for any value). */
  judge(what: string, answers: Answers, actual: string): void {
    if (actual === 'too-old') this.state.coverage.versionTooOld++;
    const ok =
      answers.has(actual) || (actual === 'present' && [...answers].some((a) => a.startsWith('v:')));
    assert.ok(ok, `${what} answered ${actual}; the model allows ${[...answers].join(', ')}`);
  }

  /** A range listing: keys in range order, each answer allowed. */
  judgeList(
    entries: readonly { key: Key; value: string }[],
    inRange: readonly Key[],
    answersOf: (key: Key) => Answers,
  ): void {
    const listed = entries.map((e) => e.key);
    assert.deepEqual(
      listed,
      inRange.filter((k) => listed.includes(k)),
      'keys in range and order',
    );
    for (const k of inRange) {
      const entry = entries.find((e) => e.key === k);
      this.judge(
        `range key ${k}`,
        answersOf(k),
        entry === undefined ? 'absent' : `v:${entry.value}`,
      );
    }
  }

  /** A range refused: VERSION_TOO_OLD for a key of the range that may be refused. */
  tooOldKey(error: unknown, inRange: readonly Key[], answersOf: (key: Key) => Answers): Key {
    assert.ok(isStoreError(error, 'VERSION_TOO_OLD'), `range failed with ${String(error)}`);
    this.state.coverage.versionTooOld++;
    const key = decoder.decode((error as { key?: Uint8Array }).key ?? new Uint8Array());
    assert.ok(inRange.includes(key), `VERSION_TOO_OLD names ${key}, in the range`);
    assert.ok(answersOf(key).has('too-old'), `range refused at ${key}, which may not be refused`);
    return key;
  }

  /** A transaction reads the same answer twice at one version (once that version is committed). */
  stable(slot: Slot, key: Key, actual: string): void {
    if (slot.read > this.state.model.latest) return; // a future snapshot moves with commits (documented)
    const at = `${key}@${slot.read}`;
    const first = slot.seen.get(at);
    if (first === undefined) {
      if (actual !== 'present') slot.seen.set(at, actual);
      return;
    }
    const same = actual === first || (actual === 'present' && first.startsWith('v:'));
    assert.ok(same, `snapshot at ${slot.read} read ${key} as ${first}, now ${actual}`);
  }
}

/** A committed read-write transaction, for the write-skew tally and the audits. */
interface Committed {
  readonly base: number;
  readonly version: number;
  readonly serializable: boolean;
  readonly writes: ReadonlySet<Key>;
  readonly readKeys: ReadonlySet<Key>;
  readonly readRanges: readonly ModelRange[];
  readonly observed: ReadonlySet<Key>;
  readonly beganAt: number;
}

/** The committed read-write transactions of a run, audited at its end. */
export class CommitLog {
  readonly #committed: Committed[] = [];

  constructor(readonly state: HarnessState) {}

  /** The slot's transaction committed `writes` at `version`. */
  record(slot: Slot, writes: readonly ModelWrite[], version: number): void {
    const committed: Committed = {
      base: slot.base as number,
      version,
      serializable: slot.serializable,
      writes: new Set(writes.map((w) => w.key)),
      readKeys: new Set(slot.readKeys),
      readRanges: [...slot.readRanges],
      observed: new Set(slot.observed),
      beganAt: slot.beganAt,
    };
    if (!slot.serializable) this.#tallySkew(committed, slot);
    this.#committed.push(committed);
  }

  /**
   * Write skew under snapshot isolation: this commit and an earlier one that
   * committed after this began each read a key the other wrote (a state no
   * serial order gives). Counted, so the test can assert the generator
   * reaches it; serializable commits never do (the audit and the exact
   * conflict prediction check that).
   */
  #tallySkew(committed: Committed, slot: Slot): void {
    for (const other of this.#committed) {
      if (other.serializable || other.version <= committed.base) continue;
      const crossed = [...other.writes].some((k) => slot.observed.has(k));
      const back = [...committed.writes].some((k) => other.observed.has(k));
      if (crossed && back) this.state.coverage.writeSkewsCommitted++;
    }
  }

  /** Snapshot isolation and serializability, over every committed transaction. */
  audit(): void {
    const model = this.state.model;
    for (const t of this.#committed) {
      const own = indexOf(model, t.version);
      model.commits.forEach((c, index) => {
        if (index >= own || c.version <= t.base) return;
        // Before t began, a commit that only dropped t's keys may have passed (see conflicting()).
        const keys = index < t.beganAt ? c.written : c.keys;
        const clash = [...keys].filter((k) => t.writes.has(k));
        assert.deepEqual(clash, [], `first committer wins: ${t.version} and ${c.version}`);
        if (!t.serializable) return;
        const stale = [...keys].filter(
          (k) => t.readKeys.has(k) || t.readRanges.some((r) => inModelRange(k, r)),
        );
        assert.deepEqual(stale, [], `serializable ${t.version} read what ${c.version} wrote`);
      });
    }
  }
}

function indexOf(model: HistoryModel, version: number): number {
  return model.commits.findIndex((c) => c.version === version);
}
